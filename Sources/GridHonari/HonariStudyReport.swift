import Foundation
import GridLoad
import GridReport

/// The study's report: the side-by-side table, the voltage outcome, and the differences that matter.
extension HonariStudyResult {
    /// Best throughput, latency at the paper's top rates, and the voltage verdict, one line each.
    public func summaryLines() -> [String] {
        var lines: [String] = []
        for shards in options.shardCounts {
            let name = shards == 1 ? "unsharded (1 region)" : "\(shards) shards + global committee"
            let best = bestCommittedTps(shards: shards).map { String(format: "%.0f", $0) } ?? "-"
            let paperBest = shards == 1 ? "400-470" : "600-620"
            let layoutRuns = runs.filter { $0.shards == shards }
            let atTop = layoutRuns.filter { $0.rateTps >= 600 && $0.rateTps <= 1200 }
            let meanLatency = atTop.compactMap { $0.latency?.mean }
            let averaged =
                meanLatency.isEmpty
                ? "-" : String(format: "%.0f ms", meanLatency.reduce(0, +) / Double(meanLatency.count))
            let within = layoutRuns.allSatisfy { $0.voltagesWithinLimits == true }
            let lowest = layoutRuns.compactMap(\.lowestVoltagePU).min()
            let highest = layoutRuns.compactMap { $0.voltage?.highestVoltagePU }.max()
            let vsi = layoutRuns.compactMap { $0.voltage?.lowestStabilityIndex }.min()
            let messages = layoutRuns.compactMap { $0.result.global?.crossRegion.committed }.reduce(0, +)
            lines.append(
                "\(name): best \(best) tx/s committed (paper \(paperBest)); avg latency at 600-1200 tx/s "
                    + "\(averaged) (paper \(shards == 1 ? "3-4 s" : "≈ 0.1 s")); voltages "
                    + (within ? "within limits in every run" : "OUTSIDE limits in some run")
                    + " (\(Self.fixed(lowest, 3))-\(Self.fixed(highest, 3)) p.u.), min VSI \(Self.fixed(vsi, 3))"
                    + (shards > 1 ? "; cross-region messages committed: \(messages)" : ""))
        }
        return lines
    }

    /// Why our figures differ from the paper's; the same text in the Markdown and the HTML report.
    static let differences: [(String, String)] = [
        (
            "Consensus",
            "Fabric 2.2 orders with Raft (crash-tolerant, one leader cuts blocks) after endorsement by peers; "
                + "GridLedger regions run BFT consensus among 4 validators (f = 1), which needs two voting rounds "
                + "and signature checks but no separate endorse-order-validate pipeline."
        ),
        (
            "Batch timeout",
            "Their orderer cuts a block after 2 s or when the batch is full; below the batch size every transaction "
                + "waits up to 2 s, and past saturation the queue adds seconds (their 3-4 s). GridLedger regions "
                + "propose at most 20 ms (consensus.blockIntervalMillis) after work arrives, at once when a full block "
                + "waits, so latency at low load is the consensus rounds and the modelled commit, about 0.1 s here."
        ),
        (
            "Machine model",
            "Their peers, orderers and Caliper shared a fixed set of machines, so the three shards split the same "
                + "hardware. In our simulator every validator has its own modelled cores (machine.cores), so 3 shards "
                + "bring 3x the validators; --fixed-total-cores shares one total instead. CPU costs are modelled, not "
                + "measured."
        ),
        (
            "Simulated versus real",
            "Our runs are discrete-event simulations of the ledger (virtual time, modelled network and CPU, real "
                + "signatures and LMDB stores); theirs are measurements of a real Fabric network. Absolute numbers "
                + "are therefore not comparable; the shape (sharding raises throughput and cuts latency) is."
        ),
        (
            "Transactions",
            "Their ComputeVSI transaction carries a whole group's bus and branch tables and evaluates the index "
                + "for the group; ours are per-bus signed reports (the measurement) and one dispatch per region and "
                + "second that evaluates the margin-ratio index of every reported bus and moves reactive set-points. "
                + "The send rate counts reports; dispatches add 1-3 tx/s."
        ),
        (
            "Load per shard",
            "Devices sit on the loaded PQ buses: 2 in group 1, 6 in group 2, 10 in group 3 (18 in all), so shard 3 "
                + "carries more than half the reports; Caliper sent the groups' transactions round-robin (a third each)."
        ),
        (
            "Grid model",
            "MATPOWER case30 solved by Newton-Raphson each reporting period, demand scaled by household profiles at "
                + "19 h (so at most the case's nominal load) times the load scale, Thevenin impedances from the whole "
                + "network (slack and PV buses as sources, generator reactive limits not enforced). The contract's "
                + "radial model gets a spanning tree of each group, so its reactive-power sensitivity is approximate "
                + "on loops; the index itself uses the exact Thevenin impedance. Devices keep the rating of the "
                + "nominal demand when the load scale raises it."
        ),
        (
            "Global step",
            "In Honari et al.'s code (DVSCode, DVS/chaincode) the global contract on the main chain keeps each "
                + "group's adjacent groups and remaining reactive resources (InitialGrouping, UpdateResources) and "
                + "searches the adjacent groups for one with resources left (SearchForAvailableGroup); the VSI "
                + "contract then recomputes the index and the local controller over the merged group, from impedance "
                + "data precomputed for each pair of groups, and the groups split again once the index recovers. "
                + "Ours, by default, runs the same registry as a contract (voltage_registry) on a main chain of its "
                + "own (region main, 4 validators): each group tells it its remaining headroom whenever that changes; "
                + "a group whose devices run out sends its missing VAr to the registry's search through the global "
                + "committee; the registry picks the adjacent group it is merged with while that one has headroom, "
                + "else the one with the most recorded headroom (with the candidate's resources; their code sums the "
                + "requester's), books it, and passes the request on; the merge splits when the group's own dispatch "
                + "covers its need again. The chosen group sizes its help as a joint re-dispatch over the merged "
                + "network would, linearised: from the whole network's transfer reactances X_fj (Z-bus) between the "
                + "requesting bus and its own device buses, so that its devices give the requesting bus the voltage "
                + "change the missing VAr would have given there, most effective first; the groups' states stay "
                + "apart. With --no-main-chain a short group asks the group it shares most lines with directly, and "
                + "that one passes what it cannot meet on, once, to its other adjacent group. At nominal demand no "
                + "group runs short, so only the stress experiment (demand scaled up) exercises the search."
        ),
    ]

    public func markdown(wallSeconds: Double) -> String {
        var text = "# Honari et al. sharded voltage stability on GridLedger\n\n"
        text +=
            "Paper: K. Honari et al., \"A Scalable Blockchain-based Smart Contract Model for Decentralized "
            + "Voltage Stability Using Sharding Technique\", arXiv:2206.13776 (code: Scalable-Blockchain-Systems/"
            + "DVSCode). Their platform: \(paper.platform).\n\n"
        text +=
            "IEEE 30-bus (MATPOWER case30), \(loadedBuses) loaded buses with reporting devices; "
            + "\(options.validatorsPerRegion) validators per region"
            + (options.shardCounts.contains(3) ? ", global committee of \(options.globalValidators) for 3 shards" : "")
            + (options.shardCounts.contains(3) && options.mainChain != false
                ? " and a main chain (region main, \(options.validatorsPerRegion) validators) running the voltage "
                    + "registry" : "")
            + String(
                format: "; %.0f s measured after %.0f s warm-up per run; ", options.measuredSeconds,
                options.warmupSeconds)
            + (options.fixedTotalCores.map { String(format: "%.1f cores shared by each layout's validators", $0) }
                ?? "\(options.coresPerValidator) modelled cores per validator")
            + String(format: ". Wall time %.0f s.\n\n", wallSeconds)
        text +=
            "Thresholds (margin-ratio VSI, Gong & Schulz): groups 1-3 \(paper.groupThresholds.map { String($0) }.joined(separator: ", ")); "
            + "unsharded, each bus on its group's. Voltage limits: 0.95-1.05 p.u. at load buses, 0.95-1.10 at "
            + "generator buses (as in DVSCode's bus tables). Demand in the sweep: \(Self.formatScale(options.loadScale)) x "
            + "the case's nominal"
            + (options.stress.map {
                "; stress experiment: \(Self.formatScale($0.loadScale)) x at \(Self.format($0.rateTps)) tx/s, "
                    + "\(Self.format($0.measuredSeconds)) s measured after \(Self.format($0.warmupSeconds)) s warm-up"
            } ?? "; no stress experiment") + ".\n\n"
        text += "## Side by side\n\n"
        text += Self.markdownTable(header: tableHeader, rows: tableRows)
        text +=
            "\nLatency: submission to local commit (avg = mean). Failed: rejected + dropped + timed out. "
            + "Voltage columns: unsharded / 3 shards.\n\n"
        text += summaryLines().map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        text += "## Global step\n\n"
        text +=
            "Cross-region messages of the sharded runs and of the stress experiment (demand scaled so that a group "
            + "runs out of reactive headroom): with the main chain, each group's headroom updates and searches to the "
            + "registry and the registry's requests to the group it picked; without it, each short group's request "
            + "to its neighbour and what the neighbour passed on. Sent: emitted by a committed block; delivered: "
            + "ordered by a committed checkpoint of the global committee; applied: executed by the receiving chain; "
            + "refused: applied but the receiving contract refused the call. Registry: searches the main chain "
            + "accepted, those that found an adjacent group with headroom (matched), merges of a group with a new "
            + "helper and splits once the group covered its own need. Global finality: submission to the "
            + "checkpoint that makes the transaction's block final, every transaction of the run; message latency: "
            + "the sending block's first transaction to the receiving chain's commit of the message. Power "
            + "flow diverged: periods (warm-up included) without a Newton-Raphson solution.\n\n"
        text += Self.markdownTable(header: globalStepHeader, rows: globalStepRows)
        text += "\n" + globalStepLines().map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        text += "Per group (each region's own buses, measured window):\n\n"
        text += Self.markdownTable(header: groupHeader, rows: groupRows) + "\n"
        text += "## Differences that matter\n\n"
        for (title, body) in Self.differences { text += "- **\(title).** \(body)\n" }
        return text
    }

    static func markdownTable(header: [String], rows: [[String]]) -> String {
        var text = "| " + header.joined(separator: " | ") + " |\n"
        text += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { text += "| " + row.joined(separator: " | ") + " |\n" }
        return text
    }

    public func html(wallSeconds: Double) -> String {
        var body = "<h1>Honari et al. sharded voltage stability on GridLedger</h1>\n"
        body +=
            "<p>\(HTMLText.escape("Paper: arXiv:2206.13776 (\(paper.platform)). IEEE 30-bus, \(loadedBuses) loaded buses; "))"
            + HTMLText.escape(
                String(format: "%.0f s measured per run; wall time %.0f s.", options.measuredSeconds, wallSeconds))
            + "</p>\n"
        body += HTMLText.table(header: tableHeader, rows: tableRows, caption: "Ours beside the paper's")
        body += "<ul>\n" + summaryLines().map { "<li>\(HTMLText.escape($0))</li>\n" }.joined() + "</ul>\n"
        body += "<h2>Global step</h2>\n"
        body += HTMLText.table(
            header: globalStepHeader, rows: globalStepRows, caption: "Cross-region messages and the registry")
        body += "<ul>\n" + globalStepLines().map { "<li>\(HTMLText.escape($0))</li>\n" }.joined() + "</ul>\n"
        body += HTMLText.table(header: groupHeader, rows: groupRows, caption: "Per group: lowest voltage and index")
        body += "<h2>Differences that matter</h2>\n"
        body += HTMLText.facts(Self.differences)
        return HTMLText.page(title: "Honari study", body: body)
    }
}

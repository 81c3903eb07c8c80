/// Human-readable views of a ``RunResult``: a plain-text summary for the terminal and a Markdown `report.md`.
/// Both are pure functions of the result, so the same result always renders to the same text.
public enum RunReport {
    /// The definitions of what a run reports, in one paragraph (design brief, section 7).
    public static let definitionsParagraph = """
        All figures cover the measurement window only: transactions whose scheduled send time falls after \
        warm-up and before cool-down. *Offered* is the scheduled rate, *achieved* the rate of transactions \
        actually handed to a gateway validator, *committed* the rate of those that reached local commit, each \
        in total and per region. Latency runs from the **scheduled** send time (not the actual one, so a stalled \
        ledger or generator cannot hide its delay) to local commit, reported as p50, p90, p99, p99.9 and max in \
        milliseconds from an HDR histogram with 0.1 % resolution. Every offered transaction ends in exactly one \
        bucket: committed, rejected (with its reason), dropped (busy) or timed out; the counts add up to the \
        offered count. A rate is sustainable under an SLO when achieved >= 99 % of offered, failures (rejected, \
        dropped, timed out) <= 0.1 % of offered and the chosen latency percentile is within its target.
        """

    /// The terminal summary: run header, throughput, latency, outcomes, rejection reasons, nodes.
    public static func terminalSummary(_ result: RunResult) -> String {
        var sections: [String] = []
        var header = ["GridLedger run: \(result.topology.name) (\(result.topology.file))"]
        header.append(
            "seed \(result.seed), \(result.runtime.rawValue), CPU \(result.cpuMode.rawValue); "
                + windowText(result.windowSeconds))
        if result.runtime == .simulator {
            header.append(
                "simulated \(NumberText.fixed(result.simulation.virtualSeconds, decimals: 3)) s virtual, "
                    + "\(result.simulation.eventsProcessed) events")
        }
        if let wallClock = result.wallClock, result.runtime == .live {
            header.append(
                "wall clock \(NumberText.fixed(wallClock.elapsedSeconds, decimals: 1)) s, "
                    + "\(result.simulation.eventsProcessed) node inputs, commit \(wallClock.gitCommit), \(wallClock.machine)"
            )
        } else if let wallClock = result.wallClock {
            header.append(
                "wall clock \(NumberText.fixed(wallClock.elapsedSeconds, decimals: 1)) s "
                    + "(\(NumberText.fixed(wallClock.virtualSecondsPerWallSecond, decimals: 2))x), "
                    + "commit \(wallClock.gitCommit), \(wallClock.machine)")
        }
        sections.append(header.map(TextTable.terminalSafe).joined(separator: "\n"))
        sections.append(throughputTable(result).plainText())
        sections.append(latencyTable(result).plainText())
        sections.append(outcomesTable(result).plainText())
        if let reasons = reasonsTable(result) { sections.append(reasons.plainText()) }
        if let nodes = nodesTable(result) { sections.append(nodes.plainText()) }
        if let losses = lossesTable(result) { sections.append(losses.plainText()) }
        if let faults = leaderFaultsTable(result) { sections.append(faults.plainText()) }
        sections += workloadTables(result).map { $0.plainText() }
        sections += globalTables(result).map { $0.plainText() }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// `report.md`: run header, the same tables, the definitions, and how to reproduce the run.
    ///
    /// - Parameter reproduceCommand: The exact command line that produced the run, if the caller has it. Without
    ///   it the report names the topology file, seed and CPU mode instead.
    public static func markdown(_ result: RunResult, reproduceCommand: String? = nil) -> String {
        let safe = TextTable.markdownSafe
        var lines: [String] = ["# GridLedger run: \(safe(result.topology.name))", ""]
        var facts = TextTable(header: ["Run", ""], labelColumns: 2)
        facts.append(["Topology", "\(result.topology.name) (\(result.topology.file))"])
        facts.append(["Seed", "\(result.seed)"])
        facts.append(["Runtime", "\(result.runtime.rawValue), CPU \(result.cpuMode.rawValue)"])
        facts.append(["Window", windowText(result.windowSeconds)])
        if result.runtime == .simulator {
            facts.append([
                "Simulated",
                "\(NumberText.fixed(result.simulation.virtualSeconds, decimals: 3)) s virtual, "
                    + "\(result.simulation.eventsProcessed) events",
            ])
        } else {
            facts.append(["Node inputs", "\(result.simulation.eventsProcessed) handled by all nodes"])
        }
        if let wallClock = result.wallClock {
            facts.append(["Started", wallClock.startedAt])
            facts.append([
                "Wall clock",
                "\(NumberText.fixed(wallClock.elapsedSeconds, decimals: 1)) s "
                    + "(\(NumberText.fixed(wallClock.virtualSecondsPerWallSecond, decimals: 2)) virtual s per s)",
            ])
            facts.append(["Machine", wallClock.machine])
            facts.append(["Commit", wallClock.gitCommit])
        }
        facts.append(["Schema", "result.json version \(result.schemaVersion)"])
        lines += [facts.markdown(), ""]
        lines += ["## Throughput", "", throughputTable(result).markdown(), ""]
        lines += ["## Latency", "", latencyTable(result).markdown(), ""]
        lines += ["## Outcomes", "", outcomesTable(result).markdown(), ""]
        if let reasons = reasonsTable(result) { lines += ["## Rejections by reason", "", reasons.markdown(), ""] }
        if let nodes = nodesTable(result) { lines += ["## Nodes", "", nodes.markdown(), ""] }
        if let losses = lossesTable(result) { lines += ["## Dropped", "", losses.markdown(), ""] }
        if let faults = leaderFaultsTable(result) { lines += ["## Leader faults", "", faults.markdown(), ""] }
        if let overTime = timeSeriesTable(result) { lines += ["## Over time", "", overTime.markdown(), ""] }
        let workload = workloadTables(result)
        if !workload.isEmpty {
            lines += ["## Workload outcome", ""]
            for table in workload { lines += [table.markdown(), ""] }
        }
        let global = globalTables(result)
        if !global.isEmpty {
            lines += ["## Global layer", ""]
            for table in global { lines += [table.markdown(), ""] }
        }
        lines += ["## Definitions", "", definitionsParagraph, ""]
        lines += ["## Reproduce", ""]
        if let reproduceCommand {
            // A fence longer than any backtick run inside the command keeps the block closed.
            let fence = String(repeating: "`", count: max(3, longestBacktickRun(reproduceCommand) + 1))
            lines += [fence + "sh", TextTable.terminalSafe(reproduceCommand), fence]
        } else {
            lines.append(
                "Run the topology file \(safe(result.topology.file)) with seed \(result.seed) in "
                    + "\(result.cpuMode.rawValue) CPU mode; in model mode the result is identical apart from wallClock."
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Tables shared by both renderers

    static func throughputTable(_ result: RunResult) -> TextTable {
        var table = TextTable(header: ["throughput (tx/s)", "offered", "achieved", "committed"])
        table.append([
            "total", tps(result.offeredTps), tps(result.achievedTps), tps(result.committedTps),
        ])
        for region in result.regions.sorted(by: { $0.name < $1.name }) {
            table.append([
                region.name, tps(region.offeredTps), tps(region.achievedTps), tps(region.committedTps),
            ])
        }
        return table
    }

    static func latencyTable(_ result: RunResult) -> TextTable {
        var table = TextTable(header: ["latency (ms)"] + LatencyPercentile.allCases.map(\.label) + ["count"])
        // localCommit first, the later kinds after it by name.
        func rank(_ kind: String) -> Int { kind == LatencyKind.localCommit.rawValue ? 0 : 1 }
        let kinds = result.latencyMillis.keys.sorted { (rank($0), $0) < (rank($1), $1) }
        for kind in kinds {
            guard let summary = result.latencyMillis[kind] else { continue }
            let values = LatencyPercentile.allCases.map { percentile in
                summary.count == 0 ? "-" : NumberText.fixed(summary.value(at: percentile), decimals: 3)
            }
            table.append([kind] + values + ["\(summary.count)"])
        }
        return table
    }

    static func outcomesTable(_ result: RunResult) -> TextTable {
        let counts = result.counts
        var table = TextTable(header: ["outcome", "count", "of offered"])
        let rows: [(String, UInt64)] = [
            ("offered", counts.offered), ("sent", counts.sent), ("committed", counts.committed),
            ("rejected", counts.rejected), ("dropped (busy)", counts.dropped), ("timed out", counts.timedOut),
        ]
        for (label, count) in rows {
            table.append([label, "\(count)", NumberText.percent(count, of: counts.offered)])
        }
        return table
    }

    static func reasonsTable(_ result: RunResult) -> TextTable? {
        guard !result.rejectReasons.isEmpty else { return nil }
        var table = TextTable(header: ["rejection reason", "count", "of offered"])
        let sorted = result.rejectReasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        for (reason, count) in sorted {
            table.append([reason, "\(count)", NumberText.percent(count, of: result.counts.offered)])
        }
        return table
    }

    static func nodesTable(_ result: RunResult) -> TextTable? {
        guard !result.nodes.isEmpty else { return nil }
        // Only when some node has the figure (live, or a simulated shared host), so other reports keep their shape.
        let waits = result.nodes.contains { $0.consensusWaitSeconds != nil }
        var header = [
            "node", "region", "cpu %", "queue peak", "sent MiB", "LMDB MiB", "height", "view changes", "frames lost",
            "dropped",
        ]
        if waits { header.append("waited for a core s") }
        var table = TextTable(header: header, labelColumns: 2)
        for node in result.nodes.sorted(by: { ($0.id, $0.region) < ($1.id, $1.region) }) {
            var row = [
                node.id, node.region, NumberText.fixed(node.cpuUtilization * 100, decimals: 2), "\(node.queuePeak)",
                NumberText.mebibytes(node.bytesSent), node.lmdbBytesWritten.map(NumberText.mebibytes) ?? "n/a",
                "\(node.committedHeight)", "\(node.viewChanges)", "\(node.framesLost)",
                "\(node.inboxOverflows + node.losses.values.reduce(0, +))",
            ]
            if waits { row.append(node.consensusWaitSeconds.map { NumberText.fixed($0, decimals: 3) } ?? "-") }
            table.append(row)
        }
        return table
    }

    /// Whom each `REGION/leader` fault hit, so a reader can check that the fault hit the leader.
    static func leaderFaultsTable(_ result: RunResult) -> TextTable? {
        guard let faults = result.leaderFaults, !faults.isEmpty else { return nil }
        var table = TextTable(header: ["leader fault at s", "fault", "hit", "round", "awaited by"])
        for fault in faults {
            table.append([
                NumberText.fixed(fault.atSeconds, decimals: 3), fault.fault, fault.node, "\(fault.round)",
                "\(fault.awaitedBy) of \(fault.liveNodes) live",
            ])
        }
        return table
    }

    /// What nodes dropped, by reason, summed over nodes: every loss is counted somewhere.
    static func lossesTable(_ result: RunResult) -> TextTable? {
        var totals: [String: UInt64] = [:]
        for node in result.nodes {
            for (reason, count) in node.losses { totals[reason, default: 0] += count }
            if node.inboxOverflows > 0 { totals["inbox-full", default: 0] += node.inboxOverflows }
            if node.framesLost > 0 { totals["frames lost on links", default: 0] += node.framesLost }
        }
        guard !totals.isEmpty else { return nil }
        var table = TextTable(header: ["dropped by nodes or links", "count"])
        for (reason, count) in totals.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            table.append([reason, "\(count)"])
        }
        return table
    }

    /// What the grid contracts achieved: voltage with control against the no-control baseline, auction energy
    /// and cost per participant class against grid-only supply.
    static func workloadTables(_ result: RunResult) -> [TextTable] {
        var tables: [TextTable] = []
        if let voltage = result.workload?.voltage {
            var table = TextTable(header: ["voltage control", "with control", "baseline (no set-points)"])
            let volts = { (value: Double) in NumberText.fixed(value, decimals: 4) }
            table.append([
                "weakest voltage (p.u., measured window)",
                "\(volts(voltage.weakestVoltagePU)) at bus \(voltage.weakestBus)",
                "\(volts(voltage.weakestVoltageBaselinePU)) at bus \(voltage.weakestBusBaseline)",
            ])
            table.append([
                "weakest voltage, last period (p.u.)", volts(voltage.finalWeakestVoltagePU),
                volts(voltage.finalWeakestVoltageBaselinePU),
            ])
            table.append([
                "periods below 0.95 p.u.", "\(voltage.periodsBelowBand) of \(voltage.periods)",
                "\(voltage.periodsBelowBandBaseline) of \(voltage.periods)",
            ])
            table.append([
                "dispatches committed / sent",
                voltage.control ? "\(voltage.dispatchesCommitted) / \(voltage.dispatchesSent)" : "control off", "-",
            ])
            table.append(["reports sent", "\(voltage.reportsSent)", "-"])
            table.append([
                "set-points (changes; devices, kVAr at end)",
                "\(voltage.setpointChanges); \(voltage.devicesWithSetpoint), "
                    + NumberText.fixed(voltage.reactiveSetpointKVAr, decimals: 1),
                "-",
            ])
            tables.append(table)
            if let registry = voltage.registry {
                var decisions = TextTable(header: ["voltage registry on \(registry.region) (whole run)", "value"])
                decisions.append(["headroom updates accepted", "\(registry.updates)"])
                decisions.append([
                    "searches: helper found / none with headroom",
                    "\(registry.searches): \(registry.matched) / \(registry.unmatched)",
                ])
                decisions.append(["merges / splits", "\(registry.merges) / \(registry.splits)"])
                decisions.append([
                    "merged at the end",
                    registry.mergedAtEnd.isEmpty ? "none" : registry.mergedAtEnd.joined(separator: ", "),
                ])
                tables.append(decisions)
            }
        }
        if let auction = result.workload?.auction {
            var energy = TextTable(header: ["energy auction (\(auction.clearingRule))", "value"])
            energy.append(["intervals cleared", "\(auction.intervalsCleared)"])
            energy.append(["bids sent", "\(auction.bidsSent)"])
            energy.append(["peer to peer (kWh)", NumberText.fixed(auction.peerToPeerKWh, decimals: 3)])
            energy.append(["from the grid (kWh)", NumberText.fixed(auction.fromGridKWh, decimals: 3)])
            energy.append(["fed in (kWh)", NumberText.fixed(auction.feedInKWh, decimals: 3)])
            energy.append(["money not conserved (micro-units)", "\(auction.balanceResidualMicros)"])
            tables.append(energy)
            var costs = TextTable(header: ["average net cost per participant", "participants", "auction", "grid only"])
            for entry in auction.classes {
                costs.append([
                    entry.participantClass, "\(entry.participants)", NumberText.fixed(entry.averageCost, decimals: 4),
                    NumberText.fixed(entry.averageCostGridOnly, decimals: 4),
                ])
            }
            tables.append(costs)
        }
        return tables
    }

    /// The global layer: checkpoints, committee load, finality per region, cross-region messages, refusals.
    static func globalTables(_ result: RunResult) -> [TextTable] {
        guard let global = result.global else { return [] }
        func fixed(_ value: Double, _ decimals: Int) -> String { NumberText.fixed(value, decimals: decimals) }
        var summary = TextTable(header: ["global layer", "value"])
        summary.append(["committee members", "\(global.committeeSize)"])
        summary.append(["checkpoints committed", "\(global.checkpoints)"])
        let interval = global.checkpointIntervalMillis
        summary.append([
            "checkpoint interval (ms, window) p50 / p99 / max",
            "\(fixed(interval.p50, 3)) / \(fixed(interval.p99, 3)) / \(fixed(interval.max, 3))",
        ])
        summary.append([
            "entries per checkpoint mean / max",
            "\(fixed(global.checkpointEntries.mean, 2)) / \(fixed(global.checkpointEntries.max, 0))",
        ])
        summary.append([
            "checkpoint payload bytes mean / max",
            "\(fixed(global.checkpointBytes.mean, 0)) / \(fixed(global.checkpointBytes.max, 0))",
        ])
        summary.append([
            "committee CPU % mean / max",
            "\(fixed(global.committeeCpuUtilization.mean * 100, 2)) / \(fixed(global.committeeCpuUtilization.max * 100, 2))",
        ])
        summary.append(["globally final (tx/s, window)", tps(global.globalFinalTps)])
        let cross = global.crossRegion
        summary.append([
            "cross-region messages committed / applied / unapplied at end",
            "\(cross.committed) / \(cross.applied) / \(cross.unappliedAtEnd)",
        ])
        summary.append(["relay transactions sent", "\(cross.relaysSent)"])
        summary.append([
            "region entries sent / checkpoint requests", "\(global.entriesSent) / \(global.checkpointRequests)",
        ])
        var tables = [summary]
        var regions = TextTable(header: ["region", "committed height", "final height", "globally final tx/s"])
        for region in global.regions {
            regions.append([
                region.name, "\(region.committedHeight)", "\(region.finalizedHeight)", tps(region.globalFinalTps),
            ])
        }
        tables.append(regions)
        let refusals =
            global.entryRejections.map { ("entry: \($0.key)", $0.value) }
            + cross.relayFailures.map { ("relay: \($0.key)", $0.value) }
        if !refusals.isEmpty {
            var table = TextTable(header: ["global refusals", "count"])
            for (reason, count) in refusals.sorted(by: { $0.0 < $1.0 }) { table.append([reason, "\(count)"]) }
            tables.append(table)
        }
        return tables
    }

    private static func tps(_ value: Double) -> String { NumberText.fixed(value, decimals: 1) }

    private static func windowText(_ window: RunResult.WindowSeconds) -> String {
        "warm-up \(NumberText.fixed(window.warmup, decimals: 3)) s, "
            + "measured \(NumberText.fixed(window.measured, decimals: 3)) s, "
            + "cool-down \(NumberText.fixed(window.cooldown, decimals: 3)) s"
    }

    private static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0
        var current = 0
        for character in text {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}

/// One-line progress for a terminal while a run is simulated: virtual time, commits so far, current rate.
///
/// Sans-IO: the caller passes the virtual time and commit count and prints the line (e.g. after `\r`).
public struct ProgressLine: Sendable {
    private var previousVirtualNanos: UInt64?
    private var previousCommitted: UInt64 = 0

    public init() {}

    /// For example `t=   12.500 s  committed       12345  rate    987.6 tx/s`. Fixed widths keep the line from
    /// jumping when rewritten in place.
    public static func format(virtualNanos: UInt64, committedTotal: UInt64, currentTps: Double) -> String {
        let seconds = NumberText.fixed(Double(virtualNanos) / 1e9, decimals: 3)
        let committed = "\(committedTotal)"
        let rate = NumberText.fixed(currentTps, decimals: 1)
        return "t=\(pad(seconds, 9)) s  committed \(pad(committed, 11))  rate \(pad(rate, 10)) tx/s"
    }

    /// The line for now, with the commit rate since the previous call (0 on the first call or if virtual time
    /// did not advance).
    public mutating func update(virtualNanos: UInt64, committedTotal: UInt64) -> String {
        var tps = 0.0
        if let previousVirtualNanos, virtualNanos > previousVirtualNanos, committedTotal >= previousCommitted {
            tps = Double(committedTotal - previousCommitted) / (Double(virtualNanos - previousVirtualNanos) / 1e9)
        }
        previousVirtualNanos = virtualNanos
        previousCommitted = committedTotal
        return Self.format(virtualNanos: virtualNanos, committedTotal: committedTotal, currentTps: tps)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

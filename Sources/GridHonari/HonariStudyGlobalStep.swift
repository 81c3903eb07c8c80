import Foundation
import GridLoad

/// The global step in the report: for every run with a global committee (and the stress experiment's unsharded run
/// beside it), how many cross-region messages the groups and the registry sent, how many the committee delivered
/// and the receivers applied, what the registry decided, and how long global finality took; and per group, the
/// lowest voltage and index.
extension HonariStudyResult {
    /// The runs the global-step table lists: the sweep's sharded runs, then both layouts of the stress experiment.
    var globalStepRuns: [(experiment: String, run: HonariStudyRun)] {
        let sweep: [(experiment: String, run: HonariStudyRun)] = runs.filter { $0.shards > 1 }.map { ("sweep", $0) }
        let stress: [(experiment: String, run: HonariStudyRun)] = stressRuns.map { ("stress", $0) }
        return sweep + stress
    }

    public var globalStepHeader: [String] {
        [
            "experiment", "rate tx/s", "demand x", "layout", "committed tx/s", "local p50 ms", "local p99 ms",
            "messages sent", "delivered", "applied", "refused by receiver", "registry searches", "matched",
            "merges", "splits", "global finality p50 ms", "global finality p99 ms", "message p50 ms",
            "message p99 ms", "power flow diverged", "min V p.u.", "min VSI",
        ]
    }

    public var globalStepRows: [[String]] {
        globalStepRuns.map { experiment, run in
            let cross = run.crossRegion
            let global = run.result.latency(.globalFinality)
            let request = run.result.latency(.crossRegion)
            let hasRequests = (request?.count ?? 0) > 0
            let sent: String = cross?.sent.map { String($0) } ?? "-"
            let delivered: String = cross.map { String($0.committed) } ?? "-"
            let applied: String = cross.map { String($0.applied) } ?? "-"
            let refused: String = cross?.callsFailed.map { String($0) } ?? "-"
            let diverged: String = run.voltage?.powerFlowFailures.map { String($0) } ?? "-"
            var row: [String] = [experiment, Self.format(run.rateTps), Self.formatScale(run.loadScale)]
            row += [Self.layoutName(run.shards), String(format: "%.1f", run.committedTps)]
            row += [Self.millis(run.latency?.p50), Self.millis(run.latency?.p99), sent, delivered, applied, refused]
            let registry = run.voltage?.registry
            row += [registry?.searches, registry?.matched, registry?.merges, registry?.splits].map {
                $0.map { String($0) } ?? "-"
            }
            row += [global.map { Self.millis($0.p50) } ?? "-", global.map { Self.millis($0.p99) } ?? "-"]
            row += [hasRequests ? Self.millis(request?.p50) : "-", hasRequests ? Self.millis(request?.p99) : "-"]
            row += [diverged, Self.fixed(run.lowestVoltagePU, 3)]
            row += [Self.fixed(run.voltage?.lowestStabilityIndex, 3)]
            return row
        }
    }

    /// The runs the per-group table lists: the sweep's runs at the stress rate (nominal demand, for contrast; the
    /// first rate when the sweep does not have it) and the stress experiment's.
    var groupRuns: [(experiment: String, run: HonariStudyRun)] {
        let firstRate: Double = rates.first ?? 0
        let stressRate: Double = options.stress?.rateTps ?? firstRate
        let sweepRate: Double = runs.contains { $0.rateTps == stressRate } ? stressRate : firstRate
        let sweep: [(experiment: String, run: HonariStudyRun)] = runs.filter { $0.rateTps == sweepRate }.map {
            ("sweep", $0)
        }
        let stress: [(experiment: String, run: HonariStudyRun)] = stressRuns.map { ("stress", $0) }
        return sweep + stress
    }

    public var groupHeader: [String] {
        [
            "experiment", "demand x", "layout", "region", "VSI threshold", "min V p.u.", "at bus", "min VSI", "at bus",
            "messages sent",
        ]
    }

    public var groupRows: [[String]] {
        var rows: [[String]] = []
        for (experiment, run) in groupRuns {
            var sent: [String: UInt64] = [:]
            for region in run.result.global?.regions ?? [] { sent[region.name] = region.messagesSent }
            for region in run.voltage?.regions ?? [] {
                let voltageBus: String = region.lowestVoltageBus.map { String($0) } ?? "-"
                let indexBus: String = region.lowestStabilityIndexBus.map { String($0) } ?? "-"
                let requests: String = sent[region.region].map { String($0) } ?? "-"
                rows.append([
                    experiment, Self.formatScale(run.loadScale), Self.layoutName(run.shards), region.region,
                    run.shards == 1 ? "per group" : Self.fixed(region.vsiThreshold, 3),
                    Self.fixed(region.lowestVoltagePU, 3), voltageBus,
                    Self.fixed(region.lowestStabilityIndex, 3), indexBus, requests,
                ])
            }
        }
        return rows
    }

    /// One line per stress run: did the global step fire, and what it cost.
    public func globalStepLines() -> [String] {
        var lines: [String] = []
        let sweepSent = runs.compactMap { $0.crossRegion?.sent }.reduce(0, +)
        let sweepScale = Self.formatScale(options.loadScale)
        lines.append(
            "sweep (\(sweepScale) x nominal demand): cross-region messages sent in all sharded runs: \(sweepSent)"
                + " (searches for help: \(runs.compactMap { $0.voltage?.registry?.searches }.reduce(0, +)))")
        for run in stressRuns {
            let voltage = run.voltage
            let failures = voltage?.powerFlowFailures ?? 0
            var line =
                "stress (\(Self.formatScale(run.loadScale)) x demand, \(Self.format(run.rateTps)) tx/s), "
                + "\(Self.layoutName(run.shards)): min V \(Self.fixed(run.lowestVoltagePU, 3)) p.u., "
                + "min VSI \(Self.fixed(voltage?.lowestStabilityIndex, 3))"
                + (failures > 0 ? ", power flow diverged in \(failures) periods" : "")
            if let cross = run.crossRegion {
                let global = run.result.latency(.globalFinality)
                line +=
                    "; cross-region messages sent \(cross.sent.map(String.init) ?? "-"), delivered by the committee "
                    + "\(cross.committed), applied by the receivers \(cross.applied) "
                    + "(refused \(cross.callsFailed ?? 0))"
                    + "; global finality p50 \(Self.millis(global?.p50)) ms, p99 \(Self.millis(global?.p99)) ms"
            }
            if let registry = voltage?.registry {
                line +=
                    "; registry on \(registry.region): \(registry.updates) headroom updates, \(registry.searches) "
                    + "searches (\(registry.matched) matched, \(registry.unmatched) with no adjacent group left), "
                    + "merges \(registry.merges), splits \(registry.splits), merged at the end: "
                    + (registry.mergedAtEnd.isEmpty ? "none" : registry.mergedAtEnd.joined(separator: ", "))
            }
            lines.append(line)
        }
        return lines
    }

    static func layoutName(_ shards: Int) -> String { shards == 1 ? "unsharded" : "\(shards) shards" }
}

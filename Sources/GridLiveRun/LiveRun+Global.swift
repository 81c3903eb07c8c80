import Foundation
import GridLedger
import GridLive
import GridLoad
import GridLoadGenerator
import GridTopology

extension LiveRunOutcome {
    /// The result's `global` section from the nodes' metrics files and what the clients heard, with the simulator's
    /// definitions where a live run can measure them (docs/result-schema.md says where they differ):
    /// - checkpoints: the union of the members' checkpoint logs by height, each at the first member's commit (a
    ///   member that was killed leaves no log; the others cover it);
    /// - a region's heights and message counts: its validator that committed the most (counts are per process, so a
    ///   region whose every validator restarted counts only what they committed since);
    /// - global finality: the gateways' `.finalized` notices as the clients heard them;
    /// - `unappliedAtEnd`: messages the checkpoints ordered minus those the destination chains applied;
    /// - `entryRejections`: summed over the members' final figures (a member killed and restarted counts from its
    ///   restart).
    /// Nil without a committee.
    public func globalOutcome(topology: Topology) -> RunResult.GlobalOutcome? {
        guard let settings = topology.global else { return nil }
        let members = nodes.filter { $0.name.hasPrefix("global/") }
        var checkpointsByHeight: [UInt64: CheckpointRecord] = [:]
        var entryRejections: [String: UInt64] = [:]
        for member in members {
            guard let global = member.figures?.global else { continue }
            for record in global.checkpoints ?? [] {
                if let known = checkpointsByHeight[record.height],
                    known.committedAtUnixNanos <= record.committedAtUnixNanos
                {
                    continue
                }
                checkpointsByHeight[record.height] = record
            }
            for (code, count) in global.entryRejections { entryRejections[code, default: 0] += count }
            // As the simulator counts them: resends under `resend-*`, and entries above a gap the buffer had no room for.
            for (code, count) in global.entrySubmissions ?? [:]
            where code == "duplicate" || code == "stale" || code == "gap-buffer-full" {
                entryRejections[code == "gap-buffer-full" ? code : "resend-\(code)", default: 0] += UInt64(
                    max(0, count))
            }
        }
        let checkpoints = checkpointsByHeight.keys.sorted().compactMap { checkpointsByHeight[$0] }
        let windowStart = load.generator.startedAtUnixNanos + load.window.measuredStartNanos
        let windowEnd = load.generator.startedAtUnixNanos + load.window.measuredEndNanos
        var intervals: [Double] = []
        for index in checkpoints.indices.dropFirst() {
            let at = checkpoints[index].committedAtUnixNanos
            guard at >= windowStart, at < windowEnd else { continue }
            let previous = checkpoints[index - 1].committedAtUnixNanos
            intervals.append(Double(at >= previous ? at - previous : 0) / 1e6)
        }
        let utilizations = members.map { member -> Double in
            if let window = runQueue.first(where: { $0.name == member.name }), window.windowSeconds > 0 {
                return window.onCPUSeconds / window.windowSeconds / Double(cores)
            }
            guard let figures = member.figures, figures.uptimeSeconds > 0 else { return 0 }
            return figures.cpuSeconds / figures.uptimeSeconds / Double(cores)
        }
        let measuredSeconds = load.window.measuredSeconds
        let finalInWindow = load.globalFinality?.finalInWindowByRegion ?? []
        var relayFailures: [String: UInt64] = [:]
        var relaysSent: UInt64 = 0
        var entriesSent: UInt64 = 0
        var checkpointRequests: UInt64 = 0
        var callsFailed: UInt64 = 0
        var regions: [RunResult.GlobalRegionResult] = []
        for (index, region) in topology.regions.enumerated() {
            let validators = nodes.filter { $0.name.hasPrefix(region.name + "/") }.compactMap(\.figures)
            for figures in validators {
                relaysSent += figures.global?.relaysSent ?? 0
                entriesSent += figures.global?.entriesSent ?? 0
                checkpointRequests += figures.global?.checkpointRequests ?? 0
            }
            let furthest = validators.max {
                ($0.committedHeight, $0.uptimeSeconds) < ($1.committedHeight, $1.uptimeSeconds)
            }
            let global = furthest?.global ?? LiveGlobalFigures()
            callsFailed += global.callsFailed
            for (code, count) in global.relayFailures { relayFailures[code, default: 0] += count }
            let final = index < finalInWindow.count ? finalInWindow[index] : 0
            regions.append(
                RunResult.GlobalRegionResult(
                    name: region.name, committedHeight: validators.map(\.committedHeight).max() ?? 0,
                    finalizedHeight: validators.map(\.finalizedHeight).max() ?? 0,
                    globalFinalTps: Double(final) / measuredSeconds, messagesSent: global.messagesSent,
                    messagesApplied: global.messagesApplied))
        }
        let committed = checkpoints.reduce(0) { $0 + UInt64($1.messagesCommitted) }
        let applied = regions.reduce(0) { $0 + ($1.messagesApplied ?? 0) }
        return RunResult.GlobalOutcome(
            committeeSize: settings.validators,
            checkpoints: UInt64(checkpoints.count),
            checkpointIntervalMillis: .init(intervals),
            checkpointEntries: .init(checkpoints.map { Double($0.entries) }),
            checkpointBytes: .init(checkpoints.map { Double($0.payloadBytes) }),
            committeeCpuUtilization: .init(utilizations),
            globalFinalTps: Double(finalInWindow.reduce(0, +)) / measuredSeconds,
            regions: regions,
            crossRegion: RunResult.CrossRegionCounts(
                committed: committed, applied: applied, unappliedAtEnd: committed > applied ? committed - applied : 0,
                undeliverable: checkpoints.reduce(0) { $0 + UInt64($1.undeliverable) }, relaysSent: relaysSent,
                relayFailures: relayFailures, sent: regions.reduce(0) { $0 + ($1.messagesSent ?? 0) },
                callsFailed: callsFailed),
            entryRejections: entryRejections,
            entriesSent: entriesSent,
            checkpointRequests: checkpointRequests)
    }

    /// `latencyMillis.crossRegion` with the simulator's definition: the scheduled time of the operation that sent a
    /// message (the earliest agent transaction in its source block) to the first commit at its destination region
    /// that applied it, one value per applied message whose operation was scheduled in the measured window. The
    /// origins are the generator's (`LoadReport.operationOrigins`), the commits the destination validators' applied
    /// logs (written at a clean stop; a validator killed and not restarted leaves none, its peers cover it). Both
    /// clocks are this machine's wall clock. Nil when no such message was applied.
    public func crossRegionLatency(topology: Topology) -> LatencySummary? {
        guard topology.global != nil, let origins = load.operationOrigins, !origins.isEmpty else { return nil }
        var originAt: [LoadReport.OperationOrigin.Key: UInt64] = [:]
        for origin in origins {
            originAt[.init(region: origin.region, height: origin.height)] = origin.scheduledUnixNanos
        }
        struct Applied: Hashable {
            var destination: Int
            var source: RegionID
            var sequence: UInt64
        }
        var first: [Applied: (atUnixNanos: UInt64, sourceHeight: UInt64)] = [:]
        for (index, region) in topology.regions.enumerated() {
            for node in nodes where node.name.hasPrefix(region.name + "/") {
                for record in node.figures?.global?.applied ?? [] {
                    let key = Applied(
                        destination: index, source: record.message.sourceRegion,
                        sequence: record.message.destinationSequence)
                    if let known = first[key], known.atUnixNanos <= record.appliedAtUnixNanos { continue }
                    first[key] = (record.appliedAtUnixNanos, record.message.sourceHeight)
                }
            }
        }
        let start = load.generator.startedAtUnixNanos
        var histogram = LatencyHistogram.makeEmpty()
        for (key, applied) in first {
            guard let origin = originAt[.init(region: Int(key.source), height: applied.sourceHeight)], origin >= start,
                load.window.phase(ofScheduledNanos: origin - start) == .measured
            else { continue }
            // One machine's clock on both sides; a commit cannot precede its operation, so a negative difference is
            // clock resolution and counts as 0.
            let nanos = applied.atUnixNanos > origin ? applied.atUnixNanos - origin : 0
            _ = histogram.record(OutcomeRecorder.micros(roundingUp: nanos))
        }
        guard histogram.totalCount > 0 else { return nil }
        return LatencyHistogram(histogram).summary
    }
}

import Foundation

/// What one probe of a capacity search ran and found, with the probe's full result for the analysis.
public struct CapacityProbeRun: Sendable {
    public var probe: CapacityProbe
    public var result: RunResult

    public init(probe: CapacityProbe, result: RunResult) {
        self.probe = probe
        self.result = result
    }
}

extension CapacityProbe {
    /// The probe's figures from its run's result, judged by `slo` on latency `kind`.
    public init(
        phase: CapacitySearch.Phase, result: RunResult, slo: SLOSpecification, kind: LatencyKind,
        resultDirectory: String
    ) {
        let evaluation = evaluateSLO(
            result, latencyPercentile: slo.percentile, targetMillis: slo.targetMillis, kind: kind)
        var failed: [String] = []
        if !evaluation.achievedRateMet { failed.append("achieved") }
        if !evaluation.failureRateMet { failed.append("failures") }
        if !evaluation.latencyMet { failed.append("latency") }
        let summary = result.latency(kind)
        let counts = result.counts
        let busiest = result.nodes.max { ($0.cpuUtilization, $1.id) < ($1.cpuUtilization, $0.id) }
        self.init(
            phase: phase.rawValue, offeredTps: result.offeredTps, achievedTps: result.achievedTps,
            committedTps: result.committedTps,
            latencyMillis: summary.map { $0.count > 0 ? $0.value(at: slo.percentile) : 0 } ?? 0,
            p50Millis: summary?.p50 ?? 0, p99Millis: summary?.p99 ?? 0,
            failureShare: counts.offered > 0 ? Double(counts.failed) / Double(counts.offered) : 0,
            meetsSLO: evaluation.meetsSLO, failed: failed, busiestNode: busiest?.id ?? "-",
            busiestNodeCPU: busiest?.cpuUtilization ?? 0, queuePeakMax: result.nodes.map(\.queuePeak).max() ?? 0,
            resultDirectory: resultDirectory)
    }
}

/// Turns a finished search and its probes into the ``CapacityResult``: the knee, what limited the rate, the
/// recommended operating point and the sentence for the planner.
public enum CapacityAnalysis {
    /// CPU utilisation at or above which a node counts as the limit.
    public static let cpuSaturated = 0.9
    /// Latency elasticity (d ln latency / d ln rate) above which the curve has bent: latency grows more than
    /// the square of the load.
    public static let kneeElasticity = 2.0

    public static func result(
        search: CapacitySearch, runs: [CapacityProbeRun], topology: RunResult.TopologyReference,
        runtime: RunResult.Runtime, seed: UInt64, slo: SLOSpecification, kind: LatencyKind, headroom: Double
    ) -> CapacityResult {
        let sustainable = search.sustainableTps
        let mainRuns = runs.filter { $0.probe.phase != CapacitySearch.Phase.confirm.rawValue }
        let knee = kneeTps(mainRuns.map(\.probe))
        let limiting = runs.filter { !$0.probe.meetsSLO && $0.probe.offeredTps > sustainable }
            .min { $0.probe.offeredTps < $1.probe.offeredTps }
        let limitedBy: String
        switch search.ending {
        case .ceiling?:
            limitedBy = "nothing within the search's ceiling of \(format(search.configuration.maxTps)) tx/s"
        default:
            limitedBy = limiting.map { describeLimit($0, slo: slo, kind: kind) } ?? "unknown (no failing probe)"
        }
        let recommended = sustainable * (1 - headroom)
        let unit = "tx/s"
        let recommendation: String
        switch search.ending {
        case .found?:
            recommendation =
                "Run \(topology.name) at up to \(format(recommended)) \(unit): it sustains \(format(sustainable)) "
                + "\(unit) within \(slo.text) (\(kind.rawValue)) and a run \(percent(search.configuration.edgeMargin)) "
                + "above that does not; the \(percent(headroom)) headroom absorbs bursts."
        case .noneMet?:
            recommendation =
                "\(topology.name) does not meet \(slo.text) (\(kind.rawValue)) even at "
                + "\(format(search.configuration.minTps)) \(unit): change the deployment, not the load."
        case .ceiling?:
            recommendation =
                "\(topology.name) met \(slo.text) at the search's ceiling of \(format(sustainable)) \(unit); plan "
                + "for up to \(format(recommended)) \(unit) and raise the ceiling to find the real limit."
        case .budget?, nil:
            recommendation =
                "The search stopped after \(search.steps.count) probes without settling; \(format(sustainable)) "
                + "\(unit) met \(slo.text), so plan for at most \(format(recommended)) \(unit)."
        }
        return CapacityResult(
            topology: topology, runtime: runtime, seed: seed, slo: slo.text, latencyKind: kind.rawValue,
            resolution: search.configuration.resolution, sustainableTps: sustainable, kneeTps: knee,
            recommendedTps: recommended, headroom: headroom, limitedBy: limitedBy, recommendation: recommendation,
            probes: runs.map(\.probe))
    }

    /// The knee of the latency-versus-rate curve: the offered rate of the first probe after which the SLO's latency
    /// grows with an elasticity above ``kneeElasticity`` (or a criterion other than latency fails), over probes
    /// sorted by offered rate. nil when the curve never bends within the probes.
    public static func kneeTps(_ probes: [CapacityProbe]) -> Double? {
        let sorted = probes.filter { $0.offeredTps > 0 }.sorted { $0.offeredTps < $1.offeredTps }
        guard sorted.count >= 2 else { return nil }
        for (before, after) in zip(sorted, sorted.dropFirst()) where after.offeredTps > before.offeredTps {
            if after.failed.contains("achieved") || after.failed.contains("failures") { return before.offeredTps }
            guard before.latencyMillis > 0, after.latencyMillis > 0 else { continue }
            let elasticity =
                log(after.latencyMillis / before.latencyMillis) / log(after.offeredTps / before.offeredTps)
            if elasticity > kneeElasticity { return before.offeredTps }
        }
        return nil
    }

    /// What the lowest failing probe above the answer ran into, in plain words.
    public static func describeLimit(_ run: CapacityProbeRun, slo: SLOSpecification, kind: LatencyKind) -> String {
        let result = run.result
        var reasons: [String] = []
        let saturated = result.nodes.filter { $0.cpuUtilization >= cpuSaturated }
            .sorted { ($1.cpuUtilization, $0.id) < ($0.cpuUtilization, $1.id) }
        if !saturated.isEmpty {
            let named = saturated.prefix(4).map { "\($0.id) at \(percent($0.cpuUtilization))" }
            reasons.append(
                "CPU of " + named.joined(separator: ", ")
                    + (saturated.count > 4 ? " and \(saturated.count - 4) more" : ""))
        }
        let overflows = result.nodes.map(\.inboxOverflows).reduce(0, +)
        if overflows > 0 {
            let worst = result.nodes.max { ($0.inboxOverflows, $1.id) < ($1.inboxOverflows, $0.id) }
            reasons.append("full inboxes (\(overflows) inputs refused, most at \(worst?.id ?? "-"))")
        } else if let deepest = result.nodes.max(by: { ($0.queuePeak, $1.id) < ($1.queuePeak, $0.id) }),
            deepest.queuePeak >= 1000
        {
            reasons.append("queueing (inbox of \(deepest.id) up to \(deepest.queuePeak))")
        }
        let counts = result.counts
        if counts.timedOut > 0 { reasons.append("\(counts.timedOut) timeouts") }
        if counts.dropped > 0 { reasons.append("\(counts.dropped) dropped as busy") }
        if counts.rejected > 0 {
            let top = result.rejectReasons.max { ($0.value, $1.key) < ($1.value, $0.key) }
            reasons.append("\(counts.rejected) rejections (mostly \(top?.key ?? "-"))")
        }
        let probe = run.probe
        let failed = probe.failed.joined(separator: ", ")
        let latency =
            "\(slo.percentile.label) \(kind.rawValue) \(format(probe.latencyMillis)) ms against \(format(slo.targetMillis)) ms"
        let head =
            "at \(format(probe.offeredTps)) tx/s offered (failed: \(failed.isEmpty ? "none" : failed); \(latency))"
        return reasons.isEmpty ? "latency alone " + head : reasons.joined(separator: "; ") + " " + head
    }

    /// Three significant figures at least, trailing zeros dropped, so a probe that missed a 100 ms target by
    /// 0.1 ms reads "100.1 ms against 100 ms", not "100 ms against 100 ms".
    static func format(_ value: Double) -> String {
        var text = value >= 1000 ? String(format: "%.0f", value) : String(format: "%.2f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    static func percent(_ share: Double) -> String { String(format: "%.0f %%", share * 100) }
}

/// Which parts of a service-level objective a run met (design brief, section 7): the run sustained its offered
/// rate when all three hold.
public struct SLOEvaluation: Hashable, Sendable {
    /// Achieved (sent) >= 99 % of offered.
    public var achievedRateMet: Bool
    /// Rejected + dropped + timed out <= 0.1 % of offered.
    public var failureRateMet: Bool
    /// The chosen latency percentile <= target (false when nothing committed).
    public var latencyMet: Bool

    public init(achievedRateMet: Bool, failureRateMet: Bool, latencyMet: Bool) {
        self.achievedRateMet = achievedRateMet
        self.failureRateMet = failureRateMet
        self.latencyMet = latencyMet
    }

    public var meetsSLO: Bool { achievedRateMet && failureRateMet && latencyMet }
}

/// The smallest achieved share of offered that still counts as sustaining it: 99 / 100.
let sloAchievedFraction = (numerator: UInt64(99), denominator: UInt64(100))
/// The largest failed share of offered that still counts as sustaining it: 1 / 1000.
let sloFailureFraction = (numerator: UInt64(1), denominator: UInt64(1000))

/// Evaluates the SLO on the measured-window counts and latency summary of `result`.
///
/// The ratios use exact integer counts, so the boundaries are exact: 990 of 1000 sent meets the achieved-rate
/// criterion, 989 does not; 1 failure in 1000 meets the failure criterion, 2 do not. Latency compares the rounded
/// milliseconds of the result: a p99 equal to the target meets it. A run that offered nothing meets nothing.
public func evaluateSLO(
    _ result: RunResult, latencyPercentile: LatencyPercentile, targetMillis: Double,
    kind: LatencyKind = .localCommit
) -> SLOEvaluation {
    let counts = result.counts
    guard counts.offered > 0 else {
        return SLOEvaluation(achievedRateMet: false, failureRateMet: false, latencyMet: false)
    }
    let achievedRateMet = isAtLeast(
        counts.sent, times: sloAchievedFraction.denominator, counts.offered, times: sloAchievedFraction.numerator)
    let failureRateMet = isAtLeast(
        counts.offered, times: sloFailureFraction.numerator, counts.failed, times: sloFailureFraction.denominator)
    var latencyMet = false
    if let summary = result.latency(kind), summary.count > 0, targetMillis.isFinite {
        latencyMet = summary.value(at: latencyPercentile) <= targetMillis
    }
    return SLOEvaluation(achievedRateMet: achievedRateMet, failureRateMet: failureRateMet, latencyMet: latencyMet)
}

/// Whether `result` sustained its offered rate under the SLO: achieved >= 99 % of offered, failures <= 0.1 % of
/// offered, and `latencyPercentile` of `kind` within `targetMillis`. See
/// ``evaluateSLO(_:latencyPercentile:targetMillis:kind:)`` for which criterion failed.
public func meetsSLO(
    _ result: RunResult, latencyPercentile: LatencyPercentile, targetMillis: Double,
    kind: LatencyKind = .localCommit
) -> Bool {
    evaluateSLO(result, latencyPercentile: latencyPercentile, targetMillis: targetMillis, kind: kind).meetsSLO
}

/// `a * x >= b * y` without overflow, in 128 bits.
private func isAtLeast(_ a: UInt64, times x: UInt64, _ b: UInt64, times y: UInt64) -> Bool {
    let left = a.multipliedFullWidth(by: x)
    let right = b.multipliedFullWidth(by: y)
    return (left.high, left.low) >= (right.high, right.low)
}

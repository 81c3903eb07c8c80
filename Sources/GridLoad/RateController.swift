/// How the load generator decides when to send.
///
/// Open-loop controllers (`fixed`, `poisson`, `ramp`, `step`) fix every send time in advance, independent of how
/// the ledger copes: a slow ledger cannot slow the offered load down, and latency is taken from the scheduled time
/// (see ``OutcomeRecorder``). `closedLoop` instead holds a number of transactions outstanding and sends a new one
/// only when one ends; it measures the rate a ledger sustains at a given concurrency, not its latency under a rate.
///
/// All times are virtual, measured from the start of the run (time 0 = start of warm-up, see ``LoadWindow``).
public enum RateController: Sendable, Hashable {
    /// Evenly spaced sends, `tps` per second, the first at time 0.
    case fixed(tps: Double)

    /// A Poisson process with mean rate `tps`: exponential gaps drawn from the schedule's seed.
    case poisson(tps: Double)

    /// A rate that changes linearly from `fromTps` at time 0 to `toTps` at the end of the measured window, and
    /// stays at `toTps` during cool-down. Sends are evenly spaced in the integrated rate, so every sub-window gets
    /// the integral of the rate over it (to within one transaction).
    case ramp(fromTps: Double, toTps: Double)

    /// A piecewise-constant rate: each step sets the rate from its `atSeconds` until the next step. The rate
    /// before the first step is 0. Steps must be sorted by `atSeconds`.
    case step([RateStep])

    /// Closed loop: at most `outstanding` transactions in flight; a new one is released only when one ends
    /// (committed, rejected, dropped or timed out).
    case closedLoop(outstanding: Int)

    /// Largest accepted rate. One send per nanosecond is the resolution of virtual time.
    public static let maxTps = 1e9

    /// Largest accepted number of steps, so that a schedule's memory is bounded.
    public static let maxSteps = 4096

    /// Largest accepted closed-loop concurrency; it also bounds the recorder's in-flight tracking.
    public static let maxOutstanding = 1_000_000

    /// Whether sends are released by completions rather than by a clock.
    public var isClosedLoop: Bool {
        if case .closedLoop = self { return true }
        return false
    }
}

/// One step of ``RateController/step(_:)``: from `atSeconds` (run time, 0 = start of warm-up) on, send `tps`.
public struct RateStep: Sendable, Hashable, Codable {
    public var atSeconds: Double
    public var tps: Double

    public init(atSeconds: Double, tps: Double) {
        self.atSeconds = atSeconds
        self.tps = tps
    }
}

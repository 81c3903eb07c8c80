/// The phases of a run in virtual time, measured from the start of the run (time 0 = start of warm-up).
///
/// ```
/// 0            warmupNanos                 measuredEndNanos          runEndNanos
/// |-- warm-up --|-------- measured ---------|------- cool-down -------|
/// ```
///
/// A transaction belongs to the phase of its **scheduled** send time, whenever it ends. Only measured-window
/// transactions count toward reported figures. Warm-up lets queues and caches reach a steady state. Cool-down
/// keeps the load on (it is optional, default 0) so that the last measured transactions meet the same contention
/// as the first, instead of an emptying system. After `runEndNanos` nothing new is scheduled; the simulator keeps
/// running until every transaction has an outcome or times out.
public struct LoadWindow: Sendable, Hashable, Codable {
    public let warmupNanos: UInt64
    public let measuredNanos: UInt64
    public let cooldownNanos: UInt64

    /// Fails if the measured window is empty (every rate would divide by zero) or the run would not fit in
    /// `UInt64` nanoseconds.
    public init(warmupNanos: UInt64, measuredNanos: UInt64, cooldownNanos: UInt64 = 0) throws {
        guard measuredNanos > 0 else {
            throw LoadError.invalidConfiguration("measured window must be longer than 0 ns")
        }
        let (partial, overflow1) = warmupNanos.addingReportingOverflow(measuredNanos)
        let (_, overflow2) = partial.addingReportingOverflow(cooldownNanos)
        guard !overflow1, !overflow2 else {
            throw LoadError.invalidConfiguration("warm-up + measured + cool-down overflows UInt64 nanoseconds")
        }
        self.warmupNanos = warmupNanos
        self.measuredNanos = measuredNanos
        self.cooldownNanos = cooldownNanos
    }

    /// First nanosecond of the measured window (inclusive).
    public var measuredStartNanos: UInt64 { warmupNanos }

    /// End of the measured window (exclusive).
    public var measuredEndNanos: UInt64 { warmupNanos + measuredNanos }

    /// End of the run (exclusive): nothing is scheduled at or after this time.
    public var runEndNanos: UInt64 { warmupNanos + measuredNanos + cooldownNanos }

    /// Length of the measured window in seconds, the denominator of every reported rate.
    public var measuredSeconds: Double { Double(measuredNanos) / 1e9 }

    /// The phase a transaction scheduled at `scheduledAtNanos` belongs to. Times at or after the end of the run
    /// are cool-down: they are outside the measured window either way.
    public func phase(ofScheduledNanos scheduledAtNanos: UInt64) -> LoadPhase {
        if scheduledAtNanos < warmupNanos { return .warmup }
        if scheduledAtNanos < measuredEndNanos { return .measured }
        return .cooldown
    }
}

/// Which part of the run a transaction was scheduled in.
public enum LoadPhase: String, Sendable, Hashable, CaseIterable, Codable {
    case warmup
    case measured
    case cooldown

    var index: Int {
        switch self {
        case .warmup: 0
        case .measured: 1
        case .cooldown: 2
        }
    }
}

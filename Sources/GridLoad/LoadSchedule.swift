/// The send times of one load generator over one run, from a ``RateController``, a ``LoadWindow`` and a seed.
///
/// Sans-IO: the schedule never reads a clock. The simulator asks it for times and acts on them.
///
/// Open loop (`fixed`, `poisson`, `ramp`, `step`): call ``next()`` repeatedly; it returns scheduled send times in
/// non-decreasing order and `nil` once the next one would fall at or after ``LoadWindow/runEndNanos``. A simulator
/// typically asks for one time, sets an event for it, and asks for the next when that event fires, so only one
/// time is pending and memory stays constant.
///
/// Closed loop: call ``release(atNanos:)`` at time 0 and after every completion; it returns how many transactions
/// may be sent now (their scheduled time is `nowNanos`) and counts them as outstanding. Report each end
/// (committed, rejected, dropped, timed out) with ``complete(count:)``. `next()` returns `nil` for a closed loop
/// and `release` returns 0 for an open loop, so check ``RateController/isClosedLoop`` to pick the right one.
///
/// The same controller, window and seed always give the same times. Only `poisson` uses the seed.
public struct LoadSchedule: Sendable {
    public let controller: RateController
    public let window: LoadWindow
    public let seed: UInt64

    /// How many sends this schedule has produced so far (open loop: times returned; closed loop: releases).
    public private(set) var scheduledCount: UInt64 = 0

    /// Closed loop only: transactions released and not yet reported complete. Never above the controller's K.
    public private(set) var outstanding: Int = 0

    private enum Kind: Sendable {
        case profile
        case poisson(meanGapNanos: Double)
        case closedLoop(limit: Int)
    }

    private let kind: Kind
    private let segments: [RateSegment]
    private var segmentIndex = 0
    private var random: DeterministicRandom
    /// Exact (unrounded) time of the last Poisson arrival, so rounding never accumulates.
    private var poissonClockNanos = 0.0
    private var lastScheduledNanos: UInt64 = 0
    private var exhausted = false

    /// Validates the controller (rates finite, between 0 and ``RateController/maxTps``; steps sorted, at most
    /// ``RateController/maxSteps``; `outstanding` between 1 and ``RateController/maxOutstanding``).
    public init(controller: RateController, window: LoadWindow, seed: UInt64) throws {
        self.controller = controller
        self.window = window
        self.seed = seed
        random = DeterministicRandom(seed: seed)
        let runEndNanos = window.runEndNanos
        switch controller {
        case .fixed(let tps):
            try Self.validate(tps: tps, name: "fixed tps")
            kind = .profile
            segments = [RateSegment(startNanos: 0, endNanos: runEndNanos, startTps: tps, endTps: tps, countAtStart: 0)]
        case .poisson(let tps):
            try Self.validate(tps: tps, name: "poisson tps")
            kind = .poisson(meanGapNanos: tps > 0 ? 1e9 / tps : .infinity)
            segments = []
        case .ramp(let fromTps, let toTps):
            try Self.validate(tps: fromTps, name: "ramp fromTps")
            try Self.validate(tps: toTps, name: "ramp toTps")
            kind = .profile
            let ramp = RateSegment(
                startNanos: 0, endNanos: window.measuredEndNanos, startTps: fromTps, endTps: toTps, countAtStart: 0)
            let hold = RateSegment(
                startNanos: window.measuredEndNanos, endNanos: runEndNanos, startTps: toTps, endTps: toTps,
                countAtStart: ramp.countAtEnd)
            segments = [ramp, hold]
        case .step(let steps):
            kind = .profile
            segments = try Self.stepSegments(steps, runEndNanos: runEndNanos)
        case .closedLoop(let outstanding):
            guard (1...RateController.maxOutstanding).contains(outstanding) else {
                throw LoadError.invalidConfiguration(
                    "closedLoop outstanding must be 1...\(RateController.maxOutstanding), got \(outstanding)")
            }
            kind = .closedLoop(limit: outstanding)
            segments = []
        }
    }

    /// Open loop: the next scheduled send time in nanoseconds, or `nil` when the run has no more sends.
    /// Always `nil` for a closed loop.
    public mutating func next() -> UInt64? {
        guard !exhausted else { return nil }
        let candidate: Double?
        switch kind {
        case .closedLoop:
            candidate = nil
        case .poisson(let meanGapNanos):
            if meanGapNanos.isFinite {
                poissonClockNanos += random.nextExponential(mean: meanGapNanos)
                candidate = poissonClockNanos.rounded()
            } else {
                candidate = nil
            }
        case .profile:
            candidate = nextProfileNanos()
        }
        guard let candidate, candidate < Double(window.runEndNanos) else {
            exhausted = true
            return nil
        }
        // Rounding to whole nanoseconds must not reorder sends.
        let nanos = max(UInt64(candidate), lastScheduledNanos)
        lastScheduledNanos = nanos
        scheduledCount += 1
        return nanos
    }

    /// Closed loop: how many transactions may be sent at `nowNanos` (K minus those outstanding, or 0 once
    /// `nowNanos` reaches the end of the run). The returned number is counted as outstanding at once; schedule each
    /// of them at `nowNanos`. Always 0 for an open loop.
    public mutating func release(atNanos nowNanos: UInt64) -> Int {
        guard case .closedLoop(let limit) = kind, nowNanos < window.runEndNanos else { return 0 }
        let released = limit - outstanding
        outstanding = limit
        scheduledCount += UInt64(released)
        return released
    }

    /// Closed loop: `count` outstanding transactions ended (any outcome), freeing their slots for the next
    /// ``release(atNanos:)``. Throws ``LoadError/closedLoopUnderflow`` (and changes nothing) if fewer are outstanding.
    public mutating func complete(count: Int = 1) throws {
        guard count >= 0, count <= outstanding else { throw LoadError.closedLoopUnderflow }
        outstanding -= count
    }

    // MARK: - Deterministic rate profiles

    /// Send k (counting from 0) goes where the integrated rate reaches k, so the number of sends in any interval
    /// is the integral of the rate over it, rounded, and a rate change carries its fraction into the next segment.
    private mutating func nextProfileNanos() -> Double? {
        let target = Double(scheduledCount)
        while segmentIndex < segments.count, segments[segmentIndex].countAtEnd <= target {
            segmentIndex += 1
        }
        guard segmentIndex < segments.count else { return nil }
        return segments[segmentIndex].nanos(atCount: target)
    }

    private static func validate(tps: Double, name: String) throws {
        guard tps.isFinite, tps >= 0, tps <= RateController.maxTps else {
            throw LoadError.invalidConfiguration(
                "\(name) must be finite and in 0...\(RateController.maxTps), got \(tps)")
        }
    }

    private static func stepSegments(_ steps: [RateStep], runEndNanos: UInt64) throws -> [RateSegment] {
        guard steps.count <= RateController.maxSteps else {
            throw LoadError.invalidConfiguration("at most \(RateController.maxSteps) steps, got \(steps.count)")
        }
        var starts: [UInt64] = []
        starts.reserveCapacity(steps.count)
        for (index, step) in steps.enumerated() {
            try validate(tps: step.tps, name: "step \(index) tps")
            guard step.atSeconds.isFinite, step.atSeconds >= 0 else {
                throw LoadError.invalidConfiguration("step \(index) atSeconds must be finite and >= 0")
            }
            if index > 0, step.atSeconds < steps[index - 1].atSeconds {
                throw LoadError.invalidConfiguration("step \(index) atSeconds is before step \(index - 1)")
            }
            // Steps past the end of the run have no effect; comparing in Double before converting keeps the
            // conversion in range even for a run that ends near UInt64.max.
            let startNanos = (step.atSeconds * 1e9).rounded()
            starts.append(startNanos >= Double(runEndNanos) ? runEndNanos : UInt64(startNanos))
        }
        var segments: [RateSegment] = []
        var count = 0.0
        for (index, step) in steps.enumerated() {
            let end = index + 1 < steps.count ? starts[index + 1] : runEndNanos
            guard end > starts[index] else { continue }
            let segment = RateSegment(
                startNanos: starts[index], endNanos: end, startTps: step.tps, endTps: step.tps, countAtStart: count)
            count = segment.countAtEnd
            segments.append(segment)
        }
        return segments
    }
}

/// A stretch of run time over which the rate changes linearly from `startTps` to `endTps` (constant if equal).
private struct RateSegment: Sendable {
    let startNanos: UInt64
    let endNanos: UInt64
    let startTps: Double
    let endTps: Double
    /// Integrated rate (number of sends, fractional) from time 0 to this segment's start and end.
    let countAtStart: Double
    let countAtEnd: Double

    init(startNanos: UInt64, endNanos: UInt64, startTps: Double, endTps: Double, countAtStart: Double) {
        self.startNanos = startNanos
        self.endNanos = max(startNanos, endNanos)
        self.startTps = startTps
        self.endTps = endTps
        self.countAtStart = countAtStart
        countAtEnd = countAtStart + (startTps + endTps) / 2 * (Double(self.endNanos - startNanos) / 1e9)
    }

    /// The time at which the integrated rate reaches `count`; `count` lies in `[countAtStart, countAtEnd)`.
    func nanos(atCount count: Double) -> Double {
        let remaining = count - countAtStart
        let offsetSeconds: Double
        if remaining <= 0 {
            offsetSeconds = 0
        } else if startTps == endTps {
            offsetSeconds = remaining / startTps
        } else {
            // Solve startTps * t + slope * t^2 / 2 = remaining for t >= 0. This form of the quadratic root has
            // no cancellation and stays finite when startTps is 0.
            let durationSeconds = Double(endNanos - startNanos) / 1e9
            let slope = (endTps - startTps) / durationSeconds
            let discriminant = max(0, startTps * startTps + 2 * slope * remaining)
            offsetSeconds = 2 * remaining / (startTps + discriminant.squareRoot())
        }
        let offsetNanos = min((offsetSeconds * 1e9).rounded(), Double(endNanos - startNanos))
        return Double(startNanos) + offsetNanos
    }
}

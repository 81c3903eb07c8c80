/// What a live node's event-loop thread costs per wake-up, per frame and per KiB, fitted to live runs.
///
/// Each sample is one live node over one run: its event-loop threads' CPU (`LiveNodeMetrics.eventLoopCPUSeconds`),
/// how often they were put on a CPU, the frames they read and wrote and those frames' bytes. The CPU is fitted by
/// least squares as `perWakeup × wake-ups + perFrame × frames + perKiB × KiB` with no coefficient below zero (every
/// subset of the terms, the best kept). A wake-up (the poll, the scheduler) is paid once for all the frames it
/// finds, which is why a frame costs a busy node less than an idle one: measured on `default`, 60 µs of event-loop
/// CPU per frame at 5 tx/s, 21 µs at 4,000. The thread does nothing but frames, so no constant term.
public struct EventLoopCostFit: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var cpuNanos: Double
        public var wakeups: Double
        /// Frames read plus frames written (each write of several client replies counts once).
        public var frames: Double
        public var kibibytes: Double

        public init(cpuNanos: Double, wakeups: Double, frames: Double, kibibytes: Double) {
            self.cpuNanos = cpuNanos
            self.wakeups = wakeups
            self.frames = frames
            self.kibibytes = kibibytes
        }
    }

    public var nanosPerWakeup: Double
    public var nanosPerFrame: Double
    public var nanosPerKiB: Double
    /// Root-mean-square of what the fit leaves unexplained, over the mean event-loop CPU per sample.
    public var relativeResidual: Double
    public var samples: Int

    /// Nil with fewer than two samples, no frames or no CPU.
    public init?(_ samples: [Sample]) {
        guard samples.count >= 2 else { return nil }
        let measured = samples.map(\.cpuNanos).reduce(0, +)
        guard measured > 0, samples.contains(where: { $0.frames > 0 }) else { return nil }
        let target = samples.map(\.cpuNanos)
        let columns = [samples.map(\.wakeups), samples.map(\.frames), samples.map(\.kibibytes)]
        guard let best = RuntimeOverheadFit.bestNonNegative(columns, target) else { return nil }
        nanosPerWakeup = best.coefficients[0]
        nanosPerFrame = best.coefficients[1]
        nanosPerKiB = best.coefficients[2]
        relativeResidual =
            (best.squaredError / Double(samples.count)).squareRoot() / (measured / Double(samples.count))
        self.samples = samples.count
    }

    /// `profile` with the event-loop terms set.
    public func applied(to profile: MachineProfile) -> MachineProfile {
        var fitted = profile
        fitted.eventLoopNanosPerWakeup = nanosPerWakeup.rounded()
        fitted.eventLoopNanosPerFrame = nanosPerFrame.rounded()
        fitted.eventLoopNanosPerKiB = nanosPerKiB.rounded()
        return fitted
    }
}

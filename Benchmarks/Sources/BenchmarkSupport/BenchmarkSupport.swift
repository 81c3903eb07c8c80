import Benchmark
import CPerfProbe

/// Metrics and run-length settings shared by every GridLedger benchmark suite.
public enum GridBenchmark {
    /// Whether hardware instruction counters can be read here (not on most VMs and containers).
    public static let instructionCountersAvailable = gridledger_instruction_counter_available() != 0

    /// wallClock, throughput, cpuTotal, mallocCountTotal and peakMemoryResident, plus instructions where the
    /// machine exposes a hardware counter: without one the metric would only show zeros.
    public static let metrics: [BenchmarkMetric] =
        [.wallClock, .throughput, .cpuTotal, .mallocCountTotal, .peakMemoryResident]
        + (instructionCountersAvailable ? [.instructions] : [])

    /// A configuration that keeps each benchmark short: it stops after `maxDuration` or `maxIterations`,
    /// whichever comes first. `scalingFactor` is the number of operations one iteration performs, so that the
    /// reported time and throughput are per operation.
    public static func configuration(
        scalingFactor: BenchmarkScalingFactor = .one,
        maxDuration: Duration = .seconds(2),
        maxIterations: Int = 1_000,
        warmupIterations: Int = 2
    ) -> Benchmark.Configuration {
        .init(
            metrics: metrics,
            warmupIterations: warmupIterations,
            scalingFactor: scalingFactor,
            maxDuration: maxDuration,
            maxIterations: maxIterations
        )
    }
}

import Foundation
import Histogram

/// Everything one run reports: the content of `result.json`, schema version 1 (documented field by field in
/// `docs/result-schema.md`).
///
/// Two runs with the same topology, seed and cost model (`cpuMode` "model") must produce byte-identical JSON once
/// ``wallClock`` is left out, which is why every wall-clock fact lives in that one optional object, numbers are
/// rounded to fixed decimals, lists are sorted and keys are written sorted (see ``jsonData(includeWallClock:)``).
public struct RunResult: Codable, Hashable, Sendable {
    /// Version of this layout. Readers should refuse versions they do not know.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var topology: TopologyReference
    public var seed: UInt64
    public var runtime: Runtime
    public var cpuMode: CPUMode
    /// Scheduled transactions per second over the measured window.
    public var offeredTps: Double
    /// Transactions handed to the ledger per second over the measured window.
    public var achievedTps: Double
    /// Locally committed transactions (of those scheduled in the window) per second of the window.
    public var committedTps: Double
    /// Outcomes of the transactions scheduled in the measured window.
    public var counts: OutcomeCounts
    /// Rejections of the measured window by reason; sums to `counts.rejected`.
    public var rejectReasons: [String: UInt64]
    /// Latency summaries by kind (``LatencyKind`` raw value); `localCommit` is always present.
    public var latencyMillis: [String: LatencySummary]
    public var windowSeconds: WindowSeconds
    public var regions: [RegionResult]
    public var nodes: [NodeResult]
    public var simulation: SimulationStats
    /// Facts that differ between otherwise identical runs. `nil` when not known or deliberately left out.
    public var wallClock: WallClock?
    /// What the grid contracts achieved (see ``WorkloadOutcome``); `nil` for transfer runs, and then absent from
    /// the JSON, so their results are unchanged.
    public var workload: WorkloadOutcome?
    /// The global layer's figures (`RunResult.GlobalOutcome`); absent without a global layer.
    public var global: GlobalOutcome?
    /// Faults that named a leader (`REGION/leader`), with the validator each one hit; absent when none did.
    public var leaderFaults: [LeaderFault]?
    /// The run interval by interval (``TimeSeries``); absent in results written before it existed.
    public var timeSeries: TimeSeries?

    /// A `REGION/leader` fault as resolved at run time: whom the region was waiting on at that moment.
    public struct LeaderFault: Codable, Hashable, Sendable {
        public var atSeconds: Double
        /// The reference in the topology, e.g. `r0/leader`.
        public var fault: String
        /// The validator it hit, e.g. `r0/v2`.
        public var node: String
        /// The highest round a live validator of the region was in.
        public var round: UInt64
        /// How many live validators were waiting on `node`, of `liveNodes`.
        public var awaitedBy: Int
        public var liveNodes: Int

        public init(atSeconds: Double, fault: String, node: String, round: UInt64, awaitedBy: Int, liveNodes: Int) {
            self.atSeconds = atSeconds
            self.fault = fault
            self.node = node
            self.round = round
            self.awaitedBy = awaitedBy
            self.liveNodes = liveNodes
        }
    }

    public enum Runtime: String, Codable, Hashable, Sendable {
        case simulator
        case live
        case kubernetes
    }

    /// How node CPU time was charged: measured thread CPU time (not reproducible bit for bit) or a cost model
    /// (reproducible).
    public enum CPUMode: String, Codable, Hashable, Sendable {
        case measured
        case model
    }

    public struct TopologyReference: Codable, Hashable, Sendable {
        public var name: String
        /// Path of the topology file as given to the run (e.g. `topologies/ieee33-3regions.yaml`).
        public var file: String

        public init(name: String, file: String) {
            self.name = name
            self.file = file
        }
    }

    public struct WindowSeconds: Codable, Hashable, Sendable {
        public var warmup: Double
        public var measured: Double
        public var cooldown: Double

        public init(warmup: Double, measured: Double, cooldown: Double) {
            self.warmup = warmup
            self.measured = measured
            self.cooldown = cooldown
        }

        public init(_ window: LoadWindow) {
            self.init(
                warmup: Double(window.warmupNanos) / 1e9, measured: Double(window.measuredNanos) / 1e9,
                cooldown: Double(window.cooldownNanos) / 1e9)
        }
    }

    public struct RegionResult: Codable, Hashable, Sendable {
        public var name: String
        public var counts: OutcomeCounts
        public var offeredTps: Double
        public var achievedTps: Double
        public var committedTps: Double

        public init(name: String, counts: OutcomeCounts, offeredTps: Double, achievedTps: Double, committedTps: Double)
        {
            self.name = name
            self.counts = counts
            self.offeredTps = offeredTps
            self.achievedTps = achievedTps
            self.committedTps = committedTps
        }
    }

    public struct NodeResult: Codable, Hashable, Sendable {
        public var id: String
        public var region: String
        /// Busy time / (virtual run time x cores), 0...1.
        public var cpuUtilization: Double
        /// Largest input queue length seen.
        public var queuePeak: UInt64
        /// Encoded bytes of every frame the node handed to the network, counted once per destination.
        public var bytesSent: UInt64
        /// Bytes LMDB wrote to the node's store (its page writes, as the kernel counted them for the writing thread);
        /// omitted where the runtime could not measure it.
        public var lmdbBytesWritten: UInt64?
        public var committedHeight: UInt64
        /// Peak resident memory, when the runtime can tell (the live runtime); omitted otherwise.
        public var peakMemoryBytes: UInt64?
        /// Frames the node sent (one per destination) and those the network lost on the way (loss rate, partition).
        public var framesSent: UInt64
        public var framesLost: UInt64
        /// Inputs refused because the node's inbox was full: client transactions answered busy, peer frames dropped.
        public var inboxOverflows: UInt64
        /// Everything else the node dropped, by reason (undecodable frames, full buffers, refused relays...).
        public var losses: [String: UInt64]
        /// Messages and blocks the node refused, by reason code.
        public var rejections: [String: UInt64]
        /// Rounds the node entered through a timeout certificate (view changes).
        public var viewChanges: UInt64
        /// Seconds of the measured window the node's consensus work was ready but waiting for a core: live, its
        /// consensus thread's run-queue wait from schedstat; simulated, only on a shared host (`--host-cores`), its
        /// events' wait for a host core. Omitted otherwise.
        public var consensusWaitSeconds: Double?

        public init(
            id: String, region: String, cpuUtilization: Double, queuePeak: UInt64, bytesSent: UInt64,
            lmdbBytesWritten: UInt64?, committedHeight: UInt64, peakMemoryBytes: UInt64? = nil, framesSent: UInt64 = 0,
            framesLost: UInt64 = 0, inboxOverflows: UInt64 = 0, losses: [String: UInt64] = [:],
            rejections: [String: UInt64] = [:], viewChanges: UInt64 = 0
        ) {
            self.id = id
            self.region = region
            self.cpuUtilization = cpuUtilization
            self.queuePeak = queuePeak
            self.bytesSent = bytesSent
            self.lmdbBytesWritten = lmdbBytesWritten
            self.committedHeight = committedHeight
            self.peakMemoryBytes = peakMemoryBytes
            self.framesSent = framesSent
            self.framesLost = framesLost
            self.inboxOverflows = inboxOverflows
            self.losses = losses
            self.rejections = rejections
            self.viewChanges = viewChanges
        }
    }

    public struct SimulationStats: Codable, Hashable, Sendable {
        /// Virtual time simulated, including warm-up, cool-down and the drain after the last send.
        public var virtualSeconds: Double
        public var eventsProcessed: UInt64

        public init(virtualSeconds: Double, eventsProcessed: UInt64) {
            self.virtualSeconds = virtualSeconds
            self.eventsProcessed = eventsProcessed
        }

        public init(virtualNanos: UInt64, eventsProcessed: UInt64) {
            self.init(virtualSeconds: Double(virtualNanos) / 1e9, eventsProcessed: eventsProcessed)
        }
    }

    public struct WallClock: Codable, Hashable, Sendable {
        /// ISO-8601 UTC start time, e.g. `2025-01-31T12:00:00Z`.
        public var startedAt: String
        public var elapsedSeconds: Double
        public var virtualSecondsPerWallSecond: Double
        /// Free text: host, CPU model, core count.
        public var machine: String
        public var gitCommit: String

        public init(
            startedAt: String, elapsedSeconds: Double, virtualSecondsPerWallSecond: Double, machine: String,
            gitCommit: String
        ) {
            self.startedAt = startedAt
            self.elapsedSeconds = elapsedSeconds
            self.virtualSecondsPerWallSecond = virtualSecondsPerWallSecond
            self.machine = machine
            self.gitCommit = gitCommit
        }

        /// Formats `startedAt` as ISO-8601 UTC and derives the speed-up from the virtual time simulated. The date
        /// is passed in: this module never reads a clock.
        public init(startedAt: Date, elapsedSeconds: Double, virtualSeconds: Double, machine: String, gitCommit: String)
        {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            self.init(
                startedAt: formatter.string(from: startedAt), elapsedSeconds: elapsedSeconds,
                virtualSecondsPerWallSecond: elapsedSeconds > 0 ? virtualSeconds / elapsedSeconds : 0,
                machine: machine, gitCommit: gitCommit)
        }
    }

    public init(
        schemaVersion: Int = RunResult.currentSchemaVersion, topology: TopologyReference, seed: UInt64,
        runtime: Runtime, cpuMode: CPUMode, offeredTps: Double, achievedTps: Double, committedTps: Double,
        counts: OutcomeCounts, rejectReasons: [String: UInt64], latencyMillis: [String: LatencySummary],
        windowSeconds: WindowSeconds, regions: [RegionResult], nodes: [NodeResult], simulation: SimulationStats,
        wallClock: WallClock?
    ) {
        self.schemaVersion = schemaVersion
        self.topology = topology
        self.seed = seed
        self.runtime = runtime
        self.cpuMode = cpuMode
        self.offeredTps = offeredTps
        self.achievedTps = achievedTps
        self.committedTps = committedTps
        self.counts = counts
        self.rejectReasons = rejectReasons
        self.latencyMillis = latencyMillis
        self.windowSeconds = windowSeconds
        self.regions = regions
        self.nodes = nodes
        self.simulation = simulation
        self.wallClock = wallClock
    }

    /// Builds the result of a finished run from its (merged) recorder. Throws if the recorder's accounting does
    /// not add up (``OutcomeRecorder/verifyAccounting()``), so a result never reports counts that do not.
    public init(
        recorder: OutcomeRecorder, topology: TopologyReference, seed: UInt64, runtime: Runtime = .simulator,
        cpuMode: CPUMode, nodes: [NodeResult], simulation: SimulationStats, wallClock: WallClock? = nil
    ) throws {
        try recorder.verifyAccounting()
        let measuredSeconds = recorder.window.measuredSeconds
        var latencies: [String: LatencySummary] = [:]
        for kind in recorder.latencyKinds {
            if let histogram = recorder.latencyHistogramMicros(kind) {
                latencies[kind.rawValue] = LatencySummary(histogramMicros: histogram)
            }
        }
        let regions = recorder.regions.map { name in
            let counts = recorder.measuredCounts(region: name) ?? OutcomeCounts()
            return RegionResult(
                name: name, counts: counts, offeredTps: Double(counts.offered) / measuredSeconds,
                achievedTps: Double(counts.sent) / measuredSeconds,
                committedTps: Double(recorder.committedInWindowCount(region: name)) / measuredSeconds)
        }
        self.init(
            topology: topology, seed: seed, runtime: runtime, cpuMode: cpuMode, offeredTps: recorder.offeredTps,
            achievedTps: recorder.achievedTps, committedTps: recorder.committedTps, counts: recorder.measuredCounts,
            rejectReasons: recorder.rejectReasons, latencyMillis: latencies,
            windowSeconds: WindowSeconds(recorder.window), regions: regions, nodes: nodes, simulation: simulation,
            wallClock: wallClock)
    }

    /// The summary of one latency kind, or `nil` if the run has none.
    public func latency(_ kind: LatencyKind) -> LatencySummary? { latencyMillis[kind.rawValue] }
}

/// Percentiles of one latency kind in milliseconds (HDR histogram, 0.1 % value resolution, recorded in whole
/// microseconds rounded up). With `count == 0` all values are 0 and mean "no data", not "instant".
public struct LatencySummary: Codable, Hashable, Sendable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    /// The largest value recorded (exact to the microsecond, not a bucket bound).
    public var max: Double
    public var count: UInt64
    /// Arithmetic mean (what Caliper reports as average latency); nil when read from older files or unrecorded.
    public var mean: Double?

    public init(
        p50: Double, p90: Double, p99: Double, p999: Double, max: Double, count: UInt64, mean: Double? = nil
    ) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.count = count
        self.mean = mean
    }

    public init(histogramMicros histogram: Histogram<UInt64>) {
        let count = histogram.totalCount
        func millis(_ micros: UInt64) -> Double { count == 0 ? 0 : Double(micros) / 1000 }
        self.init(
            p50: millis(histogram.valueAtPercentile(50)), p90: millis(histogram.valueAtPercentile(90)),
            p99: millis(histogram.valueAtPercentile(99)), p999: millis(histogram.valueAtPercentile(99.9)),
            max: millis(histogram.maxRecorded), count: count, mean: count == 0 ? nil : histogram.mean / 1000)
    }

    /// The value for one of the reported percentiles.
    public func value(at percentile: LatencyPercentile) -> Double {
        switch percentile {
        case .p50: p50
        case .p90: p90
        case .p99: p99
        case .p999: p999
        case .max: max
        }
    }
}

/// The percentiles a ``LatencySummary`` reports.
public enum LatencyPercentile: String, Codable, Hashable, Sendable, CaseIterable {
    case p50
    case p90
    case p99
    case p999
    case max

    /// The percentile for a number such as 99 or 99.9 (100 is `max`), or `nil` if it is not one that is reported.
    public init?(percent: Double) {
        switch percent {
        case 50: self = .p50
        case 90: self = .p90
        case 99: self = .p99
        case 99.9: self = .p999
        case 100: self = .max
        default: return nil
        }
    }

    /// Label for tables, e.g. "p99.9".
    public var label: String {
        switch self {
        case .p50: "p50"
        case .p90: "p90"
        case .p99: "p99"
        case .p999: "p99.9"
        case .max: "max"
        }
    }
}

/// What happened during a run, interval by interval, so a chart can show throughput and latency over time and mark
/// the faults (design brief, section 7).
///
/// Intervals are `intervalSeconds` long and start at the beginning of the run (warm-up included), so a fault at
/// `atSeconds` lands in interval `Int(atSeconds / intervalSeconds)`. A transaction counts in the interval of its
/// **scheduled** time for offered and achieved, and in the interval it committed for committed and latency, so
/// a stall shows as committed falling while offered stays.
public struct TimeSeries: Codable, Hashable, Sendable {
    /// Length of every interval, in seconds (1 by default).
    public var intervalSeconds: Double
    /// The whole run, all regions together.
    public var total: [TimeSeriesPoint]
    /// The same per region, keyed by region name.
    public var regions: [String: [TimeSeriesPoint]]
    /// Per node (validator or committee member): CPU and inbox depth per interval.
    public var nodes: [NodeTimeSeries]
    /// Faults at the times they were applied.
    public var faults: [FaultMark]
    /// Events that happened after the last interval kept (``TimeSeriesRecorder/intervalsMax``), so counted in no
    /// interval; absent when there were none.
    public var eventsBeyondLastInterval: UInt64?

    public init(
        intervalSeconds: Double, total: [TimeSeriesPoint], regions: [String: [TimeSeriesPoint]] = [:],
        nodes: [NodeTimeSeries] = [], faults: [FaultMark] = []
    ) {
        self.intervalSeconds = intervalSeconds
        self.total = total
        self.regions = regions
        self.nodes = nodes
        self.faults = faults
    }
}

/// One interval of a ``TimeSeries``.
public struct TimeSeriesPoint: Codable, Hashable, Sendable {
    /// Start of the interval, seconds from the start of the run.
    public var startSeconds: Double
    /// Transactions scheduled in this interval, per second.
    public var offeredTps: Double
    /// Transactions sent in this interval (scheduled here and not refused by the client's own back-pressure), per
    /// second.
    public var achievedTps: Double
    /// Transactions whose commit the client saw in this interval, per second.
    public var committedTps: Double
    /// Local-commit latency of the transactions committed in this interval; `nil` when none committed.
    public var localCommitMillis: IntervalLatency?
    /// Global-finality latency of the transactions finalised in this interval (runs with a global layer only).
    public var globalFinalityMillis: IntervalLatency?
    /// Transactions that ended in this interval rejected, dropped (something full) or timed out, per second, in
    /// the result's buckets (``OutcomeCounts``). Live runs only (the load generator sees each outcome's time);
    /// absent in simulated runs.
    public var rejectedTps: Double?
    public var droppedTps: Double?
    public var timedOutTps: Double?

    public init(
        startSeconds: Double, offeredTps: Double, achievedTps: Double, committedTps: Double,
        localCommitMillis: IntervalLatency? = nil, globalFinalityMillis: IntervalLatency? = nil,
        rejectedTps: Double? = nil, droppedTps: Double? = nil, timedOutTps: Double? = nil
    ) {
        self.rejectedTps = rejectedTps
        self.droppedTps = droppedTps
        self.timedOutTps = timedOutTps
        self.startSeconds = startSeconds
        self.offeredTps = offeredTps
        self.achievedTps = achievedTps
        self.committedTps = committedTps
        self.localCommitMillis = localCommitMillis
        self.globalFinalityMillis = globalFinalityMillis
    }
}

/// Latency percentiles of one interval, in milliseconds.
public struct IntervalLatency: Codable, Hashable, Sendable {
    public var p50: Double
    public var p99: Double
    public var max: Double
    public var count: UInt64

    public init(p50: Double, p99: Double, max: Double, count: UInt64) {
        self.p50 = p50
        self.p99 = p99
        self.max = max
        self.count = count
    }
}

/// One node's resources over a run, one value per interval of the enclosing ``TimeSeries``.
public struct NodeTimeSeries: Codable, Hashable, Sendable {
    /// The node's id, as in ``RunResult/NodeResult/id``.
    public var id: String
    public var region: String
    /// Share of one core used in each interval (1.0 = one core busy all the interval).
    public var cpuUtilization: [Double]
    /// Deepest inbox (events waiting for the node's CPU) seen in each interval.
    public var queueDepthMax: [UInt64]
    /// Live runs only (sampled from the node's metrics): the height it had committed by the end of each interval,
    /// and the frames its transport dropped in each interval. Absent in simulated runs.
    public var committedHeight: [UInt64]?
    public var framesDropped: [UInt64]?

    public init(
        id: String, region: String, cpuUtilization: [Double], queueDepthMax: [UInt64],
        committedHeight: [UInt64]? = nil, framesDropped: [UInt64]? = nil
    ) {
        self.committedHeight = committedHeight
        self.framesDropped = framesDropped
        self.id = id
        self.region = region
        self.cpuUtilization = cpuUtilization
        self.queueDepthMax = queueDepthMax
    }
}

/// A fault as applied during a run, for charts and reports.
public struct FaultMark: Codable, Hashable, Sendable {
    /// When it was applied, seconds from the start of the run.
    public var atSeconds: Double
    /// The fault kind as the topology names it (`crash`, `restart`, `partition`, `loss`, ...).
    public var kind: String
    /// What it hit: a node id, region or link, as the run resolved it (a `REGION/leader` crash names the node).
    public var target: String

    public init(atSeconds: Double, kind: String, target: String) {
        self.atSeconds = atSeconds
        self.kind = kind
        self.target = target
    }
}

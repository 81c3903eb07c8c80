/// The raw counts of one interval of a ``TimeSeries`` (one region, or several added up): what ``TimeSeriesRecorder``
/// keeps and what load generators that ran apart write, because counts and histograms add up exactly where the
/// rates and percentiles of a ``TimeSeriesPoint`` cannot (an average of two p99s is no p99).
public struct TimeSeriesInterval: Codable, Hashable, Sendable {
    /// Scheduled in this interval.
    public var offered: UInt64 = 0
    /// Scheduled in this interval and sent.
    public var achieved: UInt64 = 0
    /// Commit seen in this interval.
    public var committed: UInt64 = 0
    /// Transactions that ended in this interval without a commit, by the recorder's kind (the load generator's
    /// outcome names: `rejected`, `busy`, `timedOut`, `lost`, ...). Empty in simulated runs, which keep no
    /// per-interval outcome besides commits.
    public var ended: [String: UInt64] = [:]
    public var localCommitMicros = IntervalHistogram()
    /// Runs with a global layer only; written to JSON only when it holds values (a live load generator's series).
    public var globalFinalityMicros = IntervalHistogram()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case offered, achieved, committed, ended, localCommitMicros, globalFinalityMicros
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        offered = try container.decode(UInt64.self, forKey: .offered)
        achieved = try container.decode(UInt64.self, forKey: .achieved)
        committed = try container.decode(UInt64.self, forKey: .committed)
        ended = try container.decodeIfPresent([String: UInt64].self, forKey: .ended) ?? [:]
        localCommitMicros = try container.decode(IntervalHistogram.self, forKey: .localCommitMicros)
        globalFinalityMicros =
            try container.decodeIfPresent(IntervalHistogram.self, forKey: .globalFinalityMicros) ?? IntervalHistogram()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(offered, forKey: .offered)
        try container.encode(achieved, forKey: .achieved)
        try container.encode(committed, forKey: .committed)
        if !ended.isEmpty { try container.encode(ended, forKey: .ended) }
        try container.encode(localCommitMicros, forKey: .localCommitMicros)
        if globalFinalityMicros.count > 0 { try container.encode(globalFinalityMicros, forKey: .globalFinalityMicros) }
    }

    public mutating func add(_ other: TimeSeriesInterval) {
        offered += other.offered
        achieved += other.achieved
        committed += other.committed
        for (kind, count) in other.ended { ended[kind, default: 0] += count }
        localCommitMicros.add(other.localCommitMicros)
        globalFinalityMicros.add(other.globalFinalityMicros)
    }

    /// All outcomes that ended here without a commit.
    public var endedTotal: UInt64 { ended.values.reduce(0, +) }

    /// This interval as a chart point: counts over `intervalSeconds` as rates, percentiles of the histograms.
    public func point(startSeconds: Double, intervalSeconds: Double, withGlobal: Bool) -> TimeSeriesPoint {
        TimeSeriesPoint(
            startSeconds: startSeconds, offeredTps: Double(offered) / intervalSeconds,
            achievedTps: Double(achieved) / intervalSeconds, committedTps: Double(committed) / intervalSeconds,
            localCommitMillis: Self.latency(localCommitMicros),
            globalFinalityMillis: withGlobal ? Self.latency(globalFinalityMicros) : nil)
    }

    static func latency(_ histogram: IntervalHistogram) -> IntervalLatency? {
        guard histogram.count > 0 else { return nil }
        return IntervalLatency(
            p50: Double(histogram.value(atPercent: 50)) / 1000, p99: Double(histogram.value(atPercent: 99)) / 1000,
            max: Double(histogram.maxValue) / 1000, count: histogram.count)
    }
}

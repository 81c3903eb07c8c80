/// Counts a run's transactions interval by interval, per region, for ``TimeSeries`` (kept by ``OutcomeRecorder``).
///
/// Offered and achieved count in the interval of the **scheduled** time, committed and latencies in the interval
/// the client saw the outcome, as ``TimeSeries`` documents. Memory is bounded: at most ``intervalsMax`` intervals
/// per region (events later than that are counted in ``eventsBeyondLastInterval``, not silently lost), and each
/// interval's latency histograms are sparse (``IntervalHistogram``, at most ``IntervalHistogram/bucketCountMax``
/// buckets each, in practice a few hundred).
public struct TimeSeriesRecorder: Hashable, Sendable {
    /// Longest series kept: two hours of 1 s intervals.
    public static let defaultIntervalsMax = 7200

    public let intervalNanos: UInt64
    public let intervalsMax: Int

    private typealias Cell = TimeSeriesInterval

    /// `cells[region][interval]`, grown as events arrive.
    private var cells: [[Cell]] = []
    /// Events that fell after the last interval kept.
    public private(set) var eventsBeyondLastInterval: UInt64 = 0

    public init(intervalNanos: UInt64 = 1_000_000_000, intervalsMax: Int = TimeSeriesRecorder.defaultIntervalsMax)
        throws
    {
        guard intervalNanos >= 1_000_000, intervalsMax >= 1 else {
            throw LoadError.invalidConfiguration(
                "time series: interval must be at least 1 ms and intervalsMax at least 1, got \(intervalNanos) ns and "
                    + "\(intervalsMax)")
        }
        self.intervalNanos = intervalNanos
        self.intervalsMax = intervalsMax
    }

    /// How many intervals have data (the longest region's series).
    public var intervalCount: Int { cells.map(\.count).max() ?? 0 }

    private mutating func withCell(region: Int, atNanos: UInt64, _ body: (inout Cell) -> Void) {
        let interval = atNanos / intervalNanos
        guard interval < UInt64(intervalsMax) else {
            eventsBeyondLastInterval += 1
            return
        }
        if cells.count <= region { cells += Array(repeating: [], count: region + 1 - cells.count) }
        let index = Int(interval)
        if cells[region].count <= index {
            cells[region] += Array(repeating: Cell(), count: index + 1 - cells[region].count)
        }
        body(&cells[region][index])
    }

    public mutating func offered(region: Int, scheduledAtNanos: UInt64) {
        withCell(region: region, atNanos: scheduledAtNanos) { $0.offered += 1 }
    }

    public mutating func achieved(region: Int, scheduledAtNanos: UInt64) {
        withCell(region: region, atNanos: scheduledAtNanos) { $0.achieved += 1 }
    }

    public mutating func committed(region: Int, atNanos: UInt64, latencyMicros: UInt64) {
        withCell(region: region, atNanos: atNanos) {
            $0.committed += 1
            $0.localCommitMicros.record(latencyMicros)
        }
    }

    /// A transaction became globally final at `atNanos` (in the interval of that time, as commits are).
    public mutating func globalFinality(region: Int, atNanos: UInt64, latencyMicros: UInt64) {
        withCell(region: region, atNanos: atNanos) { $0.globalFinalityMicros.record(latencyMicros) }
    }

    /// A transaction that ended without a commit, counted under `kind` in the interval of `atNanos` (the load
    /// generator's finer outcomes: `busy`, `timedOut`, `lost`, ...). Callers use a fixed, small set of kinds, so
    /// ``TimeSeriesInterval/ended`` stays bounded.
    public mutating func ended(region: Int, atNanos: UInt64, kind: String) {
        withCell(region: region, atNanos: atNanos) { $0.ended[kind, default: 0] += 1 }
    }

    /// Region `region`'s raw intervals, `intervalCount` of them (padded with empty ones, at most ``intervalsMax``):
    /// counts and histograms that still merge, unlike the rates and percentiles of ``series(regionNames:intervalCount:withGlobal:)``.
    public func intervals(region: Int, intervalCount wanted: Int) -> [TimeSeriesInterval] {
        let series = region < cells.count ? cells[region] : []
        return (0..<min(intervalsMax, max(wanted, series.count))).map { $0 < series.count ? series[$0] : Cell() }
    }

    /// Adds `other`'s counts, region by region through `regionMap` (its region index to ours).
    mutating func merge(_ other: TimeSeriesRecorder, regionMap: [Int]) {
        eventsBeyondLastInterval += other.eventsBeyondLastInterval
        for (otherRegion, series) in other.cells.enumerated() where otherRegion < regionMap.count {
            let region = regionMap[otherRegion]
            if cells.count <= region { cells += Array(repeating: [], count: region + 1 - cells.count) }
            if cells[region].count < series.count {
                cells[region] += Array(repeating: Cell(), count: series.count - cells[region].count)
            }
            for (index, cell) in series.enumerated() { cells[region][index].add(cell) }
        }
    }

    /// The series of `intervalCount` intervals (at least the intervals with data), per region named by
    /// `regionNames` (index order) and in total. Global-finality figures appear only when `withGlobal` is set.
    public func series(regionNames: [String], intervalCount wanted: Int? = nil, withGlobal: Bool) -> (
        total: [TimeSeriesPoint], regions: [String: [TimeSeriesPoint]]
    ) {
        let count = min(intervalsMax, max(wanted ?? 0, intervalCount))
        let seconds = Double(intervalNanos) / 1e9
        func point(_ index: Int, _ cell: Cell) -> TimeSeriesPoint {
            cell.point(startSeconds: Double(index) * seconds, intervalSeconds: seconds, withGlobal: withGlobal)
        }
        var regions: [String: [TimeSeriesPoint]] = [:]
        var totals = [Cell](repeating: Cell(), count: count)
        for (regionIndex, name) in regionNames.enumerated() {
            let series = regionIndex < cells.count ? cells[regionIndex] : []
            regions[name] = (0..<count).map { index in
                let cell = index < series.count ? series[index] : Cell()
                totals[index].add(cell)
                return point(index, cell)
            }
        }
        return (totals.enumerated().map { point($0.offset, $0.element) }, regions)
    }

}

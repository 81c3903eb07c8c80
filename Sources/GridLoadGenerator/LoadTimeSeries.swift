import GridLoad

/// One load generator's outcomes interval by interval (``TimeSeriesInterval``: counts and latency histograms, which
/// merge exactly), on a grid of the **wall clock** so that generators that ran apart, even on other hosts, line up:
/// interval i covers `[firstIntervalStartUnixMicros + i·intervalMicros, + intervalMicros)`.
///
/// The grid is `gridOriginUnixNanos + k·interval` (the config's `intervalOriginUnixNanos`, else its
/// `startAtUnixNanos`, else the Unix epoch), so generators given the same start or origin share it. Within one
/// generator, times come from its monotonic clock added to the wall time at which sending started; only that one
/// wall-clock reading per generator enters the series, so skew between hosts shifts a generator's series by the
/// skew and never changes a count or a latency.
///
/// Definitions: offered and achieved (sent) count in the interval of the transaction's **scheduled** time,
/// committed and every other outcome in the interval the generator saw it (as the simulator's ``TimeSeries``); the
/// histogram holds the local-commit latency of every commit of the interval, all phases. Every transaction of the
/// report appears exactly once as offered and once with an outcome, unless the series hit `intervalsMax`
/// (``eventsBeyondLastInterval`` counts what fell after it).
public struct LoadTimeSeries: Codable, Hashable, Sendable {
    public var intervalMicros: UInt64
    /// Wall time (Unix µs, by the generator's own clock) at which interval 0 starts.
    public var firstIntervalStartUnixMicros: UInt64
    /// The most intervals a generator keeps (``LoadGeneratorOptions/intervalsMax``).
    public var intervalsMax: Int
    /// Per region in topology order; every region has the same number of intervals.
    public var regions: [Region]
    /// Events (offers, sends, outcomes) later than the last interval kept, so in no interval; 0 normally.
    public var eventsBeyondLastInterval: UInt64
    /// Once merged: how many generator parts were running during each interval (an interval that some parts did
    /// not cover is only a partial view of the load). Nil in one generator's own report (all its parts covered
    /// every interval of its series).
    public var partsReporting: [Int]?
    /// The run had a global committee: its intervals carry the global finality the clients heard, and the run's
    /// points show it (nil, as false, in reports of generators built before they did).
    public var withGlobal: Bool?

    public struct Region: Codable, Hashable, Sendable {
        public var name: String
        public var intervals: [TimeSeriesInterval]

        public init(name: String, intervals: [TimeSeriesInterval]) {
            self.name = name
            self.intervals = intervals
        }
    }

    public init(
        intervalMicros: UInt64, firstIntervalStartUnixMicros: UInt64, intervalsMax: Int, regions: [Region],
        eventsBeyondLastInterval: UInt64 = 0, partsReporting: [Int]? = nil
    ) {
        self.intervalMicros = intervalMicros
        self.firstIntervalStartUnixMicros = firstIntervalStartUnixMicros
        self.intervalsMax = intervalsMax
        self.regions = regions
        self.eventsBeyondLastInterval = eventsBeyondLastInterval
        self.partsReporting = partsReporting
    }

    /// Intervals in the series (every region has as many).
    public var intervalCount: Int { regions.map(\.intervals.count).max() ?? 0 }

    /// All regions added up, interval by interval.
    public var total: [TimeSeriesInterval] {
        var total = [TimeSeriesInterval](repeating: TimeSeriesInterval(), count: intervalCount)
        for region in regions {
            for (index, interval) in region.intervals.enumerated() { total[index].add(interval) }
        }
        return total
    }

    /// The whole series added up (what the report's totals must equal when nothing fell beyond the last interval).
    public var sum: TimeSeriesInterval { total.reduce(into: TimeSeriesInterval()) { $0.add($1) } }

    /// Wall time (Unix µs) at which interval `index` starts.
    public func startUnixMicros(ofInterval index: Int) -> UInt64 {
        firstIntervalStartUnixMicros + UInt64(index) * intervalMicros
    }

    /// Throws, naming the field, unless the series is well formed: a usable interval, regions of equal length within
    /// `intervalsMax`, and `partsReporting` (if any) one entry per interval.
    public func validate() throws(LoadTimeSeriesError) {
        guard intervalMicros >= 1000 else {
            throw LoadTimeSeriesError(field: "timeSeries.intervalMicros", reason: "is \(intervalMicros), below 1000")
        }
        guard intervalsMax >= 1 else {
            throw LoadTimeSeriesError(field: "timeSeries.intervalsMax", reason: "is \(intervalsMax), below 1")
        }
        let count = intervalCount
        for region in regions where region.intervals.count != count {
            throw LoadTimeSeriesError(
                field: "timeSeries.regions[\(region.name)].intervals",
                reason: "has \(region.intervals.count) intervals, another region \(count)")
        }
        guard count <= intervalsMax else {
            throw LoadTimeSeriesError(
                field: "timeSeries.regions", reason: "hold \(count) intervals, more than intervalsMax \(intervalsMax)")
        }
        for region in regions {
            for (index, interval) in region.intervals.enumerated() {
                for kind in interval.ended.keys where !LoadOutcomeCounts.endedKinds.contains(kind) {
                    throw LoadTimeSeriesError(
                        field: "timeSeries.regions[\(region.name)].intervals[\(index)].ended",
                        reason:
                            "names outcome \(kind), not one of \(LoadOutcomeCounts.endedKinds.joined(separator: ", "))")
                }
            }
        }
        guard Set(regions.map(\.name)).count == regions.count else {
            throw LoadTimeSeriesError(field: "timeSeries.regions", reason: "name a region twice")
        }
        if let partsReporting, partsReporting.count != count {
            throw LoadTimeSeriesError(
                field: "timeSeries.partsReporting", reason: "has \(partsReporting.count) entries for \(count) intervals"
            )
        }
    }

    /// The series of several generators on their shared wall-clock grid: counts summed and histograms merged
    /// interval by interval (never percentiles averaged), regions matched by name, ``partsReporting`` set.
    ///
    /// Refused, naming the source and the field: series of another interval length, on a grid shifted by a part of
    /// an interval (their origins differ), or a mix of reports with and without a series.
    public static func merged(_ inputs: [(source: String, series: LoadTimeSeries?, parts: Int)])
        throws(LoadTimeSeriesError) -> LoadTimeSeries?
    {
        let present = inputs.compactMap { input in input.series.map { (input.source, $0, input.parts) } }
        guard let (firstSource, first, _) = present.first else { return nil }
        if let missing = inputs.first(where: { $0.series == nil }) {
            throw LoadTimeSeriesError(
                source: missing.source, field: "timeSeries",
                reason: "is missing (a generator built before time series existed?) while \(firstSource) has one")
        }
        for (source, series, _) in present {
            do { try series.validate() } catch { throw error.from(source) }
            guard series.intervalMicros == first.intervalMicros else {
                throw LoadTimeSeriesError(
                    source: source, field: "timeSeries.intervalMicros",
                    reason: "is \(series.intervalMicros), \(firstSource) has \(first.intervalMicros): intervals of "
                        + "different lengths cannot be aligned")
            }
            let shift =
                series.firstIntervalStartUnixMicros >= first.firstIntervalStartUnixMicros
                ? (series.firstIntervalStartUnixMicros - first.firstIntervalStartUnixMicros) % first.intervalMicros
                : (first.firstIntervalStartUnixMicros - series.firstIntervalStartUnixMicros) % first.intervalMicros
            guard shift == 0 else {
                throw LoadTimeSeriesError(
                    source: source, field: "timeSeries.firstIntervalStartUnixMicros",
                    reason: "\(series.firstIntervalStartUnixMicros) is \(shift) µs off the interval grid of "
                        + "\(firstSource) (\(first.firstIntervalStartUnixMicros)): the generators had different "
                        + "interval origins")
            }
        }
        let start = present.map(\.1.firstIntervalStartUnixMicros).min() ?? 0
        let interval = first.intervalMicros
        let end = present.map { $0.1.startUnixMicros(ofInterval: $0.1.intervalCount) }.max() ?? start
        let count = Int((end - start) / interval)
        var regionNames: [String] = []
        var byRegion: [String: [TimeSeriesInterval]] = [:]
        var partsReporting = [Int](repeating: 0, count: count)
        var beyond: UInt64 = 0
        for (_, series, parts) in present {
            let offset = Int((series.firstIntervalStartUnixMicros - start) / interval)
            for region in series.regions {
                if byRegion[region.name] == nil {
                    regionNames.append(region.name)
                    byRegion[region.name] = Array(repeating: TimeSeriesInterval(), count: count)
                }
                for (index, cell) in region.intervals.enumerated() { byRegion[region.name]![offset + index].add(cell) }
            }
            for index in 0..<series.intervalCount {
                partsReporting[offset + index] += series.partsReporting?[index] ?? parts
            }
            beyond += series.eventsBeyondLastInterval
        }
        var merged = LoadTimeSeries(
            intervalMicros: interval, firstIntervalStartUnixMicros: start,
            intervalsMax: max(count, present.map(\.1.intervalsMax).max() ?? count),
            regions: regionNames.map { Region(name: $0, intervals: byRegion[$0] ?? []) },
            eventsBeyondLastInterval: beyond, partsReporting: partsReporting)
        merged.withGlobal = present.contains { $0.1.withGlobal == true } ? true : nil
        return merged
    }

    /// Intervals that only some of `partsTotal` generator parts covered, as (start, parts reporting).
    public func partialIntervals(partsTotal: Int) -> [(startUnixMicros: UInt64, partsReporting: Int)] {
        guard let partsReporting else { return [] }
        return partsReporting.enumerated().filter { $0.element < partsTotal }.map {
            (startUnixMicros(ofInterval: $0.offset), $0.element)
        }
    }

    /// The run's ``TimeSeries``: seconds counted from `originUnixNanos` (the run's planned start for a live run;
    /// nil: the first interval's start), rates per second, the non-commit outcomes in the result's buckets.
    public func timeSeries(
        originUnixNanos: UInt64?, faults: [FaultMark] = [], nodes: [NodeTimeSeries] = []
    ) -> TimeSeries {
        let seconds = Double(intervalMicros) / 1e6
        let originMicros = Double(originUnixNanos.map { $0 / 1000 } ?? firstIntervalStartUnixMicros)
        func point(_ index: Int, _ cell: TimeSeriesInterval) -> TimeSeriesPoint {
            let start = (Double(startUnixMicros(ofInterval: index)) - originMicros) / 1e6
            var point = cell.point(startSeconds: start, intervalSeconds: seconds, withGlobal: withGlobal == true)
            let counts = LoadOutcomeCounts(ended: cell.ended).outcomeCounts
            point.rejectedTps = Double(counts.rejected) / seconds
            point.droppedTps = Double(counts.dropped) / seconds
            point.timedOutTps = Double(counts.timedOut) / seconds
            return point
        }
        var regionPoints: [String: [TimeSeriesPoint]] = [:]
        for region in regions { regionPoints[region.name] = region.intervals.enumerated().map { point($0, $1) } }
        var series = TimeSeries(
            intervalSeconds: seconds, total: total.enumerated().map { point($0, $1) }, regions: regionPoints,
            nodes: nodes,
            faults: faults.sorted { ($0.atSeconds, $0.kind, $0.target) < ($1.atSeconds, $1.kind, $1.target) })
        series.eventsBeyondLastInterval = eventsBeyondLastInterval > 0 ? eventsBeyondLastInterval : nil
        return series
    }
}

/// A time series that cannot be used or merged, naming the report (`source`) and the field.
public struct LoadTimeSeriesError: Error, CustomStringConvertible, Equatable {
    public var source: String?
    public var field: String
    public var reason: String

    public init(source: String? = nil, field: String, reason: String) {
        self.source = source
        self.field = field
        self.reason = reason
    }

    func from(_ source: String) -> LoadTimeSeriesError {
        LoadTimeSeriesError(source: source, field: field, reason: reason)
    }

    public var description: String { (source.map { "\($0): " } ?? "") + "\(field) \(reason)" }
}

extension LoadOutcomeCounts {
    /// The names under which the generator counts outcomes other than a commit in its time series
    /// (``TimeSeriesInterval/ended``).
    public static let endedKinds = ["failed", "rejected", "busy", "unreachable", "notSent", "timedOut", "lost"]

    /// Counts rebuilt from a time series interval's ``TimeSeriesInterval/ended`` (unknown kinds are ignored; the
    /// report's accounting check compares the sums).
    init(ended: [String: UInt64]) {
        self.init()
        failed = ended["failed"] ?? 0
        rejected = ended["rejected"] ?? 0
        busy = ended["busy"] ?? 0
        unreachable = ended["unreachable"] ?? 0
        notSent = ended["notSent"] ?? 0
        timedOut = ended["timedOut"] ?? 0
        lost = ended["lost"] ?? 0
    }
}

import Foundation
import GridLoad
import GridLoadGenerator
import GridTopology
import Histogram
import Testing

@testable import GridDeploy

/// `collect` lines up the time series of generators that ran apart by interval start on the shared wall clock:
/// counts summed, per-interval latency histograms merged (never percentiles averaged), intervals that only some
/// generators covered named; series of another interval length or grid are refused by file and field.
struct ClusterTimeSeriesTests {
    static let secondMicros: UInt64 = 1_000_000
    static let t0Micros: UInt64 = 1_700_000_000_000_000

    /// A part whose commits, interval by interval, have these latencies (µs), its series starting at
    /// `firstStartMicros`; `rejected` refusals end in its last interval.
    static func report(
        part: Int, parts: Int, latenciesByInterval: [[UInt64]], rejected: UInt64, firstStartMicros: UInt64,
        intervalMicros: UInt64 = secondMicros
    ) -> LoadReport {
        let latencies = Array(latenciesByInterval.joined())
        var report = ClusterResultsTests.report(
            part: part, parts: parts, latencies: latencies, rejected: rejected, startedAt: firstStartMicros * 1000)
        var intervals = latenciesByInterval.map { values -> TimeSeriesInterval in
            var interval = TimeSeriesInterval()
            interval.offered = UInt64(values.count)
            interval.achieved = UInt64(values.count)
            interval.committed = UInt64(values.count)
            for value in values { interval.localCommitMicros.record(value) }
            return interval
        }
        intervals[intervals.count - 1].offered += rejected
        intervals[intervals.count - 1].achieved += rejected
        if rejected > 0 { intervals[intervals.count - 1].ended["rejected"] = rejected }
        report.timeSeries = LoadTimeSeries(
            intervalMicros: intervalMicros, firstIntervalStartUnixMicros: firstStartMicros, intervalsMax: 7200,
            regions: [LoadTimeSeries.Region(name: "r0", intervals: intervals)])
        return report
    }

    static func latencies(_ count: Int, _ range: ClosedRange<UInt64>) -> [UInt64] {
        var random = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt64.random(in: range, using: &random) }
    }

    @Test func offset_generators_merge_on_the_wall_clock_with_summed_counts_and_merged_histograms() throws {
        // Part 0 ran 4 intervals from t0; part 1, on another host, started 2 s later and ran 4 intervals.
        let a = (0..<4).map { Self.latencies(100 + 20 * $0, 1_000...9_000) }
        let b = (0..<4).map { Self.latencies(60 + 10 * $0, 20_000...90_000) }
        let folder = try ClusterResultsTests.folder()
        try Self.report(part: 0, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros)
            .jsonData().write(to: folder.appendingPathComponent("a.report.json"))
        try Self.report(
            part: 1, parts: 2, latenciesByInterval: b, rejected: 3,
            firstStartMicros: Self.t0Micros + 2 * Self.secondMicros
        ).jsonData().write(to: folder.appendingPathComponent("b.report.json"))

        let merged = try ClusterResults.merge(ClusterResults.gather([folder]))
        let series = try #require(merged.timeSeries)
        #expect(series.firstIntervalStartUnixMicros == Self.t0Micros)
        #expect(series.intervalCount == 6)
        #expect(series.partsReporting == [1, 1, 2, 2, 1, 1])
        let total = series.total
        for index in 0..<6 {
            var expected = IntervalHistogram()
            let fromA = index < 4 ? a[index] : []
            let fromB = index >= 2 ? b[index - 2] : []
            for value in fromA + fromB { expected.record(value) }
            #expect(total[index].committed == UInt64(fromA.count + fromB.count), "interval \(index)")
            #expect(total[index].localCommitMicros == expected, "interval \(index)")
        }
        #expect(total[5].ended == ["rejected": 3])
        #expect(series.sum.committed == merged.total.committed)
        #expect(series.sum.offered == merged.total.offered)

        // In the result: seconds from the first interval, percentiles of the merged histogram (interval 3 mixes
        // part 0's fast commits with part 1's slow ones: its p99 is part 1's, its p50 neither average).
        let topology = Topology(
            name: "collect-ts", regions: [Topology.Region(name: "r0", validators: 4)],
            workload: Topology.Workload(rate: .fixed(tps: 100), durationSeconds: 4))
        let result = try ClusterResults.runResult(merged, topology: topology, topologyFile: "t.yaml")
        let points = try #require(result.timeSeries?.total)
        #expect(points.map(\.startSeconds) == [0, 1, 2, 3, 4, 5])
        var mixed = IntervalHistogram()
        for value in a[3] + b[1] { mixed.record(value) }
        #expect(points[3].localCommitMillis?.p99 == Double(mixed.value(atPercent: 99)) / 1000)
        #expect(points[3].localCommitMillis?.p50 == Double(mixed.value(atPercent: 50)) / 1000)
        #expect(points[3].localCommitMillis?.count == UInt64(a[3].count + b[1].count))
        #expect(points[5].rejectedTps == 3)
        let lines = ClusterResults.partialIntervalLines(merged)
        #expect(lines.count == 4)
        #expect(lines.first?.contains("1 of 2 parts") == true)
        #expect(ClusterResults.markdownAppendix([], merged: merged).contains("only some parts reporting"))
        // The merged report, written and read back, keeps its series (histograms included).
        #expect(try LoadReport.decode(merged.jsonData()).timeSeries == series)
    }

    @Test func another_interval_length_or_grid_is_refused_naming_file_and_field() throws {
        let a = [Self.latencies(10, 1_000...2_000), Self.latencies(10, 1_000...2_000)]
        let folder = try ClusterResultsTests.folder()
        try Self.report(part: 0, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros)
            .jsonData().write(to: folder.appendingPathComponent("a.report.json"))
        let b = folder.appendingPathComponent("b.report.json")

        try Self.report(
            part: 1, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros,
            intervalMicros: 500_000
        ).jsonData().write(to: b)
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
            Issue.record("merged 0.5 s intervals with 1 s ones")
        } catch {
            #expect(error.file.hasSuffix("b.report.json"))
            #expect(error.reason.contains("timeSeries.intervalMicros"))
        }

        try Self.report(
            part: 1, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros + 300_000
        ).jsonData().write(to: b)
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
            Issue.record("merged series on grids 0.3 s apart")
        } catch {
            #expect(error.file.hasSuffix("b.report.json"))
            #expect(error.reason.contains("timeSeries.firstIntervalStartUnixMicros"))
        }

        // A series that does not add up to its report's totals is refused when read.
        var lying = Self.report(part: 1, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros)
        lying.timeSeries?.regions[0].intervals[1].committed += 1
        try lying.jsonData().write(to: b)
        do {
            _ = try ClusterResults.gather([folder])
            Issue.record("read a series that does not add up")
        } catch {
            #expect(error.file.hasSuffix("b.report.json"))
            #expect(error.reason.contains("timeSeries holds") && error.reason.contains("committed"))
        }

        // A report without a series next to one with: refused, not silently merged into a partial series.
        var old = Self.report(part: 1, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros)
        old.timeSeries = nil
        try old.jsonData().write(to: b)
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
            Issue.record("merged a report without a series")
        } catch {
            #expect(error.file.hasSuffix("b.report.json") && error.reason.contains("timeSeries is missing"))
        }

        // A histogram whose buckets do not add up to its count: refused by the decoder, naming the field.
        let good = Self.report(part: 1, parts: 2, latenciesByInterval: a, rejected: 0, firstStartMicros: Self.t0Micros)
        var text = String(decoding: try good.jsonData(), as: UTF8.self)
        let range = try #require(text.range(of: "\"count\" : 10"))
        text.replaceSubrange(range, with: "\"count\" : 11")
        try Data(text.utf8).write(to: b)
        do {
            _ = try ClusterResults.gather([folder])
            Issue.record("read a histogram that does not add up")
        } catch {
            #expect(error.file.hasSuffix("b.report.json") && error.reason.contains("buckets hold 10"))
        }
    }
}

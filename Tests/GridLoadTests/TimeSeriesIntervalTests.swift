import Foundation
import Testing

@testable import GridLoad

/// The raw form of a time series interval, which load generators write and `collect` merges: histograms survive
/// JSON exactly, merging adds counts, and a broken histogram is refused by field.
struct TimeSeriesIntervalTests {
    @Test func histogramJSONRoundTripsAndMergesLikeOneHistogram() throws {
        var random = SystemRandomNumberGenerator()
        let a = (0..<500).map { _ in UInt64.random(in: 1...2_000_000, using: &random) }
        let b = (0..<300).map { _ in UInt64.random(in: 50_000...9_000_000, using: &random) }
        var first = TimeSeriesInterval()
        var second = TimeSeriesInterval()
        var both = IntervalHistogram()
        for value in a {
            first.localCommitMicros.record(value)
            both.record(value)
        }
        for value in b {
            second.localCommitMicros.record(value)
            both.record(value)
        }
        first.committed = 500
        first.ended = ["timedOut": 2]
        second.committed = 300
        second.ended = ["timedOut": 1, "busy": 4]
        let decoded = try JSONDecoder().decode(TimeSeriesInterval.self, from: JSONEncoder().encode(first))
        #expect(decoded == first)
        var merged = decoded
        merged.add(second)
        #expect(merged.localCommitMicros == both)
        #expect(merged.committed == 800 && merged.ended == ["timedOut": 3, "busy": 4])
        for percent in [50.0, 90, 99, 99.9, 100] {
            #expect(merged.localCommitMicros.value(atPercent: percent) == both.value(atPercent: percent))
        }
        let point = merged.point(startSeconds: 3, intervalSeconds: 0.5, withGlobal: false)
        #expect(point.committedTps == 1600)
        #expect(point.localCommitMillis?.max == Double(max(a.max()!, b.max()!)) / 1000)
    }

    @Test func brokenHistogramsAreRefusedNamingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"count": 2, "maxValue": 5, "buckets": "5:1"}"#, "count"),
            (#"{"count": 1, "maxValue": 5, "buckets": "5:x"}"#, "buckets"),
            (#"{"count": 1, "maxValue": 5, "buckets": "99999999:1"}"#, "buckets"),
            (#"{"count": 1, "maxValue": 900, "buckets": "5:1"}"#, "maxValue"),
        ]
        for (json, field) in cases {
            do {
                _ = try JSONDecoder().decode(IntervalHistogram.self, from: Data(json.utf8))
                Issue.record("decoded \(json)")
            } catch let DecodingError.dataCorrupted(context) {
                #expect(context.codingPath.last?.stringValue == field, "\(json): \(context)")
            }
        }
        let empty = try JSONDecoder().decode(
            IntervalHistogram.self, from: Data(#"{"count": 0, "maxValue": 0, "buckets": ""}"#.utf8))
        #expect(empty == IntervalHistogram())
    }
}

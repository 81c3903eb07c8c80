import Foundation
import GridLoad
import Testing

@testable import GridReport

@Suite struct ComparisonTests {
    @Test func percentagesAndRegressionFlagsFollowDirectionAndThreshold() throws {
        let a = constructedRun(committedTps: 1000, p99: 40)
        // Committed down 10 % (regression beyond 5 %), p99 up 4 % (within), p99.9 up 4 %, max up 4 %.
        let b = constructedRun(committedTps: 900, p99: 41.6)
        let comparison = ResultComparison.compare(a, b, thresholdPercent: 5)
        let committed = try #require(comparison.metrics.first { $0.name == "committed" })
        #expect(abs((committed.changePercent ?? 0) + 10) < 1e-9)
        #expect(committed.regression && !committed.improvement)
        let p99 = try #require(comparison.metrics.first { $0.name == "localCommit latency p99" })
        #expect(abs((p99.changePercent ?? 0) - 4) < 1e-9)
        #expect(!p99.regression)
        let offered = try #require(comparison.metrics.first { $0.name == "offered" })
        #expect(offered.direction == .neutral && !offered.regression)
        #expect(comparison.regressions.map(\.name).contains("committed"))
        // Per-region committed fell 10 % as well.
        #expect(comparison.regressions.map(\.name).contains("region north committed"))

        // A tighter threshold flags the latency too; the reverse comparison is an improvement.
        let strict = ResultComparison.compare(a, b, thresholdPercent: 3)
        #expect(strict.metrics.first { $0.name == "localCommit latency p99" }?.regression == true)
        let reverse = ResultComparison.compare(b, a, thresholdPercent: 5)
        #expect(reverse.metrics.first { $0.name == "committed" }?.improvement == true)
        #expect(reverse.metrics.first { $0.name == "committed" }?.regression == false)
    }

    @Test func exactlyAtTheThresholdIsNotARegression() {
        let metric = Comparison.metric("x", unit: "", 100, 95, .higherIsBetter, thresholdPercent: 5)
        #expect(!metric.regression)
        #expect(Comparison.metric("x", unit: "", 100, 94.9, .higherIsBetter, thresholdPercent: 5).regression)
        #expect(Comparison.metric("lat", unit: "", 0, 3, .lowerIsBetter, thresholdPercent: 5).regression)
        #expect(Comparison.metric("lat", unit: "", 0, 0, .lowerIsBetter, thresholdPercent: 5).changePercent == 0)
        #expect(Comparison.metric("lat", unit: "", nil, 3, .lowerIsBetter, thresholdPercent: 5).note == "only in B")
    }

    @Test func thresholdParsing() {
        #expect(ResultComparison.parseThreshold("5%") == 5)
        #expect(ResultComparison.parseThreshold(" 2.5 % ") == 2.5)
        #expect(ResultComparison.parseThreshold("10") == 10)
        #expect(ResultComparison.parseThreshold("-1%") == nil)
        #expect(ResultComparison.parseThreshold("nan") == nil)
        #expect(ResultComparison.parseThreshold("five") == nil)
    }

    @Test func textAndHTMLStateTheThresholdAndTheVerdict() {
        let comparison = ResultComparison.compare(
            constructedRun(committedTps: 1000), constructedRun(name: hostileName, committedTps: 800),
            labelA: "runs/a/result.json", labelB: hostileName, thresholdPercent: 5)
        let text = ResultComparison.text(comparison)
        #expect(text.contains("REGRESSION"))
        #expect(text.contains("-20.00 %"))
        #expect(text.contains("by more than 5.0 % of A"))
        #expect(text.contains("note: The results are of different topologies"))
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("metric ") })
        #expect(!text.contains("\u{1B}"))
        let escapeLabel = ResultComparison.text(
            ResultComparison.compare(constructedRun(), constructedRun(), labelA: "a\u{1B}[2J", labelB: "b"))
        #expect(escapeLabel.hasPrefix("A: a?[2J\nB: b\n"))
        let html = ResultComparison.html(comparison)
        #expect(html.contains("<tr class=\"regression\">"))
        #expect(html.contains("id=\"compare-change\""))
        #expect(html.contains("change from A to B (%)"))
        #expect(!html.contains("<script>"))
    }

    @Test func capacitySearchesCompare() throws {
        let a = constructedCapacity()
        var b = constructedCapacity()
        b.sustainableTps = 11_000
        b.recommendedTps = 8_800
        let comparison = ResultComparison.compare(a, b)
        let sustainable = try #require(comparison.metrics.first { $0.name == "sustainable rate" })
        #expect(abs((sustainable.changePercent ?? 0) - 10) < 1e-9)
        #expect(sustainable.improvement)
        #expect(comparison.regressions.isEmpty)
    }
}

import Foundation
import GridLoad
import GridReport
import Testing

@Suite struct CapacitySweepReportTests {
    @Test func capacityReportMarksSLOKneeSustainableAndEveryProbe() {
        let capacity = constructedCapacity()
        let html = CapacityReport.html(capacity)
        #expect(html.contains("id=\"capacity-latency\""))
        #expect(html.contains("id=\"capacity-throughput\""))
        #expect(html.contains("offered rate (tx/s)"))
        #expect(html.contains("latency (ms, log scale)"))
        #expect(html.contains(">SLO p99 &lt;= 100.0 ms</text>"))
        #expect(html.contains(">knee 9000.0</text>"))
        #expect(html.contains(">sustainable 10000.0</text>"))
        #expect(html.contains(">recommended 8000.0</text>"))
        #expect(html.contains("class=\"recommendation\">Run default at up to 8,000 tx/s"))
        // One table row per probe, failed probes marked; pass dots and fail crosses on the curves.
        #expect(occurrences(of: "<tr class=\"fail\">", in: html) == 3)
        #expect(occurrences(of: "<tr class=\"pass\">", in: html) == 5)
        #expect(html.contains("missed: latency"))
        #expect(html.contains("<a href=\"probes/confirm-10000/report.html\">"))
        let markdown = CapacityReport.markdown(capacity)
        #expect(markdown.contains("| 8 | confirm | met | 10000.0 |"))
    }

    @Test func sloTargetsParse() {
        #expect(CapacityReport.sloTarget("p99<=250ms")?.targetMillis == 250)
        #expect(CapacityReport.sloTarget("p99.9 <= 1s")?.targetMillis == 1000)
        #expect(CapacityReport.sloTarget("p99.9 <= 1s")?.percentile == "p99.9")
        #expect(CapacityReport.sloTarget("fast") == nil)
        #expect(CapacityReport.sloTarget("p99<=-5ms") == nil)
    }

    @Test func capacityWithHostileTextAndAnUnreadableSLOStillRenders() {
        var capacity = constructedCapacity(name: hostileName, recommendation: hostileName)
        capacity.slo = "<b>fast</b>"
        capacity.probes[0].resultDirectory = "javascript:alert(1)"
        capacity.probes[1].resultDirectory = "../../etc"
        let html = CapacityReport.html(capacity)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>fast</b>"))
        #expect(!html.contains("href=\"javascript"))
        #expect(!html.contains("href=\"../"))
        #expect(html.contains("no SLO line is drawn"))
        #expect(!CapacityReport.markdown(capacity).contains("<script>"))
    }

    @Test func capacityWithoutProbesSaysSo() {
        var capacity = constructedCapacity()
        capacity.probes = []
        let html = CapacityReport.html(capacity)
        #expect(html.contains("No probes in this capacity search."))
        #expect(occurrences(of: "<svg", in: html) == 0)
    }

    @Test func sweepReportAnswersPerCellAndChartsTheRates() {
        let sweep = constructedSweep()
        let html = SweepReport.html(sweep)
        #expect(html.contains("id=\"sweep-rates\""))
        #expect(html.contains("transactions per second (tx/s)"))
        #expect(html.contains("sustains 17500.0 tx/s, run at 14000.0 tx/s"))
        #expect(html.contains("committed 4990.0 of 5000.0 tx/s (99.8 %), p99 42.000 ms"))
        #expect(html.contains("no answer: failed: out of memory"))
        // Parameters become columns.
        #expect(html.contains(">regions</th>") && html.contains(">validators</th>") && html.contains(">rate</th>"))
        // Three finished cells with a rate, three bars.
        #expect(occurrences(of: " tx/s</text>", in: html) == 3)
        let markdown = SweepReport.markdown(sweep)
        #expect(
            markdown.contains(
                "| regions=2 | - | 2 | 4 | sustains 9000.0 tx/s, run at 7200.0 tx/s | capacity | done | 9000.0 | 7200.0 |"
            ))
        #expect(markdown.contains("| --- | --- | --- | --- | --- | --- | --- | ---: |"))
    }

    @Test func sweepEscapesCellNames() {
        let html = SweepReport.html(constructedSweep(cellName: hostileName))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
    }
}

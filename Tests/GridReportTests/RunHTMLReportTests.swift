import Foundation
import GridLoad
import Testing

@testable import GridReport

@Suite struct RunHTMLReportTests {
    @Test func runWithTimeSeriesHasEveryChartWithLabelledAxesAndFaultMarkers() {
        let html = RunHTMLReport.html(constructedRun())
        for id in [
            "throughput-total", "throughput-regions", "latency-local", "latency-percentiles", "node-cpu", "node-queue",
        ] {
            #expect(html.contains("id=\"\(id)\""), "chart \(id) missing")
        }
        #expect(occurrences(of: "<svg", in: html) == 6)
        #expect(html.contains("time since start of run (s)"))
        #expect(html.contains("transactions per second (tx/s)"))
        #expect(html.contains("latency (ms, log scale)"))
        #expect(html.contains("percentile (log scale of 1/(1-p))"))
        for tick in [">0%<", ">90%<", ">99%<", ">99.9%<"] { #expect(html.contains(tick), "tick \(tick)") }
        // Both faults appear as labelled vertical lines on the time charts.
        #expect(html.contains(">crash north/v0</text>"))
        #expect(html.contains(">restart north/v0</text>"))
        #expect(html.contains("CPU (% of one core)"))
        #expect(!html.contains("No time series in this result"))
        #expect(!html.contains("<script"))
        #expect(
            !html.contains("http://")
                || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
    }

    @Test func perIntervalFailuresAreChartedWhenTheResultHasThem() throws {
        var result = constructedRun()
        #expect(!RunHTMLReport.html(result).contains("id=\"failures\""))
        #expect(RunHTMLReport.html(result).contains("no per-interval outcomes"))
        var series = try #require(result.timeSeries)
        for index in series.total.indices {
            series.total[index].rejectedTps = 0
            series.total[index].droppedTps = index == 2 ? 125 : 0
            series.total[index].timedOutTps = index == 3 ? 40 : 0
        }
        result.timeSeries = series
        let html = RunHTMLReport.html(result)
        #expect(html.contains("id=\"failures\""))
        for name in ["rejected", "dropped (busy, full)", "timed out"] { #expect(html.contains(">\(name)</text>")) }
        #expect(occurrences(of: "<svg", in: html) == 7)
    }

    @Test func oldResultWithoutTimeSeriesSaysSoAndStillDrawsPercentilesAndCPUBars() {
        let html = RunHTMLReport.html(constructedRun(withTimeSeries: false))
        #expect(html.contains("No time series in this result"))
        #expect(html.contains("id=\"latency-percentiles\""))
        #expect(html.contains("id=\"node-cpu-bars\""))
        #expect(!html.contains("id=\"throughput-total\""))
        #expect(occurrences(of: "<svg", in: html) == 2)
    }

    @Test func nothingCommittedDrawsNoEmptyCharts() {
        var result = constructedRun(withTimeSeries: false)
        result.latencyMillis = [
            LatencyKind.localCommit.rawValue: LatencySummary(p50: 0, p90: 0, p99: 0, p999: 0, max: 0, count: 0)
        ]
        result.nodes = []
        let html = RunHTMLReport.html(result)
        #expect(html.contains("No latency recorded"))
        #expect(html.contains("No nodes in this result"))
        #expect(occurrences(of: "<svg", in: html) == 0)
    }

    @Test func hostileNamesAreEscapedEverywhere() {
        let html = RunHTMLReport.html(
            constructedRun(name: hostileName, region: hostileName, rejectReason: hostileName))
        #expect(!html.contains("<script>"))
        #expect(!html.contains("alert('x')"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;r"))
        #expect(HTMLText.escape("a\u{1B}[31mb") == "a?[31mb")
    }

    @Test func tablesMatchTheMarkdownReport() {
        let result = constructedRun()
        let tables = RunReport.tables(result)
        #expect(tables.map(\.title).prefix(3) == ["Throughput", "Latency", "Outcomes"])
        let html = RunHTMLReport.html(result)
        let markdown = RunReport.markdown(result)
        for row in tables[0].rows { #expect(markdown.contains(row.joined(separator: " | "))) }
        #expect(html.contains("<td class=\"number\">950.0</td>"))
    }

    @Test func percentileAxisPositionsFollowHdrHistogram() {
        #expect(abs(RunHTMLReport.percentileX(90) - 1) < 1e-9)
        #expect(abs(RunHTMLReport.percentileX(99) - 2) < 1e-9)
        #expect(abs(RunHTMLReport.percentileX(99.9) - 3) < 1e-9)
        #expect(RunHTMLReport.percentileLabel(4) == "99.99%")
    }
}

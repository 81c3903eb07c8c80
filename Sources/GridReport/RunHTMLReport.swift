import Foundation
import GridLoad

/// `report.html` of one run: throughput and latency over time with the faults marked, the latency percentile
/// distribution as HdrHistogram plots it, per-node CPU and queue depth, and the same tables as `report.md`.
public enum RunHTMLReport {
    /// Regions drawn in the per-region chart; the tables list them all.
    public static let regionsChartedMax = 12
    /// Nodes drawn in the per-node charts (the busiest); the nodes table lists them all.
    public static let nodesChartedMax = 16

    public static func html(_ result: RunResult) -> String {
        var body = "<h1>GridLedger run: \(HTMLText.escape(result.topology.name))</h1>\n"
        body += HTMLText.facts(facts(result))
        body += "<h2>Throughput over time</h2>\n"
        body += throughputSection(result)
        body += "<h2>Latency over time</h2>\n"
        body += latencyOverTimeSection(result)
        body += "<h2>Latency percentile distribution</h2>\n"
        body += percentileSection(result)
        body += "<h2>Node CPU and queues</h2>\n"
        body += nodeSection(result)
        if let faults = result.timeSeries?.faults, !faults.isEmpty {
            body += "<h2>Faults</h2>\n"
            body += HTMLText.table(
                header: ["at (s)", "fault", "target"],
                rows: faults.map { [Format.fixed($0.atSeconds, 3), $0.kind, $0.target] })
        }
        body += "<h2>Summary tables</h2>\n"
        var lastTitle = ""
        for table in RunReport.tables(result) {
            if table.title != lastTitle { body += "<h3>\(HTMLText.escape(table.title))</h3>\n" }
            lastTitle = table.title
            body += HTMLText.table(table)
        }
        body += "<h2>Definitions</h2>\n<p>\(HTMLText.escape(plainDefinitions))</p>\n"
        return HTMLText.page(title: "GridLedger run: \(result.topology.name)", body: body)
    }

    static func facts(_ result: RunResult) -> [(String, String)] {
        let window = result.windowSeconds
        var facts: [(String, String)] = [
            ("Topology", "\(result.topology.name) (\(result.topology.file))"),
            ("Seed", "\(result.seed)"),
            ("Runtime", "\(result.runtime.rawValue), CPU \(result.cpuMode.rawValue)"),
            (
                "Window",
                "warm-up \(Format.fixed(window.warmup, 3)) s, measured \(Format.fixed(window.measured, 3)) s, "
                    + "cool-down \(Format.fixed(window.cooldown, 3)) s"
            ),
            (
                "Throughput",
                "offered \(Format.tps(result.offeredTps)) tx/s, achieved \(Format.tps(result.achievedTps)) tx/s, "
                    + "committed \(Format.tps(result.committedTps)) tx/s"
            ),
        ]
        if let local = result.latency(.localCommit), local.count > 0 {
            facts.append(
                (
                    "Local commit latency",
                    "p50 \(Format.millis(local.p50)) ms, p99 \(Format.millis(local.p99)) ms, "
                        + "max \(Format.millis(local.max)) ms"
                ))
        }
        if let wallClock = result.wallClock {
            facts.append(("Started", wallClock.startedAt))
            facts.append(("Machine, commit", "\(wallClock.machine); \(wallClock.gitCommit)"))
        }
        return facts
    }

    static let plainDefinitions = RunReport.definitionsParagraph.replacingOccurrences(of: "*", with: "")

    static let noTimeSeries = "No time series in this result (results written before time series existed have none)."

    // MARK: - Sections

    static func throughputSection(_ result: RunResult) -> String {
        guard let series = result.timeSeries, !series.total.isEmpty else { return HTMLText.missing(noTimeSeries) }
        var html = ""
        var total = timeChart(
            id: "throughput-total", title: "Throughput, all regions", yTitle: "transactions per second (tx/s)",
            series: series, result: result,
            lines: [
                ChartSeries(
                    name: "offered", points: series.total.map { ChartPoint(x: mid($0, series), y: $0.offeredTps) },
                    color: Palette.offered, dashed: true),
                ChartSeries(
                    name: "achieved", points: series.total.map { ChartPoint(x: mid($0, series), y: $0.achievedTps) },
                    color: Palette.achieved),
                ChartSeries(
                    name: "committed",
                    points: series.total.map { ChartPoint(x: mid($0, series), y: $0.committedTps) },
                    color: Palette.committed),
            ])
        total.y.includesZero = true
        html += total.svg() ?? HTMLText.missing("No throughput points in this result's time series.")
        html += failuresChart(result, series)
        let regionNames = series.regions.keys.sorted()
        if regionNames.count > 1 || (regionNames.count == 1 && result.regions.count > 1) {
            var lines: [ChartSeries] = []
            for (index, name) in regionNames.prefix(regionsChartedMax).enumerated() {
                let points = series.regions[name] ?? []
                lines.append(
                    ChartSeries(
                        name: "\(name) committed",
                        points: points.map { ChartPoint(x: mid($0, series), y: $0.committedTps) },
                        color: Palette.color(index)))
                lines.append(
                    ChartSeries(
                        name: "\(name) offered",
                        points: points.map { ChartPoint(x: mid($0, series), y: $0.offeredTps) },
                        color: Palette.color(index), dashed: true))
            }
            let chart = timeChart(
                id: "throughput-regions", title: "Throughput per region (solid: committed, dashed: offered)",
                yTitle: "transactions per second (tx/s)", series: series, result: result, lines: lines)
            html += chart.svg() ?? HTMLText.missing("No per-region points in this result's time series.")
            if regionNames.count > regionsChartedMax {
                html += "<p>\(regionNames.count - regionsChartedMax) more regions are in the throughput table.</p>\n"
            }
        }
        return html
    }

    /// Rejected, dropped and timed-out transactions per interval, when the result has them (live runs: the load
    /// generator sees when each outcome happened; the simulator keeps only totals).
    static func failuresChart(_ result: RunResult, _ series: TimeSeries) -> String {
        let kinds: [(name: String, color: String, rate: (TimeSeriesPoint) -> Double?)] = [
            ("rejected", Palette.color(3), \.rejectedTps), ("dropped (busy, full)", Palette.color(4), \.droppedTps),
            ("timed out", Palette.fault, \.timedOutTps),
        ]
        guard series.total.contains(where: { point in kinds.contains { $0.rate(point) != nil } }) else {
            return "<p>Failures over time: this result has no per-interval outcomes (simulated runs keep totals "
                + "only; see the outcome table).</p>\n"
        }
        var chart = timeChart(
            id: "failures", title: "Failures over time (when each transaction's outcome arrived)",
            yTitle: "transactions per second (tx/s)", series: series, result: result,
            lines: kinds.map { kind in
                ChartSeries(
                    name: kind.name,
                    points: series.total.map { ChartPoint(x: mid($0, series), y: kind.rate($0) ?? 0) },
                    color: kind.color)
            })
        chart.y.includesZero = true
        return chart.svg() ?? HTMLText.missing("No failure points in this result's time series.")
    }

    static func latencyOverTimeSection(_ result: RunResult) -> String {
        guard let series = result.timeSeries, !series.total.isEmpty else { return HTMLText.missing(noTimeSeries) }
        var html = ""
        let kinds: [(String, String, KeyPath<TimeSeriesPoint, IntervalLatency?>)] = [
            ("latency-local", "Local-commit latency per interval", \.localCommitMillis),
            ("latency-global", "Global-finality latency per interval", \.globalFinalityMillis),
        ]
        for (id, title, path) in kinds {
            let hasAny = series.total.contains { $0[keyPath: path] != nil }
            if !hasAny {
                if id == "latency-local" { html += HTMLText.missing("No transaction committed in any interval.") }
                continue
            }
            func line(_ name: String, _ color: String, _ value: (IntervalLatency) -> Double) -> ChartSeries {
                ChartSeries(
                    name: name,
                    points: series.total.map { point in
                        ChartPoint(x: mid(point, series), y: point[keyPath: path].map(value))
                    }, color: color)
            }
            var chart = timeChart(
                id: id, title: title + " (log scale)", yTitle: "latency (ms, log scale)", series: series,
                result: result,
                lines: [
                    line("p50", Palette.p50, \.p50), line("p99", Palette.p99, \.p99), line("max", Palette.max, \.max),
                ])
            chart.y.logarithmic = true
            html += chart.svg() ?? HTMLText.missing("No latency points in this result's time series.")
        }
        return html
    }

    /// HdrHistogram's percentile plot: x is 1/(1-p) on a log scale (labelled 0 %, 90 %, 99 %, 99.9 %...), y the
    /// latency, one line per latency kind.
    static func percentileSection(_ result: RunResult) -> String {
        let kinds = result.latencyMillis.keys.sorted {
            ($0 == LatencyKind.localCommit.rawValue ? 0 : 1, $0) < ($1 == LatencyKind.localCommit.rawValue ? 0 : 1, $1)
        }
        var lines: [ChartSeries] = []
        var furthest = 3.0
        for (index, kind) in kinds.enumerated() {
            guard let summary = result.latencyMillis[kind], summary.count > 0 else { continue }
            let maxX = max(Foundation.log10(Double(summary.count)), 3.3)
            furthest = max(furthest, maxX)
            let points = [
                ChartPoint(x: percentileX(50), y: summary.p50, mark: .dot),
                ChartPoint(x: percentileX(90), y: summary.p90, mark: .dot),
                ChartPoint(x: percentileX(99), y: summary.p99, mark: .dot),
                ChartPoint(x: percentileX(99.9), y: summary.p999, mark: .dot),
                ChartPoint(x: maxX, y: summary.max, mark: .dot, label: "max"),
            ]
            lines.append(ChartSeries(name: kind, points: points, color: Palette.color(index)))
        }
        guard !lines.isEmpty else { return HTMLText.missing("No latency recorded in this result (nothing committed).") }
        let upperDecade = Foundation.ceil(furthest)
        var ticks: [(value: Double, label: String)] = [(0, "0%")]
        for decade in stride(from: 1.0, through: upperDecade, by: 1) {
            ticks.append((decade, percentileLabel(decade)))
        }
        let chart = LineChart(
            id: "latency-percentiles", title: "Latency by percentile (HdrHistogram style)",
            x: ChartAxis(title: "percentile (log scale of 1/(1-p))", lower: 0, upper: upperDecade, ticks: ticks),
            y: ChartAxis(title: "latency (ms)"), series: lines)
        return (chart.svg() ?? "")
            + "<p>Points at p50, p90, p99, p99.9 and the maximum, which is drawn at 1/(1-p) = count (the slowest of "
            + "count transactions), or just past p99.9 for fewer than 2,000.</p>\n"
    }

    /// Position of a percentile on the HdrHistogram axis: log10(1/(1-p)).
    static func percentileX(_ percent: Double) -> Double { -Foundation.log10(1 - percent / 100) }

    static func percentileLabel(_ decade: Double) -> String {
        // 1 → 90%, 2 → 99%, 3 → 99.9%: 100 - 10^(2-decade).
        let nines = Int(decade)
        guard nines >= 1 else { return "0%" }
        if nines <= 2 { return nines == 1 ? "90%" : "99%" }
        return "99." + String(repeating: "9", count: nines - 2) + "%"
    }

    static func nodeSection(_ result: RunResult) -> String {
        if let series = result.timeSeries, !series.nodes.isEmpty {
            let busiest = series.nodes.sorted {
                ($1.cpuUtilization.max() ?? 0, $0.id) < ($0.cpuUtilization.max() ?? 0, $1.id)
            }.prefix(nodesChartedMax)
            let ordered = busiest.sorted { $0.id < $1.id }
            func x(_ index: Int) -> Double { (Double(index) + 0.5) * series.intervalSeconds }
            var cpu = timeChart(
                id: "node-cpu", title: "CPU per node", yTitle: "CPU (% of one core)", series: series, result: result,
                lines: ordered.enumerated().map { index, node in
                    ChartSeries(
                        name: node.id,
                        points: node.cpuUtilization.enumerated().map {
                            ChartPoint(x: x($0.offset), y: $0.element * 100)
                        },
                        color: Palette.color(index))
                })
            cpu.y.lower = 0
            var html = cpu.svg() ?? HTMLText.missing("No CPU points in this result's time series.")
            let queue = timeChart(
                id: "node-queue", title: "Deepest inbox per node", yTitle: "queue depth (events)", series: series,
                result: result,
                lines: ordered.enumerated().map { index, node in
                    ChartSeries(
                        name: node.id,
                        points: node.queueDepthMax.enumerated().map {
                            ChartPoint(x: x($0.offset), y: Double($0.element))
                        },
                        color: Palette.color(index))
                })
            html += queue.svg() ?? ""
            if series.nodes.count > nodesChartedMax {
                html += "<p>The \(nodesChartedMax) busiest of \(series.nodes.count) nodes are drawn.</p>\n"
            }
            return html
        }
        var html = result.timeSeries == nil ? HTMLText.missing(noTimeSeries + " CPU over the whole run instead.") : ""
        let bars = result.nodes.sorted { $0.id < $1.id }.map { node in
            BarChart.Bar(
                label: node.id, value: node.cpuUtilization * 100,
                color: node.cpuUtilization >= 0.9 ? Palette.fault : Palette.achieved)
        }
        var chart = BarChart(
            id: "node-cpu-bars", title: "CPU per node over the run", axisTitle: "CPU (% of the node's cores)",
            bars: bars)
        chart.upper = 100
        html += chart.svg(formatValue: { Format.fixed($0, 1) + " %" }) ?? HTMLText.missing("No nodes in this result.")
        return html
    }

    // MARK: - Helpers

    static func mid(_ point: TimeSeriesPoint, _ series: TimeSeries) -> Double {
        point.startSeconds + series.intervalSeconds / 2
    }

    /// A chart over run time with the faults as vertical lines and warm-up and cool-down shaded.
    static func timeChart(
        id: String, title: String, yTitle: String, series: TimeSeries, result: RunResult, lines: [ChartSeries]
    ) -> LineChart {
        let end = max(
            (series.total.last?.startSeconds ?? 0) + series.intervalSeconds,
            result.windowSeconds.warmup + result.windowSeconds.measured + result.windowSeconds.cooldown)
        var chart = LineChart(
            id: id, title: title, x: ChartAxis(title: "time since start of run (s)", lower: 0, upper: end),
            y: ChartAxis(title: yTitle), series: lines)
        chart.verticalMarkers = series.faults.map { fault in
            ChartMarker(value: fault.atSeconds, label: "\(fault.kind) \(fault.target)", color: Palette.fault)
        }
        let warmup = result.windowSeconds.warmup
        let measuredEnd = warmup + result.windowSeconds.measured
        chart.bands = [
            ChartBand(from: 0, to: warmup, label: "warm-up"),
            ChartBand(from: measuredEnd, to: measuredEnd + result.windowSeconds.cooldown, label: "cool-down"),
        ]
        return chart
    }
}

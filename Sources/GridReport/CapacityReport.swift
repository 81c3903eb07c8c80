import Foundation
import GridLoad

/// `report.html` and `report.md` of a capacity search: latency against offered rate with the SLO line, the knee
/// and the sustainable rate marked, every probe, and the recommendation in one sentence.
public enum CapacityReport {
    /// The latency target of an SLO such as `p99<=250ms` or `p99.9 <= 1s`, with its percentile label; `nil`
    /// when the text does not have that shape (the chart then has no SLO line and says so).
    public static func sloTarget(_ slo: String) -> (percentile: String, targetMillis: Double)? {
        let text = slo.replacingOccurrences(of: " ", with: "").lowercased()
        guard let separator = text.range(of: "<=") else { return nil }
        let left = text[..<separator.lowerBound]
        var right = String(text[separator.upperBound...])
        guard left.hasPrefix("p"), Double(left.dropFirst()) != nil else { return nil }
        var scale = 1.0
        if right.hasSuffix("ms") {
            right.removeLast(2)
        } else if right.hasSuffix("s") {
            right.removeLast()
            scale = 1000
        } else {
            return nil
        }
        guard let value = Double(right), value.isFinite, value > 0 else { return nil }
        return (String(left), value * scale)
    }

    public static func html(_ capacity: CapacityResult) -> String {
        var body = "<h1>GridLedger capacity: \(HTMLText.escape(capacity.topology.name))</h1>\n"
        body += "<p class=\"recommendation\">\(HTMLText.escape(capacity.recommendation))</p>\n"
        body += HTMLText.facts(facts(capacity))
        body += "<h2>Latency versus offered rate</h2>\n"
        body += latencyChart(capacity)
        body += "<h2>Throughput versus offered rate</h2>\n"
        body += throughputChart(capacity)
        body += "<h2>Probes</h2>\n"
        body += probeTableHTML(capacity)
        body +=
            "<p>A probe meets the SLO when achieved &gt;= 99 % of offered, failures (rejected, dropped, timed out) "
            + "&lt;= 0.1 % of offered and the SLO's latency percentile is within its target. Bracket probes step the "
            + "rate up until one fails; bisect probes narrow the bracket to the resolution; the confirm probe reruns "
            + "the rate found.</p>\n"
        return HTMLText.page(title: "GridLedger capacity: \(capacity.topology.name)", body: body)
    }

    public static func markdown(_ capacity: CapacityResult) -> String {
        var lines = ["# GridLedger capacity: \(MarkdownText.escape(capacity.topology.name))", ""]
        lines += [MarkdownText.escape(capacity.recommendation), ""]
        lines += [
            MarkdownText.table(header: ["Search", ""], rows: facts(capacity).map { [$0.0, $0.1] }, labelColumns: 2), "",
        ]
        lines += [
            "## Probes", "",
            MarkdownText.table(header: probeHeader, rows: probeRows(capacity).map(\.cells), labelColumns: 3), "",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    static func facts(_ capacity: CapacityResult) -> [(String, String)] {
        [
            ("Topology", "\(capacity.topology.name) (\(capacity.topology.file))"),
            ("SLO", "\(capacity.slo) on \(capacity.latencyKind) latency"),
            ("Sustainable rate", Format.tps(capacity.sustainableTps) + " tx/s"),
            ("Knee", capacity.kneeTps.map { Format.tps($0) + " tx/s" } ?? "not visible in the probes"),
            (
                "Recommended",
                Format.tps(capacity.recommendedTps)
                    + " tx/s (headroom \(Format.percent(capacity.headroom, decimals: 0)))"
            ),
            ("Limited by", capacity.limitedBy),
            (
                "Search",
                "resolution \(Format.percent(capacity.resolution, decimals: 1)), \(capacity.probes.count) probes"
            ),
            ("Runtime, seed", "\(capacity.runtime.rawValue), seed \(capacity.seed)"),
        ]
    }

    static func latencyChart(_ capacity: CapacityResult) -> String {
        let probes = capacity.probes.sorted { ($0.offeredTps, $0.phase) < ($1.offeredTps, $1.phase) }
        guard !probes.isEmpty else { return HTMLText.missing("No probes in this capacity search.") }
        func mark(_ probe: CapacityProbe) -> ChartPoint.Mark { probe.meetsSLO ? .pass : .fail }
        // Probes with nothing committed have no latency: a gap, not a point at 0 ms.
        func latency(_ value: Double, _ probe: CapacityProbe) -> Double? {
            probe.committedTps > 0 && value > 0 ? value : nil
        }
        var chart = LineChart(
            id: "capacity-latency", title: "Latency (\(capacity.latencyKind)) versus offered rate",
            x: ChartAxis(title: "offered rate (tx/s)"),
            y: ChartAxis(title: "latency (ms, log scale)", logarithmic: true),
            series: [
                ChartSeries(
                    name: "p50",
                    points: probes.map { ChartPoint(x: $0.offeredTps, y: latency($0.p50Millis, $0), mark: mark($0)) },
                    color: Palette.p50),
                ChartSeries(
                    name: "p99",
                    points: probes.map { ChartPoint(x: $0.offeredTps, y: latency($0.p99Millis, $0), mark: mark($0)) },
                    color: Palette.p99),
            ])
        var notes: [String] = []
        if let target = sloTarget(capacity.slo) {
            chart.horizontalMarkers = [
                ChartMarker(
                    value: target.targetMillis,
                    label: "SLO \(target.percentile) <= \(Format.fixed(target.targetMillis, 1)) ms",
                    color: Palette.slo)
            ]
            if target.percentile != "p50" && target.percentile != "p99" {
                chart.series.append(
                    ChartSeries(
                        name: target.percentile,
                        points: probes.map {
                            ChartPoint(x: $0.offeredTps, y: latency($0.latencyMillis, $0), mark: mark($0))
                        },
                        color: Palette.max))
            }
        } else {
            notes.append("The SLO \"\(capacity.slo)\" is not of the form pNN<=VALUEms, so no SLO line is drawn.")
        }
        var markers: [ChartMarker] = []
        if let knee = capacity.kneeTps {
            markers.append(ChartMarker(value: knee, label: "knee \(Format.tps(knee))", color: Palette.knee))
        }
        if capacity.sustainableTps > 0 {
            markers.append(
                ChartMarker(
                    value: capacity.sustainableTps, label: "sustainable \(Format.tps(capacity.sustainableTps))",
                    color: Palette.sustainable))
        }
        if capacity.recommendedTps > 0 {
            markers.append(
                ChartMarker(
                    value: capacity.recommendedTps, label: "recommended \(Format.tps(capacity.recommendedTps))",
                    color: Palette.recommended))
        }
        chart.verticalMarkers = markers
        var html = chart.svg() ?? HTMLText.missing("No probe committed anything, so there is no latency to draw.")
        for note in notes { html += "<p class=\"warning\">\(HTMLText.escape(note))</p>\n" }
        return html
    }

    static func throughputChart(_ capacity: CapacityResult) -> String {
        let probes = capacity.probes.sorted { $0.offeredTps < $1.offeredTps }
        guard let highest = probes.last?.offeredTps, highest > 0 else { return "" }
        var chart = LineChart(
            id: "capacity-throughput", title: "Achieved and committed versus offered rate",
            x: ChartAxis(title: "offered rate (tx/s)"), y: ChartAxis(title: "rate (tx/s)"),
            series: [
                ChartSeries(
                    name: "offered (y = x)", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: highest, y: highest)],
                    color: Palette.offered, dashed: true),
                ChartSeries(
                    name: "achieved",
                    points: probes.map { ChartPoint(x: $0.offeredTps, y: $0.achievedTps, mark: .dot) },
                    color: Palette.achieved),
                ChartSeries(
                    name: "committed",
                    points: probes.map {
                        ChartPoint(x: $0.offeredTps, y: $0.committedTps, mark: $0.meetsSLO ? .pass : .fail)
                    },
                    color: Palette.committed),
            ])
        if capacity.sustainableTps > 0 {
            chart.verticalMarkers = [
                ChartMarker(
                    value: capacity.sustainableTps, label: "sustainable \(Format.tps(capacity.sustainableTps))",
                    color: Palette.sustainable)
            ]
        }
        return chart.svg() ?? ""
    }

    static let probeHeader = [
        "#", "phase", "SLO", "offered tx/s", "achieved tx/s", "committed tx/s", "p50 ms", "p99 ms", "SLO latency ms",
        "failures", "busiest node", "its CPU", "queue peak", "result",
    ]

    static func probeRows(_ capacity: CapacityResult) -> [(cells: [String], probe: CapacityProbe)] {
        capacity.probes.enumerated().map { index, probe in
            (
                [
                    "\(index + 1)", probe.phase,
                    probe.meetsSLO ? "met" : "missed: " + probe.failed.joined(separator: ", "),
                    Format.tps(probe.offeredTps), Format.tps(probe.achievedTps),
                    Format.tps(probe.committedTps), Format.millis(probe.p50Millis), Format.millis(probe.p99Millis),
                    Format.millis(probe.latencyMillis), Format.percent(probe.failureShare, decimals: 3),
                    probe.busiestNode, Format.percent(probe.busiestNodeCPU, decimals: 1), "\(probe.queuePeakMax)",
                    probe.resultDirectory,
                ], probe
            )
        }
    }

    static func probeTableHTML(_ capacity: CapacityResult) -> String {
        let rows = probeRows(capacity)
        var html = HTMLText.table(
            header: probeHeader, rows: rows.map(\.cells), labelColumns: 3,
            rowClasses: rows.map { $0.probe.meetsSLO ? "pass" : "fail" })
        // Links to each probe's own report, for paths that are plain relative folders.
        let links = rows.map { row in
            HTMLText.relativeLink(row.probe.resultDirectory + "/report.html", text: row.probe.resultDirectory)
        }
        if links.contains(where: { $0.hasPrefix("<a ") }) {
            html += "<p>Probe reports: " + links.joined(separator: " · ") + "</p>\n"
        }
        return html
    }
}

import GridLoad

/// `report.html` and `report.md` of a sweep: per cell, the answer to the planner's question (the sustainable and
/// recommended rate of a capacity cell, what a run cell committed at what latency) and a chart of it per cell.
public enum SweepReport {
    public static func html(_ sweep: SweepSummary) -> String {
        var body = "<h1>GridLedger sweep: \(HTMLText.escape(sweep.spec))</h1>\n"
        let done = sweep.cells.filter { $0.status == "done" }.count
        body += "<p>\(done) of \(sweep.cells.count) cells done.</p>\n"
        body += "<h2>Rate per cell</h2>\n"
        body += chart(sweep)
        body += "<h2>Cells</h2>\n"
        let (header, rows) = table(sweep)
        let parameterCount = parameterNames(sweep).count
        body += HTMLText.table(
            header: header, rows: rows, labelColumns: 4 + parameterCount,
            rowClasses: sweep.cells.map { $0.status == "done" ? "" : "fail" })
        let links = sweep.cells.map { HTMLText.relativeLink($0.resultDirectory + "/report.html", text: $0.name) }
        if links.contains(where: { $0.hasPrefix("<a ") }) {
            body += "<p>Cell reports: " + links.joined(separator: " · ") + "</p>\n"
        }
        return HTMLText.page(title: "GridLedger sweep: \(sweep.spec)", body: body)
    }

    public static func markdown(_ sweep: SweepSummary) -> String {
        let (header, rows) = table(sweep)
        var lines = ["# GridLedger sweep: \(MarkdownText.escape(sweep.spec))", ""]
        lines += [MarkdownText.table(header: header, rows: rows, labelColumns: 4 + parameterNames(sweep).count), ""]
        return lines.joined(separator: "\n") + "\n"
    }

    static func parameterNames(_ sweep: SweepSummary) -> [String] {
        Set(sweep.cells.flatMap(\.parameters.keys)).sorted()
    }

    /// One row per cell: name, each parameter, the answer in words, mode, status and the figures.
    static func table(_ sweep: SweepSummary) -> (header: [String], rows: [[String]]) {
        let names = parameterNames(sweep)
        let header =
            ["cell"] + names + [
                "answer", "mode", "status", "sustainable tx/s", "recommended tx/s", "offered tx/s", "committed tx/s",
                "p99 ms",
            ]
        let rows = sweep.cells.map { cell in
            [cell.name] + names.map { cell.parameters[$0] ?? "-" } + [
                answer(cell), cell.mode.rawValue, cell.status, Format.tps(cell.sustainableTps),
                Format.tps(cell.recommendedTps), Format.tps(cell.offeredTps), Format.tps(cell.committedTps),
                Format.millis(cell.p99Millis),
            ]
        }
        return (header, rows)
    }

    /// The cell's answer in a few words.
    public static func answer(_ cell: SweepCell) -> String {
        guard cell.status == "done" else { return "no answer: \(cell.status)" }
        switch cell.mode {
        case .capacity:
            guard let sustainable = cell.sustainableTps else { return "no sustainable rate recorded" }
            if sustainable <= 0 { return "no rate met the SLO" }
            let recommended = cell.recommendedTps.map { ", run at \(Format.tps($0)) tx/s" } ?? ""
            return "sustains \(Format.tps(sustainable)) tx/s\(recommended)"
        case .run:
            guard let offered = cell.offeredTps, let committed = cell.committedTps else { return "no rates recorded" }
            let share = offered > 0 ? " (\(Format.percent(committed / offered, decimals: 1)))" : ""
            let p99 = cell.p99Millis.map { ", p99 \(Format.millis($0)) ms" } ?? ""
            return "committed \(Format.tps(committed)) of \(Format.tps(offered)) tx/s\(share)\(p99)"
        }
    }

    static func chart(_ sweep: SweepSummary) -> String {
        let hasCapacity = sweep.cells.contains { $0.mode == .capacity }
        let bars = sweep.cells.compactMap { cell -> BarChart.Bar? in
            switch cell.mode {
            case .capacity:
                guard let value = cell.sustainableTps else { return nil }
                return BarChart.Bar(
                    label: cell.name, value: value, tick: cell.recommendedTps, color: Palette.sustainable,
                    note: Format.tps(value) + " tx/s")
            case .run:
                guard let value = cell.committedTps else { return nil }
                return BarChart.Bar(
                    label: cell.name, value: value, tick: cell.offeredTps, color: Palette.achieved,
                    note: Format.tps(value) + " tx/s")
            }
        }
        let title =
            hasCapacity
            ? "Sustainable rate per cell (capacity cells; run cells: committed rate)" : "Committed rate per cell"
        let legend = hasCapacity ? "recommended (run: offered)" : "offered"
        let chart = BarChart(
            id: "sweep-rates", title: title, axisTitle: "transactions per second (tx/s)", bars: bars,
            tickLegend: legend)
        return chart.svg(formatValue: { Format.tps($0) + " tx/s" })
            ?? HTMLText.missing("No cell has finished with a rate yet.")
    }
}

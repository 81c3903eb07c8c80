import GridLoad

/// Building blocks of the self-contained HTML pages: escaping, the page frame with its inline style sheet, and
/// tables. Every string that may come from a file (a topology or region name, a reject reason) goes through
/// ``escape(_:)``; nothing here loads anything from the network.
public enum HTMLText {
    /// Text safe inside an element or a quoted attribute: `& < > " '` become entities and control characters
    /// (other than tab and newline) become `?`, so a hostile name can neither open a tag nor break out of an
    /// attribute.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\n", "\t": escaped.unicodeScalars.append(scalar)
            default:
                if scalar.properties.generalCategory == .control {
                    escaped += "?"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }

    /// A complete page: doctype, UTF-8, inline CSS, no scripts and no external resources. `body` is already HTML.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(styleSheet)
        </style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// One table; cells are escaped here. `rowClasses`, when given, sets a CSS class per row (`fail`, `pass`,
    /// `regression`, ...), written by this code only.
    public static func table(
        header: [String], rows: [[String]], labelColumns: Int = 1, rowClasses: [String]? = nil, caption: String? = nil
    ) -> String {
        // Wide tables scroll inside their box instead of running off the page.
        var html = "<div class=\"scroll\"><table>\n"
        if let caption { html += "<caption>\(escape(caption))</caption>\n" }
        html += "<thead><tr>"
        for (column, cell) in header.enumerated() {
            html += "<th class=\"\(column < labelColumns ? "label" : "number")\">\(escape(cell))</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for (index, row) in rows.enumerated() {
            let rowClass = rowClasses.flatMap { index < $0.count ? $0[index] : nil } ?? ""
            html += rowClass.isEmpty ? "<tr>" : "<tr class=\"\(escape(rowClass))\">"
            for column in 0..<max(header.count, row.count) {
                let cell = column < row.count ? row[column] : ""
                html += "<td class=\"\(column < labelColumns ? "label" : "number")\">\(escape(cell))</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody>\n</table></div>\n"
        return html
    }

    /// A run report table from ``RunReport/tables(_:)``.
    public static func table(_ table: ReportTable) -> String {
        Self.table(header: table.header, rows: table.rows, labelColumns: table.labelColumns)
    }

    /// Two-column facts ("Seed" | "42") as a definition list.
    public static func facts(_ pairs: [(String, String)]) -> String {
        var html = "<dl class=\"facts\">\n"
        for (name, value) in pairs { html += "<dt>\(escape(name))</dt><dd>\(escape(value))</dd>\n" }
        return html + "</dl>\n"
    }

    /// The note shown where a chart has nothing to draw, e.g. "no time series in this result".
    public static func missing(_ text: String) -> String {
        "<p class=\"missing\">\(escape(text))</p>\n"
    }

    /// A link to a file next to the report, only for plain relative paths (letters, digits, `._-/`, no `..`, not
    /// absolute), so a hostile folder name cannot become a `javascript:` or off-site link; otherwise plain text.
    public static func relativeLink(_ path: String, text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/=,")
        let safe =
            !path.isEmpty && path.count <= 512 && path.allSatisfy { allowed.contains($0) } && !path.hasPrefix("/")
            && !path.split(separator: "/").contains("..")
        guard safe else { return escape(text) }
        return "<a href=\"\(escape(path))\">\(escape(text))</a>"
    }

    static let styleSheet = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif; color: #1d232b; \
        background: #ffffff; margin: 0; }
        main { max-width: 1180px; margin: 0 auto; padding: 16px 28px 48px; }
        h1 { font-size: 26px; margin: 12px 0 6px; }
        h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid #d0d6de; padding-bottom: 4px; }
        h3 { font-size: 16px; margin: 18px 0 6px; }
        p { line-height: 1.45; max-width: 72em; }
        .recommendation { font-size: 17px; background: #eef6ee; border-left: 5px solid #2e7d32; \
        padding: 10px 14px; }
        .warning { background: #fff4e5; border-left: 5px solid #e65100; padding: 8px 14px; }
        .missing { color: #6b7480; font-style: italic; background: #f5f6f8; padding: 10px 14px; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: 3px 18px; margin: 8px 0; }
        dl.facts dt { font-weight: bold; }
        dl.facts dd { margin: 0; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
        caption { text-align: left; font-weight: bold; padding: 4px 0; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e3e7ec; }
        th, td { white-space: nowrap; }
        .scroll { overflow-x: auto; max-width: 100%; }
        th { background: #f0f3f6; }
        td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
        td.label, th.label { text-align: left; }
        tr.fail td { background: #fdecea; }
        tr.pass td { background: #edf7ed; }
        tr.regression td { background: #fdecea; font-weight: bold; }
        tr.improvement td { background: #edf7ed; }
        svg.chart { width: 100%; height: auto; max-width: 1100px; display: block; margin: 6px 0 14px; }
        svg.chart text { font-family: "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif; }
        """
}

/// Locale-independent number text for the reports.
enum Format {
    static func fixed(_ value: Double, _ decimals: Int) -> String { RunReport.fixed(value, decimals: decimals) }

    /// Transactions per second with one decimal.
    static func tps(_ value: Double) -> String { fixed(value, 1) }
    static func tps(_ value: Double?) -> String { value.map(tps) ?? "-" }

    /// Milliseconds with three decimals.
    static func millis(_ value: Double) -> String { fixed(value, 3) }
    static func millis(_ value: Double?) -> String { value.map(millis) ?? "-" }

    /// A share (0.25) as a percentage ("25.00 %").
    static func percent(_ share: Double, decimals: Int = 2) -> String { fixed(share * 100, decimals) + " %" }
}

/// Markdown tables for the capacity and sweep reports (the run report's Markdown is ``GridLoad/RunReport``'s).
enum MarkdownText {
    /// A cell that cannot break the table or inject HTML: `| < > & \`` escaped, control characters replaced.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "|": escaped += "\\|"
            case "`": escaped += "\\`"
            case "\n", "\r": escaped += " "
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

    static func table(header: [String], rows: [[String]], labelColumns: Int = 1) -> String {
        func line(_ cells: [String]) -> String {
            "| " + header.indices.map { $0 < cells.count ? escape(cells[$0]) : "" }.joined(separator: " | ") + " |"
        }
        let rule = "|" + header.indices.map { $0 < labelColumns ? " --- |" : " ---: |" }.joined()
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// An aligned plain-text table for the terminal (two spaces between columns, numbers right-aligned).
enum PlainTable {
    static func render(header: [String], rows: [[String]], labelColumns: Int = 1) -> String {
        func clean(_ text: String) -> String {
            String(
                String.UnicodeScalarView(
                    text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
        }
        let cleanHeader = header.map(clean)
        let cleanRows = rows.map { $0.map(clean) }
        var widths = cleanHeader.map(\.count)
        for row in cleanRows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (column, width) in widths.enumerated() {
                let cell = column < cells.count ? cells[column] : ""
                let padding = String(repeating: " ", count: max(0, width - cell.count))
                parts.append(column < labelColumns ? cell + padding : padding + cell)
            }
            var text = parts.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(cleanHeader), rule] + cleanRows.map(line)).joined(separator: "\n")
    }
}

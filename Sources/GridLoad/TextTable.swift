/// A small table that renders as aligned plain text or as a Markdown table. The first `labelColumns` columns are
/// left-aligned (names), the others right-aligned (numbers). Every report's tables (run, capacity, sweep) use it.
public struct TextTable: Sendable {
    public var header: [String]
    public var labelColumns: Int
    public var rows: [[String]] = []

    public init(header: [String], rows: [[String]] = [], labelColumns: Int = 1) {
        self.header = header
        self.rows = rows
        self.labelColumns = labelColumns
    }

    public mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// Columns separated by two spaces, a dashed rule under the header, no trailing blanks.
    public func plainText() -> String {
        let cleanHeader = header.map(Self.terminalSafe)
        let cleanRows = rows.map { $0.map(Self.terminalSafe) }
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
        var lines = [line(cleanHeader), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += cleanRows.map(line)
        return lines.joined(separator: "\n")
    }

    /// A GitHub-flavoured Markdown table; cells are escaped so names and reasons cannot break the layout or
    /// inject HTML.
    public func markdown() -> String {
        func line(_ cells: [String]) -> String {
            let padded = (0..<header.count).map { $0 < cells.count ? Self.markdownSafe(cells[$0]) : "" }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + header.indices.map { $0 < labelColumns ? " --- |" : " ---: |" }.joined()
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    /// Replaces control characters so a hostile name or reason cannot move the cursor or recolour a terminal.
    public static func terminalSafe(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    /// Also folds line breaks to spaces, so a multi-line reason stays in its cell.
    public static func markdownSafe(_ text: String) -> String {
        var escaped = ""
        let oneLine = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
        for character in terminalSafe(oneLine) {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "|": escaped += "\\|"
            case "`": escaped += "\\`"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// Locale-independent fixed-point formatting: the same number always gives the same text.
enum NumberText {
    /// `value` with exactly `decimals` digits after the point ("12.300"); "n/a" for NaN or infinity.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let scales: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6]
        let clampedDecimals = min(max(decimals, 0), scales.count - 1)
        let scaled = (abs(value) * scales[clampedDecimals]).rounded()
        // Beyond 2^63 the digits are noise anyway; fall back to Swift's own description.
        guard scaled < 9.2e18 else { return "\(value)" }
        let units = UInt64(scaled)
        let divisor = UInt64(scales[clampedDecimals])
        let sign = value < 0 && units > 0 ? "-" : ""
        guard clampedDecimals > 0 else { return sign + "\(units)" }
        let fraction = String(units % divisor)
        let paddedFraction = String(repeating: "0", count: clampedDecimals - fraction.count) + fraction
        return sign + "\(units / divisor).\(paddedFraction)"
    }

    /// A percentage of `part` in `whole` with 2 decimals, or "-" when `whole` is 0.
    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        whole == 0 ? "-" : fixed(Double(part) / Double(whole) * 100, decimals: 2) + " %"
    }

    /// Bytes in MiB with 2 decimals.
    static func mebibytes(_ bytes: UInt64) -> String {
        fixed(Double(bytes) / 1_048_576, decimals: 2)
    }
}

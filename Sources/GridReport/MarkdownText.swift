import GridLoad

/// Markdown tables for the capacity and sweep reports, drawn by ``GridLoad/TextTable`` as the run report's are.
enum MarkdownText {
    /// A cell that cannot break the table or inject HTML: `| < > & \`` escaped, control characters replaced.
    static func escape(_ text: String) -> String { TextTable.markdownSafe(text) }

    static func table(header: [String], rows: [[String]], labelColumns: Int = 1) -> String {
        TextTable(header: header, rows: rows, labelColumns: labelColumns).markdown()
    }
}

/// An aligned plain-text table for the terminal (two spaces between columns, numbers right-aligned).
enum PlainTable {
    static func render(header: [String], rows: [[String]], labelColumns: Int = 1) -> String {
        TextTable(header: header, rows: rows, labelColumns: labelColumns).plainText()
    }
}

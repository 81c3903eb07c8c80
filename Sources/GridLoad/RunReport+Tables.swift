/// The run report's tables as plain data, so other renderers (the HTML report) show exactly the rows `report.md`
/// shows without re-deriving them.
public struct ReportTable: Hashable, Sendable {
    /// The section the table belongs to, e.g. "Throughput".
    public var title: String
    public var header: [String]
    /// The first `labelColumns` columns are names (left-aligned), the others numbers.
    public var labelColumns: Int
    public var rows: [[String]]

    public init(title: String, header: [String], labelColumns: Int = 1, rows: [[String]]) {
        self.title = title
        self.header = header
        self.labelColumns = labelColumns
        self.rows = rows
    }
}

extension RunReport {
    /// Every table of ``markdown(_:reproduceCommand:)`` in the same order, cells unescaped (the renderer escapes).
    public static func tables(_ result: RunResult) -> [ReportTable] {
        func table(_ title: String, _ text: TextTable) -> ReportTable {
            ReportTable(title: title, header: text.header, labelColumns: text.labelColumns, rows: text.rows)
        }
        var tables = [
            table("Throughput", throughputTable(result)), table("Latency", latencyTable(result)),
            table("Outcomes", outcomesTable(result)),
        ]
        if let reasons = reasonsTable(result) { tables.append(table("Rejections by reason", reasons)) }
        if let nodes = nodesTable(result) { tables.append(table("Nodes", nodes)) }
        if let losses = lossesTable(result) { tables.append(table("Dropped", losses)) }
        if let faults = leaderFaultsTable(result) { tables.append(table("Leader faults", faults)) }
        tables += workloadTables(result).map { table("Workload outcome", $0) }
        tables += globalTables(result).map { table("Global layer", $0) }
        return tables
    }

    /// Fixed-point text for a number, the same as the tables use ("12.300"); "n/a" for NaN or infinity.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        NumberText.fixed(value, decimals: decimals)
    }
}

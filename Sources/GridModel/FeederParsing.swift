extension Feeder {
    /// Header of the branch table: bus numbers, series impedance in ohm, 1 = closed / 0 = normally-open tie.
    public static let branchesHeader = "from_bus,to_bus,r_ohm,x_ohm,status"
    /// Header of the load table: bus number and peak constant-power load.
    public static let loadsHeader = "bus,p_kw,q_kvar"

    /// The IEEE 33-bus feeder of Baran & Wu (1989): 12.66 kV, 10 MVA base, slack bus 1 at the substation,
    /// 32 closed branches and 5 normally-open tie lines, peak load 3715 kW / 2300 kVAr.
    public static func ieee33() -> Feeder { ieee33Shared }

    // Parsed once: the text is a compile-time constant, so a failure here is a defect caught by every test run,
    // not a condition a caller could handle.
    private static let ieee33Shared: Feeder = try! parse(
        name: "ieee33", branchesCSV: IEEE33Data.branchesCSV, loadsCSV: IEEE33Data.loadsCSV, baseKV: 12.66,
        baseMVA: 10, slackBus: 1, branchesSource: "ieee33bw-branches.csv", loadsSource: "ieee33bw-loads.csv")

    /// Parses a feeder from the two CSV tables used by the project's reference data.
    ///
    /// Blank lines and lines starting with `#` are ignored; the first other line must be the header. Every error
    /// names the source and the 1-based line, e.g. `ieee33bw-loads.csv line 7: p_kw "6O" is not a number`.
    public static func parse(
        name: String, branchesCSV: String, loadsCSV: String, baseKV: Double, baseMVA: Double, slackBus: Int,
        branchesSource: String = "branches.csv", loadsSource: String = "loads.csv"
    ) throws(FeederError) -> Feeder {
        var buses: [Bus] = []
        var firstLineOfBus: [Int: Int] = [:]
        for row in try csvRows(loadsCSV, source: loadsSource, header: loadsHeader) {
            let fields = try row.fields(count: 3)
            let number = try row.integer(fields[0], column: "bus")
            if let firstLine = firstLineOfBus[number] {
                throw row.error("bus \(number) is already defined on line \(firstLine)")
            }
            firstLineOfBus[number] = row.line
            buses.append(
                Bus(
                    number: number, loadPKW: try row.number(fields[1], column: "p_kw"),
                    loadQKVar: try row.number(fields[2], column: "q_kvar")))
        }

        var closed: [Branch] = []
        var ties: [Branch] = []
        for row in try csvRows(branchesCSV, source: branchesSource, header: branchesHeader) {
            let fields = try row.fields(count: 5)
            let from = try row.integer(fields[0], column: "from_bus")
            let to = try row.integer(fields[1], column: "to_bus")
            for bus in [from, to] where firstLineOfBus[bus] == nil {
                throw row.error("bus \(bus) does not appear in \(loadsSource)")
            }
            let resistance = try row.number(fields[2], column: "r_ohm")
            let reactance = try row.number(fields[3], column: "x_ohm")
            guard resistance >= 0, reactance >= 0 else { throw row.error("negative impedance") }
            let branch = Branch(fromBus: from, toBus: to, resistanceOhm: resistance, reactanceOhm: reactance)
            switch fields[4] {
            case "1": closed.append(branch)
            case "0": ties.append(branch)
            default: throw row.error("status \"\(fields[4])\" must be 1 (closed) or 0 (normally-open tie)")
            }
        }
        return try Feeder(
            name: name, baseKV: baseKV, baseMVA: baseMVA, slackBus: slackBus, buses: buses, branches: closed,
            tieLines: ties)
    }

    private static func csvRows(_ text: String, source: String, header: String) throws(FeederError) -> [CSVRow] {
        var rows: [CSVRow] = []
        var sawHeader = false
        // Split on Character.isNewline: "\r\n" is one Character in Swift, so splitting on "\n" would miss it.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let row = CSVRow(source: source, line: offset + 1, text: line)
            if sawHeader {
                rows.append(row)
                continue
            }
            let normalised = line.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            guard normalised.joined(separator: ",") == header else {
                throw row.error("expected header \"\(header)\"")
            }
            sawHeader = true
        }
        guard sawHeader else { throw .missingHeader(source: source, expected: header) }
        return rows
    }
}

/// One data line of a CSV table, with what is needed to report errors against it.
private struct CSVRow {
    let source: String
    let line: Int
    let text: String

    func error(_ reason: String) -> FeederError {
        .malformedLine(source: source, line: line, text: text, reason: reason)
    }

    func fields(count: Int) throws(FeederError) -> [String] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        guard fields.count == count else { throw error("expected \(count) fields, found \(fields.count)") }
        return fields
    }

    func integer(_ field: String, column: String) throws(FeederError) -> Int {
        guard let value = Int(field) else { throw error("\(column) \"\(field)\" is not an integer") }
        return value
    }

    func number(_ field: String, column: String) throws(FeederError) -> Double {
        guard let value = Double(field), value.isFinite else {
            throw error("\(column) \"\(field)\" is not a number")
        }
        return value
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

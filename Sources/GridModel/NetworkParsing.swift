import Foundation

extension Network {
    /// Header of a network's bus table (MATPOWER units: MW, MVAr, p.u.).
    public static let busesHeader = "bus,type,pd_mw,qd_mvar,gs_mw,bs_mvar,vm_pu,pg_mw"
    /// Header of a network's branch table (p.u. on the network's base).
    public static let branchesHeader = "from_bus,to_bus,r_pu,x_pu,b_pu"

    /// The IEEE 30-bus case as MATPOWER ships it (`case30`; see `IEEE30Data` for the citation): 30 buses, 41
    /// lines, slack bus 1, PV buses 2, 13, 22, 23 and 27, 100 MVA base, 189.2 MW of demand.
    public static func ieee30() -> Network { ieee30Shared }

    // Parsed once from a compile-time constant, so a failure is a defect caught by every test run.
    private static let ieee30Shared: Network = try! parse(
        name: "ieee30", busesCSV: IEEE30Data.busesCSV, branchesCSV: IEEE30Data.branchesCSV,
        baseMVA: IEEE30Data.baseMVA, baseKV: IEEE30Data.baseKV, busesSource: "ieee30-buses.csv",
        branchesSource: "ieee30-branches.csv")

    /// Parses a network from its two CSV tables. Blank lines and `#` lines are skipped; the first other line must
    /// be the header. Errors name the source and the 1-based line.
    public static func parse(
        name: String, busesCSV: String, branchesCSV: String, baseMVA: Double, baseKV: Double,
        busesSource: String = "buses.csv", branchesSource: String = "branches.csv"
    ) throws(NetworkError) -> Network {
        var buses: [NetworkBus] = []
        for row in try rows(busesCSV, source: busesSource, header: busesHeader) {
            let fields = try row.fields(8)
            guard let kind = NetworkBusKind(rawValue: fields[1]) else {
                throw row.error("type \"\(fields[1])\" must be slack, pv or pq")
            }
            buses.append(
                NetworkBus(
                    number: try row.integer(fields[0], "bus"), kind: kind,
                    demandPMW: try row.number(fields[2], "pd_mw"),
                    demandQMVar: try row.number(fields[3], "qd_mvar"), shuntGMW: try row.number(fields[4], "gs_mw"),
                    shuntBMVar: try row.number(fields[5], "bs_mvar"),
                    voltageSetpointPU: try row.number(fields[6], "vm_pu"),
                    generationPMW: try row.number(fields[7], "pg_mw")))
        }
        var branches: [NetworkBranch] = []
        for row in try rows(branchesCSV, source: branchesSource, header: branchesHeader) {
            let fields = try row.fields(5)
            branches.append(
                NetworkBranch(
                    fromBus: try row.integer(fields[0], "from_bus"), toBus: try row.integer(fields[1], "to_bus"),
                    resistancePU: try row.number(fields[2], "r_pu"), reactancePU: try row.number(fields[3], "x_pu"),
                    chargingPU: try row.number(fields[4], "b_pu")))
        }
        return try Network(name: name, baseMVA: baseMVA, baseKV: baseKV, buses: buses, branches: branches)
    }

    private static func rows(_ text: String, source: String, header: String) throws(NetworkError) -> [NetworkRow] {
        var result: [NetworkRow] = []
        var sawHeader = false
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let row = NetworkRow(source: source, line: offset + 1, text: line)
            if sawHeader {
                result.append(row)
            } else {
                guard line.lowercased().replacingOccurrences(of: " ", with: "") == header else {
                    throw row.error("expected header \"\(header)\"")
                }
                sawHeader = true
            }
        }
        guard sawHeader else { throw .invalid("\(source): missing header line \"\(header)\"") }
        return result
    }
}

private struct NetworkRow {
    let source: String
    let line: Int
    let text: String

    func error(_ reason: String) -> NetworkError {
        .malformedLine(source: source, line: line, text: text, reason: reason)
    }

    func fields(_ count: Int) throws(NetworkError) -> [String] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        guard fields.count == count else { throw error("expected \(count) fields, found \(fields.count)") }
        return fields
    }

    func integer(_ field: String, _ column: String) throws(NetworkError) -> Int {
        guard let value = Int(field) else { throw error("\(column) \"\(field)\" is not an integer") }
        return value
    }

    func number(_ field: String, _ column: String) throws(NetworkError) -> Double {
        guard let value = Double(field), value.isFinite else { throw error("\(column) \"\(field)\" is not a number") }
        return value
    }
}

import Foundation

/// A solved power flow in the shape the command line prints, as text or as JSON.
public struct PowerFlowReport: Sendable, Codable {
    public struct BusLine: Sendable, Codable {
        public var bus: Int
        public var voltagePU: Double
        public var angleDeg: Double
    }

    public var feeder: String
    public var iterations: Int
    public var buses: [BusLine]
    public var weakestBus: Int
    public var weakestVoltagePU: Double
    public var totalLossKW: Double
    public var totalLossKVar: Double
    public var substationPKW: Double
    public var substationQKVar: Double

    public init(result: PowerFlowResult) {
        feeder = result.feederName
        iterations = result.iterations
        buses = result.buses.map { BusLine(bus: $0.bus, voltagePU: $0.voltagePU, angleDeg: $0.angleDeg) }
        weakestBus = result.weakestBus
        weakestVoltagePU = result.weakestVoltagePU
        totalLossKW = result.totalLossKW
        totalLossKVar = result.totalLossKVar
        substationPKW = result.substationPKW
        substationQKVar = result.substationQKVar
    }

    /// Solves the named catalogue feeder at its peak load; nil for an unknown name.
    public static func forCatalogFeeder(named name: String) throws(PowerFlowError) -> PowerFlowReport? {
        guard let feeder = FeederCatalog.feeder(named: name) else { return nil }
        return PowerFlowReport(result: try feeder.solvePowerFlow())
    }

    public func text() -> String {
        var lines = [
            "Power flow of \(feeder) (backward/forward sweep, \(iterations) iterations)",
            "  bus  V (p.u.)  angle (deg)",
        ]
        for bus in buses {
            lines.append(pad(String(bus.bus), 5) + pad(format(bus.voltagePU, 4), 10) + pad(format(bus.angleDeg, 3), 13))
        }
        lines.append("Weakest bus: \(weakestBus) at \(format(weakestVoltagePU, 4)) p.u.")
        lines.append("Total losses: \(format(totalLossKW, 2)) kW, \(format(totalLossKVar, 2)) kVAr")
        lines.append("Substation supply: \(format(substationPKW, 2)) kW, \(format(substationQKVar, 2)) kVAr")
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON with sorted keys, so the output is stable across runs and platforms.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

private func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// How a bus of a meshed network is solved.
public enum NetworkBusKind: String, Sendable, Hashable, Codable {
    /// Voltage magnitude and angle (0) fixed; supplies whatever balances the network.
    case slack
    /// Real power and voltage magnitude fixed (a generator with voltage control).
    case pv
    /// Real and reactive power fixed (a load).
    case pq
}

/// One bus of a meshed network, in MATPOWER's conventions and units.
public struct NetworkBus: Sendable, Hashable, Codable {
    public var number: Int
    public var kind: NetworkBusKind
    public var demandPMW: Double
    public var demandQMVar: Double
    /// Shunt conductance (MW consumed at 1 p.u.) and susceptance (MVAr injected at 1 p.u.).
    public var shuntGMW: Double
    public var shuntBMVar: Double
    /// Voltage set-point of a slack or PV bus; ignored for PQ buses.
    public var voltageSetpointPU: Double
    /// Scheduled generation of a PV bus; ignored otherwise.
    public var generationPMW: Double
}

/// One line of a meshed network: series impedance and total line-charging susceptance (pi model), in p.u.
public struct NetworkBranch: Sendable, Hashable, Codable {
    public var fromBus: Int
    public var toBus: Int
    public var resistancePU: Double
    public var reactancePU: Double
    public var chargingPU: Double
}

/// A transmission-style network that may hold loops and voltage-controlled generators, solved by Newton-Raphson
/// (`solveNewtonRaphson`). `Feeder` stays the radial type with its backward/forward sweep; this type is what a
/// meshed case such as IEEE 30-bus needs.
public struct Network: Sendable {
    public let name: String
    public let baseMVA: Double
    public let baseKV: Double
    /// Buses in ascending bus-number order.
    public let buses: [NetworkBus]
    public let branches: [NetworkBranch]
    let indexByNumber: [Int: Int]

    public init(
        name: String, baseMVA: Double, baseKV: Double, buses: [NetworkBus], branches: [NetworkBranch]
    ) throws(NetworkError) {
        guard baseMVA > 0, baseKV > 0, baseMVA.isFinite, baseKV.isFinite else {
            throw .invalid("\(name): base values must be positive (\(baseMVA) MVA, \(baseKV) kV)")
        }
        let sorted = buses.sorted { $0.number < $1.number }
        var indexByNumber: [Int: Int] = [:]
        for (index, bus) in sorted.enumerated() {
            guard indexByNumber.updateValue(index, forKey: bus.number) == nil else {
                throw .invalid("\(name): bus \(bus.number) is defined twice")
            }
            let values = [bus.demandPMW, bus.demandQMVar, bus.shuntGMW, bus.shuntBMVar, bus.generationPMW]
            guard values.allSatisfy(\.isFinite), bus.voltageSetpointPU > 0, bus.voltageSetpointPU.isFinite else {
                throw .invalid("\(name): bus \(bus.number) has a non-finite value or a non-positive set-point")
            }
        }
        let slackCount = sorted.filter { $0.kind == .slack }.count
        guard slackCount == 1 else { throw .invalid("\(name): expected exactly one slack bus, found \(slackCount)") }
        for branch in branches {
            for end in [branch.fromBus, branch.toBus] where indexByNumber[end] == nil {
                throw .invalid("\(name): branch \(branch.fromBus)-\(branch.toBus) refers to unknown bus \(end)")
            }
            guard branch.fromBus != branch.toBus else {
                throw .invalid("\(name): branch \(branch.fromBus)-\(branch.toBus) connects a bus to itself")
            }
            let impedanceSquared = branch.resistancePU * branch.resistancePU + branch.reactancePU * branch.reactancePU
            guard branch.resistancePU >= 0, branch.chargingPU >= 0, impedanceSquared > 0,
                [branch.resistancePU, branch.reactancePU, branch.chargingPU].allSatisfy(\.isFinite)
            else {
                throw .invalid("\(name): branch \(branch.fromBus)-\(branch.toBus) has an invalid impedance")
            }
        }
        self.name = name
        self.baseMVA = baseMVA
        self.baseKV = baseKV
        self.buses = sorted
        self.branches = branches
        self.indexByNumber = indexByNumber
        try checkConnected()
    }

    public var busNumbers: [Int] { buses.map(\.number) }
    public func index(ofBus number: Int) -> Int? { indexByNumber[number] }

    /// The slack bus's position in `buses`.
    public var slackIndex: Int { buses.firstIndex { $0.kind == .slack }! }

    /// The bus admittance matrix Y_bus (p.u.), dense: 30 buses make 900 entries, and a dense solve is simpler to
    /// check than a sparse one at this size.
    func admittanceMatrix() -> [[Complex]] {
        let count = buses.count
        var y = [[Complex]](repeating: [Complex](repeating: .zero, count: count), count: count)
        for branch in branches {
            let from = indexByNumber[branch.fromBus]!
            let to = indexByNumber[branch.toBus]!
            let series = Complex(1, 0) / Complex(branch.resistancePU, branch.reactancePU)
            let halfCharging = Complex(0, branch.chargingPU / 2)
            y[from][from] += series + halfCharging
            y[to][to] += series + halfCharging
            y[from][to] = y[from][to] - series
            y[to][from] = y[to][from] - series
        }
        for (index, bus) in buses.enumerated() {
            y[index][index] += Complex(bus.shuntGMW / baseMVA, bus.shuntBMVar / baseMVA)
        }
        return y
    }

    private func checkConnected() throws(NetworkError) {
        var neighbours = [[Int]](repeating: [], count: buses.count)
        for branch in branches {
            let from = indexByNumber[branch.fromBus]!
            let to = indexByNumber[branch.toBus]!
            neighbours[from].append(to)
            neighbours[to].append(from)
        }
        var seen = [Bool](repeating: false, count: buses.count)
        var stack = [slackIndex]
        seen[slackIndex] = true
        while let bus = stack.popLast() {
            for next in neighbours[bus] where !seen[next] {
                seen[next] = true
                stack.append(next)
            }
        }
        let unreachable = buses.indices.filter { !seen[$0] }.map { buses[$0].number }
        guard unreachable.isEmpty else {
            throw .invalid("\(name): bus(es) \(unreachable) cannot be reached from the slack bus")
        }
    }
}

/// Why a network could not be built, parsed or solved; every message names the network (or source) and the item.
public enum NetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case malformedLine(source: String, line: Int, text: String, reason: String)
    case didNotConverge(iterations: Int, mismatchPU: Double)
    case singularJacobian(iteration: Int)

    public var description: String {
        switch self {
        case .invalid(let reason): return reason
        case .malformedLine(let source, let line, let text, let reason):
            return "\(source) line \(line): \(reason) in \"\(text)\""
        case .didNotConverge(let iterations, let mismatch):
            return "Newton-Raphson did not converge after \(iterations) iteration(s); largest mismatch \(mismatch) p.u."
        case .singularJacobian(let iteration):
            return "Newton-Raphson: singular Jacobian at iteration \(iteration) (voltage collapse or an island)"
        }
    }
}

/// One bus of a feeder with its (peak) constant-power load.
public struct Bus: Sendable, Hashable, Codable {
    public var number: Int
    public var loadPKW: Double
    public var loadQKVar: Double

    public init(number: Int, loadPKW: Double, loadQKVar: Double) {
        self.number = number
        self.loadPKW = loadPKW
        self.loadQKVar = loadQKVar
    }
}

/// A three-phase balanced line section, modelled as a series impedance (shunt charging is negligible at 12.66 kV).
public struct Branch: Sendable, Hashable, Codable {
    public var fromBus: Int
    public var toBus: Int
    public var resistanceOhm: Double
    public var reactanceOhm: Double

    public init(fromBus: Int, toBus: Int, resistanceOhm: Double, reactanceOhm: Double) {
        self.fromBus = fromBus
        self.toBus = toBus
        self.resistanceOhm = resistanceOhm
        self.reactanceOhm = reactanceOhm
    }
}

/// A radial distribution feeder: buses, the closed branches forming a tree rooted at the slack (substation)
/// bus, and the normally-open tie lines, which are kept for reference but never take part in a power flow.
///
/// Construction validates the tree, so every `Feeder` value is radial, connected and rooted at `slackBus`.
/// Closed branches are stored oriented away from the substation (`fromBus` is the parent of `toBus`), whatever
/// their orientation in the source data.
public struct Feeder: Sendable {
    public let name: String
    /// Line-to-line base voltage.
    public let baseKV: Double
    /// Three-phase base power.
    public let baseMVA: Double
    public let slackBus: Int
    /// Buses in ascending bus-number order.
    public let buses: [Bus]
    /// Closed branches, oriented parent to child, in breadth-first order from the slack bus.
    public let branches: [Branch]
    /// Normally-open tie lines (switches), excluded from the radial network.
    public let tieLines: [Branch]
    /// Amount added to the source data's bus numbers; non-zero only for copies made by `replicated(copies:)`.
    public let busNumberOffset: Int

    /// The tree, in bus indices (positions in `buses`), shared by the power flow and the sensitivities.
    let topology: RadialTopology
    /// Index into `branches` of the branch feeding each bus (by bus index); -1 for the slack bus.
    let feedingBranch: [Int]

    /// Builds a feeder and checks that the closed branches form a tree spanning all buses from `slackBus`.
    public init(
        name: String, baseKV: Double, baseMVA: Double, slackBus: Int, buses: [Bus], branches: [Branch],
        tieLines: [Branch] = []
    ) throws(FeederError) {
        guard baseKV > 0, baseMVA > 0, baseKV.isFinite, baseMVA.isFinite else {
            throw .invalidBase(baseKV: baseKV, baseMVA: baseMVA)
        }
        let sortedBuses = buses.sorted { $0.number < $1.number }
        var indexByNumber: [Int: Int] = [:]
        for (index, bus) in sortedBuses.enumerated() {
            guard indexByNumber.updateValue(index, forKey: bus.number) == nil else {
                throw .duplicateBus(bus.number)
            }
        }
        for branch in branches + tieLines {
            for end in [branch.fromBus, branch.toBus] where indexByNumber[end] == nil {
                throw .unknownBus(end, branch: branch)
            }
            guard branch.fromBus != branch.toBus else { throw .selfLoop(branch) }
            guard branch.resistanceOhm >= 0, branch.reactanceOhm >= 0,
                branch.resistanceOhm.isFinite, branch.reactanceOhm.isFinite
            else { throw .invalidImpedance(branch) }
        }
        guard let slackIndex = indexByNumber[slackBus] else { throw .missingSlackBus(slackBus) }

        let topology = try RadialTopology(
            busNumbers: sortedBuses.map(\.number), indexByNumber: indexByNumber, slackIndex: slackIndex,
            branches: branches)
        self.name = name
        self.baseKV = baseKV
        self.baseMVA = baseMVA
        self.slackBus = slackBus
        self.buses = sortedBuses
        self.tieLines = tieLines
        self.busNumberOffset = 0
        self.topology = topology
        var feedingBranch = [Int](repeating: -1, count: sortedBuses.count)
        for (branchIndex, child) in topology.order.dropFirst().enumerated() { feedingBranch[child] = branchIndex }
        self.feedingBranch = feedingBranch
        self.branches = topology.order.dropFirst().map { child in
            let original = branches[topology.parentBranch[child]]
            let parentNumber = sortedBuses[topology.parent[child]].number
            return Branch(
                fromBus: parentNumber, toBus: sortedBuses[child].number, resistanceOhm: original.resistanceOhm,
                reactanceOhm: original.reactanceOhm)
        }
    }

    /// Z_base = V_base^2 / S_base, the ohm value of 1 p.u. impedance (16.03 ohm for the IEEE 33-bus feeder).
    public var baseImpedanceOhm: Double { baseKV * baseKV / baseMVA }

    /// I_base = S_base / (sqrt(3) V_base), the line current of 1 p.u.
    public var baseCurrentA: Double { baseMVA * 1_000 / (3.0.squareRoot() * baseKV) }

    /// S_base in kVA, the divisor that turns kW and kVAr into p.u.
    public var baseKVA: Double { baseMVA * 1_000 }

    public var busNumbers: [Int] { buses.map(\.number) }
    public var busCount: Int { buses.count }
    public var totalLoadPKW: Double { buses.reduce(0) { $0 + $1.loadPKW } }
    public var totalLoadQKVar: Double { buses.reduce(0) { $0 + $1.loadQKVar } }

    /// Position of a bus in `buses` (and in every per-bus array this module returns).
    public func index(ofBus number: Int) -> Int? { topology.indexByNumber[number] }

    public func bus(_ number: Int) -> Bus? { index(ofBus: number).map { buses[$0] } }

    /// The upstream neighbour of a bus; nil for the slack bus and for unknown buses.
    public func parent(ofBus number: Int) -> Int? {
        guard let index = index(ofBus: number), index != topology.slack else { return nil }
        return buses[topology.parent[index]].number
    }

    /// Downstream neighbours of a bus, in ascending bus-number order.
    public func children(ofBus number: Int) -> [Int] {
        guard let index = index(ofBus: number) else { return [] }
        return topology.children[index].map { buses[$0].number }.sorted()
    }

    /// Buses on the path from the slack bus to `number`, both included; empty for an unknown bus.
    public func path(toBus number: Int) -> [Int] {
        guard let index = index(ofBus: number) else { return [] }
        return topology.pathIndices(to: index).map { buses[$0].number }
    }

    /// The bus itself and everything fed through it.
    public func subtree(ofBus number: Int) -> [Int] {
        guard let index = index(ofBus: number) else { return [] }
        return topology.subtree(of: index).map { buses[$0].number }.sorted()
    }

    /// A copy with every load multiplied by `factor`, e.g. to study loadability.
    public func scalingLoads(by factor: Double) -> Feeder {
        var copy = self
        copy.replaceLoads { Bus(number: $0.number, loadPKW: $0.loadPKW * factor, loadQKVar: $0.loadQKVar * factor) }
        return copy
    }

    /// Loads change often (profiles, scenarios) while the tree does not, so this skips the re-validation.
    private mutating func replaceLoads(_ transform: (Bus) -> Bus) {
        self = Feeder(unchecked: self, buses: buses.map(transform))
    }

    private init(unchecked other: Feeder, buses: [Bus]) {
        name = other.name
        baseKV = other.baseKV
        baseMVA = other.baseMVA
        slackBus = other.slackBus
        self.buses = buses
        branches = other.branches
        tieLines = other.tieLines
        busNumberOffset = other.busNumberOffset
        topology = other.topology
        feedingBranch = other.feedingBranch
    }

    /// A copy whose bus numbers are the source data's numbers plus `busNumberOffset`.
    init(unchecked other: Feeder, name: String, busNumberOffset: Int) {
        let offset = busNumberOffset - other.busNumberOffset
        self.name = name
        self.busNumberOffset = busNumberOffset
        baseKV = other.baseKV
        baseMVA = other.baseMVA
        slackBus = other.slackBus + offset
        buses = other.buses.map { Bus(number: $0.number + offset, loadPKW: $0.loadPKW, loadQKVar: $0.loadQKVar) }
        branches = other.branches.map { $0.offset(by: offset) }
        tieLines = other.tieLines.map { $0.offset(by: offset) }
        topology = other.topology.offset(by: offset)
        feedingBranch = other.feedingBranch
    }
}

extension Branch {
    func offset(by offset: Int) -> Branch {
        Branch(
            fromBus: fromBus + offset, toBus: toBus + offset, resistanceOhm: resistanceOhm,
            reactanceOhm: reactanceOhm)
    }
}

/// Why a feeder could not be built or parsed. Parsing errors carry the source name and 1-based line number.
public enum FeederError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedLine(source: String, line: Int, text: String, reason: String)
    case missingHeader(source: String, expected: String)
    case invalidBase(baseKV: Double, baseMVA: Double)
    case duplicateBus(Int)
    case unknownBus(Int, branch: Branch)
    case selfLoop(Branch)
    case invalidImpedance(Branch)
    case missingSlackBus(Int)
    /// Closing this branch would close a loop: a radial feeder is a tree.
    case cycle(fromBus: Int, toBus: Int)
    /// These buses cannot be reached from the slack bus over closed branches.
    case notConnected(unreachableBuses: [Int])

    public var description: String {
        switch self {
        case .malformedLine(let source, let line, let text, let reason):
            return "\(source) line \(line): \(reason) in \"\(text)\""
        case .missingHeader(let source, let expected):
            return "\(source): missing header line \"\(expected)\""
        case .invalidBase(let baseKV, let baseMVA):
            return "invalid base values: \(baseKV) kV, \(baseMVA) MVA (both must be positive)"
        case .duplicateBus(let bus):
            return "bus \(bus) is defined twice"
        case .unknownBus(let bus, let branch):
            return "branch \(branch.fromBus)-\(branch.toBus) refers to unknown bus \(bus)"
        case .selfLoop(let branch):
            return "branch \(branch.fromBus)-\(branch.toBus) connects a bus to itself"
        case .invalidImpedance(let branch):
            return "branch \(branch.fromBus)-\(branch.toBus) has a negative or non-finite impedance"
        case .missingSlackBus(let bus):
            return "slack bus \(bus) is not among the buses"
        case .cycle(let fromBus, let toBus):
            return "feeder is not radial: closed branch \(fromBus)-\(toBus) closes a loop"
        case .notConnected(let unreachable):
            let list = unreachable.map(String.init).joined(separator: ", ")
            return "feeder is not connected: bus(es) \(list) cannot be reached from the slack bus"
        }
    }
}

/// Parent/child structure of a radial feeder in bus indices, computed once by a breadth-first search.
struct RadialTopology: Sendable {
    let busNumbers: [Int]
    let indexByNumber: [Int: Int]
    let slack: Int
    /// Parent bus index per bus; the slack bus is its own parent.
    let parent: [Int]
    /// Index into the original branch list of the branch feeding each bus; -1 for the slack bus.
    let parentBranch: [Int]
    let children: [[Int]]
    /// Breadth-first order from the slack bus: parents always precede their children.
    let order: [Int]
    let depth: [Int]

    init(busNumbers: [Int], indexByNumber: [Int: Int], slackIndex: Int, branches: [Branch]) throws(FeederError) {
        let count = busNumbers.count
        var adjacency = [[(neighbour: Int, branch: Int)]](repeating: [], count: count)
        for (branchIndex, branch) in branches.enumerated() {
            let from = indexByNumber[branch.fromBus]!
            let to = indexByNumber[branch.toBus]!
            adjacency[from].append((to, branchIndex))
            adjacency[to].append((from, branchIndex))
        }
        var parent = [Int](repeating: -1, count: count)
        var parentBranch = [Int](repeating: -1, count: count)
        var depth = [Int](repeating: 0, count: count)
        var children = [[Int]](repeating: [], count: count)
        var visited = [Bool](repeating: false, count: count)
        var order = [slackIndex]
        visited[slackIndex] = true
        parent[slackIndex] = slackIndex
        var head = 0
        while head < order.count {
            let bus = order[head]
            head += 1
            for (neighbour, branchIndex) in adjacency[bus] where branchIndex != parentBranch[bus] {
                guard !visited[neighbour] else {
                    let branch = branches[branchIndex]
                    throw .cycle(fromBus: branch.fromBus, toBus: branch.toBus)
                }
                visited[neighbour] = true
                parent[neighbour] = bus
                parentBranch[neighbour] = branchIndex
                depth[neighbour] = depth[bus] + 1
                children[bus].append(neighbour)
                order.append(neighbour)
            }
        }
        guard order.count == count else {
            let unreachable = (0..<count).filter { !visited[$0] }.map { busNumbers[$0] }
            throw .notConnected(unreachableBuses: unreachable)
        }
        self.busNumbers = busNumbers
        self.indexByNumber = indexByNumber
        self.slack = slackIndex
        self.parent = parent
        self.parentBranch = parentBranch
        self.children = children
        self.order = order
        self.depth = depth
    }

    private init(shifting other: RadialTopology, by offset: Int) {
        busNumbers = other.busNumbers.map { $0 + offset }
        indexByNumber = Dictionary(uniqueKeysWithValues: other.indexByNumber.map { ($0.key + offset, $0.value) })
        slack = other.slack
        parent = other.parent
        parentBranch = other.parentBranch
        children = other.children
        order = other.order
        depth = other.depth
    }

    func offset(by offset: Int) -> RadialTopology { RadialTopology(shifting: self, by: offset) }

    /// Bus indices from the slack bus down to `index`.
    func pathIndices(to index: Int) -> [Int] {
        var path = [index]
        var current = index
        while current != slack {
            current = parent[current]
            path.append(current)
        }
        return path.reversed()
    }

    /// Deepest bus that lies on both paths to the substation.
    func commonAncestor(_ first: Int, _ second: Int) -> Int {
        var a = first
        var b = second
        while depth[a] > depth[b] { a = parent[a] }
        while depth[b] > depth[a] { b = parent[b] }
        while a != b {
            a = parent[a]
            b = parent[b]
        }
        return a
    }

    func subtree(of index: Int) -> [Int] {
        var result = [index]
        var head = 0
        while head < result.count {
            result.append(contentsOf: children[result[head]])
            head += 1
        }
        return result
    }
}

import Foundation
import GridConsensus
import GridLoad
import GridTopology

/// One swarm seed's world: a small topology (as a topology file, so it goes through the real parser and can be
/// kept and rerun), the Byzantine validators, the vote adversary, and what the run must show. A pure function of
/// (seed, generator version, mode): `gridledger swarm --from SEED --seeds 1 --generator-version V` redraws it.
public struct SwarmScenario: Sendable {
    /// Bumped whenever a draw changes for the same seed, so an old failure's command names the generator it needs.
    public static let generatorVersionCurrent = 1
    public static let generatorVersionsSupported = 1...1

    public var seed: UInt64
    public var generatorVersion: Int
    /// Faults go beyond f (crashes, partitions, loss); only safety is checked.
    public var beyondF: Bool
    /// Adversarial schedule: vote delays and withholding, partitions that chase the vote collector, more
    /// equivocating leaders.
    public var adversarial: Bool
    public var topologyYAML: String
    public var byzantine: [String: ByzantineBehavior]
    public var voteAdversary: VoteAdversary?
    /// When the last fault (and the vote adversary) has ended.
    public var healedSeconds: Double
    /// Per region: after `healedSeconds`, the region must commit a new block within this many seconds
    /// (`SwarmScenario.livenessBoundSeconds`).
    public var livenessBoundSeconds: [String: Double]
    /// One line: regions, sizes, global layer and faults, for reports.
    public var summary: String

    /// The liveness bound of a region of `validators` with these timeouts: when the faults heal, the round in
    /// progress times out within `viewTimeoutMax` (its timer was armed before the heal, backoff capped); then up to
    /// f rounds may be led by a validator that is faulty for good (an equivocator, a crashed node not restarted)
    /// or still catching up, each costing at most one capped timeout; then two consecutive certified rounds commit,
    /// which takes a few block intervals and round trips. So (f + 2) capped timeouts, plus 20 block intervals and
    /// 20 intra-region round trips for the proposals, votes and block sync of those last rounds.
    public static func livenessBoundSeconds(
        validators: Int, viewTimeoutMaxMillis: Double, blockIntervalMillis: Double, roundTripMillis: Double
    ) -> Double {
        let f = (validators - 1) / 3
        return (Double(f + 2) * viewTimeoutMaxMillis + 20 * blockIntervalMillis + 20 * roundTripMillis) / 1000
    }

    public var topology: Topology {
        get throws { try Topology.parse(yaml: topologyYAML, file: "swarm-seed-\(seed).yaml") }
    }

    /// The command that redraws and reruns exactly this scenario.
    public func reproduceCommand(out: String? = nil) -> String {
        var command = "gridledger swarm --from \(seed) --seeds 1 --generator-version \(generatorVersion) --keep-trace"
        if beyondF { command += " --beyond-f" }
        if let out { command += " --out \(out)" }
        return command
    }

    public static func draw(seed: UInt64, generatorVersion: Int = generatorVersionCurrent, beyondF: Bool = false)
        throws -> SwarmScenario
    {
        guard generatorVersionsSupported.contains(generatorVersion) else {
            throw SwarmError.badGeneratorVersion(generatorVersion, supported: generatorVersionsSupported)
        }
        var drawer = SwarmDrawer(seed: seed, beyondF: beyondF)
        return drawer.draw(generatorVersion: generatorVersion)
    }
}

public enum SwarmError: Error, CustomStringConvertible {
    case badGeneratorVersion(Int, supported: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .badGeneratorVersion(let version, let supported):
            return "--generator-version \(version): this build draws versions \(supported.lowerBound)"
                + "...\(supported.upperBound) only"
        }
    }
}

/// Generator version 1. Every choice comes from one PRNG seeded by the seed, in a fixed order.
struct SwarmDrawer {
    var random: DeterministicRandom
    let seed: UInt64
    let beyondF: Bool

    init(seed: UInt64, beyondF: Bool) {
        self.seed = seed
        self.beyondF = beyondF
        random = DeterministicRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x5A_4A11)
    }

    /// Faults happen inside this span; everything has healed by its end (plus the partition windows' tail).
    static let faultsStartSeconds = 0.3
    static let faultsEndSeconds = 2.0
    /// Partitions are laid on a grid of windows so that two never overlap (the simulator keeps one at a time).
    static let partitionWindowSeconds = 0.25
    static let partitionWindows = 7

    struct Region {
        var name: String
        var validators: Int
        var f: Int { (validators - 1) / 3 }
    }

    mutating func unit() -> Double { random.nextUnitInterval() }
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
    mutating func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    mutating func integer(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    mutating func weighted<T>(_ choices: [(T, Double)]) -> T {
        let total = choices.reduce(0) { $0 + $1.1 }
        var point = unit() * total
        for (value, weight) in choices {
            if point < weight { return value }
            point -= weight
        }
        return choices[choices.count - 1].0
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    mutating func draw(generatorVersion: Int) -> SwarmScenario {
        let adversarial = chance(0.5)
        let regionCount = weighted([(1, 0.35), (2, 0.3), (3, 0.2), (4, 0.15)])
        var regions: [Region] = []
        for index in 0..<regionCount {
            // Few 10-validator regions: they cost the most simulated work per seed.
            let size = regions.reduce(0) { $0 + $1.validators } > 14 ? 4 : weighted([(4, 0.6), (7, 0.3), (10, 0.1)])
            regions.append(Region(name: "r\(index)", validators: size))
        }
        let committee: Int? = regionCount >= 2 && chance(0.5) ? weighted([(4, 0.75), (7, 0.25)]) : nil

        let blockIntervalMillis = uniform(10...40).rounded()
        let viewTimeoutMillis = uniform(150...400).rounded()
        let backoff = chance(0.5) ? 1.5 : 2.0
        let viewTimeoutMaxMillis = (viewTimeoutMillis * backoff * backoff).rounded()
        let intraLatencyMillis = uniform(0.2...3)
        let intraJitterMillis = uniform(0...intraLatencyMillis)
        let intraLoss = chance(0.3) ? uniform(0...0.01) : 0
        let interLatencyMillis = uniform(2...30)
        let interJitterMillis = uniform(0...(interLatencyMillis / 4))
        let bandwidthMbps = uniform(100...1000).rounded()
        let tps = (uniform(40...80) * Double(regionCount)).rounded()

        var faults: [(atSeconds: Double, yaml: String)] = []
        var byzantine: [String: ByzantineBehavior] = [:]
        var healed = Self.faultsStartSeconds
        var notes: [String] = []
        /// Partition windows: per window, the groups (one per region at most) and its duration.
        var windowGroups: [[String]] = Array(repeating: [], count: Self.partitionWindows)
        var windowRegions: [Set<String>] = Array(repeating: [], count: Self.partitionWindows)
        var windowWholeRegion: [Bool] = Array(repeating: false, count: Self.partitionWindows)

        func windowStart(_ window: Int) -> Double {
            Self.faultsStartSeconds + Double(window) * Self.partitionWindowSeconds
        }

        // Validators of a region, and committee members, are faulty in "lanes": at most one faulty node per lane
        // at any moment, and at most f lanes (within f) or more than f (beyond f).
        var lanesByGroup: [(name: String, size: Int, isCommittee: Bool)] = regions.map {
            ($0.name, $0.validators, false)
        }
        if let committee { lanesByGroup.append(("global", committee, true)) }
        for group in lanesByGroup {
            let f = (group.size - 1) / 3
            let lanes: Int
            if beyondF {
                lanes = integer((f + 1)...group.size)
            } else {
                lanes = chance(0.7) ? f : integer(0...f)
            }
            var victims = Array(0..<group.size).shuffled(using: &random)
            var laneIndex = 0
            // One equivocating leader (Byzantine for the whole run), never more than f of them even beyond f:
            // with f+1 equivocators two conflicting certificates can form legitimately.
            if !group.isCommittee, f >= 1, lanes >= 1, chance(adversarial ? 0.6 : 0.25) {
                let victim = victims.removeFirst()
                byzantine["\(group.name)/v\(victim)"] = .equivocatingLeader
                notes.append("\(group.name)/v\(victim) equivocates")
                laneIndex += 1
            }
            while laneIndex < lanes {
                laneIndex += 1
                let victim = victims.removeFirst()
                let node = "\(group.name)/v\(victim)"
                let kind = weighted([
                    ("crashRestart", 0.4), ("crashForever", beyondF ? 0.4 : 0.15), ("partition", 0.3),
                    ("leaderChase", group.isCommittee ? 0 : adversarial ? 0.6 : 0.15),
                ])
                switch kind {
                case "crashRestart", "crashForever":
                    let crashAt = uniform(Self.faultsStartSeconds...1.6)
                    faults.append((crashAt, "{ atSeconds: \(Self.format(crashAt)), kind: crash, node: \(node) }"))
                    if kind == "crashRestart" {
                        let restartAt = min(Self.faultsEndSeconds, crashAt + uniform(0.1...0.8))
                        faults.append(
                            (restartAt, "{ atSeconds: \(Self.format(restartAt)), kind: restart, node: \(node) }"))
                        healed = max(healed, restartAt)
                        notes.append("\(node) crashes \(Self.format(crashAt))-\(Self.format(restartAt))")
                    } else {
                        // The crash itself is the last event of this fault: transactions inside the gateway are lost.
                        healed = max(healed, crashAt)
                        notes.append("\(node) crashes at \(Self.format(crashAt)) for good")
                    }
                default:
                    // Isolate one node (or, chasing, whoever the region waits on at that moment) in one or more
                    // windows where the region has no other partition group.
                    let chase = kind == "leaderChase"
                    let target = chase ? "\(group.name)/leader" : node
                    let count = chase ? integer(2...Self.partitionWindows) : integer(1...2)
                    let first = integer(0...(Self.partitionWindows - count))
                    var placed = 0
                    for window in first..<(first + count)
                    where !windowRegions[window].contains(group.name) && !windowWholeRegion[window] {
                        windowGroups[window].append(target)
                        windowRegions[window].insert(group.name)
                        placed += 1
                    }
                    if placed > 0 { notes.append("\(target) isolated in \(placed) windows") }
                }
            }
        }
        // A whole region cut off from the others (its quorum intact: no lane), with a global layer only, where it
        // matters; only in a window nobody else uses.
        if committee != nil, chance(0.3) {
            let region = regions[integer(0...(regions.count - 1))]
            let free = (0..<Self.partitionWindows).filter { windowGroups[$0].isEmpty }
            if let window = free.isEmpty ? nil : free[integer(0...(free.count - 1))] {
                windowGroups[window] = [(0..<region.validators).map { "\(region.name)/v\($0)" }.joined(separator: ", ")]
                windowWholeRegion[window] = true
                notes.append("\(region.name) cut off from the others")
            }
        }
        for window in 0..<Self.partitionWindows where !windowGroups[window].isEmpty {
            // Short windows, about a round: long enough to strand a certificate, short enough to end before the next.
            let duration = uniform(0.3...1.0) * min(Self.partitionWindowSeconds - 0.01, viewTimeoutMillis / 1000)
            let start = windowStart(window)
            let groups = windowGroups[window].map { "[\($0)]" }.joined(separator: ", ")
            faults.append(
                (
                    start,
                    "{ atSeconds: \(Self.format(start)), kind: partition, durationSeconds: \(Self.format(duration)), "
                        + "groups: [\(groups)] }"
                ))
            healed = max(healed, start + duration)
        }
        // Message loss, at most one span at a time: on every link, or on the links of one region's awaited leader.
        var lossAt = Self.faultsStartSeconds
        while lossAt < 1.6, chance(0.35) {
            let start = uniform(lossAt...1.6)
            let duration = uniform(0.1...0.4)
            let rate = uniform(0.01...(adversarial ? 0.4 : 0.2))
            let nodes = chance(0.5) ? ", nodes: [\(regions[integer(0...(regions.count - 1))].name)/leader]" : ""
            faults.append(
                (
                    start,
                    "{ atSeconds: \(Self.format(start)), kind: loss, durationSeconds: \(Self.format(duration)), "
                        + "rate: \(Self.format(rate))\(nodes) }"
                ))
            notes.append("loss \(Self.format(rate))\(nodes.isEmpty ? "" : " at a leader")")
            healed = max(healed, start + duration)
            lossAt = start + duration + 0.01
        }
        if committee != nil, chance(0.3) {
            let region = regions[integer(0...(regions.count - 1))].name
            let start = uniform(Self.faultsStartSeconds...1.5)
            let duration = uniform(0.2...0.5)
            let behavior = chance(0.5) ? "forgedCertificate" : "nonExtendingHeader"
            faults.append(
                (
                    start,
                    "{ atSeconds: \(Self.format(start)), kind: byzantineRegion, region: \(region), "
                        + "behavior: \(behavior), durationSeconds: \(Self.format(duration)) }"
                ))
            notes.append("\(region) \(behavior)")
            healed = max(healed, start + duration)
        }
        var voteAdversary: VoteAdversary?
        if adversarial, chance(0.7) {
            let region = regions[integer(0...(regions.count - 1))]
            var voters = Set<String>()
            for index in 0..<region.validators where chance(0.6) { voters.insert("\(region.name)/v\(index)") }
            if !voters.isEmpty {
                let start = uniform(Self.faultsStartSeconds...1.2)
                let end = min(Self.faultsEndSeconds, start + uniform(0.3...1.0))
                voteAdversary = VoteAdversary(
                    startSeconds: start, endSeconds: end, voters: voters,
                    delayMillisMax: (viewTimeoutMillis * uniform(0.5...1.5)).rounded(),
                    withholdRate: chance(0.5) ? uniform(0...0.5) : 0,
                    proposalLossRate: chance(0.5) ? uniform(0.1...0.6) : 0)
                healed = max(healed, end)
                notes.append(
                    "votes of \(voters.count) in \(region.name) held back"
                        + (voteAdversary?.proposalLossRate ?? 0 > 0 ? ", their proposals lost on some links" : ""))
            }
        }
        // Votes held back may arrive up to delayMillisMax after the adversary stops.
        healed = ((healed + (voteAdversary.map { $0.delayMillisMax / 1000 } ?? 0)) * 10).rounded(.up) / 10

        let roundTripMillis = 2 * (intraLatencyMillis + intraJitterMillis)
        var bounds: [String: Double] = [:]
        for region in regions {
            bounds[region.name] = SwarmScenario.livenessBoundSeconds(
                validators: region.validators, viewTimeoutMaxMillis: viewTimeoutMaxMillis,
                blockIntervalMillis: blockIntervalMillis, roundTripMillis: roundTripMillis)
        }
        let measuredSeconds = ((bounds.values.max() ?? 1) + 0.3).rounded(.up)
        let accounts = 100 * regionCount
        let regionLines = regions.map { "  - { name: \($0.name), validators: \($0.validators) }" }
        let globalLines =
            committee.map {
                [
                    "global:", "  validators: \($0)",
                    "  viewTimeoutMillis: \(Self.format(min(viewTimeoutMaxMillis, viewTimeoutMillis * 2)))",
                    "  resendIntervalMillis: 300",
                ]
            } ?? []
        let sortedFaults = faults.sorted { $0.atSeconds < $1.atSeconds }
        let yaml =
            ([
                "# Drawn by the swarm generator v\(generatorVersion) from seed \(seed)"
                    + "\(beyondF ? " (faults beyond f)" : "")\(adversarial ? " (adversarial schedule)" : "").",
                "schemaVersion: 1",
                "name: swarm-\(seed)",
                "seed: \(seed)",
                "regions:",
            ] + regionLines + [
                "network:",
                "  intraRegion: { latencyMillis: \(Self.format(intraLatencyMillis)), jitterMillis: "
                    + "\(Self.format(intraJitterMillis)), bandwidthMbps: \(Int(bandwidthMbps)), lossRate: "
                    + "\(Self.format(intraLoss)) }",
                "  interRegion: { latencyMillis: \(Self.format(interLatencyMillis)), jitterMillis: "
                    + "\(Self.format(interJitterMillis)), bandwidthMbps: \(Int(bandwidthMbps)) }",
                "consensus:",
                "  blockIntervalMillis: \(Int(blockIntervalMillis))",
                "  viewTimeoutMillis: \(Int(viewTimeoutMillis))",
                "  viewTimeoutBackoff: \(backoff)",
                "  viewTimeoutMaxMillis: \(Int(viewTimeoutMaxMillis))",
            ] + globalLines + [
                "workload:",
                "  accounts: \(accounts)",
                "  rate: { controller: fixed, tps: \(Int(tps)) }",
                "  warmupSeconds: \(Self.format(healed))",
                "  durationSeconds: \(Self.format(measuredSeconds))",
                "  timeoutSeconds: 2",
            ] + (sortedFaults.isEmpty ? [] : ["faults:"] + sortedFaults.map { "  - \($0.yaml)" })).joined(
                separator: "\n")
        let sizes = regions.map { String($0.validators) }.joined(separator: "+")
        let summary =
            "\(regions.count) region(s) \(sizes)\(committee.map { ", committee \($0)" } ?? ""); "
            + (notes.isEmpty ? "no faults" : notes.joined(separator: "; "))
        return SwarmScenario(
            seed: seed, generatorVersion: generatorVersion, beyondF: beyondF, adversarial: adversarial,
            topologyYAML: yaml + "\n", byzantine: byzantine, voteAdversary: voteAdversary, healedSeconds: healed,
            livenessBoundSeconds: bounds, summary: summary)
    }
}

import GridLoad
import GridWire

/// A network that holds region votes back on purpose, for a while: the schedule that makes certificates form late,
/// after the round has timed out, or not at all, so forks and view changes meet. It may also lose some of the
/// chosen validators' proposals on some links: a leader's proposal carries the certificate it just formed, so a
/// lost proposal leaves that certificate known to its collector alone (until a timeout reveals it), which splits
/// certificate formation across view changes. Delaying or losing messages is
/// within what partial synchrony allows before it stabilises, so safety must hold whatever the adversary does; it
/// only acts between `startSeconds` and `endSeconds`, so liveness can be checked once it stops.
public struct VoteAdversary: Sendable, Hashable, Codable {
    public var startSeconds: Double
    public var endSeconds: Double
    /// Validators (labels such as `r0/v2`) whose region votes are held back.
    public var voters: Set<String>
    /// A held-back vote arrives up to this much later than the link would deliver it.
    public var delayMillisMax: Double
    /// Share of the held-back votes that never arrive.
    public var withholdRate: Double
    /// Share of the same validators' proposals lost, link by link.
    public var proposalLossRate: Double

    public init(
        startSeconds: Double, endSeconds: Double, voters: Set<String>, delayMillisMax: Double, withholdRate: Double,
        proposalLossRate: Double = 0
    ) {
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.voters = voters
        self.delayMillisMax = delayMillisMax
        self.withholdRate = withholdRate
        self.proposalLossRate = proposalLossRate
    }
}

extension Simulation {
    /// Extra delay for a frame the adversary holds back (0 for every frame it leaves alone), nil when it withholds it.
    func voteAdversaryHold(_ frame: [UInt8], from node: SimulatedMachine, departureNanos: UInt64) -> UInt64? {
        guard let adversary = options.voteAdversary,
            departureNanos >= UInt64(adversary.startSeconds * 1e9), departureNanos < UInt64(adversary.endSeconds * 1e9),
            adversary.voters.contains(node.label),
            case .regionConsensus(let message) = try? WireCodec.decode(frame, limits: wireLimits)
        else { return 0 }
        if case .proposal = message {
            guard adversary.proposalLossRate > 0, random.nextUnitInterval() < adversary.proposalLossRate else {
                return 0
            }
            node.metrics.losses["proposal-lost-by-adversary", default: 0] += 1
            return nil
        }
        guard case .vote = message else { return 0 }
        if adversary.withholdRate > 0, random.nextUnitInterval() < adversary.withholdRate {
            node.metrics.losses["vote-withheld-by-adversary", default: 0] += 1
            return nil
        }
        let delayNanos = UInt64(adversary.delayMillisMax * 1e6)
        return delayNanos > 0 ? UInt64.random(in: 0...delayNanos, using: &random) : 0
    }
}

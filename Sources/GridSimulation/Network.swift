import GridLoad
import GridTopology

/// One direction of a link: latency, jitter, bandwidth and loss, with FIFO delivery (as over TCP).
struct LinkModel {
    let latencyNanos: UInt64
    let jitterNanos: UInt64
    /// Nanoseconds to put one byte on the wire; 0 means unlimited.
    let nanosPerByte: Double
    let lossRate: Double

    init(_ link: Topology.Link) {
        latencyNanos = UInt64((link.latencyMillis * 1e6).rounded())
        jitterNanos = UInt64((link.jitterMillis * 1e6).rounded())
        nanosPerByte = link.bandwidthMbps > 0 ? 8_000 / link.bandwidthMbps : 0
        lossRate = link.lossRate
    }
}

/// Per-directed-link state: when the sender's interface is free again and when the last message arrives, so
/// that bandwidth queues form and messages on one link never overtake each other.
struct LinkState {
    var transmitFreeAtNanos: UInt64 = 0
    var lastArrivalNanos: UInt64 = 0
}

/// The network between nodes: link models, link state, and the partitions and loss a fault schedule adds.
struct NetworkModel {
    private var links: [Int: LinkState] = [:]
    private let nodeCount: Int
    /// Group of each node while a partition is active; messages cross no group boundary.
    var partitionGroups: [Int]?
    var partitionEndsAtNanos: UInt64 = 0
    /// Extra loss while a loss fault is active, for links touching `lossNodes` (all when nil).
    var extraLossRate = 0.0
    var lossNodes: Set<Int>?
    var lossEndsAtNanos: UInt64 = 0

    init(nodeCount: Int) { self.nodeCount = nodeCount }

    /// When a message of `bytes` sent at `departureNanos` arrives, or nil if it is lost.
    mutating func arrival(
        from: Int, to: Int, bytes: Int, departureNanos: UInt64, link: LinkModel, random: inout DeterministicRandom
    ) -> UInt64? {
        if let groups = partitionGroups, departureNanos < partitionEndsAtNanos, groups[from] != groups[to] {
            return nil
        }
        var loss = link.lossRate
        if departureNanos < lossEndsAtNanos, lossNodes.map({ $0.contains(from) || $0.contains(to) }) ?? true {
            loss = 1 - (1 - loss) * (1 - extraLossRate)
        }
        if loss > 0, random.nextUnitInterval() < loss { return nil }
        let key = from * nodeCount + to
        var state = links[key] ?? LinkState()
        let start = max(departureNanos, state.transmitFreeAtNanos)
        let transmitEnd = start + UInt64((Double(bytes) * link.nanosPerByte).rounded())
        state.transmitFreeAtNanos = transmitEnd
        let jitter = link.jitterNanos > 0 ? UInt64.random(in: 0...link.jitterNanos, using: &random) : 0
        let arrival = max(transmitEnd + link.latencyNanos + jitter, state.lastArrivalNanos)
        state.lastArrivalNanos = arrival
        links[key] = state
        return arrival
    }
}

import GridConsensus
import GridRegion

/// Where a node sits in a deployment: a validator of a region, or a member of the global committee. Every message
/// a node sends names one of these; a runtime maps it to a simulated link or a socket.
public enum NodeAddress: Hashable, Sendable, CustomStringConvertible {
    case validator(region: Int, index: Int)
    case member(Int)

    public var description: String {
        switch self {
        case .validator(let region, let index): return "r\(region)/v\(index)"
        case .member(let index): return "global/v\(index)"
        }
    }
    /// Whether this node ever addresses a frame to `other`: a region validator only to its own region's validators
    /// and to the committee (cross-region traffic goes through checkpoints), a member to everyone. A live node dials
    /// only these, so a deployment of n regions has O(n) connections per member rather than O(n²) in all.
    public func sendsTo(_ other: NodeAddress) -> Bool {
        switch (self, other) {
        case (.validator(let region, _), .validator(let otherRegion, _)): return region == otherRegion
        case (.validator, .member), (.member, _): return true
        }
    }
}

/// Timers a node asks its runtime for. The runtime only keeps time; what a timer means stays in the node.
public enum NodeTimer: Hashable, Sendable {
    /// A region validator's replica or gossip timer.
    case region(RegionTimer)
    /// A committee member's replica timer.
    case global(ReplicaTimer)
    /// The periodic duties of the global layer: resends, relays, gap requests. Their deadlines are counted in
    /// these ticks, so the node never reads a clock.
    case duties
}

/// What a runtime hands a node.
public enum NodeInput: Sendable {
    /// First event after the node was built from its store (a fresh start or a restart).
    case start
    /// Bytes from a peer, as they came off the link.
    case frame(from: NodeAddress, [UInt8])
    /// A client's transaction, to be answered under `id`.
    case client(ClientRequestID, [UInt8])
    /// A client's read of committed contract state, to be answered under `id` (`NodeOutput.readAnswers`).
    case clientRead(ClientRequestID, ClientRead)
    case timer(NodeTimer)
}

/// Keys of one contract's committed state that a client wants to see.
public struct ClientRead: Sendable, Equatable {
    public var contract: String
    public var keys: [[UInt8]]

    public init(contract: String, keys: [[UInt8]]) {
        self.contract = contract
        self.keys = keys
    }
}

/// A node's answer to a `ClientRead`.
public enum ClientReadAnswer: Sendable, Equatable {
    /// The committed height the values are read at, and one value per key (nil: not set).
    case values(height: UInt64, [[UInt8]?])
    case rejected(String)
}

import GridConsensus
import GridGlobal
import GridLedger
import GridRegion

/// One frame for one peer.
public struct Outgoing: Sendable {
    public let to: NodeAddress
    public let frame: [UInt8]
    /// Consensus traffic: a receiver that is drowning in client work must still see it first.
    public let urgent: Bool
}

/// Something a node did that a runtime counts, checks or shows, but that changes nothing in the node.
public enum NodeObservation: Sendable {
    /// A region block became final locally and was written to the store.
    case committed(ProposedBlock<RegionPayload>, RegionCommitOutput)
    /// This region validator learned from a checkpoint that its region is final up to `height`.
    case finalized(height: UInt64)
    /// A committee member committed a checkpoint and wrote it to its store.
    case checkpointCommitted(ProposedBlock<CheckpointPayload>, QuorumCertificate, CheckpointOutput)
    /// A message, block or entry refused with a reason.
    case rejected(from: NodeAddress?, ConsensusRejection)
    case entryRejected(EntryRejection)
    /// Something was dropped on the floor; every such place reports here so a run can count it.
    case lost(NodeLoss)
    case entriesSent(count: Int)
    case relaySent
    case checkpointRequested
    /// The replica moved to another round (`viaTimeout`: a timeout certificate, that is a view change).
    case roundChanged(from: UInt64, to: UInt64, viaTimeout: Bool)
}

/// Why something a node held or received was dropped.
public enum NodeLoss: Hashable, Sendable, CustomStringConvertible {
    /// Bytes from a peer that do not decode.
    case undecodableFrame
    /// A message of a kind this node does not take from that sender (a member sending region votes...).
    case unexpectedMessage
    /// Committed blocks waiting to become final overflowed their bound; the oldest are no longer resent.
    case unfinalizedFull
    /// Deliveries waiting to be relayed overflowed their bound.
    case deliveriesFull
    /// Checkpoints that arrived early overflowed their buffer; the gap request brings them back.
    case earlyCheckpointsFull
    /// A delivery larger than one transaction may be: it can never be relayed.
    case deliveryTooLarge
    /// A checkpoint whose certificate did not verify.
    case badCheckpoint
    /// The validator's own relay transaction was refused at admission.
    case relayRefused(String)
    /// A store read for a peer's sync request failed; the answer stopped there.
    case storeReadFailed
    /// A gateway had `FinalityNotices.awaitingMax` clients waiting for finality: the oldest will not hear.
    case finalityNoticesFull

    public var description: String {
        switch self {
        case .undecodableFrame: return "undecodable-frame"
        case .unexpectedMessage: return "unexpected-message"
        case .unfinalizedFull: return "unfinalized-full"
        case .deliveriesFull: return "deliveries-full"
        case .earlyCheckpointsFull: return "early-checkpoints-full"
        case .deliveryTooLarge: return "delivery-too-large"
        case .badCheckpoint: return "bad-checkpoint"
        case .relayRefused(let reason): return "relay-refused: \(reason.prefix(40))"
        case .storeReadFailed: return "store-read-failed"
        case .finalityNoticesFull: return "finality-notices-full"
        }
    }
}

/// Everything one input made a node do, for the runtime to carry out. Effects are returned rather than performed
/// so that a runtime can price the event first. The store writes happen inside `handle`, before it returns, so
/// nothing here may leave before them: the simulator releases every message, reply and timer when the event's
/// compute and writes are done, and a live runtime sends them as they come after `handle` returns.
public struct NodeOutput: Sendable {
    public var sends: [Outgoing] = []
    /// Frames that announce what this event wrote (checkpoints, region entries): they must not leave before it.
    public var sendsAfterWrite: [Outgoing] = []
    public var timers: [(timer: NodeTimer, afterNanos: UInt64)] = []
    public var replies: [(id: ClientRequestID, reply: ClientReply)] = []
    public var readAnswers: [(id: ClientRequestID, answer: ClientReadAnswer)] = []
    /// Work on the node's consensus thread (and, for signature batches, its other cores).
    public var work = Work()
    /// The event's store writes, priced apart from its compute.
    public var storeWork = Work()
    /// Write transactions this event made (each durable, one fsync, on a machine that syncs).
    public var durableWrites = 0
    /// Thread CPU time the store writes took, when the node was asked to measure it.
    public var storeCPUNanos: UInt64 = 0
    public var observations: [NodeObservation] = []

    public init() {}
}

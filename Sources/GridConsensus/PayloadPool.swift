/// How much work waits in a pool that no uncommitted block carries yet: what a leader weighs when it decides
/// whether to propose at once, after a short wait or after a whole block interval.
public enum PendingWork: Int, Comparable, Sendable {
    case none
    /// Something waits, less than half a block.
    case some
    /// At least half a block waits: enough load that batching beats responsiveness.
    case halfBlock
    /// A full block waits: the leader should not wait for the block interval.
    case fullBlock

    public static func < (lhs: PendingWork, rhs: PendingWork) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The level for `available` items when a block holds at most `blockItemsMax`.
    public init(available: Int, blockItemsMax: Int) {
        if available <= 0 {
            self = .none
        } else if available >= blockItemsMax {
            self = .fullBlock
        } else if 2 * available >= blockItemsMax {
            self = .halfBlock
        } else {
            self = .some
        }
    }
}

/// Where a replica's proposals come from: a region's mempool, the committee's pending region entries.
///
/// Work flows one way: the node admits work into its pool (gateway -> pool), the replica draws payloads from the
/// pool and executes them through its application (pool -> replica -> application), and the application's commit
/// output goes to the store. The node owns the pool and lends it to the replica for each event
/// (`Replica.handle(_:pool:work:)`); the replica tells it what it executed and committed, so the pool knows what is
/// in flight and what is done, but the application never sees the pool.
public protocol PayloadPool<Payload> {
    associatedtype Payload: ConsensusPayload

    /// What waits that no executed, uncommitted block carries.
    var pendingWork: PendingWork { get }

    /// The payload for a new block; `ancestors` are the uncommitted blocks from the parent back towards the
    /// committed tip, so the pool can leave out what they already contain.
    mutating func nextPayload(ancestors: [ProposedBlock<Payload>], work: inout Work) -> Payload

    /// Per item of `payload`, whether this validator already checked its signatures (when it admitted the item,
    /// or executed an earlier block that held it), so execution checks only strangers.
    func itemsChecked(in payload: Payload) -> [Bool]

    /// A block at `height` was executed successfully: its items are checked and in flight.
    mutating func executed(_ payload: Payload, height: UInt64)

    /// The block at `height` was committed: its items leave the pool.
    mutating func committed(_ payload: Payload, height: UInt64)
}

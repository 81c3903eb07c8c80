import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridStorage

/// What a region validator needs from its store. `ChainStore` (LMDB) is the one every runtime uses; the protocol
/// is the seam where a test puts a store that fails on purpose.
public protocol RegionStore: AnyObject {
    var latestHeight: UInt64? { get throws }
    /// Blocks in order and meta records in one write transaction (one fsync where the store syncs).
    func commit(_ commits: [BlockCommit], meta: [String: [UInt8]]) throws
    func meta(_ key: String) throws -> [UInt8]?
    func block(atHeight height: UInt64) throws -> Block?
    func certificate(atHeight height: UInt64) throws -> QuorumCertificate?
    /// Contracts with a state table in the store.
    func contractTables() throws -> [String]
    func allState(contract: String) throws -> [(key: [UInt8], value: [UInt8])]
    /// What LMDB really wrote, for reports.
    var writeStatistics: WriteStatistics { get }
    func close()
}

extension ChainStore: RegionStore {}

/// What a committee member needs from its store (`CheckpointStore`, LMDB).
public protocol MemberStore: AnyObject {
    var latestHeight: UInt64? { get throws }
    func commitGenesis(block: ProposedBlock<CheckpointPayload>, state: GlobalState) throws
    /// The checkpoint and `meta` records in one write transaction.
    func commit(
        block: ProposedBlock<CheckpointPayload>, certificate: QuorumCertificate?, state: GlobalState,
        stateRoot: Hash256, meta: [String: [UInt8]]
    ) throws
    func block(atHeight height: UInt64, genesisCertificate: QuorumCertificate) throws -> ProposedBlock<
        CheckpointPayload
    >?
    func certificate(atHeight height: UInt64) throws -> QuorumCertificate?
    func latestState() throws -> (state: GlobalState, stateRoot: Hash256)?
    /// The global state after checkpoint `height`, if the store keeps it: how a member rebuilds an old checkpoint's
    /// notices for a region that was away longer than its in-memory window.
    func state(atHeight height: UInt64) throws -> GlobalState?
    func putMeta(_ key: String, _ value: [UInt8]) throws
    func meta(_ key: String) throws -> [UInt8]?
    var writeStatistics: WriteStatistics { get }
    func close()
}

extension CheckpointStore: MemberStore {}

/// A store call failed: the node cannot go on safely (a vote must not leave without its safety record, a commit
/// must not be acknowledged unwritten), so the runtime stops it and says which node and why.
public struct NodeStoreError: Error, CustomStringConvertible {
    public let node: NodeAddress
    public let operation: String
    public let underlying: any Error

    public var description: String { "store of \(node): \(operation): \(underlying)" }
}

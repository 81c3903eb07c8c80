import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridStorage

/// Why a ``CheckpointStore`` call failed; every case names the store directory, and the height where one applies.
public enum CheckpointStoreError: Error, CustomStringConvertible {
    /// LMDB failed (`height` is the checkpoint being written or read, when there is one).
    case storage(path: String, height: UInt64?, LMDBError)
    /// A commit that does not extend the stored chain by exactly one checkpoint.
    case notNextCheckpoint(path: String, expectedHeight: UInt64, actualHeight: UInt64)
    /// The checkpoint's parent hash is not the hash of the stored checkpoint below it.
    case parentMismatch(path: String, height: UInt64)
    /// A checkpoint that cannot belong to the global chain: wrong region, or a chain or region different from its
    /// parent's.
    case notAGlobalCheckpoint(path: String, height: UInt64, reason: String)
    /// The certificate is missing (only genesis may come without one) or certifies another block.
    case certificateMismatch(path: String, height: UInt64, reason: String)
    /// The state or its root does not match the checkpoint header's `stateRoot`.
    case stateMismatch(path: String, height: UInt64, reason: String)
    /// Stored data fails a check or does not decode.
    case corrupt(path: String, height: UInt64, reason: String)

    public var description: String {
        switch self {
        case .storage(let path, let height, let error):
            return "checkpoint store \(path)\(height.map { " at height \($0)" } ?? ""): \(error)"
        case .notNextCheckpoint(let path, let expected, let actual):
            return "checkpoint store \(path): cannot commit checkpoint \(actual), the next height is \(expected)"
        case .parentMismatch(let path, let height):
            return
                "checkpoint store \(path): checkpoint \(height) does not extend the stored chain (parent hash differs)"
        case .notAGlobalCheckpoint(let path, let height, let reason):
            return "checkpoint store \(path): checkpoint \(height) is not on the global chain: \(reason)"
        case .certificateMismatch(let path, let height, let reason):
            return "checkpoint store \(path): certificate of checkpoint \(height): \(reason)"
        case .stateMismatch(let path, let height, let reason):
            return "checkpoint store \(path): state after checkpoint \(height): \(reason)"
        case .corrupt(let path, let height, let reason):
            return "checkpoint store \(path) is damaged at height \(height): \(reason)"
        }
    }
}

/// What a restarted committee member needs, read in one consistent snapshot: the last stored checkpoint (with its
/// justify QC, as `Replica` wants its committed tip), the QC that certifies it, the global state after it, and the
/// persisted consensus safety state.
public struct CheckpointRestartPoint: Sendable {
    public let tip: ProposedBlock<CheckpointPayload>
    /// Certifies `tip`: its stored certificate, or the genesis certificate when only genesis is stored.
    public let certificate: QuorumCertificate
    public let state: GlobalState
    public let stateRoot: Hash256
    /// Meta `"safety"`, if ever written.
    public let safety: SafetyState?
}

/// The global chain of one committee member in one LMDB environment: checkpoints by height (header and payload),
/// the QC of each checkpoint, a hash index, the global state after the latest checkpoint and after each checkpoint
/// by height (so an old checkpoint's deliveries can be rebuilt for a region that was away long), and small meta
/// records (the consensus safety state under `"safety"`).
///
/// A checkpoint, its certificate and the state after it are written in one write transaction, so a reopened store
/// always holds exactly the last committed checkpoint and the state after it. The store checks structure (next
/// height, parent link, certificate names the block, state hashes to the header's `stateRoot`), not signatures: the
/// replica verified the certificate before committing.
public final class CheckpointStore: @unchecked Sendable {
    // The environment serialises writers itself; everything else is immutable after init.
    public let environment: Environment
    public let path: String
    public let limits: CheckpointLimits
    private let checkpoints: Database
    private let certificates: Database
    private let hashes: Database
    private let states: Database
    private let metaTable: Database

    static let checkpointEncodingVersion: UInt8 = 1
    static let stateRecordVersion: UInt8 = 1
    private static let latestStateKey = Array("latest".utf8)

    /// Opens (creating if needed) the store in `directory`. `limits` bound what is decoded back; use the
    /// committee's `GlobalConfiguration.limits`.
    public init(
        directory: URL, options: Environment.Options = Environment.Options(),
        limits: CheckpointLimits = CheckpointLimits()
    ) throws(CheckpointStoreError) {
        let path = directory.path
        var options = options
        options.databasesMax = max(options.databasesMax, 8)
        self.path = path
        self.limits = limits
        do throws(LMDBError) {
            let environment = try Environment(path: path, options: options)
            self.environment = environment
            checkpoints = try environment.database(named: "checkpoints")
            certificates = try environment.database(named: "certificates")
            hashes = try environment.database(named: "hashes")
            states = try environment.database(named: "states")
            metaTable = try environment.database(named: "meta")
        } catch {
            throw .storage(path: path, height: nil, error)
        }
    }

    public func close() { environment.close() }

    /// Bytes, commits and flushes this store's LMDB environment has written since it was opened, including the
    /// commits that created its tables.
    public var writeStatistics: WriteStatistics { environment.writeStatistics }

    static func heightKey(_ height: UInt64) -> [UInt8] { withUnsafeBytes(of: height.bigEndian) { Array($0) } }

    // MARK: - Writing

    /// Stores checkpoint `block`, the `certificate` that certifies it, and the global `state` after it (whose root
    /// is `stateRoot`) in one write transaction. Genesis (height 0) may come without a certificate.
    ///
    /// Refused, with nothing written, unless the block is at the next height, links to the stored checkpoint below
    /// it, is on the global chain (`GlobalConfiguration.globalRegion`, the parent's chain), the certificate names
    /// it, `stateRoot` is the header's `stateRoot` and equals `state.root(after:)` the parent's state root.
    ///
    /// `meta` records (a member's safety state) ride in the same transaction: one fsync for the event's writes.
    public func commit(
        block: ProposedBlock<CheckpointPayload>, certificate: QuorumCertificate?, state: GlobalState,
        stateRoot: Hash256, meta: [String: [UInt8]] = [:]
    ) throws(CheckpointStoreError) {
        let header = block.header
        let height = header.height
        guard header.region == GlobalConfiguration.globalRegion else {
            throw .notAGlobalCheckpoint(
                path: path, height: height,
                reason: "region \(header.region), the global chain is \(GlobalConfiguration.globalRegion)")
        }
        if let certificate {
            let data = certificate.data
            guard data.blockHash == block.hash, data.height == height, data.view == header.view,
                data.chainID == header.chainID, data.region == header.region
            else {
                throw .certificateMismatch(path: path, height: height, reason: "it certifies another block")
            }
        } else if height != 0 {
            throw .certificateMismatch(path: path, height: height, reason: "missing (only genesis may have none)")
        }
        guard stateRoot == header.stateRoot else {
            throw .stateMismatch(path: path, height: height, reason: "root differs from the header's stateRoot")
        }
        let key = Self.heightKey(height)
        let blockBytes = Self.encode(block)
        let certificateBytes = certificate?.encoded()
        var stateRecord = ByteWriter(capacity: 9 + state.encodedBytes)
        stateRecord.write(Self.stateRecordVersion)
        stateRecord.write(height)
        stateRecord.writeFixed(state.encoded())
        let stateBytes = stateRecord.bytes
        let stateRootAfterParent = { (parentRoot: Hash256) in state.root(after: parentRoot) }

        try writing(height: height) { txn throws(CheckpointStoreError) in
            let latest = try self.latestHeight(txn)
            let expected = latest.map { $0 + 1 } ?? 0
            guard height == expected else {
                throw .notNextCheckpoint(path: self.path, expectedHeight: expected, actualHeight: height)
            }
            var parentRoot = Hash256.zero
            if let latest {
                let parent = try self.header(txn, height: latest)
                guard parent.hash == header.parentHash else {
                    throw .parentMismatch(path: self.path, height: height)
                }
                guard parent.chainID == header.chainID, parent.region == header.region else {
                    throw .notAGlobalCheckpoint(
                        path: self.path, height: height,
                        reason: "chain \(header.chainID) region \(header.region), parent is on chain "
                            + "\(parent.chainID) region \(parent.region)")
                }
                parentRoot = parent.stateRoot
            }
            guard stateRootAfterParent(parentRoot) == stateRoot else {
                throw .stateMismatch(
                    path: self.path, height: height, reason: "the state does not hash to the header's stateRoot")
            }
            try self.lmdb(height: height) { () throws(LMDBError) in
                try txn.put(key, blockBytes, in: self.checkpoints)
                try txn.put(block.hash.bytes, key, in: self.hashes)
                if let certificateBytes { try txn.put(key, certificateBytes, in: self.certificates) }
                try txn.put(Self.latestStateKey, stateBytes, in: self.states)
                // Keyed by height too (8 bytes, never equal to the 6-byte "latest" key): a few hundred bytes per
                // checkpoint that let a member rebuild any old checkpoint's notices instead of keeping them all
                // in memory.
                try txn.put(key, stateBytes, in: self.states)
                for (name, value) in meta.sorted(by: { $0.key < $1.key }) {
                    try txn.put(Array(name.utf8), value, in: self.metaTable)
                }
            }
        }
    }

    /// Stores the genesis checkpoint (no certificate) with the state before any checkpoint; its root is the
    /// header's `stateRoot`. Same checks as ``commit(block:certificate:state:stateRoot:)``.
    public func commitGenesis(
        block: ProposedBlock<CheckpointPayload>, state: GlobalState
    ) throws(CheckpointStoreError) {
        try commit(block: block, certificate: nil, state: state, stateRoot: block.header.stateRoot)
    }

    /// Small durable records outside the chain, such as the consensus safety state (`"safety"`).
    public func putMeta(_ key: String, _ value: [UInt8]) throws(CheckpointStoreError) {
        try writing(height: nil) { txn throws(CheckpointStoreError) in
            try self.lmdb(height: nil) { () throws(LMDBError) in try txn.put(Array(key.utf8), value, in: self.metaTable)
            }
        }
    }

    public func meta(_ key: String) throws(CheckpointStoreError) -> [UInt8]? {
        try reading(height: nil) { txn throws(CheckpointStoreError) in
            try self.lmdb(height: nil) { () throws(LMDBError) in try txn.get(Array(key.utf8), in: self.metaTable) }
        }
    }

    // MARK: - Reading

    /// Height of the last stored checkpoint; nil for an empty store.
    public var latestHeight: UInt64? {
        get throws(CheckpointStoreError) {
            try reading(height: nil) { txn throws(CheckpointStoreError) in try self.latestHeight(txn) }
        }
    }

    /// The checkpoint at `height` as the replica knows it: header, payload and justify QC (the certificate of
    /// `height - 1`; the genesis certificate for height 1; for genesis itself, `Replica.genesisBlock`'s).
    public func block(atHeight height: UInt64) throws(CheckpointStoreError) -> ProposedBlock<CheckpointPayload>? {
        try reading(height: height) { txn throws(CheckpointStoreError) in try self.block(txn, height: height) }
    }

    /// ``block(atHeight:)``, with height 1's justify taken from `genesisCertificate` (the runtime's own genesis
    /// QC) instead of being derived from the stored genesis; the two agree when the store holds the runtime's genesis.
    public func block(
        atHeight height: UInt64, genesisCertificate: QuorumCertificate
    ) throws(CheckpointStoreError) -> ProposedBlock<CheckpointPayload>? {
        guard let block = try block(atHeight: height) else { return nil }
        guard height == 1 else { return block }
        return ProposedBlock(header: block.header, payload: block.payload, justify: genesisCertificate)
    }

    /// Up to `count` consecutive checkpoints from `fromHeight`, read in one snapshot (what block sync serves);
    /// stops at the first height not stored.
    public func blocks(fromHeight: UInt64, count: Int) throws(CheckpointStoreError) -> [ProposedBlock<
        CheckpointPayload
    >] {
        try reading(height: fromHeight) { txn throws(CheckpointStoreError) in
            var result: [ProposedBlock<CheckpointPayload>] = []
            var height = fromHeight
            while result.count < count, let block = try self.block(txn, height: height) {
                result.append(block)
                guard height < UInt64.max else { break }
                height += 1
            }
            return result
        }
    }

    /// The QC that certifies the checkpoint at `height` (nil for genesis and for heights not stored).
    public func certificate(atHeight height: UInt64) throws(CheckpointStoreError) -> QuorumCertificate? {
        try reading(height: height) { txn throws(CheckpointStoreError) in try self.certificate(txn, height: height) }
    }

    /// The global state after the latest checkpoint and its root (that checkpoint's `stateRoot`); nil for an empty
    /// store. The state is checked to hash to the root.
    public func latestState() throws(CheckpointStoreError) -> (state: GlobalState, stateRoot: Hash256)? {
        try reading(height: nil) { txn throws(CheckpointStoreError) in
            guard let latest = try self.latestHeight(txn) else { return nil }
            return try self.state(txn, latest: latest)
        }
    }

    /// The global state after checkpoint `height`, checked to hash to that checkpoint's `stateRoot`; nil when the
    /// store holds no state for that height (not committed yet, or written before states were kept by height).
    public func state(atHeight height: UInt64) throws(CheckpointStoreError) -> GlobalState? {
        try reading(height: height) { txn throws(CheckpointStoreError) in
            guard let bytes = try self.storedBytes(txn, height: height, in: self.states) else { return nil }
            let (state, storedHeight) = try self.decodeStateRecord(bytes, height: height)
            guard storedHeight == height else {
                throw .corrupt(path: self.path, height: height, reason: "state is of checkpoint \(storedHeight)")
            }
            let header = try self.header(txn, height: height)
            let parentRoot = height == 0 ? Hash256.zero : try self.header(txn, height: height - 1).stateRoot
            guard state.root(after: parentRoot) == header.stateRoot else {
                throw .corrupt(
                    path: self.path, height: height, reason: "state does not hash to the checkpoint's stateRoot")
            }
            return state
        }
    }

    /// Everything a restart needs, from one snapshot; nil for an empty store (start from genesis).
    public func restartPoint() throws(CheckpointStoreError) -> CheckpointRestartPoint? {
        try reading(height: nil) { txn throws(CheckpointStoreError) in
            guard let latest = try self.latestHeight(txn), let tip = try self.block(txn, height: latest) else {
                return nil
            }
            let certificate: QuorumCertificate
            if latest == 0 {
                certificate = .genesis(chainID: tip.header.chainID, region: tip.header.region, genesisHash: tip.hash)
            } else if let stored = try self.certificate(txn, height: latest) {
                certificate = stored
            } else {
                throw .corrupt(path: self.path, height: latest, reason: "certificate missing")
            }
            let (state, stateRoot) = try self.state(txn, latest: latest)
            let safetyBytes = try self.lmdb(height: nil) { () throws(LMDBError) in
                try txn.get(Array("safety".utf8), in: self.metaTable)
            }
            var safety: SafetyState?
            if let safetyBytes {
                do { safety = try SafetyState(decoding: safetyBytes) } catch {
                    throw .corrupt(path: self.path, height: latest, reason: "meta \"safety\": \(error)")
                }
            }
            return CheckpointRestartPoint(
                tip: tip, certificate: certificate, state: state, stateRoot: stateRoot, safety: safety)
        }
    }

    // MARK: - Encoding

    /// Version, header, then the payload's own encoding as a length-prefixed byte string. The justify QC is not
    /// stored with the block: it is the certificate stored at the height below.
    static func encode(_ block: ProposedBlock<CheckpointPayload>) -> [UInt8] {
        let payload = block.payload.encoded()
        var writer = ByteWriter(capacity: 1 + BlockHeader.encodedBytes + 4 + payload.count)
        writer.write(checkpointEncodingVersion)
        block.header.write(into: &writer)
        writer.writeBytes(payload)
        return writer.bytes
    }

    // MARK: - Internals (inside a transaction)

    private func latestHeight(_ txn: ReadTransaction) throws(CheckpointStoreError) -> UInt64? {
        guard let key = try lmdb(height: nil, { () throws(LMDBError) in try txn.lastKey(in: checkpoints) }) else {
            return nil
        }
        guard key.count == 8 else {
            throw .corrupt(path: path, height: 0, reason: "checkpoint key of \(key.count) bytes")
        }
        return key.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func storedBytes(
        _ txn: ReadTransaction, height: UInt64, in database: Database
    ) throws(CheckpointStoreError) -> [UInt8]? {
        try lmdb(height: height) { () throws(LMDBError) in try txn.get(Self.heightKey(height), in: database) }
    }

    private func header(_ txn: ReadTransaction, height: UInt64) throws(CheckpointStoreError) -> BlockHeader {
        guard let bytes = try storedBytes(txn, height: height, in: checkpoints) else {
            throw .corrupt(path: path, height: height, reason: "checkpoint missing")
        }
        var reader = ByteReader(bytes)
        do {
            try reader.expectVersion(Self.checkpointEncodingVersion, "checkpoint.version")
            return try BlockHeader(from: &reader, field: "checkpoint.header")
        } catch {
            throw .corrupt(path: path, height: height, reason: "\(error)")
        }
    }

    private func block(
        _ txn: ReadTransaction, height: UInt64
    ) throws(CheckpointStoreError) -> ProposedBlock<CheckpointPayload>? {
        guard let bytes = try storedBytes(txn, height: height, in: checkpoints) else { return nil }
        let header: BlockHeader
        let payload: CheckpointPayload
        do {
            var reader = ByteReader(bytes)
            try reader.expectVersion(Self.checkpointEncodingVersion, "checkpoint.version")
            header = try BlockHeader(from: &reader, field: "checkpoint.header")
            let payloadBytes = try reader.readBytes(limit: limits.bytesMax, "checkpoint.payload")
            try reader.expectEnd("checkpoint")
            payload = try CheckpointPayload(decoding: payloadBytes, limits: limits)
        } catch {
            throw .corrupt(path: path, height: height, reason: "\(error)")
        }
        guard header.height == height else {
            throw .corrupt(path: path, height: height, reason: "header says height \(header.height)")
        }
        let justify: QuorumCertificate
        switch height {
        case 0:
            // As `Replica.genesisBlock` builds it.
            justify = .genesis(chainID: header.chainID, region: header.region, genesisHash: .zero)
        case 1:
            let genesis = try self.header(txn, height: 0)
            justify = .genesis(chainID: header.chainID, region: header.region, genesisHash: genesis.hash)
        default:
            guard let parentCertificate = try certificate(txn, height: height - 1) else {
                throw .corrupt(path: path, height: height, reason: "certificate of checkpoint \(height - 1) missing")
            }
            justify = parentCertificate
        }
        return ProposedBlock(header: header, payload: payload, justify: justify)
    }

    private func certificate(
        _ txn: ReadTransaction, height: UInt64
    ) throws(CheckpointStoreError) -> QuorumCertificate? {
        guard let bytes = try storedBytes(txn, height: height, in: certificates) else { return nil }
        do { return try QuorumCertificate(decoding: bytes, limits: .standard) } catch {
            throw .corrupt(path: path, height: height, reason: "certificate: \(error)")
        }
    }

    private func state(
        _ txn: ReadTransaction, latest: UInt64
    ) throws(CheckpointStoreError) -> (state: GlobalState, stateRoot: Hash256) {
        guard
            let bytes = try lmdb(
                height: latest, { () throws(LMDBError) in try txn.get(Self.latestStateKey, in: states) })
        else {
            throw .corrupt(path: path, height: latest, reason: "state missing")
        }
        let (state, storedHeight) = try decodeStateRecord(bytes, height: latest)
        guard storedHeight == latest else {
            throw .corrupt(path: path, height: latest, reason: "state is of checkpoint \(storedHeight)")
        }
        let header = try self.header(txn, height: latest)
        let parentRoot = latest == 0 ? Hash256.zero : try self.header(txn, height: latest - 1).stateRoot
        guard state.root(after: parentRoot) == header.stateRoot else {
            throw .corrupt(path: path, height: latest, reason: "state does not hash to the checkpoint's stateRoot")
        }
        return (state, header.stateRoot)
    }

    private func decodeStateRecord(
        _ bytes: [UInt8], height: UInt64
    ) throws(CheckpointStoreError) -> (state: GlobalState, storedHeight: UInt64) {
        do {
            var reader = ByteReader(bytes)
            try reader.expectVersion(Self.stateRecordVersion, "stateRecord.version")
            let storedHeight = try reader.readUInt64("stateRecord.height")
            return (try GlobalState(decoding: Array(bytes[reader.offset...])), storedHeight)
        } catch {
            throw .corrupt(path: path, height: height, reason: "state: \(error)")
        }
    }

    // MARK: - Error shaping

    private func lmdb<Result>(
        height: UInt64?, _ body: () throws(LMDBError) -> Result
    ) throws(CheckpointStoreError) -> Result {
        do throws(LMDBError) { return try body() } catch { throw .storage(path: path, height: height, error) }
    }

    private func reading<Result>(
        height: UInt64?, _ body: (ReadTransaction) throws(CheckpointStoreError) -> Result
    ) throws(CheckpointStoreError) -> Result {
        do {
            return try environment.read { txn in try body(txn) }
        } catch let error as CheckpointStoreError {
            throw error
        } catch let error as LMDBError {
            throw .storage(path: path, height: height, error)
        } catch {
            throw .storage(path: path, height: height, .invalidArgument("\(error)"))
        }
    }

    private func writing(
        height: UInt64?, _ body: (WriteTransaction) throws(CheckpointStoreError) -> Void
    ) throws(CheckpointStoreError) {
        do {
            try environment.write { txn in try body(txn) }
        } catch let error as CheckpointStoreError {
            throw error
        } catch let error as LMDBError {
            throw .storage(path: path, height: height, error)
        } catch {
            throw .storage(path: path, height: height, .invalidArgument("\(error)"))
        }
    }
}

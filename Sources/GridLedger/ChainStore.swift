import Foundation
import GridCrypto
import GridStorage

/// State writes of one block, grouped by contract. A nil value deletes the key.
///
/// Kept sorted so that the digest (and so every state root built from it) is the same on every validator no matter
/// in which order the contract touched its keys.
public struct StateChanges: Sendable, Equatable {
    public private(set) var tables: [String: [StateKey: [UInt8]?]] = [:]

    public init() {}

    public var isEmpty: Bool { tables.isEmpty }
    public var count: Int { tables.values.reduce(0) { $0 + $1.count } }

    public mutating func set(contract: String, key: [UInt8], value: [UInt8]) {
        tables[contract, default: [:]][StateKey(key)] = .some(value)
    }

    public mutating func delete(contract: String, key: [UInt8]) {
        tables[contract, default: [:]][StateKey(key)] = .some(nil)
    }

    /// Later changes win, as when one block's writes are applied after another's.
    public mutating func merge(_ other: StateChanges) {
        for (contract, entries) in other.tables {
            for (key, value) in entries { tables[contract, default: [:]][key] = .some(value) }
        }
    }

    /// Changes in canonical order: contracts by name, keys by bytes.
    public func sorted() -> [(contract: String, key: [UInt8], value: [UInt8]?)] {
        var result: [(contract: String, key: [UInt8], value: [UInt8]?)] = []
        result.reserveCapacity(count)
        for (contract, entries) in tables.sorted(by: { $0.key < $1.key }) {
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                result.append((contract, key.bytes, value))
            }
        }
        return result
    }

    /// BLAKE2b-256 over the canonical list; a deletion and an empty value hash differently.
    public var digest: Hash256 {
        // One buffer for the whole list, hashed in one call: the same digest as hashing change by change, without
        // an allocation for each change.
        let changes = sorted()
        var writer = ByteWriter(capacity: changes.reduce(0) { $0 + Self.writtenBytes($1) })
        for change in changes { Self.write(change, into: &writer) }
        return Hash256.blake2b(writer.bytes)
    }

    /// One change's canonical bytes (what the digest hashes and a pending record holds): short string contract,
    /// `UInt32` length + key, then `UInt8` 1 and `UInt32` length + value, or `UInt8` 0 for a deletion.
    /// How many bytes `write` appends for `change`: the contract's length byte and name, the key's 4-byte length and
    /// bytes, the flag and, for a value, its 4-byte length and bytes (at most; a deletion has no value).
    static func writtenBytes(_ change: (contract: String, key: [UInt8], value: [UInt8]?)) -> Int {
        10 + change.contract.utf8.count + change.key.count + (change.value?.count ?? 0)
    }

    static func write(_ change: (contract: String, key: [UInt8], value: [UInt8]?), into writer: inout ByteWriter) {
        writer.writeShortString(change.contract)
        writer.writeBytes(change.key)
        if let value = change.value {
            writer.write(UInt8(1))
            writer.writeBytes(value)
        } else {
            writer.write(UInt8(0))
        }
    }

    /// The state root after applying these changes to a state whose root was `parent`: a hash chain over
    /// per-block change digests. It pins the whole state history, so validators that diverge anywhere disagree
    /// from then on; it does not give per-key proofs (a Merkle state tree would, at a higher cost per write).
    public func stateRoot(after parent: Hash256) -> Hash256 {
        var hasher = Blake2bHasher()
        hasher.update(parent)
        hasher.update(digest)
        return hasher.finalize()
    }
}

/// Everything one committed block writes, stored in one LMDB write transaction.
public struct BlockCommit: Sendable {
    public var block: Block
    /// The QC that certifies `block` (nil only for genesis).
    public var certificate: QuorumCertificate?
    public var receipts: [Receipt]
    public var stateChanges: StateChanges
    /// Meta records written in the same transaction as the block (what the runtime must not lose between the
    /// block and a separate write, such as the block's outbox for the global layer).
    public var metaRecords: [String: [UInt8]]

    public init(
        block: Block, certificate: QuorumCertificate?, receipts: [Receipt], stateChanges: StateChanges,
        metaRecords: [String: [UInt8]] = [:]
    ) {
        self.block = block
        self.certificate = certificate
        self.receipts = receipts
        self.stateChanges = stateChanges
        self.metaRecords = metaRecords
    }
}

public enum ChainStoreError: Error, CustomStringConvertible {
    case storage(LMDBError)
    /// A commit that does not extend the stored chain by exactly one block.
    case notNextBlock(expectedHeight: UInt64, actualHeight: UInt64)
    case parentMismatch(height: UInt64)
    /// Stored data that fails a check; names the height and what is wrong.
    case corrupt(height: UInt64, reason: String)
    case invalidContractName(String)

    public var description: String {
        switch self {
        case .storage(let error): return "storage: \(error)"
        case .notNextBlock(let expected, let actual):
            return "cannot commit block at height \(actual): the next height is \(expected)"
        case .parentMismatch(let height):
            return "block at height \(height) does not extend the stored chain (parent hash differs)"
        case .corrupt(let height, let reason): return "stored chain is damaged at height \(height): \(reason)"
        case .invalidContractName(let name): return "invalid contract name \"\(name)\""
        }
    }
}

/// A region's chain and contract state in one LMDB environment: height -> block, hash -> height, height -> QC
/// and receipts, plus one key/value table per contract. A block and its state changes commit together or not at
/// all, so a reopened store always holds exactly the last committed block and the state after it.
public final class ChainStore: @unchecked Sendable {
    // The environment serialises writers itself; the handles below are immutable after init.
    public let environment: Environment
    private let blocks: Database
    private let hashes: Database
    private let certificates: Database
    private let receipts: Database
    let meta: Database
    /// Each recent block's state changes, until a fold writes them into the state tables (`ChainStore+PendingState`).
    let pendingState: Database
    private let stateTablePrefix = "state:"
    public let limits: EncodingLimits
    /// How many blocks' state changes wait as records before one commit folds them into the state tables: 1 writes
    /// every block's changes into the tables as it commits. More means fewer, larger folds (each rewrites the pages
    /// the blocks touched) and more records to apply on top when the state is read or a node restarts.
    public let stateFoldBlocks: Int
    public static let stateFoldBlocksDefault = 32
    public init(
        directory: URL, options: Environment.Options = .init(), limits: EncodingLimits = .standard,
        stateFoldBlocks: Int = ChainStore.stateFoldBlocksDefault
    ) throws {
        var options = options
        // Six chain tables plus one per contract.
        options.databasesMax = max(options.databasesMax, 64)
        environment = try Environment(path: directory.path, options: options)
        blocks = try environment.database(named: "blocks")
        hashes = try environment.database(named: "hashes")
        certificates = try environment.database(named: "certificates")
        receipts = try environment.database(named: "receipts")
        meta = try environment.database(named: "meta")
        pendingState = try environment.database(named: "pending-state")
        self.limits = limits
        self.stateFoldBlocks = max(1, stateFoldBlocks)
    }

    public func close() { environment.close() }

    /// Bytes, commits and flushes this store's LMDB environment has written since it was opened, including the
    /// commits that created its tables.
    public var writeStatistics: WriteStatistics { environment.writeStatistics }

    static func heightKey(_ height: UInt64) -> [UInt8] { withUnsafeBytes(of: height.bigEndian) { Array($0) } }

    private func stateTable(_ contract: String) throws -> Database {
        guard Transaction.isValidIdentifier(contract) else { throw ChainStoreError.invalidContractName(contract) }
        return try environment.database(named: stateTablePrefix + contract)
    }

    // MARK: - Writing

    /// Stores one block with its certificate, receipts and state changes in a single write transaction.
    public func commit(_ commit: BlockCommit) throws { try self.commit([commit]) }

    /// Stores `commits` in order, then the `meta` records, in a single write transaction: on a store that syncs, one
    /// fsync for everything one event wrote (a validator's safety record and the blocks the same message
    /// committed) instead of one each. Nothing is written unless every block extends the one before it.
    public func commit(_ commits: [BlockCommit], meta records: [String: [UInt8]] = [:]) throws {
        guard !commits.isEmpty || !records.isEmpty else { return }
        // Open tables before the write: opening a named database needs its own write transaction.
        var tables: [String: Database] = [:]
        for commit in commits {
            for contract in commit.stateChanges.tables.keys where tables[contract] == nil {
                tables[contract] = try stateTable(contract)
            }
        }
        let encoded = commits.map(EncodedCommit.init)
        let metaRecords = records.sorted { $0.key < $1.key }
        // A fold writes every contract the pending records name, some from earlier commits (or an earlier process),
        // so when one is due all tables are opened first.
        var foldDue = false
        if let first = encoded.first?.header.height, let last = encoded.last?.header.height, first <= last {
            foldDue = foldHeight(in: first...last)
        }
        if foldDue {
            for name in try contractTables() where tables[name] == nil { tables[name] = try stateTable(name) }
        }
        try environment.write { txn in
            let (pendingFrom, marked) = try self.pendingMark(txn)
            if !encoded.isEmpty, !marked {
                // Before the blocks, which would move the default: from now on the records say what the tables lack.
                try txn.put(Self.pendingFromKey, Self.heightKey(pendingFrom), in: self.meta)
            }
            for commit in encoded { try self.put(commit, txn) }
            for record in metaRecords { try txn.put(Array(record.key.utf8), record.value, in: self.meta) }
            if foldDue, let last = encoded.last?.header.height {
                try self.fold(from: pendingFrom, through: last, tables: tables, txn)
            }
        }
    }

    /// A commit's records as bytes, made before the write transaction opens so encoding does not hold the writer.
    private struct EncodedCommit {
        let header: BlockHeader
        let blockBytes: [UInt8]
        let receiptBytes: [UInt8]
        let certificateBytes: [UInt8]?
        /// The block's state changes as a pending record; nil when it changed nothing.
        let pendingRecord: [UInt8]?
        let metaRecords: [(key: String, value: [UInt8])]

        init(_ commit: BlockCommit) {
            header = commit.block.header
            blockBytes = commit.block.encoded()
            receiptBytes = Receipt.encodeList(commit.receipts)
            certificateBytes = commit.certificate?.encoded()
            pendingRecord =
                commit.stateChanges.isEmpty ? nil : ChainStore.encodePendingRecord(commit.stateChanges.sorted())
            metaRecords = commit.metaRecords.sorted { $0.key < $1.key }
        }
    }

    private func put(_ commit: EncodedCommit, _ txn: WriteTransaction) throws {
        let header = commit.header
        // Reads inside the transaction see its own earlier puts, so a batch checks each block against the last.
        let latest = try latestHeight(txn)
        let expected = latest.map { $0 + 1 } ?? 0
        guard header.height == expected else {
            throw ChainStoreError.notNextBlock(expectedHeight: expected, actualHeight: header.height)
        }
        if let latest, let parentBytes = try txn.get(Self.heightKey(latest), in: blocks) {
            var reader = ByteReader(parentBytes)
            try reader.expectVersion(Block.encodingVersion, "block.version")
            let parent = try BlockHeader(from: &reader, field: "block.header")
            guard parent.hash == header.parentHash else {
                throw ChainStoreError.parentMismatch(height: header.height)
            }
        }
        let key = Self.heightKey(header.height)
        try txn.put(key, commit.blockBytes, in: blocks)
        try txn.put(header.hash.bytes, key, in: hashes)
        try txn.put(key, commit.receiptBytes, in: receipts)
        if let certificateBytes = commit.certificateBytes { try txn.put(key, certificateBytes, in: certificates) }
        for record in commit.metaRecords { try txn.put(Array(record.key.utf8), record.value, in: meta) }
        if let record = commit.pendingRecord { try txn.put(key, record, in: pendingState) }
    }

    /// Small durable records outside the chain, such as a validator's consensus safety state.
    public func putMeta(_ key: String, _ value: [UInt8]) throws {
        try environment.write { txn in try txn.put(Array(key.utf8), value, in: self.meta) }
    }

    public func meta(_ key: String) throws -> [UInt8]? {
        try environment.read { txn in try txn.get(Array(key.utf8), in: self.meta) }
    }

    // MARK: - Reading

    func latestHeight(_ txn: ReadTransaction) throws -> UInt64? {
        guard let key = try txn.lastKey(in: blocks) else { return nil }
        guard key.count == 8 else {
            throw ChainStoreError.corrupt(height: 0, reason: "block key of \(key.count) bytes")
        }
        return key.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Height of the last committed block; nil for an empty store.
    public var latestHeight: UInt64? {
        get throws { try environment.read { try latestHeight($0) } }
    }

    public func block(atHeight height: UInt64) throws -> Block? {
        guard let bytes = try environment.read({ try $0.get(Self.heightKey(height), in: blocks) }) else { return nil }
        do { return try Block(decoding: bytes, limits: limits) } catch {
            throw ChainStoreError.corrupt(height: height, reason: "\(error)")
        }
    }

    public func latestBlock() throws -> Block? {
        guard let height = try latestHeight else { return nil }
        return try block(atHeight: height)
    }

    public func height(ofBlockHash hash: Hash256) throws -> UInt64? {
        guard let bytes = try environment.read({ try $0.get(hash.bytes, in: hashes) }) else { return nil }
        guard bytes.count == 8 else { throw ChainStoreError.corrupt(height: 0, reason: "hash index entry") }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func certificate(atHeight height: UInt64) throws -> QuorumCertificate? {
        guard let bytes = try environment.read({ try $0.get(Self.heightKey(height), in: certificates) }) else {
            return nil
        }
        do { return try QuorumCertificate(decoding: bytes, limits: limits) } catch {
            throw ChainStoreError.corrupt(height: height, reason: "\(error)")
        }
    }

    public func receipts(atHeight height: UInt64) throws -> [Receipt]? {
        guard let bytes = try environment.read({ try $0.get(Self.heightKey(height), in: receipts) }) else {
            return nil
        }
        do { return try Receipt.decodeList(bytes, limits: limits) } catch {
            throw ChainStoreError.corrupt(height: height, reason: "\(error)")
        }
    }

    /// The committed value: a pending record's change if one has it, else the table's.
    public func state(contract: String, key: [UInt8]) throws -> [UInt8]? {
        let table = try stateTable(contract)
        return try environment.read { txn in
            if let pending = try pendingChanges(txn).tables[contract]?[StateKey(key)] { return pending }
            return try txn.get(key, in: table)
        }
    }

    /// Contracts that have a state table in this store: what a restarted validator must load, found in the store
    /// itself rather than in a list kept by hand.
    public func contractTables() throws -> [String] {
        try environment.read { txn in
            try txn.databaseNames().compactMap { name in
                name.hasPrefix(stateTablePrefix) ? String(name.dropFirst(stateTablePrefix.count)) : nil
            }
        }
    }

    /// Every committed key/value of a contract (its table with the pending records applied), in key order.
    public func allState(contract: String) throws -> [(key: [UInt8], value: [UInt8])] {
        let table = try stateTable(contract)
        return try environment.read { txn in
            var entries: [(key: [UInt8], value: [UInt8])] = []
            try txn.forEachEntry(in: table) { key, value in
                entries.append((Array(key), Array(value)))
                return true
            }
            guard let pending = try pendingChanges(txn).tables[contract], !pending.isEmpty else { return entries }
            var merged = Dictionary(entries.map { (StateKey($0.key), $0.value) }, uniquingKeysWith: { $1 })
            for (key, value) in pending { merged[key] = value }
            return merged.sorted { $0.key < $1.key }.map { (key: $0.key.bytes, value: $0.value) }
        }
    }

    // MARK: - Verification

    /// Checks the stored chain: heights contiguous, every parent hash links, every transactions root and receipts
    /// root matches, the hash index and certificates point at the right blocks, and the pending state records
    /// decode. Returns the first bad height with the reason, or nil when all is well.
    public func verifyChain() throws -> (height: UInt64, reason: String)? {
        guard let latest = try latestHeight else { return nil }
        var previousHash: Hash256?
        for height in 0...latest {
            let block: Block
            do {
                guard let stored = try self.block(atHeight: height) else { return (height, "block missing") }
                block = stored
            } catch let error as ChainStoreError {
                return (height, error.description)
            }
            let header = block.header
            if header.height != height { return (height, "header says height \(header.height)") }
            if let previousHash, header.parentHash != previousHash { return (height, "parent hash does not link") }
            if Block.transactionsRoot(of: block.transactions) != header.transactionsRoot {
                return (height, "transactions root does not match the transactions")
            }
            if height > 0 {
                guard let stored = try receipts(atHeight: height) else { return (height, "receipts missing") }
                if Receipt.receiptsRoot(of: stored) != header.receiptsRoot {
                    return (height, "receipts root does not match the receipts")
                }
                if let certificate = try certificate(atHeight: height), certificate.data.blockHash != header.hash {
                    return (height, "certificate is for another block")
                }
            }
            if try self.height(ofBlockHash: header.hash) != height { return (height, "hash index is wrong") }
            previousHash = header.hash
        }
        do {
            _ = try environment.read { try pendingChanges($0) }
        } catch ChainStoreError.corrupt(let height, let reason) {
            return (height, reason)
        }
        return nil
    }
}

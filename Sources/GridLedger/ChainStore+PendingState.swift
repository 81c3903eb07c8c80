import GridStorage

/// A block's state changes kept as one record (`pending-state`, height -> changes) until a fold writes them into the
/// contracts' tables.
///
/// Why: a block's transactions touch keys all over a contract's table, so writing them into the B-tree at every
/// block copies and flushes nearly every leaf page of the state (about 0.5 MB a block on `default` live at 3,000 tx/s,
/// 10,000 accounts), and the commit waits for that flush. A record is a few pages at the end of its table; a fold
/// every `ChainStore.stateFoldBlocks` blocks writes each touched page once for all of them. Both happen in the
/// transaction that commits a block, so a crash keeps either all of a commit or none of it, and every reader sees
/// the tables with the pending records applied on top: the store means exactly what it did.
extension ChainStore {
    /// Meta key of the first height whose changes are still pending. Absent in a store that has never kept a record
    /// (written by a build before records existed, or empty): all its changes are in the tables.
    static let pendingFromName = "chainstore.state-pending-from"
    static let pendingFromKey = Array(pendingFromName.utf8)
    /// Version byte of a record's encoding.
    static let pendingRecordVersion: UInt8 = 1

    /// Whether a commit of `heights` folds: one of them is a multiple of `stateFoldBlocks` less one. So at most
    /// `stateFoldBlocks` records wait, and after a change of interval, or on a store of an older build, the next
    /// fold takes all. Every validator of a region folds at the same heights: staggering them (tried on `default`
    /// at 3,000 tx/s, four runs each) did not help, since a fold that falls on the leader or the collector of votes
    /// delays the round anyway.
    func foldHeight(in heights: ClosedRange<UInt64>) -> Bool {
        let blocks = UInt64(stateFoldBlocks)
        // The first height at or after the range's start with height % blocks == blocks - 1.
        let offset = (blocks - 1 + blocks - heights.lowerBound % blocks) % blocks
        return heights.upperBound - heights.lowerBound >= offset
    }

    /// Blocks whose changes are records not yet folded into the tables (what `gridledger inspect` shows).
    public var pendingStateBlocks: Int {
        get throws { try environment.read { try $0.count(in: pendingState) } }
    }

    /// The first height whose changes are not in the tables yet, as `txn` sees it.
    func pendingFrom(_ txn: ReadTransaction) throws -> UInt64 { try pendingMark(txn).height }

    /// The same, and whether the store holds the mark (false: it is the default, all changes in the tables).
    func pendingMark(_ txn: ReadTransaction) throws -> (height: UInt64, stored: Bool) {
        if let bytes = try txn.get(Self.pendingFromKey, in: meta) {
            guard bytes.count == 8 else {
                throw ChainStoreError.corrupt(height: 0, reason: "meta \(Self.pendingFromName) of \(bytes.count) bytes")
            }
            return (bytes.reduce(0) { $0 << 8 | UInt64($1) }, true)
        }
        return (try latestHeight(txn).map { $0 + 1 } ?? 0, false)
    }

    /// The pending records merged in height order (later changes win).
    func pendingChanges(_ txn: ReadTransaction) throws -> StateChanges {
        let from = try pendingFrom(txn)
        var merged = StateChanges()
        try txn.forEachEntry(in: pendingState, from: Self.heightKey(from)) { key, value in
            guard key.count == 8 else {
                throw ChainStoreError.corrupt(height: 0, reason: "pending state key of \(key.count) bytes")
            }
            let height = key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            // Straight into the merged set (later heights overwrite), not through a set per record.
            try Self.decodePendingRecord(Array(value), height: height, into: &merged)
            return true
        }
        return merged
    }

    /// Writes the records of heights `from...through` into the tables, removes them, and moves the pending mark.
    /// `tables` must hold every contract table the records name (opened before the write transaction).
    func fold(from: UInt64, through: UInt64, tables: [String: Database], _ txn: WriteTransaction) throws {
        let merged = try pendingChanges(txn)
        for change in merged.sorted() {
            guard let table = tables[change.contract] else {
                throw ChainStoreError.corrupt(
                    height: through, reason: "pending state names contract \(change.contract) without a table")
            }
            if let value = change.value {
                try txn.put(change.key, value, in: table)
            } else {
                _ = try txn.delete(change.key, in: table)
            }
        }
        if from <= through {
            for height in from...through { _ = try txn.delete(Self.heightKey(height), in: pendingState) }
        }
        try txn.put(Self.pendingFromKey, Self.heightKey(through + 1), in: meta)
    }

    /// Layout: version byte, `UInt32` count, then each change in canonical order as the state digest hashes it
    /// (`StateChanges.write`).
    static func encodePendingRecord(_ changes: [(contract: String, key: [UInt8], value: [UInt8]?)]) -> [UInt8] {
        var writer = ByteWriter(capacity: 5 + changes.reduce(0) { $0 + StateChanges.writtenBytes($1) })
        writer.write(pendingRecordVersion)
        writer.write(UInt32(changes.count))
        for change in changes { StateChanges.write(change, into: &writer) }
        return writer.bytes
    }

    /// Reads a record back into `changes`, as merging it would; anything malformed is a damaged store, reported with
    /// its height (and `changes` may then hold part of the record: the caller gives up on the whole read).
    static func decodePendingRecord(_ bytes: [UInt8], height: UInt64, into changes: inout StateChanges) throws {
        do {
            var reader = ByteReader(bytes)
            try reader.expectVersion(pendingRecordVersion, "pendingState.version")
            let countOffset = reader.offset
            let count = Int(try reader.readUInt32("pendingState.count"))
            // A change is at least a 1-byte name length, a 4-byte key length and a flag.
            try reader.checkCount(
                count, limit: Int(UInt32.max), minimumElementBytes: 6, field: "pendingState.count", at: countOffset)
            for index in 0..<count {
                let contract = try reader.readShortString("pendingState[\(index)].contract")
                let key = try reader.readBytes(limit: bytes.count, "pendingState[\(index)].key")
                switch try reader.readUInt8("pendingState[\(index)].flag") {
                case 0: changes.delete(contract: contract, key: key)
                case 1:
                    changes.set(
                        contract: contract, key: key,
                        value: try reader.readBytes(limit: bytes.count, "pendingState[\(index)].value"))
                case let flag:
                    throw DecodingError(
                        field: "pendingState[\(index)].flag", offset: reader.offset - 1,
                        kind: .invalidValue("\(flag), expected 0 or 1"))
                }
            }
            try reader.expectEnd("pendingState")
        } catch {
            throw ChainStoreError.corrupt(height: height, reason: "pending state changes: \(error)")
        }
    }
}

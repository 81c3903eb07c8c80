import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion

extension PooledTransaction {
    /// The transaction's canonical encoding with a UInt32 length prefix, as in a ledger `Block`.
    public func write(into writer: inout ByteWriter) {
        writer.writeBytes(transaction.encoded())
    }

    /// Reads a length-prefixed transaction in place and derives its hash and size from the bytes received, as
    /// the mempool does on admission: BLAKE2b-256 of the encoding and its byte count. The encoding is canonical,
    /// so those bytes are exactly `transaction.encoded()`.
    public init(from reader: inout ByteReader, field: String, limits: EncodingLimits) throws(DecodingError) {
        var inner = try reader.readLengthPrefixed(limit: limits.transactionBytesMax, "\(field).length")
        let start = inner.offset
        let transaction = try Transaction(from: &inner, field: field, limits: limits)
        try inner.expectEnd(field)
        let end = inner.offset
        let hash = inner.bytes.withUnsafeBytes { Hash256.blake2b(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
        self.init(transaction: transaction, hash: hash, encodedBytes: end - start)
    }

    /// A length prefix and the smallest transaction.
    static let wireBytesMin = 4 + Transaction.encodedBytesMin
}

/// A UInt32 count, then the length-prefixed transactions; shared by region payloads and gossip batches.
enum TransactionList {
    static func write(_ transactions: [PooledTransaction], into writer: inout ByteWriter) {
        writer.write(UInt32(transactions.count))
        for pooled in transactions { pooled.write(into: &writer) }
    }

    static func read(
        from reader: inout ByteReader, field: String, countMax: Int, limits: EncodingLimits
    ) throws(DecodingError) -> [PooledTransaction] {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).count"))
        try reader.checkCount(
            count, limit: countMax, minimumElementBytes: PooledTransaction.wireBytesMin, field: "\(field).count",
            at: countOffset)
        var transactions: [PooledTransaction] = []
        transactions.reserveCapacity(count)
        for index in 0..<count {
            transactions.append(try PooledTransaction(from: &reader, field: "\(field)[\(index)]", limits: limits))
        }
        return transactions
    }
}

extension RegionPayload: WirePayload {
    public static var wireBytesMin: Int { 4 }

    public func write(into writer: inout ByteWriter) {
        TransactionList.write(transactions, into: &writer)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        self.init(
            transactions: try TransactionList.read(
                from: &reader, field: "\(field).transactions", countMax: limits.encoding.blockTransactionsMax,
                limits: limits.encoding))
    }
}

extension CheckpointPayload: WirePayload {
    public static var wireBytesMin: Int { 4 }

    /// Exactly `encoded()`: the entry count, then the entries.
    public func write(into writer: inout ByteWriter) {
        CommitEntryList.write(entries, into: &writer)
    }

    /// As `init(decoding:)`, reading in place: at most `checkpoint.entriesMax` entries and
    /// `checkpoint.bytesMax` bytes.
    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let entries = try CommitEntryList.read(
            from: &reader, field: "\(field).entries", countMax: limits.checkpoint.entriesMax,
            bytesMax: limits.checkpoint.bytesMax, limits: limits.checkpoint)
        self.init(entries: entries)
    }
}

/// A UInt32 count, then the entries (each delimits itself); shared by checkpoint payloads and `entries`.
enum CommitEntryList {
    static func write(_ entries: [RegionCommitEntry], into writer: inout ByteWriter) {
        writer.write(UInt32(entries.count))
        for entry in entries { entry.write(into: &writer) }
    }

    /// Stops as soon as the entries read exceed `bytesMax`, rather than after reading them all.
    static func read(
        from reader: inout ByteReader, field: String, countMax: Int, bytesMax: Int, limits: CheckpointLimits
    ) throws(DecodingError) -> [RegionCommitEntry] {
        let start = reader.offset
        let count = Int(try reader.readUInt32("\(field).count"))
        try reader.checkCount(
            count, limit: countMax, minimumElementBytes: WireSize.commitEntryMin, field: "\(field).count", at: start)
        var entries: [RegionCommitEntry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let entryStart = reader.offset
            entries.append(try RegionCommitEntry(from: &reader, field: "\(field)[\(index)]", limits: limits))
            guard reader.offset - start <= bytesMax else {
                throw DecodingError(
                    field: "\(field)[\(index)]", offset: entryStart,
                    kind: .tooLarge(limit: bytesMax, actual: reader.offset - start))
            }
        }
        return entries
    }
}

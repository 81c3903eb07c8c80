import GridCrypto

/// The fixed-size part of a block that the chain links, votes and global verification work on.
public struct BlockHeader: Hashable, Sendable {
    public static let encodingVersion: UInt8 = 1
    public static let encodedBytes = 1 + 4 + 2 + 8 + 8 + 32 * 6

    public var chainID: ChainID
    public var region: RegionID
    public var height: UInt64
    /// The consensus view (round) in which the block was proposed.
    public var view: UInt64
    public var parentHash: Hash256
    public var transactionsRoot: Hash256
    public var stateRoot: Hash256
    public var receiptsRoot: Hash256
    /// Root of the messages this block sends to other regions.
    public var outboxRoot: Hash256
    public var proposer: PublicKey

    public init(
        chainID: ChainID, region: RegionID, height: UInt64, view: UInt64, parentHash: Hash256,
        transactionsRoot: Hash256, stateRoot: Hash256, receiptsRoot: Hash256, outboxRoot: Hash256, proposer: PublicKey
    ) {
        self.chainID = chainID
        self.region = region
        self.height = height
        self.view = view
        self.parentHash = parentHash
        self.transactionsRoot = transactionsRoot
        self.stateRoot = stateRoot
        self.receiptsRoot = receiptsRoot
        self.outboxRoot = outboxRoot
        self.proposer = proposer
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        writer.write(chainID)
        writer.write(region)
        writer.write(height)
        writer.write(view)
        writer.write(parentHash)
        writer.write(transactionsRoot)
        writer.write(stateRoot)
        writer.write(receiptsRoot)
        writer.write(outboxRoot)
        writer.write(proposer)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedBytes)
        write(into: &writer)
        return writer.bytes
    }

    /// The block's identity: BLAKE2b-256 of the encoded header (the header commits to the body via its roots).
    public var hash: Hash256 { Hash256.blake2b(encoded()) }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader, field: "header")
        try reader.expectEnd("header")
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        chainID = try reader.readUInt32("\(field).chainID")
        region = try reader.readUInt16("\(field).region")
        height = try reader.readUInt64("\(field).height")
        view = try reader.readUInt64("\(field).view")
        parentHash = try reader.readHash("\(field).parentHash")
        transactionsRoot = try reader.readHash("\(field).transactionsRoot")
        stateRoot = try reader.readHash("\(field).stateRoot")
        receiptsRoot = try reader.readHash("\(field).receiptsRoot")
        outboxRoot = try reader.readHash("\(field).outboxRoot")
        proposer = try reader.readPublicKey("\(field).proposer")
    }
}

/// A header and the transactions it commits to.
public struct Block: Hashable, Sendable {
    public static let encodingVersion: UInt8 = 1

    public var header: BlockHeader
    public var transactions: [Transaction]

    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
    }

    public var hash: Hash256 { header.hash }

    /// Merkle root over the transactions' hashes, as the header's `transactionsRoot` must be.
    public static func transactionsRoot(of transactions: [Transaction]) -> Hash256 {
        Merkle.root(of: transactions.map(\.hash))
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: BlockHeader.encodedBytes + 8 + transactions.count * 200)
        writer.write(Self.encodingVersion)
        header.write(into: &writer)
        writer.write(UInt32(transactions.count))
        for transaction in transactions { writer.writeBytes(transaction.encoded()) }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: EncodingLimits = .standard) throws(DecodingError) {
        guard bytes.count <= limits.blockBytesMax else {
            throw DecodingError(
                field: "block", offset: 0, kind: .tooLarge(limit: limits.blockBytesMax, actual: bytes.count))
        }
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "block.version")
        header = try BlockHeader(from: &reader, field: "block.header")
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("block.transactions.count"))
        try reader.checkCount(
            count, limit: limits.blockTransactionsMax, minimumElementBytes: 4 + Transaction.encodedBytesMin,
            field: "block.transactions.count", at: countOffset)
        var transactions: [Transaction] = []
        transactions.reserveCapacity(count)
        for index in 0..<count {
            let field = "block.transactions[\(index)]"
            let raw = try reader.readBytes(limit: limits.transactionBytesMax, field)
            var inner = ByteReader(raw)
            transactions.append(try Transaction(from: &inner, field: field, limits: limits))
            try inner.expectEnd(field)
        }
        self.transactions = transactions
        try reader.expectEnd("block")
    }
}

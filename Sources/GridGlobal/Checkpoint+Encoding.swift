import GridCrypto
import GridLedger
import GridRegion

// Canonical encodings of what travels to and inside the global layer, with the same rules as the ledger's:
// fixed-width big-endian integers, length-prefixed strings, every count checked against a limit and against the
// bytes left before anything is allocated, and no trailing bytes.

extension RegionCommitEntry {
    public static let encodingVersion: UInt8 = 1

    public func write(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        header.write(into: &writer)
        certificate.write(into: &writer)
        writer.write(UInt32(outbox.count))
        for message in outbox {
            writer.write(message.destinationRegion)
            writer.writeShortString(message.contract)
            writer.writeShortString(message.method)
            writer.writeBytes(message.payload)
        }
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: wireBytes)
        write(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: CheckpointLimits = CheckpointLimits()) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader, field: "entry", limits: limits)
        try reader.expectEnd("entry")
    }

    public init(from reader: inout ByteReader, field: String, limits: CheckpointLimits) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        let header = try BlockHeader(from: &reader, field: "\(field).header")
        let certificate = try QuorumCertificate(
            from: &reader, field: "\(field).certificate", limits: EncodingLimits.standard)
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).outbox.count"))
        // Destination, two empty strings and an empty payload: the smallest message.
        try reader.checkCount(
            count, limit: limits.outboxMessagesPerEntryMax, minimumElementBytes: 2 + 1 + 1 + 4,
            field: "\(field).outbox.count", at: countOffset)
        var outbox: [OutboxMessage] = []
        outbox.reserveCapacity(count)
        for index in 0..<count {
            let path = "\(field).outbox[\(index)]"
            outbox.append(
                OutboxMessage(
                    destinationRegion: try reader.readUInt16("\(path).destination"),
                    contract: try reader.readShortString("\(path).contract"),
                    method: try reader.readShortString("\(path).method"),
                    payload: try reader.readBytes(limit: limits.bytesMax, "\(path).payload")))
        }
        self.init(header: header, certificate: certificate, outbox: outbox)
    }
}

extension CheckpointPayload {
    /// The entry count, then the entries (each delimits itself); `wireBytes` is its size.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: wireBytes)
        writer.write(UInt32(entries.count))
        for entry in entries { entry.write(into: &writer) }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: CheckpointLimits = CheckpointLimits()) throws(DecodingError) {
        guard bytes.count <= limits.bytesMax else {
            throw DecodingError(
                field: "checkpoint", offset: 0, kind: .tooLarge(limit: limits.bytesMax, actual: bytes.count))
        }
        var reader = ByteReader(bytes)
        let count = Int(try reader.readUInt32("checkpoint.entries.count"))
        let minimumEntryBytes = 1 + BlockHeader.encodedBytes + 57 + 4
        try reader.checkCount(
            count, limit: limits.entriesMax, minimumElementBytes: minimumEntryBytes, field: "checkpoint.entries.count",
            at: 0)
        var entries: [RegionCommitEntry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            entries.append(try RegionCommitEntry(from: &reader, field: "checkpoint.entries[\(index)]", limits: limits))
        }
        try reader.expectEnd("checkpoint")
        self.init(entries: entries)
    }
}

extension CrossRegionMessage {
    public static let encodingVersion: UInt8 = 1
    /// Source, height, outbox index, both sequences, destination, two empty strings and an empty payload.
    static let encodedBytesMin = 2 + 8 + 4 + 8 + 8 + 2 + 1 + 1 + 4

    /// Size of the body `write(into:)` appends (without the version byte of `encoded()`).
    public var bodyBytes: Int {
        30 + 2 + 1 + message.contract.utf8.count + 1 + message.method.utf8.count + 4 + message.payload.count
    }

    /// Size of `encoded()`, computed without encoding.
    public var wireBytes: Int { 1 + bodyBytes }

    /// The body: source region, source height, outbox index, destination sequence, pair sequence, then the
    /// outbox message (destination, contract, method, payload) as in `RegionCommitEntry`. Inside a
    /// `CheckpointDelivery` the delivery's version byte covers it.
    public func write(into writer: inout ByteWriter) {
        writer.write(sourceRegion)
        writer.write(sourceHeight)
        writer.write(outboxIndex)
        writer.write(destinationSequence)
        writer.write(pairSequence)
        writer.write(message.destinationRegion)
        writer.writeShortString(message.contract)
        writer.writeShortString(message.method)
        writer.writeBytes(message.payload)
    }

    /// A version byte, then the body.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: wireBytes)
        writer.write(Self.encodingVersion)
        write(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: CheckpointLimits = CheckpointLimits()) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "message.version")
        try self.init(from: &reader, field: "message", limits: limits)
        try reader.expectEnd("message")
    }

    /// Reads a body `write(into:)` wrote; the payload is bounded by `limits.bytesMax` and the remaining input.
    public init(from reader: inout ByteReader, field: String, limits: CheckpointLimits) throws(DecodingError) {
        let sourceRegion = try reader.readUInt16("\(field).sourceRegion")
        let sourceHeight = try reader.readUInt64("\(field).sourceHeight")
        let outboxIndex = try reader.readUInt32("\(field).outboxIndex")
        let destinationSequence = try reader.readUInt64("\(field).destinationSequence")
        let pairSequence = try reader.readUInt64("\(field).pairSequence")
        let message = OutboxMessage(
            destinationRegion: try reader.readUInt16("\(field).destination"),
            contract: try reader.readShortString("\(field).contract"),
            method: try reader.readShortString("\(field).method"),
            payload: try reader.readBytes(limit: limits.bytesMax, "\(field).payload"))
        self.init(
            sourceRegion: sourceRegion, sourceHeight: sourceHeight, outboxIndex: outboxIndex,
            destinationSequence: destinationSequence, pairSequence: pairSequence, message: message)
    }
}

extension CheckpointDelivery {
    public static let encodingVersion: UInt8 = 1

    /// Most message leaves (and messages) one delivery may carry: a full checkpoint's worth.
    public static func messagesMax(_ limits: CheckpointLimits) -> Int {
        limits.entriesMax * limits.outboxMessagesPerEntryMax
    }

    /// Size of `encoded()`, computed without encoding:
    /// `1 + 2 + BlockHeader.encodedBytes (215) + (57 + 66 × votes) + 4 + 32 × leaves + 4 + Σ message.bodyBytes`,
    /// where a message body is `38 + contract + method + payload` bytes (UTF-8 / raw lengths).
    public var wireBytes: Int {
        let certificateBytes = 1 + 4 + 2 + 8 + 8 + 32 + 2 + certificate.votes.count * (2 + Signature.byteCount)
        let messageBytes = messages.reduce(4) { $0 + $1.bodyBytes }
        return 1 + 2 + BlockHeader.encodedBytes + certificateBytes + 4 + Hash256.byteCount * messageLeaves.count
            + messageBytes
    }

    /// Version, destination, header, global QC, `UInt32` leaf count and the 32-byte leaves, `UInt32` message
    /// count and the message bodies (`CrossRegionMessage.write(into:)`).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: wireBytes)
        writer.write(Self.encodingVersion)
        writer.write(destination)
        header.write(into: &writer)
        certificate.write(into: &writer)
        writer.write(UInt32(messageLeaves.count))
        for leaf in messageLeaves { writer.write(leaf) }
        writer.write(UInt32(messages.count))
        for message in messages { message.write(into: &writer) }
        return writer.bytes
    }

    /// Decodes a delivery; leaf and message counts are checked against `messagesMax(limits)` and against the
    /// bytes left before anything is allocated, and nothing may follow. Says nothing about validity: that is
    /// `InboundDelivery`'s job.
    public init(decoding bytes: [UInt8], limits: CheckpointLimits = CheckpointLimits()) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader, field: "delivery", limits: limits)
        try reader.expectEnd("delivery")
    }

    public init(from reader: inout ByteReader, field: String, limits: CheckpointLimits) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        let destination = try reader.readUInt16("\(field).destination")
        let header = try BlockHeader(from: &reader, field: "\(field).header")
        let certificate = try QuorumCertificate(
            from: &reader, field: "\(field).certificate", limits: EncodingLimits.standard)
        let messagesMax = Self.messagesMax(limits)
        let leafCountOffset = reader.offset
        let leafCount = Int(try reader.readUInt32("\(field).messageLeaves.count"))
        try reader.checkCount(
            leafCount, limit: messagesMax, minimumElementBytes: Hash256.byteCount,
            field: "\(field).messageLeaves.count", at: leafCountOffset)
        var leaves: [Hash256] = []
        leaves.reserveCapacity(leafCount)
        for index in 0..<leafCount { leaves.append(try reader.readHash("\(field).messageLeaves[\(index)]")) }
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).messages.count"))
        try reader.checkCount(
            count, limit: messagesMax, minimumElementBytes: CrossRegionMessage.encodedBytesMin,
            field: "\(field).messages.count", at: countOffset)
        var messages: [CrossRegionMessage] = []
        messages.reserveCapacity(count)
        for index in 0..<count {
            messages.append(try CrossRegionMessage(from: &reader, field: "\(field).messages[\(index)]", limits: limits))
        }
        self.init(
            destination: destination, header: header, certificate: certificate, messageLeaves: leaves,
            messages: messages)
    }
}

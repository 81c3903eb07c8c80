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

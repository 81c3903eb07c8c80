import GridCrypto
import GridGlobal
import GridLedger
import GridRegion

/// What a region validator writes in its chain store, in the same transaction as each committed block, so that a
/// crash of every validator of the region at once loses no entry the committee has not made final yet: the
/// block's outbox (the one part of a `RegionCommitEntry` the chain store does not already hold) and the highest
/// region height the committee's checkpoints were known to include. On restart the entries above that height are
/// rebuilt from the stored blocks, certificates and outboxes.
enum GlobalRecords {
    /// Meta key of the finalized height (8 bytes, big-endian). A hint that may lag: entries at or below the
    /// committee's real tip are answered as duplicates or stale, never applied twice.
    static let finalizedKey = "global.finalized"
    static let outboxVersion: UInt8 = 1

    /// Meta key of the outbox of the block at `height`; written only for blocks whose outbox is not empty.
    static func outboxKey(_ height: UInt64) -> String { "global.outbox.\(height)" }

    static func encode(height: UInt64) -> [UInt8] { withUnsafeBytes(of: height.bigEndian) { Array($0) } }

    static func decodeHeight(_ bytes: [UInt8]) throws(DecodingError) -> UInt64 {
        var reader = ByteReader(bytes)
        let height = try reader.readUInt64(finalizedKey)
        try reader.expectEnd(finalizedKey)
        return height
    }

    /// Version, `UInt32` count, then each message as `RegionCommitEntry` writes it.
    static func encode(outbox: [OutboxMessage]) -> [UInt8] {
        var writer = ByteWriter(
            capacity: 5 + outbox.reduce(0) { $0 + 8 + $1.contract.utf8.count + $1.method.utf8.count + $1.payload.count }
        )
        writer.write(outboxVersion)
        writer.write(UInt32(outbox.count))
        for message in outbox {
            writer.write(message.destinationRegion)
            writer.writeShortString(message.contract)
            writer.writeShortString(message.method)
            writer.writeBytes(message.payload)
        }
        return writer.bytes
    }

    static func decodeOutbox(
        _ bytes: [UInt8], height: UInt64, limits: CheckpointLimits
    ) throws(DecodingError) -> [OutboxMessage] {
        let field = outboxKey(height)
        var reader = ByteReader(bytes)
        try reader.expectVersion(outboxVersion, "\(field).version")
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).count"))
        try reader.checkCount(
            count, limit: limits.outboxMessagesPerEntryMax, minimumElementBytes: 2 + 1 + 1 + 4,
            field: "\(field).count", at: countOffset)
        var outbox: [OutboxMessage] = []
        outbox.reserveCapacity(count)
        for index in 0..<count {
            outbox.append(
                OutboxMessage(
                    destinationRegion: try reader.readUInt16("\(field)[\(index)].destination"),
                    contract: try reader.readShortString("\(field)[\(index)].contract"),
                    method: try reader.readShortString("\(field)[\(index)].method"),
                    payload: try reader.readBytes(limit: limits.bytesMax, "\(field)[\(index)].payload")))
        }
        try reader.expectEnd(field)
        return outbox
    }
}

import GridLedger
import GridRegion

/// What a client and its gateway validator say to each other. Transactions travel as the client's raw bytes:
/// the gateway's mempool decodes and checks them, and hashes exactly the bytes the client signed and sent.
public enum ClientMessage: Hashable, Sendable {
    /// A transaction's canonical encoding, tagged with an id the client picks to match the reply.
    case submit(requestID: UInt64, transaction: [UInt8])
    case reply(requestID: UInt64, ClientReply)
    /// Committed state of one contract at the gateway: the values of `keys` (absent keys read as nil). Agents that
    /// act on what the ledger decided (a device's set-point, an auction's result) read it this way.
    case read(requestID: UInt64, contract: String, keys: [[UInt8]])
    /// The answer to a `read`: the gateway's committed height and one value per key, in the request's order. A
    /// gateway that cannot answer (busy, not a region validator, an answer beyond the frame bound) sends `reply`
    /// with `busy` or `rejected` instead.
    case values(requestID: UInt64, height: UInt64, values: [[UInt8]?])

    public var kind: String {
        switch self {
        case .submit: return "submit"
        case .reply: return "reply"
        case .read: return "read"
        case .values: return "values"
        }
    }
}

/// The byte after the version that names a client message's case; numbers are never reused.
enum ClientMessageTag: UInt8 {
    case submit = 1
    case reply = 2
    case read = 3
    case values = 4
}

/// The byte naming a reply's case; numbers are never reused.
private enum ClientReplyTag: UInt8 {
    case rejected = 1
    case busy = 2
    case committed = 3
    case failed = 4
    case finalized = 5
}

extension ClientMessage {
    var tag: ClientMessageTag {
        switch self {
        case .submit: return .submit
        case .reply: return .reply
        case .read: return .read
        case .values: return .values
        }
    }

    /// Reasons longer than `reasonBytesMax` are cut (at a character boundary), so what is sent always decodes.
    func writeBody(into writer: inout ByteWriter, reasonBytesMax: Int) {
        switch self {
        case .submit(let requestID, let transaction):
            writer.write(requestID)
            writer.writeBytes(transaction)
        case .reply(let requestID, let reply):
            writer.write(requestID)
            switch reply {
            case .rejected(let reason):
                writer.write(ClientReplyTag.rejected.rawValue)
                Self.writeReason(reason, into: &writer, bytesMax: reasonBytesMax)
            case .busy:
                writer.write(ClientReplyTag.busy.rawValue)
            case .committed(let height):
                writer.write(ClientReplyTag.committed.rawValue)
                writer.write(height)
            case .failed(let height, let reason):
                writer.write(ClientReplyTag.failed.rawValue)
                writer.write(height)
                Self.writeReason(reason, into: &writer, bytesMax: reasonBytesMax)
            case .finalized(let height):
                writer.write(ClientReplyTag.finalized.rawValue)
                writer.write(height)
            }
        case .read(let requestID, let contract, let keys):
            writer.write(requestID)
            writer.writeShortString(contract)
            writer.write(UInt32(keys.count))
            for key in keys { writer.writeBytes(key) }
        case .values(let requestID, let height, let values):
            writer.write(requestID)
            writer.write(height)
            writer.write(UInt32(values.count))
            for value in values {
                writer.write(value != nil)
                if let value { writer.writeBytes(value) }
            }
        }
    }

    init(tag: ClientMessageTag, from reader: inout ByteReader, limits: WireLimits) throws(DecodingError) {
        switch tag {
        case .submit:
            self = .submit(
                requestID: try reader.readUInt64("submit.requestID"),
                transaction: try reader.readBytes(limit: limits.encoding.transactionBytesMax, "submit.transaction"))
        case .reply:
            let requestID = try reader.readUInt64("reply.requestID")
            let at = reader.offset
            let raw = try reader.readUInt8("reply.kind")
            let reply: ClientReply
            switch ClientReplyTag(rawValue: raw) {
            case .rejected:
                reply = .rejected(
                    reason: try Self.readReason(&reader, "reply.rejected.reason", bytesMax: limits.reasonBytesMax))
            case .busy:
                reply = .busy
            case .committed:
                reply = .committed(height: try reader.readUInt64("reply.committed.height"))
            case .failed:
                let height = try reader.readUInt64("reply.failed.height")
                let reason = try Self.readReason(&reader, "reply.failed.reason", bytesMax: limits.reasonBytesMax)
                reply = .failed(height: height, reason: reason)
            case .finalized:
                reply = .finalized(height: try reader.readUInt64("reply.finalized.height"))
            case nil:
                throw DecodingError(field: "reply.kind", offset: at, kind: .invalidValue("unknown reply kind \(raw)"))
            }
            self = .reply(requestID: requestID, reply)
        case .read:
            let requestID = try reader.readUInt64("read.requestID")
            let contract = try reader.readShortString("read.contract")
            let countAt = reader.offset
            let count = Int(try reader.readUInt32("read.keys.count"))
            // Each key takes at least its 4-byte length: a count the bytes cannot hold is refused before allocating.
            try reader.checkCount(
                count, limit: limits.readKeysMax, minimumElementBytes: 4, field: "read.keys.count", at: countAt)
            var keys: [[UInt8]] = []
            keys.reserveCapacity(count)
            for position in 0..<count {
                keys.append(try reader.readBytes(limit: limits.readKeyBytesMax, "read.keys[\(position)]"))
            }
            self = .read(requestID: requestID, contract: contract, keys: keys)
        case .values:
            let requestID = try reader.readUInt64("values.requestID")
            let height = try reader.readUInt64("values.height")
            let countAt = reader.offset
            let count = Int(try reader.readUInt32("values.count"))
            try reader.checkCount(
                count, limit: limits.readKeysMax, minimumElementBytes: 1, field: "values.count", at: countAt)
            var values: [[UInt8]?] = []
            values.reserveCapacity(count)
            for position in 0..<count {
                if try reader.readBool("values[\(position)].present") {
                    values.append(try reader.readBytes(limit: limits.frameBytesMax, "values[\(position)]"))
                } else {
                    values.append(nil)
                }
            }
            self = .values(requestID: requestID, height: height, values: values)
        }
    }

    /// The longest prefix of whole characters' UTF-8 that fits in `bytesMax`, as a UInt16-length-prefixed string.
    private static func writeReason(_ reason: String, into writer: inout ByteWriter, bytesMax: Int) {
        let limit = min(bytesMax, Int(UInt16.max))
        var utf8 = Array(reason.utf8)
        if utf8.count > limit {
            var kept = 0
            for character in reason {
                let size = character.utf8.count
                guard kept + size <= limit else { break }
                kept += size
            }
            utf8.removeSubrange(kept...)
        }
        writer.write(UInt16(utf8.count))
        writer.writeFixed(utf8)
    }

    private static func readReason(_ reader: inout ByteReader, _ field: String, bytesMax: Int) throws(DecodingError)
        -> String
    {
        let at = reader.offset
        let length = Int(try reader.readUInt16(field))
        guard length <= bytesMax else {
            throw DecodingError(field: field, offset: at, kind: .tooLarge(limit: bytesMax, actual: length))
        }
        let raw = try reader.readFixed(length, field)
        guard let reason = String(validating: raw, as: UTF8.self) else {
            throw DecodingError(field: field, offset: at + 2, kind: .invalidValue("not UTF-8"))
        }
        return reason
    }
}

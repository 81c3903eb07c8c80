import GridLedger

/// Frames: the wire version byte, a tag byte naming the message's case, then its body, with nothing after it.
/// Encoding cannot fail; decoding refuses anything but the canonical encoding of a message within `WireLimits`,
/// and reports the field path and byte offset of the first problem.
public enum WireCodec {
    public static func encode(_ message: PeerMessage) -> [UInt8] {
        var writer = ByteWriter(capacity: 2 + message.estimatedBodyBytes)
        writer.write(WireVersion.current)
        writer.write(message.tag.rawValue)
        message.writeBody(into: &writer)
        return writer.bytes
    }

    /// Reason strings are cut to `limits.reasonBytesMax` bytes, so the frame decodes under the same limits.
    public static func encode(_ message: ClientMessage, limits: WireLimits = .standard) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + (message.submittedBytes ?? limits.reasonBytesMax))
        writer.write(WireVersion.current)
        writer.write(message.tag.rawValue)
        message.writeBody(into: &writer, reasonBytesMax: limits.reasonBytesMax)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8], limits: WireLimits = .standard) throws(DecodingError) -> PeerMessage {
        var reader = try frameReader(bytes, limits: limits)
        let at = reader.offset
        let raw = try reader.readUInt8("frame.tag")
        guard let tag = PeerMessageTag(rawValue: raw) else {
            throw DecodingError(field: "frame.tag", offset: at, kind: .invalidValue("unknown peer message tag \(raw)"))
        }
        let message = try PeerMessage(tag: tag, from: &reader, limits: limits)
        try reader.expectEnd("frame")
        return message
    }

    public static func decodeClient(_ bytes: [UInt8], limits: WireLimits = .standard) throws(DecodingError)
        -> ClientMessage
    {
        var reader = try frameReader(bytes, limits: limits)
        let at = reader.offset
        let raw = try reader.readUInt8("frame.tag")
        guard let tag = ClientMessageTag(rawValue: raw) else {
            throw DecodingError(
                field: "frame.tag", offset: at, kind: .invalidValue("unknown client message tag \(raw)"))
        }
        let message = try ClientMessage(tag: tag, from: &reader, limits: limits)
        try reader.expectEnd("frame")
        return message
    }

    /// Checks the frame's size and version before anything else is read.
    private static func frameReader(_ bytes: [UInt8], limits: WireLimits) throws(DecodingError) -> ByteReader {
        guard bytes.count <= limits.frameBytesMax else {
            throw DecodingError(
                field: "frame", offset: 0, kind: .tooLarge(limit: limits.frameBytesMax, actual: bytes.count))
        }
        var reader = ByteReader(bytes)
        try reader.expectVersion(WireVersion.current, "frame.version")
        return reader
    }
}

extension ClientMessage {
    fileprivate var submittedBytes: Int? {
        if case .submit(_, let transaction) = self { return transaction.count }
        return nil
    }
}

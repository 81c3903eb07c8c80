import GridLedger

/// Frames: the wire version byte, a tag byte naming the message's case, then its body, with nothing after it.
/// Encoding cannot fail; decoding refuses anything but the canonical encoding of a message within `WireLimits`,
/// and reports the field path and byte offset of the first problem. Framing on a stream (a length prefix) is the
/// transport's job; the frame's own size is checked against `frameBytesMax` here as well.
///
/// Peer message bodies (integers big-endian; "list" is a UInt32 count then the elements):
/// - 1 `regionConsensus`, 3 `globalConsensus`: a kind byte (1 proposal, 2 vote, 3 timeout, 4 syncRequest,
///   5 syncResponse), then the fields; a block is its `BlockHeader` encoding, payload and justify QC (the
///   ledger's `QuorumCertificate` encoding), never its hash.
/// - 2 `gossip`: a list of UInt32-length-prefixed `Transaction` encodings (as in a ledger `Block`); a region
///   payload is the same list, a checkpoint payload is `CheckpointPayload.encoded()`.
/// - 4 `entries`: a list of `RegionCommitEntry` encodings.
/// - 5 `missingEntries`: region (UInt16), from height (UInt64).
/// - 6 `checkpoint`: header, global QC, finalized height, a presence byte and `CheckpointDelivery.encoded()`,
///   then the forwarded byte.
/// - 7 `checkpointRequest`: from height (UInt64).
/// - 8 `hello`: chain (UInt32), identity (kind byte 1 validator + region + index, 2 member + index, 3 client),
///   the 32-byte public key and the 32-byte challenge.
/// - 9 `helloProof`: the 64-byte signature.
///
/// Client message bodies: 1 `submit`: request id (UInt64), UInt32-length-prefixed transaction bytes; 2 `reply`:
/// request id, a kind byte (1 rejected + reason, 2 busy, 3 committed + height, 4 failed + height + reason),
/// reasons being UInt16-length-prefixed UTF-8; 3 `read`: request id, the contract as a short string, a UInt32 key
/// count and the length-prefixed keys; 4 `values`: request id, height (UInt64), a UInt32 count, then per value a
/// presence byte and, if present, the length-prefixed bytes.
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

import GridLedger

/// Who a peer claims to be in the handshake; the claim is only believed once its `HelloProof` verifies against
/// the genesis key of that identity.
public enum NodeIdentity: Hashable, Sendable {
    /// The validator at `index` in the genesis validator list of `region`.
    case validator(region: RegionID, index: UInt16)
    /// The global committee member at `index` in the genesis committee list.
    case member(index: UInt16)
    /// A client; it holds no genesis key, so it proves nothing and is only allowed client messages.
    case client

    private enum Tag: UInt8 {
        case validator = 1
        case member = 2
        case client = 3
    }

    /// A tag byte, then the fields of the case. This is also what a `HelloProof` signs, so it must stay
    /// canonical: one encoding per identity.
    public func write(into writer: inout ByteWriter) {
        switch self {
        case .validator(let region, let index):
            writer.write(Tag.validator.rawValue)
            writer.write(region)
            writer.write(index)
        case .member(let index):
            writer.write(Tag.member.rawValue)
            writer.write(index)
        case .client:
            writer.write(Tag.client.rawValue)
        }
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 5)
        write(into: &writer)
        return writer.bytes
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        let at = reader.offset
        let raw = try reader.readUInt8("\(field).kind")
        switch Tag(rawValue: raw) {
        case .validator:
            self = .validator(
                region: try reader.readUInt16("\(field).region"), index: try reader.readUInt16("\(field).index"))
        case .member:
            self = .member(index: try reader.readUInt16("\(field).index"))
        case .client:
            self = .client
        case nil:
            throw DecodingError(field: "\(field).kind", offset: at, kind: .invalidValue("unknown identity kind \(raw)"))
        }
    }
}

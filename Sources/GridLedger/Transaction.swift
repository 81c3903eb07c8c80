import GridCrypto

/// Identifies one deployment (test network); signatures from one chain never verify on another.
public typealias ChainID = UInt32
/// A grid region, i.e. one shard.
public typealias RegionID = UInt16

/// A signed request to call one contract method. The signature covers every other field.
public struct Transaction: Hashable, Sendable {
    public static let encodingVersion: UInt8 = 1
    /// Contract and method names: 1 to 32 bytes of `a-z 0-9 _ . -`, so they are safe in keys, logs and tables.
    public static let identifierBytesMax = 32

    public var chainID: ChainID
    public var region: RegionID
    public var sender: PublicKey
    public var nonce: UInt64
    public var contract: String
    public var method: String
    public var arguments: [UInt8]
    public var signature: Signature

    /// Builds and signs a transaction.
    public init(
        chainID: ChainID, region: RegionID, signer: KeyPair, nonce: UInt64, contract: String, method: String,
        arguments: [UInt8]
    ) {
        self.chainID = chainID
        self.region = region
        self.sender = signer.publicKey
        self.nonce = nonce
        self.contract = contract
        self.method = method
        self.arguments = arguments
        self.signature = try! Signature(bytes: [UInt8](repeating: 0, count: Signature.byteCount))
        self.signature = signer.sign(signingBytes())
    }

    /// For decoding and tests: a transaction with a given (possibly wrong) signature.
    public init(
        chainID: ChainID, region: RegionID, sender: PublicKey, nonce: UInt64, contract: String, method: String,
        arguments: [UInt8], signature: Signature
    ) {
        self.chainID = chainID
        self.region = region
        self.sender = sender
        self.nonce = nonce
        self.contract = contract
        self.method = method
        self.arguments = arguments
        self.signature = signature
    }

    /// What the sender signs: a domain tag, then every field but the signature.
    public func signingBytes() -> [UInt8] {
        var writer = ByteWriter(capacity: 96 + arguments.count)
        writer.writeFixed(Self.signingDomain)
        writeUnsignedFields(into: &writer)
        return writer.bytes
    }

    private static let signingDomain = Array("GridLedger/tx/v1".utf8)

    private func writeUnsignedFields(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        writer.write(chainID)
        writer.write(region)
        writer.write(sender)
        writer.write(nonce)
        writer.writeShortString(contract)
        writer.writeShortString(method)
        writer.writeBytes(arguments)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 160 + arguments.count)
        writeUnsignedFields(into: &writer)
        writer.write(signature)
        return writer.bytes
    }

    /// Identity of the transaction: BLAKE2b-256 of its full encoding (signature included).
    public var hash: Hash256 { Hash256.blake2b(encoded()) }

    public func verifySignature() -> Bool {
        sender.verify(signature, for: signingBytes())
    }

    /// Smallest possible encoding: empty-but-invalid identifiers are still a length byte each.
    public static let encodedBytesMin = 1 + 4 + 2 + 32 + 8 + 1 + 1 + 4 + 64

    public init(decoding bytes: [UInt8], limits: EncodingLimits = .standard) throws(DecodingError) {
        guard bytes.count <= limits.transactionBytesMax else {
            throw DecodingError(
                field: "transaction", offset: 0,
                kind: .tooLarge(limit: limits.transactionBytesMax, actual: bytes.count))
        }
        var reader = ByteReader(bytes)
        try self.init(from: &reader, field: "transaction", limits: limits)
        try reader.expectEnd("transaction")
    }

    /// Reads what `encoded()` wrote, without the size check of `init(decoding:)` (the caller bounds the input).
    public init(from reader: inout ByteReader, field: String, limits: EncodingLimits) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        chainID = try reader.readUInt32("\(field).chainID")
        region = try reader.readUInt16("\(field).region")
        sender = try reader.readPublicKey("\(field).sender")
        nonce = try reader.readUInt64("\(field).nonce")
        contract = try Self.readIdentifier(&reader, "\(field).contract")
        method = try Self.readIdentifier(&reader, "\(field).method")
        arguments = try reader.readBytes(limit: limits.argumentsBytesMax, "\(field).arguments")
        signature = try reader.readSignature("\(field).signature")
    }

    private static func readIdentifier(_ reader: inout ByteReader, _ field: String) throws(DecodingError) -> String {
        let at = reader.offset
        let name = try reader.readShortString(field)
        guard isValidIdentifier(name) else {
            throw DecodingError(
                field: field, offset: at,
                kind: .invalidValue("identifier must be 1-\(identifierBytesMax) bytes of a-z 0-9 _ . -"))
        }
        return name
    }

    public static func isValidIdentifier(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard (1...identifierBytesMax).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5f || byte == 0x2e
                || byte == 0x2d
        }
    }
}

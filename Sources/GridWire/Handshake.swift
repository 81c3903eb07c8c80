import GridCrypto
import GridLedger

/// A fresh random nonce one side of a handshake sends and the other must sign: a proof made for one connection
/// cannot be replayed on another.
public struct HandshakeChallenge: Hashable, Sendable {
    public static let byteCount = 32
    public let bytes: [UInt8]

    /// Nil unless exactly `byteCount` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A challenge from the system's cryptographic generator, for live connections.
    public static func random() -> HandshakeChallenge {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A challenge from `generator`; only as unpredictable as the generator (seeded ones are for tests).
    public static func random(using generator: inout some RandomNumberGenerator) -> HandshakeChallenge {
        HandshakeChallenge(uncheckedBytes: (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        bytes = try reader.readFixed(Self.byteCount, field)
    }
}

/// The first message on a peer connection, sent by both sides: who the sender claims to be, the key it claims
/// to hold, and the challenge the other side must sign.
public struct Hello: Hashable, Sendable {
    public let chainID: ChainID
    public let identity: NodeIdentity
    /// The sender's Ed25519 key; the receiver must check it is the genesis key of `identity`.
    public let publicKey: PublicKey
    public let challenge: HandshakeChallenge

    public init(chainID: ChainID, identity: NodeIdentity, publicKey: PublicKey, challenge: HandshakeChallenge) {
        self.chainID = chainID
        self.identity = identity
        self.publicKey = publicKey
        self.challenge = challenge
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(chainID)
        identity.write(into: &writer)
        writer.write(publicKey)
        writer.writeFixed(challenge.bytes)
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        chainID = try reader.readUInt32("\(field).chainID")
        identity = try NodeIdentity(from: &reader, field: "\(field).identity")
        publicKey = try reader.readPublicKey("\(field).publicKey")
        challenge = try HandshakeChallenge(from: &reader, field: "\(field).challenge")
    }
}

/// The answer to a peer's `Hello`: the sender's signature over the peer's challenge, binding it to the chain
/// and to the identity the sender claimed, which proves the sender holds the key of that identity.
public struct HelloProof: Hashable, Sendable {
    public let signature: Signature

    public init(signature: Signature) { self.signature = signature }

    private static let signingDomain = Array("GridLedger/hello/v1".utf8)

    /// A domain tag, the chain, the *peer's* challenge, then the prover's identity. The domain tag keeps a proof
    /// from doubling as a signature on anything else (votes, transactions) made with the same key.
    public static func signingBytes(chainID: ChainID, peerChallenge: HandshakeChallenge, identity: NodeIdentity)
        -> [UInt8]
    {
        var writer = ByteWriter(capacity: signingDomain.count + 4 + HandshakeChallenge.byteCount + 5)
        writer.writeFixed(signingDomain)
        writer.write(chainID)
        writer.writeFixed(peerChallenge.bytes)
        identity.write(into: &writer)
        return writer.bytes
    }

    /// Proves to the peer whose `Hello` carried `peerChallenge` that `key` belongs to `identity`.
    public static func make(
        key: KeyPair, chainID: ChainID, peerChallenge: HandshakeChallenge, identity: NodeIdentity
    ) -> HelloProof {
        HelloProof(
            signature: key.sign(signingBytes(chainID: chainID, peerChallenge: peerChallenge, identity: identity)))
    }

    /// Whether this proof answers `challenge` (the one the verifier sent) for `identity` on `chainID`, signed by
    /// `publicKey`. The caller must still check that `publicKey` is the genesis key of `identity`.
    public func verify(
        publicKey: PublicKey, chainID: ChainID, challenge: HandshakeChallenge, identity: NodeIdentity
    ) -> Bool {
        publicKey.verify(
            signature, for: Self.signingBytes(chainID: chainID, peerChallenge: challenge, identity: identity))
    }

    /// Whether this proof answers the challenge the verifier sent, made by the key and identity the peer's
    /// `hello` claimed, on the verifier's chain.
    public func verify(answering hello: Hello, challenge: HandshakeChallenge, chainID: ChainID) -> Bool {
        hello.chainID == chainID
            && verify(publicKey: hello.publicKey, chainID: chainID, challenge: challenge, identity: hello.identity)
    }
}

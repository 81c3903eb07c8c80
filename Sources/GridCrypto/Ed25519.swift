import CSodium

/// An Ed25519 public key (32 bytes).
public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "Ed25519 public key", expectedBytes: Self.byteCount, actualBytes: bytes.count)
        }
        self.bytes = bytes
    }

    /// Checks a detached signature over `message`. Malformed keys and signatures simply fail to verify.
    public func verify(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensureInitialised()
        return signature.bytes.withUnsafeBufferPointer { sig in
            bytes.withUnsafeBufferPointer { key in
                withMessagePointer(message) { messagePointer in
                    crypto_sign_verify_detached(
                        sig.baseAddress!, messagePointer, UInt64(message.count), key.baseAddress!) == 0
                }
            }
        }
    }

    public func verify(_ signature: Signature, for message: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify(signature, for: $0) }
    }

    /// Hashes the bytes in one call; the synthesized conformance would feed the hasher byte by byte.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var hex: String { bytes.hexString }
    /// Short form for logs and tables; the full key is `hex`.
    public var description: String { String(hex.prefix(12)) }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { bytesEqual(lhs.bytes, rhs.bytes) }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
        bytesPrecede(lhs.bytes, rhs.bytes)
    }
}

/// A detached Ed25519 signature (64 bytes).
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 64
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "Ed25519 signature", expectedBytes: Self.byteCount, actualBytes: bytes.count)
        }
        self.bytes = bytes
    }

    init(uncheckedBytes bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Hashes the bytes in one call; the synthesized conformance would feed the hasher byte by byte.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var description: String { String(bytes.hexString.prefix(16)) }
}

/// The 64-byte libsodium secret key (seed followed by public key). Held in memory we own so that it can be wiped
/// with `sodium_memzero` when the last reference goes away; it is never copied into an Array, which could leave
/// stray copies behind.
final class SecretKeyStorage: @unchecked Sendable {
    // Immutable after init, so sharing across threads is safe.
    let pointer: UnsafeMutablePointer<UInt8>
    static let byteCount = Int(crypto_sign_SECRETKEYBYTES)

    init() {
        pointer = .allocate(capacity: Self.byteCount)
        pointer.initialize(repeating: 0, count: Self.byteCount)
    }

    deinit {
        sodium_memzero(pointer, Self.byteCount)
        pointer.deallocate()
    }
}

/// An Ed25519 signing key pair. Its description, debug description and mirror show only the public key.
public struct KeyPair: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)

    public let publicKey: PublicKey
    private let secret: SecretKeyStorage

    /// A fresh key pair from libsodium's CSPRNG.
    public init() {
        Sodium.ensureInitialised()
        let secret = SecretKeyStorage()
        var publicBytes = [UInt8](repeating: 0, count: PublicKey.byteCount)
        let code = publicBytes.withUnsafeMutableBufferPointer { crypto_sign_keypair($0.baseAddress!, secret.pointer) }
        // crypto_sign_keypair has no failure mode once libsodium is initialised.
        precondition(code == 0, "crypto_sign_keypair failed with code \(code)")
        self.secret = secret
        self.publicKey = try! PublicKey(bytes: publicBytes)
    }

    /// The key pair determined by a 32-byte seed (RFC 8032 private key), so topologies are reproducible.
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidLength(what: "Ed25519 seed", expectedBytes: Self.seedByteCount, actualBytes: seed.count)
        }
        Sodium.ensureInitialised()
        let secret = SecretKeyStorage()
        var publicBytes = [UInt8](repeating: 0, count: PublicKey.byteCount)
        let code = publicBytes.withUnsafeMutableBufferPointer { pk in
            seed.withUnsafeBufferPointer { crypto_sign_seed_keypair(pk.baseAddress!, secret.pointer, $0.baseAddress!) }
        }
        try Sodium.check(code, "crypto_sign_seed_keypair")
        self.secret = secret
        self.publicKey = try PublicKey(bytes: publicBytes)
    }

    /// A key pair derived from a run's master seed and a label such as `"validator/r0/3"`: the seed is
    /// BLAKE2b-256(domain || masterSeed || label), so different labels give unrelated keys.
    public static func derived(masterSeed: UInt64, label: String) -> KeyPair {
        // A 32-byte digest is always a valid seed.
        try! KeyPair(seed: derivedSeed(masterSeed: masterSeed, label: label))
    }

    /// The seed behind `derived(masterSeed:label:)`, for writing such a key to a key file.
    public static func derivedSeed(masterSeed: UInt64, label: String) -> [UInt8] {
        var hasher = Blake2bHasher()
        hasher.update(Array("gridledger/key/v1".utf8))
        withUnsafeBytes(of: masterSeed.bigEndian) { hasher.update($0) }
        hasher.update(Array(label.utf8))
        return hasher.finalize().bytes
    }

    /// A detached signature over `message`.
    public func sign(_ message: UnsafeRawBufferPointer) -> Signature {
        var out = [UInt8](repeating: 0, count: Signature.byteCount)
        let code = out.withUnsafeMutableBufferPointer { sig in
            withMessagePointer(message) { messagePointer in
                crypto_sign_detached(sig.baseAddress!, nil, messagePointer, UInt64(message.count), secret.pointer)
            }
        }
        // Signing with a well-formed secret key cannot fail.
        precondition(code == 0, "crypto_sign_detached failed with code \(code)")
        return Signature(uncheckedBytes: out)
    }

    public func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign($0) }
    }

    public var description: String { "KeyPair(public: \(publicKey.hex))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

import CSodium

/// An Ed25519 public key (32 bytes), held inline (`InlineBytes32`).
public struct PublicKey: FixedSizeBytes, Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 32
    public static let valueName = "Ed25519 public key"
    @usableFromInline let storage: InlineBytes32

    public init(exactly buffer: UnsafeRawBufferPointer) {
        storage = InlineBytes32(exactly: buffer)
    }

    init(storage: InlineBytes32) {
        self.storage = storage
    }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// `prefix` followed by the key's bytes, in one array: how contracts build an account's state keys.
    public func appended(to prefix: [UInt8]) -> [UInt8] {
        var key = [UInt8]()
        key.reserveCapacity(prefix.count + Self.byteCount)
        key.append(contentsOf: prefix)
        withUnsafeBytes { key.append(contentsOf: $0) }
        return key
    }

    /// Checks a detached signature over `message`. Malformed keys and signatures simply fail to verify.
    public func verify(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensureInitialised()
        return signature.withUnsafeBytes { sig in
            withUnsafeBytes { key in
                withMessagePointer(message) { messagePointer in
                    crypto_sign_verify_detached(
                        sig.baseAddress!.assumingMemoryBound(to: UInt8.self), messagePointer, UInt64(message.count),
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }

    public func verify(_ signature: Signature, for message: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify(signature, for: $0) }
    }

    /// Two of the four words: a key's encoding (a curve point's coordinate) is spread evenly, so these suffice,
    /// and a dictionary probe feeds SipHash half as much.
    @inlinable
    public func hash(into hasher: inout Hasher) { storage.hash(into: &hasher) }

    /// Short form for logs and tables; the full key is `hex`.
    public var description: String { String(hex.prefix(12)) }

    @inlinable
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.storage == rhs.storage }

    @inlinable
    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool { InlineBytes32.precedes(lhs.storage, rhs.storage) }
}

/// A detached Ed25519 signature (64 bytes), held inline (`InlineBytes64`).
public struct Signature: FixedSizeBytes, Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 64
    public static let valueName = "Ed25519 signature"
    @usableFromInline let storage: InlineBytes64

    public init(exactly buffer: UnsafeRawBufferPointer) {
        storage = InlineBytes64(exactly: buffer)
    }

    init(storage: InlineBytes64) {
        self.storage = storage
    }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    @inlinable
    public func hash(into hasher: inout Hasher) { storage.hash(into: &hasher) }

    @inlinable
    public static func == (lhs: Signature, rhs: Signature) -> Bool { lhs.storage == rhs.storage }

    public var description: String { String(hex.prefix(16)) }
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
        var code: Int32 = 0
        let storage = InlineBytes32 { pk in
            code = crypto_sign_keypair(pk.baseAddress!.assumingMemoryBound(to: UInt8.self), secret.pointer)
        }
        // crypto_sign_keypair has no failure mode once libsodium is initialised.
        precondition(code == 0, "crypto_sign_keypair failed with code \(code)")
        self.secret = secret
        self.publicKey = PublicKey(storage: storage)
    }

    /// The key pair determined by a 32-byte seed (RFC 8032 private key), so topologies are reproducible.
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidLength(what: "Ed25519 seed", expectedBytes: Self.seedByteCount, actualBytes: seed.count)
        }
        Sodium.ensureInitialised()
        let secret = SecretKeyStorage()
        var code: Int32 = 0
        let storage = InlineBytes32 { pk in
            code = seed.withUnsafeBufferPointer {
                crypto_sign_seed_keypair(
                    pk.baseAddress!.assumingMemoryBound(to: UInt8.self), secret.pointer, $0.baseAddress!)
            }
        }
        try Sodium.check(code, "crypto_sign_seed_keypair")
        self.secret = secret
        self.publicKey = PublicKey(storage: storage)
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
        var code: Int32 = 0
        let storage = InlineBytes64 { sig in
            code = withMessagePointer(message) { messagePointer in
                crypto_sign_detached(
                    sig.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, messagePointer, UInt64(message.count),
                    secret.pointer)
            }
        }
        // Signing with a well-formed secret key cannot fail.
        precondition(code == 0, "crypto_sign_detached failed with code \(code)")
        return Signature(storage: storage)
    }

    public func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign($0) }
    }

    public var description: String { "KeyPair(public: \(publicKey.hex))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

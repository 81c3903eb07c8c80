import CSodium

/// A 32-byte BLAKE2b-256 digest. A value of four words (`InlineBytes32`), cheap to copy, compare and hash.
public struct Hash256: FixedSizeBytes, Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 32
    public static let valueName = "hash"

    /// The all-zero hash, used as the parent of a genesis block.
    public static let zero = Hash256(storage: InlineBytes32())

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

    /// BLAKE2b-256 of `data` (unkeyed).
    public static func blake2b(_ data: some Sequence<UInt8>) -> Hash256 {
        let oneCall: Hash256? = data.withContiguousStorageIfAvailable { blake2b(UnsafeRawBufferPointer($0)) }
        if let oneCall { return oneCall }
        var hasher = Blake2bHasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// BLAKE2b-256 of raw memory in one libsodium call: no hashing state to allocate.
    public static func blake2b(_ buffer: UnsafeRawBufferPointer) -> Hash256 {
        Sodium.ensureInitialised()
        return Hash256(
            storage: InlineBytes32 { out in
                // With no key, a 32-byte output and any input length this cannot fail.
                _ = crypto_generichash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), byteCount,
                    buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count), nil, 0)
            })
    }

    /// Two of the four words: the bytes are a hash already, so these are as uniform as all of them, and a
    /// dictionary probe feeds SipHash half as much.
    @inlinable
    public func hash(into hasher: inout Hasher) { storage.hash(into: &hasher) }

    @inlinable
    public static func == (lhs: Hash256, rhs: Hash256) -> Bool { lhs.storage == rhs.storage }

    public var description: String { String(hex.prefix(16)) }

    @inlinable
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool { InlineBytes32.precedes(lhs.storage, rhs.storage) }
}

/// Incremental BLAKE2b-256, so structures can be hashed field by field without building one big buffer.
///
/// libsodium's state struct is 64-byte aligned, which Swift imports as opaque, so it lives in aligned memory
/// that this non-copyable value owns and frees.
public struct Blake2bHasher: ~Copyable {
    private let state: UnsafeMutableRawPointer
    private static let stateAlignment = 64

    public init() {
        Sodium.ensureInitialised()
        state = .allocate(byteCount: crypto_generichash_statebytes(), alignment: Self.stateAlignment)
        // With no key and a valid output length this cannot fail; a failure would mean a broken libsodium.
        let code = crypto_generichash_init(OpaquePointer(state), nil, 0, Hash256.byteCount)
        precondition(code == 0, "crypto_generichash_init failed with code \(code)")
    }

    deinit {
        state.deallocate()
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        _ = crypto_generichash_update(
            OpaquePointer(state), base.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count))
    }

    public mutating func update(_ data: some Sequence<UInt8>) {
        let handled: Void? = data.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            let copy = Array(data)
            copy.withUnsafeBytes { update($0) }
        }
    }

    public mutating func update(_ hash: Hash256) {
        hash.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> Hash256 {
        Hash256(
            storage: InlineBytes32 { out in
                _ = crypto_generichash_final(
                    OpaquePointer(state), out.baseAddress!.assumingMemoryBound(to: UInt8.self), Hash256.byteCount)
            })
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Parses hexadecimal (either case); nil for odd length or a non-hex character.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}

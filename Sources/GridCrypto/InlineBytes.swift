/// A value of a fixed number of bytes held inline (a hash, a public key, a signature): its checked initialiser from
/// an array and its bytes as an array come from here, so each type writes only how it holds them.
public protocol FixedSizeBytes {
    static var byteCount: Int { get }
    /// What the value is, for the error an array of the wrong length gives.
    static var valueName: String { get }
    /// The value in `buffer`, which must hold exactly `byteCount` bytes (decoders check the length first).
    init(exactly buffer: UnsafeRawBufferPointer)
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension FixedSizeBytes {
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: Self.valueName, expectedBytes: Self.byteCount, actualBytes: bytes.count)
        }
        self = bytes.withUnsafeBytes { Self(exactly: $0) }
    }

    /// A copy of the bytes; encoders and hashers use `withUnsafeBytes` instead, which copies nothing.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var hex: String { withUnsafeBytes { $0.hexString } }
}

/// 32 bytes held in the value itself, for hashes and public keys.
///
/// Held as `[UInt8]`, every hash and key was a heap allocation of its own: a transaction carried three (its
/// sender, its signature, its hash in the pool), every BLAKE2b result allocated one, and each copy, comparison and
/// dictionary probe went through a reference count and a pointer. Reference counting and `malloc` were 12 % of a
/// live validator's CPU at overload (perf, `default` at 5,000 tx/s, 2026-12-06). Inline, they are four words.
@usableFromInline
struct InlineBytes32: Sendable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64)

    @inlinable
    init() { words = (0, 0, 0, 0) }

    /// The bytes of `buffer`, which must hold exactly 32.
    @inlinable
    init(exactly buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count == 32, "InlineBytes32 takes exactly 32 bytes")
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: buffer) }
    }

    @inlinable
    init(filledBy fill: (UnsafeMutableRawBufferPointer) -> Void) {
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { fill($0) }
    }

    @inlinable
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    @inlinable
    static func == (lhs: Self, rhs: Self) -> Bool {
        // One pass without early exits: the words are already in registers.
        ((lhs.words.0 ^ rhs.words.0) | (lhs.words.1 ^ rhs.words.1) | (lhs.words.2 ^ rhs.words.2)
            | (lhs.words.3 ^ rhs.words.3)) == 0
    }

    /// Byte-wise lexicographic order: each word read as big-endian compares as its bytes do.
    @inlinable
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        let left = (
            UInt64(bigEndian: lhs.words.0), UInt64(bigEndian: lhs.words.1), UInt64(bigEndian: lhs.words.2),
            UInt64(bigEndian: lhs.words.3)
        )
        let right = (
            UInt64(bigEndian: rhs.words.0), UInt64(bigEndian: rhs.words.1), UInt64(bigEndian: rhs.words.2),
            UInt64(bigEndian: rhs.words.3)
        )
        return left < right
    }

    @inlinable
    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }
}

/// 64 bytes held in the value itself, for signatures (see `InlineBytes32`).
@usableFromInline
struct InlineBytes64: Sendable {
    @usableFromInline var low: InlineBytes32
    @usableFromInline var high: InlineBytes32

    @inlinable
    init(exactly buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count == 64, "InlineBytes64 takes exactly 64 bytes")
        low = InlineBytes32(exactly: UnsafeRawBufferPointer(rebasing: buffer[0..<32]))
        high = InlineBytes32(exactly: UnsafeRawBufferPointer(rebasing: buffer[32..<64]))
    }

    @inlinable
    init(filledBy fill: (UnsafeMutableRawBufferPointer) -> Void) {
        var pair = (InlineBytes32(), InlineBytes32())
        Swift.withUnsafeMutableBytes(of: &pair) { fill($0) }
        low = pair.0
        high = pair.1
    }

    @inlinable
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (low, high), body)
    }

    @inlinable
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.low == rhs.low && lhs.high == rhs.high }

    @inlinable
    func hash(into hasher: inout Hasher) { low.hash(into: &hasher) }
}

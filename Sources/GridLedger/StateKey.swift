import GridCrypto

/// A key in a contract's state table. A wrapper rather than a bare `[UInt8]` so that dictionaries hash it in one
/// call instead of byte by byte (state lookups are on every transaction's path), and so it orders by raw bytes,
/// as LMDB does.
public struct StateKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: StateKey, rhs: StateKey) -> Bool { bytesEqual(lhs.bytes, rhs.bytes) }

    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        bytesPrecede(lhs.bytes, rhs.bytes)
    }
}

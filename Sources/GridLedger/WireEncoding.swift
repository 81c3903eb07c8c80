import GridCrypto

/// Why a byte string could not be decoded, and where. Never carries the bytes themselves.
public struct DecodingError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case truncated(neededBytes: Int, remainingBytes: Int)
        case tooLarge(limit: Int, actual: Int)
        case invalidValue(String)
        case unsupportedVersion(UInt8)
        case trailingBytes(count: Int)
    }

    /// Dotted path of the field being read, e.g. `block.transactions[3].nonce`.
    public let field: String
    /// Byte offset into the input where the problem was found.
    public let offset: Int
    public let kind: Kind

    public init(field: String, offset: Int, kind: Kind) {
        self.field = field
        self.offset = offset
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case .truncated(let needed, let remaining):
            what = "truncated: needs \(needed) bytes, \(remaining) left"
        case .tooLarge(let limit, let actual):
            what = "too large: \(actual) exceeds the limit of \(limit)"
        case .invalidValue(let reason):
            what = "invalid value: \(reason)"
        case .unsupportedVersion(let version):
            what = "unsupported encoding version \(version)"
        case .trailingBytes(let count):
            what = "\(count) unexpected trailing bytes"
        }
        return "cannot decode \(field) at byte \(offset): \(what)"
    }
}

/// Explicit bounds on everything a decoder accepts, so hostile input can neither crash us nor make us allocate
/// memory sized by a length field it controls.
public struct EncodingLimits: Sendable, Equatable {
    public var transactionBytesMax: Int
    public var argumentsBytesMax: Int
    public var blockBytesMax: Int
    public var blockTransactionsMax: Int
    public var certificateVotesMax: Int

    public init(
        transactionBytesMax: Int = 4096, argumentsBytesMax: Int = 2048, blockBytesMax: Int = 16 << 20,
        blockTransactionsMax: Int = 100_000, certificateVotesMax: Int = 1024
    ) {
        self.transactionBytesMax = transactionBytesMax
        self.argumentsBytesMax = argumentsBytesMax
        self.blockBytesMax = blockBytesMax
        self.blockTransactionsMax = blockTransactionsMax
        self.certificateVotesMax = certificateVotesMax
    }

    public static let standard = EncodingLimits()
}

/// Appends fixed-width big-endian integers and length-prefixed byte strings. Fixed widths keep the encoding
/// canonical: every value has exactly one encoding.
public struct ByteWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: UInt16) { append(bigEndian: value) }
    public mutating func write(_ value: UInt32) { append(bigEndian: value) }
    public mutating func write(_ value: UInt64) { append(bigEndian: value) }
    public mutating func write(_ value: Int64) { append(bigEndian: UInt64(bitPattern: value)) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    private mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Raw bytes whose length the reader knows.
    public mutating func writeFixed(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    // Hashes, keys and signatures go in as their fixed bytes, copied straight from the value.
    public mutating func write(_ hash: Hash256) { hash.withUnsafeBytes { bytes.append(contentsOf: $0) } }
    public mutating func write(_ key: PublicKey) { key.withUnsafeBytes { bytes.append(contentsOf: $0) } }
    public mutating func write(_ signature: Signature) { signature.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    /// A byte string prefixed with its length as UInt32.
    public mutating func writeBytes(_ raw: [UInt8]) {
        write(UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// A short string (at most 255 UTF-8 bytes) prefixed with its length as one byte.
    public mutating func writeShortString(_ string: String) {
        let utf8 = Array(string.utf8)
        precondition(utf8.count <= 255, "short strings are validated to 255 bytes before encoding")
        write(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what `ByteWriter` wrote. Every read is bounds-checked and names its field in the error.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    /// A reader over `range` of `bytes` that shares the array rather than copying it; offsets stay those of the
    /// whole array, so errors point into the original input.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range must lie inside the bytes")
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    public var remainingBytes: Int { end - offset }

    private mutating func take(_ count: Int, _ field: @autoclosure () -> String) throws(DecodingError) -> Int {
        guard count >= 0, count <= remainingBytes else {
            throw DecodingError(
                field: field(), offset: offset, kind: .truncated(neededBytes: count, remainingBytes: remainingBytes))
        }
        let start = offset
        offset += count
        return start
    }

    private mutating func readInteger<T: FixedWidthInteger>(
        _: T.Type, _ field: @autoclosure () -> String
    ) throws(DecodingError) -> T {
        let start = try take(MemoryLayout<T>.size, field())
        var value: T = 0
        for index in start..<(start + MemoryLayout<T>.size) { value = value << 8 | T(bytes[index]) }
        return value
    }

    public mutating func readUInt8(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt8 {
        try readInteger(UInt8.self, field())
    }
    public mutating func readUInt16(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt16 {
        try readInteger(UInt16.self, field())
    }
    public mutating func readUInt32(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt32 {
        try readInteger(UInt32.self, field())
    }
    public mutating func readUInt64(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt64 {
        try readInteger(UInt64.self, field())
    }
    public mutating func readInt64(_ field: @autoclosure () -> String) throws(DecodingError) -> Int64 {
        Int64(bitPattern: try readInteger(UInt64.self, field()))
    }
    public mutating func readBool(_ field: @autoclosure () -> String) throws(DecodingError) -> Bool {
        let at = offset
        switch try readUInt8(field()) {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError(field: field(), offset: at, kind: .invalidValue("boolean byte \(other)"))
        }
    }

    public mutating func readFixed(_ count: Int, _ field: @autoclosure () -> String) throws(DecodingError) -> [UInt8] {
        let start = try take(count, field())
        return Array(bytes[start..<(start + count)])
    }

    /// A UInt32-length-prefixed byte string; the length is checked against `limit` and the remaining input before
    /// anything is allocated.
    public mutating func readBytes(limit: Int, _ field: @autoclosure () -> String) throws(DecodingError) -> [UInt8] {
        let at = offset
        let length = Int(try readUInt32(field()))
        guard length <= limit else {
            throw DecodingError(field: field(), offset: at, kind: .tooLarge(limit: limit, actual: length))
        }
        return try readFixed(length, field())
    }

    /// A UInt32-length-prefixed region as a reader of its own (sharing the bytes, so nested decoding copies
    /// nothing); this reader moves past it. The length is checked against `limit` and the remaining input.
    public mutating func readLengthPrefixed(limit: Int, _ field: @autoclosure () -> String) throws(DecodingError)
        -> ByteReader
    {
        let at = offset
        let length = Int(try readUInt32(field()))
        guard length <= limit else {
            throw DecodingError(field: field(), offset: at, kind: .tooLarge(limit: limit, actual: length))
        }
        let start = try take(length, field())
        return ByteReader(bytes, range: start..<(start + length))
    }

    public mutating func readShortString(_ field: @autoclosure () -> String) throws(DecodingError) -> String {
        let length = Int(try readUInt8(field()))
        let at = offset
        let start = try take(length, field())
        guard let string = String(validating: bytes[start..<(start + length)], as: UTF8.self) else {
            throw DecodingError(field: field(), offset: at, kind: .invalidValue("not UTF-8"))
        }
        return string
    }

    /// `count` bytes as raw memory, for values that copy them out of the input themselves.
    private mutating func readInPlace<T>(
        _ count: Int, _ field: @autoclosure () -> String, _ make: (UnsafeRawBufferPointer) -> T
    ) throws(DecodingError) -> T {
        let start = try take(count, field())
        return bytes.withUnsafeBytes { make(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    // The reads below take exactly the length each value needs.
    public mutating func readHash(_ field: @autoclosure () -> String) throws(DecodingError) -> Hash256 {
        try readInPlace(Hash256.byteCount, field(), Hash256.init(exactly:))
    }
    public mutating func readPublicKey(_ field: @autoclosure () -> String) throws(DecodingError) -> PublicKey {
        try readInPlace(PublicKey.byteCount, field(), PublicKey.init(exactly:))
    }
    public mutating func readSignature(_ field: @autoclosure () -> String) throws(DecodingError) -> Signature {
        try readInPlace(Signature.byteCount, field(), Signature.init(exactly:))
    }

    /// A version byte that must equal `expected`.
    public mutating func expectVersion(_ expected: UInt8, _ field: @autoclosure () -> String) throws(DecodingError) {
        let at = offset
        let version = try readUInt8(field())
        guard version == expected else {
            throw DecodingError(field: field(), offset: at, kind: .unsupportedVersion(version))
        }
    }

    /// A top-level decode must consume its input exactly; anything left over means the input is not canonical.
    public func expectEnd(_ field: String) throws(DecodingError) {
        guard remainingBytes == 0 else {
            throw DecodingError(field: field, offset: offset, kind: .trailingBytes(count: remainingBytes))
        }
    }

    /// Checks an element count against a limit and against what the remaining input could possibly hold, so a
    /// lying count is rejected before any allocation.
    public func checkCount(
        _ count: Int, limit: Int, minimumElementBytes: Int, field: String, at: Int
    ) throws(DecodingError) {
        guard count <= limit else {
            throw DecodingError(field: field, offset: at, kind: .tooLarge(limit: limit, actual: count))
        }
        guard count * minimumElementBytes <= remainingBytes else {
            throw DecodingError(
                field: field, offset: at,
                kind: .truncated(neededBytes: count * minimumElementBytes, remainingBytes: remainingBytes))
        }
    }
}

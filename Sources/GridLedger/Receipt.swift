import GridCrypto

/// The outcome of executing one transaction, committed to by the block's receipts root.
public struct Receipt: Hashable, Sendable {
    public static let encodingVersion: UInt8 = 1
    public static let reasonBytesMax = 200
    public static let outputBytesMax = 4096

    public enum Status: UInt8, Sendable {
        case success = 0
        case failure = 1
    }

    public var transactionHash: Hash256
    public var status: Status
    /// Why a failed transaction failed, for people; empty on success.
    public var reason: String
    /// Contract output (for example set-points), in the contract's own encoding.
    public var output: [UInt8]

    public init(transactionHash: Hash256, status: Status, reason: String = "", output: [UInt8] = []) {
        self.transactionHash = transactionHash
        self.status = status
        self.reason = Self.truncated(reason)
        self.output = output
    }

    /// The longest prefix of whole Unicode scalars within `reasonBytesMax` UTF-8 bytes. Cutting the bytes instead
    /// could split a character, whose replacement (U+FFFD, 3 bytes) made the reason longer than the limit.
    static func truncated(_ reason: String) -> String {
        guard reason.utf8.count > reasonBytesMax else { return reason }
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in reason.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= reasonBytesMax else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        writer.write(transactionHash)
        writer.write(status.rawValue)
        writer.writeShortString(reason)
        writer.writeBytes(output)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 48 + reason.utf8.count + output.count)
        write(into: &writer)
        return writer.bytes
    }

    public var hash: Hash256 { Hash256.blake2b(encoded()) }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        transactionHash = try reader.readHash("\(field).transactionHash")
        let statusOffset = reader.offset
        let rawStatus = try reader.readUInt8("\(field).status")
        guard let status = Status(rawValue: rawStatus) else {
            throw DecodingError(
                field: "\(field).status", offset: statusOffset, kind: .invalidValue("status \(rawStatus)"))
        }
        self.status = status
        let reasonOffset = reader.offset
        reason = try reader.readShortString("\(field).reason")
        // Receipts are made with at most `reasonBytesMax` bytes of reason; a longer one is not a canonical receipt
        // (found while writing the receipts fuzz target's invariants).
        guard reason.utf8.count <= Self.reasonBytesMax else {
            throw DecodingError(
                field: "\(field).reason", offset: reasonOffset,
                kind: .tooLarge(limit: Self.reasonBytesMax, actual: reason.utf8.count))
        }
        output = try reader.readBytes(limit: Self.outputBytesMax, "\(field).output")
    }

    public static func receiptsRoot(of receipts: [Receipt]) -> Hash256 {
        Merkle.root(of: receipts.map(\.hash))
    }

    public static func encodeList(_ receipts: [Receipt]) -> [UInt8] {
        var writer = ByteWriter(capacity: receipts.count * 64 + 4)
        writer.write(UInt32(receipts.count))
        for receipt in receipts { receipt.write(into: &writer) }
        return writer.bytes
    }

    public static func decodeList(_ bytes: [UInt8], limits: EncodingLimits = .standard) throws(DecodingError)
        -> [Receipt]
    {
        var reader = ByteReader(bytes)
        let count = Int(try reader.readUInt32("receipts.count"))
        try reader.checkCount(
            count, limit: limits.blockTransactionsMax, minimumElementBytes: 1 + 32 + 1 + 1 + 4, field: "receipts.count",
            at: 0)
        var receipts: [Receipt] = []
        receipts.reserveCapacity(count)
        for index in 0..<count { receipts.append(try Receipt(from: &reader, field: "receipts[\(index)]")) }
        try reader.expectEnd("receipts")
        return receipts
    }
}

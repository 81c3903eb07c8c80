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
        self.reason = String(decoding: Array(reason.utf8.prefix(Self.reasonBytesMax)), as: UTF8.self)
        self.output = output
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        writer.writeFixed(transactionHash.bytes)
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
        reason = try reader.readShortString("\(field).reason")
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

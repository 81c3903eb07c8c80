import GridConsensus
import GridGlobal
import GridLedger

extension CheckpointNotice {
    /// Header, global QC, finalized height, then a presence byte and the delivery (its own canonical encoding,
    /// version byte included) if any.
    public func write(into writer: inout ByteWriter) {
        header.write(into: &writer)
        certificate.write(into: &writer)
        writer.write(finalizedHeight)
        writer.write(delivery != nil)
        if let delivery { writer.writeFixed(delivery.encoded()) }
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let header = try BlockHeader(from: &reader, field: "\(field).header")
        let certificate = try QuorumCertificate(from: &reader, field: "\(field).certificate", limits: limits.encoding)
        let finalizedHeight = try reader.readUInt64("\(field).finalizedHeight")
        let delivery: CheckpointDelivery? =
            try reader.readBool("\(field).hasDelivery")
            ? try CheckpointDelivery(from: &reader, field: "\(field).delivery", limits: limits.checkpoint) : nil
        self.init(header: header, certificate: certificate, finalizedHeight: finalizedHeight, delivery: delivery)
    }

    /// Size of what `write(into:)` appends, computed without encoding.
    var wireBytes: Int {
        BlockHeader.encodedBytes + WireSize.certificateMin + certificate.votes.count * WireSize.certificateVote + 8
            + 1 + (delivery?.wireBytes ?? 0)
    }
}

import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// One cross-region message with its inclusion proof under the checkpoint's `outboxRoot`.
public struct ProvenMessage: Hashable, Sendable {
    public let message: CrossRegionMessage
    public let proof: [Merkle.ProofStep]

    public init(message: CrossRegionMessage, proof: [Merkle.ProofStep]) {
        self.message = message
        self.proof = proof
    }

    /// Size inside a part's encoding: the message body, a step count and 33 bytes per step.
    public var wireBytes: Int { message.bodyBytes + 1 + proof.count * (1 + Hash256.byteCount) }
}

/// A bounded slice of one checkpoint's delivery to a region, for when the whole delivery (which carries every
/// message leaf of the checkpoint) does not fit in a relay transaction's 2 KiB argument bound: the checkpoint
/// header and its global QC, the part's place among the delivery's parts, and consecutive messages of the
/// destination's stream, each with its Merkle proof under the header's `outboxRoot`.
///
/// A part is checked on its own (QC against the committee, every proof against the root) and applied by the same
/// sequence rules as a whole delivery (`InboundDelivery`): only a part holding the next expected destination
/// sequence is taken, so parts apply in order, each message exactly once, and a part relayed twice is a replay.
/// The part index and count are for people and reports; order and exactly-once rest on the sequences the QC
/// vouches for.
public struct DeliveryPart: Hashable, Sendable {
    public let destination: RegionID
    public let header: BlockHeader
    public let certificate: QuorumCertificate
    public let partIndex: UInt32
    public let partCount: UInt32
    public let messages: [ProvenMessage]

    public init(
        destination: RegionID, header: BlockHeader, certificate: QuorumCertificate, partIndex: UInt32,
        partCount: UInt32, messages: [ProvenMessage]
    ) {
        self.destination = destination
        self.header = header
        self.certificate = certificate
        self.partIndex = partIndex
        self.partCount = partCount
        self.messages = messages
    }

    public var checkpointHeight: UInt64 { header.height }

    /// Most proof steps one message may carry: a tree of `CheckpointDelivery.messagesMax` leaves is at most this
    /// deep for any limits a deployment can set (2^32 leaves).
    public static let proofStepsMax = 32
}

extension CheckpointDelivery {
    /// Splits the delivery into parts whose `deliver_part` relay transaction fits `argumentsBytesMax` (the mempool's
    /// argument bound) and `transactionBytesMax`, in stream order. Nil when one message with its proof cannot fit a
    /// part on its own, or a message is not among the leaves: then no split helps, and the caller counts the loss.
    public func parts(
        argumentsBytesMax: Int = EncodingLimits.standard.argumentsBytesMax, transactionBytesMax: Int
    ) -> [DeliveryPart]? {
        let budget = min(argumentsBytesMax, transactionBytesMax - InboundContract.partRelayOverheadBytes)
        let overhead = DeliveryPart.overheadBytes(certificate: certificate)
        guard !messages.isEmpty, budget > overhead else { return nil }
        var leafIndex: [Hash256: Int] = [:]
        for (index, leaf) in messageLeaves.enumerated() { leafIndex[leaf] = index }
        var indices: [Int] = []
        for message in messages {
            guard let index = leafIndex[message.hash] else { return nil }
            indices.append(index)
        }
        guard let proofs = Merkle.proofs(of: indices, in: messageLeaves) else { return nil }
        var groups: [[ProvenMessage]] = []
        var current: [ProvenMessage] = []
        var currentBytes = overhead
        for (message, proof) in zip(messages, proofs) {
            let proven = ProvenMessage(message: message, proof: proof)
            guard overhead + proven.wireBytes <= budget else { return nil }
            if currentBytes + proven.wireBytes > budget {
                groups.append(current)
                current = []
                currentBytes = overhead
            }
            current.append(proven)
            currentBytes += proven.wireBytes
        }
        groups.append(current)
        return groups.enumerated().map { index, group in
            DeliveryPart(
                destination: destination, header: header, certificate: certificate, partIndex: UInt32(index),
                partCount: UInt32(groups.count), messages: group)
        }
    }
}

// MARK: - Encoding

extension DeliveryPart {
    public static let encodingVersion: UInt8 = 1

    /// Bytes of a part with no messages: version, destination, header, QC, part index and count, message count.
    static func overheadBytes(certificate: QuorumCertificate) -> Int {
        let certificateBytes = 1 + 4 + 2 + 8 + 8 + 32 + 2 + certificate.votes.count * (2 + Signature.byteCount)
        return 1 + 2 + BlockHeader.encodedBytes + certificateBytes + 4 + 4 + 4
    }

    /// Where the first message starts in `encoded()`.
    public var messagesOffset: Int { Self.overheadBytes(certificate: certificate) }

    /// Size of `encoded()`, computed without encoding.
    public var wireBytes: Int { messages.reduce(Self.overheadBytes(certificate: certificate)) { $0 + $1.wireBytes } }

    /// Version, destination, header, global QC, `UInt32` part index and count, `UInt32` message count, then each
    /// message body (`CrossRegionMessage.write(into:)`), a `UInt8` step count and the steps (side byte, sibling).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: wireBytes)
        writer.write(Self.encodingVersion)
        writer.write(destination)
        header.write(into: &writer)
        certificate.write(into: &writer)
        writer.write(partIndex)
        writer.write(partCount)
        writer.write(UInt32(messages.count))
        for proven in messages {
            proven.message.write(into: &writer)
            writer.write(UInt8(proven.proof.count))
            for step in proven.proof {
                writer.write(UInt8(step.siblingIsLeft ? 1 : 0))
                writer.write(step.sibling)
            }
        }
        return writer.bytes
    }

    /// Decodes a part: counts checked against `CheckpointDelivery.messagesMax(limits)`, `proofStepsMax` and the
    /// bytes left before anything is allocated; side bytes must be 0 or 1; nothing may follow. Says nothing about
    /// validity: that is `InboundDelivery`'s job.
    public init(decoding bytes: [UInt8], limits: CheckpointLimits = CheckpointLimits()) throws(DecodingError) {
        let field = "part"
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        let destination = try reader.readUInt16("\(field).destination")
        let header = try BlockHeader(from: &reader, field: "\(field).header")
        let certificate = try QuorumCertificate(
            from: &reader, field: "\(field).certificate", limits: EncodingLimits.standard)
        let partIndex = try reader.readUInt32("\(field).partIndex")
        let partCount = try reader.readUInt32("\(field).partCount")
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).messages.count"))
        try reader.checkCount(
            count, limit: CheckpointDelivery.messagesMax(limits),
            minimumElementBytes: CrossRegionMessage.encodedBytesMin - 1 + 1, field: "\(field).messages.count",
            at: countOffset)
        var messages: [ProvenMessage] = []
        messages.reserveCapacity(count)
        for index in 0..<count {
            let path = "\(field).messages[\(index)]"
            let message = try CrossRegionMessage(from: &reader, field: path, limits: limits)
            let stepsOffset = reader.offset
            let steps = Int(try reader.readUInt8("\(path).proof.count"))
            try reader.checkCount(
                steps, limit: Self.proofStepsMax, minimumElementBytes: 1 + Hash256.byteCount,
                field: "\(path).proof.count", at: stepsOffset)
            var proof: [Merkle.ProofStep] = []
            proof.reserveCapacity(steps)
            for step in 0..<steps {
                let sideOffset = reader.offset
                let side = try reader.readUInt8("\(path).proof[\(step)].side")
                guard side <= 1 else {
                    throw DecodingError(
                        field: "\(path).proof[\(step)].side", offset: sideOffset, kind: .invalidValue("side \(side)"))
                }
                let sibling = try reader.readHash("\(path).proof[\(step)].sibling")
                proof.append(Merkle.ProofStep(sibling: sibling, siblingIsLeft: side == 1))
            }
            messages.append(ProvenMessage(message: message, proof: proof))
        }
        try reader.expectEnd(field)
        self.init(
            destination: destination, header: header, certificate: certificate, partIndex: partIndex,
            partCount: partCount, messages: messages)
    }
}

import GridConsensus
import GridCrypto
import GridLedger

// Encodings of the consensus messages the ledger has none for. Same rules as the ledger's: fixed-width
// big-endian integers, counts checked against a limit and the bytes left before allocating, and derived fields
// (block hashes) recomputed from what they derive from, never read from the sender.

/// A consensus payload the wire can carry. Its encoding must delimit itself, since a block's certificate follows.
public protocol WirePayload: ConsensusPayload {
    /// Bytes of the smallest valid encoding, which bounds how many blocks a given input can claim to hold.
    static var wireBytesMin: Int { get }
    func write(into writer: inout ByteWriter)
    init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError)
}

/// Sizes of the smallest encodings, for `ByteReader.checkCount`.
enum WireSize {
    /// Version, chain, region, height, view, block hash and an empty vote count.
    static let certificateMin = 1 + 4 + 2 + 8 + 8 + Hash256.byteCount + 2
    static let certificateVote = 2 + Signature.byteCount
    static let timeoutVote = 8 + 8 + 2 + Signature.byteCount
    /// Version, header, certificate and an empty outbox.
    static let commitEntryMin = 1 + BlockHeader.encodedBytes + certificateMin + 4
    static func proposedBlockMin<Payload: WirePayload>(_: Payload.Type) -> Int {
        BlockHeader.encodedBytes + Payload.wireBytesMin + certificateMin
    }
}

extension ProposedBlock where Payload: WirePayload {
    /// Header, payload, then the justify certificate; the hash is not sent, as the receiver derives it.
    public func write(into writer: inout ByteWriter) {
        header.write(into: &writer)
        payload.write(into: &writer)
        justify.write(into: &writer)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let header = try BlockHeader(from: &reader, field: "\(field).header")
        let payload = try Payload(from: &reader, field: "\(field).payload", limits: limits)
        let justify = try QuorumCertificate(from: &reader, field: "\(field).justify", limits: limits.encoding)
        self.init(header: header, payload: payload, justify: justify)
    }
}

extension Proposal where Payload: WirePayload {
    /// The block, a presence byte and the timeout certificate if any, then the leader's signature.
    public func write(into writer: inout ByteWriter) {
        block.write(into: &writer)
        writer.write(timeoutCertificate != nil)
        timeoutCertificate?.write(into: &writer)
        writer.write(signature)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let block = try ProposedBlock<Payload>(from: &reader, field: "\(field).block", limits: limits)
        let timeoutCertificate: TimeoutCertificate? =
            try reader.readBool("\(field).hasTimeoutCertificate")
            ? try TimeoutCertificate(from: &reader, field: "\(field).timeoutCertificate", limits: limits) : nil
        let signature = try reader.readSignature("\(field).signature")
        self.init(block: block, timeoutCertificate: timeoutCertificate, signature: signature)
    }
}

extension VoteData {
    /// The fields `signingBytes()` covers, without its domain tag.
    public func write(into writer: inout ByteWriter) {
        writer.write(chainID)
        writer.write(region)
        writer.write(height)
        writer.write(view)
        writer.write(blockHash)
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        self.init(
            chainID: try reader.readUInt32("\(field).chainID"),
            region: try reader.readUInt16("\(field).region"),
            height: try reader.readUInt64("\(field).height"),
            view: try reader.readUInt64("\(field).view"),
            blockHash: try reader.readHash("\(field).blockHash"))
    }
}

extension Vote {
    public func write(into writer: inout ByteWriter) {
        data.write(into: &writer)
        writer.write(voter)
        writer.write(signature)
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        self.init(
            data: try VoteData(from: &reader, field: "\(field).data"),
            voter: try reader.readUInt16("\(field).voter"),
            signature: try reader.readSignature("\(field).signature"))
    }
}

extension TimeoutVote {
    public func write(into writer: inout ByteWriter) {
        writer.write(round)
        writer.write(highQCRound)
        writer.write(voter)
        writer.write(signature)
    }

    public init(from reader: inout ByteReader, field: String) throws(DecodingError) {
        self.init(
            round: try reader.readUInt64("\(field).round"),
            highQCRound: try reader.readUInt64("\(field).highQCRound"),
            voter: try reader.readUInt16("\(field).voter"),
            signature: try reader.readSignature("\(field).signature"))
    }
}

extension TimeoutMessage {
    /// The vote, the sender's highest QC, then a presence byte and the timeout certificate that took the sender into
    /// the round, if any.
    public func write(into writer: inout ByteWriter) {
        vote.write(into: &writer)
        highQC.write(into: &writer)
        writer.write(lastTimeoutCertificate != nil)
        lastTimeoutCertificate?.write(into: &writer)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let vote = try TimeoutVote(from: &reader, field: "\(field).vote")
        let highQC = try QuorumCertificate(from: &reader, field: "\(field).highQC", limits: limits.encoding)
        let lastTimeoutCertificate: TimeoutCertificate? =
            try reader.readBool("\(field).hasLastTimeoutCertificate")
            ? try TimeoutCertificate(from: &reader, field: "\(field).lastTimeoutCertificate", limits: limits) : nil
        self.init(vote: vote, highQC: highQC, lastTimeoutCertificate: lastTimeoutCertificate)
    }
}

extension TimeoutCertificate {
    /// Round, a UInt16 vote count and the votes, then the highest QC.
    public func write(into writer: inout ByteWriter) {
        writer.write(round)
        writer.write(UInt16(votes.count))
        for vote in votes { vote.write(into: &writer) }
        highQC.write(into: &writer)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let round = try reader.readUInt64("\(field).round")
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16("\(field).votes.count"))
        try reader.checkCount(
            count, limit: limits.certificateVotesMax, minimumElementBytes: WireSize.timeoutVote,
            field: "\(field).votes.count", at: countOffset)
        var votes: [TimeoutVote] = []
        votes.reserveCapacity(count)
        for index in 0..<count { votes.append(try TimeoutVote(from: &reader, field: "\(field).votes[\(index)]")) }
        let highQC = try QuorumCertificate(from: &reader, field: "\(field).highQC", limits: limits.encoding)
        self.init(round: round, votes: votes, highQC: highQC)
    }
}

extension SyncResponse where Payload: WirePayload {
    /// A UInt32 block count and the blocks, oldest first, then the sender's highest QC.
    public func write(into writer: inout ByteWriter) {
        writer.write(UInt32(blocks.count))
        for block in blocks { block.write(into: &writer) }
        highQC.write(into: &writer)
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("\(field).blocks.count"))
        try reader.checkCount(
            count, limit: limits.syncBlocksPerResponseMax,
            minimumElementBytes: WireSize.proposedBlockMin(Payload.self), field: "\(field).blocks.count",
            at: countOffset)
        var blocks: [ProposedBlock<Payload>] = []
        blocks.reserveCapacity(count)
        for index in 0..<count {
            blocks.append(try ProposedBlock(from: &reader, field: "\(field).blocks[\(index)]", limits: limits))
        }
        let highQC = try QuorumCertificate(from: &reader, field: "\(field).highQC", limits: limits.encoding)
        self.init(blocks: blocks, highQC: highQC)
    }
}

/// The byte naming a consensus message's case. Numbers are never reused: a retired case keeps its number.
private enum ConsensusTag: UInt8 {
    case proposal = 1
    case vote = 2
    case timeout = 3
    case syncRequest = 4
    case syncResponse = 5
}

extension ConsensusMessage where Payload: WirePayload {

    /// A tag byte naming the case, then its fields.
    public func write(into writer: inout ByteWriter) {
        switch self {
        case .proposal(let proposal):
            writer.write(ConsensusTag.proposal.rawValue)
            proposal.write(into: &writer)
        case .vote(let vote):
            writer.write(ConsensusTag.vote.rawValue)
            vote.write(into: &writer)
        case .timeout(let message):
            writer.write(ConsensusTag.timeout.rawValue)
            message.write(into: &writer)
        case .syncRequest(let fromHeight):
            writer.write(ConsensusTag.syncRequest.rawValue)
            writer.write(fromHeight)
        case .syncResponse(let response):
            writer.write(ConsensusTag.syncResponse.rawValue)
            response.write(into: &writer)
        }
    }

    public init(from reader: inout ByteReader, field: String, limits: WireLimits) throws(DecodingError) {
        let at = reader.offset
        let raw = try reader.readUInt8("\(field).kind")
        switch ConsensusTag(rawValue: raw) {
        case .proposal: self = .proposal(try Proposal(from: &reader, field: "\(field).proposal", limits: limits))
        case .vote: self = .vote(try Vote(from: &reader, field: "\(field).vote"))
        case .timeout: self = .timeout(try TimeoutMessage(from: &reader, field: "\(field).timeout", limits: limits))
        case .syncRequest: self = .syncRequest(fromHeight: try reader.readUInt64("\(field).syncRequest.fromHeight"))
        case .syncResponse:
            self = .syncResponse(try SyncResponse(from: &reader, field: "\(field).syncResponse", limits: limits))
        case nil:
            throw DecodingError(
                field: "\(field).kind", offset: at, kind: .invalidValue("unknown consensus message kind \(raw)"))
        }
    }
}

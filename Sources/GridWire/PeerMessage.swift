import GridConsensus
import GridGlobal
import GridLedger
import GridRegion

/// Everything nodes send each other: region and global consensus, gossip, the region–committee traffic, and
/// the handshake that opens a connection.
public enum PeerMessage: Hashable, Sendable {
    case regionConsensus(ConsensusMessage<RegionPayload>)
    /// Transactions a gateway admitted, for the other validators of its region.
    case gossip([PooledTransaction])
    case globalConsensus(ConsensusMessage<CheckpointPayload>)
    /// Region validator to committee member: committed headers with their QCs and outboxes.
    case entries([RegionCommitEntry])
    /// Committee member to region validator: send me your committed blocks from this height.
    case missingEntries(region: RegionID, fromHeight: UInt64)
    /// Committee member to region validator, or validator to a peer validator (`forwarded`).
    case checkpoint(CheckpointNotice, forwarded: Bool)
    /// Region validator to committee member: I missed the checkpoints from this height.
    case checkpointRequest(fromHeight: UInt64)
    case hello(Hello)
    case helloProof(HelloProof)

    /// For logs and metrics.
    public var kind: String {
        switch self {
        case .regionConsensus(let message): return "region." + message.kind
        case .gossip: return "gossip"
        case .globalConsensus(let message): return "global." + message.kind
        case .entries: return "entries"
        case .missingEntries: return "missingEntries"
        case .checkpoint: return "checkpoint"
        case .checkpointRequest: return "checkpointRequest"
        case .hello: return "hello"
        case .helloProof: return "helloProof"
        }
    }
}

/// The byte after the version that names a peer message's case. Numbers are never reused: a retired case keeps
/// its number, so an old frame cannot be read as a new kind of message.
enum PeerMessageTag: UInt8 {
    case regionConsensus = 1
    case gossip = 2
    case globalConsensus = 3
    case entries = 4
    case missingEntries = 5
    case checkpoint = 6
    case checkpointRequest = 7
    case hello = 8
    case helloProof = 9
}

extension PeerMessage {
    var tag: PeerMessageTag {
        switch self {
        case .regionConsensus: return .regionConsensus
        case .gossip: return .gossip
        case .globalConsensus: return .globalConsensus
        case .entries: return .entries
        case .missingEntries: return .missingEntries
        case .checkpoint: return .checkpoint
        case .checkpointRequest: return .checkpointRequest
        case .hello: return .hello
        case .helloProof: return .helloProof
        }
    }

    /// The body after the tag.
    func writeBody(into writer: inout ByteWriter) {
        switch self {
        case .regionConsensus(let message): message.write(into: &writer)
        case .gossip(let batch): TransactionList.write(batch, into: &writer)
        case .globalConsensus(let message): message.write(into: &writer)
        case .entries(let entries): CommitEntryList.write(entries, into: &writer)
        case .missingEntries(let region, let fromHeight):
            writer.write(region)
            writer.write(fromHeight)
        case .checkpoint(let notice, let forwarded):
            notice.write(into: &writer)
            writer.write(forwarded)
        case .checkpointRequest(let fromHeight): writer.write(fromHeight)
        case .hello(let hello): hello.write(into: &writer)
        case .helloProof(let proof): writer.write(proof.signature)
        }
    }

    init(tag: PeerMessageTag, from reader: inout ByteReader, limits: WireLimits) throws(DecodingError) {
        switch tag {
        case .regionConsensus:
            self = .regionConsensus(try ConsensusMessage(from: &reader, field: "regionConsensus", limits: limits))
        case .gossip:
            self = .gossip(
                try TransactionList.read(
                    from: &reader, field: "gossip", countMax: limits.gossipBatchTransactionsMax,
                    limits: limits.encoding))
        case .globalConsensus:
            self = .globalConsensus(try ConsensusMessage(from: &reader, field: "globalConsensus", limits: limits))
        case .entries:
            self = .entries(
                try CommitEntryList.read(
                    from: &reader, field: "entries", countMax: limits.entriesPerMessageMax,
                    bytesMax: limits.frameBytesMax, limits: limits.checkpoint))
        case .missingEntries:
            self = .missingEntries(
                region: try reader.readUInt16("missingEntries.region"),
                fromHeight: try reader.readUInt64("missingEntries.fromHeight"))
        case .checkpoint:
            self = .checkpoint(
                try CheckpointNotice(from: &reader, field: "checkpoint.notice", limits: limits),
                forwarded: try reader.readBool("checkpoint.forwarded"))
        case .checkpointRequest:
            self = .checkpointRequest(fromHeight: try reader.readUInt64("checkpointRequest.fromHeight"))
        case .hello:
            self = .hello(try Hello(from: &reader, field: "hello"))
        case .helloProof:
            self = .helloProof(HelloProof(signature: try reader.readSignature("helloProof.signature")))
        }
    }

    /// A close upper estimate of the body's size, so the writer allocates once.
    var estimatedBodyBytes: Int {
        switch self {
        case .regionConsensus(let message): return message.wireBytes + 64
        case .gossip(let batch): return batch.reduce(4) { $0 + 4 + $1.encodedBytes }
        case .globalConsensus(let message): return message.wireBytes + 64
        case .entries(let entries): return entries.reduce(4) { $0 + $1.wireBytes }
        case .checkpoint(let notice, _): return notice.wireBytes + 1
        case .missingEntries, .checkpointRequest, .hello, .helloProof: return 128
        }
    }
}

extension PeerMessage {
    /// The wire form of what a region node sends its peers.
    public init(_ message: RegionMessage) {
        switch message {
        case .consensus(let consensus): self = .regionConsensus(consensus)
        case .gossip(let batch): self = .gossip(batch)
        }
    }

    /// The wire form of what a committee member sends its peers.
    public init(_ message: GlobalMessage) {
        switch message {
        case .consensus(let consensus): self = .globalConsensus(consensus)
        }
    }

    /// The region node message this is, if it is one.
    public var regionMessage: RegionMessage? {
        switch self {
        case .regionConsensus(let consensus): return .consensus(consensus)
        case .gossip(let batch): return .gossip(batch)
        default: return nil
        }
    }

    /// The committee message this is, if it is one.
    public var globalMessage: GlobalMessage? {
        if case .globalConsensus(let consensus) = self { return .consensus(consensus) }
        return nil
    }
}

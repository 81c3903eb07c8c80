import GridCrypto
import GridLedger

/// What an application puts in a block: region transactions, or global checkpoint entries.
public protocol ConsensusPayload: Hashable, Sendable {
    /// Encoded size, for bandwidth and cost accounting.
    var wireBytes: Int { get }
    var isEmpty: Bool { get }
    /// Number of application items (transactions, entries), for metrics.
    var itemCount: Int { get }
}

/// A block as consensus handles it: the ledger header, the application payload and the QC of its parent.
public struct ProposedBlock<Payload: ConsensusPayload>: Hashable, Sendable {
    public let header: BlockHeader
    public let payload: Payload
    /// Certifies the parent block; a block is only as good as the chain its justify QC vouches for.
    public let justify: QuorumCertificate
    /// Cached `header.hash`, since it is needed on every lookup.
    public let hash: Hash256

    public init(header: BlockHeader, payload: Payload, justify: QuorumCertificate) {
        self.header = header
        self.payload = payload
        self.justify = justify
        self.hash = header.hash
    }

    public var height: UInt64 { header.height }
    public var round: UInt64 { header.view }
    public var parentHash: Hash256 { header.parentHash }
    public var wireBytes: Int { BlockHeader.encodedBytes + payload.wireBytes + justify.wireBytes }
}

public struct Proposal<Payload: ConsensusPayload>: Hashable, Sendable {
    public let block: ProposedBlock<Payload>
    /// Present when the previous round ended by timeout rather than by QC.
    public let timeoutCertificate: TimeoutCertificate?
    /// The leader's signature over the block hash, so a proposal cannot be forged by a non-leader.
    public let signature: Signature

    public init(block: ProposedBlock<Payload>, timeoutCertificate: TimeoutCertificate?, signature: Signature) {
        self.block = block
        self.timeoutCertificate = timeoutCertificate
        self.signature = signature
    }

    /// What the leader signs: a domain tag and the block hash.
    public static func signingBytes(_ hash: Hash256) -> [UInt8] { hash.withUnsafeBytes { SigningDomain.proposal + $0 } }
}

public struct Vote: Hashable, Sendable {
    public let data: VoteData
    public let voter: UInt16
    public let signature: Signature

    public init(data: VoteData, voter: UInt16, signature: Signature) {
        self.data = data
        self.voter = voter
        self.signature = signature
    }
}

public struct TimeoutMessage: Hashable, Sendable {
    public let vote: TimeoutVote
    public let highQC: QuorumCertificate
    /// The certificate that took the sender into the round it times out, if a timeout did: a validator still in the
    /// round before may never have seen it, and without it the two sides can wait on each other for good.
    public let lastTimeoutCertificate: TimeoutCertificate?

    public init(vote: TimeoutVote, highQC: QuorumCertificate, lastTimeoutCertificate: TimeoutCertificate? = nil) {
        self.vote = vote
        self.highQC = highQC
        self.lastTimeoutCertificate = lastTimeoutCertificate
    }
}

/// Blocks a lagging validator asked for, oldest first, plus the sender's highest QC so the receiver can certify
/// the last one and let its normal commit rule decide what is final.
public struct SyncResponse<Payload: ConsensusPayload>: Hashable, Sendable {
    public let blocks: [ProposedBlock<Payload>]
    public let highQC: QuorumCertificate

    public init(blocks: [ProposedBlock<Payload>], highQC: QuorumCertificate) {
        self.blocks = blocks
        self.highQC = highQC
    }
}

public enum ConsensusMessage<Payload: ConsensusPayload>: Hashable, Sendable {
    case proposal(Proposal<Payload>)
    case vote(Vote)
    case timeout(TimeoutMessage)
    case syncRequest(fromHeight: UInt64)
    case syncResponse(SyncResponse<Payload>)

    /// Bytes on the wire, for the network model. Mirrors the field sizes of the ledger encoding.
    public var wireBytes: Int {
        switch self {
        case .proposal(let proposal):
            return 1 + proposal.block.wireBytes + (proposal.timeoutCertificate?.wireBytes ?? 0) + Signature.byteCount
        case .vote: return 1 + 55 + 2 + Signature.byteCount
        case .timeout(let message): return 1 + TimeoutVote.wireBytes + message.highQC.wireBytes
        case .syncRequest: return 1 + 8
        case .syncResponse(let response):
            return 1 + 4 + response.blocks.reduce(0) { $0 + $1.wireBytes } + response.highQC.wireBytes
        }
    }

    public var kind: String {
        switch self {
        case .proposal: return "proposal"
        case .vote: return "vote"
        case .timeout: return "timeout"
        case .syncRequest: return "syncRequest"
        case .syncResponse: return "syncResponse"
        }
    }
}

import GridCrypto
import GridLedger

/// The validators of one consensus instance (a region, or the global committee), fixed at genesis.
public struct ValidatorSet: Hashable, Sendable {
    public let keys: [PublicKey]

    public init(keys: [PublicKey]) {
        precondition(!keys.isEmpty, "a validator set needs at least one key")
        self.keys = keys
    }

    public var count: Int { keys.count }
    /// Byzantine validators tolerated: n = 3f + 1 (rounded down for other n).
    public var faultsTolerated: Int { (keys.count - 1) / 3 }
    public var quorum: Int { QuorumCertificate.quorum(validatorCount: keys.count) }
    /// f + 1: enough timeouts that at least one honest validator timed out.
    public var weakQuorum: Int { faultsTolerated + 1 }

    /// Round-robin leader rotation: simple, predictable, and a crashed leader costs one timeout per rotation.
    public func leader(ofRound round: UInt64) -> Int { Int(round % UInt64(keys.count)) }
}

/// Domain-separated signing bytes for consensus messages other than votes (which sign `VoteData`).
enum SigningDomain {
    static let proposal = Array("GridLedger/proposal/v1".utf8)
    static let timeout = Array("GridLedger/timeout/v1".utf8)
}

/// One validator's statement that round `round` timed out, carrying the round of its highest QC.
public struct TimeoutVote: Hashable, Sendable {
    public var round: UInt64
    public var highQCRound: UInt64
    public var voter: UInt16
    public var signature: Signature

    public init(round: UInt64, highQCRound: UInt64, voter: UInt16, signature: Signature) {
        self.round = round
        self.highQCRound = highQCRound
        self.voter = voter
        self.signature = signature
    }

    public static func signingBytes(chainID: ChainID, region: RegionID, round: UInt64, highQCRound: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.writeFixed(SigningDomain.timeout)
        writer.write(chainID)
        writer.write(region)
        writer.write(round)
        writer.write(highQCRound)
        return writer.bytes
    }

    static let wireBytes = 8 + 8 + 2 + Signature.byteCount
}

/// 2f+1 timeout votes for one round, plus the highest QC any of them reported: a leader that proposes after a
/// timeout certificate must extend at least that QC (Jolteon's safety rule).
public struct TimeoutCertificate: Hashable, Sendable {
    public var round: UInt64
    public var votes: [TimeoutVote]
    public var highQC: QuorumCertificate

    public init(round: UInt64, votes: [TimeoutVote], highQC: QuorumCertificate) {
        self.round = round
        self.votes = votes
        self.highQC = highQC
    }

    public var highestReportedQCRound: UInt64 { votes.map(\.highQCRound).max() ?? 0 }

    var wireBytes: Int { 8 + 2 + votes.count * TimeoutVote.wireBytes + highQC.wireBytes }
}

extension QuorumCertificate {
    /// The certificate of the genesis block: it has no votes and is accepted by definition.
    public static func genesis(chainID: ChainID, region: RegionID, genesisHash: Hash256) -> QuorumCertificate {
        QuorumCertificate(
            data: VoteData(chainID: chainID, region: region, height: 0, view: 0, blockHash: genesisHash), votes: [])
    }

    public var isGenesis: Bool { data.height == 0 && data.view == 0 && votes.isEmpty }
    public var view: UInt64 { data.view }
    public var blockHash: Hash256 { data.blockHash }
    var wireBytes: Int { 1 + 4 + 2 + 8 + 8 + 32 + 2 + votes.count * (2 + Signature.byteCount) }
}

extension QuorumCertificate {
    /// `verify`'s rules with signatures checked by `verifier`, each check charged to `work`.
    public func check(
        chainID: ChainID, region: RegionID, validators: [PublicKey], verifier: any SignatureVerifying,
        _ work: inout Work
    ) -> VerificationFailure? {
        var checked = 0
        defer { work.signatureVerifications += checked }
        do {
            try verify(chainID: chainID, region: region, validators: validators) { signature, key, message in
                checked += 1
                return verifier.verify(signature, by: key, of: message)
            }
            return nil
        } catch {
            return error
        }
    }
}

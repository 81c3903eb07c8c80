import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridTopology
import GridWire

/// What the validators of a Byzantine region (a `byzantineRegion` fault) tell the global committee instead of the
/// truth, the same in the simulator and in a live run: entries whose certificates carry forged signatures, or a
/// header that does not extend the region's chain, certified by a colluding quorum of the region.
public struct ByzantineEntryForgery: Sendable {
    public let behavior: Topology.ByzantineRegionBehavior
    /// The colluding quorum's keys by validator index (only `nonExtendingHeader` signs).
    public let colluders: [(index: Int, key: KeyPair)]

    public init(behavior: Topology.ByzantineRegionBehavior, colluders: [(index: Int, key: KeyPair)]) {
        self.behavior = behavior
        self.colluders = colluders
    }

    /// The frame as the Byzantine region sends it. Only entries carry what a Byzantine region lies about: any other
    /// frame passes unchanged, and one that does not decode reaches the member as it is (which counts it as
    /// undecodable).
    public func tamper(_ frame: [UInt8]) -> [UInt8] {
        // Losing the decoding error is right: this node's own frames always decode, and one that did not would be
        // passed on unchanged for the member to count.
        guard case .entries(let entries)? = try? WireCodec.decode(frame) else { return frame }
        return WireCodec.encode(.entries(entries.map(tamper)))
    }

    public func tamper(_ entry: RegionCommitEntry) -> RegionCommitEntry {
        switch behavior {
        case .forgedCertificate:
            var forged = entry.certificate
            forged.votes = forged.votes.map { vote in
                // 64 bytes always make a signature (its check is the member's), so the fallback never runs.
                var bytes = vote.signature.bytes
                bytes[0] ^= 0x5A
                return CertificateVote(
                    validatorIndex: vote.validatorIndex, signature: (try? Signature(bytes: bytes)) ?? vote.signature)
            }
            return RegionCommitEntry(header: entry.header, certificate: forged, outbox: entry.outbox)
        case .nonExtendingHeader:
            var header = entry.header
            header.parentHash = Hash256.blake2b(Array("not the parent \(entry.height)".utf8))
            let data = VoteData(
                chainID: header.chainID, region: header.region, height: header.height, view: header.view,
                blockHash: header.hash)
            let votes = colluders.map { colluder in
                CertificateVote(
                    validatorIndex: UInt16(colluder.index), signature: colluder.key.sign(data.signingBytes()))
            }
            return RegionCommitEntry(
                header: header, certificate: QuorumCertificate(data: data, votes: votes), outbox: entry.outbox)
        }
    }
}

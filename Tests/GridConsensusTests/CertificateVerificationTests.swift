import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// A QC is only as good as its 2f+1 distinct, valid, in-instance signatures: with one fewer, or with a vote
/// counted twice, f faulty validators plus one honest one could certify two conflicting blocks.
@Suite struct CertificateVerificationTests {
    /// Validator 0 after voting for b1 in round 1, and the round-2 leader on top of b1.
    private func afterRoundOne() throws -> (Forge, RegionReplica, ProposedBlock<RegionPayload>, Int) {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        return (forge, replica, b1, replica.leader(ofRound: 2, extending: b1.hash))
    }

    @Test func certificatesThatAreNotAQuorumOfDistinctValidVotesAreRefused() throws {
        let (forge, original, b1, leader2) = try afterRoundOne()
        let data = forge.voteData(b1)
        var badSignature = forge.qc(b1, voters: [1, 2, 3])
        var flipped = badSignature.votes[2].signature.bytes
        flipped[7] ^= 0x01
        badSignature.votes[2].signature = try Signature(bytes: flipped)
        var otherChain = data
        otherChain.chainID = 2
        var otherRegion = data
        otherRegion.region = 1
        let forged: [(String, QuorumCertificate)] = [
            ("quorum - 1 distinct votes", forge.qc(data, voters: [1, 2])),
            ("a voter counted twice", forge.qc(data, voters: [1, 2, 2])),
            ("an unknown voter index", forge.qc(data, voters: [1, 2, 7])),
            ("a bad signature", badSignature),
            ("another chain", forge.qc(otherChain, voters: [1, 2, 3])),
            ("another region", forge.qc(otherRegion, voters: [1, 2, 3])),
        ]
        for (label, certificate) in forged {
            var replica = original
            let block = try forge.block(round: 2, parent: b1, justify: certificate, proposer: leader2)
            let actions = replica.receive(.proposal(forge.proposal(block, by: leader2)), from: leader2)
            #expect(actions.rejections == ["bad-certificate"], "\(label)")
            #expect(actions.votes.isEmpty, "\(label)")
            #expect(replica.currentRound == 1, "\(label): a refused QC must not move the round")
            #expect(replica.highQC == forge.genesisQC, "\(label)")

            // The same certificate carried by a timeout message is refused too.
            var viaTimeout = original
            let timeout = viaTimeout.receive(.timeout(forge.timeout(round: 1, voter: 2, highQC: certificate)), from: 2)
            #expect(timeout.rejections == ["bad-certificate"], "\(label), in a timeout")
            #expect(viaTimeout.highQC == forge.genesisQC, "\(label), in a timeout")
        }

        // Control: exactly a quorum of distinct valid votes is accepted and moves the replica on.
        var replica = original
        let good = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: [1, 2, 3]), proposer: leader2)
        let actions = replica.receive(.proposal(forge.proposal(good, by: leader2)), from: leader2)
        #expect(actions.rejections.isEmpty)
        #expect(actions.votes.count == 1)
        #expect(replica.highQC.blockHash == b1.hash)
    }

    @Test func aGenesisCertificateIsValidForTheGenesisBlockOnly() throws {
        let (forge, original, b1, leader2) = try afterRoundOne()
        // A vote-less "genesis" certificate for b1 would let anyone certify anything.
        var replica = original
        let fake = QuorumCertificate.genesis(chainID: Forge.chainID, region: Forge.region, genesisHash: b1.hash)
        let block = try forge.block(round: 2, parent: b1, justify: fake, proposer: leader2)
        let actions = replica.receive(.proposal(forge.proposal(block, by: leader2)), from: leader2)
        #expect(actions.rejections == ["bad-certificate"])
        #expect(actions.votes.isEmpty)
    }
}

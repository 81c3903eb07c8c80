import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Leader reputation: the leader of round r on top of block P is picked round-robin among the voters of the QC
/// that P carries, so a crashed or cut-off validator (absent from that QC) is never asked to lead and cannot cost
/// the region a view timeout. Proposer and voters must evaluate it on the same chain, so it is checked both
/// ways: whom a replica accepts proposals from, and whom it sends its vote to.
@Suite struct LeaderReputationTests {
    @Test func theNextLeaderComesFromTheVotersOfTheParentsCertificate() throws {
        let forge = Forge()
        var replica = forge.replica(3)
        _ = replica.handle(.start)
        // Without certificates behind the chain, plain round-robin over all four applies.
        for round: UInt64 in 1...8 {
            #expect(replica.leader(ofRound: round, extending: forge.genesis.hash) == Int(round % 4))
        }
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)

        // b2 carries QC(b1) signed by 0, 1 and 3: validator 2 did not vote (crashed, say).
        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: [0, 1, 3]), proposer: leader2)
        let voted = replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2)

        let active = [0, 1, 3]
        for round: UInt64 in 3...40 {
            let leader = replica.leader(ofRound: round, extending: b2.hash)
            #expect(leader != 2, "round \(round): a validator absent from the parent's QC must not lead")
            #expect(leader == active[Int(round % 3)], "round \(round): round-robin over the QC's voters")
        }
        // The vote for b2 goes to the reputation leader of round 3 (0), not to the round-robin one (3, itself).
        #expect(voted.votes.map(\.to) == [replica.leader(ofRound: 3, extending: b2.hash)])
        #expect(voted.votes.map(\.to) == [0])

        // A proposal for round 3 from validator 2, however well signed, is refused; the real leader's is not.
        let qc2 = forge.qc(b2, voters: [0, 1, 2])
        let fromAbsent = try forge.block(round: 3, parent: b2, justify: qc2, proposer: 2)
        let refused = replica.receive(.proposal(forge.proposal(fromAbsent, by: 2)), from: 2)
        #expect(refused.rejections == ["not-leader"])
        #expect(refused.votes.isEmpty)
        let fromLeader = try forge.block(round: 3, parent: b2, justify: qc2, proposer: 0)
        #expect(replica.receive(.proposal(forge.proposal(fromLeader, by: 0)), from: 0).votes.count == 1)
    }
}

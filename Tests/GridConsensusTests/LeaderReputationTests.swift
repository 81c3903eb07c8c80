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

        // Rounds 3 to 5 on top of b2 (up to two failed rounds between): round-robin over the voters of b2's QC.
        let active = [0, 1, 3]
        for round: UInt64 in 3...5 {
            let leader = replica.leader(ofRound: round, extending: b2.hash)
            #expect(leader != 2, "round \(round): a validator absent from the parent's QC must not lead")
            #expect(leader == active[Int(round % 3)], "round \(round): round-robin over the QC's voters")
        }
        // Further on, that QC is old news (`Replica.reputationGapRoundsMax`): round-robin over all four.
        for round: UInt64 in 6...40 {
            #expect(replica.leader(ofRound: round, extending: b2.hash) == Int(round % 4), "round \(round)")
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

    /// Swarm seed 2206: reputation frozen on an old QC elected dead validators again and again. After more than
    /// `reputationGapRoundsMax` failed rounds the leader is round-robin, and so is the collector of the next round;
    /// the first QC of consecutive rounds brings reputation back.
    @Test func afterAStallRoundRobinUntilConsecutiveRoundsCertifyAgain() throws {
        #expect(Replica<RegionApplication>.reputationGapRoundsMax == 2)
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        // b2 (round 2, QC(b1) by 0, 1 and 2) was certified; then rounds 3, 4 and 5 timed out.
        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: [0, 1, 2]), proposer: leader2)
        _ = replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2)
        let qc2 = forge.qc(b2, voters: [0, 1, 2])
        let tc5 = forge.tc(round: 5, voters: [0, 1, 3], highQC: qc2)
        // Round 6 extends b2 across three failed rounds: round-robin (2), where reputation would say 0.
        let leader6 = replica.leader(ofRound: 6, extending: b2.hash)
        #expect(leader6 == 2)
        let b6 = try forge.block(round: 6, parent: b2, justify: qc2, proposer: leader6)
        let onB6 = replica.receive(.proposal(forge.proposal(b6, by: leader6, tc: tc5)), from: leader6)
        #expect(onB6.rejections.isEmpty)
        // b6's QC is from round 2, so round 7 on top of b6 is round-robin too: the vote goes to 3 (reputation: 1).
        #expect(replica.leader(ofRound: 7, extending: b6.hash) == 3)
        #expect(onB6.votes.map(\.to) == [3])
        // b7 carries QC(b6) from round 6, signed by 1, 2 and 3 (0's vote came late): reputation again.
        let b7 = try forge.block(round: 7, parent: b6, justify: forge.qc(b6, voters: [1, 2, 3]), proposer: 3)
        _ = replica.receive(.proposal(forge.proposal(b7, by: 3)), from: 3)
        #expect(replica.leader(ofRound: 8, extending: b7.hash) == [1, 2, 3][Int(8 % 3)])
    }
    /// Swarm seed 616: the failed rounds before the parent count too. b3 came one failed round after its QC (round
    /// 1's, signed by 0, 1 and 2), then two more rounds failed on top of it: three since the QC, so the leader of
    /// round 6 is round-robin although each gap alone is within `reputationGapRoundsMax`.
    @Test func failedRoundsBeforeAndAfterTheParentCountTogether() throws {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        let qc1 = forge.qc(b1, voters: [0, 1, 2])
        // Round 2 timed out; b3 extends QC(b1) with the TC of round 2.
        let tc2 = forge.tc(round: 2, voters: [0, 1, 3], highQC: qc1)
        let leader3 = replica.leader(ofRound: 3, extending: b1.hash)
        let b3 = try forge.block(round: 3, parent: b1, justify: qc1, proposer: leader3)
        #expect(replica.receive(.proposal(forge.proposal(b3, by: leader3, tc: tc2)), from: leader3).rejections.isEmpty)
        // One failed round since QC(b1) (round 2) and one more (round 4): reputation among 0, 1 and 2.
        #expect(replica.leader(ofRound: 5, extending: b3.hash) == [0, 1, 2][Int(5 % 3)])
        // Rounds 2, 4 and 5 failed: round-robin over all four, where reputation would say 0.
        #expect(replica.leader(ofRound: 6, extending: b3.hash) == Int(6 % 4))
        #expect(replica.leader(ofRound: 7, extending: b3.hash) == Int(7 % 4))
    }
}

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
    /// Replica `index`, started, holding b1 (round 1 on genesis) and b2 (round 2, carrying QC(b1) signed by
    /// `voters`) from their leaders.
    private static func holdingB2(_ forge: Forge, replica index: Int, b1Voters voters: [Int]) throws -> (
        RegionReplica, ProposedBlock<RegionPayload>
    ) {
        var replica = forge.replica(index)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: voters), proposer: leader2)
        _ = replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2)
        return (replica, b2)
    }

    @Test func theNextLeaderComesFromTheVotersOfTheParentsCertificate() throws {
        let forge = Forge()
        var replica = forge.replica(3)
        _ = replica.handle(.start)
        // Without certificates behind the chain, plain round-robin over all four applies. Round 1 extends the QC
        // of round 0 and takes its own place; a later round on genesis follows a timeout and takes the next place,
        // so the validator that would have collected the failed round's votes does not lead it.
        #expect(replica.leader(ofRound: 1, extending: forge.genesis.hash) == 1)
        for round: UInt64 in 2...8 {
            #expect(replica.leader(ofRound: round, extending: forge.genesis.hash) == Int((round + 1) % 4))
        }
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)

        // b2 carries QC(b1) signed by 0, 1 and 3: validator 2 did not vote (crashed, say).
        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: [0, 1, 3]), proposer: leader2)
        let voted = replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2)

        // Rounds 3 to 5 on top of b2 (up to two failed rounds between): round-robin over the voters of b2's QC,
        // round 3 in its own place, rounds 4 and 5 (after a timeout) one place on.
        let active = [0, 1, 3]
        for (round, place): (UInt64, Int) in [(3, 3), (4, 5), (5, 6)] {
            let leader = replica.leader(ofRound: round, extending: b2.hash)
            #expect(leader != 2, "round \(round): a validator absent from the parent's QC must not lead")
            #expect(leader == active[place % 3], "round \(round): round-robin over the QC's voters")
        }
        #expect(replica.leader(ofRound: 4, extending: b2.hash) == 3)
        #expect(replica.leader(ofRound: 4, extending: b2.hash) != replica.leader(ofRound: 3, extending: b2.hash))
        // Further on, that QC is old news (`Replica.reputationGapRoundsMax`): round-robin over all four.
        for round: UInt64 in 6...40 {
            #expect(replica.leader(ofRound: round, extending: b2.hash) == Int((round + 1) % 4), "round \(round)")
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
        // b2 (round 2, QC(b1) by 0, 1 and 2) was certified; then rounds 3, 4 and 5 timed out.
        let (started, b2) = try Self.holdingB2(forge, replica: 0, b1Voters: [0, 1, 2])
        var replica = started
        let qc2 = forge.qc(b2, voters: [0, 1, 2])
        let tc5 = forge.tc(round: 5, voters: [0, 1, 3], highQC: qc2)
        // Round 6 extends b2 across three failed rounds: round-robin in the place after its own (3), where
        // reputation would say 1.
        let leader6 = replica.leader(ofRound: 6, extending: b2.hash)
        #expect(leader6 == 3)
        let b6 = try forge.block(round: 6, parent: b2, justify: qc2, proposer: leader6)
        let onB6 = replica.receive(.proposal(forge.proposal(b6, by: leader6, tc: tc5)), from: leader6)
        #expect(onB6.rejections.isEmpty)
        // b6's QC is from round 2, so round 7 on top of b6 is round-robin too, in its own place: the vote goes to
        // 3 (reputation: 1), the leader of round 6 itself, who leads round 7 on the QC it collects.
        #expect(replica.leader(ofRound: 7, extending: b6.hash) == 3)
        #expect(onB6.votes.map(\.to) == [3])
        // b7 carries QC(b6) from round 6, signed by 1, 2 and 3 (0's vote came late): reputation again.
        let b7 = try forge.block(round: 7, parent: b6, justify: forge.qc(b6, voters: [1, 2, 3]), proposer: 3)
        _ = replica.receive(.proposal(forge.proposal(b7, by: 3)), from: 3)
        #expect(replica.leader(ofRound: 8, extending: b7.hash) == [1, 2, 3][Int(8 % 3)])
    }

    /// Swarm seed 8924: votes of round r go to the leader of round r + 1, so a dead validator elected there failed
    /// round r as its collector and, after the timeout, round r + 1 as its leader. A round that follows a timeout
    /// now takes the next place in the rotation, so the collector of the failed round does not lead the next one.
    @Test func theCollectorOfAFailedRoundDoesNotLeadTheNext() throws {
        let forge = Forge()
        let (started, b2) = try Self.holdingB2(forge, replica: 2, b1Voters: [0, 1, 3])
        var replica = started
        let qc2 = forge.qc(b2, voters: [0, 1, 3])
        let leader3 = replica.leader(ofRound: 3, extending: b2.hash)
        let b3 = try forge.block(round: 3, parent: b2, justify: qc2, proposer: leader3)
        let voted = replica.receive(.proposal(forge.proposal(b3, by: leader3)), from: leader3)
        // The vote for b3 goes to round 4's leader on b3, among QC(b2)'s voters in place 4: validator 1.
        #expect(voted.votes.map(\.to) == [1])
        // Round 3 times out (validator 1 is down, say): round 4 on QC(b2) follows a timeout and takes place 5 among
        // the same voters, validator 3, where its own place would name the dead collector again.
        let tc3 = forge.tc(round: 3, voters: [0, 2, 3], highQC: qc2)
        #expect(replica.leader(ofRound: 4, extending: b2.hash) == 3)
        let b4 = try forge.block(round: 4, parent: b2, justify: qc2, proposer: 3)
        let onB4 = replica.receive(.proposal(forge.proposal(b4, by: 3, tc: tc3)), from: 3)
        #expect(onB4.rejections.isEmpty)
        // Its votes go to round 5's leader on b4, in place 5 (a round on the previous round's QC): 3 again, who
        // leads the round after the one it led.
        #expect(onB4.votes.map(\.to) == [3])
        // The dead collector's own proposal for round 4 is refused.
        let fromCollector = try forge.block(round: 4, parent: b2, justify: qc2, proposer: 1)
        #expect(
            replica.receive(.proposal(forge.proposal(fromCollector, by: 1, tc: tc3)), from: 1).rejections == [
                "not-leader"
            ])
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
        // One failed round since QC(b1) (round 2) and one more (round 4): reputation among 0, 1 and 2, in place 6.
        #expect(replica.leader(ofRound: 5, extending: b3.hash) == [0, 1, 2][Int(6 % 3)])
        // Rounds 2, 4 and 5 failed: round-robin over all four (places 7 and 8), where reputation would say 1.
        #expect(replica.leader(ofRound: 6, extending: b3.hash) == 3)
        #expect(replica.leader(ofRound: 7, extending: b3.hash) == 0)
    }
}

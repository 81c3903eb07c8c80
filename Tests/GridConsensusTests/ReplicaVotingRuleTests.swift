import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Jolteon's voting rule: vote at most once per round, and only for a proposal whose justify QC is from the
/// previous round or that carries a TC for the previous round which the justify QC is at least as high as.
/// Also the crash-recovery half of it: a restarted replica must remember the last round it voted in.
@Suite struct ReplicaVotingRuleTests {
    @Test func neverVotesTwiceInOneRound() throws {
        let forge = Forge()
        // Two different, individually valid blocks for round 1 from its leader (an equivocating leader).
        let empty = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        let full = try forge.block(
            round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1,
            transactions: [forge.transfer(nonce: 1)])
        #expect(empty.hash != full.hash)

        // Either block alone gets a vote from a fresh replica: the refusal below is about the round, not the block.
        var control = forge.replica(0)
        _ = control.handle(.start)
        #expect(control.receive(.proposal(forge.proposal(full, by: 1)), from: 1).votes.count == 1)

        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let first = replica.receive(.proposal(forge.proposal(empty, by: 1)), from: 1)
        #expect(first.votes.count == 1)
        #expect(first.votes.first?.vote.data.blockHash == empty.hash)
        let second = replica.receive(.proposal(forge.proposal(full, by: 1)), from: 1)
        #expect(second.votes.isEmpty, "a second vote in round 1 would let both blocks be certified")
        #expect(second.rejections == ["already-voted"])
        #expect(replica.lastVotedRound == 1)
    }

    @Test func votesOnlyForAJustifyFromThePreviousRoundOrUnderATimeoutCertificate() throws {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        let qc1 = forge.qc(b1, voters: [1, 2, 3])

        // Round 2 times out: two peers' timeouts (carrying QC(b1)) make validator 0 join, and the three form a TC.
        _ = replica.receive(.timeout(forge.timeout(round: 2, voter: 1, highQC: qc1)), from: 1)
        _ = replica.receive(.timeout(forge.timeout(round: 2, voter: 2, highQC: qc1)), from: 2)
        #expect(replica.currentRound == 3)

        // Round 3 extends b1 (round 1): the justify is two rounds old and no TC proves round 2 failed.
        let leader3 = replica.leader(ofRound: 3, extending: b1.hash)
        let b2 = try forge.block(round: 3, parent: b1, justify: qc1, proposer: leader3)
        let bare = replica.receive(.proposal(forge.proposal(b2, by: leader3)), from: leader3)
        #expect(bare.votes.isEmpty)
        #expect(bare.rejections == ["unsafe-proposal"])

        // The same block with the TC for round 2 is safe: QC(b1) is the highest QC any timeout reported.
        let tc2 = forge.tc(round: 2, voters: [1, 2, 3], highQC: qc1)
        let covered = replica.receive(.proposal(forge.proposal(b2, by: leader3, tc: tc2)), from: leader3)
        #expect(covered.votes.count == 1)
        #expect(covered.rejections.isEmpty)
    }

    @Test func aTimeoutCertificateDoesNotCoverAJustifyBelowItsHighestReportedQC() throws {
        let forge = Forge()
        // Validator 3: it leads round 4 neither on top of b1 nor on top of b2, so it only votes.
        var replica = forge.replica(3)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1), proposer: leader2)
        #expect(replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2).votes.count == 1)
        let qc2 = forge.qc(b2)

        // Round 3 times out with QC(b2) reported: TC(3).highQC is round 2.
        _ = replica.receive(.timeout(forge.timeout(round: 3, voter: 0, highQC: qc2)), from: 0)
        _ = replica.receive(.timeout(forge.timeout(round: 3, voter: 1, highQC: qc2)), from: 1)
        #expect(replica.currentRound == 4)
        let tc3 = forge.tc(round: 3, voters: [0, 1, 2], highQC: qc2)

        // A round-4 block that goes back to b1 (justify round 1 < 2) under that TC would fork away from b2,
        // which a quorum may already hold a lock on.
        let leaderOnB1 = replica.leader(ofRound: 4, extending: b1.hash)
        let fork = try forge.block(round: 4, parent: b1, justify: forge.qc(b1), proposer: leaderOnB1)
        let forked = replica.receive(.proposal(forge.proposal(fork, by: leaderOnB1, tc: tc3)), from: leaderOnB1)
        #expect(forked.votes.isEmpty)
        #expect(forked.rejections == ["unsafe-proposal"])

        // Extending b2 under the same TC is fine.
        let leaderOnB2 = replica.leader(ofRound: 4, extending: b2.hash)
        let b3 = try forge.block(round: 4, parent: b2, justify: qc2, proposer: leaderOnB2)
        #expect(
            replica.receive(.proposal(forge.proposal(b3, by: leaderOnB2, tc: tc3)), from: leaderOnB2).votes.count == 1)
    }

    @Test func aReplicaRestartedFromItsSafetyStateDoesNotVoteAgainInAnOldRound() throws {
        let forge = Forge()
        let empty = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        let other = try forge.block(
            round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1,
            transactions: [forge.transfer(nonce: 1)])

        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let voted = replica.receive(.proposal(forge.proposal(empty, by: 1)), from: 1)
        // What is persisted must be durable before the vote leaves: it comes first and records round 1.
        let persistIndex = voted.firstIndex {
            if case .persistSafety(let state) = $0 { return state.lastVotedRound == 1 }
            return false
        }
        let voteIndex = voted.firstIndex {
            if case .send(_, .vote) = $0 { return true }
            return false
        }
        let persisted = try #require(persistIndex)
        let sent = try #require(voteIndex)
        #expect(persisted < sent)

        // Crash: memory is gone, the saved safety state survives. An equivocating round-1 block must get no vote.
        var restarted = forge.replica(0, safety: replica.safetyState)
        _ = restarted.handle(.start)
        let again = restarted.receive(.proposal(forge.proposal(other, by: 1)), from: 1)
        #expect(again.votes.isEmpty, "voting in round 1 again after a restart is a double vote")
        #expect(restarted.lastVotedRound == 1)

        // Without the saved state the very same replica would vote: the state is what prevents it.
        var amnesiac = forge.replica(0)
        _ = amnesiac.handle(.start)
        #expect(amnesiac.receive(.proposal(forge.proposal(other, by: 1)), from: 1).votes.count == 1)

        // Later rounds are still open to it: round 2 under a TC for round 1.
        let tc1 = forge.tc(round: 1, voters: [1, 2, 3], highQC: forge.genesisQC)
        let leader2 = restarted.leader(ofRound: 2, extending: forge.genesis.hash)
        let b2 = try forge.block(round: 2, parent: forge.genesis, justify: forge.genesisQC, proposer: leader2)
        #expect(restarted.receive(.proposal(forge.proposal(b2, by: leader2, tc: tc1)), from: leader2).votes.count == 1)
    }

    @Test func aSavedHighQCForABlockLostWithMemoryIsNotAdopted() throws {
        let forge = Forge()
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        // The saved QC certifies b1, which was never committed: the restarted replica cannot extend it.
        let restarted = forge.replica(0, safety: SafetyState(lastVotedRound: 1, highQC: forge.qc(b1)))
        #expect(restarted.highQC == forge.genesisQC)
        #expect(restarted.lastVotedRound == 1)
    }
}

import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// The two-chain commit rule (Jolteon): a QC for block B commits B's parent only when B's round is exactly one
/// more than the parent's. With a gap (B follows a timeout certificate) the two certified rounds are not
/// consecutive, another leader may have certified a conflicting block in between, and nothing may commit yet.
@Suite struct ReplicaCommitRuleTests {
    /// Validator 0 is driven by hand; certificates are signed by 1, 2 and 3, so leader reputation never makes
    /// validator 0 the leader of a round it should receive a proposal in.
    let subject = 0

    @Test func aCertifiedBlockOneRoundAfterItsParentCommitsTheParent() throws {
        let forge = Forge()
        var replica = forge.replica(subject)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        #expect(replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1).votes.count == 1)

        let leader2 = replica.leader(ofRound: 2, extending: b1.hash)
        let b2 = try forge.block(round: 2, parent: b1, justify: forge.qc(b1, voters: [1, 2, 3]), proposer: leader2)
        let second = replica.receive(.proposal(forge.proposal(b2, by: leader2)), from: leader2)
        // QC(b1) certifies a child of the committed tip: there is no parent to commit yet.
        #expect(second.committed.isEmpty)
        #expect(second.votes.count == 1)

        let leader3 = replica.leader(ofRound: 3, extending: b2.hash)
        let b3 = try forge.block(round: 3, parent: b2, justify: forge.qc(b2, voters: [1, 2, 3]), proposer: leader3)
        let third = replica.receive(.proposal(forge.proposal(b3, by: leader3)), from: leader3)
        // QC(b2), round 2 = round(b1) + 1: b1 is final.
        #expect(third.committed.map(\.hash) == [b1.hash])
        #expect(replica.committedHeight == 1)
        #expect(replica.committedTip.hash == b1.hash)
    }

    @Test func aRoundGapBetweenParentAndChildCommitsNothing() throws {
        let forge = Forge()
        var replica = forge.replica(subject)
        _ = replica.handle(.start)
        let b1 = try forge.block(round: 1, parent: forge.genesis, justify: forge.genesisQC, proposer: 1)
        _ = replica.receive(.proposal(forge.proposal(b1, by: 1)), from: 1)
        let qc1 = forge.qc(b1, voters: [1, 2, 3])

        // Round 2 times out; the round-3 leader extends b1 under a timeout certificate: b2 is in round 3.
        let tc2 = forge.tc(round: 2, voters: [1, 2, 3], highQC: qc1)
        let leader3 = replica.leader(ofRound: 3, extending: b1.hash)
        let b2 = try forge.block(round: 3, parent: b1, justify: qc1, proposer: leader3)
        let onB2 = replica.receive(.proposal(forge.proposal(b2, by: leader3, tc: tc2)), from: leader3)
        #expect(onB2.votes.count == 1, "a proposal carrying a TC for the previous round is safe to vote for")
        #expect(onB2.committed.isEmpty)

        // QC(b2): b2 is certified, but round(b2) = 3 != round(b1) + 1, so b1 must not commit.
        let leader4 = replica.leader(ofRound: 4, extending: b2.hash)
        let b3 = try forge.block(round: 4, parent: b2, justify: forge.qc(b2, voters: [1, 2, 3]), proposer: leader4)
        let onB3 = replica.receive(.proposal(forge.proposal(b3, by: leader4)), from: leader4)
        #expect(onB3.votes.count == 1)
        #expect(onB3.committed.isEmpty, "a QC for a block after a round gap must not commit its parent")
        #expect(replica.committedHeight == 0)

        // QC(b3): rounds 3 and 4 are consecutive, so b2 commits, and b1 with it (oldest first).
        let leader5 = replica.leader(ofRound: 5, extending: b3.hash)
        let b4 = try forge.block(round: 5, parent: b3, justify: forge.qc(b3, voters: [1, 2, 3]), proposer: leader5)
        let onB4 = replica.receive(.proposal(forge.proposal(b4, by: leader5)), from: leader5)
        #expect(onB4.committed.map(\.hash) == [b1.hash, b2.hash])
        #expect(replica.committedHeight == 2)
    }
}

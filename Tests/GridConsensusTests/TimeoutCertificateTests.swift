import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// View change: 2f+1 timeouts for a round form a TC that moves everyone to the next round; f+1 timeouts prove
/// that at least one honest validator gave up, so a replica joins rather than waiting for its own timer; a TC
/// that is not 2f+1 valid, distinct, same-round votes must never move a replica.
@Suite struct TimeoutCertificateTests {
    @Test func twoFPlusOneTimeoutsFormACertificateAndMoveToTheNextRound() {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let own = replica.handle(.timer(.round(1)))
        #expect(own.broadcastTimeouts.map(\.vote.round) == [1])

        // Own timeout plus one peer: two of the three needed.
        let one = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        #expect(replica.currentRound == 1, "2 of 4 timeouts are not a certificate")
        #expect(one.roundTimers.isEmpty)

        let two = replica.receive(.timeout(forge.timeout(round: 1, voter: 2, highQC: forge.genesisQC)), from: 2)
        #expect(replica.currentRound == 2)
        #expect(two.roundTimers.map(\.round) == [2])
    }

    @Test func fPlusOneTimeoutsMakeAReplicaJoinTheViewChange() {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        // One timeout may come from the one faulty validator: no reason to give up the round.
        let one = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        #expect(one.broadcastTimeouts.isEmpty)
        #expect(replica.currentRound == 1)

        // Two (f + 1): at least one honest validator timed out. Join, which completes the quorum.
        let two = replica.receive(.timeout(forge.timeout(round: 1, voter: 2, highQC: forge.genesisQC)), from: 2)
        #expect(two.broadcastTimeouts.map(\.vote.voter) == [0])
        #expect(two.broadcastTimeouts.map(\.vote.round) == [1])
        #expect(replica.currentRound == 2)
        #expect(replica.lastVotedRound == 1, "a timeout for a round is a promise not to vote in it")
    }

    @Test func aTimeoutCarriesTheCertificateThatTookItsSenderIntoTheRound() {
        let forge = Forge()
        var replica = forge.replica(0)
        _ = replica.handle(.start)
        let first = replica.handle(.timer(.round(1)))
        #expect(first.broadcastTimeouts.map(\.lastTimeoutCertificate) == [nil], "round 1 was entered without a TC")
        _ = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        _ = replica.receive(.timeout(forge.timeout(round: 1, voter: 2, highQC: forge.genesisQC)), from: 2)
        #expect(replica.currentRound == 2)

        let second = replica.handle(.timer(.round(2)))
        let carried = second.broadcastTimeouts.map { $0.lastTimeoutCertificate?.round }
        #expect(carried == [1])
        #expect(second.broadcastTimeouts.first?.lastTimeoutCertificate?.votes.count == 3)
    }

    /// Swarm seed 2324: one validator crashed for good, so every certificate needs all three others. Validator 0
    /// formed the TC for round 1 and moved on, but its own round-1 timeout was lost to the other two; they sit in
    /// round 1 holding two timeouts each, and validator 0 never times out round 1 again. Its timeout for round 2 is
    /// the only message that can reach them: it must carry the certificate, or the region stalls for good.
    @Test func aReplicaOneTimeoutShortFollowsTheCertificateInALaterRoundsTimeout() {
        let forge = Forge()
        var replica = forge.replica(3)
        _ = replica.handle(.start)
        _ = replica.handle(.timer(.round(1)))
        _ = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        #expect(replica.currentRound == 1, "two of the three timeouts it needs")

        let tc = forge.tc(round: 1, voters: [0, 1, 3], highQC: forge.genesisQC)
        var withoutCertificate = replica
        _ = withoutCertificate.receive(.timeout(forge.timeout(round: 2, voter: 0, highQC: forge.genesisQC)), from: 0)
        #expect(withoutCertificate.currentRound == 1, "one timeout for round 2 proves nothing")

        // Validator 0's signature under validator 2's index: the certificate claims a vote validator 2 never gave.
        var forged = tc
        forged.votes[0].voter = 2
        var refusing = replica
        let refused = refusing.receive(
            .timeout(forge.timeout(round: 2, voter: 0, highQC: forge.genesisQC, lastTimeoutCertificate: forged)),
            from: 0)
        #expect(refused.rejections == ["bad-timeout-certificate"])
        #expect(refusing.currentRound == 1, "a forged certificate must not move the round")

        let actions = replica.receive(
            .timeout(forge.timeout(round: 2, voter: 0, highQC: forge.genesisQC, lastTimeoutCertificate: tc)), from: 0)
        #expect(actions.rejections.isEmpty)
        #expect(replica.currentRound == 2)
        #expect(actions.roundTimers.map(\.round) == [2])
    }

    /// Swarm seed 5587: validator 1 missed one timeout of round 1 and stays there, rebroadcasting its own; the others
    /// formed the certificate and left. One of them answers with its round-1 timeout again, once per round.
    @Test func aValidatorStillInALeftRoundGetsOurTimeoutForItAgainOnce() {
        let forge = Forge()
        var replica = forge.replica(2)
        _ = replica.handle(.start)
        let own = replica.handle(.timer(.round(1)))
        let sent = own.broadcastTimeouts
        #expect(sent.count == 1)
        _ = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        _ = replica.receive(.timeout(forge.timeout(round: 1, voter: 3, highQC: forge.genesisQC)), from: 3)
        #expect(replica.currentRound == 2)

        let again = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        let answers: [(Int, TimeoutMessage)] = again.compactMap {
            if case .send(let to, .timeout(let message)) = $0 { return (to, message) }
            return nil
        }
        #expect(answers.map(\.0) == [1])
        #expect(answers.map(\.1) == sent, "the same signed round-1 timeout, not a new promise")
        #expect(replica.lastVotedRound == 1, "answering must not time out the current round")

        let thirdTime = replica.receive(.timeout(forge.timeout(round: 1, voter: 1, highQC: forge.genesisQC)), from: 1)
        #expect(!thirdTime.contains { if case .send(_, .timeout) = $0 { return true } else { return false } })
    }

    @Test func badTimeoutCertificatesAreRefused() throws {
        let forge = Forge()
        var original = forge.replica(0)
        _ = original.handle(.start)
        let leader2 = original.leader(ofRound: 2, extending: forge.genesis.hash)
        let b2 = try forge.block(round: 2, parent: forge.genesis, justify: forge.genesisQC, proposer: leader2)

        let valid = forge.tc(round: 1, voters: [1, 2, 3], highQC: forge.genesisQC)
        var badSignature = valid
        var flipped = badSignature.votes[1].signature.bytes
        flipped[3] ^= 0x80
        badSignature.votes[1].signature = try Signature(bytes: flipped)
        var wrongRound = valid
        wrongRound.votes[2] = forge.timeoutVote(round: 0, voter: 3, highQCRound: 0)
        var liesAboutHighQC = valid
        liesAboutHighQC.votes[0] = forge.timeoutVote(round: 1, voter: 1, highQCRound: 1)
        var unknownVoter = valid
        unknownVoter.votes[2].voter = 9
        let forged: [(String, TimeoutCertificate)] = [
            ("quorum - 1 votes", forge.tc(round: 1, voters: [1, 2], highQC: forge.genesisQC)),
            ("a voter counted twice", forge.tc(round: 1, voters: [1, 2, 2], highQC: forge.genesisQC)),
            ("an unknown voter", unknownVoter),
            ("a bad signature", badSignature),
            ("a vote for another round", wrongRound),
            ("a high QC below the highest reported round", liesAboutHighQC),
        ]
        for (label, tc) in forged {
            var replica = original
            let actions = replica.receive(.proposal(forge.proposal(b2, by: leader2, tc: tc)), from: leader2)
            #expect(actions.rejections == ["bad-timeout-certificate"], "\(label)")
            #expect(actions.votes.isEmpty, "\(label)")
            #expect(replica.currentRound == 1, "\(label): a refused TC must not move the round")
        }

        var replica = original
        let actions = replica.receive(.proposal(forge.proposal(b2, by: leader2, tc: valid)), from: leader2)
        #expect(actions.rejections.isEmpty)
        #expect(actions.votes.count == 1)
        #expect(replica.currentRound == 2)
    }
}

/// The pacemaker: each round that ends by timeout makes the next round's timer `viewTimeoutBackoff` times longer,
/// up to `viewTimeoutMaxNanos`, so that rounds eventually last long enough for a slow network; a round that
/// ends with a QC resets it, so one bad patch does not slow the region down forever.
@Suite struct PacemakerBackoffTests {
    @Test func roundTimersGrowUnderTimeoutsUpToTheCapAndResetAfterProgress() throws {
        let forge = Forge()
        let timing = ConsensusTiming(viewTimeoutNanos: 100, viewTimeoutBackoff: 2, viewTimeoutMaxNanos: 500)
        var replica = forge.replica(0, timing: timing)
        #expect(replica.handle(.start).roundTimers.map(\.nanos) == [100])

        var observed: [UInt64] = []
        for round: UInt64 in 1...4 {
            _ = replica.receive(.timeout(forge.timeout(round: round, voter: 1, highQC: forge.genesisQC)), from: 1)
            let actions = replica.receive(
                .timeout(forge.timeout(round: round, voter: 2, highQC: forge.genesisQC)), from: 2)
            #expect(replica.currentRound == round + 1)
            observed += actions.roundTimers.filter { $0.round == round + 1 }.map(\.nanos)
        }
        #expect(observed == [200, 400, 500, 500], "doubling per timed-out round, capped at 500")
        // The re-armed timer of a stuck round keeps the backed-off length.
        #expect(replica.handle(.timer(.round(5))).roundTimers.map(\.nanos) == [500])

        // Progress: a block in round 5 (under TC(4)) gets certified; the next round's timer is back to 100.
        let tc4 = forge.tc(round: 4, voters: [1, 2, 3], highQC: forge.genesisQC)
        let leader5 = replica.leader(ofRound: 5, extending: forge.genesis.hash)
        let b5 = try forge.block(round: 5, parent: forge.genesis, justify: forge.genesisQC, proposer: leader5)
        _ = replica.receive(.proposal(forge.proposal(b5, by: leader5, tc: tc4)), from: leader5)
        let leader6 = replica.leader(ofRound: 6, extending: b5.hash)
        let b6 = try forge.block(round: 6, parent: b5, justify: forge.qc(b5, voters: [1, 2, 3]), proposer: leader6)
        let progress = replica.receive(.proposal(forge.proposal(b6, by: leader6)), from: leader6)
        #expect(replica.currentRound == 6)
        #expect(progress.roundTimers.map(\.nanos) == [100])
    }
}

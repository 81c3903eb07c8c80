import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

@Suite struct DeliveryTests {
    /// Three regions each send two blocks with a message to every other region; the committee finalizes them in
    /// checkpoints of at most two entries, so each destination's messages span several checkpoints.
    private func committedOutputs(entriesMax: Int = 2) -> (Committee, [CheckpointOutput]) {
        var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
        let configuration = globalConfiguration(regions, limits: CheckpointLimits(entriesMax: entriesMax))
        var committee = Committee(configuration: configuration)
        for height in 1...2 {
            for index in regions.indices {
                let outbox = (0..<3).filter { $0 != index }.map { message(to: RegionID($0), "\(index)/\(height)") }
                _ = committee.submit(regions[index].next(outbox: outbox))
            }
        }
        committee.run(proposals: 12)
        return (committee, committee.outputs[0])
    }

    private func deliveries(_ outputs: [CheckpointOutput], to region: RegionID) -> [CheckpointDelivery] {
        outputs.compactMap { output in output.deliveries.first { $0.destination == region } }
    }

    private func inbound(_ committee: Committee, region: RegionID) -> InboundDelivery {
        InboundDelivery(
            chainID: RegionFixture.chainID, region: region, committee: committee.keys.map(\.publicKey))
    }

    @Test func messagesAreAppliedExactlyOnceEvenWhenDeliveredTwiceOrOutOfOrder() throws {
        let (committee, outputs) = committedOutputs()
        let toRegion1 = deliveries(outputs, to: 1)
        try #require(toRegion1.count >= 2)
        var inbox = inbound(committee, region: 1)
        var checker = GlobalInvariantChecker()
        for (member, memberOutputs) in committee.outputs.enumerated() {
            for output in memberOutputs { _ = checker.recordCommit(member: member, output: output) }
        }
        var work = Work()
        var applied: [CrossRegionMessage] = []
        // The second checkpoint first: refused as a gap, nothing applied.
        let early = inbox.accept(toRegion1[1], work: &work)
        #expect(refusal(early) == "gap")
        #expect(inbox.appliedMessageCount == 0)
        for delivery in toRegion1 {
            let messages = try inbox.accept(delivery, work: &work).get()
            #expect(checker.recordApplied(applier: 1, messages: messages).isEmpty)
            applied += messages
            // The same checkpoint again: a replay.
            #expect(refusal(inbox.accept(delivery, work: &work)) == "replay")
        }
        #expect(refusal(inbox.accept(toRegion1[0], work: &work)) == "replay")
        #expect(applied.count == 4)
        #expect(applied.map(\.destinationSequence) == [0, 1, 2, 3])
        #expect(Set(applied.map(\.message)).count == 4)
        #expect(inbox.nextPairSequence == [0: 2, 2: 2])
        #expect(checker.unapplied(applier: 1, destination: 1).isEmpty)
        // The checker itself notices a second application.
        #expect(checker.recordApplied(applier: 1, messages: [applied[0]]).map(\.code) == ["message-applied-twice"])
    }

    @Test func aPartialDeliveryIsCompletedByTheFullOneWithoutApplyingAnythingTwice() throws {
        let (committee, outputs) = committedOutputs()
        let full = try #require(deliveries(outputs, to: 0).first { $0.messages.count >= 2 })
        let partial = CheckpointDelivery(
            destination: 0, header: full.header, certificate: full.certificate, messageLeaves: full.messageLeaves,
            messages: Array(full.messages.prefix(1)))
        var inbox = inbound(committee, region: 0)
        var work = Work()
        #expect(try inbox.accept(partial, work: &work).get() == Array(full.messages.prefix(1)))
        #expect(try inbox.accept(full, work: &work).get() == Array(full.messages.dropFirst()))
        #expect(inbox.appliedMessageCount == full.messages.count)
        #expect(refusal(inbox.accept(full, work: &work)) == "replay")
    }

    @Test func unverifiedCheckpointsAreRefused() throws {
        let (committee, outputs) = committedOutputs()
        let delivery = try #require(deliveries(outputs, to: 2).first)
        var work = Work()

        // A certificate signed by keys that are not the committee's.
        var impostors = inbound(committee, region: 2)
        let strangers = (0..<4).map { KeyPair.derived(masterSeed: 99, label: "stranger/\($0)") }
        let strangerInbox = InboundDelivery(
            chainID: RegionFixture.chainID, region: 2, committee: strangers.map(\.publicKey))
        var strangerCopy = strangerInbox
        #expect(refusal(strangerCopy.accept(delivery, work: &work)) == "bad-certificate")

        // Too few votes.
        let thin = CheckpointDelivery(
            destination: 2, header: delivery.header,
            certificate: QuorumCertificate(
                data: delivery.certificate.data, votes: Array(delivery.certificate.votes.prefix(2))),
            messageLeaves: delivery.messageLeaves, messages: delivery.messages)
        #expect(refusal(impostors.accept(thin, work: &work)) == "bad-certificate")

        // A message that is not in the checkpoint.
        var altered = delivery.messages
        let original = altered[0]
        altered[0] = CrossRegionMessage(
            sourceRegion: original.sourceRegion, sourceHeight: original.sourceHeight,
            outboxIndex: original.outboxIndex, destinationSequence: original.destinationSequence,
            pairSequence: original.pairSequence, message: message(to: 2, "forged"))
        let tampered = CheckpointDelivery(
            destination: 2, header: delivery.header, certificate: delivery.certificate,
            messageLeaves: delivery.messageLeaves, messages: altered)
        #expect(refusal(impostors.accept(tampered, work: &work)) == "messages-not-in-checkpoint")

        // Someone else's delivery.
        #expect(refusal(inbound(committee, region: 0).accepting(delivery)) == "wrong-destination")

        // None of that moved the stream; the genuine delivery still applies.
        #expect(impostors.appliedMessageCount == 0)
        #expect((try? impostors.accept(delivery, work: &work).get())?.count == delivery.messages.count)
    }

    @Test func theCheckerFlagsConflictingCheckpointsAndSkippedHeights() throws {
        let (_, outputs) = committedOutputs()
        // A committee with another checkpoint bound orders the same entries into different checkpoints.
        let (_, otherOutputs) = committedOutputs(entriesMax: 3)
        var checker = GlobalInvariantChecker()
        #expect(checker.recordCommit(member: 0, output: outputs[0]).isEmpty)
        let first = try #require(otherOutputs.first)
        #expect(first.height == outputs[0].height && first.checkpointHash != outputs[0].checkpointHash)
        #expect(checker.recordCommit(member: 1, output: first).map(\.code) == ["conflicting-checkpoints"])
        // Member 0 skipping a height.
        let skipping = checker.recordCommit(member: 0, output: outputs[2]).map(\.code)
        #expect(skipping.contains("checkpoint-gap"))
    }

    private func refusal(_ result: Result<[CrossRegionMessage], DeliveryRejection>) -> String? {
        if case .failure(let rejection) = result { return rejection.code }
        return nil
    }
}

extension InboundDelivery {
    fileprivate func accepting(_ delivery: CheckpointDelivery) -> Result<[CrossRegionMessage], DeliveryRejection> {
        var copy = self
        var work = Work()
        return copy.accept(delivery, work: &work)
    }
}

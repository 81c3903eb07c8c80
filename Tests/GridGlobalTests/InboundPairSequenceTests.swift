import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

/// `InboundDelivery` checks two sequences per message: the destination's overall sequence and the per-source
/// pair sequence. The first is exercised by the replay and gap tests; this one guards the second (written after
/// the mutant that drops the pair check survived every other test). A receiver resumed from stored counters
/// whose pair sequence disagrees with what the committee certified must refuse the delivery rather than apply
/// messages out of their source's order.
@Suite struct InboundPairSequenceTests {
    @Test func aDeliveryWhosePairSequenceDisagreesWithTheReceiversCountersIsRefused() throws {
        var regions = (0..<2).map { RegionFixture(region: RegionID($0)) }
        var committee = Committee(configuration: globalConfiguration(regions))
        _ = committee.submit(regions[0].next(outbox: [message(to: 1, "first"), message(to: 1, "second")]))
        committee.run(proposals: 6)
        let delivery = try #require(
            committee.outputs[0].lazy.compactMap { output in output.deliveries.first { $0.destination == 1 } }.first)
        let keys = committee.keys.map(\.publicKey)
        var work = Work()

        // Control: a receiver starting from zero applies both messages, pair sequences 0 and 1 from region 0.
        var fresh = InboundDelivery(chainID: RegionFixture.chainID, region: 1, committee: keys)
        let applied = try fresh.accept(delivery, work: &work).get()
        #expect(applied.map(\.pairSequence) == [0, 1])

        // Stored counters claiming region 0's first two messages were applied, while the destination sequence
        // says nothing was: the certified pair sequences (0, 1) do not continue from 2.
        var resumed = InboundDelivery(
            chainID: RegionFixture.chainID, region: 1, committee: keys, nextDestinationSequence: 0,
            nextPairSequence: [0: 2])
        let outcome = resumed.accept(delivery, work: &work)
        guard case .failure(let rejection) = outcome else {
            Issue.record("accepted a delivery whose pair sequences do not continue the receiver's: \(outcome)")
            return
        }
        #expect(rejection.code == "inconsistent-sequence")
        #expect(resumed.appliedMessageCount == 0)
        #expect(resumed.nextPairSequence == [0: 2], "a refused delivery changes no counter")
    }
}

import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridWire
import Testing

/// One event, one write: a validator gathers what an event writes (its safety record, the blocks it committed) into
/// one LMDB transaction, so a durable node pays one fsync per event, not one per record.
@Suite struct EventWriteTests {
    let device = KeyPair.derived(masterSeed: 21, label: "node-test/event-writes")

    struct EventShape {
        var events = 0
        var writesMax = 0
        /// Events that committed a block and sent a vote: both records went out in one write.
        var commitsWithVote = 0
        /// Events that committed a block and broadcast the next proposal.
        var commitsWithProposal = 0
    }

    func run(proposeWithinWriteNanos: UInt64) throws -> (EventShape, EmbeddedRuntime) {
        let runtime = try EmbeddedRuntime(proposeWithinWriteNanos: proposeWithinWriteNanos)
        var shape = EventShape()
        runtime.onOutput = { _, output in
            shape.events += 1
            shape.writesMax = max(shape.writesMax, output.durableWrites)
            let committed = output.observations.contains {
                if case .committed = $0 { return true }
                return false
            }
            guard committed else { return }
            let messages = output.sends.compactMap { outgoing -> PeerMessage? in
                do { return try WireCodec.decode(outgoing.frame) } catch {
                    Issue.record("undecodable frame: \(error)")
                    return nil
                }
            }
            if messages.contains(where: { if case .regionConsensus(.vote) = $0 { true } else { false } }) {
                shape.commitsWithVote += 1
            }
            if messages.contains(where: { if case .regionConsensus(.proposal) = $0 { true } else { false } }) {
                shape.commitsWithProposal += 1
            }
        }
        // A light, steady load: one transaction every 3 ms for 0.3 s, so the pipeline always holds work.
        for nonce in UInt64(1)...100 {
            runtime.schedule(
                .client(nonce, runtime.transfer(from: device, nonce: nonce).encoded()),
                to: .validator(region: 0, index: Int(nonce % 4)), afterNanos: nonce * 3_000_000)
        }
        try runtime.run(untilNanos: 800_000_000)
        for id: ClientRequestID in 1...100 {
            guard case .committed = runtime.replies[id] else {
                Issue.record("request \(id): \(String(describing: runtime.replies[id]))")
                continue
            }
        }
        return (shape, runtime)
    }

    @Test func anEventsSafetyRecordAndCommitsShareOneWrite() throws {
        let (shape, _) = try run(proposeWithinWriteNanos: 0)
        #expect(shape.events > 0)
        #expect(shape.writesMax == 1, "an event made \(shape.writesMax) write transactions")
        #expect(shape.commitsWithVote > 0, "no event committed a block and voted")
        // Without the option a busy leader's quarter-interval timer is a separate event.
        #expect(shape.commitsWithProposal == 0)
    }

    @Test func aLeaderWhoseQCCommitsProposesInsideThatWrite() throws {
        let (shape, runtime) = try run(proposeWithinWriteNanos: 5_000_000)
        #expect(shape.writesMax == 1)
        #expect(shape.commitsWithProposal > 0, "no leader proposed inside its commit event")
        // The validators still agree block by block.
        let tips = (0..<4).compactMap { runtime.validator($0)?.committedHeight }
        #expect(tips.count == 4 && tips.allSatisfy { $0 > 0 })
    }
}

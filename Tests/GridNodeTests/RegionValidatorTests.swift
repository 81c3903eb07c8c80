import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridWire
import Testing

/// The node layer driven by the embedded runtime: real encoding on every link, real LMDB stores.
@Suite struct RegionValidatorTests {
    let device = KeyPair.derived(masterSeed: 21, label: "node-test/device")

    @Test func clientTransactionsCommitAndTheGatewayReplies() throws {
        let runtime = try EmbeddedRuntime()
        for nonce in UInt64(1)...5 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 1) }
        try runtime.run(untilNanos: 500_000_000)
        for id: ClientRequestID in 1...5 {
            guard case .committed = runtime.replies[id] else {
                Issue.record("request \(id): \(String(describing: runtime.replies[id]))")
                continue
            }
        }
        // Every validator committed the same blocks and wrote them to its store.
        let heights = (0..<4).compactMap { runtime.validator($0)?.committedHeight }
        #expect(heights.count == 4 && heights.allSatisfy { $0 > 0 })
        let commits = runtime.observations[.validator(region: 0, index: 2)]?.compactMap { observation in
            if case .committed(let block, _) = observation { return block.hash }
            return nil
        }
        let others = runtime.observations[.validator(region: 0, index: 3)]?.compactMap { observation in
            if case .committed(let block, _) = observation { return block.hash }
            return nil
        }
        let shared = min(commits?.count ?? 0, others?.count ?? 0)
        #expect(shared > 0)
        #expect(commits?.prefix(shared) == others?.prefix(shared))
    }

    /// A client's read sees committed state, never the working state of a block not yet committed.
    @Test func clientsReadCommittedStateOnly() throws {
        let runtime = try EmbeddedRuntime()
        for nonce in UInt64(1)...5 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 1) }
        try runtime.run(untilNanos: 500_000_000)
        let recipient = runtime.regionKeys[0].publicKey
        let keys = [TransferContract.balanceKey(device.publicKey), TransferContract.balanceKey(recipient), [0x62]]
        // A sixth transfer arrives just before the read: pooled, not committed, so not visible.
        runtime.submit(runtime.transfer(from: device, nonce: 6), id: 6, to: 2)
        let gateway = NodeAddress.validator(region: 0, index: 2)
        runtime.schedule(
            .clientRead(100, ClientRead(contract: TransferContract.contractName, keys: keys)), to: gateway,
            afterNanos: 0)
        runtime.schedule(
            .clientRead(101, ClientRead(contract: "no_such_contract", keys: [[1]])), to: gateway, afterNanos: 0)
        runtime.schedule(
            .clientRead(102, ClientRead(contract: TransferContract.contractName, keys: keys)),
            to: .validator(region: 0, index: 3), afterNanos: 400_000_000)
        try runtime.run(untilNanos: 1_000_000_000)

        func balances(_ answer: ClientReadAnswer?) -> (height: UInt64, values: [UInt64?])? {
            guard case .values(let height, let values) = answer else { return nil }
            return (height, values.map { $0.map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } })
        }
        let genesis = TransferContract.genesisBalanceMicros
        let early = try #require(balances(runtime.readAnswers[100]), "\(String(describing: runtime.readAnswers[100]))")
        #expect(early.height > 0)
        #expect(early.values == [genesis - 25, genesis + 25, nil])
        #expect(runtime.readAnswers[101] == .rejected("unknown-contract"))
        // Later, once the sixth committed, another validator's committed state has it.
        guard case .committed = runtime.replies[6] else {
            Issue.record("the sixth transfer: \(String(describing: runtime.replies[6]))")
            return
        }
        let late = try #require(balances(runtime.readAnswers[102]))
        #expect(late.height > early.height)
        #expect(late.values == [genesis - 30, genesis + 30, nil])
    }

    @Test func aRestartedValidatorResumesFromItsStoreWithItsContractTables() throws {
        let runtime = try EmbeddedRuntime()
        for nonce in UInt64(1)...3 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 400_000_000)
        let victim = NodeAddress.validator(region: 0, index: 2)
        let before = try #require(runtime.validator(2))
        let heightBefore = before.committedHeight
        let stateBefore = before.app.committedState
        #expect(heightBefore > 0)
        #expect(stateBefore[TransferContract.contractName]?.isEmpty == false)
        runtime.crash(victim)
        try runtime.start(victim, fresh: false)
        let after = try #require(runtime.validator(2))
        // Rebuilt from LMDB alone: the tables were found in the store, not listed by hand.
        #expect(after.committedHeight == heightBefore)
        #expect(after.app.committedState == stateBefore)
        // It keeps up with the others afterwards.
        for nonce in UInt64(4)...6 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 1_500_000_000)
        #expect(after.committedHeight > heightBefore)
        if case .committed = runtime.replies[6] {
        } else {
            Issue.record("request 6: \(String(describing: runtime.replies[6]))")
        }
    }

    @Test func hostileFramesAreCountedAndChangeNothing() throws {
        let runtime = try EmbeddedRuntime()
        try runtime.run(untilNanos: 50_000_000)
        let target = try #require(runtime.validator(1))
        let round = target.replica.currentRound
        let garbage = try target.handle(.frame(from: .validator(region: 0, index: 0), [1, 200, 7, 7]))
        #expect(
            garbage.observations.contains {
                if case .lost(.undecodableFrame) = $0 { return true } else { return false }
            })
        #expect(garbage.sends.isEmpty && garbage.replies.isEmpty)
        // A well-formed message from a sender that may not send it: a committee member sending region gossip.
        let gossip = WireCodec.encode(.gossip([PooledTransaction(runtime.transfer(from: device, nonce: 1))]))
        let unexpected = try target.handle(.frame(from: .member(0), gossip))
        #expect(
            unexpected.observations.contains {
                if case .lost(.unexpectedMessage) = $0 { return true } else { return false }
            })
        #expect(target.replica.currentRound == round)
        #expect(target.mempool.count == 0)
    }

    @Test func sendsAreAddressedAndEncoded() throws {
        let runtime = try EmbeddedRuntime()
        let validator = try #require(runtime.validator(0))
        let output = try validator.handle(.client(9, runtime.transfer(from: device, nonce: 1).encoded()))
        // Admission does not answer yet (the reply comes with the commit); gossip waits for its batch timer.
        #expect(output.replies.isEmpty)
        #expect(output.timers.contains { $0.timer == .region(.gossip) })
        let flush = try validator.handle(.timer(.region(.gossip)))
        let targets = Set(flush.sends.map(\.to))
        #expect(
            targets == [
                .validator(region: 0, index: 1), .validator(region: 0, index: 2), .validator(region: 0, index: 3),
            ])
        for outgoing in flush.sends {
            guard case .gossip(let batch) = try WireCodec.decode(outgoing.frame) else {
                Issue.record("not gossip")
                continue
            }
            #expect(batch.count == 1)
            #expect(!outgoing.urgent, "gossip yields to consensus traffic")
        }
        #expect(flush.work.encodedBytes == flush.sends[0].frame.count, "encoded once for all peers")
    }
}

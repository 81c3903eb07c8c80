import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridRegion
import GridWire
import Testing

/// The global layer's two sides in the node layer: region validators send what they commit, members order it
/// into checkpoints and tell the region, which learns finality; gaps are filled by asking, not by waiting.
@Suite struct GlobalDutiesTests {
    let device = KeyPair.derived(masterSeed: 21, label: "node-test/device")

    static func finalized(_ runtime: EmbeddedRuntime, _ index: Int) -> UInt64 {
        runtime.observations[.validator(region: 0, index: index)]?.reduce(0) { highest, observation in
            if case .finalized(let height) = observation { return max(highest, height) }
            return highest
        } ?? 0
    }

    @Test func checkpointsMakeTheRegionFinal() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4)
        for nonce in UInt64(1)...4 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 1_500_000_000)
        let committed = try #require(runtime.validator(0)).committedHeight
        #expect(committed > 0)
        // Each member tells one validator per height; with 4 members every validator hears at some height.
        for index in 0..<4 {
            let final = Self.finalized(runtime, index)
            #expect(final > 0, "validator \(index) never learned finality")
            #expect(final <= committed)
        }
        let members = (0..<4).compactMap { index -> UInt64? in
            runtime.hosts[.member(index)]?.committedHeight
        }
        #expect(members.count == 4 && members.allSatisfy { $0 > 0 })
    }

    /// A gateway asked for finality notices answers each committed transaction twice: `committed`, then
    /// `.finalized` for the same block once it holds a checkpoint covering it, and not before.
    @Test func aGatewayTellsItsClientsWhenACheckpointMakesTheirBlockFinal() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4, finalityNotices: true)
        var finalAt: [(atNanos: UInt64, height: UInt64)] = []
        runtime.onOutput = { address, output in
            guard address == .validator(region: 0, index: 1) else { return }
            for case .finalized(let height) in output.observations { finalAt.append((runtime.nowNanos, height)) }
        }
        for nonce in UInt64(1)...6 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 1) }
        try runtime.run(untilNanos: 1_500_000_000)
        for id: ClientRequestID in 1...6 {
            let log = runtime.replyLog[id] ?? []
            guard log.count == 2, case .committed(let height) = log[0].reply,
                case .finalized(let finalHeight) = log[1].reply
            else {
                Issue.record("request \(id): \(log.map(\.reply))")
                continue
            }
            #expect(finalHeight == height)
            // The notice leaves with the first checkpoint that covers the block (or with the commit, had the
            // checkpoint come first), not earlier.
            let covering = try #require(finalAt.first { $0.height >= height })
            #expect(log[1].atNanos == max(covering.atNanos, log[0].atNanos), "request \(id): \(log), \(covering)")
        }
        // Without the option, one reply per transaction, as the simulator's gateways give.
        let plain = try EmbeddedRuntime(validators: 4, members: 4)
        plain.submit(plain.transfer(from: device, nonce: 1), id: 1, to: 1)
        try plain.run(untilNanos: 1_500_000_000)
        #expect(plain.replyLog[1]?.count == 1)
        #expect(Self.finalized(plain, 1) > 0)
    }

    @Test func aValidatorThatMissedCheckpointsAsksForThem() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4)
        // Validator 3 hears nothing from the committee for the first second.
        runtime.isCut = { from, to in
            if case .member = from, to == .validator(region: 0, index: 3) { return runtime.nowNanos < 1_000_000_000 }
            return false
        }
        for nonce in UInt64(1)...4 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 2_500_000_000)
        let asked = runtime.observations[.validator(region: 0, index: 3)]?.contains {
            if case .checkpointRequested = $0 { return true }
            return false
        }
        #expect(asked == true, "the gap must be asked for")
        #expect(Self.finalized(runtime, 3) >= Self.finalized(runtime, 0) - 2)
        #expect(Self.finalized(runtime, 3) > 0)
    }

    /// A validator cut off from the committee for longer than the members keep checkpoints in memory gets the old
    /// ones rebuilt from the members' checkpoint stores, and catches up with its peers.
    @Test func aValidatorAwayLongerThanTheMemoryWindowCatchesUpFromTheStore() throws {
        let window = 4
        let runtime = try EmbeddedRuntime(validators: 4, members: 4, recentCheckpointsMax: window)
        runtime.isCut = { from, to in
            if case .member = from, to == .validator(region: 0, index: 3) { return runtime.nowNanos < 1_000_000_000 }
            return false
        }
        for nonce in UInt64(1)...4 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 1_000_000_000)
        let member = try #require(runtime.hosts[.member(0)] as? CommitteeMember)
        // The gap must reach past the window, else this would test the in-memory path.
        #expect(member.committedHeight > UInt64(4 * window), "only \(member.committedHeight) checkpoints")
        #expect(Self.finalized(runtime, 3) == 0)
        try runtime.run(untilNanos: 3_000_000_000)
        #expect(Self.finalized(runtime, 3) > 0, "the old checkpoints were never served")
        #expect(Self.finalized(runtime, 3) + 2 >= Self.finalized(runtime, 0))
        let storeFailures = runtime.observations.values.joined().filter {
            if case .lost(.storeReadFailed) = $0 { return true }
            return false
        }
        #expect(storeFailures.isEmpty)
    }

    /// Every validator of the region commits blocks while the committee is unreachable, then all of them crash and
    /// restart from their stores at once: the entries nobody sent are rebuilt from the chain, and every committed
    /// block ends up in a checkpoint exactly once.
    @Test func entriesUnsentWhenTheWholeRegionCrashesAreRebuiltFromTheChain() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4)
        var committeeReachable = false
        runtime.isCut = { from, to in
            switch (from, to) {
            case (.member, .validator), (.validator, .member): return !committeeReachable
            default: return false
            }
        }
        for nonce in UInt64(1)...4 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 1_000_000_000)
        let committedBeforeCrash = try #require(runtime.validator(0)).committedHeight
        #expect(committedBeforeCrash > 0)
        let finalizedBeforeCrash = (runtime.observations[.member(0)] ?? []).contains {
            if case .checkpointCommitted(_, _, let output) = $0 { return !output.finalized.isEmpty }
            return false
        }
        #expect(!finalizedBeforeCrash, "the committee saw no entry yet")
        for index in 0..<4 { runtime.crash(.validator(region: 0, index: index)) }
        for index in 0..<4 { try runtime.start(.validator(region: 0, index: index), fresh: false) }
        committeeReachable = true
        try runtime.run(untilNanos: 4_000_000_000)
        for member in 0..<4 {
            var heights: [UInt64] = []
            for observation in runtime.observations[.member(member)] ?? [] {
                guard case .checkpointCommitted(_, _, let output) = observation else { continue }
                heights += output.finalized.filter { $0.region == 0 }.map(\.height)
            }
            #expect(heights.count >= Int(committedBeforeCrash), "member \(member) finalized \(heights.count) blocks")
            #expect(heights == Array(1...UInt64(max(1, heights.count))), "each block once, in order (member \(member))")
        }
        #expect(Self.finalized(runtime, 0) >= committedBeforeCrash)
        let losses = runtime.observations.values.joined().filter {
            if case .lost(.storeReadFailed) = $0 { return true }
            return false
        }
        #expect(losses.isEmpty)
    }

    /// A checkpoint ordering 300 messages for the region: its delivery is far over the relay's 2 KiB argument
    /// bound, so the validators relay it in parts; every message is applied exactly once on every validator and
    /// nothing is counted as too large.
    @Test func aDeliveryOverTheArgumentBoundIsRelayedInPartsAndAppliedOnce() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4)
        // Real checkpoints never reach the region: the one below stands in for checkpoint 1.
        runtime.isCut = { from, _ in
            if case .member = from { return true }
            return false
        }
        let count = 300
        let messages = (0..<count).map { (index: Int) -> CrossRegionMessage in
            CrossRegionMessage(
                sourceRegion: 1, sourceHeight: UInt64(index / 100 + 1), outboxIndex: UInt32(index % 100),
                destinationSequence: UInt64(index), pairSequence: UInt64(index),
                message: OutboxMessage(
                    destinationRegion: 0, contract: "nothing.here", method: "note", payload: Array("m\(index)".utf8)))
        }
        // Leaves of another region's messages in between, as a checkpoint with several destinations has.
        let others = (0..<50).map { (index: Int) -> Hash256 in Hash256.blake2b(Array("other \(index)".utf8)) }
        let leaves: [Hash256] = messages.map { $0.hash } + others
        let genesis = try #require(runtime.globalGenesis)
        let header = BlockHeader(
            chainID: EmbeddedRuntime.chainID, region: GlobalConfiguration.globalRegion, height: 1, view: 1,
            parentHash: genesis.hash, transactionsRoot: Merkle.emptyRoot, stateRoot: .zero,
            receiptsRoot: Merkle.emptyRoot, outboxRoot: Merkle.root(of: leaves),
            proposer: runtime.memberKeys[1].publicKey)
        let data = VoteData(
            chainID: header.chainID, region: header.region, height: 1, view: 1, blockHash: header.hash)
        let certificate = QuorumCertificate(
            data: data,
            votes: (0..<3).map {
                CertificateVote(validatorIndex: UInt16($0), signature: runtime.memberKeys[$0].sign(data.signingBytes()))
            })
        let delivery = CheckpointDelivery(
            destination: 0, header: header, certificate: certificate, messageLeaves: leaves, messages: messages)
        #expect(delivery.wireBytes > 2048)
        let notice = CheckpointNotice(header: header, certificate: certificate, finalizedHeight: 0, delivery: delivery)
        let frame = WireCodec.encode(.checkpoint(notice, forwarded: false))
        for index in 0..<4 {
            runtime.schedule(
                .frame(from: .member(index), frame), to: .validator(region: 0, index: index),
                afterNanos: 100_000_000)
        }
        try runtime.run(untilNanos: 3_000_000_000)
        for index in 0..<4 {
            let validator = try #require(runtime.validator(index))
            let inbound = validator.app.committedState[InboundContract.contractName] ?? [:]
            #expect(InboundContract.committedNextSequence(inbound) == UInt64(count), "validator \(index)")
            let observations = runtime.observations[.validator(region: 0, index: index)] ?? []
            let lost = observations.compactMap { observation -> NodeLoss? in
                if case .lost(let loss) = observation { return loss }
                return nil
            }
            #expect(!lost.contains(.deliveryTooLarge), "validator \(index): \(lost)")
            // What a live node counts from its commits: every message once, with where it came from; the calls
            // to a contract the region does not run all fail.
            var figures: [RegionBlockGlobalFigures] = []
            for case .committed(let block, let output) in observations {
                figures.append(RegionBlockGlobalFigures(block: block, output: output))
            }
            #expect(figures.reduce(0) { $0 + $1.messagesApplied } == UInt64(count))
            #expect(figures.reduce(0) { $0 + $1.callsFailed } == UInt64(count))
            let applied = figures.flatMap(\.applied)
            #expect(applied.map(\.destinationSequence) == (0..<UInt64(count)).map { $0 })
            #expect(applied.allSatisfy { $0.sourceRegion == 1 && $0.sourceHeight == $0.destinationSequence / 100 + 1 })
        }
        // Validator 1 relays checkpoint 1 (its turn), in more than one part.
        let relays = (runtime.observations[.validator(region: 0, index: 1)] ?? []).filter {
            if case .relaySent = $0 { return true }
            return false
        }
        #expect(relays.count > 1)
    }

    @Test func aMemberRestartsFromItsCheckpointStore() throws {
        let runtime = try EmbeddedRuntime(validators: 4, members: 4)
        for nonce in UInt64(1)...4 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 0) }
        try runtime.run(untilNanos: 1_000_000_000)
        let before = try #require(runtime.hosts[.member(2)] as? CommitteeMember)
        let height = before.committedHeight
        #expect(height > 0)
        runtime.crash(.member(2))
        try runtime.start(.member(2), fresh: false)
        let after = try #require(runtime.hosts[.member(2)] as? CommitteeMember)
        #expect(after.committedHeight == height)
        for nonce in UInt64(5)...8 { runtime.submit(runtime.transfer(from: device, nonce: nonce), id: nonce, to: 1) }
        try runtime.run(untilNanos: 3_000_000_000)
        #expect(after.committedHeight > height)
    }
}

import Foundation
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridWire
import Testing

@testable import GridLive

/// Four live validators of one region in this process, on loopback with real LMDB stores.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LiveNodeClusterTests {
    static let devices = (0..<20).map { KeyPair.derived(masterSeed: 31, label: "live-test/device/\($0)") }

    /// `count` transfers from 20 devices, nonces from `firstNonce`, request ids from `firstID`.
    static func submit(
        _ count: Int, through client: TestClient, cluster: LiveCluster, firstNonce: UInt64 = 1, firstID: UInt64 = 1
    ) async throws {
        for index in 0..<count {
            let device = devices[index % devices.count]
            let nonce = firstNonce + UInt64(index / devices.count)
            try await client.submit(
                cluster.transfer(from: device, nonce: nonce), requestID: firstID + UInt64(index))
        }
    }

    static func allCommitted(_ client: TestClient, ids: ClosedRange<UInt64>) -> Bool {
        let replies = client.replies
        return ids.allSatisfy { if case .committed = replies[$0] { true } else { false } }
    }

    /// The highest height any reply named as its transaction's commit; 0 before the first.
    static func highestCommittedHeight(_ replies: [UInt64: ClientReply]) -> UInt64 {
        replies.values.compactMap { reply -> UInt64? in
            if case .committed(let height) = reply { return height }
            return nil
        }.max() ?? 0
    }

    @Test func clientTransactionsCommitOnEveryStore() async throws {
        try await withCluster { cluster in
            let client = try await TestClient(port: cluster.ports[1])
            try await Self.submit(200, through: client, cluster: cluster)
            let answered = await eventually(within: 15) { client.replies.count == 200 }
            let replies = client.replies
            #expect(answered, "\(replies.count) of 200 answered")
            let notCommitted = replies.filter { if case .committed = $0.value { false } else { true } }
            #expect(notCommitted.isEmpty, "not committed: \(notCommitted.prefix(5))")
            let replyHeight = Self.highestCommittedHeight(replies)
            #expect(replyHeight > 0)

            // Every node commits the same chain; the chain goes quiet once nothing is left to commit.
            #expect(
                await cluster.allReach(replyHeight, within: 5),
                "\(cluster.nodes.values.map(\.metrics.committedHeight))")
            let metrics = try #require(cluster.nodes[1]?.metrics)
            #expect(metrics.committedTransactions == 200)
            #expect(metrics.clientSubmissions == 200)
            #expect(metrics.clientReplies["committed"] == 200)
            #expect(metrics.clientReads == 0)
            #expect(metrics.framesSent > 0 && metrics.framesReceived > 0 && metrics.bytesSent > 0)
            #expect(metrics.peersConnected == 3)
            #expect(metrics.storeSyncs > 0)
            #expect(metrics.cpuSeconds > 0 && metrics.residentBytes > 0)
            #expect(metrics.handshakeRefusals.isEmpty)

            // A client reads committed state over the same connection: 10 transfers of 5 from each device, 200 of 5
            // to the recipient; an unknown contract is refused by name.
            let recipient = cluster.keys[0].publicKey
            let keys = [TransferContract.balanceKey(Self.devices[3].publicKey), TransferContract.balanceKey(recipient)]
            try await client.read(contract: TransferContract.contractName, keys: keys, requestID: 1_000)
            try await client.read(contract: "no_such_contract", keys: keys, requestID: 1_001)
            #expect(await eventually(within: 5) { client.values[1_000] != nil && client.replies[1_001] != nil })
            let read = try #require(client.values[1_000])
            let balances = read.values.map { $0.map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } }
            let genesis = TransferContract.genesisBalanceMicros
            #expect(balances == [genesis - 50, genesis + 1_000])
            #expect(read.height >= replyHeight)
            #expect(client.replies[1_001] == .rejected(reason: "unknown-contract"))
            await client.connection.close()
            // While running, the metrics file is rewritten periodically (the first time at start).
            let file = cluster.directory.appendingPathComponent("metrics-1.json")
            let running = try JSONDecoder().decode(LiveNodeMetrics.self, from: Data(contentsOf: file))
            #expect(running.node == "r0/v1")
            // The gateway wrote its replies in batches, and (where the kernel keeps scheduler statistics) the
            // event-loop threads' CPU and wake-ups are there for `calibrate --from-live`.
            let gateway = try #require(cluster.nodes[1]?.metrics)
            #expect((gateway.clientWrites ?? 0) > 0 && (gateway.clientWrites ?? 0) <= 200 + 2)
            if FileManager.default.fileExists(atPath: "/proc/self/schedstat") {
                #expect((gateway.eventLoopCPUSeconds ?? 0) > 0 && (gateway.eventLoopRuns ?? 0) > 0)
                #expect((gateway.eventLoopCPUSeconds ?? 0) <= gateway.cpuSeconds + 0.05)
            }
            // The gateway checked every submission's signature (and votes and certificates) through its metered
            // verifier, which took part of its CPU.
            #expect((gateway.verifications ?? 0) >= 200)
            let verificationSeconds = try #require(gateway.verificationCPUSeconds)
            #expect(verificationSeconds > 0 && verificationSeconds <= gateway.cpuSeconds)

            await cluster.stopAll()
            try cluster.expectStoresAgree(upTo: replyHeight)

            // The metrics file was written again at shutdown, with the final figures.
            let written = try JSONDecoder().decode(LiveNodeMetrics.self, from: Data(contentsOf: file))
            #expect(written.committedTransactions == 200)
            #expect(written.node == "r0/v1")
            // The node layer's own account of its work, which `calibrate --from-live` prices: every committed
            // transaction executed (at least once), the store written, every input counted.
            #expect(written.work.contractCalls >= 200)
            #expect(written.work.storeCommits > 0 && written.work.storeCommitBytes > 0)
            #expect(written.work.inputs == written.inputsHandled)
            #expect(written.work.signatureVerifications + written.work.batchedSignatureVerifications >= 200)
        }
    }

    @Test func aStoppedValidatorRestartsFromItsStoreAndCatchesUp() async throws {
        try await withCluster { cluster in
            let client = try await TestClient(port: cluster.ports[0])
            try await Self.submit(20, through: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.allCommitted(client, ids: 1...20) })
            // Node 3 may trail the quorum that answered the client; let it commit something first.
            #expect(await eventually(within: 10) { (cluster.nodes[3]?.metrics.committedHeight ?? 0) > 0 })

            try await cluster.cancel(3)
            let heightAtStop = try #require(try cluster.storeHeight(3))
            #expect(heightAtStop > 0)
            // Three of four still make a quorum.
            try await Self.submit(40, through: client, cluster: cluster, firstNonce: 2, firstID: 21)
            #expect(await eventually(within: 10) { Self.allCommitted(client, ids: 21...60) })
            let leaderHeight = try #require(cluster.nodes[0]?.metrics.committedHeight)
            #expect(leaderHeight > heightAtStop)

            try cluster.start(3, fresh: false)
            // New work makes the restarted node learn it is behind and sync.
            try await Self.submit(20, through: client, cluster: cluster, firstNonce: 4, firstID: 61)
            #expect(await eventually(within: 10) { Self.allCommitted(client, ids: 61...80) })
            let replyHeight = Self.highestCommittedHeight(client.replies)
            #expect(replyHeight > leaderHeight)
            #expect(
                await cluster.allReach(replyHeight, within: 10),
                "\(cluster.nodes.map { ($0.key, $0.value.metrics.committedHeight) })")
            await client.connection.close()
            await cluster.stopAll()
            try cluster.expectStoresAgree(upTo: replyHeight)
        }
    }

    /// A peer that proves itself on a connection it dialed is dialed back at once, whatever the back-off: with a
    /// 30 s back-off, nodes that started before their peers listened, and the peers of a restarted validator, would
    /// otherwise not send to it for 30 s (and a restarted validator's sync answers would be dropped until then).
    @Test func peersDialARestartedValidatorBackAtOnce() async throws {
        try await withCluster(
            setUp: { cluster in
                cluster.customize = { _, options in
                    options.reconnectDelayMillisMin = 30_000
                    options.reconnectDelayMillisMax = 30_000
                }
            }
        ) { cluster in
            func connected() -> [Int] { (0..<4).map { cluster.nodes[$0]?.metrics.peersConnected ?? -1 } }
            #expect(await eventually(within: 10) { connected() == [3, 3, 3, 3] }, "\(connected())")
            try await cluster.cancel(3)
            #expect(await eventually(within: 10) { connected().prefix(3) == [2, 2, 2] }, "\(connected())")
            try cluster.start(3, fresh: false)
            #expect(await eventually(within: 10) { connected() == [3, 3, 3, 3] }, "\(connected())")
            let client = try await TestClient(port: cluster.ports[0])
            try await Self.submit(20, through: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.allCommitted(client, ids: 1...20) })
            let replyHeight = Self.highestCommittedHeight(client.replies)
            #expect(await cluster.allReach(replyHeight, within: 10))
            await client.connection.close()
            await cluster.stopAll()
        }
    }

    @Test func aCommitteeOrdersTheRegionIntoCheckpointsAndTheRegionLearnsFinality() async throws {
        try await withCluster(validators: 4, members: 4) { cluster in
            let client = try await TestClient(port: cluster.ports[0])
            try await Self.submit(20, through: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.allCommitted(client, ids: 1...20) }, "\(client.replies)")
            let members = (4..<8).compactMap { cluster.nodes[$0] }
            let validators = (0..<4).compactMap { cluster.nodes[$0] }
            #expect(
                await eventually(within: 10) { members.allSatisfy { $0.metrics.checkpointsCommitted > 0 } },
                "\(members.map(\.metrics.checkpointsCommitted))")
            #expect(
                await eventually(within: 10) { validators.allSatisfy { $0.metrics.finalizedHeight > 0 } },
                "\(validators.map(\.metrics.finalizedHeight))")
            // Members and validators reached each other through handshakes under their own identities.
            #expect(members.allSatisfy { $0.metrics.peersConnected == 7 })
            #expect(
                (members + validators).allSatisfy { $0.metrics.handshakeRefusals.isEmpty },
                "\((members + validators).map(\.metrics.handshakeRefusals))")
            await client.connection.close()
        }
    }
}

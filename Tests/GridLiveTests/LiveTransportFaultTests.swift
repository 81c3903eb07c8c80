import Foundation
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridTopology
import GridWire
import Testing

@testable import GridLive

/// Faults applied in the transport (partitions through the control file, loss), the link model's latency, the
/// Prometheus endpoint, and a failing store.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LiveTransportFaultTests {
    static func submit(
        _ nonces: ClosedRange<UInt64>, device: KeyPair, idBase: UInt64, to client: TestClient, cluster: LiveCluster
    ) async throws {
        for nonce in nonces {
            try await client.submit(cluster.transfer(from: device, nonce: nonce), requestID: idBase + nonce)
        }
    }

    static func committed(_ client: TestClient, ids: [UInt64]) -> Bool {
        let replies = client.replies
        return ids.allSatisfy { if case .committed = replies[$0] { true } else { false } }
    }

    @Test func theControlFileCutsANodeOffAndHealsIt() async throws {
        let device = KeyPair.derived(masterSeed: 31, label: "live-test/partition-device")
        var controlPath = ""
        try await withCluster(setUp: { cluster in
            controlPath = cluster.directory.appendingPathComponent("control-0.jsonl").path
            _ = FileManager.default.createFile(atPath: controlPath, contents: nil)
            cluster.customize = { index, options in
                if index == 0 {
                    options.controlFile = controlPath
                    options.controlPollMillis = 20
                }
            }
        }) { cluster in
            let node0 = try #require(cluster.nodes[0])
            let client = try await TestClient(port: cluster.ports[1])
            let control = try FileHandle(forWritingTo: URL(fileURLWithPath: controlPath))
            defer { try? control.close() }

            let cut = LiveControlCommand(partition: ["r0/v1", "r0/v2", "r0/v3"])
            try control.write(contentsOf: Data(cut.line().utf8))
            // A deadline for the event, not a speed claim: under the whole suite on 2 cores the cut-off node's
            // timeouts (all it sends) came too slowly for 2 s once (CI of 2026-12-05), though alone it takes well
            // under one.
            #expect(await eventually(within: 10) { node0.metrics.dropped(.partition) > 10 })
            // The three others still make a quorum.
            try await Self.submit(1...10, device: device, idBase: 0, to: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.committed(client, ids: Array(1...10)) }, "\(client.replies)")
            let isolatedHeight = node0.metrics.committedHeight
            let othersHeight = try #require(cluster.nodes[1]?.metrics.committedHeight)
            #expect(isolatedHeight < othersHeight)

            try control.write(contentsOf: Data(LiveControlCommand(heal: true).line().utf8))
            // Healed, node 0 catches up and gateways again.
            let client0 = try await TestClient(port: cluster.ports[0])
            try await Self.submit(11...20, device: device, idBase: 0, to: client0, cluster: cluster)
            #expect(await eventually(within: 10) { Self.committed(client0, ids: Array(11...20)) }, "\(client0.replies)")
            #expect(await eventually(within: 5) { node0.metrics.committedHeight >= othersHeight })
            await client.connection.close()
            await client0.connection.close()
        }
    }

    @Test func linkLossDropsAndCountsFrames() async throws {
        try await withCluster { cluster in
            let node0 = try #require(cluster.nodes[0])
            node0.setExtraLoss(rate: 1)
            #expect(await eventually(within: 10) { node0.metrics.dropped(.linkLoss) > 5 })
            node0.setExtraLoss(rate: 0)
            let client = try await TestClient(port: cluster.ports[0])
            let device = KeyPair.derived(masterSeed: 31, label: "live-test/loss-device")
            try await Self.submit(1...5, device: device, idBase: 0, to: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.committed(client, ids: Array(1...5)) }, "\(client.replies)")
            await client.connection.close()
        }
    }

    @Test func linkLatencyHoldsFramesAndPrometheusServesTheFigures() async throws {
        let latency = Topology.Link(latencyMillis: 25, jitterMillis: 5, bandwidthMbps: 100)
        try await withCluster(
            link: latency,
            setUp: { cluster in
                cluster.customize = { index, options in if index == 0 { options.metricsPort = 0 } }
            }
        ) { cluster in
            let client = try await TestClient(port: cluster.ports[0])
            let device = KeyPair.derived(masterSeed: 31, label: "live-test/latency-device")
            let started = Date()
            try await Self.submit(1...10, device: device, idBase: 0, to: client, cluster: cluster)
            #expect(await eventually(within: 10) { Self.committed(client, ids: Array(1...10)) }, "\(client.replies)")
            // A commit needs at least a proposal and the votes on it: two one-way trips of 25 ms or more.
            #expect(Date().timeIntervalSince(started) >= 0.05)

            let node0 = try #require(cluster.nodes[0])
            let port = try #require(node0.metricsBoundPort)
            let scrape = try await httpGet(port: port, path: "/metrics")
            #expect(scrape.hasPrefix("HTTP/1.1 200 OK"), "\(scrape.prefix(200))")
            #expect(scrape.contains("gridlive_committed_blocks_total"))
            #expect(scrape.contains("gridlive_sent_frames_total"))
            let missing = try await httpGet(port: port, path: "/other")
            #expect(missing.hasPrefix("HTTP/1.1 404"))
            await client.connection.close()
        }
    }

    @Test func aFailingStoreStopsTheNodeNamingItAndTheOperation() async throws {
        var failing: FailingStore?
        try await withCluster(setUp: { cluster in
            cluster.wrapStore = { index, store in
                guard index == 3 else { return store }
                let wrapper = FailingStore(store)
                failing = wrapper
                return wrapper
            }
        }) { cluster in
            let store = try #require(failing)
            store.failCommits.withLock { $0 = true }
            let client = try await TestClient(port: cluster.ports[0])
            let device = KeyPair.derived(masterSeed: 31, label: "live-test/failing-device")
            try await Self.submit(1...5, device: device, idBase: 0, to: client, cluster: cluster)
            let run = try #require(cluster.run(3))
            do {
                try await run.value
                Issue.record("node 3 kept running")
            } catch let error as LiveNodeError {
                guard case .storeFailed(let node, let description) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(node == .validator(region: 0, index: 3))
                #expect(description.contains("commit block"), "\(description)")
                #expect("\(error)".contains("r0/v3"))
            }
            // The other three go on.
            #expect(await eventually(within: 10) { Self.committed(client, ids: Array(1...5)) }, "\(client.replies)")
            await client.connection.close()
        }
    }

    @Test func aFullOutgoingQueueDropsAndCounts() async throws {
        // Node 0 may hold 200 bytes per peer: a gossip batch of signed transactions never fits.
        try await withCluster(setUp: { cluster in
            cluster.customize = { index, options in if index == 0 { options.outgoingBytesMax = 200 } }
        }) { cluster in
            let node0 = try #require(cluster.nodes[0])
            let client = try await TestClient(port: cluster.ports[0])
            let device = KeyPair.derived(masterSeed: 31, label: "live-test/queue-device")
            try await Self.submit(1...10, device: device, idBase: 0, to: client, cluster: cluster)
            #expect(
                await eventually(within: 5) { node0.metrics.dropped(.queueFull) > 0 }, "\(node0.metrics.framesDropped)")
            await client.connection.close()
        }
    }

    @Test func aFullInboxAnswersClientsBusy() async throws {
        try await withCluster(setUp: { cluster in
            cluster.customize = { index, options in if index == 0 { options.inboxEventsMax = 1 } }
        }) { cluster in
            let node0 = try #require(cluster.nodes[0])
            let client = try await TestClient(port: cluster.ports[0])
            let devices = (0..<20).map { KeyPair.derived(masterSeed: 31, label: "live-test/busy-device/\($0)") }
            // One burst: the event loop queues submissions faster than the consensus thread verifies them.
            let frames = (0..<200).map { index in
                let transaction = cluster.transfer(from: devices[index % 20], nonce: UInt64(1 + index / 20))
                return WireCodec.encode(
                    ClientMessage.submit(requestID: UInt64(index + 1), transaction: transaction.encoded()))
            }
            var burst = client.connection.channel.allocator.buffer(capacity: 200 * 300)
            for frame in frames {
                burst.writeInteger(UInt32(frame.count), endianness: .big)
                burst.writeBytes(frame)
            }
            try await client.connection.channel.writeAndFlush(burst)
            #expect(await eventually(within: 10) { client.replies.count == 200 }, "\(client.replies.count) answered")
            let replies = client.replies.values
            let busy = replies.filter { $0 == .busy }.count
            let committed = replies.filter { if case .committed = $0 { true } else { false } }.count
            #expect(busy > 0 && committed > 0 && busy + committed == 200, "busy \(busy), committed \(committed)")
            // Peer frames that found the inbox full count here as well.
            #expect(node0.metrics.inboxOverflows >= UInt64(busy))
            #expect(node0.metrics.clientReplies["busy"] == UInt64(busy))
            await client.connection.close()
        }
    }
}

import Foundation
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridWire
import NIOCore
import NIOPosix
import Testing

@testable import GridLive

/// Connections that lie, babble or overreach: each is refused and counted under its reason, and the node keeps
/// committing.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LiveTransportHostileTests {
    /// Opens a connection to node 0, lets `attack` misbehave on it, and checks the node closed it and counted
    /// `reason` once more.
    static func expectRefused(
        _ reason: HandshakeRefusalReason, cluster: LiveCluster,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ attack: (RawConnection) async throws -> Void
    ) async throws {
        let node = try #require(cluster.nodes[0], sourceLocation: sourceLocation)
        let before = node.metrics.refused(reason)
        let connection = try await RawConnection(port: cluster.ports[0])
        try await attack(connection)
        #expect(await connection.closedByNode(), "\(reason.rawValue): not closed", sourceLocation: sourceLocation)
        #expect(
            await eventually(within: 5) { node.metrics.refused(reason) == before + 1 },
            "\(reason.rawValue): \(node.metrics.handshakeRefusals)", sourceLocation: sourceLocation)
        await connection.close()
    }

    static func gossipFrame(_ cluster: LiveCluster) -> [UInt8] {
        let device = KeyPair.derived(masterSeed: 31, label: "live-test/hostile-device")
        return WireCodec.encode(.gossip([PooledTransaction(cluster.transfer(from: device, nonce: 1))]))
    }

    @Test func hostileConnectionsAreRefusedAndCountedAndTheNodeKeepsWorking() async throws {
        try await withCluster { cluster in
            let chainID = LiveCluster.chainID
            let impostor = KeyPair.derived(masterSeed: 99, label: "live-test/impostor")
            let validator1 = cluster.keys[1]
            let identity1 = NodeIdentity.validator(region: 0, index: 1)

            // Bytes that are no message at all.
            try await Self.expectRefused(.undecodable, cluster: cluster) {
                try await $0.sendFrame([0xDE, 0xAD, 0xBE, 0xEF])
            }
            // A length prefix far over `frameBytesMax`: refused on the prefix, before any body arrives.
            try await Self.expectRefused(.oversized, cluster: cluster) {
                try await $0.sendRaw([0x7F, 0xFF, 0xFF, 0xFF, 1])
            }
            // A well-formed peer message where the hello should be.
            try await Self.expectRefused(.notHello, cluster: cluster) {
                try await $0.sendFrame(Self.gossipFrame(cluster))
            }
            // Another chain.
            try await Self.expectRefused(.wrongChain, cluster: cluster) {
                try await $0.send(
                    .hello(
                        Hello(
                            chainID: chainID + 1, identity: identity1, publicKey: validator1.publicKey,
                            challenge: .random())))
            }
            // A validator's identity with a key that is not its genesis key; an identity outside the deployment.
            try await Self.expectRefused(.unknownKey, cluster: cluster) {
                try await $0.send(
                    .hello(
                        Hello(
                            chainID: chainID, identity: identity1, publicKey: impostor.publicKey, challenge: .random()))
                )
            }
            try await Self.expectRefused(.unknownKey, cluster: cluster) {
                try await $0.send(
                    .hello(
                        Hello(
                            chainID: chainID, identity: .validator(region: 0, index: 9), publicKey: impostor.publicKey,
                            challenge: .random())))
            }
            // The right key claimed, but the proof is signed by another key.
            try await Self.expectRefused(.badProof, cluster: cluster) { connection in
                let hello = try #require(await connection.nodeHello())
                try await connection.send(
                    .hello(
                        Hello(
                            chainID: chainID, identity: identity1, publicKey: validator1.publicKey, challenge: .random()
                        )))
                let forged = HelloProof.make(
                    key: impostor, chainID: chainID, peerChallenge: hello.challenge, identity: identity1)
                try await connection.send(.helloProof(forged))
            }
            // The right key, and a proof replayed from another challenge (as if from another connection).
            try await Self.expectRefused(.badProof, cluster: cluster) { connection in
                _ = try #require(await connection.nodeHello())
                try await connection.send(
                    .hello(
                        Hello(
                            chainID: chainID, identity: identity1, publicKey: validator1.publicKey, challenge: .random()
                        )))
                let replayed = HelloProof.make(
                    key: validator1, chainID: chainID, peerChallenge: .random(), identity: identity1)
                try await connection.send(.helloProof(replayed))
            }
            // The right key, then a peer message before any proof.
            try await Self.expectRefused(.messageBeforeProof, cluster: cluster) { connection in
                try await connection.send(
                    .hello(
                        Hello(
                            chainID: chainID, identity: identity1, publicKey: validator1.publicKey, challenge: .random()
                        )))
                try await connection.sendFrame(Self.gossipFrame(cluster))
            }
            // A client that sends a reply instead of a submission.
            try await Self.expectRefused(.clientProtocol, cluster: cluster) { connection in
                try await connection.send(
                    .hello(
                        Hello(chainID: chainID, identity: .client, publicKey: impostor.publicKey, challenge: .random()))
                )
                try await connection.sendFrame(WireCodec.encode(ClientMessage.reply(requestID: 1, .busy)))
            }

            let node = try #require(cluster.nodes[0])
            let metrics = node.metrics
            #expect(metrics.dropped(.oversized) == 1)
            #expect(metrics.dropped(.undecodable) == 1)
            #expect(metrics.refused(.unknownKey) == 2 && metrics.refused(.badProof) == 2)
            // None of it reached the node: no undecodable frames or rejections from the hostile connections.
            #expect(metrics.losses.isEmpty, "\(metrics.losses)")

            // The node keeps its peers and keeps committing.
            #expect(metrics.peersConnected == 3)
            let client = try await TestClient(port: cluster.ports[0])
            let device = KeyPair.derived(masterSeed: 31, label: "live-test/after-attack")
            for nonce in UInt64(1)...10 {
                try await client.submit(cluster.transfer(from: device, nonce: nonce), requestID: nonce)
            }
            let committed = await eventually(within: 10) {
                let replies = client.replies
                return (1...10).allSatisfy { if case .committed = replies[UInt64($0)] { true } else { false } }
            }
            #expect(committed, "\(client.replies)")
            await client.connection.close()
        }
    }

    @Test func aClientFrameThatDoesNotDecodeClosesOnlyThatConnection() async throws {
        try await withCluster { cluster in
            let node = try #require(cluster.nodes[2])
            let client = try await TestClient(port: cluster.ports[2])
            // Let the hello land first, so the garbage is read as a client frame.
            _ = await client.connection.nodeHello()
            try await Task.sleep(for: .milliseconds(50))
            try await client.connection.sendFrame([1, 2, 3])
            #expect(await client.connection.closedByNode())
            #expect(node.metrics.dropped(.undecodable) == 1)
            #expect(node.metrics.handshakeRefusals.isEmpty)
        }
    }

    @Test func aConnectionThatNeverSaysHelloIsClosedAfterTheHandshakeTimeout() async throws {
        try await withCluster(setUp: { cluster in
            cluster.customize = { _, options in options.handshakeTimeoutMillis = 200 }
        }) { cluster in
            try await Self.expectRefused(.timeout, cluster: cluster) { connection in
                // Its hello, then silence where the proof should come.
                try await connection.send(
                    .hello(
                        Hello(
                            chainID: LiveCluster.chainID, identity: .validator(region: 0, index: 1),
                            publicKey: cluster.keys[1].publicKey, challenge: .random())))
            }
            try await Self.expectRefused(.timeout, cluster: cluster) { _ in }
            // Handshakes that finish in time are not touched by the timer.
            let node = try #require(cluster.nodes[0])
            try await Task.sleep(for: .milliseconds(300))
            #expect(node.metrics.peersConnected == 3)
            #expect(node.metrics.refused(.timeout) == 2)
        }
    }

    @Test func aDialedPeerThatAnswersAsAnotherNodeIsRefused() async throws {
        let cluster = try await LiveCluster()
        // Where validator 1 should listen, an impostor answers as validator 2, with validator 2's real key and a
        // proof that verifies: only the identity is wrong.
        let impostor = try await ImpostorServer(
            port: cluster.ports[1], identity: .validator(region: 0, index: 2), key: cluster.keys[2])
        for index in [0, 2, 3] { try cluster.start(index, fresh: true) }
        do {
            let node = try #require(cluster.nodes[0])
            #expect(
                await eventually(within: 10) { node.metrics.refused(.wrongIdentity) > 0 },
                "\(node.metrics.handshakeRefusals)")
            // Validator 1 is never counted as connected.
            #expect(await eventually(within: 10) { node.metrics.peersConnected == 2 })
            try await Task.sleep(for: .milliseconds(200))
            #expect(node.metrics.peersConnected == 2)
        } catch {
            await cluster.stopAll()
            await impostor.close()
            throw error
        }
        await cluster.stopAll()
        await impostor.close()
    }
}

/// A listener that completes the handshake as `identity`, whoever dialed it.
final class ImpostorServer: Sendable {
    let channel: any Channel

    init(port: Int, identity: NodeIdentity, key: KeyPair) async throws {
        channel = try await ServerBootstrap(group: testGroup)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(frameBytesMax: 1 << 20)),
                        ImpostorHandler(identity: identity, key: key))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    func close() async { try? await channel.close() }
}

final class ImpostorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let identity: NodeIdentity
    let key: KeyPair

    init(identity: NodeIdentity, key: KeyPair) {
        self.identity = identity
        self.key = key
    }

    func channelActive(context: ChannelHandlerContext) {
        let hello = Hello(
            chainID: LiveCluster.chainID, identity: identity, publicKey: key.publicKey, challenge: .random())
        send(.hello(hello), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard case .hello(let hello) = try? WireCodec.decode(bytes) else { return }
        let proof = HelloProof.make(
            key: key, chainID: LiveCluster.chainID, peerChallenge: hello.challenge, identity: identity)
        send(.helloProof(proof), context: context)
    }

    private func send(_ message: PeerMessage, context: ChannelHandlerContext) {
        let frame = WireCodec.encode(message)
        context.writeAndFlush(
            wrapOutboundOut(Framing.buffer(frame, allocator: context.channel.allocator)), promise: nil)
    }
}

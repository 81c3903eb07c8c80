import GridLedger
import GridNode
import GridWire
import NIOCore

/// One connection, accepted or dialed: the handshake, then frames for the node (peers) or submissions (clients).
///
/// Both sides first send a `hello` with a fresh challenge, and each answers the other's `hello` with a
/// `helloProof`. A peer connection carries frames for the node only once the peer's proof verifies and the key
/// in its `hello` is the genesis key of the identity it claims; a client (identity `.client`) proves nothing and
/// may only send `ClientMessage.submit` and `read` frames, after its `hello`. A client thus receives this node's
/// `hello` and `helloProof` (peer message frames) before its replies.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case accepted
        /// Dialed by this node to send to `peer`; nothing it receives after the handshake is for the node.
        case dialed(LivePeer)
    }

    private enum State {
        case awaitingHello
        case awaitingProof(NodeAddress, Hello)
        case peer(NodeAddress)
        case client(ClientConnection)
        case closed
    }

    private let transport: Transport
    private let role: Role
    private let challenge = HandshakeChallenge.random()
    private var state = State.awaitingHello
    private var handshakeTimeout: Scheduled<Void>?

    init(transport: Transport, role: Role) {
        self.transport = transport
        self.role = role
    }

    private var isHandshaken: Bool {
        switch state {
        case .peer, .client: return true
        case .awaitingHello, .awaitingProof, .closed: return false
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let options = transport.options
        let hello = Hello(
            chainID: options.chainID, identity: transport.address.identity, publicKey: options.key.publicKey,
            challenge: challenge)
        write(.hello(hello), context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimeout = context.eventLoop.scheduleTask(in: .milliseconds(options.handshakeTimeoutMillis)) {
            let (handler, context) = loopBound.value
            guard !handler.isHandshaken else { return }
            handler.refuse(.timeout, context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        if case .client(let connection) = state { transport.clients.disconnected(connection) }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .closed = state else {
            if error is FrameTooLargeError || error is ByteToMessageDecoderError.PayloadTooLargeError {
                transport.metrics.drop(.oversized)
                if !isHandshaken { transport.metrics.refuse(.oversized) }
            }
            close(context: context)
            return
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        transport.metrics.received(bytes: Framing.wireBytes(bytes))
        switch state {
        case .closed:
            return
        case .awaitingHello:
            guard let message = decodePeer(bytes, context: context) else { return }
            guard case .hello(let hello) = message else { return refuse(.notHello, context: context) }
            receivedHello(hello, context: context)
        case .awaitingProof(let address, let hello):
            guard let message = decodePeer(bytes, context: context) else { return }
            guard case .helloProof(let proof) = message else {
                return refuse(.messageBeforeProof, context: context)
            }
            guard proof.verify(answering: hello, challenge: challenge, chainID: transport.options.chainID) else {
                return refuse(.badProof, context: context)
            }
            handshakeTimeout?.cancel()
            state = .peer(address)
            transport.metrics.update { $0.peerHandshakesCompleted += 1 }
            switch role {
            case .dialed: transport.established(outbound: context.channel, to: address)
            case .accepted: transport.established(inboundFrom: address)
            }
        case .peer(let address):
            receivedPeerFrame(bytes, from: address)
        case .client(let connection):
            let message: ClientMessage
            do { message = try WireCodec.decodeClient(bytes, limits: transport.options.wireLimits) } catch {
                transport.metrics.drop(.undecodable)
                return close(context: context)
            }
            switch message {
            case .submit(let requestID, let transaction):
                transport.submit(connection, requestID: requestID, transaction: transaction)
            case .read(let requestID, let contract, let keys):
                transport.read(connection, requestID: requestID, ClientRead(contract: contract, keys: keys))
            case .reply, .values:
                return refuse(.clientProtocol, context: context)
            }
        }
    }

    private func receivedHello(_ hello: Hello, context: ChannelHandlerContext) {
        let options = transport.options
        guard hello.chainID == options.chainID else { return refuse(.wrongChain, context: context) }
        guard let address = NodeAddress(identity: hello.identity) else {
            // A client: no proof to check; it learns who this node is from the proof, if it cares.
            guard case .accepted = role else { return refuse(.wrongIdentity, context: context) }
            handshakeTimeout?.cancel()
            answer(hello, context: context)
            state = .client(transport.clients.connect(context.channel))
            return
        }
        guard let peer = transport.peers[address], peer.publicKey == hello.publicKey else {
            return refuse(.unknownKey, context: context)
        }
        if case .dialed(let expected) = role, expected.address != address {
            return refuse(.wrongIdentity, context: context)
        }
        answer(hello, context: context)
        state = .awaitingProof(address, hello)
    }

    private func answer(_ hello: Hello, context: ChannelHandlerContext) {
        let options = transport.options
        let proof = HelloProof.make(
            key: options.key, chainID: options.chainID, peerChallenge: hello.challenge,
            identity: transport.address.identity)
        write(.helloProof(proof), context: context)
    }

    /// Frames after the handshake go to the node undecoded (the node decodes and charges them); only the tag is
    /// read, to keep consensus ahead of client work in the inbox and handshake messages out of the node.
    private func receivedPeerFrame(_ bytes: [UInt8], from address: NodeAddress) {
        guard case .accepted = role else {
            transport.metrics.drop(.unexpected)
            return
        }
        let tag = bytes.count > 1 ? bytes[1] : 0
        if tag == Self.helloTag || tag == Self.helloProofTag {
            transport.metrics.drop(.unexpected)
            return
        }
        if transport.isCutOff(address) {
            transport.metrics.drop(.partition)
            return
        }
        let urgent = tag == Self.regionConsensusTag || tag == Self.globalConsensusTag
        if !transport.deliver(.frame(from: address, bytes), urgent) {
            transport.metrics.drop(.inboxFull)
            transport.metrics.update { $0.inboxOverflows += 1 }
        }
    }

    // Tags of `PeerMessage` cases (`WireCodec`): the byte after the version.
    private static let regionConsensusTag: UInt8 = 1
    private static let globalConsensusTag: UInt8 = 3
    private static let helloTag: UInt8 = 8
    private static let helloProofTag: UInt8 = 9

    private func decodePeer(_ bytes: [UInt8], context: ChannelHandlerContext) -> PeerMessage? {
        do { return try WireCodec.decode(bytes, limits: transport.options.wireLimits) } catch {
            transport.metrics.drop(.undecodable)
            refuse(.undecodable, context: context)
            return nil
        }
    }

    private func refuse(_ reason: HandshakeRefusalReason, context: ChannelHandlerContext) {
        guard !isClosed else { return }
        transport.metrics.refuse(reason)
        transport.options.logger.debug(
            "refused connection from \(context.remoteAddress.map { "\($0)" } ?? "?"): \(reason.rawValue)")
        close(context: context)
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private func close(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        if case .client(let connection) = state { transport.clients.disconnected(connection) }
        state = .closed
        context.close(promise: nil)
    }

    private func write(_ message: PeerMessage, context: ChannelHandlerContext) {
        let frame = WireCodec.encode(message)
        context.writeAndFlush(
            wrapOutboundOut(Framing.buffer(frame, allocator: context.channel.allocator)), promise: nil)
    }
}

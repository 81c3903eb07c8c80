import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Faults the orchestrator applies to a running node's transport (see `LiveControlCommand`).
struct TransportFaults: Sendable {
    /// Peers this node neither sends to nor takes frames from.
    var cutOff: Set<NodeAddress>?
    /// Loss added to every link's own, for frames this node sends.
    var extraLossRate = 0.0
    /// Set while this validator's region is Byzantine: what it sends the committee is rewritten.
    var forgery: ByzantineEntryForgery?
}

/// Sockets and the link model: the listener that takes peers and clients, one dialed connection per peer, client
/// replies. Inputs for the node go to `deliver`; everything here runs on event loops except `send` and `reply`,
/// which the consensus thread calls.
final class Transport: Sendable {
    let options: LiveNodeOptions
    let address: NodeAddress
    let metrics: MetricsRecorder
    let group: MultiThreadedEventLoopGroup
    let peers: [NodeAddress: LivePeer]
    let clients: ClientRegistry
    let faults = Mutex(TransportFaults())
    /// Hands an input to the consensus thread; false when its inbox is full.
    let deliver: @Sendable (NodeInput, _ urgent: Bool) -> Bool
    private let outbound: Mutex<[NodeAddress: OutboundPeer]> = Mutex([:])
    private let server: Mutex<(any Channel)?> = Mutex(nil)
    private let accepted: Mutex<[ObjectIdentifier: any Channel]> = Mutex([:])

    init(
        options: LiveNodeOptions, address: NodeAddress, metrics: MetricsRecorder, group: MultiThreadedEventLoopGroup,
        finalityNotices: Bool = false, deliver: @escaping @Sendable (NodeInput, Bool) -> Bool
    ) {
        self.options = options
        self.address = address
        self.metrics = metrics
        self.group = group
        self.deliver = deliver
        var peers: [NodeAddress: LivePeer] = [:]
        for peer in options.peers where peer.address != address { peers[peer.address] = peer }
        self.peers = peers
        clients = ClientRegistry(pendingRepliesMax: options.pendingRepliesMax, finalityNotices: finalityNotices)
    }

    // MARK: - Lifecycle

    /// Binds the listener and dials every peer it sends to; returns the bound port.
    func start() async throws -> Int {
        let frameBytesMax = options.wireLimits.frameBytesMax
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                self.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(frameBytesMax: frameBytesMax)),
                        ConnectionHandler(transport: self, role: .accepted))
                }
            }
            .bind(host: options.listenHost, port: options.listenPort).get()
        server.withLock { $0 = channel }
        var links: [NodeAddress: OutboundPeer] = [:]
        // Connections carry frames one way (a node sends on the ones it dialed), so only peers it sends to.
        for peer in peers.values where address.sendsTo(peer.address) {
            links[peer.address] = OutboundPeer(
                peer: peer, loop: group.next(), link: LinkModel(options.link(peer.address)), transport: self)
        }
        outbound.withLock { $0 = links }
        for link in links.values { link.start() }
        return channel.localAddress?.port ?? options.listenPort
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        accepted.withLock { $0[key] = channel }
        metrics.update { $0.connectionsAccepted += 1 }
        channel.closeFuture.whenComplete { _ in _ = self.accepted.withLock { $0.removeValue(forKey: key) } }
    }

    /// Stops taking connections and stops dialing; frames the node sends after this are dropped.
    func stopAccepting() async {
        let channel = server.withLock { $0 }
        // Shutting down: a channel that is already closed (a peer left first) is what we want anyway.
        try? await channel?.close()
    }

    /// Closes every connection.
    func close() async {
        let links = outbound.withLock { Array($0.values) }
        for link in links { try? await link.stop().get() }
        let channels = accepted.withLock { Array($0.values) }
        for channel in channels { try? await channel.close() }
    }

    /// Peers with a handshaken outbound connection now.
    /// Peers this node dials (`NodeAddress.sendsTo`); the others only connect to it.
    var dialedPeerCount: Int { peers.keys.filter { address.sendsTo($0) }.count }

    func connectedPeers() async -> Int {
        let links = outbound.withLock { Array($0.values) }
        var count = 0
        for link in links where (try? await link.isConnected().get()) == true { count += 1 }
        return count
    }

    // MARK: - From the consensus thread

    func send(_ outgoing: Outgoing) {
        if outgoing.to == address {
            // A node addressing itself gets the frame back as any peer's, without a socket.
            if !deliver(.frame(from: address, outgoing.frame), outgoing.urgent) { metrics.drop(.inboxFull) }
            return
        }
        let (cut, extraLoss, forgery) = faults.withLock {
            ($0.cutOff?.contains(outgoing.to) ?? false, $0.extraLossRate, $0.forgery)
        }
        if cut {
            metrics.drop(.partition)
            return
        }
        guard let link = outbound.withLock({ $0[outgoing.to] }) else {
            metrics.drop(.noConnection)
            return
        }
        let loss = 1 - (1 - link.link.lossRate) * (1 - extraLoss)
        if loss > 0, Double.random(in: 0..<1) < loss {
            metrics.drop(.linkLoss)
            return
        }
        if let forgery, case .member = outgoing.to {
            let frame = forgery.tamper(outgoing.frame)
            if frame != outgoing.frame { metrics.update { $0.byzantineFramesRewritten += 1 } }
            link.send(frame)
            return
        }
        link.send(outgoing.frame)
    }

    /// The replies of one event, each to the client that submitted its request (undeliverable if its connection
    /// went). A block's commit answers hundreds of clients at once, and a checkpoint as many again: each
    /// connection gets its replies in one buffer, one write and one flush, rather than a write, a flush and a hop
    /// to the event loop per reply, which held up the peers' frames queued behind them on the same loop.
    func reply(_ replies: [(id: ClientRequestID, reply: ClientReply)]) {
        guard !replies.isEmpty else { return }
        var byConnection: [UInt64: (connection: ClientConnection, messages: [ClientMessage])] = [:]
        var kinds: [String: UInt64] = [:]
        var undeliverable: UInt64 = 0
        var evicted: UInt64 = 0
        for (id, reply) in replies {
            kinds[Self.kind(reply), default: 0] += 1
            let pending: ClientRegistry.Pending?
            if clients.finalityNotices, reply.isFollowedByFinality {
                // The gateway follows with `.finalized`: the route stays, in a bound of its own.
                let (kept, wasEvicted) = clients.keepForFinality(id)
                pending = kept
                if wasEvicted { evicted += 1 }
            } else {
                pending = clients.take(id)
            }
            guard let pending else {
                undeliverable += 1
                continue
            }
            byConnection[pending.connection.serial, default: (pending.connection, [])].messages.append(
                .reply(requestID: pending.clientRequestID, reply))
        }
        metrics.update {
            for (kind, count) in kinds { $0.clientReplies[kind, default: 0] += count }
            $0.clientRepliesUndeliverable += undeliverable
            if evicted > 0 { $0.finalityRoutesEvicted? += evicted }
            $0.clientWrites? += UInt64(byConnection.count)
        }
        for entry in byConnection.values { entry.connection.send(entry.messages, limits: options.wireLimits) }
    }

    /// The answer to a client's read; a `rejected` reply when the values would not fit in one frame.
    func answer(_ id: ClientRequestID, _ answer: ClientReadAnswer) {
        guard let pending = clients.take(id) else {
            metrics.update { $0.clientRepliesUndeliverable += 1 }
            return
        }
        let message: ClientMessage
        switch answer {
        case .values(let height, let values):
            let bytes = values.reduce(32) { $0 + 5 + ($1?.count ?? 0) }
            if bytes <= options.wireLimits.frameBytesMax {
                message = .values(requestID: pending.clientRequestID, height: height, values: values)
            } else {
                message = .reply(
                    requestID: pending.clientRequestID,
                    .rejected(reason: "read-too-large: \(bytes) bytes, frames hold \(options.wireLimits.frameBytesMax)")
                )
            }
        case .rejected(let reason):
            message = .reply(requestID: pending.clientRequestID, .rejected(reason: reason))
        }
        metrics.update {
            $0.clientReadAnswers[message.kind == "values" ? "values" : "rejected", default: 0] += 1
            $0.clientWrites? += 1
        }
        pending.connection.send(message, limits: options.wireLimits)
    }

    static func kind(_ reply: ClientReply) -> String {
        switch reply {
        case .committed: return "committed"
        case .failed: return "failed"
        case .rejected: return "rejected"
        case .busy: return "busy"
        case .finalized: return "finalized"
        }
    }

    // MARK: - From connection handlers

    func isCutOff(_ peer: NodeAddress) -> Bool { faults.withLock { $0.cutOff?.contains(peer) ?? false } }

    func established(outbound channel: any Channel, to peer: NodeAddress) {
        outbound.withLock { $0[peer] }?.established(channel)
    }

    /// `peer` proved its key on a connection it dialed: our own connection to it need not wait for its back-off.
    func established(inboundFrom peer: NodeAddress) {
        outbound.withLock { $0[peer] }?.peerIsUp()
    }

    /// A client's submission: registered for its reply and handed to the node, or answered `.busy` at once.
    func submit(_ connection: ClientConnection, requestID: UInt64, transaction: [UInt8]) {
        metrics.update { $0.clientSubmissions += 1 }
        fromClient(connection, requestID: requestID) { .client($0, transaction) }
    }

    /// A client's read: queued with the submissions (and bounded with them), or answered `.busy` at once.
    func read(_ connection: ClientConnection, requestID: UInt64, _ read: ClientRead) {
        metrics.update { $0.clientReads += 1 }
        fromClient(connection, requestID: requestID) { .clientRead($0, read) }
    }

    private func fromClient(
        _ connection: ClientConnection, requestID: UInt64, _ input: (ClientRequestID) -> NodeInput
    ) {
        guard let id = clients.register(connection, clientRequestID: requestID) else {
            metrics.update {
                $0.clientReplies["busy", default: 0] += 1
                $0.pendingRepliesOverflows += 1
                $0.clientWrites? += 1
            }
            connection.send(.reply(requestID: requestID, .busy), limits: options.wireLimits)
            return
        }
        guard deliver(input(id), false) else {
            _ = clients.take(id)
            metrics.update {
                $0.clientReplies["busy", default: 0] += 1
                $0.inboxOverflows += 1
                $0.clientWrites? += 1
            }
            connection.send(.reply(requestID: requestID, .busy), limits: options.wireLimits)
            return
        }
    }
}

/// One client connection, as the reply map holds it.
final class ClientConnection: Sendable {
    let channel: any Channel
    let serial: UInt64

    init(channel: any Channel, serial: UInt64) {
        self.channel = channel
        self.serial = serial
    }

    /// From any thread.
    func send(_ message: ClientMessage, limits: WireLimits) {
        let frame = WireCodec.encode(message, limits: limits)
        channel.writeAndFlush(Framing.buffer(frame, allocator: channel.allocator), promise: nil)
    }

    /// Several messages in one buffer, one write: from any thread.
    func send(_ messages: [ClientMessage], limits: WireLimits) {
        let frames = messages.map { WireCodec.encode($0, limits: limits) }
        var buffer = channel.allocator.buffer(capacity: frames.reduce(0) { $0 + Framing.wireBytes($1) })
        for frame in frames {
            buffer.writeInteger(UInt32(frame.count), endianness: .big)
            buffer.writeBytes(frame)
        }
        channel.writeAndFlush(buffer, promise: nil)
    }
}

/// Client submissions waiting for the node's answer: the node knows them by an id this map assigns (unique in the
/// process), the client by its own request id on its own connection. With finality notices, a submission that
/// committed keeps its route until the gateway's `.finalized` follows, apart from the submissions still waiting
/// (which `pendingRepliesMax` bounds), so a committee that stalls cannot make the gateway refuse new work.
final class ClientRegistry: Sendable {
    struct Pending: Sendable {
        let connection: ClientConnection
        let clientRequestID: UInt64
    }

    /// Committed submissions waiting for `.finalized`: past it the oldest route is dropped (counted as
    /// `finalityRoutesEvicted`), as `FinalityNotices.awaitingMax` bounds the node's side.
    static let finalityRoutesMax = 100_000

    private struct State {
        var nextID: ClientRequestID = 1
        var nextSerial: UInt64 = 1
        var pending: [ClientRequestID: Pending] = [:]
        /// Ids outstanding per connection (waiting or awaiting finality), so a closed connection's entries go
        /// with it.
        var byConnection: [UInt64: Set<ClientRequestID>] = [:]
        var awaitingFinality: [ClientRequestID: Pending] = [:]
        /// Ids in the order they committed; ids already answered are skipped lazily and the array compacted when
        /// it reaches twice the bound.
        var finalityOrder: [ClientRequestID] = []
        var finalityOrderHead = 0
    }

    private let state = Mutex(State())
    let pendingRepliesMax: Int
    let finalityNotices: Bool
    /// `finalityRoutesMax` unless a test asks for a smaller bound.
    let finalityRoutesLimit: Int

    init(
        pendingRepliesMax: Int, finalityNotices: Bool = false,
        finalityRoutesLimit: Int = ClientRegistry.finalityRoutesMax
    ) {
        self.pendingRepliesMax = pendingRepliesMax
        self.finalityNotices = finalityNotices
        self.finalityRoutesLimit = max(1, finalityRoutesLimit)
    }

    func connect(_ channel: any Channel) -> ClientConnection {
        state.withLock { state in
            defer { state.nextSerial += 1 }
            return ClientConnection(channel: channel, serial: state.nextSerial)
        }
    }

    /// Nil when `pendingRepliesMax` submissions are already waiting.
    func register(_ connection: ClientConnection, clientRequestID: UInt64) -> ClientRequestID? {
        state.withLock { state in
            guard state.pending.count < pendingRepliesMax else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.pending[id] = Pending(connection: connection, clientRequestID: clientRequestID)
            state.byConnection[connection.serial, default: []].insert(id)
            return id
        }
    }

    /// The route of a waiting submission or of one awaiting finality, removed.
    func take(_ id: ClientRequestID) -> Pending? {
        state.withLock { state in
            guard let pending = state.pending.removeValue(forKey: id) ?? state.awaitingFinality.removeValue(forKey: id)
            else { return nil }
            state.byConnection[pending.connection.serial]?.remove(id)
            return pending
        }
    }

    /// The route of a waiting submission that committed, moved to wait for its finality notice; `evicted` when the
    /// oldest such route had to go to make room.
    func keepForFinality(_ id: ClientRequestID) -> (pending: Pending?, evicted: Bool) {
        state.withLock { state in
            guard let pending = state.pending.removeValue(forKey: id) else { return (nil, false) }
            var evicted = false
            if state.awaitingFinality.count >= finalityRoutesLimit {
                while state.finalityOrderHead < state.finalityOrder.count {
                    let oldest = state.finalityOrder[state.finalityOrderHead]
                    state.finalityOrderHead += 1
                    if let gone = state.awaitingFinality.removeValue(forKey: oldest) {
                        state.byConnection[gone.connection.serial]?.remove(oldest)
                        evicted = true
                        break
                    }
                }
            }
            state.awaitingFinality[id] = pending
            state.finalityOrder.append(id)
            if state.finalityOrder.count - state.finalityOrderHead >= 2 * finalityRoutesLimit
                || state.finalityOrderHead * 2 >= state.finalityOrder.count
            {
                let awaiting = state.awaitingFinality
                state.finalityOrder = state.finalityOrder[state.finalityOrderHead...].filter { awaiting[$0] != nil }
                state.finalityOrderHead = 0
            }
            return (pending, evicted)
        }
    }

    func disconnected(_ connection: ClientConnection) {
        state.withLock { state in
            for id in state.byConnection.removeValue(forKey: connection.serial) ?? [] {
                if state.pending.removeValue(forKey: id) == nil { state.awaitingFinality.removeValue(forKey: id) }
            }
        }
    }

    var pendingCount: Int { state.withLock { $0.pending.count } }
    var awaitingFinalityCount: Int { state.withLock { $0.awaitingFinality.count } }
}

extension ClientReply {
    /// `committed` and `failed` name a block; a gateway with finality notices answers again once it is final.
    fileprivate var isFollowedByFinality: Bool {
        switch self {
        case .committed, .failed: return true
        case .rejected, .busy, .finalized: return false
        }
    }
}

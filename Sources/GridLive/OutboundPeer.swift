import GridNode
import GridTopology
import NIOCore
import NIOPosix

/// One direction of a link as the transport applies it: latency, jitter, bandwidth and loss.
struct LinkModel: Sendable {
    let latencyNanos: UInt64
    let jitterNanos: UInt64
    /// Nanoseconds to put one byte on the wire; 0 means unlimited.
    let nanosPerByte: Double
    let lossRate: Double

    init(_ link: Topology.Link) {
        latencyNanos = UInt64(max(0, (link.latencyMillis * 1e6).rounded()))
        jitterNanos = UInt64(max(0, (link.jitterMillis * 1e6).rounded()))
        nanosPerByte = link.bandwidthMbps > 0 ? 8_000 / link.bandwidthMbps : 0
        lossRate = min(1, max(0, link.lossRate))
    }

    /// Frames go straight to the socket: nothing to hold them for.
    var isImmediate: Bool { latencyNanos == 0 && jitterNanos == 0 && nanosPerByte == 0 }
}

/// The connection this node dials to one peer, used only to send, and the link model in front of it. Everything
/// but `send` runs on `loop`, the event loop the connection lives on, so its state needs no lock.
final class OutboundPeer: @unchecked Sendable {
    let peer: LivePeer
    let loop: any EventLoop
    let link: LinkModel
    private unowned let transport: Transport

    private var channel: (any Channel)?
    /// From the dial until its connection is handshaken (`established`) or fails or closes: a second dial in that
    /// window would make a second connection to the same peer.
    private var dialing = false
    private var stopped = false
    private var reconnectDelayMillis: Int64
    private var reconnectTask: Scheduled<Void>?

    /// Frames held by the link model, FIFO: a frame never overtakes an earlier one to the same peer (as TCP, and
    /// as the simulator's `NetworkModel`).
    private var held = CircularBuffer<(releaseNanos: UInt64, frame: [UInt8])>()
    private var releaseTask: Scheduled<Void>?
    /// Frames and bytes held or written but not yet taken by the kernel: what `outgoingFramesMax` and
    /// `outgoingBytesMax` bound.
    private var queuedFrames = 0
    private var queuedBytes = 0
    private var transmitFreeAtNanos: UInt64 = 0
    private var lastReleaseNanos: UInt64 = 0
    private var random = SystemRandomNumberGenerator()

    init(peer: LivePeer, loop: any EventLoop, link: LinkModel, transport: Transport) {
        self.peer = peer
        self.loop = loop
        self.link = link
        self.transport = transport
        reconnectDelayMillis = transport.options.reconnectDelayMillisMin
    }

    /// From any thread. Loss and partitions were applied by the caller.
    func send(_ frame: [UInt8]) {
        loop.execute { self.enqueue(frame) }
    }

    func start() { loop.execute { self.dial() } }

    func stop() -> EventLoopFuture<Void> {
        loop.submit {
            self.stopped = true
            self.reconnectTask?.cancel()
            self.releaseTask?.cancel()
            if !self.held.isEmpty { self.transport.metrics.drop(.noConnection, count: UInt64(self.held.count)) }
            self.held.removeAll()
            let channel = self.channel
            self.channel = nil
            channel?.close(promise: nil)
        }
    }

    /// Whether a handshaken connection is up (read from any thread: a hop to the loop).
    func isConnected() -> EventLoopFuture<Bool> { loop.submit { self.channel != nil } }

    // MARK: - Connection (on `loop`)

    private func dial() {
        guard !stopped, !dialing, channel == nil else { return }
        dialing = true
        let options = transport.options
        let transport = self.transport
        let peer = self.peer
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(max(options.reconnectDelayMillisMax, 200)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(
                            LengthPrefixedFrameDecoder(frameBytesMax: options.wireLimits.frameBytesMax)),
                        ConnectionHandler(transport: transport, role: .dialed(peer)))
                }
            }
            .connect(host: peer.host, port: peer.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    // Established only once the peer's proof verifies (`established`); a close before that, or
                    // after, brings a new dial.
                    channel.closeFuture.whenComplete { _ in self.closed(channel) }
                case .failure:
                    self.dialing = false
                    self.transport.metrics.update { $0.dialFailures += 1 }
                    self.scheduleReconnect()
                }
            }
    }

    /// The peer proved its identity on `channel`.
    func established(_ channel: any Channel) {
        loop.preconditionInEventLoop()
        guard !stopped else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        dialing = false
        reconnectDelayMillis = transport.options.reconnectDelayMillisMin
        transport.metrics.update { $0.peersConnected += 1 }
        transport.options.logger.debug("connected to \(peer.address)")
    }

    private func closed(_ closedChannel: any Channel) {
        if let channel, channel === closedChannel {
            self.channel = nil
            transport.metrics.update { $0.peersConnected -= 1 }
            transport.options.logger.debug("connection to \(peer.address) closed")
        } else if channel == nil {
            // The dial's connection closed before its handshake completed.
            dialing = false
        }
        scheduleReconnect()
    }

    /// The peer has just proved itself on a connection it dialed to us, so it is up: dial it now rather than when
    /// the back-off says. From any thread. Without this a restarted validator heard its peers only once their
    /// back-off (doubling to `reconnectDelayMillisMax` while it was down) ran out, and its sync requests' answers
    /// were dropped until then.
    func peerIsUp() {
        loop.execute {
            guard !self.stopped, !self.dialing, self.channel == nil else { return }
            self.reconnectTask?.cancel()
            self.reconnectTask = nil
            self.reconnectDelayMillis = self.transport.options.reconnectDelayMillisMin
            self.dial()
        }
    }

    private func scheduleReconnect() {
        guard !stopped, reconnectTask == nil else { return }
        let delay = reconnectDelayMillis
        reconnectDelayMillis = min(reconnectDelayMillis * 2, transport.options.reconnectDelayMillisMax)
        reconnectTask = loop.scheduleTask(in: .milliseconds(delay)) {
            self.reconnectTask = nil
            self.dial()
        }
    }

    // MARK: - Link model (on `loop`)

    private func enqueue(_ frame: [UInt8]) {
        guard !stopped else { return }
        guard channel != nil else {
            transport.metrics.drop(.noConnection)
            return
        }
        let options = transport.options
        guard queuedFrames < options.outgoingFramesMax, queuedBytes + frame.count <= options.outgoingBytesMax else {
            transport.metrics.drop(.queueFull)
            return
        }
        queuedFrames += 1
        queuedBytes += frame.count
        if link.isImmediate, held.isEmpty {
            write(frame, flush: true)
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        let start = max(now, transmitFreeAtNanos)
        let transmitEnd = start + UInt64((Double(frame.count) * link.nanosPerByte).rounded())
        transmitFreeAtNanos = transmitEnd
        let jitter = link.jitterNanos > 0 ? UInt64.random(in: 0...link.jitterNanos, using: &random) : 0
        let release = max(transmitEnd + link.latencyNanos + jitter, lastReleaseNanos)
        lastReleaseNanos = release
        held.append((release, frame))
        if releaseTask == nil { scheduleRelease() }
    }

    private func scheduleRelease() {
        guard let first = held.first else { return }
        releaseTask = loop.scheduleTask(deadline: .uptimeNanoseconds(first.releaseNanos)) {
            self.releaseTask = nil
            self.releaseDue()
        }
    }

    private func releaseDue() {
        let now = NIODeadline.now().uptimeNanoseconds
        var wrote = false
        while let first = held.first, first.releaseNanos <= now {
            held.removeFirst()
            write(first.frame, flush: false)
            wrote = true
        }
        if wrote { channel?.flush() }
        scheduleRelease()
    }

    private func write(_ frame: [UInt8], flush: Bool) {
        guard let channel else {
            release(frame)
            transport.metrics.drop(.noConnection)
            return
        }
        let promise = loop.makePromise(of: Void.self)
        let metrics = transport.metrics
        promise.futureResult.whenComplete { result in
            self.release(frame)
            switch result {
            case .success: metrics.sent(bytes: Framing.wireBytes(frame))
            case .failure: metrics.drop(.noConnection)
            }
        }
        let buffer = Framing.buffer(frame, allocator: channel.allocator)
        if flush {
            channel.writeAndFlush(buffer, promise: promise)
        } else {
            channel.write(buffer, promise: promise)
        }
    }

    private func release(_ frame: [UInt8]) {
        queuedFrames -= 1
        queuedBytes -= frame.count
    }
}

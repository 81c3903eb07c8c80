import Foundation
import GridCrypto
import GridGenesis
import GridLedger
import GridNode
import GridTopology
import GridWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Why a live node stopped other than by being asked to.
public enum LiveNodeError: Error, CustomStringConvertible {
    /// The node's store failed: it cannot go on safely. `description` names the node and the operation.
    case storeFailed(node: NodeAddress, description: String)
    case invalidOptions(String)
    /// The listener or the metrics endpoint could not be bound.
    case transportFailed(node: NodeAddress, description: String)
    /// `run` was called a second time; a node runs once (build a new one on the same store to restart).
    case alreadyRun(NodeAddress)

    public var description: String {
        switch self {
        case .storeFailed(let node, let description): return "node \(node) stopped: \(description)"
        case .invalidOptions(let reason): return "invalid live node options: \(reason)"
        case .transportFailed(let node, let description): return "node \(node) could not listen: \(description)"
        case .alreadyRun(let node): return "node \(node) has already run"
        }
    }
}

/// One node of a deployment as a process: a `NodeHost` (region validator or committee member) on its own
/// consensus thread, real sockets on a small event loop group, wall-clock timers, and the link model and faults
/// applied in the transport. It does what the simulator and `EmbeddedRuntime` do with the same node layer.
///
/// A `Service`: `run()` returns after a graceful shutdown or cancellation (it stops accepting, lets the input in
/// hand finish, closes the store and the sockets, writes the metrics file) and throws `LiveNodeError.storeFailed`
/// when the store fails.
public final class LiveNode: Service, @unchecked Sendable {
    /// The name of the thread that runs the node's state machines, as `/proc/PID/task/TID/comm` shows it.
    public static let consensusThreadName = "consensus"

    public let address: NodeAddress
    private let host: any NodeHost
    private let options: LiveNodeOptions
    private let recorder: MetricsRecorder
    private let group: MultiThreadedEventLoopGroup
    private let transport: Transport
    private let consensus: ConsensusThread
    private let prometheus = PrometheusExport()
    private let stopSignal = StopSignal()

    private struct RunState {
        var started = false
        var boundPort: Int?
        var metricsBoundPort: Int?
        var failure: LiveNodeError?
    }

    private let runState = Locked(RunState())

    public init(host: any NodeHost, options: LiveNodeOptions) throws {
        guard options.inboxEventsMax > 0, options.inboxBytesMax >= options.wireLimits.frameBytesMax else {
            throw LiveNodeError.invalidOptions(
                "inboxEventsMax must be positive and inboxBytesMax at least frameBytesMax")
        }
        guard options.wireLimits.frameBytesMax > 0, options.wireLimits.frameBytesMax <= Int(UInt32.max) else {
            throw LiveNodeError.invalidOptions("frameBytesMax must fit a 4-byte length prefix")
        }
        guard options.outgoingFramesMax > 0, options.outgoingBytesMax > 0, options.pendingRepliesMax > 0 else {
            throw LiveNodeError.invalidOptions("outgoing and pending-reply bounds must be positive")
        }
        guard options.reconnectDelayMillisMin > 0, options.reconnectDelayMillisMax >= options.reconnectDelayMillisMin
        else { throw LiveNodeError.invalidOptions("reconnect delays must be positive and ordered") }
        guard options.key.publicKey == Self.genesisKey(of: host) ?? options.key.publicKey else {
            throw LiveNodeError.invalidOptions("key is not the node's genesis key")
        }
        self.host = host
        self.options = options
        let address = host.address
        self.address = address
        let recorder = MetricsRecorder(node: address, verificationMeter: options.verificationMeter)
        // A restarted node starts from the height its store holds, not from zero.
        let storedHeight = host.committedHeight
        recorder.update { $0.committedHeight = storedHeight }
        self.recorder = recorder
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoopThreads))
        let late = LateTransport()
        let stopSignal = self.stopSignal
        let runState = self.runState
        let logger = options.logger
        consensus = ConsensusThread(
            host: host, inboxEventsMax: options.inboxEventsMax, inboxBytesMax: options.inboxBytesMax,
            clientInboxEventsMax: options.clientInboxEventsMax, metrics: recorder,
            leaderStatus: options.metricsFile.flatMap { LeaderStatusFile(metricsFile: $0) },
            carryOut: { output in
                guard let transport = late.value else { return }
                // The store write already happened inside `handle`: everything may leave now, in this order.
                for outgoing in output.sends { transport.send(outgoing) }
                for outgoing in output.sendsAfterWrite { transport.send(outgoing) }
                transport.reply(output.replies)
                for (id, answer) in output.readAnswers { transport.answer(id, answer) }
            },
            failed: { error in
                let failure = LiveNodeError.storeFailed(node: address, description: "\(error)")
                logger.critical("\(failure)")
                runState.withLock { if $0.failure == nil { $0.failure = failure } }
                stopSignal.fire()
            })
        let consensus = self.consensus
        let validator = host as? RegionValidator
        let finalityNotices = validator?.configuration.finalityNotices == true && validator?.configuration.global != nil
        transport = Transport(
            options: options, address: address, metrics: recorder, group: group, finalityNotices: finalityNotices,
            deliver: { input, urgent in consensus.offer(input, urgent: urgent) })
        late.value = transport
    }

    deinit {
        // A node built but never run still owns its event loop threads.
        if !runState.withLock({ $0.started }) { group.shutdownGracefully { _ in } }
    }

    /// The key the node signs with, when the host says (region validators and members both do).
    private static func genesisKey(of host: any NodeHost) -> PublicKey? {
        if let validator = host as? RegionValidator { return validator.configuration.key.publicKey }
        if let member = host as? CommitteeMember { return member.configuration.key.publicKey }
        return nil
    }

    /// The node's figures now (process CPU and memory read at the call).
    public var metrics: LiveNodeMetrics { Self.snapshot(recorder, transport) }

    private static func snapshot(
        _ recorder: MetricsRecorder, _ transport: Transport, withCheckpointLog: Bool = false
    ) -> LiveNodeMetrics {
        var metrics = recorder.snapshot(withCheckpointLog: withCheckpointLog)
        metrics.clientRepliesPending = transport.clients.pendingCount
        metrics.clientRoutesAwaitingFinality = transport.clients.awaitingFinalityCount
        return metrics
    }

    /// The port the listener is bound to, once `run` has bound it (useful with `listenPort` 0).
    public var boundPort: Int? { runState.withLock { $0.boundPort } }
    public var metricsBoundPort: Int? { runState.withLock { $0.metricsBoundPort } }

    /// Drops every frame to and from these peers (counted as partition drops); nil heals.
    public func setPartition(cutOff: Set<NodeAddress>?) {
        transport.faults.withLock { $0.cutOff = cutOff }
        options.logger.info(
            "partition: \(cutOff.map { $0.map(\.description).sorted().joined(separator: ",") } ?? "none")")
    }

    /// Loss added to every link this node sends on, in [0, 1].
    public func setExtraLoss(rate: Double) {
        let rate = min(1, max(0, rate.isFinite ? rate : 0))
        transport.faults.withLock { $0.extraLossRate = rate }
        options.logger.info("extra loss: \(rate)")
    }

    /// Asks a running node to shut down gracefully, as SIGTERM through a `ServiceGroup` would.
    public func shutdown() { stopSignal.fire() }

    /// Runs the node in a `ServiceGroup` that shuts it down gracefully on SIGTERM or SIGINT.
    public static func runUntilSignalled(host: any NodeHost, options: LiveNodeOptions) async throws {
        let node = try LiveNode(host: host, options: options)
        let group = ServiceGroup(
            services: [node], gracefulShutdownSignals: [.sigterm, .sigint], logger: options.logger)
        try await group.run()
    }

    public func run() async throws {
        let alreadyStarted = runState.withLock { state in
            defer { state.started = true }
            return state.started
        }
        guard !alreadyStarted else { throw LiveNodeError.alreadyRun(address) }
        var metricsServer: (any Channel)?
        var background: Task<Void, Never>?
        do {
            let port = try await transport.start()
            runState.withLock { $0.boundPort = port }
            if let metricsPort = options.metricsPort {
                let server = try await startMetricsServer(port: metricsPort)
                metricsServer = server
                runState.withLock { $0.metricsBoundPort = server.localAddress?.port }
            }
            options.logger.info("node \(address) listening on \(options.listenHost):\(port)")
            recorder.update { $0.listening = true }
            background = Task { await self.backgroundDuties() }
            await withTaskCancellationOrGracefulShutdownHandler {
                await waitForPeers()
                // The kernel keeps 15 bytes of a thread's name (and Foundation the last 15), so the name is the role alone:
                // it is how a run's report finds this thread among the node's (`RunQueueWindow`).
                if !stopSignal.isFired { consensus.start(name: Self.consensusThreadName) }
                await stopSignal.wait()
            } onCancelOrGracefulShutdown: {
                self.stopSignal.fire()
            }
        } catch {
            stopSignal.fire()
            let failure = LiveNodeError.transportFailed(node: address, description: "\(error)")
            options.logger.critical("\(failure)")
            runState.withLock { if $0.failure == nil { $0.failure = failure } }
        }
        await tearDown(metricsServer: metricsServer, background: background)
        if let failure = runState.withLock({ $0.failure }) { throw failure }
    }

    /// `.start` waits (at most `startWaitMillisMax`) for a connection to every peer it sends to: what it sends before one is up
    /// would be dropped and cost a view timeout.
    private func waitForPeers() async {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, options.startWaitMillisMax)) * 1_000_000
        while !stopSignal.isFired, !Task.isCancelled, DispatchTime.now().uptimeNanoseconds < deadline {
            if await transport.connectedPeers() >= transport.dialedPeerCount { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func tearDown(metricsServer: (any Channel)?, background: Task<Void, Never>?) async {
        options.logger.info("node \(address) shutting down")
        await transport.stopAccepting()
        // Shutting down: a close that fails means the socket is gone already.
        try? await metricsServer?.close()
        // The input in hand finishes (its store write and its sends); what waits in the inbox is dropped, as a
        // crash would drop it, and peers resend.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let consensus = self.consensus
            Thread.detachNewThread {
                consensus.stop()
                continuation.resume()
            }
        }
        host.close()
        await transport.close()
        background?.cancel()
        await background?.value
        writeMetricsFile(final: true)
        try? await group.shutdownGracefully()
    }

    /// Polls the control file and rewrites the metrics file (every `metricsFileIntervalMillis`) until the node
    /// stops.
    private func backgroundDuties() async {
        var reader = options.controlFile.map { ControlFileReader(path: $0) }
        let pollMillis = max(10, options.controlPollMillis)
        var lastWriteNanos: UInt64 = 0
        while !Task.isCancelled, !stopSignal.isFired {
            if var current = reader {
                for command in current.newCommands(logger: options.logger) { apply(command) }
                reader = current
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastWriteNanos >= UInt64(max(10, options.metricsFileIntervalMillis)) * 1_000_000 {
                writeMetricsFile()
                lastWriteNanos = now
            }
            try? await Task.sleep(for: .milliseconds(pollMillis))
        }
    }

    /// Carries out one control command (see `LiveControlCommand`).
    public func apply(_ command: LiveControlCommand) {
        if command.heal == true {
            setPartition(cutOff: nil)
            setExtraLoss(rate: 0)
        }
        if let names = command.partition {
            var cut: Set<NodeAddress> = []
            for name in names {
                if let peer = NodeAddress(parsing: name) {
                    cut.insert(peer)
                } else {
                    options.logger.warning("control: unknown node \(name) in partition")
                }
            }
            setPartition(cutOff: cut)
        }
        if let loss = command.loss { setExtraLoss(rate: loss) }
        if let byzantine = command.byzantine { setByzantine(byzantine, colluders: command.colluders ?? []) }
    }

    /// Starts or stops rewriting the entries this validator sends the committee (a `byzantineRegion` fault). A
    /// behaviour or key file that cannot be used is logged and changes nothing: the node stays as it was.
    func setByzantine(_ name: String, colluders: [LiveControlCommand.Colluder]) {
        guard name != "honest" else {
            transport.faults.withLock { $0.forgery = nil }
            options.logger.notice("control: honest again")
            return
        }
        guard let behavior = Topology.ByzantineRegionBehavior(rawValue: name) else {
            options.logger.warning("control: unknown byzantine behaviour \(name)")
            return
        }
        var keys: [(index: Int, key: KeyPair)] = []
        for colluder in colluders {
            do { keys.append((colluder.index, try KeyFile.read(URL(fileURLWithPath: colluder.keyFile)))) } catch {
                options.logger.warning("control: byzantine \(name) not applied: \(error)")
                return
            }
        }
        transport.faults.withLock { $0.forgery = ByzantineEntryForgery(behavior: behavior, colluders: keys) }
        options.logger.notice("control: byzantine \(name) with \(keys.count) colluding keys")
    }

    /// Written to a temporary file and renamed, so a node killed mid-write leaves the previous figures whole.
    /// The last write (`final`) also holds the members' checkpoint log.
    private func writeMetricsFile(final: Bool = false) {
        guard let path = options.metricsFile else { return }
        let encoder = JSONEncoder()
        // Sorting and indenting only help people, who read the file left at a stop; the run parses the others.
        encoder.outputFormatting = final ? [.prettyPrinted, .sortedKeys] : []
        do {
            let metrics = Self.snapshot(recorder, transport, withCheckpointLog: final)
            try Self.replaceFile(at: path, with: try encoder.encode(metrics))
        } catch {
            options.logger.warning("metrics file \(path) not written: \(error)")
        }
    }

    /// Writes a sibling file and renames it over `path`, so a reader sees the old snapshot or the new one, never a
    /// mix. No fsync: the file is a status snapshot rewritten every 50 ms, which a crash may leave stale, and
    /// Foundation's atomic write flushed it to disk each time, 20 flushes a second per node on the disk the
    /// stores' durable commits wait on.
    static func replaceFile(at path: String, with data: Data) throws {
        let temporary = path + ".writing"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        let failure: Int32? = data.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return nil
        }
        close(descriptor)
        if let failure { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO) }
        guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private func startMetricsServer(port: Int) async throws -> any Channel {
        let recorder = self.recorder
        let transport = self.transport
        let prometheus = self.prometheus
        let render: @Sendable () -> [UInt8] = { prometheus.render(Self.snapshot(recorder, transport)) }
        return try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .bind(host: options.listenHost, port: port).get()
    }
}

/// The transport, set once right after the consensus thread that needs it is built (each needs the other).
private final class LateTransport: @unchecked Sendable {
    var value: Transport?
}

/// A value behind a lock that closures can share (a `Mutex` alone cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// Fires once; every waiter, earlier or later, goes on.
final class StopSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var isFired: Bool { state.withLock { $0.fired } }

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let firedAlready = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if firedAlready { continuation.resume() }
        }
    }
}

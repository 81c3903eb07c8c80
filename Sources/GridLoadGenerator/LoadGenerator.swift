import Foundation
import GridCrypto
import GridLedger
import GridLoad
import GridRegion
import GridTopology
import GridWire
import GridWorkloads
import Histogram
import NIOCore
import NIOExtras
import NIOPosix

/// The live load generator: pre-signs its share of the simulator's transfer schedule, then sends each transaction
/// at its scheduled time to its gateway validator over TCP, open loop, and counts how every one of them ends.
///
/// - Closed loop (`closedLoop(outstanding: K)`): part p keeps its share of K (K / parts, the first K % parts parts
///   one more) outstanding; a freed slot is refilled on the next tick (within `tickNanos`), with the next
///   transaction of the part's index sequence, built and signed then and scheduled at that moment. The
///   transactions are the simulator's for their index, but which index goes out when depends on reply timing, as
///   it does in any closed loop.
/// - Time zero of the schedule is the moment sending starts (after pre-signing, connecting and waiting for
///   `startAtUnixNanos`). A timer on one event loop sends the due transactions in batches (one tick at most every
///   `LoadGeneratorLimits.tickNanos`), never waiting for replies.
/// - Latency is reply receipt minus the *scheduled* time on this process's monotonic clock, so a generator that
///   falls behind shows it as latency (no coordinated omission). One HDR histogram per connection, added up at
///   the end.
/// - A gateway that is down (refused, dropped, not listed) is retried with exponential back-off; meanwhile its
///   transactions go to the next connected validator of the same region (counted as failovers).
/// - A transaction whose connection drops before its reply is resubmitted once through failover, if its
///   deadline has not passed. This is safe for the ledger: the resubmission is the same signed bytes, so the same
///   hash and the same (signer, nonce); a gateway that already holds it answers `duplicate`, and once either copy
///   commits the nonce window makes the other fail `stale-nonce` — it can never execute twice. Those two answers
///   to a resubmission do not tell whether the first copy committed, so they count as `lost` (unknown), never as
///   rejected. A second drop counts as `lost` too.
public enum LoadGenerator {
    public static func run(_ options: LoadGeneratorOptions, progress: (@Sendable (LoadProgress) -> Void)?)
        async throws -> LoadReport
    {
        try options.validate()
        let topology = options.topology
        let workload = try TransferWorkload(topology: topology, chainID: options.chainID)
        let window = try TransferWorkload.window(topology.workload)
        let clientKey = KeyPair.derived(masterSeed: topology.seed, label: "load-generator/\(options.part)")
        var setups: [LoadRunner.Setup] = []
        // The grid contract agents run in part 0 only, on connections of their own.
        if options.part == 0, topology.workload.kind != .transfer {
            var agentOptions = options
            agentOptions.part = 0
            agentOptions.parts = 1
            agentOptions.recordsCommitted = false
            let agent: ContractAgent
            do {
                agent = try ContractAgent(
                    topology: topology, chainID: options.chainID, window: window,
                    readKeysMax: WireLimits.standard.readKeysMax)
            } catch {
                throw LoadGeneratorError.workload("\(error)")
            }
            setups.append(
                LoadRunner.Setup(
                    options: agentOptions, window: window, regionNames: workload.regionNames,
                    validatorsPerRegion: workload.validatorsPerRegion, scheduledNanos: [], regionOf: [],
                    homeValidatorOf: [], frames: ByteBuffer(), frameOffsets: [0],
                    clientKey: KeyPair.derived(masterSeed: topology.seed, label: "load-generator/agents"),
                    presignSeconds: 0, presignCPUSeconds: 0, closedLoop: nil, agent: agent,
                    series: try TimeSeriesRecorder(
                        intervalNanos: options.intervalNanos, intervalsMax: options.intervalsMax)
                ))
        }
        let controller = try TransferWorkload.transferController(topology)
        let series = try TimeSeriesRecorder(intervalNanos: options.intervalNanos, intervalsMax: options.intervalsMax)
        if case .closedLoop(let outstanding) = controller {
            // Validates the controller as the simulator does.
            _ = try LoadSchedule(controller: .closedLoop(outstanding: outstanding), window: window, seed: topology.seed)
            let share = outstanding / options.parts + (options.part < outstanding % options.parts ? 1 : 0)
            setups.append(
                LoadRunner.Setup(
                    options: options, window: window, regionNames: workload.regionNames,
                    validatorsPerRegion: workload.validatorsPerRegion, scheduledNanos: [], regionOf: [],
                    homeValidatorOf: [], frames: ByteBuffer(), frameOffsets: [0], clientKey: clientKey,
                    presignSeconds: 0, presignCPUSeconds: 0,
                    closedLoop: LoadRunner.ClosedLoop(outstanding: share, workload: workload), series: series))
        } else if controller != nil || setups.isEmpty {
            // With no transfers and no agents here, the part still reports, empty.
            let allTimes = try TransferWorkload.scheduledTimes(topology)
            let indices = Array(stride(from: options.part, to: allTimes.count, by: options.parts))

            // Pre-sign on every core, then lay the framed submits out in one buffer.
            let presignCPUStart = ProcessCPU.seconds()
            let presignStart = DispatchTime.now().uptimeNanoseconds
            let (frames, frameOffsets) = presignedFrames(workload: workload, indices: indices)
            let presignSeconds = Double(DispatchTime.now().uptimeNanoseconds - presignStart) / 1e9
            let presignCPUSeconds = ProcessCPU.seconds() - presignCPUStart

            let plans = indices.map { workload.plan($0) }
            setups.append(
                LoadRunner.Setup(
                    options: options, window: window, regionNames: workload.regionNames,
                    validatorsPerRegion: workload.validatorsPerRegion, scheduledNanos: indices.map { allTimes[$0] },
                    regionOf: plans.map { UInt16($0.region) },
                    homeValidatorOf: plans.map { UInt16($0.gatewayValidator) }, frames: frames,
                    frameOffsets: frameOffsets, clientKey: clientKey, presignSeconds: presignSeconds,
                    presignCPUSeconds: presignCPUSeconds, closedLoop: nil, series: series))
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let loop = group.next()
            // One progress line: the last runner's (the transfers', when there are any).
            let runners = setups.enumerated().map { position, setup in
                LoadRunner(setup: setup, loop: loop, progress: position == setups.count - 1 ? progress : nil)
            }
            for runner in runners { try await runner.connectAll().get() }
            if let startAt = options.startAtUnixNanos {
                let nowUnix = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
                if startAt > nowUnix { try await Task.sleep(nanoseconds: startAt - nowUnix) }
            }
            let futures = runners.map { $0.start() }
            var reports: [LoadReport] = []
            for future in futures { reports.append(try await future.get()) }
            try await group.shutdownGracefully()
            return try combined(reports, options: options)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One process's runners as one part: counts, histograms and series added, the process's CPU once (each
    /// runner measured all of it).
    static func combined(_ reports: [LoadReport], options: LoadGeneratorOptions) throws -> LoadReport {
        guard reports.count > 1, let first = reports.first else {
            return reports.first ?? LoadReport.merged([LoadReport]())
        }
        var merged = try LoadReport.merged(reports.enumerated().map { ("runner \($0.offset)", $0.element) })
        merged.parts = [options.part]
        merged.partsTotal = options.parts
        merged.generator.cpuSeconds = reports.map(\.generator.cpuSeconds).max() ?? first.generator.cpuSeconds
        merged.generator.eventLoopCPUSeconds =
            reports.map(\.generator.eventLoopCPUSeconds).max() ?? first.generator.eventLoopCPUSeconds
        // The runners of one part share its event-loop thread: each measured all of it.
        merged.generator.eventLoopRuns = reports.compactMap(\.generator.eventLoopRuns).max()
        return merged
    }

    /// The length-prefixed `submit` frame of each transaction (request id = its index in the run), one after the
    /// other in one buffer; frame k is `offsets[k]..<offsets[k + 1]`.
    static func presignedFrames(workload: TransferWorkload, indices: [Int]) -> (ByteBuffer, [Int]) {
        let encoded = workload.encodedTransactions(indices)
        var frames = ByteBufferAllocator().buffer(capacity: encoded.reduce(0) { $0 + $1.count + 32 })
        var offsets: [Int] = [0]
        offsets.reserveCapacity(indices.count + 1)
        for (position, index) in indices.enumerated() {
            let frame = WireCodec.encode(ClientMessage.submit(requestID: UInt64(index), transaction: encoded[position]))
            frames.writeInteger(UInt32(frame.count), endianness: .big)
            frames.writeBytes(frame)
            offsets.append(frames.writerIndex)
        }
        return (frames, offsets)
    }
}

/// One gateway validator's connection and what travels on it. Confined to the runner's event loop.
final class GatewayConnection {
    enum Status { case down, connecting, up }

    let index: Int
    let gateway: Gateway
    var status = Status.down
    var channel: (any Channel)?
    /// Bumped at every connection attempt, so events of an old channel are ignored.
    var generation = 0
    /// Consecutive failures, for the back-off.
    var failures = 0
    var retryAt = NIODeadline.uptimeNanoseconds(0)
    /// Local transaction numbers written on this connection and awaiting a reply.
    var inFlight = Set<Int>()
    /// Local transaction numbers waiting for the socket buffer to drain (stale entries are skipped).
    var backlog = CircularBuffer<Int>()
    var needsFlush = false
    /// Submit frames the client link holds (`LoadRunner.clientLatencyNanos`, `clientJitterNanos`), FIFO, with when
    /// each reaches the socket, on the runner's clock; and whether a release is scheduled. Each is a transaction in
    /// flight, so `LoadGeneratorLimits.inFlightMax` bounds them; socket back-pressure applies when they are released.
    var held = CircularBuffer<(releaseNanos: UInt64, frame: ByteBuffer)>()
    var releaseScheduled = false
    /// Measured-window commit latencies of replies on this connection, microseconds.
    var histogram = LatencyHistogram.makeEmpty()

    init(index: Int, gateway: Gateway) {
        self.index = index
        self.gateway = gateway
    }
}

/// The state of one run. Every method runs on `loop`; nothing is shared with another thread (hence the
/// unchecked `Sendable`, which lets NIO callbacks capture it).
final class LoadRunner: @unchecked Sendable {
    struct Setup: Sendable {
        var options: LoadGeneratorOptions
        var window: LoadWindow
        var regionNames: [String]
        var validatorsPerRegion: [Int]
        /// By local transaction number k (global index `part + k * parts`), non-decreasing.
        var scheduledNanos: [UInt64]
        var regionOf: [UInt16]
        var homeValidatorOf: [UInt16]
        /// Length-prefixed submit frames; frame k is `frameOffsets[k]..<frameOffsets[k + 1]`.
        var frames: ByteBuffer
        var frameOffsets: [Int]
        var clientKey: KeyPair
        var presignSeconds: Double
        var presignCPUSeconds: Double
        /// Set for a closed loop: nothing is pre-signed, transactions are built when released.
        var closedLoop: ClosedLoop?
        /// Set for the grid contract agents: their transactions are built and signed when due (request id = local
        /// number, so the runner's options have part 0 of 1).
        var agent: ContractAgent?
        /// Empty, with the options' interval and bound; the runner fills it.
        var series: TimeSeriesRecorder
    }

    struct ClosedLoop: Sendable {
        var outstanding: Int
        var workload: TransferWorkload
    }

    private enum TxState: UInt8 {
        case pending
        case queued
        case sent
        case resolved
    }

    private enum Outcome {
        case committed(connection: Int)
        case failed(String)
        case rejected(String)
        case busy
        case unreachable
        case notSent
        case timedOut
        case lost

        var isCommitted: Bool {
            if case .committed = self { return true }
            return false
        }
    }

    private let setup: Setup
    private let loop: any EventLoop
    private let limits: LoadGeneratorLimits
    private let progress: (@Sendable (LoadProgress) -> Void)?
    private let timeoutNanos: UInt64
    private let drainEndNanos: UInt64
    /// The topology's client link (`network.client`), as the simulator applies it: each submission reaches the
    /// gateway, and each reply this runner, the link's latency plus a uniform jitter later (submissions on one
    /// connection stay in order, as on TCP). The simulator models neither loss nor bandwidth on the client link,
    /// and neither does this.
    private let clientLatencyNanos: UInt64
    private let clientJitterNanos: UInt64
    private var random = SystemRandomNumberGenerator()
    /// Transactions of this part so far (all of them for an open loop, released ones for a closed loop).
    private var count: Int
    /// By local transaction number k (global index `part + k * parts`); scheduled times are non-decreasing.
    private var scheduledNanos: [UInt64]
    private var regionOf: [UInt16]
    private var homeValidatorOf: [UInt16]
    /// Closed loop only: how many of this part's transactions may be outstanding, how many are, and the frames of
    /// those (built and signed when released).
    private var closedLoopLimit: Int?
    private var closedLoopOutstanding = 0
    private var closedLoopFrames: [Int: ByteBuffer] = [:]
    private let part: Int
    private let parts: Int
    /// The grid contract agents, when this runner sends their transactions; the purpose of each that has one.
    private let agent: ContractAgent?
    private var agentPurpose: [Int: WorkloadPurpose] = [:]
    /// Reads of committed state in flight, by request id (from `readIDBase`, above any transaction's id).
    private var pendingReads: [UInt64: PendingRead] = [:]
    private var nextReadID = LoadRunner.readIDBase
    static let readIDBase: UInt64 = 1 << 62
    private var workloadOutcome: RunResult.WorkloadOutcome?
    private var workloadOutcomeError: String?
    /// The run is over and the agents' outcome is being read; `finish` follows.
    private var readingOutcome = false
    /// With a global committee: committed transactions waiting for their gateway's `.finalized` notice, by local
    /// number (all phases, so notices inside the window count whenever scheduled), and what they came to.
    private let tracksFinality: Bool
    private var awaitingFinality: Set<Int> = []
    /// Notices that overtook their commit reply on a jittered client link (`clientLatencyNanos`): they count when
    /// the commit arrives, as a client that learns both then.
    private var earlyFinality: Set<Int> = []
    /// Blocks that hold agent transactions, by region and height: the earliest one's scheduled time (Unix ns).
    private var operationOrigins: [LoadReport.OperationOrigin.Key: UInt64] = [:]
    private var finalityHistogram = LatencyHistogram.makeEmpty()
    private var finalInWindowByRegion: [UInt64]
    private var finalityNotTracked: UInt64 = 0
    /// When every transaction had its outcome: the generator then waits up to the client time-out for the
    /// notices still due, as a client waits for a commit, but at most `finalityWaitNanosMax` (the live run allows
    /// its generators 30 s past the drain).
    private var settledAtNanos: UInt64?
    static let finalityWaitNanosMax: UInt64 = 10_000_000_000
    /// Committed transactions a part keeps waiting for finality at most; past it they are counted, not tracked.
    static let finalityAwaitedMax = 1_000_000

    private struct PendingRead {
        var connection: Int
        var deadlineNanos: UInt64
        var done: ([[UInt8]?]?) -> Void
    }

    private var state: [TxState]
    private var connectionOf: [Int32]
    private var everSent: [Bool]
    private var resubmitted: [Bool]
    /// Next transaction to send; every one before it was dispatched.
    private var nextDue = 0
    /// Every transaction before it has an outcome (deadlines are in schedule order).
    private var expiryCursor = 0
    /// Sent and awaiting a reply (all connections).
    private var inFlightCount = 0
    /// Queued or sent, without an outcome.
    private var openCount = 0

    private var phaseCounts = [LoadOutcomeCounts](repeating: LoadOutcomeCounts(), count: 3)
    private var regionMeasured: [LoadOutcomeCounts]
    private var regionCommittedInWindow: [UInt64]
    private var committedInWindow: UInt64 = 0
    /// Local numbers of committed transactions, when the options ask for them.
    private var committedLocal: [Int] = []
    private var rejectReasons: [String: UInt64] = [:]
    private var stats = LoadReport.ConnectionStats()
    private var sendLagMaxNanos: UInt64 = 0
    /// Every transaction by interval of the wall-clock grid (``LoadTimeSeries``), recorded when it resolves.
    private var series: TimeSeriesRecorder
    /// Where time zero of sending falls in the series: nanoseconds from the start of its first interval.
    private var seriesOffsetNanos: UInt64 = 0
    /// Wall time (Unix ns) of the start of the series' first interval.
    private var seriesFirstIntervalUnixNanos: UInt64 = 0

    private var connections: [GatewayConnection] = []
    /// [region][validator] -> index in `connections`, nil for a validator without a gateway entry.
    private var connectionIndex: [[Int?]]
    private var touched: [Int] = []

    private var startDeadline = NIODeadline.uptimeNanoseconds(0)
    private var startUnixNanos: UInt64 = 0
    private var startCPUSeconds = 0.0
    private var startLoopCPUSeconds = 0.0
    private var startLoopRuns: UInt64?
    private var started = false
    private var finished = false
    private var nextProgressNanos: UInt64 = 1_000_000_000
    private var lastProgressNanos: UInt64 = 0
    private var lastProgressCommitted: UInt64 = 0
    private var promise: EventLoopPromise<LoadReport>

    init(setup: Setup, loop: any EventLoop, progress: (@Sendable (LoadProgress) -> Void)?) {
        self.setup = setup
        self.loop = loop
        self.progress = progress
        limits = setup.options.limits
        timeoutNanos = UInt64(setup.options.timeoutSeconds * 1e9)
        drainEndNanos = setup.window.runEndNanos + UInt64(setup.options.drainSeconds * 1e9)
        let clientLink = setup.options.topology.network.client
        clientLatencyNanos = UInt64(max(0, (clientLink.latencyMillis * 1e6).rounded()))
        clientJitterNanos = UInt64(max(0, (clientLink.jitterMillis * 1e6).rounded()))
        scheduledNanos = setup.scheduledNanos
        series = setup.series
        regionOf = setup.regionOf
        homeValidatorOf = setup.homeValidatorOf
        count = scheduledNanos.count
        if let closedLoop = setup.closedLoop {
            closedLoopLimit = closedLoop.outstanding
        }
        agent = setup.agent
        part = setup.options.part
        parts = setup.options.parts
        state = Array(repeating: .pending, count: count)
        connectionOf = Array(repeating: -1, count: count)
        everSent = Array(repeating: false, count: count)
        resubmitted = Array(repeating: false, count: count)
        regionMeasured = Array(repeating: LoadOutcomeCounts(), count: setup.regionNames.count)
        regionCommittedInWindow = Array(repeating: 0, count: setup.regionNames.count)
        tracksFinality = setup.options.topology.global != nil
        finalInWindowByRegion = Array(repeating: 0, count: setup.regionNames.count)
        connectionIndex = setup.validatorsPerRegion.map { Array(repeating: nil, count: $0) }
        for gateway in setup.options.gateways {
            connectionIndex[gateway.region][gateway.index] = connections.count
            connections.append(GatewayConnection(index: connections.count, gateway: gateway))
        }
        promise = loop.makePromise(of: LoadReport.self)
        for k in 0..<count {
            let phase = setup.window.phase(ofScheduledNanos: scheduledNanos[k])
            phaseCounts[Self.phaseIndex(phase)].offered += 1
            if phase == .measured { regionMeasured[Int(regionOf[k])].offered += 1 }
        }
    }

    // MARK: - Clock

    /// Nanoseconds since sending started, on the monotonic clock.
    private func nowNanos() -> UInt64 {
        let now = NIODeadline.now().uptimeNanoseconds
        let start = startDeadline.uptimeNanoseconds
        return now > start ? now - start : 0
    }

    // MARK: - Connections

    /// Tries every gateway once; the future succeeds when every attempt has finished, whatever its outcome.
    func connectAll() -> EventLoopFuture<Void> {
        loop.flatSubmit {
            let attempts = self.connections.map { self.connect($0) }
            return EventLoopFuture.andAllComplete(attempts, on: self.loop)
        }
    }

    private func connect(_ connection: GatewayConnection) -> EventLoopFuture<Void> {
        connection.status = .connecting
        connection.generation += 1
        let generation = connection.generation
        let index = connection.index
        let limits = self.limits
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(limits.connectTimeoutSeconds * 1e9)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: limits.writeBufferLowBytes, high: limits.writeBufferHighBytes)
            )
        if let bytes = limits.socketSendBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(bytes))
        }
        bootstrap =
            bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(
                            LengthFieldBasedFrameDecoder(lengthFieldBitLength: .fourBytes),
                            maximumBufferSize: limits.frameBytesMax + 4))
                    try channel.pipeline.syncOperations.addHandler(
                        GatewayHandler(runner: self, connection: index, generation: generation))
                }
            }
        return bootstrap.connect(host: connection.gateway.host, port: connection.gateway.port).map { _ in () }
            .flatMapError { _ in
                self.connectFailed(index, generation: generation)
                return self.loop.makeSucceededVoidFuture()
            }
    }

    private func backoff(_ connection: GatewayConnection) -> NIODeadline {
        let seconds = min(
            limits.reconnectMaxSeconds,
            limits.reconnectInitialSeconds * pow(2, Double(min(connection.failures, 30)) - 1))
        return NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
    }

    private func connectFailed(_ index: Int, generation: Int) {
        let connection = connections[index]
        guard connection.generation == generation, connection.status == .connecting else { return }
        stats.connectFailures += 1
        connection.status = .down
        connection.channel = nil
        connection.failures += 1
        connection.retryAt = backoff(connection)
    }

    fileprivate func channelActive(_ index: Int, generation: Int, channel: any Channel) {
        let connection = connections[index]
        guard connection.generation == generation, !finished else {
            channel.close(promise: nil)
            return
        }
        stats.connectsSucceeded += 1
        connection.status = .up
        connection.channel = channel
        let hello = WireCodec.encode(
            PeerMessage.hello(
                Hello(
                    chainID: setup.options.chainID, identity: .client, publicKey: setup.clientKey.publicKey,
                    challenge: .random())))
        var buffer = channel.allocator.buffer(capacity: hello.count + 4)
        buffer.writeInteger(UInt32(hello.count), endianness: .big)
        buffer.writeBytes(hello)
        channel.writeAndFlush(buffer, promise: nil)
    }

    fileprivate func channelInactive(_ index: Int, generation: Int) {
        let connection = connections[index]
        guard connection.generation == generation, connection.status == .up else { return }
        connection.status = .down
        connection.channel = nil
        failReads(onConnection: index)
        // Frames the link still held never left: their transactions are in flight here and go elsewhere below.
        connection.held.removeAll()
        guard !finished else { return }
        stats.connectionDrops += 1
        connection.failures += 1
        connection.retryAt = backoff(connection)
        let now = nowNanos()
        // Never-sent transactions waiting here go elsewhere; sent ones are resubmitted once, if still in time.
        var waiting: [Int] = []
        while let k = connection.backlog.popFirst() {
            if state[k] == .queued, connectionOf[k] == Int32(index) { waiting.append(k) }
        }
        let stranded = connection.inFlight.sorted()
        for k in waiting {
            release(k)
            route(k, now: now)
        }
        for k in stranded where state[k] == .sent {
            release(k)
            if !resubmitted[k], now < scheduledNanos[k] &+ timeoutNanos {
                resubmitted[k] = true
                stats.resubmitted += 1
                route(k, now: now)
            } else {
                resolve(k, .lost, now: now)
            }
        }
        flushTouched()
    }

    fileprivate func channelWritable(_ index: Int, generation: Int) {
        let connection = connections[index]
        guard connection.generation == generation, connection.status == .up, let channel = connection.channel else {
            return
        }
        let now = nowNanos()
        while channel.isWritable, let k = connection.backlog.popFirst() {
            guard state[k] == .queued, connectionOf[k] == Int32(index) else { continue }
            release(k)
            write(k, on: connection, now: now)
        }
        flushTouched()
    }

    fileprivate func received(_ frame: ByteBuffer, on index: Int, generation: Int) {
        let connection = connections[index]
        guard connection.generation == generation, !finished else { return }
        connection.failures = 0
        let bytes = Array(frame.readableBytesView)
        // A frame that is neither a client reply nor a peer hello is counted below as a protocol error.
        if let message = try? WireCodec.decodeClient(bytes, limits: .standard) {
            if case .values(let requestID, _, let values) = message {
                guard let read = pendingReads.removeValue(forKey: requestID) else {
                    stats.lateReplies += 1
                    return
                }
                return read.done(values)
            }
            guard case .reply(let requestID, let reply) = message else {
                stats.protocolErrors += 1
                return
            }
            if requestID >= Self.readIDBase {
                // A read the gateway refused or had no room for.
                guard let read = pendingReads.removeValue(forKey: requestID) else {
                    stats.lateReplies += 1
                    return
                }
                return read.done(nil)
            }
            guard hasClientLink else {
                handleReply(requestID: requestID, reply: reply, on: connection)
                return
            }
            loop.scheduleTask(in: .nanoseconds(Int64(clientLinkDelayNanos()))) {
                guard !self.finished else { return }
                self.handleReply(requestID: requestID, reply: reply, on: connection)
            }
        } else if let message = try? WireCodec.decode(bytes, limits: .standard) {
            switch message {
            case .hello, .helloProof: break
            default: stats.protocolErrors += 1
            }
        } else {
            stats.protocolErrors += 1
        }
    }

    private func handleReply(requestID: UInt64, reply: ClientReply, on connection: GatewayConnection) {
        guard requestID >= UInt64(part), (requestID - UInt64(part)) % UInt64(parts) == 0,
            (requestID - UInt64(part)) / UInt64(parts) < UInt64(count)
        else {
            stats.lateReplies += 1
            return
        }
        let k = Int((requestID - UInt64(part)) / UInt64(parts))
        if case .finalized = reply {
            return heardFinality(k)
        }
        guard state[k] == .sent, connection.inFlight.contains(k) else {
            stats.lateReplies += 1
            return
        }
        let now = nowNanos()
        release(k)
        if now > scheduledNanos[k] &+ timeoutNanos {
            resolve(k, .timedOut, now: now)
            return
        }
        switch reply {
        case .committed(let height):
            if tracksFinality, agentPurpose[k] != nil { noteOrigin(k, height: height) }
            resolve(k, .committed(connection: connection.index), now: now)
        case .busy:
            resolve(k, .busy, now: now)
        case .rejected(let reason):
            resolve(k, resubmitted[k] && Self.isAmbiguous(reason) ? .lost : .rejected(reason), now: now)
        case .failed(_, let reason):
            resolve(k, resubmitted[k] && Self.isAmbiguous(reason) ? .lost : .failed(reason), now: now)
        case .finalized:
            // Handled above: a notice follows a commit, it never resolves a transaction.
            break
        }
    }

    /// An agent transaction committed in block `height` of its region: the block's origin, for the `crossRegion`
    /// latency of the messages it sent, is the earliest scheduled agent transaction in it (as the simulator takes).
    private func noteOrigin(_ k: Int, height: UInt64) {
        let key = LoadReport.OperationOrigin.Key(region: Int(regionOf[k]), height: height)
        let scheduledUnix = startUnixNanos + scheduledNanos[k]
        guard let known = operationOrigins[key] else {
            guard operationOrigins.count < Self.finalityAwaitedMax else { return }
            operationOrigins[key] = scheduledUnix
            return
        }
        operationOrigins[key] = min(known, scheduledUnix)
    }

    /// The gateway says transaction k's block is final: its global finality latency, on this process's clock.
    private func heardFinality(_ k: Int) {
        guard awaitingFinality.remove(k) != nil else {
            if state[k] == .sent, earlyFinality.count < Self.finalityAwaitedMax {
                earlyFinality.insert(k)
            } else {
                stats.lateReplies += 1
            }
            return
        }
        recordFinality(k, now: nowNanos())
    }

    private func recordFinality(_ k: Int, now: UInt64) {
        let scheduled = scheduledNanos[k]
        let micros = OutcomeRecorder.micros(roundingUp: now - scheduled)
        // Every phase, as the simulator's series records it.
        series.globalFinality(region: Int(regionOf[k]), atNanos: seriesOffsetNanos + now, latencyMicros: micros)
        if setup.window.phase(ofScheduledNanos: scheduled) == .measured { _ = finalityHistogram.record(micros) }
        if now >= setup.window.measuredStartNanos, now < setup.window.measuredEndNanos {
            finalInWindowByRegion[Int(regionOf[k])] += 1
        }
    }

    /// Answers to a resubmission that say the ledger already has this (signer, nonce): the first copy may or may
    /// not have committed.
    private static func isAmbiguous(_ reason: String) -> Bool {
        reason.contains("duplicate") || reason.contains("stale-nonce")
    }

    // MARK: - Sending

    /// Starts sending now (time zero) and returns the report once the run is over.
    func start() -> EventLoopFuture<LoadReport> {
        loop.execute {
            self.startDeadline = NIODeadline.now()
            self.startUnixNanos = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
            self.seriesFirstIntervalUnixNanos = Self.gridStart(
                atOrBefore: self.startUnixNanos,
                origin: self.setup.options.intervalOriginUnixNanos ?? self.setup.options.startAtUnixNanos ?? 0,
                intervalNanos: self.series.intervalNanos)
            self.seriesOffsetNanos = self.startUnixNanos - self.seriesFirstIntervalUnixNanos
            self.startCPUSeconds = ProcessCPU.seconds()
            self.startLoopCPUSeconds = ThreadCPU.seconds()
            self.startLoopRuns = ThreadCPU.runs()
            self.started = true
            self.tick()
        }
        return promise.futureResult
    }

    private func tick() {
        guard !finished else { return }
        let now = nowNanos()
        var sends = 0
        while nextDue < count, scheduledNanos[nextDue] <= now, sends < limits.sendsPerTickMax {
            sendLagMaxNanos = max(sendLagMaxNanos, now - scheduledNanos[nextDue])
            route(nextDue, now: now)
            nextDue += 1
            sends += 1
        }
        releaseClosedLoop(now: now)
        releaseAgent(now: now)
        flushTouched()
        expire(now: now)
        expireReads(now: now)
        if let failure = agent?.failure, !finished {
            finished = true
            for connection in connections { connection.channel?.close(promise: nil) }
            promise.fail(LoadGeneratorError.workload(failure))
            return
        }
        let wall = NIODeadline.now()
        for connection in connections where connection.status == .down && connection.retryAt <= wall {
            _ = connect(connection)
        }
        if now >= nextProgressNanos {
            reportProgress(now: now)
            nextProgressNanos = (now / 1_000_000_000 + 1) * 1_000_000_000
        }
        let released = (closedLoopLimit == nil && agent == nil) || now >= setup.window.runEndNanos
        let agentsDone = agent?.isIdle ?? true
        if !readingOutcome, (released && nextDue == count && openCount == 0 && agentsDone) || now >= drainEndNanos {
            guard agent != nil else {
                let settled = settledAtNanos ?? now
                settledAtNanos = settled
                if awaitingFinality.isEmpty || now >= settled + min(timeoutNanos, Self.finalityWaitNanosMax) {
                    finish(now: now)
                }
                return waitForFinality(now: now)
            }
            readOutcome()
        }
        // Reading the outcome is bounded by the reads' own time-outs; this bounds it once more.
        if readingOutcome, !finished, now >= drainEndNanos + Self.outcomeSecondsMax * 1_000_000_000 {
            workloadOutcomeError = workloadOutcomeError ?? "reading the outcome took over \(Self.outcomeSecondsMax) s"
            finish(now: now)
        }
        guard !finished else { return }
        if nextDue < count, scheduledNanos[nextDue] <= now {
            loop.execute { self.tick() }
            return
        }
        // A closed loop releases on every tick until the end of the run; agents wake when they have something due.
        var nextSend =
            nextDue < count ? scheduledNanos[nextDue] : released ? UInt64.max : now + limits.tickNanos
        if let agentWake = agent?.nextWakeNanos { nextSend = min(nextSend, agentWake) }
        let wakeBound = readingOutcome ? drainEndNanos + Self.outcomeSecondsMax * 1_000_000_000 : drainEndNanos
        let wake = min(max(nextSend, now + limits.tickNanos), now + 20_000_000, wakeBound)
        loop.scheduleTask(deadline: startDeadline + .nanoseconds(Int64(wake))) { self.tick() }
    }

    /// Everything has its outcome but finality notices are still due: look again shortly.
    private func waitForFinality(now: UInt64) {
        guard !finished else { return }
        loop.scheduleTask(deadline: startDeadline + .nanoseconds(Int64(now + 20_000_000))) { self.tick() }
    }

    /// Sends transaction k through its gateway, or the next connected validator of its region.
    private func route(_ k: Int, now: UInt64) {
        guard openCount < limits.inFlightMax else {
            resolve(k, .notSent, now: now)
            return
        }
        let region = Int(regionOf[k])
        let home = Int(homeValidatorOf[k])
        let validators = setup.validatorsPerRegion[region]
        for offset in 0..<validators {
            guard let index = connectionIndex[region][(home + offset) % validators] else { continue }
            let connection = connections[index]
            guard connection.status == .up, let channel = connection.channel else { continue }
            if offset != 0 { stats.failovers += 1 }
            if connection.backlog.isEmpty, channel.isWritable {
                write(k, on: connection, now: now)
            } else if connection.backlog.count < limits.backlogPerConnectionMax {
                connection.backlog.append(k)
                state[k] = .queued
                connectionOf[k] = Int32(index)
                openCount += 1
                stats.backPressureWaits += 1
            } else {
                resolve(k, .notSent, now: now)
            }
            return
        }
        resolve(k, .unreachable, now: now)
    }

    private func write(_ k: Int, on connection: GatewayConnection, now: UInt64) {
        guard let channel = connection.channel, let frame = frame(k) else {
            resolve(k, .notSent, now: now)
            return
        }
        if hasClientLink {
            let release = max(connection.held.last?.releaseNanos ?? 0, now &+ clientLinkDelayNanos())
            connection.held.append((release, frame))
            scheduleHeldRelease(connection)
        } else {
            channel.write(frame, promise: nil)
            if !connection.needsFlush {
                connection.needsFlush = true
                touched.append(connection.index)
            }
        }
        state[k] = .sent
        connectionOf[k] = Int32(connection.index)
        connection.inFlight.insert(k)
        inFlightCount += 1
        openCount += 1
        if !everSent[k] {
            everSent[k] = true
            let phase = setup.window.phase(ofScheduledNanos: scheduledNanos[k])
            phaseCounts[Self.phaseIndex(phase)].sent += 1
            if phase == .measured { regionMeasured[Int(regionOf[k])].sent += 1 }
        }
    }

    private var hasClientLink: Bool { clientLatencyNanos > 0 || clientJitterNanos > 0 }

    private func clientLinkDelayNanos() -> UInt64 {
        clientLatencyNanos &+ (clientJitterNanos > 0 ? UInt64.random(in: 0...clientJitterNanos, using: &random) : 0)
    }

    /// Writes the connection's held frames that are due, and schedules itself for the next one.
    private func scheduleHeldRelease(_ connection: GatewayConnection) {
        guard !connection.releaseScheduled, let first = connection.held.first else { return }
        connection.releaseScheduled = true
        loop.scheduleTask(deadline: startDeadline + .nanoseconds(Int64(first.releaseNanos))) {
            connection.releaseScheduled = false
            // A closed connection's frames were dropped with it (`channelInactive`); whatever is held now is for the
            // channel that is up.
            guard let channel = connection.channel else {
                connection.held.removeAll()
                return
            }
            let now = self.nowNanos()
            var wrote = false
            while let next = connection.held.first, next.releaseNanos <= now {
                channel.write(connection.held.removeFirst().frame, promise: nil)
                wrote = true
            }
            if wrote { channel.flush() }
            self.scheduleHeldRelease(connection)
        }
    }

    private func frame(_ k: Int) -> ByteBuffer? {
        if closedLoopLimit != nil || agent != nil { return closedLoopFrames[k] }
        return setup.frames.getSlice(
            at: setup.frameOffsets[k], length: setup.frameOffsets[k + 1] - setup.frameOffsets[k])
    }

    /// Agents: builds, signs and sends every submission due by now, each scheduled at its due time (or the last
    /// one's, so scheduled times stay in order for the deadlines).
    private func releaseAgent(now: UInt64) {
        guard let agent else { return }
        for (dueNanos, submission) in agent.release(now: now, reader: self) {
            let k = count
            let scheduled = max(dueNanos, scheduledNanos.last ?? 0)
            let submit = WireCodec.encode(
                ClientMessage.submit(requestID: UInt64(k), transaction: submission.transaction.encoded()))
            var buffer = ByteBufferAllocator().buffer(capacity: submit.count + 4)
            buffer.writeInteger(UInt32(submit.count), endianness: .big)
            buffer.writeBytes(submit)
            closedLoopFrames[k] = buffer
            if let purpose = submission.purpose { agentPurpose[k] = purpose }
            scheduledNanos.append(scheduled)
            regionOf.append(UInt16(submission.region))
            homeValidatorOf.append(UInt16(submission.gatewayValidator % setup.validatorsPerRegion[submission.region]))
            state.append(.pending)
            connectionOf.append(-1)
            everSent.append(false)
            resubmitted.append(false)
            count += 1
            let phase = setup.window.phase(ofScheduledNanos: scheduled)
            phaseCounts[Self.phaseIndex(phase)].offered += 1
            if phase == .measured { regionMeasured[submission.region].offered += 1 }
            nextDue = count
            sendLagMaxNanos = max(sendLagMaxNanos, now > scheduled ? now - scheduled : 0)
            route(k, now: now)
        }
    }

    // MARK: - Reads of committed state

    /// Reads in flight at most; one more is answered nil at once.
    static let readsInFlightMax = 1_024
    /// How long a read may take; a gateway that does not answer by then leaves its devices on their set-points.
    static let readTimeoutNanos: UInt64 = 2_000_000_000
    /// Seconds after the drain that reading the outcome may take at most.
    static let outcomeSecondsMax: UInt64 = 30

    private func expireReads(now: UInt64) {
        let expired = pendingReads.filter { $0.value.deadlineNanos <= now }.keys.sorted()
        for id in expired { pendingReads.removeValue(forKey: id)?.done(nil) }
    }

    private func failReads(onConnection index: Int) {
        let failed = pendingReads.filter { $0.value.connection == index }.keys.sorted()
        for id in failed { pendingReads.removeValue(forKey: id)?.done(nil) }
    }

    private func readOutcome() {
        guard let agent else { return }
        readingOutcome = true
        agent.outcome(reader: self) { result in
            switch result {
            case .success(let outcome): self.workloadOutcome = outcome
            case .failure(let error): self.workloadOutcomeError = error.reason
            }
            guard !self.finished else { return }
            self.finish(now: self.nowNanos())
        }
    }

    /// Closed loop: builds, signs and sends as many transactions as there are free slots, scheduled now.
    private func releaseClosedLoop(now: UInt64) {
        guard let limit = closedLoopLimit, let closed = setup.closedLoop, now < setup.window.runEndNanos else {
            return
        }
        var released = 0
        // At most one round of the limit per tick, so a region that answers at once cannot make this spin.
        while closedLoopOutstanding < limit, released < min(limit, limits.sendsPerTickMax) {
            let k = count
            let index = part + k * parts
            let plan = closed.workload.plan(index)
            let submit = WireCodec.encode(
                ClientMessage.submit(
                    requestID: UInt64(index), transaction: closed.workload.transaction(index).encoded()))
            var buffer = ByteBufferAllocator().buffer(capacity: submit.count + 4)
            buffer.writeInteger(UInt32(submit.count), endianness: .big)
            buffer.writeBytes(submit)
            closedLoopFrames[k] = buffer
            scheduledNanos.append(now)
            regionOf.append(UInt16(plan.region))
            homeValidatorOf.append(UInt16(plan.gatewayValidator))
            state.append(.pending)
            connectionOf.append(-1)
            everSent.append(false)
            resubmitted.append(false)
            count += 1
            closedLoopOutstanding += 1
            let phase = setup.window.phase(ofScheduledNanos: now)
            phaseCounts[Self.phaseIndex(phase)].offered += 1
            if phase == .measured { regionMeasured[plan.region].offered += 1 }
            nextDue = count
            route(k, now: now)
            released += 1
        }
    }

    private func flushTouched() {
        for index in touched {
            connections[index].needsFlush = false
            connections[index].channel?.flush()
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// Takes transaction k out of wherever it waits (a backlog or a connection's in-flight set): back to pending.
    private func release(_ k: Int) {
        switch state[k] {
        case .sent:
            connections[Int(connectionOf[k])].inFlight.remove(k)
            inFlightCount -= 1
            openCount -= 1
        case .queued:
            openCount -= 1  // its backlog entry is skipped when reached
        case .pending, .resolved:
            break
        }
        state[k] = .pending
    }

    /// Times out every transaction whose deadline (scheduled time + timeout) has passed.
    private func expire(now: UInt64) {
        while expiryCursor < nextDue, scheduledNanos[expiryCursor] &+ timeoutNanos <= now {
            let k = expiryCursor
            switch state[k] {
            case .sent:
                release(k)
                resolve(k, .timedOut, now: now)
            case .queued:
                release(k)
                resolve(k, .notSent, now: now)
            case .pending:
                resolve(k, .notSent, now: now)
            case .resolved:
                break
            }
            expiryCursor += 1
        }
    }

    private func resolve(_ k: Int, _ outcome: Outcome, now: UInt64) {
        precondition(state[k] == .pending, "transaction \(k) resolved while \(state[k])")
        state[k] = .resolved
        if closedLoopLimit != nil {
            closedLoopOutstanding -= 1
            closedLoopFrames[k] = nil
        }
        if let agent {
            closedLoopFrames[k] = nil
            if let purpose = agentPurpose.removeValue(forKey: k), case .committed = outcome {
                agent.committed(purpose, now: now)
            }
        }
        let scheduled = scheduledNanos[k]
        let phase = setup.window.phase(ofScheduledNanos: scheduled)
        let region = Int(regionOf[k])
        // A notice is only for a committed transaction; one that came early for a later time-out is late.
        if !outcome.isCommitted, !earlyFinality.isEmpty, earlyFinality.remove(k) != nil { stats.lateReplies += 1 }
        var delta = LoadOutcomeCounts()
        var reason: String?
        switch outcome {
        case .committed(let connection):
            delta.committed = 1
            if tracksFinality, earlyFinality.remove(k) != nil {
                recordFinality(k, now: now)
            } else if tracksFinality {
                if awaitingFinality.count < Self.finalityAwaitedMax {
                    awaitingFinality.insert(k)
                } else {
                    finalityNotTracked += 1
                }
            }
            if setup.options.recordsCommitted { committedLocal.append(k) }
            if now >= setup.window.measuredStartNanos, now < setup.window.measuredEndNanos {
                committedInWindow += 1
                regionCommittedInWindow[region] += 1
            }
            if phase == .measured {
                let latency = now - scheduled
                _ = connections[connection].histogram.record(OutcomeRecorder.micros(roundingUp: latency))
            }
        case .failed(let text):
            delta.failed = 1
            reason = "execution: \(text)"
        case .rejected(let text):
            delta.rejected = 1
            reason = text
        case .busy: delta.busy = 1
        case .unreachable:
            delta.unreachable = 1
            reason = "no gateway reachable"
        case .notSent: delta.notSent = 1
        case .timedOut: delta.timedOut = 1
        case .lost: delta.lost = 1
        }
        phaseCounts[Self.phaseIndex(phase)] += delta
        recordSeries(k, region: region, outcome: outcome, now: now)
        if phase == .measured {
            regionMeasured[region] += delta
            if let reason { countReason(reason) }
        }
    }

    /// The latest start of an interval of the grid `origin + k·interval` (k any integer) at or before `time`.
    static func gridStart(atOrBefore time: UInt64, origin: UInt64, intervalNanos: UInt64) -> UInt64 {
        if time >= origin { return time - (time - origin) % intervalNanos }
        let behind = origin - time
        let intervals = (behind + intervalNanos - 1) / intervalNanos
        return origin - intervals * intervalNanos
    }

    /// Transaction k in the series: offered (and sent) at its scheduled time, its outcome now.
    private func recordSeries(_ k: Int, region: Int, outcome: Outcome, now: UInt64) {
        let scheduledAt = seriesOffsetNanos + scheduledNanos[k]
        let at = seriesOffsetNanos + now
        series.offered(region: region, scheduledAtNanos: scheduledAt)
        if everSent[k] { series.achieved(region: region, scheduledAtNanos: scheduledAt) }
        let kind: String
        switch outcome {
        case .committed:
            let latency = now - scheduledNanos[k]
            series.committed(
                region: region, atNanos: at, latencyMicros: OutcomeRecorder.micros(roundingUp: latency))
            return
        case .failed: kind = "failed"
        case .rejected: kind = "rejected"
        case .busy: kind = "busy"
        case .unreachable: kind = "unreachable"
        case .notSent: kind = "notSent"
        case .timedOut: kind = "timedOut"
        case .lost: kind = "lost"
        }
        series.ended(region: region, atNanos: at, kind: kind)
    }

    private func countReason(_ reason: String) {
        let oneLine = reason.split(whereSeparator: { $0.isNewline }).joined(separator: " ")
        let trimmed = oneLine.trimmingCharacters(in: .whitespaces)
        let normalized =
            trimmed.isEmpty
            ? OutcomeRecorder.unspecifiedReason : String(trimmed.prefix(LoadAccounting.reasonCharactersMax))
        let key =
            rejectReasons[normalized] != nil || rejectReasons.count < LoadAccounting.reasonsMax
            ? normalized : OutcomeRecorder.otherReason
        rejectReasons[key, default: 0] += 1
    }

    private static func phaseIndex(_ phase: LoadPhase) -> Int {
        switch phase {
        case .warmup: 0
        case .measured: 1
        case .cooldown: 2
        }
    }

    // MARK: - Progress and the end

    private func reportProgress(now: UInt64) {
        guard let progress else { return }
        let total = phaseCounts.reduce(LoadOutcomeCounts(), +)
        let seconds = Double(now) / 1e9
        let interval = max(1e-3, Double(now - lastProgressNanos) / 1e9)
        lastProgressNanos = now
        progress(
            LoadProgress(
                elapsedSeconds: seconds, runSeconds: Double(setup.window.runEndNanos) / 1e9, offered: UInt64(nextDue),
                sent: total.sent, committed: total.committed, inFlight: UInt64(inFlightCount),
                committedTpsLastInterval: Double(total.committed - lastProgressCommitted) / interval,
                connectionsUp: connections.filter { $0.status == .up }.count, connections: connections.count))
        lastProgressCommitted = total.committed
    }

    private func finish(now: UInt64) {
        finished = true
        // Whatever is left: sent ones timed out, the others were never sent in time.
        for k in expiryCursor..<count where state[k] != .resolved {
            let wasSent = state[k] == .sent
            release(k)
            resolve(k, wasSent ? .timedOut : .notSent, now: now)
        }
        var histogram = LatencyHistogram.makeEmpty()
        for connection in connections {
            histogram.add(connection.histogram)
            connection.backlog.removeAll()
            connection.inFlight.removeAll()
            connection.channel?.close(promise: nil)
        }
        let regions = setup.regionNames.indices.map {
            LoadReport.RegionLoad(
                name: setup.regionNames[$0], measured: regionMeasured[$0],
                committedInWindow: regionCommittedInWindow[$0])
        }
        let generator = LoadReport.GeneratorStats(
            cpuSeconds: ProcessCPU.seconds() - startCPUSeconds, presignCPUSeconds: setup.presignCPUSeconds,
            wallSeconds: Double(now) / 1e9, presignSeconds: setup.presignSeconds, startedAtUnixNanos: startUnixNanos,
            sendLagMaxMicros: sendLagMaxNanos / 1000, eventLoopCPUSeconds: ThreadCPU.seconds() - startLoopCPUSeconds,
            eventLoopRuns: startLoopRuns.flatMap { start in ThreadCPU.runs().map { $0 >= start ? $0 - start : 0 } })
        let report = LoadReport(
            parts: [part], partsTotal: parts, window: setup.window, warmup: phaseCounts[0], measured: phaseCounts[1],
            cooldown: phaseCounts[2], regions: regions, committedInWindow: committedInWindow,
            rejectReasons: rejectReasons, latencyLocalCommit: LatencyHistogram(histogram), generator: generator,
            connections: stats)
        var finished = report
        if tracksFinality {
            finished.globalFinality = LoadReport.GlobalFinality(
                latency: LatencyHistogram(finalityHistogram), finalInWindowByRegion: finalInWindowByRegion,
                notHeardAtEnd: UInt64(awaitingFinality.count), notTracked: finalityNotTracked)
            if agent != nil {
                finished.operationOrigins = operationOrigins.map {
                    LoadReport.OperationOrigin(
                        region: $0.key.region, height: $0.key.height, scheduledUnixNanos: $0.value)
                }
                .sorted { ($0.region, $0.height) < ($1.region, $1.height) }
            }
        }
        if let agent {
            finished.workload = workloadOutcome
            finished.workloadError = workloadOutcomeError
            finished.stateReads = LoadReport.StateReads(sent: agent.readsSent, unanswered: agent.readsUnanswered)
        }
        if setup.options.recordsCommitted {
            finished.committedIndices = committedLocal.map { part + $0 * parts }
        }
        // Up to the interval holding the end of the drain, so the series shows how long this part ran.
        let intervalCount = Int(min(UInt64(series.intervalsMax), (seriesOffsetNanos + now) / series.intervalNanos + 1))
        finished.timeSeries = LoadTimeSeries(
            intervalMicros: series.intervalNanos / 1000,
            firstIntervalStartUnixMicros: seriesFirstIntervalUnixNanos / 1000, intervalsMax: series.intervalsMax,
            regions: setup.regionNames.indices.map {
                LoadTimeSeries.Region(
                    name: setup.regionNames[$0], intervals: series.intervals(region: $0, intervalCount: intervalCount))
            },
            eventsBeyondLastInterval: series.eventsBeyondLastInterval)
        if tracksFinality { finished.timeSeries?.withGlobal = true }
        promise.succeed(finished)
    }
}

/// Frames from one gateway connection, handed to the runner on its event loop.
final class GatewayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let runner: LoadRunner
    private let connection: Int
    private let generation: Int

    init(runner: LoadRunner, connection: Int, generation: Int) {
        self.runner = runner
        self.connection = connection
        self.generation = generation
    }

    func channelActive(context: ChannelHandlerContext) {
        runner.channelActive(connection, generation: generation, channel: context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        runner.channelInactive(connection, generation: generation)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        runner.received(unwrapInboundIn(data), on: connection, generation: generation)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { runner.channelWritable(connection, generation: generation) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension LoadRunner: CommittedStateReader {
    func read(
        region: Int, validator: Int, contract: String, keys: [[UInt8]], done: @escaping ([[UInt8]?]?) -> Void
    ) {
        let validators = setup.validatorsPerRegion[region]
        guard pendingReads.count < Self.readsInFlightMax else { return done(nil) }
        for offset in 0..<validators {
            guard let index = connectionIndex[region][(validator + offset) % validators] else { continue }
            let connection = connections[index]
            guard connection.status == .up, let channel = connection.channel else { continue }
            let id = nextReadID
            nextReadID += 1
            let message = WireCodec.encode(ClientMessage.read(requestID: id, contract: contract, keys: keys))
            var buffer = channel.allocator.buffer(capacity: message.count + 4)
            buffer.writeInteger(UInt32(message.count), endianness: .big)
            buffer.writeBytes(message)
            pendingReads[id] = PendingRead(
                connection: index, deadlineNanos: nowNanos() + Self.readTimeoutNanos, done: done)
            channel.writeAndFlush(buffer, promise: nil)
            return
        }
        done(nil)
    }
}

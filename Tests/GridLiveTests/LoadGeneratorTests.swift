import Foundation
import GridCrypto
import GridLedger
import GridLoad
import GridLoadGenerator
import GridRegion
import GridTopology
import GridWire
import GridWorkloads
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

// MARK: - A fake gateway validator

/// 4-byte big-endian length-prefixed frames, as the live runtime frames them.
private struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            buffer.readableBytes >= 4 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

private func framed(_ bytes: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
    var buffer = allocator.buffer(capacity: bytes.count + 4)
    buffer.writeInteger(UInt32(bytes.count), endianness: .big)
    buffer.writeBytes(bytes)
    return buffer
}

/// Answers the hello, then every submit: `busy` for request ids `≡ 3 (mod 10)`, `committed` after `replyDelay`
/// for the others. With `dropAfterSubmits`, closes the first connection (without answering) when that many
/// submits have arrived on it.
private final class FakeGateway: @unchecked Sendable {
    struct State {
        var submits: [UInt64: [[UInt8]]] = [:]
        var hellos = 0
        var dropped = false
    }

    let state = NIOLockedValueBox(State())
    let replyDelay: TimeAmount
    let dropAfterSubmits: Int?
    /// Submits not yet answered, over every gateway sharing this box, and the most seen at once.
    let outstanding: NIOLockedValueBox<(now: Int, max: Int)>
    var channel: (any Channel)?

    init(
        replyDelay: TimeAmount, dropAfterSubmits: Int? = nil,
        outstanding: NIOLockedValueBox<(now: Int, max: Int)> = NIOLockedValueBox((0, 0))
    ) {
        self.replyDelay = replyDelay
        self.dropAfterSubmits = dropAfterSubmits
        self.outstanding = outstanding
    }

    var port: Int { channel?.localAddress?.port ?? 0 }

    /// `reading: false` never reads what clients send (their socket buffers fill up).
    func start(group: any EventLoopGroup, reading: Bool = true) async throws {
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.so_rcvbuf), value: reading ? 1 << 20 : 4096)
            .childChannelOption(.autoRead, value: reading)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(FakeGatewayHandler(gateway: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async throws { try await channel?.close() }
}

private final class FakeGatewayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let gateway: FakeGateway
    var submitsOnThisConnection = 0
    var dropThisConnection = false

    init(gateway: FakeGateway) { self.gateway = gateway }

    func channelActive(context: ChannelHandlerContext) {
        dropThisConnection = gateway.state.withLockedValue { !$0.dropped } && gateway.dropAfterSubmits != nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        if let message = try? WireCodec.decode(bytes), case .hello = message {
            gateway.state.withLockedValue { $0.hellos += 1 }
            let hello = PeerMessage.hello(
                Hello(
                    chainID: 9, identity: .validator(region: 0, index: 0),
                    publicKey: KeyPair.derived(masterSeed: 1, label: "fake").publicKey, challenge: .random()))
            context.writeAndFlush(
                wrapOutboundOut(framed(WireCodec.encode(hello), allocator: context.channel.allocator)),
                promise: nil)
            return
        }
        guard case .submit(let requestID, let transaction) = try? WireCodec.decodeClient(bytes) else {
            Issue.record("fake gateway got a frame that is neither hello nor submit")
            return
        }
        gateway.state.withLockedValue { $0.submits[requestID, default: []].append(transaction) }
        gateway.outstanding.withLockedValue {
            $0.now += 1
            $0.max = max($0.max, $0.now)
        }
        submitsOnThisConnection += 1
        if dropThisConnection, let limit = gateway.dropAfterSubmits, submitsOnThisConnection >= limit {
            dropThisConnection = false
            gateway.state.withLockedValue { $0.dropped = true }
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        let outstanding = gateway.outstanding
        if requestID % 10 == 3 {
            outstanding.withLockedValue { $0.now -= 1 }
            let reply = WireCodec.encode(ClientMessage.reply(requestID: requestID, .busy))
            channel.writeAndFlush(framed(reply, allocator: channel.allocator), promise: nil)
            return
        }
        channel.eventLoop.scheduleTask(in: gateway.replyDelay) {
            guard channel.isActive else { return }
            outstanding.withLockedValue { $0.now -= 1 }
            let reply = WireCodec.encode(ClientMessage.reply(requestID: requestID, .committed(height: 1)))
            channel.writeAndFlush(framed(reply, allocator: channel.allocator), promise: nil)
        }
    }

    typealias OutboundOut = ByteBuffer
}

// MARK: - The simulator's construction, copied (Simulation.presignOpenLoop)

/// Transaction `index` as `Simulation.presignOpenLoop` builds it, with nonces assigned in schedule order.
private func simulatorTransactions(topology: Topology, chainID: ChainID, count: Int) -> [(
    bytes: [UInt8], region: Int, gatewayValidator: Int
)] {
    let accounts = (0..<max(1, topology.workload.accounts)).map {
        KeyPair.derived(masterSeed: topology.seed, label: "device/\($0)")
    }
    var accountNonces = Array(repeating: UInt64(0), count: accounts.count)
    var result: [(bytes: [UInt8], region: Int, gatewayValidator: Int)] = []
    for index in 0..<count {
        let device = index % accounts.count
        accountNonces[device] += 1
        let regionIndex = device % topology.regions.count
        let gateway = (device / topology.regions.count) % topology.regions[regionIndex].validators
        let transaction = Transaction(
            chainID: chainID, region: RegionID(regionIndex), signer: accounts[device], nonce: accountNonces[device],
            contract: TransferContract.contractName, method: "transfer",
            arguments: TransferContract.transferArguments(
                to: accounts[(device + 1) % accounts.count].publicKey, amountMicros: UInt64(1 + index % 1000),
                energyWh: UInt64(index % 50)))
        result.append((transaction.encoded(), regionIndex, gateway))
    }
    return result
}

private func testTopology(
    rate: Topology.RateController = .fixed(tps: 400), accounts: Int = 8, validators: [Int] = [2, 2]
) -> Topology {
    Topology(
        name: "load-test", seed: 7,
        regions: validators.enumerated().map { Topology.Region(name: "r\($0.offset)", validators: $0.element) },
        workload: Topology.Workload(
            kind: .transfer, accounts: accounts, rate: rate, durationSeconds: 1.5, warmupSeconds: 0.5,
            timeoutSeconds: 1))
}

// MARK: - Tests

@Suite(.serialized) struct LoadGeneratorTests {
    @Test func transactionsAndScheduleMatchTheSimulator() throws {
        for rate in [Topology.RateController.fixed(tps: 300), .poisson(tps: 300)] {
            let topology = testTopology(rate: rate, accounts: 7, validators: [4, 1, 3])
            let workload = try TransferWorkload(topology: topology, chainID: 5)
            let expected = simulatorTransactions(topology: topology, chainID: 5, count: 60)
            for index in 0..<60 {
                let plan = workload.plan(index)
                #expect(workload.transaction(index).encoded() == expected[index].bytes)
                #expect(plan.region == expected[index].region)
                #expect(plan.gatewayValidator == expected[index].gatewayValidator)
            }
            #expect(workload.encodedTransactions([0, 5, 59]) == [0, 5, 59].map { expected[$0].bytes })
            // The simulator's schedule: same controller, window and seed.
            let times = try TransferWorkload.scheduledTimes(topology)
            var schedule = try LoadSchedule(
                controller: TransferWorkload.rateController(topology.workload.rate),
                window: try LoadWindow(warmupNanos: 500_000_000, measuredNanos: 1_500_000_000), seed: topology.seed)
            var simulator: [UInt64] = []
            while let time = schedule.next() { simulator.append(time) }
            #expect(times == simulator)
            #expect(times.count > 400)
        }
    }

    /// A voltage or auction workload sends no transfers; a mix sends its transfer share at the simulator's rate.
    @Test func contractWorkloadsSendTransfersOnlyForAMix() throws {
        var topology = testTopology()
        topology.workload.kind = .voltage
        #expect(try TransferWorkload.transferController(topology) == nil)
        #expect(try TransferWorkload.scheduledTimes(topology).isEmpty)
        topology.workload.kind = .auction
        #expect(try TransferWorkload.scheduledTimes(topology).isEmpty)
        topology.workload.kind = .mix
        topology.workload.mix = Topology.WorkloadMix(transfer: 0.5, voltage: 0, auction: 0.5)
        // Auction only, 0.5 against 0.5: transfers at the auction's own rate, one bid per participant and
        // interval plus close and clear per region.
        let auction = topology.workload.auctionSettings
        let auctionTps =
            Double((auction.participantsPerRegion + 2) * topology.regions.count) / auction.intervalSeconds
        let expected = try ContractWorkloadPlan.mixTransferTps(topology: topology, chainID: 9)
        #expect(abs(expected - auctionTps) < 1e-9)
        #expect(try TransferWorkload.transferController(topology) == .fixed(tps: max(expected, 1)))
    }

    @Test func everyTransactionEndsInOneBucketWithFailover() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let r0v0 = FakeGateway(replyDelay: .milliseconds(40), dropAfterSubmits: 40)
        let r0v1 = FakeGateway(replyDelay: .milliseconds(40))
        let r1v0 = FakeGateway(replyDelay: .milliseconds(40))
        let refused = FakeGateway(replyDelay: .milliseconds(40))
        for gateway in [r0v0, r0v1, r1v0, refused] { try await gateway.start(group: group) }
        let refusedPort = refused.port
        try await refused.stop()

        let topology = testTopology()
        let gateways = [
            Gateway(region: 0, index: 0, host: "127.0.0.1", port: r0v0.port),
            Gateway(region: 0, index: 1, host: "127.0.0.1", port: r0v1.port),
            Gateway(region: 1, index: 0, host: "127.0.0.1", port: r1v0.port),
            Gateway(region: 1, index: 1, host: "127.0.0.1", port: refusedPort),
        ]
        let lines = NIOLockedValueBox(0)
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(topology: topology, chainID: 9, gateways: gateways, drainSeconds: 1, timeoutSeconds: 1)
        ) { _ in lines.withLockedValue { $0 += 1 } }
        for gateway in [r0v0, r0v1, r1v0] { try await gateway.stop() }
        try await group.shutdownGracefully()

        try report.verifyAccounting()
        let scheduled = try TransferWorkload.scheduledTimes(topology)
        let total = report.total
        #expect(total.offered == UInt64(scheduled.count))
        #expect(total.resolved == total.offered)
        #expect(report.measured.offered == UInt64(scheduled.filter { $0 >= 500_000_000 }.count))
        #expect(report.latencyLocalCommit.totalCount == report.measured.committed)
        #expect(report.measured.committed > 0)
        // Request ids ≡ 3 (mod 10) are answered busy; every other one commits.
        let busyIDs = UInt64(scheduled.indices.filter { $0 % 10 == 3 }.count)
        #expect(total.busy == busyIDs)
        #expect(total.committed + total.busy == total.offered)
        #expect(total.timedOut == 0 && total.lost == 0 && total.notSent == 0 && total.unreachable == 0)
        // Failover: r1/v1 refuses, so its transactions go to r1/v0; r0/v0 dropped once, mid-run.
        #expect(report.connections.failovers > 0)
        #expect(report.connections.connectFailures > 0)
        #expect(report.connections.connectionDrops == 1)
        #expect(report.connections.resubmitted >= 1)
        #expect(lines.withLockedValue { $0 } >= 1)
        // Latency is measured from the scheduled time: at least the fake's reply delay.
        #expect(report.latencyLocalCommit.minValue >= 40_000)
        #expect(report.latencyLocalCommit.summary.p50 >= 40)

        // What the gateways received is the simulator's transactions, under their index as request id.
        let expected = simulatorTransactions(topology: topology, chainID: 9, count: scheduled.count)
        var seen = Set<UInt64>()
        for gateway in [r0v0, r0v1, r1v0] {
            for (id, copies) in gateway.state.withLockedValue({ $0.submits }) {
                seen.insert(id)
                for bytes in copies { #expect(bytes == expected[Int(id)].bytes) }
            }
        }
        #expect(seen == Set((0..<UInt64(scheduled.count))))
        #expect(r1v0.state.withLockedValue { $0.submits.count } > r0v1.state.withLockedValue { $0.submits.count })

        // The series counts every transaction once: the busy answers in the intervals they came back in.
        let series = try #require(report.timeSeries)
        #expect(series.sum.ended["busy"] == total.busy)
        #expect(series.sum.offered == total.offered && series.sum.committed == total.committed)
        #expect(series.regions.map(\.name) == ["r0", "r1"])

        // The JSON the CLI writes decodes to the same report.
        #expect(try LoadReport.decode(report.jsonData()) == report)
    }

    @Test func partsSplitTheRunAndMerge() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = (0..<4).map { _ in FakeGateway(replyDelay: .milliseconds(5)) }
        for server in servers { try await server.start(group: group) }
        let topology = testTopology(rate: .poisson(tps: 300))
        let gateways = servers.enumerated().map {
            Gateway(region: $0.offset / 2, index: $0.offset % 2, host: "127.0.0.1", port: $0.element.port)
        }
        let start = UInt64(Date().timeIntervalSince1970 * 1e9) + 300_000_000
        async let first = LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9, gateways: gateways, part: 0, parts: 2, drainSeconds: 1,
                timeoutSeconds: 1, startAtUnixNanos: start), progress: nil)
        async let second = LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9, gateways: gateways, part: 1, parts: 2, drainSeconds: 1,
                timeoutSeconds: 1, startAtUnixNanos: start), progress: nil)
        let reports = try await [first, second]
        for server in servers { try await server.stop() }
        try await group.shutdownGracefully()

        let scheduled = try TransferWorkload.scheduledTimes(topology)
        let merged = try LoadReport.merged(reports.enumerated().map { ("part \($0.offset)", $0.element) })
        try merged.verifyAccounting()
        // Both parts' series sit on the grid of their shared start, so they line up interval by interval.
        let series = try #require(merged.timeSeries)
        #expect(series.firstIntervalStartUnixMicros == start / 1000)
        for report in reports {
            #expect(report.timeSeries?.firstIntervalStartUnixMicros == start / 1000)
        }
        #expect(series.partsReporting?.first == 2)
        #expect(series.sum.offered == UInt64(scheduled.count))
        #expect(series.sum.committed == merged.total.committed)
        for index in 0..<series.intervalCount {
            let parts = reports.compactMap { $0.timeSeries?.total }.map { $0.indices.contains(index) ? $0[index] : nil }
            #expect(series.total[index].offered == parts.reduce(0) { $0 + ($1?.offered ?? 0) })
            #expect(
                series.total[index].localCommitMicros.count
                    == parts.reduce(0) { $0 + ($1?.localCommitMicros.count ?? 0) })
        }
        // The plain merge has no series to show for several parts rather than a wrong one.
        #expect(LoadReport.merged(reports).timeSeries == nil)
        #expect(merged.parts == [0, 1])
        #expect(merged.total.offered == UInt64(scheduled.count))
        #expect(merged.measured == reports[0].measured + reports[1].measured)
        #expect(
            merged.latencyLocalCommit.totalCount
                == reports[0].latencyLocalCommit.totalCount + reports[1].latencyLocalCommit.totalCount)
        #expect(
            merged.latencyLocalCommit.maxValue
                == max(
                    reports[0].latencyLocalCommit.maxValue, reports[1].latencyLocalCommit.maxValue))
        var ids: [UInt64] = []
        for server in servers { ids += server.state.withLockedValue { $0.submits.keys } }
        #expect(ids.sorted() == Array(0..<UInt64(scheduled.count)))
        #expect(reports[0].generator.startedAtUnixNanos >= start)
        #expect(merged.connections.failovers == 0)
        let result = try merged.runResult(
            topology: .init(name: topology.name, file: "test"), seed: topology.seed, nodes: [], wallClock: nil)
        #expect(result.counts == merged.measured.outcomeCounts)
        #expect(result.latency(.localCommit)?.count == merged.measured.committed)
    }

    @Test func aSeriesPastItsBoundCountsTheRestAndBadIntervalsAreRefused() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = (0..<4).map { _ in FakeGateway(replyDelay: .milliseconds(5)) }
        for server in servers { try await server.start(group: group) }
        let topology = testTopology(rate: .fixed(tps: 200))
        let gateways = servers.enumerated().map {
            Gateway(region: $0.offset / 2, index: $0.offset % 2, host: "127.0.0.1", port: $0.element.port)
        }
        var options = LoadGeneratorOptions(
            topology: topology, chainID: 9, gateways: gateways, drainSeconds: 1, timeoutSeconds: 1)
        options.intervalNanos = 100_000_000
        options.intervalsMax = 5
        let report = try await LoadGenerator.run(options, progress: nil)
        for server in servers { try await server.stop() }
        try await group.shutdownGracefully()
        try report.verifyAccounting()
        let series = try #require(report.timeSeries)
        #expect(series.intervalMicros == 100_000)
        #expect(series.intervalCount == 5)
        // A 2 s run in 0.5 s of intervals: most events fell beyond the last one, counted, not lost.
        #expect(series.eventsBeyondLastInterval > 0)
        #expect(series.sum.offered < report.total.offered)
        #expect(series.firstIntervalStartUnixMicros % 100_000 == 0, "no origin given: the epoch's grid")

        options.intervalNanos = 500_000
        await #expect(throws: LoadGeneratorError.self) { _ = try await LoadGenerator.run(options, progress: nil) }
        options.intervalNanos = 1_000_000_000
        options.intervalsMax = 0
        do {
            _ = try await LoadGenerator.run(options, progress: nil)
            Issue.record("ran with intervalsMax 0")
        } catch {
            #expect("\(error)".contains("intervalsMax"))
        }
    }

    /// The topology's client link delays each submission and each reply by its latency (plus jitter), as in the
    /// simulator: a gateway that answers after 10 ms is seen committing after at least 10 + 2 × 30 ms.
    @Test func theClientLinkDelaysSubmissionsAndReplies() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let gateways = (0..<2).map { _ in FakeGateway(replyDelay: .milliseconds(10)) }
        for gateway in gateways { try await gateway.start(group: group) }
        var topology = testTopology(rate: .fixed(tps: 100), validators: [2])
        topology.network.client = Topology.Link(latencyMillis: 30, jitterMillis: 5)
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9,
                gateways: gateways.enumerated().map {
                    Gateway(region: 0, index: $0.offset, host: "127.0.0.1", port: $0.element.port)
                }, drainSeconds: 1, timeoutSeconds: 1), progress: nil)
        for gateway in gateways { try await gateway.stop() }
        try await group.shutdownGracefully()

        try report.verifyAccounting()
        #expect(report.total.resolved == report.total.offered)
        #expect(report.total.timedOut == 0 && report.total.lost == 0)
        #expect(report.measured.committed > 0)
        #expect(report.latencyLocalCommit.minValue >= 70_000)
        // Jitter is at most 5 ms each way; the rest is the fake's delay and this machine's scheduling.
        #expect(report.latencyLocalCommit.summary.p50 < 500)
    }

    @Test func silentAndMissingGatewaysTimeOutAndAreUnreachable() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Replies only after the client's deadline: every transaction of r0 times out. r1 has no gateway at all.
        let slow = FakeGateway(replyDelay: .milliseconds(600))
        try await slow.start(group: group)
        var topology = testTopology(rate: .fixed(tps: 200), validators: [1, 1])
        topology.workload.warmupSeconds = 0.2
        topology.workload.durationSeconds = 0.5
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9,
                gateways: [Gateway(region: 0, index: 0, host: "127.0.0.1", port: slow.port)],
                drainSeconds: 1, timeoutSeconds: 0.3), progress: nil)
        try await slow.stop()
        try await group.shutdownGracefully()

        try report.verifyAccounting()
        let total = report.total
        let scheduled = try TransferWorkload.scheduledTimes(topology)
        #expect(total.offered == UInt64(scheduled.count))
        #expect(total.committed == 0)
        #expect(report.latencyLocalCommit.totalCount == 0)
        // Region 0: busy ids (≡ 3 mod 10) are answered at once, the rest time out; region 1 is unreachable.
        let r0 = report.regions[0].measured
        let r1 = report.regions[1].measured
        #expect(r0.timedOut + r0.busy == r0.offered && r0.timedOut > 0)
        #expect(r1.unreachable == r1.offered && r1.sent == 0 && r1.offered > 0)
        #expect(report.rejectReasons == ["no gateway reachable": r1.unreachable])
        #expect(report.measured.outcomeCounts.rejected == r1.unreachable)
        #expect(report.measured.outcomeCounts.timedOut == r0.timedOut)
    }

    @Test func backPressureIsBoundedAndCounted() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stuck = FakeGateway(replyDelay: .milliseconds(1))
        try await stuck.start(group: group, reading: false)
        var topology = testTopology(rate: .fixed(tps: 2000), validators: [1])
        topology.workload.warmupSeconds = 0.1
        topology.workload.durationSeconds = 0.5
        let limits = LoadGeneratorLimits(
            backlogPerConnectionMax: 50, writeBufferLowBytes: 1024, writeBufferHighBytes: 4096,
            socketSendBufferBytes: 4096)
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9,
                gateways: [Gateway(region: 0, index: 0, host: "127.0.0.1", port: stuck.port)], drainSeconds: 0.5,
                timeoutSeconds: 0.2, limits: limits), progress: nil)
        try await stuck.stop()
        try await group.shutdownGracefully()

        try report.verifyAccounting()
        let total = report.total
        #expect(total.offered == UInt64(try TransferWorkload.scheduledTimes(topology).count))
        #expect(report.connections.backPressureWaits > 0)
        #expect(total.notSent > 0)
        #expect(total.timedOut > 0)
        #expect(total.sent + total.notSent == total.offered)
        #expect(total.timedOut == total.sent)
    }

    /// A throughput check, off by default: `LOADGEN_STRESS_TPS=20000 swift test --filter stress`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOADGEN_STRESS_TPS"] != nil))
    func stress() async throws {
        let tps = Double(ProcessInfo.processInfo.environment["LOADGEN_STRESS_TPS"] ?? "") ?? 20_000
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = (0..<4).map { _ in FakeGateway(replyDelay: .milliseconds(5)) }
        for server in servers { try await server.start(group: group) }
        var topology = testTopology(rate: .fixed(tps: tps), accounts: 1000)
        topology.workload.warmupSeconds = 0.5
        topology.workload.durationSeconds = 2
        let gateways = servers.enumerated().map {
            Gateway(region: $0.offset / 2, index: $0.offset % 2, host: "127.0.0.1", port: $0.element.port)
        }
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(topology: topology, chainID: 9, gateways: gateways, drainSeconds: 2, timeoutSeconds: 2)
        ) { print($0.line) }
        for server in servers { try await server.stop() }
        try await group.shutdownGracefully()
        try report.verifyAccounting()
        let latency = report.latencyLocalCommit.summary
        print(
            "stress \(tps) tps: measured \(report.measured), p50 \(latency.p50) ms p99 \(latency.p99) ms max "
                + "\(latency.max) ms, generator \(report.generator)")
    }

    @Test func closedLoopHoldsItsShareOutstanding() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outstanding = NIOLockedValueBox((now: 0, max: 0))
        let servers = (0..<4).map { _ in FakeGateway(replyDelay: .milliseconds(20), outstanding: outstanding) }
        for server in servers { try await server.start(group: group) }
        var topology = testTopology(rate: .closedLoop(outstanding: 20))
        topology.workload.warmupSeconds = 0.3
        topology.workload.durationSeconds = 0.7
        let gateways = servers.enumerated().map {
            Gateway(region: $0.offset / 2, index: $0.offset % 2, host: "127.0.0.1", port: $0.element.port)
        }
        let report = try await LoadGenerator.run(
            LoadGeneratorOptions(
                topology: topology, chainID: 9, gateways: gateways, drainSeconds: 1, timeoutSeconds: 1),
            progress: nil)
        for server in servers { try await server.stop() }
        try await group.shutdownGracefully()

        try report.verifyAccounting()
        let total = report.total
        #expect(total.committed > 100)
        #expect(total.committed + total.busy == total.offered)
        #expect(outstanding.withLockedValue { $0.max } <= 20)
        #expect(outstanding.withLockedValue { $0.max } >= 10)
        // Indices 0, 1, 2, ... in release order, each the simulator's transaction.
        let expected = simulatorTransactions(topology: topology, chainID: 9, count: Int(total.offered))
        var ids: [UInt64] = []
        for server in servers {
            for (id, copies) in server.state.withLockedValue({ $0.submits }) {
                ids.append(id)
                #expect(copies == [expected[Int(id)].bytes])
            }
        }
        #expect(ids.sorted() == Array(0..<total.offered))
    }

    @Test func histogramEncodingIsFaithful() throws {
        var histogram = LatencyHistogram.makeEmpty()
        var random = DeterministicRandom(seed: 3)
        for _ in 0..<5000 { _ = histogram.record(1 + random.next() % 5_000_000) }
        _ = histogram.record(123_456_789)
        let encoded = LatencyHistogram(histogram)
        let decoded = try JSONDecoder().decode(LatencyHistogram.self, from: JSONEncoder().encode(encoded))
        let rebuilt = decoded.histogram()
        #expect(rebuilt.totalCount == histogram.totalCount)
        #expect(rebuilt.min == histogram.min)
        #expect(rebuilt.maxRecorded == histogram.maxRecorded)
        for percentile in [1.0, 50, 90, 99, 99.9, 100] {
            #expect(rebuilt.valueAtPercentile(percentile) == histogram.valueAtPercentile(percentile))
        }
        #expect(decoded.summary == LatencySummary(histogramMicros: histogram))
        #expect(LatencyHistogram(rebuilt) == encoded)
    }

    @Test func configFileRoundTrips() throws {
        let file = LoadGeneratorConfigFile(
            topology: testTopology(rate: .step(steps: [.init(atSeconds: 0, tps: 10)])), chainID: 3,
            gateways: [Gateway(region: 0, index: 1, host: "127.0.0.1", port: 7001)], part: 1, parts: 3,
            drainSeconds: 2, timeoutSeconds: 4, startAtUnixNanos: 42)
        if let path = ProcessInfo.processInfo.environment["LOADGEN_WRITE_CONFIG"] {
            try file.jsonData().write(to: URL(fileURLWithPath: path))
        }
        let decoded = try JSONDecoder().decode(LoadGeneratorConfigFile.self, from: file.jsonData())
        #expect(decoded.topology == file.topology)
        #expect(decoded.gateways == file.gateways)
        #expect(decoded.options.timeoutSeconds == 4 && decoded.options.drainSeconds == 2)
        #expect(decoded.options.startAtUnixNanos == 42 && decoded.options.part == 1 && decoded.options.parts == 3)
        // Optional fields take the workload's timeout, and the drain defaults to it.
        let minimal =
            #"{"topology": \#(String(decoding: try JSONEncoder().encode(file.topology), as: UTF8.self)), "chainID": 3, "gateways": []}"#
        let defaults = try JSONDecoder().decode(LoadGeneratorConfigFile.self, from: Data(minimal.utf8)).options
        #expect(defaults.part == 0 && defaults.parts == 1)
        #expect(defaults.timeoutSeconds == 1 && defaults.drainSeconds == 1 && defaults.startAtUnixNanos == nil)
    }
}

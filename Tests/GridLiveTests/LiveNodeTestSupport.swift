import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridRegion
import GridStorage
import GridTopology
import GridWire
import NIOCore
import NIOPosix
import Testing

@testable import GridLive

/// A region of live validators in this process, on loopback, each with its own LMDB store (durable commits) in a
/// temporary directory.
final class LiveCluster: @unchecked Sendable {
    static let chainID: ChainID = 7
    let directory: URL
    let validatorCount: Int
    let memberCount: Int
    /// Validators' keys first, then members'; node `i` of the cluster holds `keys[i]`.
    let keys: [KeyPair]
    /// One per node, as `gridledger node` gives its verifier and its metrics, so the figures can be checked.
    let verificationMeters: [VerificationMeter]
    let genesis: ProposedBlock<RegionPayload>
    let global: GlobalConfiguration?
    let globalGenesis: ProposedBlock<CheckpointPayload>?
    let committee: ValidatorSet?
    let ports: [Int]
    private(set) var nodes: [Int: LiveNode] = [:]
    private var runs: [Int: Task<Void, any Error>] = [:]
    let link: Topology.Link
    /// Adjusts a node's options before it starts.
    var customize: (Int, inout LiveNodeOptions) -> Void = { _, _ in }
    /// Wraps a node's store (to make it fail on purpose).
    var wrapStore: (Int, ChainStore) -> any RegionStore = { $1 }

    init(
        validators: Int = 4, members: Int = 0,
        link: Topology.Link = Topology.Link(latencyMillis: 0, jitterMillis: 0, bandwidthMbps: 0)
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gridlive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        validatorCount = validators
        memberCount = members
        let regionKeys = (0..<validators).map { KeyPair.derived(masterSeed: 31, label: "live-test/r0/\($0)") }
        let memberKeys = (0..<members).map { KeyPair.derived(masterSeed: 31, label: "live-test/global/\($0)") }
        keys = regionKeys + memberKeys
        verificationMeters = keys.map { _ in VerificationMeter() }
        let set = ValidatorSet(keys: regionKeys.map(\.publicKey))
        let app = RegionApplication(
            configuration: MempoolConfiguration(chainID: Self.chainID, region: 0), contracts: [TransferContract()],
            verifier: DirectSignatureVerifier())
        genesis = Replica<RegionApplication>.genesisBlock(
            chainID: Self.chainID, region: 0, validators: set, roots: app.genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        if members > 0 {
            let committee = ValidatorSet(keys: memberKeys.map(\.publicKey))
            let configuration = GlobalConfiguration(
                chainID: Self.chainID,
                regions: [RegionGenesis(region: 0, validators: set.keys, genesisHash: genesis.hash)])
            let empty = GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier())
            self.committee = committee
            global = configuration
            globalGenesis = Replica<GlobalApplication>.genesisBlock(
                chainID: Self.chainID, region: GlobalConfiguration.globalRegion, validators: committee,
                roots: empty.genesisRoots, emptyPayload: CheckpointPayload(entries: []))
        } else {
            committee = nil
            global = nil
            globalGenesis = nil
        }
        ports = try await freePorts(validators + members)
        self.link = link
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func address(_ index: Int) -> NodeAddress {
        index < validatorCount ? .validator(region: 0, index: index) : .member(index - validatorCount)
    }

    func storeURL(_ index: Int) -> URL { directory.appendingPathComponent("node\(index)") }

    func configuration(_ index: Int) -> RegionValidatorConfiguration {
        let link = committee.map {
            GlobalLink(
                committeeGenesis: RegionGenesis(
                    region: GlobalConfiguration.globalRegion, validators: $0.keys, genesisHash: .zero),
                resendIntervalNanos: 200_000_000)
        }
        return RegionValidatorConfiguration(
            chainID: Self.chainID, region: 0, validatorIndex: index,
            validators: ValidatorSet(keys: keys.prefix(validatorCount).map(\.publicKey)), key: keys[index],
            timing: ConsensusTiming(blockIntervalNanos: 10_000_000, viewTimeoutNanos: 300_000_000),
            mempool: MempoolConfiguration(chainID: Self.chainID, region: 0), contracts: [TransferContract()],
            verifier: ParallelSignatureVerifier(meter: verificationMeters[index]), genesis: genesis, global: link)
    }

    func options(_ index: Int) -> LiveNodeOptions {
        let peers = keys.indices.filter { $0 != index }.map {
            LivePeer(address: address($0), host: "127.0.0.1", port: ports[$0], publicKey: keys[$0].publicKey)
        }
        let link = self.link
        var options = LiveNodeOptions(
            chainID: Self.chainID, key: keys[index], listenPort: ports[index], peers: peers, link: { _ in link },
            inboxEventsMax: 4_096, metricsFile: directory.appendingPathComponent("metrics-\(index).json").path)
        options.startWaitMillisMax = 2_000
        options.verificationMeter = verificationMeters[index]
        options.logger.logLevel = .warning
        return options
    }

    func storeOptions() -> Environment.Options {
        var options = Environment.Options()
        options.durability = .sync
        options.mapSizeBytes = 16 << 20
        return options
    }

    /// Builds the node from its store (fresh: genesis first) and runs it as a live node.
    func start(_ index: Int, fresh: Bool, options customize: (inout LiveNodeOptions) -> Void = { _ in }) throws {
        let host: any NodeHost
        if index < validatorCount {
            let store = try ChainStore(directory: storeURL(index), options: storeOptions())
            host = try RegionValidator(
                configuration: configuration(index), store: wrapStore(index, store), fresh: fresh)
        } else {
            let store = try CheckpointStore(directory: storeURL(index), options: storeOptions())
            guard let global, let globalGenesis, let committee else { throw CancellationError() }
            let configuration = CommitteeMemberConfiguration(
                chainID: Self.chainID, index: index - validatorCount, committee: committee, key: keys[index],
                timing: ConsensusTiming(blockIntervalNanos: 20_000_000, viewTimeoutNanos: 300_000_000),
                global: global, genesis: globalGenesis, regionSizes: [validatorCount],
                verifier: DirectSignatureVerifier())
            host = try CommitteeMember(configuration: configuration, store: store, fresh: fresh)
        }
        var options = options(index)
        self.customize(index, &options)
        customize(&options)
        let node = try LiveNode(host: host, options: options)
        nodes[index] = node
        runs[index] = Task { try await node.run() }
    }

    func startAll() throws {
        for index in keys.indices { try start(index, fresh: true) }
    }

    /// The task running node `index`, to see how its `run` ended.
    func run(_ index: Int) -> Task<Void, any Error>? { runs[index] }

    /// Graceful shutdown; rethrows what `run` threw.
    func stop(_ index: Int) async throws {
        nodes[index]?.shutdown()
        let run = runs.removeValue(forKey: index)
        nodes.removeValue(forKey: index)
        try await run?.value
    }

    /// Stops node `index` by cancelling its task, as a `ServiceGroup` does; `run` must return without throwing.
    func cancel(_ index: Int) async throws {
        let run = runs.removeValue(forKey: index)
        nodes.removeValue(forKey: index)
        run?.cancel()
        try await run?.value
    }

    func stopAll() async {
        for index in Array(nodes.keys) { try? await stop(index) }
    }

    func storeHeight(_ index: Int) throws -> UInt64? {
        let store = try ChainStore(directory: storeURL(index), options: storeOptions())
        defer { store.close() }
        return try store.latestHeight
    }

    /// The hash of the block at `height` in the node's store (nil if it has none there).
    func storeBlockHash(_ index: Int, atHeight height: UInt64) throws -> Hash256? {
        let store = try ChainStore(directory: storeURL(index), options: storeOptions())
        defer { store.close() }
        return try store.block(atHeight: height)?.hash
    }

    /// After every node stopped: all stores hold at least `height` blocks, and the same block at `height` (the
    /// chain carries on with heartbeat blocks, so the tips may differ by the last one or two).
    func expectStoresAgree(upTo height: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let heights = try (0..<validatorCount).map { try storeHeight($0) ?? 0 }
        #expect(
            heights.allSatisfy { $0 >= height }, "store heights \(heights), expected >= \(height)",
            sourceLocation: sourceLocation)
        let hashes = try (0..<validatorCount).map { try storeBlockHash($0, atHeight: height) }
        #expect(
            hashes[0] != nil && Set(hashes).count == 1, "blocks at \(height): \(hashes)", sourceLocation: sourceLocation
        )
        #expect(heights.max()! - heights.min()! <= 2, "store heights \(heights)", sourceLocation: sourceLocation)
    }

    func transfer(from device: KeyPair, nonce: UInt64) -> Transaction {
        Transaction(
            chainID: Self.chainID, region: 0, signer: device, nonce: nonce, contract: TransferContract.contractName,
            method: "transfer",
            arguments: TransferContract.transferArguments(to: keys[0].publicKey, amountMicros: 5, energyWh: 1))
    }
}

/// Runs `body` with a started cluster, and stops every node whatever happens.
func withCluster(
    validators: Int = 4, members: Int = 0,
    link: Topology.Link = Topology.Link(latencyMillis: 0, jitterMillis: 0, bandwidthMbps: 0),
    setUp: (LiveCluster) -> Void = { _ in }, _ body: (LiveCluster) async throws -> Void
) async throws {
    let cluster = try await LiveCluster(validators: validators, members: members, link: link)
    setUp(cluster)
    try cluster.startAll()
    // Generous: on a loaded CI machine a node may take seconds to bind.
    let listening = await eventually(within: 30) { cluster.nodes.values.allSatisfy { $0.boundPort != nil } }
    if !listening {
        var reasons: [String] = []
        for (index, node) in cluster.nodes.sorted(by: { $0.key < $1.key }) where node.boundPort == nil {
            let task = cluster.run(index)
            task?.cancel()
            let ended: String
            do {
                try await task?.value
                ended = "returned"
            } catch { ended = "\(error)" }
            reasons.append("node \(index) on port \(cluster.ports[index]): \(ended)")
        }
        Issue.record("nodes not listening after 30 s: \(reasons.joined(separator: "; "))")
        await cluster.stopAll()
        return
    }
    do {
        try await body(cluster)
    } catch {
        await cluster.stopAll()
        throw error
    }
    await cluster.stopAll()
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

extension LiveCluster {
    /// Waits until every node runs and has committed at least `height` (the chain never stops: idle leaders
    /// propose heartbeat blocks, so heights are compared as "at least").
    func allReach(_ height: UInt64, within seconds: Double) async -> Bool {
        await eventually(within: seconds) {
            (0..<validatorCount).allSatisfy { (nodes[$0]?.metrics.committedHeight ?? 0) >= height }
        }
    }
}

let testGroup = MultiThreadedEventLoopGroup.singleton

/// Ports handed out in this process so far: suites run in parallel, and a port one cluster released before its
/// nodes bind it again must not go to another cluster.
let handedOutPorts = Locked<Set<Int>>([])

/// Ports below the kernel's ephemeral range (32768 and up here), so that neither an outgoing connection's local
/// port nor a child process's `genesis` (which asks the kernel) can take one between this check and the node's
/// bind; each is checked free by binding it, and never handed out twice in this process.
let testPortRange = 20_000..<32_000

func freePorts(_ count: Int) async throws -> [Int] {
    var channels: [any Channel] = []
    var ports: [Int] = []
    var attempts = 0
    while ports.count < count, attempts < 100 * count {
        attempts += 1
        let port = Int.random(in: testPortRange)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
        // Held open until all are chosen; a port some other program holds fails to bind and is skipped.
        guard let channel = try? await ServerBootstrap(group: testGroup).bind(host: "127.0.0.1", port: port).get()
        else { continue }
        channels.append(channel)
        ports.append(port)
    }
    for channel in channels { try await channel.close() }
    guard ports.count == count else { throw FreePortsExhausted(wanted: count, found: ports.count) }
    return ports
}

struct FreePortsExhausted: Error, CustomStringConvertible {
    let wanted: Int
    let found: Int
    var description: String { "found \(found) of \(wanted) free ports in \(testPortRange)" }
}

/// Collects the frames a connection receives.
final class FrameCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let frames = Locked<[[UInt8]]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        frames.withLock { $0.append(bytes) }
    }
}

/// A TCP connection to a node that says whatever a test wants, framed or not.
final class RawConnection: Sendable {
    let channel: any Channel
    let collector: FrameCollector

    init(port: Int) async throws {
        let collector = FrameCollector()
        self.collector = collector
        channel = try await ClientBootstrap(group: testGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(frameBytesMax: 64 << 20)), collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    func sendFrame(_ frame: [UInt8]) async throws {
        try await channel.writeAndFlush(Framing.buffer(frame, allocator: channel.allocator))
    }

    func send(_ message: PeerMessage) async throws { try await sendFrame(WireCodec.encode(message)) }

    /// The node's hello: the first frame it sends on any connection.
    func nodeHello(within seconds: Double = 2) async -> Hello? {
        _ = await eventually(within: seconds) { !collector.frames.withLock { $0.isEmpty } }
        guard let first = collector.frames.withLock({ $0.first }),
            case .hello(let hello) = try? WireCodec.decode(first)
        else { return nil }
        return hello
    }

    func closedByNode(within seconds: Double = 2) async -> Bool {
        await eventually(within: seconds) { !channel.isActive }
    }

    func close() async { try? await channel.close() }
}

/// A client: hello as `.client`, then submissions; it keeps the replies by request id.
final class TestClient: Sendable {
    let connection: RawConnection

    init(port: Int, chainID: ChainID = LiveCluster.chainID) async throws {
        connection = try await RawConnection(port: port)
        let key = KeyPair.derived(masterSeed: 31, label: "live-test/client")
        try await connection.send(
            .hello(Hello(chainID: chainID, identity: .client, publicKey: key.publicKey, challenge: .random())))
    }

    func submit(_ transaction: Transaction, requestID: UInt64) async throws {
        try await connection.sendFrame(
            WireCodec.encode(ClientMessage.submit(requestID: requestID, transaction: transaction.encoded())))
    }

    func read(contract: String, keys: [[UInt8]], requestID: UInt64) async throws {
        try await connection.sendFrame(
            WireCodec.encode(ClientMessage.read(requestID: requestID, contract: contract, keys: keys)))
    }

    /// Answers to reads so far, by request id.
    var values: [UInt64: (height: UInt64, values: [[UInt8]?])] {
        var answers: [UInt64: (height: UInt64, values: [[UInt8]?])] = [:]
        for frame in connection.collector.frames.withLock({ $0 }) {
            if case .values(let id, let height, let values) = try? WireCodec.decodeClient(frame) {
                answers[id] = (height, values)
            }
        }
        return answers
    }

    /// Replies so far; the node's hello and proof (peer messages) are skipped.
    var replies: [UInt64: ClientReply] {
        var replies: [UInt64: ClientReply] = [:]
        for frame in connection.collector.frames.withLock({ $0 }) {
            if case .reply(let id, let reply) = try? WireCodec.decodeClient(frame) { replies[id] = reply }
        }
        return replies
    }
}

/// A region store that forwards to a real one until `failCommits` is set, then fails every block commit.
final class FailingStore: RegionStore, @unchecked Sendable {
    struct InjectedFailure: Error, CustomStringConvertible {
        var description: String { "injected disk failure" }
    }

    let inner: ChainStore
    let failCommits = Locked(false)

    init(_ inner: ChainStore) { self.inner = inner }

    var latestHeight: UInt64? { get throws { try inner.latestHeight } }
    func commit(_ commits: [BlockCommit], meta: [String: [UInt8]]) throws {
        // Safety records alone still go through: the fault is in committing blocks.
        if !commits.isEmpty, failCommits.withLock({ $0 }) { throw InjectedFailure() }
        try inner.commit(commits, meta: meta)
    }
    func meta(_ key: String) throws -> [UInt8]? { try inner.meta(key) }
    func block(atHeight height: UInt64) throws -> Block? { try inner.block(atHeight: height) }
    func certificate(atHeight height: UInt64) throws -> QuorumCertificate? { try inner.certificate(atHeight: height) }
    func contractTables() throws -> [String] { try inner.contractTables() }
    func allState(contract: String) throws -> [(key: [UInt8], value: [UInt8])] {
        try inner.allState(contract: contract)
    }
    var writeStatistics: WriteStatistics { inner.writeStatistics }
    func close() { inner.close() }
}

/// One HTTP/1.1 request on a fresh connection; the whole response as text.
func httpGet(port: Int, path: String) async throws -> String {
    let collector = ByteCollector()
    let channel = try await ClientBootstrap(group: testGroup)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
        }
        .connect(host: "127.0.0.1", port: port).get()
    var request = channel.allocator.buffer(capacity: 64)
    request.writeString("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
    try await channel.writeAndFlush(request)
    _ = await eventually(within: 2) { !channel.isActive }
    try? await channel.close()
    return String(decoding: collector.bytes.withLock { $0 }, as: UTF8.self)
}

final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Locked<[UInt8]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let read = buffer.readBytes(length: buffer.readableBytes) ?? []
        bytes.withLock { $0 += read }
    }
}

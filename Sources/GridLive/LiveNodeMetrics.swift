import Foundation
import GridCrypto
import GridNode
import GridStorage
import Synchronization

/// Why the transport dropped a frame.
public enum FrameDropReason: String, Codable, CaseIterable, Sendable {
    /// No handshaken connection to the peer when the frame left (or when the link model released it).
    case noConnection = "no-connection"
    /// The peer's outgoing queue was at `outgoingFramesMax` or `outgoingBytesMax`.
    case queueFull = "queue-full"
    /// The link model's loss (the link's own rate combined with `setExtraLoss`).
    case linkLoss = "link-loss"
    /// To or from a peer cut off by `setPartition`.
    case partition
    /// A length prefix over `wireLimits.frameBytesMax`; the connection is closed.
    case oversized
    /// A client frame, or a frame before the handshake, that does not decode; the connection is closed.
    case undecodable
    /// The consensus thread's inbox was full (peer frames; client submissions are answered `.busy`).
    case inboxFull = "inbox-full"
    /// A handshake message after the handshake, or a message on a connection that only sends.
    case unexpected
}

/// Why a connection was refused during or right after its handshake.
public enum HandshakeRefusalReason: String, Codable, CaseIterable, Sendable {
    /// The first frame did not decode as a peer message.
    case undecodable
    case oversized
    /// The first frame decoded but was not a `hello`.
    case notHello = "not-hello"
    case wrongChain = "wrong-chain"
    /// The identity is not in `peers`, or its key is not that identity's genesis key.
    case unknownKey = "unknown-key"
    case badProof = "bad-proof"
    /// A peer message other than the proof before the proof verified.
    case messageBeforeProof = "message-before-proof"
    /// A dialed node answered as someone other than the peer dialed.
    case wrongIdentity = "wrong-identity"
    /// The handshake did not finish within `handshakeTimeoutMillis`.
    case timeout
    /// A client connection sent something other than a `submit`.
    case clientProtocol = "client-protocol"
}

/// What a live node did, as figures: consensus observations, transport counters and process resources. Written
/// as JSON to `metricsFile` every second and at shutdown, and served to Prometheus.
public struct LiveNodeMetrics: Codable, Sendable, Equatable {
    public var node: String = ""
    public var uptimeSeconds: Double = 0
    /// The process, so a reader can tell this incarnation's figures from a killed one's.
    public var pid: Int = Int(getpid())
    /// True once the node accepts connections.
    public var listening = false
    /// When this copy was taken (Unix ns): how fresh the round fields below are.
    public var writtenAtUnixNanos: UInt64 = 0
    /// The replica's round, its progress in it, and the validator it waits on now (`Replica.awaitedLeader`): what
    /// a live run reads to find the leader a `REGION/leader` fault means.
    public var round: UInt64 = 0
    public var roundProgress: Int = 0
    public var awaitedLeader: Int = 0

    // Consensus, from the node's observations.
    public var committedBlocks: UInt64 = 0
    public var committedTransactions: UInt64 = 0
    /// Height of the last block this node committed (region validators) or checkpoint (members).
    public var committedHeight: UInt64 = 0
    public var checkpointsCommitted: UInt64 = 0
    public var finalizedHeight: UInt64 = 0
    public var roundChanges: UInt64 = 0
    /// Round changes through a timeout certificate.
    public var viewChanges: UInt64 = 0
    public var rejections: [String: UInt64] = [:]
    public var losses: [String: UInt64] = [:]
    public var entryRejections: UInt64 = 0

    // Clients.
    public var clientSubmissions: UInt64 = 0
    /// Client reads of committed state received, and their answers by kind (`values`, `rejected`).
    public var clientReads: UInt64 = 0
    public var clientReadAnswers: [String: UInt64] = [:]
    /// Frames to the committee a `byzantineRegion` fault rewrote on their way out.
    public var byzantineFramesRewritten: UInt64 = 0
    /// Replies by kind: committed, failed, rejected, busy.
    public var clientReplies: [String: UInt64] = [:]
    /// Replies whose client connection had gone.
    public var clientRepliesUndeliverable: UInt64 = 0
    /// Submissions answered `.busy` because `pendingRepliesMax` were already waiting.
    public var pendingRepliesOverflows: UInt64 = 0
    /// Submissions waiting for the node's answer now.
    public var clientRepliesPending: Int = 0
    /// Committed submissions whose client waits for the `.finalized` notice now (deployments with a committee), and
    /// routes dropped because `ClientRegistry.finalityRoutesMax` were waiting (those clients never hear).
    /// (Optional, as `global`, so that metrics files of earlier builds still decode for `calibrate --from-live`.)
    public var clientRoutesAwaitingFinality: Int? = 0
    public var finalityRoutesEvicted: UInt64? = 0

    // Transport.
    public var bytesSent: UInt64 = 0
    public var framesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var framesReceived: UInt64 = 0
    public var framesDropped: [String: UInt64] = [:]
    /// Writes to client connections: each event's replies to one connection go out in one write. With the peer
    /// frames sent and every frame received, what the event-loop thread handles. (Optional, as `global`.)
    public var clientWrites: UInt64? = 0
    public var handshakeRefusals: [String: UInt64] = [:]
    public var connectionsAccepted: UInt64 = 0
    public var peerHandshakesCompleted: UInt64 = 0
    public var dialFailures: UInt64 = 0
    /// Peers this node has a handshaken outbound connection to now.
    public var peersConnected: Int = 0

    // Consensus thread.
    public var inputsHandled: UInt64 = 0
    /// Inputs refused because the inbox was full (client `.busy` answers and dropped peer frames).
    public var inboxOverflows: UInt64 = 0
    public var inboxDepth: Int = 0
    public var inboxDepthPeak: Int = 0
    /// Transactions in the mempool (admitted, not yet committed) after the last input, and the most seen: the
    /// region's backlog as this validator holds it.
    public var mempoolTransactions: Int = 0
    public var mempoolTransactionsPeak: Int = 0
    /// Wall time the consensus thread spent handling inputs, and how many, by kind (`client`, `timer.region`,
    /// `frame.N` with N the wire tag: 1 region consensus, 2 gossip, 3 global consensus, 4 entries...). Wall time,
    /// not CPU: it includes the store's fsyncs and time the thread was descheduled.
    public var handlingSecondsByKind: [String: Double] = [:]
    public var inputsByKind: [String: UInt64] = [:]

    // Process and store.
    public var cpuSeconds: Double = 0
    /// CPU time of the NIO event-loop threads alone (`/proc/self/task/TID/schedstat`, thread names starting
    /// `NIO-ELT`), which read and write every frame: `calibrate --from-live` prices it per frame and byte, apart
    /// from the rest of `cpuSeconds`. Nil where the kernel keeps no scheduler statistics, and in earlier builds' files.
    public var eventLoopCPUSeconds: Double?
    /// How many times those threads were put on a CPU: their wake-ups, each of which may read or write several
    /// frames (the more the busier the node), so the fit prices a wake-up apart from a frame.
    public var eventLoopRuns: UInt64?
    /// Signatures the node's verifier checked (transactions, votes, certificates) and the thread CPU they took,
    /// estimated by `VerificationMeter`: what a verification costs inside a busy node, against the figure measured
    /// alone before a live run. Nil in earlier builds' files.
    public var verifications: UInt64?
    public var verificationCPUSeconds: Double?
    public var residentBytes: UInt64 = 0
    public var storeBytesWritten: UInt64?
    public var storeCommits: UInt64 = 0
    public var storeSyncs: UInt64 = 0

    /// The global layer as this node saw it; what a live run builds the result's `global` section from.
    public var global: LiveGlobalFigures? = LiveGlobalFigures()

    /// The node layer's own account of the work its inputs did, summed (what the simulator's CPU model prices), so
    /// `gridledger calibrate --from-live` can set the measured CPU against it.
    public var work = LiveWorkTotals()

    public init() {}

    public func dropped(_ reason: FrameDropReason) -> UInt64 { framesDropped[reason.rawValue] ?? 0 }
    public func refused(_ reason: HandshakeRefusalReason) -> UInt64 { handshakeRefusals[reason.rawValue] ?? 0 }
}

/// A node's share of the result's `global` section (deployments with a global committee; zeros otherwise).
public struct LiveGlobalFigures: Codable, Sendable, Equatable {
    // Region validators, over the blocks this process committed (`RegionBlockGlobalFigures`).
    public var messagesSent: UInt64 = 0
    public var messagesApplied: UInt64 = 0
    public var callsFailed: UInt64 = 0
    public var relayFailures: [String: UInt64] = [:]
    public var relaysSent: UInt64 = 0
    /// Region entries sent to members (each to every member it went to), and requests for missed checkpoints.
    public var entriesSent: UInt64 = 0
    public var checkpointRequests: UInt64 = 0

    // Committee members.
    /// Entries this member refused, by code (`bad-certificate`, `does-not-extend-chain`, ...).
    public var entryRejections: [String: UInt64] = [:]
    /// Entries this member took or turned away, by outcome (`CommitteeMember.entrySubmissions`): harmless resends
    /// (`duplicate`, `stale`) and `gap-buffer-full` among them. Nil in files of builds before it was kept.
    public var entrySubmissions: [String: Int]?
    /// Every checkpoint this member committed, in order; only in the file written when the node stops cleanly
    /// (rewriting it 20 times a second would cost more than the rest of the file). At most `checkpointLogMax`;
    /// past it, counted in `checkpointLogOverflow`.
    public var checkpoints: [CheckpointRecord]?
    public var checkpointLogOverflow: UInt64 = 0
    /// Every cross-region message this validator's chain applied, with when (only in the file written at a clean
    /// stop, as `checkpoints`): what the run joins with the operation that sent it for `crossRegion` latency. At
    /// most `checkpointLogMax`, past it counted in `appliedLogOverflow`.
    public var applied: [AppliedMessageRecord]?
    public var appliedLogOverflow: UInt64 = 0

    public static let checkpointLogMax = 100_000

    public init() {}
}

/// One cross-region message as a destination validator applied it.
public struct AppliedMessageRecord: Codable, Sendable, Equatable {
    public var message: RegionBlockGlobalFigures.AppliedMessage
    /// When the block that applied it was written (Unix ns).
    public var appliedAtUnixNanos: UInt64

    public init(message: RegionBlockGlobalFigures.AppliedMessage, appliedAtUnixNanos: UInt64) {
        self.message = message
        self.appliedAtUnixNanos = appliedAtUnixNanos
    }
}

/// One checkpoint as a member committed it.
public struct CheckpointRecord: Codable, Sendable, Equatable {
    public var height: UInt64
    /// When the member wrote it (Unix ns): on one machine, comparable across nodes and with the run's clock.
    public var committedAtUnixNanos: UInt64
    public var entries: Int
    public var payloadBytes: Int
    /// Cross-region messages it ordered, and those addressed to regions the committee does not know.
    public var messagesCommitted: Int
    public var undeliverable: Int

    public init(
        height: UInt64, committedAtUnixNanos: UInt64, entries: Int, payloadBytes: Int, messagesCommitted: Int,
        undeliverable: Int
    ) {
        self.height = height
        self.committedAtUnixNanos = committedAtUnixNanos
        self.entries = entries
        self.payloadBytes = payloadBytes
        self.messagesCommitted = messagesCommitted
        self.undeliverable = undeliverable
    }
}

/// The one place every thread records into; a lock is cheap next to a syscall per frame.
final class MetricsRecorder: Sendable {
    private let state: Mutex<LiveNodeMetrics>
    private let checkpointLog = Mutex<[CheckpointRecord]>([])
    private let appliedLog = Mutex<[AppliedMessageRecord]>([])
    private let startedNanos = DispatchTime.now().uptimeNanoseconds
    private let eventLoopThreads = ThreadGroupCPU(namePrefix: "NIO-ELT")
    private let verificationMeter: VerificationMeter?

    init(node: NodeAddress, verificationMeter: VerificationMeter? = nil) {
        self.verificationMeter = verificationMeter
        var metrics = LiveNodeMetrics()
        metrics.node = node.description
        state = Mutex(metrics)
    }

    func update(_ body: (inout LiveNodeMetrics) -> Void) { state.withLock { body(&$0) } }

    func drop(_ reason: FrameDropReason, count: UInt64 = 1) {
        state.withLock { $0.framesDropped[reason.rawValue, default: 0] += count }
    }

    func refuse(_ reason: HandshakeRefusalReason) {
        state.withLock { $0.handshakeRefusals[reason.rawValue, default: 0] += 1 }
    }

    func sent(bytes: Int) {
        state.withLock {
            $0.framesSent += 1
            $0.bytesSent += UInt64(bytes)
        }
    }

    func received(bytes: Int) {
        state.withLock {
            $0.framesReceived += 1
            $0.bytesReceived += UInt64(bytes)
        }
    }

    /// A copy with the process figures read now; `withCheckpointLog` for the file written at a clean stop.
    func snapshot(withCheckpointLog: Bool = false) -> LiveNodeMetrics {
        var metrics = state.withLock { $0 }
        if withCheckpointLog {
            metrics.global?.checkpoints = checkpointLog.withLock { $0 }
            metrics.global?.applied = appliedLog.withLock { $0 }
        }
        metrics.uptimeSeconds = Double(DispatchTime.now().uptimeNanoseconds - startedNanos) / 1e9
        metrics.writtenAtUnixNanos = UInt64(Date().timeIntervalSince1970 * 1e9)
        let process = ProcessResources.read()
        metrics.cpuSeconds = process.cpuSeconds
        let eventLoops = eventLoopThreads.usage()
        metrics.eventLoopCPUSeconds = eventLoops?.cpuSeconds
        metrics.eventLoopRuns = eventLoops?.runs
        if let verificationMeter {
            let totals = verificationMeter.totals
            metrics.verifications = totals.verifications
            metrics.verificationCPUSeconds = totals.cpuSeconds
        }
        metrics.residentBytes = process.residentBytes
        return metrics
    }

    func record(_ observations: [NodeObservation]) {
        guard !observations.isEmpty else { return }
        state.withLock { metrics in
            for observation in observations {
                switch observation {
                case .committed(let block, let output):
                    let figures = RegionBlockGlobalFigures(block: block, output: output)
                    metrics.global?.messagesSent += figures.messagesSent
                    metrics.global?.messagesApplied += figures.messagesApplied
                    metrics.global?.callsFailed += figures.callsFailed
                    if !figures.applied.isEmpty {
                        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
                        let dropped = appliedLog.withLock { log in
                            let room = max(0, LiveGlobalFigures.checkpointLogMax - log.count)
                            log += figures.applied.prefix(room).map {
                                AppliedMessageRecord(message: $0, appliedAtUnixNanos: now)
                            }
                            return figures.applied.count - min(room, figures.applied.count)
                        }
                        if dropped > 0 { metrics.global?.appliedLogOverflow += UInt64(dropped) }
                    }
                    for (code, count) in figures.relayFailures {
                        metrics.global?.relayFailures[code, default: 0] += count
                    }
                    metrics.committedBlocks += 1
                    metrics.committedTransactions += UInt64(block.payload.transactions.count)
                    metrics.committedHeight = max(metrics.committedHeight, block.header.height)
                case .finalized(let height):
                    metrics.finalizedHeight = max(metrics.finalizedHeight, height)
                case .checkpointCommitted(let block, _, let output):
                    let record = CheckpointRecord(
                        height: block.header.height, committedAtUnixNanos: UInt64(Date().timeIntervalSince1970 * 1e9),
                        entries: block.payload.entries.count, payloadBytes: block.payload.wireBytes,
                        messagesCommitted: output.deliveries.reduce(0) { $0 + $1.messages.count },
                        undeliverable: output.undeliverableMessageCount)
                    let kept = checkpointLog.withLock { log in
                        guard log.count < LiveGlobalFigures.checkpointLogMax else { return false }
                        log.append(record)
                        return true
                    }
                    if !kept { metrics.global?.checkpointLogOverflow += 1 }
                    metrics.checkpointsCommitted += 1
                    metrics.committedHeight = max(metrics.committedHeight, block.header.height)
                case .rejected(_, let rejection):
                    metrics.rejections[rejection.code, default: 0] += 1
                case .entryRejected(let rejection):
                    // By code as well, as the simulator counts a node's rejections (a forged certificate, a header
                    // off the chain...).
                    metrics.entryRejections += 1
                    metrics.global?.entryRejections[rejection.code, default: 0] += 1
                    metrics.rejections[rejection.code, default: 0] += 1
                case .lost(let loss):
                    metrics.losses[Self.lossKey(loss), default: 0] += 1
                case .roundChanged(_, _, let viaTimeout):
                    metrics.roundChanges += 1
                    if viaTimeout { metrics.viewChanges += 1 }
                case .entriesSent(let count): metrics.global?.entriesSent += UInt64(count)
                case .relaySent: metrics.global?.relaysSent += 1
                case .checkpointRequested: metrics.global?.checkpointRequests += 1
                }
            }
        }
    }

    /// Relay refusals carry a free-text reason; one key for all keeps the map bounded.
    private static func lossKey(_ loss: NodeLoss) -> String {
        if case .relayRefused = loss { return "relay-refused" }
        return loss.description
    }
}

/// CPU time and resident memory of this process, from /proc (zeros where it is not mounted).
enum ProcessResources {
    static func read() -> (cpuSeconds: Double, residentBytes: UInt64) {
        var cpuSeconds = 0.0
        var residentBytes: UInt64 = 0
        // Fields after the command name (which may hold spaces and parentheses): utime and stime are the 12th and
        // 13th after the closing parenthesis, in clock ticks.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
                if ticks > 0 { cpuSeconds = (user + system) / ticks }
            }
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = UInt64(fields[1]) {
                residentBytes = pages * UInt64(max(0, sysconf(Int32(_SC_PAGESIZE))))
            }
        }
        return (cpuSeconds, residentBytes)
    }
}

/// Sums of `NodeOutput.work` and `NodeOutput.storeWork` over every input a live node handled.
public struct LiveWorkTotals: Codable, Sendable, Equatable {
    public var inputs: UInt64 = 0
    public var signatureVerifications: UInt64 = 0
    public var batchedSignatureVerifications: UInt64 = 0
    public var signatures: UInt64 = 0
    public var hashedBytes: UInt64 = 0
    public var contractCalls: UInt64 = 0
    public var encodedBytes: UInt64 = 0
    public var decodedBytes: UInt64 = 0
    public var storeCommits: UInt64 = 0
    public var storeCommitBytes: UInt64 = 0

    public init() {}

    mutating func add(_ output: NodeOutput) {
        inputs += 1
        let work = output.work
        signatureVerifications += UInt64(work.signatureVerifications)
        batchedSignatureVerifications += UInt64(work.batchedSignatureVerifications)
        signatures += UInt64(work.signatures)
        hashedBytes += UInt64(work.hashedBytes)
        contractCalls += UInt64(work.contractCalls)
        encodedBytes += UInt64(work.encodedBytes)
        decodedBytes += UInt64(work.decodedBytes)
        storeCommits += UInt64(output.storeWork.storeCommits)
        storeCommitBytes += UInt64(output.storeWork.storeCommitBytes)
    }
}

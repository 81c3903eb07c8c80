import Foundation
import GridNode
import NIOCore

/// A node's state machine on one dedicated thread: it pops inputs from a bounded inbox, hands them to the host and
/// carries out what it returns. Timers live here too, on wall-clock monotonic deadlines.
///
/// The inbox has three FIFO queues, served in this order: consensus frames, other peer frames and timers' work
/// (gossip, entries...), and client submissions. Each is bounded by `inboxEventsMax` inputs and `inboxBytesMax`
/// bytes; client submissions also by `clientInboxEventsMax`, which is what admission control means on a live
/// node: past it a client is answered busy at once rather than queued for seconds behind work the node cannot
/// finish (open-loop load above capacity otherwise times every transaction out).
final class ConsensusThread: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var urgent = CircularBuffer<NodeInput>()
    private var normal = CircularBuffer<NodeInput>()
    private var urgentBytes = 0
    private var normalBytes = 0
    private var clients = CircularBuffer<NodeInput>()
    private var clientBytes = 0
    private let clientInboxEventsMax: Int
    private var stopping = false
    private var started = false
    private var finished = false

    private let inboxEventsMax: Int
    private let inboxBytesMax: Int
    private static let waitSliceNanosMax: UInt64 = 100_000_000
    private let host: any NodeHost
    private let metrics: MetricsRecorder
    private let carryOut: (NodeOutput) -> Void
    private let failed: (any Error) -> Void
    // Only the consensus thread touches these.
    private var timers = TimerHeap()
    private let leaderStatus: LeaderStatusFile?

    init(
        host: any NodeHost, inboxEventsMax: Int, inboxBytesMax: Int, clientInboxEventsMax: Int,
        metrics: MetricsRecorder, leaderStatus: LeaderStatusFile? = nil,
        carryOut: @escaping (NodeOutput) -> Void, failed: @escaping (any Error) -> Void
    ) {
        self.leaderStatus = leaderStatus
        self.host = host
        self.inboxEventsMax = max(1, inboxEventsMax)
        self.inboxBytesMax = max(1, inboxBytesMax)
        self.clientInboxEventsMax = max(1, min(clientInboxEventsMax, inboxEventsMax))
        self.metrics = metrics
        self.carryOut = carryOut
        self.failed = failed
    }

    /// From any thread; false when that queue is full.
    func offer(_ input: NodeInput, urgent isUrgent: Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        let bytes = Self.bytes(of: input)
        if input.isFromClient {
            guard clients.count < clientInboxEventsMax, clientBytes + bytes <= inboxBytesMax else { return false }
            clients.append(input)
            clientBytes += bytes
        } else if isUrgent {
            guard urgent.count < inboxEventsMax, urgentBytes + bytes <= inboxBytesMax else { return false }
            urgent.append(input)
            urgentBytes += bytes
        } else {
            guard normal.count < inboxEventsMax, normalBytes + bytes <= inboxBytesMax else { return false }
            normal.append(input)
            normalBytes += bytes
        }
        let depth = urgent.count + normal.count + clients.count
        metrics.update {
            $0.inboxDepth = depth
            $0.inboxDepthPeak = max($0.inboxDepthPeak, depth)
        }
        condition.signal()
        return true
    }

    /// Starts the thread; `.start` is the first input the node sees.
    func start(name: String) {
        condition.lock()
        defer { condition.unlock() }
        guard !started, !stopping else { return }
        started = true
        let thread = Thread { [self] in
            // Foundation on Linux passes a name to the kernel only when the thread names itself.
            Thread.current.name = name
            run()
        }
        thread.name = name
        thread.start()
    }

    /// Lets the input being handled finish, then ends the thread; returns once it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while started, !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        defer {
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        guard handle(.start) else { return }
        while let input = next() {
            guard handle(input) else { return }
        }
    }

    /// The next due timer or queued input, waiting for one; nil once stopping.
    private func next() -> NodeInput? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping { return nil }
            let now = DispatchTime.now().uptimeNanoseconds
            if let timer = timers.popDue(nowNanos: now) { return .timer(timer) }
            if let input = urgent.popFirst() {
                urgentBytes -= Self.bytes(of: input)
                return popped(input)
            }
            if let input = normal.popFirst() {
                normalBytes -= Self.bytes(of: input)
                return popped(input)
            }
            if let input = clients.popFirst() {
                clientBytes -= Self.bytes(of: input)
                return popped(input)
            }
            if let deadline = timers.nextDeadlineNanos {
                // The condition's timed wait runs on the wall clock; waking at least every `waitSliceNanosMax`
                // keeps a clock step from holding a monotonic deadline back for long.
                let waitNanos = min(deadline > now ? deadline - now : 0, Self.waitSliceNanosMax)
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(waitNanos) / 1e9))
            } else {
                condition.wait()
            }
        }
    }

    /// Called with `condition` held.
    private func popped(_ input: NodeInput) -> NodeInput {
        let depth = urgent.count + normal.count + clients.count
        metrics.update { $0.inboxDepth = depth }
        return input
    }

    private static func bytes(of input: NodeInput) -> Int {
        switch input {
        case .frame(_, let bytes), .client(_, let bytes): return bytes.count
        case .clientRead(_, let read): return read.contract.utf8.count + read.keys.reduce(0) { $0 + $1.count + 8 }
        case .start, .timer: return 0
        }
    }

    /// A bounded set of names for what the thread spends its time on: the frame's message tag, clients, timers.
    private static func kind(of input: NodeInput) -> String {
        switch input {
        case .start: return "start"
        case .client: return "client"
        case .clientRead: return "client.read"
        case .timer(.duties): return "timer.duties"
        case .timer(.region): return "timer.region"
        case .timer(.global): return "timer.global"
        case .frame(_, let bytes):
            // The byte after the version names the message kind (`PeerMessageTag`); an unknown one is still one key.
            guard bytes.count > 1 else { return "frame.short" }
            return "frame.\(min(bytes[1], 16))"
        }
    }

    /// False when the store failed: the node must stop.
    private func handle(_ input: NodeInput) -> Bool {
        let output: NodeOutput
        let startNanos = DispatchTime.now().uptimeNanoseconds
        do { output = try host.handle(input) } catch {
            failed(error)
            return false
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let kind = Self.kind(of: input)
        // Re-arming a timer adds a deadline and keeps the earlier one, as the simulator and the embedded runtime
        // do: the node ignores a timer that no longer means anything.
        for (timer, afterNanos) in output.timers { timers.push(timer, atNanos: now &+ afterNanos) }
        let statistics = host.storeWriteStatistics
        let position = host.roundPosition
        let awaitedLeader = host.awaitedLeader
        leaderStatus?.update(round: position.round, progress: position.progress, awaitedLeader: awaitedLeader)
        let pooled = host.pooledTransactions
        let submissions = host.entrySubmissions
        metrics.record(output.observations)
        metrics.update {
            $0.inputsHandled += 1
            $0.work.add(output)
            $0.handlingSecondsByKind[kind, default: 0] += Double(now - startNanos) / 1e9
            $0.inputsByKind[kind, default: 0] += 1
            $0.round = position.round
            $0.roundProgress = position.progress
            $0.awaitedLeader = awaitedLeader
            $0.mempoolTransactions = pooled
            $0.mempoolTransactionsPeak = max($0.mempoolTransactionsPeak, pooled)
            $0.storeBytesWritten = statistics.bytesWritten
            $0.storeCommits = statistics.commits
            $0.storeSyncs = statistics.syncs
            if !submissions.isEmpty { $0.global?.entrySubmissions = submissions }
        }
        carryOut(output)
        return true
    }
}

/// Deadlines of armed timers, earliest first; equal deadlines fire in the order they were armed.
struct TimerHeap {
    private struct Entry {
        let atNanos: UInt64
        let sequence: UInt64
        let timer: NodeTimer

        func precedes(_ other: Entry) -> Bool { (atNanos, sequence) < (other.atNanos, other.sequence) }
    }

    private var entries: [Entry] = []
    private var sequence: UInt64 = 0

    var count: Int { entries.count }
    var nextDeadlineNanos: UInt64? { entries.first?.atNanos }

    mutating func push(_ timer: NodeTimer, atNanos: UInt64) {
        sequence += 1
        entries.append(Entry(atNanos: atNanos, sequence: sequence, timer: timer))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popDue(nowNanos: UInt64) -> NodeTimer? {
        guard let first = entries.first, first.atNanos <= nowNanos else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].precedes(entries[smallest]) { smallest = left }
                if right < entries.count, entries[right].precedes(entries[smallest]) { smallest = right }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.timer
    }
}

extension NodeInput {
    /// Client work waits in its own bounded queue behind peers' traffic (`clientInboxEventsMax`).
    fileprivate var isFromClient: Bool {
        switch self {
        case .client, .clientRead: return true
        case .start, .frame, .timer: return false
        }
    }
}

import GridConsensus
import GridGlobal
import GridCrypto
import GridLedger
import GridRegion

/// A FIFO with a hard bound; `push` says no instead of growing.
struct BoundedQueue<Element> {
    private var storage: [Element] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }

    mutating func push(_ element: Element) -> Bool {
        guard count < capacity else { return false }
        storage.append(element)
        return true
    }

    mutating func pop() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head > 4096, head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}

/// Something a node has to work on.
enum NodeInput {
    case event(RegionEvent)
    /// A client transaction (by index into the run's transactions) reached this gateway.
    case client(Int)
    /// A committed checkpoint for this node's region, from a committee member or forwarded by a region peer.
    case checkpoint(CheckpointNotice, forwarded: Bool, fromMember: Int?)
    /// A relay transaction this validator made from a checkpoint delivery: admitted like a client's.
    case relay([UInt8])
    /// A committee member asks for this region's committed blocks from `fromHeight` on (it holds a gap).
    case missingEntries(member: Int, fromHeight: UInt64)
}

/// Counters a node accumulates over a run.
struct NodeMetrics {
    var busyNanosInWindow: UInt64 = 0
    var busyNanosTotal: UInt64 = 0
    var bytesSent: UInt64 = 0
    var storeBytesWritten: UInt64 = 0
    var queuePeak = 0
    var inboxOverflows = 0
    var eventsProcessed: UInt64 = 0
    var rejections: [String: Int] = [:]
}

/// A simulated machine: its cores, a bounded two-level inbox and its counters. Region validators and global
/// committee members are both; what runs on them differs (`SimulatedNode`, `SimulatedMember`).
class SimulatedMachine<Input> {
    let label: String
    /// Bumped on every crash, so timers and core releases from before the crash are ignored.
    var incarnation = 0
    var coreBusyUntilNanos: [UInt64]
    /// When the pending core-release event fires, if one is pending (`Simulation.scheduleCoreFree`).
    var coreFreeAtNanos: UInt64?
    /// Consensus messages and timers go first: a node drowning in client traffic must still vote.
    var urgentInbox: BoundedQueue<Input>
    var normalInbox: BoundedQueue<Input>
    var metrics = NodeMetrics()
    /// Highest height this machine has committed; a restart must find at least this much in its store.
    var committedHeight: UInt64 = 0

    init(label: String, cores: Int, inboxCapacity: Int) {
        self.label = label
        coreBusyUntilNanos = Array(repeating: 0, count: max(1, cores))
        urgentInbox = BoundedQueue(capacity: inboxCapacity)
        normalInbox = BoundedQueue(capacity: inboxCapacity)
    }

    var inboxCount: Int { urgentInbox.count + normalInbox.count }

    func freeCore(atNanos now: UInt64) -> Int? {
        coreBusyUntilNanos.indices.first { coreBusyUntilNanos[$0] <= now }
    }

    func popInput() -> Input? { urgentInbox.pop() ?? normalInbox.pop() }

    /// Queues an input; false when its inbox is full.
    func queue(_ input: Input, urgent: Bool) -> Bool {
        let accepted = urgent ? urgentInbox.push(input) : normalInbox.push(input)
        if !accepted { metrics.inboxOverflows += 1 }
        metrics.queuePeak = max(metrics.queuePeak, inboxCount)
        return accepted
    }

    /// What a crash throws away besides the machine's state: queued work and pending timers and core releases.
    func dropQueuedWork() {
        incarnation += 1
        coreFreeAtNanos = nil
        urgentInbox.removeAll()
        normalInbox.removeAll()
    }

    /// Per-machine figures at the end of a run, CPU over the measured window.
    func report(region: String, measuredNanos: UInt64) -> SimulatedNodeReport {
        let windowNanos = Double(measuredNanos)
        return SimulatedNodeReport(
            label: label, region: region,
            cpuUtilization: windowNanos > 0
                ? Double(metrics.busyNanosInWindow) / (windowNanos * Double(coreBusyUntilNanos.count)) : 0,
            queuePeak: metrics.queuePeak, bytesSent: metrics.bytesSent, storeBytesWritten: metrics.storeBytesWritten,
            committedHeight: committedHeight, busyNanosTotal: metrics.busyNanosTotal,
            eventsProcessed: metrics.eventsProcessed, rejections: metrics.rejections)
    }
}

/// One validator in the simulation: its sans-IO node (nil while crashed), its LMDB store and its CPU.
final class SimulatedNode: SimulatedMachine<NodeInput> {
    let globalIndex: Int
    let regionIndex: Int
    let validatorIndex: Int
    let key: KeyPair
    let behavior: ByzantineBehavior

    var node: RegionNode?
    var store: ChainStore?
    var crashedAtNanos: UInt64?
    /// What this validator's runtime does for the global layer (sending entries, learning checkpoints, relaying).
    var duties = RegionGlobalDuties()

    init(
        globalIndex: Int, regionIndex: Int, validatorIndex: Int, label: String, key: KeyPair, cores: Int,
        inboxCapacity: Int, behavior: ByzantineBehavior
    ) {
        self.globalIndex = globalIndex
        self.regionIndex = regionIndex
        self.validatorIndex = validatorIndex
        self.key = key
        self.behavior = behavior
        super.init(label: label, cores: cores, inboxCapacity: inboxCapacity)
    }

    var isAlive: Bool { node != nil }
}

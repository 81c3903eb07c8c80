import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridLoad
import GridNode
import GridRegion
import GridStorage

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

/// Something a simulated machine has to work on.
enum MachineInput {
    case node(NodeInput)
    /// A client transaction (by index into the run's transactions) reached this gateway.
    case client(Int)
}

/// Counters a machine accumulates over a run.
struct NodeMetrics {
    var busyNanosInWindow: UInt64 = 0
    var busyNanosTotal: UInt64 = 0
    var bytesSent: UInt64 = 0
    var framesSent: UInt64 = 0
    var framesLost: UInt64 = 0
    /// Bytes LMDB wrote in stores this machine already closed (crashes); the open store's are added at the end.
    var storeBytesWrittenClosed: UInt64 = 0
    /// False once any store could not measure what it wrote: then the figure is not reported.
    var storeBytesMeasured = true
    var queuePeak = 0
    var inboxOverflows = 0
    var eventsProcessed: UInt64 = 0
    var viewChanges = 0
    /// Time the node's events waited for a core of a shared host, inside the measured window.
    var coreWaitNanosInWindow: UInt64 = 0
    /// The same for the node's event-loop thread (frames in and out), when it is modelled.
    var eventLoopWaitNanosInWindow: UInt64 = 0
    var rejections: [String: Int] = [:]
    var losses: [String: Int] = [:]
}

/// A simulated machine: one consensus thread that runs the node's events one at a time (signature batches spread
/// over all its cores), a bounded two-level inbox, and its counters. Region validators and committee members are
/// both; what runs on them is the node layer's `RegionValidator` or `CommitteeMember`.
final class SimulatedMachine {
    let label: String
    let address: NodeAddress
    /// Position in the network model.
    let networkIndex: Int
    /// Region whose data centre the machine sits in, for links.
    let location: Int
    let key: KeyPair
    let cores: Int
    /// Whether the machine's commits wait for fsync (`durability: sync`).
    let durable: Bool
    /// Bumped on every crash, so timers and core releases from before the crash are ignored.
    var incarnation = 0
    /// When the consensus thread is free again.
    var busyUntilNanos: UInt64 = 0
    /// When the event-loop thread is free again (modelled only on a shared host that prices it): one thread, as
    /// a live node has, so a node's frames leave and arrive in order.
    var eventLoopFreeNanos: UInt64 = 0
    /// When the pending release event fires, if one is pending (`Simulation.scheduleRelease`).
    var releaseAtNanos: UInt64?
    /// Consensus messages and timers go first: a node drowning in client traffic must still vote.
    var urgentInbox: BoundedQueue<MachineInput>
    var normalInbox: BoundedQueue<MachineInput>
    /// Client transactions queued (in `normalInbox`) at most; past it a transaction is answered busy at once, as a
    /// live node does past `LiveNodeOptions.clientInboxEventsMax`, rather than waiting behind the others until its
    /// client gives up.
    let clientInboxMax: Int
    private(set) var queuedClients = 0
    var metrics = NodeMetrics()
    /// CPU and inbox depth per interval of the run's time series.
    var intervalSeries: NodeIntervalSeries
    /// Highest height this machine has committed; a restart must find at least this much in its store.
    var committedHeight: UInt64 = 0
    /// The node layer's region validator or committee member; nil while crashed.
    var host: (any NodeHost)?
    var crashedAtNanos: UInt64?

    init(
        label: String, address: NodeAddress, networkIndex: Int, location: Int, key: KeyPair, cores: Int,
        durable: Bool, inboxCapacity: Int, clientInboxMax: Int = .max, seriesIntervalNanos: UInt64 = 1_000_000_000,
        seriesIntervalsMax: Int = TimeSeriesRecorder.defaultIntervalsMax
    ) {
        self.label = label
        self.address = address
        self.networkIndex = networkIndex
        self.location = location
        self.key = key
        self.cores = max(1, cores)
        self.durable = durable
        urgentInbox = BoundedQueue(capacity: inboxCapacity)
        normalInbox = BoundedQueue(capacity: inboxCapacity)
        self.clientInboxMax = max(1, clientInboxMax)
        intervalSeries = NodeIntervalSeries(intervalNanos: seriesIntervalNanos, intervalsMax: seriesIntervalsMax)
    }

    var isAlive: Bool { host != nil }
    var inboxCount: Int { urgentInbox.count + normalInbox.count }
    var regionIndex: Int {
        if case .validator(let region, _) = address { return region }
        return location
    }
    var validatorIndex: Int {
        switch address {
        case .validator(_, let index): return index
        case .member(let index): return index
        }
    }
    var validator: RegionValidator? { host as? RegionValidator }

    func popInput() -> MachineInput? {
        if let input = urgentInbox.pop() { return input }
        let input = normalInbox.pop()
        if case .client = input { queuedClients -= 1 }
        return input
    }

    /// Queues an input; false when its inbox is full (for a client transaction: its share of it).
    func queue(_ input: MachineInput, urgent: Bool, atNanos: UInt64) -> Bool {
        let accepted: Bool
        if case .client = input {
            accepted = queuedClients < clientInboxMax && normalInbox.push(input)
            if accepted { queuedClients += 1 }
        } else {
            accepted = urgent ? urgentInbox.push(input) : normalInbox.push(input)
        }
        if !accepted { metrics.inboxOverflows += 1 }
        metrics.queuePeak = max(metrics.queuePeak, inboxCount)
        intervalSeries.noteQueue(depth: inboxCount, atNanos: atNanos)
        return accepted
    }

    /// What a crash throws away besides the node: queued work and pending timers and releases.
    func dropQueuedWork() {
        incarnation += 1
        releaseAtNanos = nil
        urgentInbox.removeAll()
        normalInbox.removeAll()
        queuedClients = 0
    }

    /// Closes the machine's node and store (a crash, or the end of the run), keeping what the store wrote.
    func closeHost() {
        guard let host else { return }
        let written = host.storeWriteStatistics.bytesWritten
        if let written { metrics.storeBytesWrittenClosed += written } else { metrics.storeBytesMeasured = false }
        host.close()
        self.host = nil
    }

    /// Bytes LMDB wrote for this machine over the run (nil when `/proc/thread-self/io` could not be read).
    var storeBytesWritten: UInt64? {
        guard metrics.storeBytesMeasured else { return nil }
        guard let host else { return metrics.storeBytesWrittenClosed }
        return host.storeWriteStatistics.bytesWritten.map { $0 + metrics.storeBytesWrittenClosed }
    }

    /// Per-machine figures at the end of a run, CPU over the measured window and all the node's cores: `cores`, or
    /// `coresPerNode` when the run gives each node another share (the cost model charges time by that share, so the
    /// utilization must be of it too; dividing by `cores` understated it 4 times at 0.5 core on a 2-core machine).
    func report(region: String, measuredNanos: UInt64, coresPerNode: Double? = nil, sharedHost: Bool = false)
        -> SimulatedNodeReport
    {
        let windowNanos = Double(measuredNanos)
        let capacityNanos = windowNanos * (coresPerNode ?? Double(cores))
        return SimulatedNodeReport(
            label: label, region: region,
            cpuUtilization: capacityNanos > 0 ? Double(metrics.busyNanosInWindow) / capacityNanos : 0,
            queuePeak: metrics.queuePeak, bytesSent: metrics.bytesSent, storeBytesWritten: storeBytesWritten,
            committedHeight: committedHeight, busyNanosTotal: metrics.busyNanosTotal,
            eventsProcessed: metrics.eventsProcessed, rejections: metrics.rejections, losses: metrics.losses,
            inboxOverflows: metrics.inboxOverflows, framesSent: metrics.framesSent, framesLost: metrics.framesLost,
            viewChanges: metrics.viewChanges, coreWaitNanos: sharedHost ? metrics.coreWaitNanosInWindow : nil)
    }
}

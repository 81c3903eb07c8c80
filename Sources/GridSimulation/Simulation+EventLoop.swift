import GridNode
import GridRegion

/// What a machine's event-loop thread does with a frame: the socket work a live node does on its NIO thread, apart
/// from its consensus thread.
enum EventLoopTask {
    /// A frame the consensus thread produced, to be written to the link towards `to`. Written only by the
    /// incarnation that produced it: a crash loses what its event loop had not written yet.
    case write(to: Int, [UInt8], urgent: Bool, incarnation: Int)
    /// A peer frame that arrived, to be read and handed to the consensus thread.
    case read(from: NodeAddress, [UInt8], urgent: Bool)
    /// A client's submission that arrived at its gateway.
    case readClient(Int)
    /// One event's replies to clients, written together.
    case writeReplies([(Int, ClientReply)])

    var name: String {
        switch self {
        case .write(let to, let frame, _, _): return "write \(frame.count)-byte frame to machine \(to)"
        case .read(let from, let frame, _): return "read \(frame.count)-byte frame from \(from)"
        case .readClient(let index): return "read client transaction #\(index)"
        case .writeReplies(let replies): return "write \(replies.count) client replies"
        }
    }
}

extension Simulation {
    /// Each node's event-loop thread is modelled as work of its own on the shared host's cores: before a frame
    /// leaves, and before an arriving frame or submission reaches the consensus thread, the thread waits for a core
    /// and spends the profile's event-loop CPU on it. Live, with 4 to 16 processes on 2 cores, those waits are half
    /// of a validator's time waiting for a core (docs/results/live-fidelity-2026-12-06.md); without a shared host
    /// each machine has cores of its own and the thread is not modelled.
    var modelsEventLoops: Bool { !hostCoreFreeNanos.isEmpty && options.profile.pricesEventLoop }

    /// Wire bytes of a frame, as the live transport counts them: a 4-byte length, then the message.
    static let framePrefixBytes = 4
    /// A client submission's envelope around the transaction (tag, request id), and one reply's size: the
    /// simulator does not encode client messages, so these stand for them in the per-KiB price.
    static let clientEnvelopeBytes = 16
    static let clientReplyBytes = 24

    /// Hands a client's transaction to its gateway at `atNanos`: through the gateway's event loop when modelled.
    func submitToGateway(_ index: Int, machine: Int, atNanos: UInt64) {
        if modelsEventLoops {
            queue.push(.eventLoop(machine: machine, .readClient(index)), atNanos: atNanos)
        } else {
            queue.push(.input(machine: machine, .client(index), urgent: false), atNanos: atNanos)
        }
    }

    /// The earliest a core of the shared host can start `cpuNanos` of work that is ready at `readyNanos` (the
    /// first core to free, which serves work in the order it became ready), reserved for it; `readyNanos` without
    /// a shared host.
    func reserveHostCore(readyNanos: UInt64, cpuNanos: UInt64) -> UInt64 {
        guard let core = hostCoreFreeNanos.indices.min(by: { hostCoreFreeNanos[$0] < hostCoreFreeNanos[$1] }) else {
            return readyNanos
        }
        let startNanos = max(readyNanos, hostCoreFreeNanos[core])
        hostCoreFreeNanos[core] = startNanos + cpuNanos
        return startNanos
    }

    /// The load generator's event-loop thread sends a submission or reads a reply that is ready at `readyNanos`
    /// (now): on a shared host with modelled event loops it waits for a core and spends the profile's generator
    /// CPU (half a transaction's for each of the two); returns when it is done. A live run's load generator is a
    /// process on the same cores as the nodes, one thread per part; the simulator models one.
    func generatorPass(readyNanos: UInt64) -> UInt64 {
        guard modelsEventLoops else { return readyNanos }
        let profile = options.profile
        let wakes = generatorLoopFreeNanos <= readyNanos
        let cpuNanos = UInt64(
            ((wakes ? profile.generatorNanosPerWakeup : 0) + profile.generatorNanosPerTransaction / 2).rounded())
        let startNanos = reserveHostCore(readyNanos: max(readyNanos, generatorLoopFreeNanos), cpuNanos: cpuNanos)
        generatorLoopFreeNanos = startNanos + cpuNanos
        return generatorLoopFreeNanos
    }

    /// How often a machine's upkeep runs: as often as a live node rewrites its metrics file (every 50 ms up to 16
    /// nodes, proportionally less often beyond, at most once a second; `gridledger node`).
    var backgroundIntervalNanos: UInt64 {
        let nodes = UInt64(max(1, nodes.count))
        return min(1_000_000_000, 50_000_000 * max(1, (nodes + 15) / 16))
    }

    /// Starts each machine's upkeep on a shared host whose profile prices it, the machines staggered over one
    /// interval so they do not all want a core at once.
    func scheduleBackgroundWork() {
        guard modelsEventLoops, options.profile.runtimeNanosPerSecond > 0 else { return }
        let interval = backgroundIntervalNanos
        for index in nodes.indices {
            queue.push(.background(machine: index), atNanos: interval * UInt64(index) / UInt64(nodes.count))
        }
    }

    /// One interval's upkeep: a live node's per-second CPU beyond its events (the fit's `runtimeNanosPerSecond`:
    /// the metrics file, timers, the runtime's own threads), on a core of the shared host. It delays no event of
    /// the node itself (it is another thread), only whoever waits for the core.
    func runBackgroundWork(_ index: Int) {
        let interval = backgroundIntervalNanos
        queue.push(.background(machine: index), atNanos: nowNanos + interval)
        let node = nodes[index]
        guard node.isAlive else { return }
        let cpuNanos = UInt64((options.profile.runtimeNanosPerSecond * Double(interval) / 1e9).rounded())
        let startNanos = reserveHostCore(readyNanos: nowNanos, cpuNanos: cpuNanos)
        node.metrics.busyNanosTotal += cpuNanos
        node.metrics.busyNanosInWindow += overlap(startNanos, startNanos + cpuNanos)
        node.intervalSeries.addBusy(cpuNanos: cpuNanos, startNanos: startNanos, endNanos: startNanos + cpuNanos)
    }

    func runEventLoop(_ index: Int, _ task: EventLoopTask) throws {
        let node = nodes[index]
        switch task {
        case .write(_, _, _, let incarnation):
            guard node.incarnation == incarnation, node.isAlive else {
                node.metrics.losses["crashed-before-write", default: 0] += 1
                return
            }
        case .writeReplies:
            // A crashed gateway's clients never hear: they time out, as live.
            guard node.isAlive else { return }
        case .read:
            // Frames to a machine that is down are lost in its closed socket, as `enqueue` drops them.
            guard node.isAlive else { return }
        case .readClient(let transaction):
            guard node.isAlive else {
                queue.push(.clientRedirect(transaction), atNanos: nowNanos + clientDelayNanos())
                return
            }
        }
        let bytes: Int
        switch task {
        case .write(_, let frame, _, _), .read(_, let frame, _): bytes = frame.count + Self.framePrefixBytes
        case .readClient(let transaction):
            bytes = transactionBytes[transaction].count + Self.clientEnvelopeBytes + Self.framePrefixBytes
        case .writeReplies(let replies): bytes = replies.count * (Self.clientReplyBytes + Self.framePrefixBytes)
        }
        // The thread wakes for this frame unless it is still busy with, or waiting to run, earlier ones: then it
        // takes this one in the same pass.
        let cpuNanos = options.profile.eventLoopNanos(bytes: bytes, wakes: node.eventLoopFreeNanos <= nowNanos)
        let startNanos = reserveHostCore(readyNanos: max(nowNanos, node.eventLoopFreeNanos), cpuNanos: cpuNanos)
        let endNanos = startNanos + cpuNanos
        node.eventLoopFreeNanos = endNanos
        node.metrics.eventLoopWaitNanosInWindow += overlap(nowNanos, startNanos)
        node.metrics.busyNanosTotal += cpuNanos
        node.metrics.busyNanosInWindow += overlap(startNanos, endNanos)
        node.intervalSeries.addBusy(cpuNanos: cpuNanos, startNanos: startNanos, endNanos: endNanos)
        switch task {
        case .write(let target, let frame, let urgent, _):
            transmit(frame, from: node, to: target, urgent: urgent, departureNanos: endNanos)
        case .read(let from, let frame, let urgent):
            queue.push(.input(machine: index, .node(.frame(from: from, frame)), urgent: urgent), atNanos: endNanos)
        case .readClient(let transaction):
            queue.push(.input(machine: index, .client(transaction), urgent: false), atNanos: endNanos)
        case .writeReplies(let replies):
            for (transaction, reply) in replies { scheduleReply(transaction, reply, fromNanos: endNanos) }
        }
    }
}

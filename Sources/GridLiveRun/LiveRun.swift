import Foundation
import GridGenesis
import GridLive
import GridLoad
import GridNode
import GridTopology

/// What `gridledger run --runtime live` needs besides the topology.
public struct LiveRunOptions: Sendable {
    public var topology: Topology
    /// The topology file as the user named it, for the result.
    public var topologyFile: String
    /// Where the deployment (genesis, keys, stores, logs, metrics) and the results go.
    public var outDirectory: URL
    /// The `gridledger` binary that runs each node and load generator part.
    public var executable: URL
    /// Load generator processes; each sends every `parts`-th transaction.
    public var generatorParts: Int
    /// Time allowed for every node to start listening (at least half a second per node, `startTimeoutSeconds(nodes:)`).
    public var startTimeoutSeconds: Double
    public var host: String
    /// Write the hash of every transaction a client saw committed to `deployment/load/committed.txt`, for checking
    /// against the chain (`gridledger inspect --committed-list`).
    public var recordsCommitted = false
    /// Length of one interval of the result's time series (`gridledger run --interval-seconds`).
    public var intervalNanos: UInt64 = 1_000_000_000

    public init(
        topology: Topology, topologyFile: String, outDirectory: URL, executable: URL, generatorParts: Int = 1,
        startTimeoutSeconds: Double = 30, host: String = "127.0.0.1"
    ) {
        self.topology = topology
        self.topologyFile = topologyFile
        self.outDirectory = outDirectory
        self.executable = executable
        self.generatorParts = generatorParts
        self.startTimeoutSeconds = startTimeoutSeconds
        self.host = host
    }
}

/// What the CLI shows while a live run goes on.
public struct LiveRunProgress: Sendable {
    public var elapsedSeconds: Double
    public var runSeconds: Double
    /// The highest committed height of each region, by region name.
    public var heights: [String: UInt64]
    public var liveNodes: Int
    public var nodes: Int
}

/// Runs a topology as real processes on this machine: writes a genesis, starts every validator and committee member
/// (`gridledger node`), starts the load generator parts (`gridledger load`), applies the topology's faults at their
/// times (SIGKILL for a crash, a new process on the same store for a restart, the transport for partitions and loss),
/// stops everything and gathers the generators' reports and the nodes' figures into one result.
public final class LiveRun {
    public let options: LiveRunOptions
    let deploymentDirectory: URL
    var layout: GenesisLayout?
    var nodes: [String: ChildProcess] = [:]
    var nodeOrder: [String] = []
    var generators: [ChildProcess] = []
    var faultLog: [RunResult.LeaderFault] = []
    /// Faults as applied, at their run second, for the time series' markers (kinds and targets as the simulator's).
    var faultMarks: [FaultMark] = []
    /// Nodes a `REGION/leader` crash took down and not yet restarted, latest last, by region.
    var leaderCrashVictims: [String: [String]] = [:]
    /// Faults applied, with what they did, for the report.
    public internal(set) var faultNotes: [String] = []
    /// Nodes that exited without being told to, with their status.
    public private(set) var unexpectedExits: [String: Int32] = [:]
    var runStartUnixNanos: UInt64 = 0
    /// Restarted nodes and when they caught up with their peers.
    var catchUps: [String: CatchUp] = [:]
    /// Each node's figures per interval, from its metrics file (every `nodeSampleNanos`).
    var nodeSeries: LiveNodeSeries
    var lastNodeSampleNanos: UInt64 = 0
    /// How often the nodes' metrics files are read: four times an interval, between every 50 ms (how often the
    /// nodes rewrite them) and every 250 ms (decoding every node's file costs the orchestrator CPU that the nodes
    /// share on this machine). CPU and drops are differences, so fewer samples lose nothing; the deepest inbox
    /// seen is the one figure that gets coarser.
    var nodeSampleNanos: UInt64 { min(250_000_000, max(50_000_000, options.intervalNanos / 4)) }
    /// Ends of partitions and loss, as (run second, action).
    var scheduled: [(atSeconds: Double, action: (Double) -> Void)] = []
    /// Every node's and generator's scheduler statistics at the start and at the end of the measured window.
    var runQueueStart: RunQueueSnapshot?
    var runQueueEnd: RunQueueSnapshot?

    public init(options: LiveRunOptions) {
        self.options = options
        deploymentDirectory = options.outDirectory.appendingPathComponent("deployment")
        nodeSeries = LiveNodeSeries(
            intervalNanos: options.intervalNanos, intervalsMax: TimeSeriesRecorder.defaultIntervalsMax)
    }

    var topology: Topology { options.topology }

    /// Runs the whole thing; nodes and generators are stopped whatever happens.
    public func run(progress: ((LiveRunProgress) -> Void)? = nil) throws -> LiveRunOutcome {
        let wallStart = DispatchTime.now().uptimeNanoseconds
        defer { stopEverything() }
        // Before any node starts, so that nothing shares the core with it.
        let verificationNanos = VerificationCost.measureNanos()
        try prepare()
        try startNodes()
        try startGenerators()
        try drive(progress: progress)
        let reports = try collectGeneratorReports()
        stopNodes()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        return LiveRunOutcome(
            load: reports, nodes: readNodeMetrics(), leaderFaults: faultLog, faultNotes: faultNotes,
            unexpectedExits: unexpectedExits, elapsedSeconds: elapsed, deploymentDirectory: deploymentDirectory,
            runStartUnixNanos: runStartUnixNanos, faultMarks: faultMarks, nodeSeries: nodeSeries,
            verificationNanos: verificationNanos, runQueue: runQueueWindows(), hostCPU: hostCPUWindow())
    }

    // MARK: - Set-up

    func prepare() throws {
        let fileManager = FileManager.default
        // A leftover deployment that cannot be removed makes the genesis below fail, naming the folder.
        try? fileManager.removeItem(at: deploymentDirectory)
        do {
            try fileManager.createDirectory(at: deploymentDirectory, withIntermediateDirectories: true)
        } catch {
            throw LiveRunError("cannot create \(deploymentDirectory.path): \(error.localizedDescription)")
        }
        layout = try GenesisWriter.write(
            topology: topology, options: GenesisOptions(host: options.host, keys: .random), to: deploymentDirectory)
    }

    func startNodes() throws {
        guard let layout else { return }
        let logs = deploymentDirectory.appendingPathComponent("logs")
        for entry in layout.genesis.nodes {
            guard let config = layout.nodeConfigs[entry.name] else { continue }
            let fileName = entry.name.replacingOccurrences(of: "/", with: "-")
            let child = ChildProcess(
                name: entry.name, executable: options.executable,
                arguments: ["node", "--config", config.path, "--exit-with-parent", "\(getpid())"],
                logFile: logs.appendingPathComponent("\(fileName).log"))
            try child.start()
            nodes[entry.name] = child
            nodeOrder.append(entry.name)
        }
        try waitUntilListening(Array(nodes.values))
    }

    /// A node is ready once its status says it listens. (Probing its port instead would count as a refused peer.)
    func waitUntilListening(_ children: [ChildProcess]) throws {
        let timeoutSeconds = startTimeoutSeconds(nodes: children.count)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var waiting = Set(children.map(\.name))
        while !waiting.isEmpty {
            for name in waiting {
                guard let child = nodes[name] else { continue }
                if let status = child.terminationStatus {
                    throw LiveRunError(
                        "node \(name) exited with status \(status) while starting; its log ends:\n\(child.logTail())")
                }
                if let snapshot = status(of: name), snapshot.listening == true,
                    (snapshot.pid.map { Int32($0) == child.processIdentifier } ?? false)
                {
                    waiting.remove(name)
                }
            }
            guard Date() < deadline else {
                throw LiveRunError(
                    "\(waiting.count) nodes not listening after \(timeoutSeconds) s: "
                        + waiting.sorted().prefix(12).joined(separator: ", ") + (waiting.count > 12 ? ", ..." : ""))
            }
            usleep(20_000)
        }
    }

    /// `startTimeoutSeconds`, and at least half a second per node starting: 260 processes on 2 cores took 100 s.
    func startTimeoutSeconds(nodes count: Int) -> Double {
        max(options.startTimeoutSeconds, 0.5 * Double(count))
    }

    // MARK: - Status

    func metricsURL(_ name: String) -> URL {
        deploymentDirectory.appendingPathComponent("metrics/\(name.replacingOccurrences(of: "/", with: "-")).json")
    }

    func controlURL(_ name: String) -> URL {
        deploymentDirectory.appendingPathComponent("control/\(name.replacingOccurrences(of: "/", with: "-")).jsonl")
    }

    /// The node's latest status: its metrics file, with whom it waits on taken from its leader status line when that
    /// is newer (the line changes with every round, the metrics file every 50 ms). Nil while the node has written
    /// neither: callers treat that as "no status", and a start or a fault that needs one fails by name.
    func status(of name: String) -> NodeStatusSnapshot? {
        // Both `try?`s are deliberate: a metrics file not written yet (or, on a crash, cut short) reads as no status
        // rather than an error, since the node rewrites it within 50 ms and the leader line alone says enough for a
        // fault; the caller reports a node that never gives a status by its name.
        let data = try? Data(contentsOf: metricsURL(name))
        var status = data.flatMap { try? JSONDecoder().decode(NodeStatusSnapshot.self, from: $0) }
        if let line = LeaderStatus.read(metricsFile: metricsURL(name).path),
            line.writtenAtUnixNanos >= status?.writtenAtUnixNanos ?? 0
        {
            var merged = status ?? NodeStatusSnapshot()
            merged.round = line.round
            merged.roundProgress = line.progress
            merged.awaitedLeader = line.awaitedLeader
            merged.writtenAtUnixNanos = line.writtenAtUnixNanos
            status = merged
        }
        return status
    }

    // MARK: - The run

    func drive(progress: ((LiveRunProgress) -> Void)?) throws {
        let workload = topology.workload
        let runSeconds = workload.warmupSeconds + workload.durationSeconds
        var pending = topology.faults.sorted { $0.atSeconds < $1.atSeconds }
        var nextProgress = 1.0
        let endSeconds = runSeconds + max(workload.timeoutSeconds, 1) + 30
        while true {
            let elapsed = secondsSinceRunStart()
            while let fault = pending.first, elapsed >= fault.atSeconds {
                pending.removeFirst()
                try apply(fault, atSeconds: elapsed)
            }
            scheduled.sort { $0.atSeconds < $1.atSeconds }
            while let next = scheduled.first, elapsed >= next.atSeconds {
                scheduled.removeFirst()
                next.action(elapsed)
            }
            checkCatchUps(atSeconds: elapsed)
            noteUnexpectedExits()
            sampleNodes()
            if runQueueStart == nil, elapsed >= workload.warmupSeconds {
                runQueueStart = sampleRunQueues(atSeconds: elapsed)
            }
            if runQueueEnd == nil, elapsed >= runSeconds { runQueueEnd = sampleRunQueues(atSeconds: elapsed) }
            if elapsed >= nextProgress {
                nextProgress += 1
                progress?(currentProgress(elapsed: elapsed, runSeconds: runSeconds))
            }
            if generators.allSatisfy({ !$0.isRunning }) { break }
            guard elapsed < endSeconds else {
                throw LiveRunError("the load generator did not finish \(Int(endSeconds)) s after the run started")
            }
            usleep(5_000)
        }
        for generator in generators where generator.terminationStatus != 0 {
            throw LiveRunError(
                "load generator \(generator.name) exited with status \(generator.terminationStatus ?? -1); "
                    + "its log ends:\n\(generator.logTail())")
        }
    }

    func secondsSinceRunStart() -> Double {
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        return now >= runStartUnixNanos ? Double(now - runStartUnixNanos) / 1e9 : -Double(runStartUnixNanos - now) / 1e9
    }

    func currentProgress(elapsed: Double, runSeconds: Double) -> LiveRunProgress {
        var heights: [String: UInt64] = [:]
        var live = 0
        for name in nodeOrder {
            guard let child = nodes[name], child.isRunning else { continue }
            live += 1
            let region = String(name.split(separator: "/").first ?? "")
            if let height = status(of: name)?.committedHeight { heights[region] = max(heights[region] ?? 0, height) }
        }
        return LiveRunProgress(
            elapsedSeconds: elapsed, runSeconds: runSeconds, heights: heights, liveNodes: live, nodes: nodes.count)
    }

    /// Reads every running node's metrics file into ``nodeSeries``, at most every `nodeSampleNanos`.
    func sampleNodes() {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastNodeSampleNanos >= nodeSampleNanos else { return }
        lastNodeSampleNanos = now
        for name in nodeOrder where nodes[name]?.isRunning == true {
            guard let data = try? Data(contentsOf: metricsURL(name)),
                let metrics = try? JSONDecoder().decode(LiveNodeMetrics.self, from: data)
            else {
                nodeSeries.noteUnreadable()  // counted and reported with the series
                continue
            }
            nodeSeries.record(name, metrics, runStartUnixNanos: runStartUnixNanos)
        }
    }

    func noteUnexpectedExits() {
        for (name, child) in nodes where unexpectedExits[name] == nil && !child.isRunning && !crashed.contains(name) {
            if let status = child.terminationStatus { unexpectedExits[name] = status }
        }
    }

    /// Nodes this run killed on purpose and has not restarted.
    var crashed: Set<String> = []

    // MARK: - Stopping

    func stopNodes() {
        ChildProcess.terminateAll(nodeOrder.compactMap { nodes[$0] }, graceSeconds: 10)
    }

    func stopEverything() {
        for generator in generators where generator.isRunning { generator.kill() }
        ChildProcess.terminateAll(nodeOrder.compactMap { nodes[$0] }, graceSeconds: 5)
    }
}

/// The subset of a node's metrics file the orchestrator reads while the run goes on.
struct NodeStatusSnapshot: Decodable {
    var pid: Int?
    var listening: Bool?
    var round: UInt64?
    var roundProgress: Int?
    var awaitedLeader: Int?
    var committedHeight: UInt64?
    var writtenAtUnixNanos: UInt64?
}

/// Everything a live run gathered, for the result and the report.
public struct LiveRunOutcome {
    public var load: LiveLoadOutcome
    public var nodes: [(name: String, figures: LiveNodeFigures?)]
    public var leaderFaults: [RunResult.LeaderFault]
    public var faultNotes: [String]
    public var unexpectedExits: [String: Int32]
    public var elapsedSeconds: Double
    public var deploymentDirectory: URL
    /// The planned start of sending (Unix ns): second 0 of the time series and of the fault marks.
    public var runStartUnixNanos: UInt64 = 0
    public var faultMarks: [FaultMark] = []
    var nodeSeries: LiveNodeSeries?
    /// One Ed25519 verification on this machine, thread CPU, measured before the nodes started.
    public var verificationNanos: Double?
    /// Each process's time on a CPU and waiting for one over the measured window (nodes, then generators); empty
    /// when the window was not sampled at both ends.
    public var runQueue: [RunQueueWindow] = []
    /// The whole machine's CPU over the same window (`/proc/stat`); nil when it was not sampled at both ends.
    public var hostCPU: HostCPUWindow?
}

import Dispatch
import Foundation
import GridConsensus
import GridContracts
import GridCrypto
import GridGenesis
import GridGlobal
import GridLedger
import GridLoad
import GridNode
import GridRegion
import GridStorage
import GridTopology
import GridWire
import GridWorkloads

public enum CPUMode: String, Sendable, CaseIterable, Codable {
    /// Charge each event the real thread CPU time its handling took.
    case measured
    /// Charge each event the machine profile's price of the work it reported (deterministic).
    case model
}

public enum SimulationError: Error, CustomStringConvertible {
    case profile(file: String, reason: String)
    case setup(String)
    case store(node: String, reason: String)
    /// A safety invariant broke: the run stops and says how to replay it.
    case invariantViolated(seed: UInt64, timeNanos: UInt64, event: String, invariant: String)

    /// Runs a workload driver's call, its errors as `setup` errors.
    static func setup<T>(_ body: () throws(WorkloadError) -> T) throws(SimulationError) -> T {
        do { return try body() } catch { throw .setup(error.description) }
    }

    public var description: String {
        switch self {
        case .profile(let file, let reason): return "machine profile \(file): \(reason)"
        case .setup(let reason): return "cannot set up the simulation: \(reason)"
        case .store(let node, let reason): return "store of \(node): \(reason)"
        case .invariantViolated(let seed, let time, let event, let invariant):
            let seconds = String(format: "%.6f", Double(time) / 1e9)
            return "INVARIANT VIOLATED at t=\(seconds)s (seed \(seed)) during \(event): \(invariant)"
        }
    }
}

public struct SimulationOptions: Sendable {
    public var topology: Topology
    /// Where each validator's LMDB store is created (emptied first).
    public var storeDirectory: URL
    public var cpuMode: CPUMode
    public var profile: MachineProfile
    public var chainID: ChainID
    /// Deliberate misbehaviour by node label (`r0/v0`), for tests.
    public var byzantine: [String: ByzantineBehavior]
    /// Events a node may have queued; past this, client transactions are answered "busy" and peer messages dropped.
    public var inboxEventsMax: Int
    /// Client transactions a validator may have queued; past this one is answered "busy" at once. nil: the
    /// topology's `consensus.blockTransactionsMax`, as a live node's `clientInboxEventsMax` (about a block's worth,
    /// so a transaction a node takes waits at most about one block for its turn).
    public var clientInboxEventsMax: Int?
    public var progressIntervalNanos: UInt64
    /// When set, one line per round change, commit, timeout, crash and restart is written here.
    public var traceFile: URL?
    /// Cores each node really has, when not the topology's `machine.cores`: fractions too, as when 4 live
    /// validators share 2 cores (0.5 each). Model mode only; measured mode times the real thread.
    public var coresPerNode: Double?
    /// All machines share this many cores, as processes on one host do (the live runtime on one machine): each
    /// event holds one of them for its CPU time at full speed, and waits for the first to free when all are taken,
    /// so a node's events wait for a core as a live node's consensus thread does on a run queue. The fsync wait holds
    /// no core. nil: every machine has cores of its own (`machine.cores`, or `coresPerNode`). Model mode only;
    /// excludes `coresPerNode`.
    public var hostCores: Int?
    /// Replays these auction bids instead of generating households (kind auction, one region).
    public var auctionReplay: AuctionReplay?
    /// Region votes the network holds back or loses on purpose (swarm schedules); nil for none.
    public var voteAdversary: VoteAdversary?
    /// Length of one interval of the result's time series (`RunResult.timeSeries`).
    public var timeSeriesIntervalNanos: UInt64 = 1_000_000_000

    public init(
        topology: Topology, storeDirectory: URL, cpuMode: CPUMode = .model, profile: MachineProfile = .shippedDefault,
        chainID: ChainID = 1, byzantine: [String: ByzantineBehavior] = [:], inboxEventsMax: Int = 100_000,
        progressIntervalNanos: UInt64 = 1_000_000_000
    ) {
        self.topology = topology
        self.storeDirectory = storeDirectory
        self.cpuMode = cpuMode
        self.profile = profile
        self.chainID = chainID
        self.byzantine = byzantine
        self.inboxEventsMax = inboxEventsMax
        self.progressIntervalNanos = progressIntervalNanos
    }
}

/// What the CLI shows while a run is going.
public struct SimulationProgress: Sendable {
    public var virtualNanos: UInt64
    public var runNanos: UInt64
    public var committed: UInt64
    public var offered: UInt64
    public var committedTpsLastInterval: Double
}

/// Per-node figures at the end of a run.
public struct SimulatedNodeReport: Sendable {
    public var label: String
    public var region: String
    public var cpuUtilization: Double
    public var queuePeak: Int
    public var bytesSent: UInt64
    /// Bytes LMDB wrote (its page writes, as the kernel counted them), nil where that could not be measured.
    public var storeBytesWritten: UInt64?
    public var committedHeight: UInt64
    public var busyNanosTotal: UInt64
    public var eventsProcessed: UInt64
    public var rejections: [String: Int]
    /// What the node dropped, by reason (`NodeLoss`): nothing is lost without being counted.
    public var losses: [String: Int]
    /// Inputs refused because the inbox was full (client transactions answered busy, peer frames dropped).
    public var inboxOverflows: Int
    /// Frames this node handed to the network (one per destination), and those the network lost (loss rate,
    /// partitions).
    public var framesSent: UInt64
    public var framesLost: UInt64
    /// Rounds this node entered through a timeout certificate.
    public var viewChanges: Int
    /// With `SimulationOptions.hostCores`: how long the node's events waited for a host core in the measured window.
    public var coreWaitNanos: UInt64?
}

public struct SimulationReport: Sendable {
    public var recorder: OutcomeRecorder
    public var nodes: [SimulatedNodeReport]
    public var virtualNanos: UInt64
    public var eventsProcessed: UInt64
    public var realSignatureVerifications: Int
    /// Committed transactions per region (all phases), for invariant and throughput checks.
    public var committedHeights: [String: UInt64]
    /// What the grid contracts achieved; nil for transfer runs.
    public var workload: RunResult.WorkloadOutcome?
    /// The global layer's figures; nil without one.
    public var global: RunResult.GlobalOutcome?
    /// Faults that named a leader, with whom they hit.
    public var leaderFaults: [FaultRecord]
    /// Per region, when each height was first committed by any of its validators (liveness checks).
    public var firstCommitNanos: [String: [UInt64: UInt64]] = [:]
    /// The run interval by interval (`RunResult.timeSeries`).
    public var timeSeries: TimeSeries
}

/// A fault that named `REGION/leader`, resolved to the node the replicas elected at that moment.
public struct FaultRecord: Sendable, Equatable {
    public var atNanos: UInt64
    public var fault: String
    public var node: String
    /// The highest round any live node of the region was in.
    public var round: UInt64
    /// How many live nodes were waiting on `node`, of `liveNodes`.
    public var awaitedBy: Int
    public var liveNodes: Int
}

enum Event {
    case input(machine: Int, MachineInput, urgent: Bool)
    case timer(machine: Int, incarnation: Int, NodeTimer)
    /// The machine's consensus thread is free: take the next queued input.
    case release(machine: Int, incarnation: Int)
    case clientSend(Int)
    case clientReply(Int, ClientReply)
    /// The reply, read by the load generator's event-loop thread after its wait for a core (modelled event loops).
    case clientReplyRead(Int, ClientReply)
    /// The gateway refused the connection (it is down): the client tries the region's next validator.
    case clientRedirect(Int)
    case fault(Int)
    case tick
    /// An off-chain agent's transaction (by pending submission id) is due: it is scheduled and sent now.
    case workloadSend(Int)
    /// Mix runs: the next transfer of the fixed-rate transfer share is due.
    case transferDue
    /// Voltage workload: reporting period k starts (power flow, reports); control interval k ends (dispatch).
    case voltagePeriod(Int)
    case voltageDispatch(Int)
    /// Auction workload: interval k opens (bids) and reaches its deadline (close, then clear once committed).
    case auctionOpen(Int)
    case auctionClose(Int)
    /// Work for a machine's event-loop thread, which needs a host core before a frame leaves the machine or reaches
    /// its consensus thread (`SimulationOptions.hostCores` with a profile that prices event loops).
    case eventLoop(machine: Int, EventLoopTask)
    /// A machine's periodic upkeep on the shared host (its metrics file, timers): `runtimeNanosPerSecond`.
    case background(machine: Int)

    var name: String {
        switch self {
        case .input(let machine, .client(let index), _):
            return "client transaction #\(index) arriving at machine \(machine)"
        case .input(let machine, .node(.frame(let from, let bytes)), _):
            return "\(bytes.count)-byte frame from \(from) arriving at machine \(machine)"
        case .input(let machine, .node(let input), _): return "\(input) at machine \(machine)"
        case .timer(let machine, _, let timer): return "timer \(timer) at machine \(machine)"
        case .release(let machine, _): return "release at machine \(machine)"
        case .clientSend(let index): return "client send #\(index)"
        case .clientReply(let index, let reply): return "reply \(reply) to client #\(index)"
        case .clientReplyRead(let index, let reply): return "reply \(reply) read by client #\(index)"
        case .clientRedirect(let index): return "connection refused to client #\(index)"
        case .fault(let index): return "fault #\(index)"
        case .tick: return "tick"
        case .workloadSend(let id): return "workload submission #\(id)"
        case .transferDue: return "transfer due"
        case .voltagePeriod(let period): return "voltage reporting period \(period)"
        case .voltageDispatch(let interval): return "voltage dispatch \(interval)"
        case .auctionOpen(let interval): return "auction interval \(interval) opens"
        case .auctionClose(let interval): return "auction interval \(interval) deadline"
        case .eventLoop(let machine, let task): return "event loop of machine \(machine): \(task.name)"
        case .background(let machine): return "upkeep of machine \(machine)"
        }
    }
}

/// The deterministic simulator: virtual time in integer nanoseconds, one event queue ordered by (time, sequence),
/// a seeded PRNG, a network model per link, a CPU per node, and scheduled faults. Nodes run the real replica,
/// mempool, contracts, signatures and LMDB stores.
public final class Simulation {
    let options: SimulationOptions
    let topology: Topology
    var queue = EventQueue<Event>()
    var nowNanos: UInt64 = 0
    var random: DeterministicRandom
    var network: NetworkModel
    /// Every machine: region validators first (region by region, `regionBase`), then committee members
    /// (`memberBase`). A machine's index is also its place in the network model.
    var nodes: [SimulatedMachine] = []
    var regionBase: [Int] = []
    var memberBase = 0
    var regionValidators: [ValidatorSet] = []
    var genesis: [ProposedBlock<RegionPayload>] = []
    let verifier: any SignatureVerifying
    let cache: VerificationCache?
    let intraLink: LinkModel
    let clientLink: LinkModel
    let timing: ConsensusTiming
    let wireLimits: WireLimits
    let window: LoadWindow
    var recorder: OutcomeRecorder
    var schedule: LoadSchedule

    // Client side: transactions by index, their recorder ids, gateways and state.
    var transactionBytes: [[UInt8]] = []
    var transactionIDs: [LoadTransactionID] = []
    var transactionScheduledNanos: [UInt64] = []
    var transactionGateway: [Int] = []
    var transactionAttempts: [UInt8] = []
    var resolved: [Bool] = []
    var accounts: [KeyPair] = []
    var accountNonces: [UInt64] = []
    var closedLoop: Bool
    var unresolvedCount = 0
    var sendsScheduled = 0

    // Grid contract workloads (kind voltage, auction or mix): off-chain agents and what they wait for.
    var voltageDriver: VoltageWorkloadDriver?
    var auctionDriver: AuctionWorkloadDriver?
    /// Per region, the contracts besides transfers, identical on every validator of the region.
    /// What the topology fixes at genesis, built as the live runtime builds it (keys derived from the seed).
    let deployment: Deployment
    let regionKeys: [[KeyPair]]
    let committeeKeys: [KeyPair]
    var pendingSubmissions: [Int: WorkloadSubmission] = [:]
    var nextSubmissionID = 0
    /// Transactions whose outcome an agent reacts to, by transaction index.
    var workloadPurposes: [Int: WorkloadPurpose] = [:]
    /// Mix runs: the rate of the transfer share, and transfers made so far.
    var mixTransferTps: Double = 0
    var transfersMade = 0
    var auctionIntervals: UInt64 = 0
    /// Driver events (periods, dispatches, interval openings and deadlines, due transfers) still on the queue: the
    /// run may not stop early while an agent has something left to send.
    var agentEventsQueued = 0

    // Invariants and reporting.
    var committedByHeight: [[UInt64: Hash256]] = []
    var firstCommitNanos: [[UInt64: UInt64]] = []
    var eventsProcessed: UInt64 = 0
    /// Nodes taken down by `REGION/leader` crashes and not yet restarted, latest last: `restart REGION/leader`
    /// brings back the latest one, as the topology file format defines.
    var leaderCrashVictims: [String: [Int]] = [:]
    /// Whom each `REGION/leader` fault hit, and in which round.
    var faultLog: [FaultRecord] = []
    /// Every fault as applied, with what it hit, for the time series.
    var faultMarks: [FaultMark] = []
    var lastProgressCommitted: UInt64 = 0
    var nextProgressNanos: UInt64
    static let tickNanos: UInt64 = 50_000_000
    var trace: FileHandle?

    // Global layer (nil/empty without a `global` section): committee members, checks and figures.
    var globalSetup: GlobalSetup?
    var globalChecker = GlobalInvariantChecker()
    var globalStats = GlobalStats()
    var locationLinks: [Int: LinkModel] = [:]
    var byzantineRegions: [Int: (behavior: Topology.ByzantineRegionBehavior, untilNanos: UInt64)] = [:]
    /// Per region, the highest height any of its validators knows to be final.
    var regionFinalHeight: [UInt64] = []
    /// Per region, scheduled times of locally committed transactions by block height, until final.
    var awaitingFinality: [[UInt64: [UInt64]]] = []
    /// Per region, when the operation behind a block's outbox was scheduled, by height.
    var blockOrigins: [Int: [UInt64: UInt64]] = [:]
    /// Scheduled times of agent transactions (dispatches, closes, clears), by hash: they start cross-region work.
    var agentTransactionNanos: [Hash256: UInt64] = [:]
    /// Request ids of relay transactions start here, far above any client transaction index.
    static let relayRequestBase: UInt64 = 1 << 62
    var nextRelayRequest: UInt64 = relayRequestBase
    /// When each of the shared host's cores is free again (`SimulationOptions.hostCores`); empty without a shared host.
    var hostCoreFreeNanos: [UInt64] = []
    /// When the load generator's event-loop thread is free again (modelled event loops only).
    var generatorLoopFreeNanos: UInt64 = 0

    func traceLine(_ label: String, _ text: @autoclosure () -> String) {
        guard let trace else { return }
        let seconds = String(format: "%.6f", Double(nowNanos) / 1e9)
        trace.write(Data("\(seconds) \(label) \(text())\n".utf8))
    }

    func traceLine(_ node: SimulatedMachine, _ text: @autoclosure () -> String) { traceLine(node.label, text()) }

    public init(options: SimulationOptions) throws {
        self.options = options
        topology = options.topology
        if let hostCores = options.hostCores {
            guard options.cpuMode == .model, options.coresPerNode == nil, (1...1024).contains(hostCores) else {
                throw SimulationError.setup(
                    "a shared host needs model CPU mode, no cores per node and 1...1024 cores, got \(hostCores)")
            }
            hostCoreFreeNanos = Array(repeating: 0, count: hostCores)
        }
        random = DeterministicRandom(seed: topology.seed ^ 0x5EED_0F_5131)
        let nodeCount = topology.validatorCount + (topology.global?.validators ?? 0)
        network = NetworkModel(nodeCount: nodeCount)
        if options.cpuMode == .model {
            let cache = VerificationCache()
            self.cache = cache
            verifier = cache
        } else {
            cache = nil
            verifier = DirectSignatureVerifier()
        }
        intraLink = LinkModel(topology.network.intraRegion)
        clientLink = LinkModel(topology.network.client)
        timing = topology.consensusTiming
        wireLimits = topology.wireLimits
        let workload = topology.workload
        window = try LoadWindow(
            warmupNanos: UInt64(workload.warmupSeconds * 1e9), measuredNanos: UInt64(workload.durationSeconds * 1e9))
        recorder = try OutcomeRecorder(
            window: window, regions: topology.regions.map(\.name),
            limits: OutcomeRecorder.Limits(maxTrackedTransactions: 50_000_000),
            timeSeriesIntervalNanos: options.timeSeriesIntervalNanos)
        let voltage: VoltageWorkloadDriver?
        let auction: AuctionWorkloadDriver?
        do {
            voltage =
                workload.runsVoltage ? try VoltageWorkloadDriver(topology: topology, chainID: options.chainID) : nil
            auction =
                workload.runsAuction
                ? try AuctionWorkloadDriver(topology: topology, chainID: options.chainID, replay: options.auctionReplay)
                : nil
        } catch {
            throw SimulationError.setup(error.description)
        }
        voltageDriver = voltage
        auctionDriver = auction
        let workloadContracts = WorkloadContracts.perRegion(
            regionCount: topology.regions.count, voltage: voltage, auction: auction)
        let keys = Deployment.derivedKeys(topology)
        regionKeys = keys.regions
        committeeKeys = keys.committee
        do {
            deployment = try Deployment(
                topology: topology, chainID: options.chainID, regionKeys: keys.regions.map { $0.map(\.publicKey) },
                committeeKeys: keys.committee.map(\.publicKey), verifier: verifier,
                workloadContracts: workloadContracts)
        } catch {
            throw SimulationError.setup(error.reason)
        }
        let transferTps = ContractWorkloadPlan.mixTransferTps(workload, voltage: voltage, auction: auction)
        mixTransferTps = transferTps
        let transferController =
            workload.kind == .transfer ? Self.loadController(workload.rate) : .fixed(tps: max(transferTps, 1))
        schedule = try LoadSchedule(controller: transferController, window: window, seed: topology.seed)
        if workload.kind == .transfer, case .closedLoop = workload.rate {
            closedLoop = true
        } else {
            closedLoop = false
        }
        nextProgressNanos = options.progressIntervalNanos
        if let traceFile = options.traceFile {
            FileManager.default.createFile(atPath: traceFile.path, contents: nil)
            trace = try FileHandle(forWritingTo: traceFile)
        }
        try setUpNodes()
        try setUpGlobalLayer()
        for node in nodes { try startNode(node, fresh: true) }
        setUpAccounts()
    }

    static func loadController(_ rate: Topology.RateController) -> RateController {
        switch rate {
        case .fixed(let tps): return .fixed(tps: tps)
        case .poisson(let tps): return .poisson(tps: tps)
        case .ramp(let from, let to): return .ramp(fromTps: from, toTps: to)
        case .step(let steps): return .step(steps.map { RateStep(atSeconds: $0.atSeconds, tps: $0.tps) })
        case .closedLoop(let outstanding): return .closedLoop(outstanding: outstanding)
        }
    }

    // MARK: - Set-up

    func setUpNodes() throws {
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: options.storeDirectory)
        do {
            try fileManager.createDirectory(at: options.storeDirectory, withIntermediateDirectories: true)
        } catch {
            throw SimulationError.setup("cannot create \(options.storeDirectory.path): \(error.localizedDescription)")
        }
        for (regionIndex, region) in topology.regions.enumerated() {
            regionBase.append(nodes.count)
            let keys = regionKeys[regionIndex]
            regionValidators.append(deployment.regionValidators[regionIndex])
            genesis.append(deployment.regionGenesis[regionIndex])
            committedByHeight.append([0: genesis[regionIndex].hash])
            firstCommitNanos.append([0: 0])
            for (validatorIndex, key) in keys.enumerated() {
                nodes.append(
                    SimulatedMachine(
                        label: "\(region.name)/v\(validatorIndex)",
                        address: .validator(region: regionIndex, index: validatorIndex), networkIndex: nodes.count,
                        location: regionIndex, key: key, cores: region.machine.cores,
                        durable: region.machine.durability == .sync, inboxCapacity: options.inboxEventsMax,
                        clientInboxMax: options.clientInboxEventsMax ?? topology.consensus.blockTransactionsMax,
                        seriesIntervalNanos: options.timeSeriesIntervalNanos))
            }
        }
        memberBase = nodes.count
    }

    func storeURL(_ node: SimulatedMachine) -> URL {
        options.storeDirectory.appendingPathComponent(node.label.replacingOccurrences(of: "/", with: "-"))
    }

    func mempoolConfiguration(regionIndex: Int) -> MempoolConfiguration {
        topology.mempoolConfiguration(chainID: options.chainID, region: regionIndex)
    }

    func validatorConfiguration(_ node: SimulatedMachine) -> RegionValidatorConfiguration {
        var configuration = deployment.validatorConfiguration(
            region: node.regionIndex, index: node.validatorIndex, key: node.key,
            behavior: options.byzantine[node.label] ?? .honest)
        configuration.proposeWithinWriteNanos = node.durable ? UInt64(options.profile.storeSyncNanos.rounded()) : 0
        return configuration
    }

    /// Opens the node's store and builds it with the node layer, which restores it from the store; checks that
    /// nothing it had committed before a crash is missing.
    func startNode(_ node: SimulatedMachine, fresh: Bool) throws {
        var storeOptions = Environment.Options()
        // Durable writes are charged as time (`storeSyncNanos`), not performed: a simulated crash keeps the store.
        storeOptions.durability = .noSync
        storeOptions.mapSizeBytes = 16 << 20
        let host: any NodeHost
        do {
            switch node.address {
            case .validator:
                let store = try ChainStore(directory: storeURL(node), options: storeOptions)
                let validator = try RegionValidator(
                    configuration: validatorConfiguration(node), store: store, fresh: fresh)
                validator.measuresStoreCPU = options.cpuMode == .measured
                host = validator
            case .member:
                guard let setup = globalSetup, let configuration = memberConfiguration(node) else { return }
                let store = try CheckpointStore(
                    directory: memberStoreURL(node), options: storeOptions, limits: setup.configuration.limits)
                let member = try CommitteeMember(configuration: configuration, store: store, fresh: fresh)
                member.measuresStoreCPU = options.cpuMode == .measured
                host = member
            }
        } catch {
            throw SimulationError.store(node: node.label, reason: "\(error)")
        }
        guard host.committedHeight >= node.committedHeight else {
            throw SimulationError.invariantViolated(
                seed: topology.seed, timeNanos: nowNanos, event: "restart of \(node.label)",
                invariant:
                    "committed block lost: store ends at \(host.committedHeight), node had committed \(node.committedHeight)"
            )
        }
        node.host = host
        node.committedHeight = host.committedHeight
        node.busyUntilNanos = nowNanos
        try enqueue(node.networkIndex, .node(.start), urgent: true)
    }

    /// Device keys, spread over regions round-robin; each device sends through validator `device % n` of its
    /// region.
    func setUpAccounts() {
        let count = max(1, topology.workload.accounts)
        accounts = (0..<count).map { KeyPair.derived(masterSeed: topology.seed, label: "device/\($0)") }
        accountNonces = Array(repeating: 0, count: count)
    }

    // MARK: - Client transactions

    /// The i-th transaction of the run: device i mod accounts pays the next device a small amount.
    func makeTransaction(_ index: Int) -> (bytes: [UInt8], region: Int, gateway: Int) {
        let device = index % accounts.count
        let regionIndex = device % topology.regions.count
        accountNonces[device] += 1
        let recipient = accounts[(device + 1) % accounts.count].publicKey
        let transaction = Transaction(
            chainID: options.chainID, region: RegionID(regionIndex), signer: accounts[device],
            nonce: accountNonces[device], contract: TransferContract.contractName, method: "transfer",
            arguments: TransferContract.transferArguments(
                to: recipient, amountMicros: UInt64(1 + index % 1000), energyWh: UInt64(index % 50)))
        let validators = topology.regions[regionIndex].validators
        let gateway = regionBase[regionIndex] + (device / topology.regions.count) % validators
        return (transaction.encoded(), regionIndex, gateway)
    }

    /// Open-loop schedules are known in advance: sign every transaction before the run (on all cores), since
    /// signing is the client's cost, not the ledger's.
    func presignOpenLoop() throws {
        var times: [UInt64] = []
        while let time = schedule.next() { times.append(time) }
        let count = times.count
        // Nonces and devices are assigned in schedule order; only the signing runs in parallel.
        var plans: [(device: Int, nonce: UInt64, region: Int, gateway: Int)] = []
        plans.reserveCapacity(count)
        for index in 0..<count {
            let device = index % accounts.count
            accountNonces[device] += 1
            let regionIndex = device % topology.regions.count
            let gateway =
                regionBase[regionIndex] + (device / topology.regions.count) % topology.regions[regionIndex].validators
            plans.append((device, accountNonces[device], regionIndex, gateway))
        }
        var bytes = [[UInt8]](repeating: [], count: count)
        let accounts = self.accounts
        let frozenPlans = plans
        let chainID = options.chainID
        bytes.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            let chunks = max(1, ProcessInfo.processInfo.activeProcessorCount)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for index in stride(from: chunk, to: count, by: chunks) {
                    let plan = frozenPlans[index]
                    let transaction = Transaction(
                        chainID: chainID, region: RegionID(plan.region), signer: accounts[plan.device],
                        nonce: plan.nonce, contract: TransferContract.contractName, method: "transfer",
                        arguments: TransferContract.transferArguments(
                            to: accounts[(plan.device + 1) % accounts.count].publicKey,
                            amountMicros: UInt64(1 + index % 1000), energyWh: UInt64(index % 50)))
                    output[index] = transaction.encoded()
                }
            }
        }
        transactionBytes = bytes
        transactionGateway = plans.map(\.gateway)
        transactionIDs.reserveCapacity(count)
        transactionScheduledNanos = times
        resolved = Array(repeating: false, count: count)
        for index in 0..<count {
            transactionIDs.append(
                try recorder.scheduled(atNanos: times[index], region: topology.regions[plans[index].region].name))
            queue.push(.clientSend(index), atNanos: times[index])
        }
        sendsScheduled = count
    }

    func releaseClosedLoop() throws {
        let count = schedule.release(atNanos: nowNanos)
        for _ in 0..<count {
            let index = transactionBytes.count
            let made = makeTransaction(index)
            transactionBytes.append(made.bytes)
            transactionGateway.append(made.gateway)
            resolved.append(false)
            transactionScheduledNanos.append(nowNanos)
            transactionIDs.append(try recorder.scheduled(atNanos: nowNanos, region: topology.regions[made.region].name))
            queue.push(.clientSend(index), atNanos: nowNanos)
            sendsScheduled += 1
        }
    }

    // MARK: - Grid contract workloads

    /// Puts the drivers' periodic events on the queue: reporting periods and dispatches (voltage), interval openings
    /// and deadlines (auction), and the first transfer of a mix. Everything the agents send is scheduled at the
    /// moment it is due (`register`), so the recorder sees scheduled times in order.
    func scheduleContractWorkloads() {
        let runEndNanos = window.runEndNanos
        for (atNanos, event) in ContractWorkloadPlan.agenda(
            voltage: voltageDriver, auction: auctionDriver, runEndNanos: runEndNanos)
        {
            switch event {
            case .voltagePeriod(let period): pushAgentEvent(.voltagePeriod(period), atNanos: atNanos)
            case .voltageDispatch(let interval): pushAgentEvent(.voltageDispatch(interval), atNanos: atNanos)
            case .auctionOpen(let interval): pushAgentEvent(.auctionOpen(interval), atNanos: atNanos)
            case .auctionClose(let interval): pushAgentEvent(.auctionClose(interval), atNanos: atNanos)
            }
        }
        auctionIntervals =
            auctionDriver.map { ContractWorkloadPlan.auctionIntervals($0, runEndNanos: runEndNanos) } ?? 0
        if mixTransferTps > 0, let first = schedule.next() { pushAgentEvent(.transferDue, atNanos: first) }
    }

    func pushAgentEvent(_ event: Event, atNanos timeNanos: UInt64) {
        agentEventsQueued += 1
        queue.push(event, atNanos: timeNanos)
    }

    func dispatchAgentEvent(_ event: Event) throws {
        switch event {
        case .transferDue:
            let made = makeTransaction(transfersMade)
            transfersMade += 1
            try register(bytes: made.bytes, region: made.region, gateway: made.gateway, purpose: nil)
            if let next = schedule.next() { pushAgentEvent(.transferDue, atNanos: max(next, nowNanos)) }
        case .voltagePeriod(let period):
            try runVoltagePeriod(period)
        case .voltageDispatch(let interval):
            guard let driver = voltageDriver else { return }
            // Zones' operators only: the registry's region has none.
            for region in driver.configurations.indices {
                submit(driver.dispatchSubmission(region: region, interval: UInt64(interval)), atNanos: nowNanos)
            }
        case .auctionOpen(let interval):
            guard let driver = auctionDriver else { return }
            let bids = driver.bids(interval: UInt64(interval), atSeconds: Double(nowNanos) / 1e9)
            // Bids spread over the first half of the interval, well before the deadline at its end.
            let spreadNanos = UInt64(driver.settings.intervalSeconds * 0.5e9)
            for (position, bid) in bids.enumerated() {
                submit(bid, atNanos: nowNanos + spreadNanos * UInt64(position) / UInt64(max(1, bids.count)))
            }
        case .auctionClose(let interval):
            guard let driver = auctionDriver else { return }
            for region in topology.regions.indices {
                let purpose = WorkloadPurpose.auctionClose(region: region, interval: UInt64(interval))
                let close = driver.operatorSubmission(
                    region: region, interval: UInt64(interval), method: .close, purpose: purpose)
                submit(close, atNanos: nowNanos)
            }
        default:
            break
        }
    }

    /// Holds an agent's transaction until it is due.
    func submit(_ submission: WorkloadSubmission, atNanos dueNanos: UInt64) {
        let id = nextSubmissionID
        nextSubmissionID += 1
        pendingSubmissions[id] = submission
        queue.push(.workloadSend(id), atNanos: max(dueNanos, nowNanos))
    }

    func sendSubmission(_ submission: WorkloadSubmission) throws {
        let validators = topology.regions[submission.region].validators
        try register(
            bytes: submission.transaction.encoded(), region: submission.region,
            gateway: regionBase[submission.region] + submission.gatewayValidator % validators,
            purpose: submission.purpose)
    }

    /// Schedules a transaction now and sends it through the gateway, like the presigned transfers: latency counts
    /// from now, and the outcome lands in the same recorder.
    func register(bytes: [UInt8], region: Int, gateway: Int, purpose: WorkloadPurpose?) throws {
        let index = transactionBytes.count
        transactionBytes.append(bytes)
        transactionGateway.append(gateway)
        resolved.append(false)
        transactionScheduledNanos.append(nowNanos)
        transactionIDs.append(try recorder.scheduled(atNanos: nowNanos, region: topology.regions[region].name))
        if let purpose {
            workloadPurposes[index] = purpose
            if globalSetup != nil { agentTransactionNanos[Hash256.blake2b(bytes)] = nowNanos }
        }
        sendsScheduled += 1
        // Sent at once (what `.clientSend` does), so the transaction is in flight before the run may stop.
        try recorder.sent(transactionIDs[index], atNanos: nowNanos)
        unresolvedCount += 1
        submitToGateway(index, machine: gateway, atNanos: generatorPass(readyNanos: nowNanos) + clientDelayNanos())
    }

    /// A committed table of `contract` as a live validator of the region sees it: the given validator if it is up,
    /// else the live one with the highest committed height.
    func committedTable(region: Int, validator: Int, contract: String) -> [StateKey: [UInt8]]? {
        let count = topology.regions[region].validators
        let preferred = nodes[regionBase[region] + validator % count]
        if let node = preferred.validator { return node.app.committedState[contract] ?? [:] }
        let members = nodes[regionBase[region]..<(regionBase[region] + count)]
        let best = members.filter(\.isAlive).max { $0.committedHeight < $1.committedHeight }
        return best?.validator.map { $0.app.committedState[contract] ?? [:] }
    }

    /// One reporting period of the voltage workload: set-points from each device's gateway's committed state, the
    /// power flows (once per period, off the hot path), then the reports spread evenly over the period.
    func runVoltagePeriod(_ period: Int) throws {
        guard let driver = voltageDriver else { return }
        var tables: [Int: [StateKey: [UInt8]]?] = [:]
        func setpoint(_ deviceIndex: Int) -> Int64? {
            let device = driver.devices[deviceIndex]
            let validators = topology.regions[device.region].validators
            let gateway = regionBase[device.region] + device.gatewayValidator % validators
            if tables[gateway] == nil {
                tables[gateway] = committedTable(
                    region: device.region, validator: device.gatewayValidator,
                    contract: VoltageStabilityContract.contractName)
            }
            guard let table = tables[gateway] ?? nil else { return nil }
            return VoltageStabilityContract.setpointVAr(of: device.key.publicKey) { table[StateKey($0)] }
        }
        let reports = try SimulationError.setup { () throws(WorkloadError) in
            try driver.period(
                atSeconds: Double(nowNanos) / 1e9, inMeasuredWindow: nowNanos >= window.measuredStartNanos,
                setpoint: setpoint)
        }
        let periodNanos = UInt64(driver.settings.reportingPeriodSeconds * 1e9)
        for (position, report) in reports.enumerated() {
            submit(
                driver.reportSubmission(report),
                atNanos: nowNanos + periodNanos * UInt64(position) / UInt64(max(1, reports.count)))
        }
    }

    func agentSawCommit(_ purpose: WorkloadPurpose) {
        switch purpose {
        case .voltageDispatch:
            voltageDriver?.dispatchesCommitted += 1
        case .auctionClose(let region, let interval):
            // Clearing right after the deadline: the close is on chain, so no bid can still enter the interval.
            guard let driver = auctionDriver else { return }
            submit(
                driver.operatorSubmission(region: region, interval: interval, method: .clear, purpose: .auctionClear),
                atNanos: nowNanos)
        case .auctionClear:
            break
        }
    }

    func workloadOutcome() throws -> RunResult.WorkloadOutcome? {
        var tables: [Int: [String: [StateKey: [UInt8]]]] = [:]
        do {
            return try ContractWorkloadPlan.outcome(
                voltage: voltageDriver, auction: auctionDriver, auctionIntervals: auctionIntervals,
                regionNames: topology.regions.map(\.name)
            ) { region, contract, key in
                if tables[region]?[contract] == nil {
                    tables[region, default: [:]][contract] =
                        committedTable(region: region, validator: 0, contract: contract) ?? [:]
                }
                return tables[region]?[contract]?[StateKey(key)]
            }
        } catch let error as WorkloadStateError {
            throw SimulationError.store(node: "region \(error.region)", reason: error.reason)
        }
    }

    func resolve(_ index: Int) throws {
        resolved[index] = true
        unresolvedCount -= 1
        if closedLoop {
            try schedule.complete()
            if nowNanos < window.runEndNanos { try releaseClosedLoop() }
        }
    }

    // MARK: - Running

    /// Runs the whole schedule and returns the figures. Throws on an invariant violation, naming seed and event.
    public func run(progress: ((SimulationProgress) -> Void)? = nil) throws -> SimulationReport {
        if topology.workload.kind == .transfer {
            if closedLoop { try releaseClosedLoop() } else { try presignOpenLoop() }
        } else {
            scheduleContractWorkloads()
        }
        for (index, fault) in topology.faults.enumerated() {
            queue.push(.fault(index), atNanos: UInt64(fault.atSeconds * 1e9))
        }
        queue.push(.tick, atNanos: Self.tickNanos)
        scheduleBackgroundWork()
        let timeoutNanos = UInt64(topology.workload.timeoutSeconds * 1e9)
        let drainEndNanos = window.runEndNanos + timeoutNanos
        while let (time, event) = queue.pop() {
            if time > drainEndNanos { break }
            nowNanos = time
            eventsProcessed += 1
            do {
                try dispatch(event, timeoutNanos: timeoutNanos, progress: progress)
            } catch let error as SimulationError {
                throw error
            } catch {
                throw SimulationError.setup("while handling \(event.name) at \(time) ns: \(error)")
            }
            // Past the window with nothing in flight, the rest of the drain period would only be idle rounds.
            if nowNanos >= window.runEndNanos, unresolvedCount == 0, pendingSubmissions.isEmpty,
                agentEventsQueued == 0
            {
                break
            }
        }
        nowNanos = max(nowNanos, window.runEndNanos)
        for id in recorder.expire(atNanos: UInt64.max, timeoutNanos: 0) { _ = id }
        _ = recorder.finish()
        try recorder.verifyAccounting()
        let report = try makeReport()
        for node in nodes { node.closeHost() }
        return report
    }

    func dispatch(
        _ event: Event, timeoutNanos: UInt64, progress: ((SimulationProgress) -> Void)?
    ) throws {
        switch event {
        case .input(let index, let input, let urgent):
            if case .client(let transaction) = input, !nodes[index].isAlive {
                queue.push(.clientRedirect(transaction), atNanos: nowNanos + clientDelayNanos())
                return
            }
            try enqueue(index, input, urgent: urgent)
        case .clientRedirect(let index):
            guard !resolved[index] else { return }
            let node = nodes[transactionGateway[index]]
            let validators = topology.regions[node.regionIndex].validators
            if transactionAttempts.count <= index {
                transactionAttempts += Array(repeating: 0, count: index + 1 - transactionAttempts.count)
            }
            transactionAttempts[index] += 1
            guard Int(transactionAttempts[index]) < validators else {
                try recorder.rejected(transactionIDs[index], reason: "no gateway reachable", atNanos: nowNanos)
                try resolve(index)
                return
            }
            let next = regionBase[node.regionIndex] + (node.validatorIndex + 1) % validators
            transactionGateway[index] = next
            submitToGateway(index, machine: next, atNanos: nowNanos + clientDelayNanos())
        case .timer(let index, let incarnation, let timer):
            guard nodes[index].incarnation == incarnation, nodes[index].isAlive else { return }
            try enqueue(index, .node(.timer(timer)), urgent: true)
        case .release(let index, let incarnation):
            try release(index, incarnation: incarnation)
        case .clientSend(let index):
            try recorder.sent(transactionIDs[index], atNanos: nowNanos)
            unresolvedCount += 1
            // Client links are reliable (TCP) and not bandwidth-limited: the load generator stands for many
            // devices on their own connections, so only latency and jitter apply.
            submitToGateway(
                index, machine: transactionGateway[index],
                atNanos: generatorPass(readyNanos: nowNanos) + clientDelayNanos())
        case .clientReply(let index, let reply):
            guard !resolved[index] else { return }
            if modelsEventLoops {
                queue.push(.clientReplyRead(index, reply), atNanos: generatorPass(readyNanos: nowNanos))
            } else {
                try replyRead(index, reply, timeoutNanos: timeoutNanos)
            }
        case .clientReplyRead(let index, let reply):
            try replyRead(index, reply, timeoutNanos: timeoutNanos)
        case .fault(let index):
            try applyFault(topology.faults[index])
        case .transferDue, .voltagePeriod, .voltageDispatch, .auctionOpen, .auctionClose:
            agentEventsQueued -= 1
            try dispatchAgentEvent(event)
        case .eventLoop(let index, let task):
            try runEventLoop(index, task)
        case .background(let index):
            runBackgroundWork(index)
        case .workloadSend(let id):
            guard let submission = pendingSubmissions.removeValue(forKey: id) else { return }
            try sendSubmission(submission)
        case .tick:
            try expire(timeoutNanos: timeoutNanos)
            if nowNanos >= nextProgressNanos {
                nextProgressNanos += options.progressIntervalNanos
                let committed = recorder.totalCounts.committed
                progress?(
                    SimulationProgress(
                        virtualNanos: nowNanos, runNanos: window.runEndNanos, committed: committed,
                        offered: recorder.totalCounts.offered,
                        committedTpsLastInterval: Double(committed - lastProgressCommitted)
                            / (Double(options.progressIntervalNanos) / 1e9)))
                lastProgressCommitted = committed
            }
            queue.push(.tick, atNanos: nowNanos + Self.tickNanos)
        }
    }

    /// A reply reaches the client: its outcome is recorded now.
    func replyRead(_ index: Int, _ reply: ClientReply, timeoutNanos: UInt64) throws {
        guard !resolved[index] else { return }
        let id = transactionIDs[index]
        if nowNanos > transactionScheduledNanos[index] + timeoutNanos {
            try recorder.timedOut(id, atNanos: nowNanos)
        } else {
            if !workloadPurposes.isEmpty, let purpose = workloadPurposes.removeValue(forKey: index),
                case .committed = reply
            {
                agentSawCommit(purpose)
            }
            switch reply {
            case .committed(let height):
                try recorder.committed(id, atNanos: nowNanos)
                try noteLocalCommit(
                    region: nodes[transactionGateway[index]].regionIndex, height: height,
                    scheduledNanos: transactionScheduledNanos[index])
            case .busy: try recorder.dropped(id, atNanos: nowNanos)
            case .rejected(let reason): try recorder.rejected(id, reason: reason, atNanos: nowNanos)
            case .failed(_, let reason):
                try recorder.rejected(id, reason: "execution: \(reason)", atNanos: nowNanos)
            case .finalized:
                // Simulated gateways are not asked for finality notices: the simulator measures global finality
                // itself (`regionFinalityAdvanced`), so this cannot resolve a transaction.
                return
            }
        }
        try resolve(index)
    }

    func expire(timeoutNanos: UInt64) throws {
        guard nowNanos > timeoutNanos else { return }
        for id in recorder.expire(atNanos: nowNanos, timeoutNanos: timeoutNanos) {
            // Recorder ids are handed out in schedule order, one per transaction index.
            guard let index = transactionIDs.firstIndexSorted(of: id), !resolved[index] else { continue }
            try resolve(index)
        }
    }

    // MARK: - Machines

    func enqueue(_ index: Int, _ input: MachineInput, urgent: Bool) throws {
        let node = nodes[index]
        guard node.isAlive else { return }
        if node.busyUntilNanos <= nowNanos, node.inboxCount == 0 {
            try process(node, input)
            return
        }
        if !node.queue(input, urgent: urgent, atNanos: nowNanos) {
            if case .client(let transaction) = input {
                scheduleReply(transaction, .busy, fromNanos: nowNanos)
            } else {
                node.metrics.losses["inbox-full", default: 0] += 1
            }
        }
        scheduleRelease(node)
    }

    /// Makes sure queued work is picked up when the consensus thread frees: one pending release per machine, and
    /// none while the inbox is empty (most inputs find the thread free, and a release per input would double the
    /// events a large topology simulates).
    func scheduleRelease(_ node: SimulatedMachine) {
        guard node.inboxCount > 0 else { return }
        let at = max(nowNanos, node.busyUntilNanos)
        if let pending = node.releaseAtNanos, pending >= nowNanos, pending <= at { return }
        node.releaseAtNanos = at
        queue.push(.release(machine: node.networkIndex, incarnation: node.incarnation), atNanos: at)
    }

    func release(_ index: Int, incarnation: Int) throws {
        let node = nodes[index]
        guard node.incarnation == incarnation, node.isAlive else { return }
        if let pending = node.releaseAtNanos, pending <= nowNanos { node.releaseAtNanos = nil }
        guard node.busyUntilNanos <= nowNanos, let input = node.popInput() else {
            scheduleRelease(node)
            return
        }
        try process(node, input)
    }

    /// How long an event keeps the consensus thread: its serial work, plus its signature batch spread over all
    /// cores (the thread waits for the batch), plus its store writes and, on a durable machine, one fsync wait per
    /// write transaction (the node layer gathers an event's writes into one). Measured mode times the thread
    /// instead (batches included, since it verifies them on the calling thread).
    func eventCost(
        _ output: NodeOutput, on node: SimulatedMachine, cpuStartNanos: UInt64?
    ) -> (mainNanos: UInt64, mainCPUNanos: UInt64, storeNanos: UInt64, storeCPUNanos: UInt64) {
        let syncNanos = node.durable ? UInt64(options.profile.storeSyncNanos.rounded()) : 0
        let syncWaitNanos = UInt64(output.durableWrites) * syncNanos
        if let cpuStartNanos {
            let total = ThreadCPUClock.nowNanos() &- cpuStartNanos
            let storeNanos = min(output.storeCPUNanos, total)
            let main = max(1, total - storeNanos)
            return (main, main, storeNanos + syncWaitNanos, storeNanos)
        }
        var serial = output.work
        serial.batchedSignatureVerifications = 0
        let serialNanos = max(1, options.profile.costNanos(of: serial))
        let batchNanos = UInt64(
            (Double(output.work.batchedSignatureVerifications) * options.profile.signatureVerifyNanos).rounded())
        let storeCPU = options.profile.storeCostNanos(
            commits: output.storeWork.storeCommits, bytes: output.storeWork.storeCommitBytes)
        if !hostCoreFreeNanos.isEmpty {
            // One core at full speed for the whole event: the host's other cores serve the other machines.
            return (serialNanos + batchNanos, serialNanos + batchNanos, storeCPU + syncWaitNanos, storeCPU)
        }
        if let cores = options.coresPerNode {
            // A thread gets at most one core, and only `cores` when the node has less than one.
            let threadShare = min(1, cores)
            return (
                UInt64((Double(serialNanos) / threadShare + Double(batchNanos) / cores).rounded()),
                serialNanos + batchNanos, UInt64((Double(storeCPU) / threadShare).rounded()) + syncWaitNanos,
                storeCPU
            )
        }
        return (
            serialNanos + batchNanos / UInt64(node.cores), serialNanos + batchNanos, storeCPU + syncWaitNanos,
            storeCPU
        )
    }

    func scheduleReply(_ transaction: Int, _ reply: ClientReply, fromNanos: UInt64) {
        queue.push(.clientReply(transaction, reply), atNanos: fromNanos + clientDelayNanos())
    }

    func clientDelayNanos() -> UInt64 {
        let jitter = clientLink.jitterNanos > 0 ? UInt64.random(in: 0...clientLink.jitterNanos, using: &random) : 0
        return clientLink.latencyNanos + jitter
    }

    /// Runs one input through the node layer at the current time and schedules what it produced for when the
    /// consensus thread is done: messages when the compute is done, replies and announcements of the write after
    /// the store write.
    func process(_ node: SimulatedMachine, _ input: MachineInput) throws {
        guard let host = node.host else { return }
        let measured = options.cpuMode == .measured
        let cpuStart = measured ? ThreadCPUClock.nowNanos() : 0
        let nodeInput: NodeInput
        switch input {
        case .node(let inner): nodeInput = inner
        case .client(let transaction): nodeInput = .client(UInt64(transaction), transactionBytes[transaction])
        }
        let output: NodeOutput
        do { output = try host.handle(nodeInput) } catch {
            throw SimulationError.store(node: node.label, reason: "\(error)")
        }
        let cost = eventCost(output, on: node, cpuStartNanos: measured ? cpuStart : nil)
        // On a shared host the event starts when a core frees (the node was already busy until now): the first to
        // free, which serves waiting machines in the order their events arrived.
        let startNanos = reserveHostCore(readyNanos: nowNanos, cpuNanos: cost.mainNanos + cost.storeCPUNanos)
        node.metrics.coreWaitNanosInWindow += overlap(nowNanos, startNanos)
        // The node layer writes inside `handle`, so, as on a live node, nothing leaves before the writes are done.
        let endNanos = startNanos + cost.mainNanos + cost.storeNanos
        node.busyUntilNanos = endNanos
        let cpuNanos = cost.mainCPUNanos + cost.storeCPUNanos
        node.metrics.busyNanosTotal += cpuNanos
        node.metrics.eventsProcessed += 1
        // CPU inside the window, spread evenly over the event's span.
        let span = max(1, endNanos - startNanos)
        node.metrics.busyNanosInWindow += UInt64(
            Double(cpuNanos) * Double(overlap(startNanos, endNanos)) / Double(span))
        node.intervalSeries.addBusy(cpuNanos: cpuNanos, startNanos: startNanos, endNanos: endNanos)
        scheduleRelease(node)
        try observe(output.observations, at: node)
        for (timer, after) in output.timers {
            queue.push(
                .timer(machine: node.networkIndex, incarnation: node.incarnation, timer), atNanos: endNanos + after)
        }
        if modelsEventLoops, !output.replies.isEmpty {
            // One write of all the event's replies, as a live gateway batches them per connection.
            queue.push(
                .eventLoop(machine: node.networkIndex, .writeReplies(output.replies.map { (Int($0.0), $0.1) })),
                atNanos: endNanos)
        } else {
            for (id, reply) in output.replies { scheduleReply(Int(id), reply, fromNanos: endNanos) }
        }
        for outgoing in output.sends { send(outgoing, from: node, atNanos: endNanos) }
        for outgoing in output.sendsAfterWrite { send(outgoing, from: node, atNanos: endNanos) }
    }

    /// Busy time that falls inside the measured window.
    func overlap(_ start: UInt64, _ end: UInt64) -> UInt64 {
        let from = max(start, window.measuredStartNanos)
        let to = min(end, window.measuredEndNanos)
        return to > from ? to - from : 0
    }

    func machineIndex(_ address: NodeAddress) -> Int? {
        switch address {
        case .validator(let region, let index):
            guard region < regionBase.count, index < topology.regions[region].validators else { return nil }
            return regionBase[region] + index
        case .member(let index):
            guard index < nodes.count - memberBase else { return nil }
            return memberBase + index
        }
    }

    /// Puts a frame on the link to its destination; a `byzantineRegion` fault rewrites what the region's validators
    /// tell the committee.
    func send(_ outgoing: Outgoing, from node: SimulatedMachine, atNanos departure: UInt64) {
        guard let target = machineIndex(outgoing.to) else {
            node.metrics.losses["no-such-peer", default: 0] += 1
            return
        }
        var frame = outgoing.frame
        if case .member = outgoing.to, case .validator(let region, _) = node.address,
            let fault = byzantineRegions[region], nowNanos < fault.untilNanos
        {
            frame = tamperFrame(frame, fault.behavior, region: region)
        }
        node.metrics.bytesSent += UInt64(frame.count)
        node.metrics.framesSent += 1
        if modelsEventLoops {
            queue.push(
                .eventLoop(
                    machine: node.networkIndex,
                    .write(to: target, frame, urgent: outgoing.urgent, incarnation: node.incarnation)),
                atNanos: departure)
            return
        }
        transmit(frame, from: node, to: target, urgent: outgoing.urgent, departureNanos: departure)
    }

    /// The frame on the link: lost, or delivered to the destination (through its event loop, when modelled).
    func transmit(
        _ frame: [UInt8], from node: SimulatedMachine, to target: Int, urgent: Bool, departureNanos departure: UInt64
    ) {
        let destination = nodes[target]
        guard
            let arrival = network.arrival(
                from: node.networkIndex, to: target, bytes: frame.count, departureNanos: departure,
                link: link(from: node.location, to: destination.location), random: &random),
            let heldNanos = voteAdversaryHold(frame, from: node, departureNanos: departure)
        else {
            node.metrics.framesLost += 1
            return
        }
        if modelsEventLoops {
            queue.push(
                .eventLoop(machine: target, .read(from: node.address, frame, urgent: urgent)),
                atNanos: arrival + heldNanos)
        } else {
            queue.push(
                .input(machine: target, .node(.frame(from: node.address, frame)), urgent: urgent),
                atNanos: arrival + heldNanos)
        }
    }

    /// What the simulator counts and checks of what a node did: invariants first, so a violation names the event.
    func observe(_ observations: [NodeObservation], at node: SimulatedMachine) throws {
        for observation in observations {
            switch observation {
            case .committed(let block, let output):
                try noteRegionCommit(node, block: block, output: output)
            case .finalized(let height):
                try regionFinalityAdvanced(node.regionIndex, to: height)
            case .checkpointCommitted(let block, let certificate, let output):
                try noteCheckpointCommit(node, block: block, certificate: certificate, output: output)
            case .rejected(let from, let rejection):
                node.metrics.rejections[rejection.code, default: 0] += 1
                traceLine(node, "rejected from \(from.map(String.init(describing:)) ?? "?"): \(rejection)")
            case .entryRejected(let rejection):
                node.metrics.rejections[rejection.code, default: 0] += 1
                globalStats.entryRejections[rejection.code, default: 0] += 1
                traceLine(node, "entry rejected: \(rejection)")
            case .lost(let loss):
                node.metrics.losses[loss.description, default: 0] += 1
                if case .deliveryTooLarge = loss { globalStats.relayFailures["delivery-too-large", default: 0] += 1 }
            case .entriesSent(let count):
                globalStats.entriesSent += count
            case .relaySent:
                globalStats.relaysSent += 1
            case .checkpointRequested:
                globalStats.noticeRequests += 1
            case .roundChanged(let from, let to, let viaTimeout):
                if viaTimeout { node.metrics.viewChanges += 1 }
                traceLine(node, "round \(from) -> \(to)\(viaTimeout ? " (timeout certificate)" : "")")
            }
        }
    }

    /// Checks the region's safety invariants on every commit and counts what the commit wrote.
    func noteRegionCommit(
        _ node: SimulatedMachine, block: ProposedBlock<RegionPayload>, output: RegionCommitOutput
    ) throws {
        let height = block.height
        let region = node.regionIndex
        traceLine(node, "commit height \(height) round \(block.round) txs \(block.payload.transactions.count)")
        let firstInRegion = committedByHeight[region][height] == nil
        if let existing = committedByHeight[region][height], existing != block.hash {
            throw SimulationError.invariantViolated(
                seed: topology.seed, timeNanos: nowNanos, event: "commit at \(node.label)",
                invariant:
                    "two different blocks committed at height \(height) in region "
                    + "\(topology.regions[region].name): \(existing) and \(block.hash)")
        }
        committedByHeight[region][height] = block.hash
        if firstInRegion { firstCommitNanos[region][height] = nowNanos }
        guard height == node.committedHeight + 1 else {
            throw SimulationError.invariantViolated(
                seed: topology.seed, timeNanos: nowNanos, event: "commit at \(node.label)",
                invariant: "committed height \(height) after \(node.committedHeight): heights must be contiguous")
        }
        node.committedHeight = height
        try afterRegionCommit(node, block: block, output: output, firstInRegion: firstInRegion)
    }

    // MARK: - Faults

    /// A validator or committee member a fault names. `REGION/leader` is whom the replicas elect at this moment:
    /// the leader that the live node in the highest round expects for that round, leader reputation included.
    func resolveNode(_ reference: NodeReference, forRestart: Bool) throws -> SimulatedMachine {
        let key = reference.region
        let members: [SimulatedMachine]
        if reference.isGlobal {
            guard globalSetup != nil, nodes.count > memberBase else {
                throw SimulationError.setup("fault names \(reference) but the topology has no global layer")
            }
            members = Array(nodes[memberBase...])
        } else {
            guard let regionIndex = topology.regions.firstIndex(where: { $0.name == reference.region }) else {
                throw SimulationError.setup("fault names unknown region \(reference.region)")
            }
            members = Array(
                nodes[regionBase[regionIndex]..<(regionBase[regionIndex] + topology.regions[regionIndex].validators)])
        }
        switch reference.validator {
        case .index(let index):
            guard index < members.count else { throw SimulationError.setup("fault names unknown node \(reference)") }
            return members[index]
        case .leader where forRestart:
            guard let victim = leaderCrashVictims[key]?.popLast() else {
                throw SimulationError.setup("restart of \(reference) without an earlier crash of \(reference)")
            }
            return nodes[victim]
        case .leader:
            // Each live replica knows whom it waits on (its round's leader until the proposal is out, then the next
            // leader, who collects the votes). The replica furthest ahead knows best: messages it sent may still be
            // in flight to the others. The fault hits the validator it waits on.
            let live = members.filter(\.isAlive)
            guard
                let ahead = live.max(by: {
                    let left = $0.host?.roundPosition ?? (round: 0, progress: 0)
                    let right = $1.host?.roundPosition ?? (round: 0, progress: 0)
                    return (left.round, left.progress, $1.networkIndex) < (right.round, right.progress, $0.networkIndex)
                }), let host = ahead.host
            else { throw SimulationError.setup("fault names \(reference) but no node of it is running") }
            let round = host.currentRound
            let leader = host.awaitedLeader
            let count = live.filter { $0.host?.awaitedLeader == leader }.count
            let victim = members[leader]
            leaderCrashVictims[key, default: []].append(victim.networkIndex)
            traceLine(victim, "resolved as \(reference) in round \(round) (awaited by \(count) of \(live.count))")
            faultLog.append(
                FaultRecord(
                    atNanos: nowNanos, fault: "\(reference)", node: victim.label, round: round, awaitedBy: count,
                    liveNodes: live.count))
            return victim
        }
    }

    func applyFault(_ fault: Topology.Fault) throws {
        let atSeconds = Double(nowNanos) / 1e9
        func mark(_ target: String) {
            faultMarks.append(FaultMark(atSeconds: atSeconds, kind: fault.kind.name.rawValue, target: target))
        }
        switch fault.kind {
        case .byzantineRegion(let region, let behavior, let durationSeconds):
            mark(region)
            guard let regionIndex = topology.regions.firstIndex(where: { $0.name == region }) else {
                throw SimulationError.setup("fault names unknown region \(region)")
            }
            byzantineRegions[regionIndex] = (behavior, nowNanos + UInt64(durationSeconds * 1e9))
        case .crash(let reference):
            let node = try resolveNode(reference, forRestart: false)
            mark(node.label)
            guard node.isAlive else { return }
            node.closeHost()
            node.dropQueuedWork()
            node.crashedAtNanos = nowNanos
            traceLine(node, "CRASH")
        case .restart(let reference):
            let node = try resolveNode(reference, forRestart: true)
            mark(node.label)
            guard !node.isAlive else { return }
            node.incarnation += 1
            traceLine(node, "RESTART")
            try startNode(node, fresh: false)
        case .partition(let durationSeconds, let groups):
            var assignment = Array(repeating: groups.count, count: nodes.count)
            var groupLabels: [String] = []
            for (group, references) in groups.enumerated() {
                var labels: [String] = []
                for reference in references {
                    let node = try resolveNode(reference, forRestart: false)
                    assignment[node.networkIndex] = group
                    labels.append(node.label)
                }
                groupLabels.append(labels.joined(separator: ","))
            }
            mark(groupLabels.joined(separator: " | "))
            network.partitionGroups = assignment
            network.partitionEndsAtNanos = nowNanos + UInt64(durationSeconds * 1e9)
        case .loss(let durationSeconds, let rate, let references):
            network.extraLossRate = rate
            network.lossNodes = try references.map {
                Set(try $0.map { try resolveNode($0, forRestart: false).networkIndex })
            }
            network.lossEndsAtNanos = nowNanos + UInt64(durationSeconds * 1e9)
            let lossNodes = network.lossNodes.map { $0.sorted().map { nodes[$0].label }.joined(separator: ",") }
            mark(lossNodes ?? "all links")
        }
    }

    // MARK: - Report

    /// The share of cores the cost model gave each node, when the options set one (model mode: measured mode times
    /// the real thread, whatever the share).
    var modelledCoresPerNode: Double? { options.cpuMode == .model ? options.coresPerNode : nil }

    func makeReport() throws -> SimulationReport {
        let reports = nodes.map { node in
            node.report(
                region: node.networkIndex >= memberBase ? "global" : topology.regions[node.regionIndex].name,
                measuredNanos: window.measuredNanos, coresPerNode: modelledCoresPerNode,
                sharedHost: !hostCoreFreeNanos.isEmpty)
        }
        var heights: [String: UInt64] = [:]
        for (index, region) in topology.regions.enumerated() {
            heights[region.name] = committedByHeight[index].keys.max() ?? 0
        }
        var commitTimes: [String: [UInt64: UInt64]] = [:]
        for (index, region) in topology.regions.enumerated() { commitTimes[region.name] = firstCommitNanos[index] }
        let intervalNanos = recorder.timeSeries.intervalNanos
        let intervalCount = Int(
            min(UInt64(recorder.timeSeries.intervalsMax), (nowNanos + intervalNanos - 1) / intervalNanos))
        let nodeSeries = zip(nodes, reports).map { node, report in
            node.intervalSeries.series(id: node.label, region: report.region, cores: 1, intervalCount: intervalCount)
        }
        let timeSeries = TimeSeries(
            recorder: recorder, runNanos: nowNanos, withGlobal: globalSetup != nil, nodes: nodeSeries,
            faults: faultMarks)
        return SimulationReport(
            recorder: recorder, nodes: reports, virtualNanos: nowNanos, eventsProcessed: eventsProcessed,
            realSignatureVerifications: cache?.realVerifications ?? -1, committedHeights: heights,
            workload: try workloadOutcome(), global: globalOutcome(), leaderFaults: faultLog,
            firstCommitNanos: commitTimes, timeSeries: timeSeries)
    }
}

extension Array where Element == LoadTransactionID {
    /// Binary search in an ascending array of ids.
    func firstIndexSorted(of id: LoadTransactionID) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < count && self[low] == id ? low : nil
    }
}

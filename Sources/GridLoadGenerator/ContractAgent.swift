import GridContracts
import GridLedger
import GridLoad
import GridTopology
import GridWorkloads

/// Reads committed contract state through a gateway of a region.
protocol CommittedStateReader: AnyObject {
    /// Asks a connected validator of `region` (validator `validator` first, then the next ones) for `keys` of
    /// `contract`. `done` gets one value per key, or nil when no answer came: no gateway up, a refusal, the
    /// connection dropped or the read timed out.
    func read(
        region: Int, validator: Int, contract: String, keys: [[UInt8]], done: @escaping ([[UInt8]?]?) -> Void)
}

/// The off-chain agents of the grid contract workloads in a live run, as the simulator runs them
/// (`Simulation.scheduleContractWorkloads`, `dispatchAgentEvent`, `runVoltagePeriod`, `agentSawCommit`): voltage
/// devices report every period with the set-point their gateway has committed (read over the wire), operators
/// dispatch every control interval; households bid when an auction interval opens, the operator closes it at the
/// deadline and clears it once the close has committed. Everything the agents send goes through the load runner
/// like any transaction, and lands in the same buckets.
///
/// Differences from the simulator, all from running on a clock: a period's set-points are read when the period
/// starts and arrive a round trip later (the reports keep their scheduled times); a read that gets no answer
/// leaves the devices of that gateway on their last set-point, as a simulated gateway that is down does.
/// Confined to the runner's event loop.
final class ContractAgent: @unchecked Sendable {
    /// A voltage period whose set-point reads are out.
    private final class PeriodReads {
        let period: Int
        let startNanos: UInt64
        var outstanding = 0
        var setpoints: [Int: Int64] = [:]

        init(period: Int, startNanos: UInt64) {
            self.period = period
            self.startNanos = startNanos
        }
    }

    let voltage: VoltageWorkloadDriver?
    let auction: AuctionWorkloadDriver?
    let window: LoadWindow
    let regionNames: [String]
    let validatorsPerRegion: [Int]
    let auctionIntervals: UInt64
    /// Keys per read request: a gateway's devices are split into reads of at most this many.
    let readKeysMax: Int
    private let agenda: [(atNanos: UInt64, event: AgentEvent)]
    private var agendaCursor = 0
    /// Submissions not yet due, the next one last (ties: the one made first last), so taking it is O(1). Bounded by
    /// the populations the topology bounds: one period's reports, one interval's bids.
    private var due: [(dueNanos: UInt64, submission: WorkloadSubmission)] = []
    /// Periods waiting for their reads, oldest first: a period's reports are built only after every earlier
    /// period's, since each moves the devices' state on.
    private var periods: [PeriodReads] = []
    /// The first error of a driver (a power flow that failed); the run stops with it.
    private(set) var failure: String?
    /// Reads sent and reads that got no answer, for the report.
    private(set) var readsSent: UInt64 = 0
    private(set) var readsUnanswered: UInt64 = 0

    init(topology: Topology, chainID: ChainID, window: LoadWindow, readKeysMax: Int) throws(WorkloadError) {
        let workload = topology.workload
        voltage = workload.runsVoltage ? try VoltageWorkloadDriver(topology: topology, chainID: chainID) : nil
        auction = workload.runsAuction ? try AuctionWorkloadDriver(topology: topology, chainID: chainID) : nil
        self.window = window
        self.readKeysMax = max(1, readKeysMax)
        regionNames = topology.regions.map(\.name)
        validatorsPerRegion = topology.regions.map(\.validators)
        auctionIntervals =
            auction.map { ContractWorkloadPlan.auctionIntervals($0, runEndNanos: window.runEndNanos) } ?? 0
        agenda = ContractWorkloadPlan.agenda(voltage: voltage, auction: auction, runEndNanos: window.runEndNanos)
    }

    /// When something is next due, on the runner's clock; nil when nothing more will be.
    var nextWakeNanos: UInt64? {
        let event = agendaCursor < agenda.count ? agenda[agendaCursor].atNanos : nil
        let submission = due.last?.dueNanos
        switch (event, submission) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    /// Whether the agents may still send something: events ahead, submissions or reads pending.
    var isIdle: Bool { agendaCursor == agenda.count && due.isEmpty && periods.isEmpty }

    /// Runs the events due by `now` and returns the submissions due by then, each with its due time, in due order.
    /// As in the simulator, the last auction deadline may fall on the end of the run, and what the agents send
    /// after it (the last clear, reports of the last period) is offered in the cool-down.
    func release(now: UInt64, reader: any CommittedStateReader) -> [(dueNanos: UInt64, submission: WorkloadSubmission)]
    {
        guard failure == nil else { return [] }
        while agendaCursor < agenda.count, agenda[agendaCursor].atNanos <= now {
            let (atNanos, event) = agenda[agendaCursor]
            agendaCursor += 1
            run(event, atNanos: atNanos, reader: reader)
        }
        var released: [(dueNanos: UInt64, submission: WorkloadSubmission)] = []
        while let next = due.last, next.dueNanos <= now {
            released.append(due.removeLast())
        }
        return released
    }

    /// A transaction with a purpose committed: the agent that sent it reacts.
    func committed(_ purpose: WorkloadPurpose, now: UInt64) {
        switch purpose {
        case .voltageDispatch:
            voltage?.dispatchesCommitted += 1
        case .auctionClose(let region, let interval):
            // Clearing right after the deadline: the close is on chain, so no bid can still enter the interval.
            guard let auction else { return }
            schedule(
                auction.operatorSubmission(region: region, interval: interval, method: .clear, purpose: .auctionClear),
                atNanos: now)
        case .auctionClear:
            break
        }
    }

    private func run(_ event: AgentEvent, atNanos: UInt64, reader: any CommittedStateReader) {
        switch event {
        case .voltagePeriod(let period):
            startPeriod(period, atNanos: atNanos, reader: reader)
        case .voltageDispatch(let interval):
            guard let voltage else { return }
            // Zones' operators only: the registry's region has none.
            for region in voltage.configurations.indices {
                schedule(voltage.dispatchSubmission(region: region, interval: UInt64(interval)), atNanos: atNanos)
            }
        case .auctionOpen(let interval):
            guard let auction else { return }
            let bids = auction.bids(interval: UInt64(interval), atSeconds: Double(atNanos) / 1e9)
            // Bids spread over the first half of the interval, well before the deadline at its end.
            let spreadNanos = UInt64(auction.settings.intervalSeconds * 0.5e9)
            for (position, bid) in bids.enumerated() {
                schedule(bid, atNanos: atNanos + spreadNanos * UInt64(position) / UInt64(max(1, bids.count)))
            }
        case .auctionClose(let interval):
            guard let auction else { return }
            for region in regionNames.indices {
                let purpose = WorkloadPurpose.auctionClose(region: region, interval: UInt64(interval))
                schedule(
                    auction.operatorSubmission(
                        region: region, interval: UInt64(interval), method: .close, purpose: purpose),
                    atNanos: atNanos)
            }
        }
    }

    /// Reads every device's set-point from its own gateway, grouped by gateway.
    private func startPeriod(_ period: Int, atNanos: UInt64, reader: any CommittedStateReader) {
        guard let voltage else { return }
        let reads = PeriodReads(period: period, startNanos: atNanos)
        periods.append(reads)
        // Held until every read is out: a read answered at once must not finish the period early.
        reads.outstanding = 1
        var byGateway: [[Int]: [Int]] = [:]
        for (index, device) in voltage.devices.enumerated() {
            let gateway = device.gatewayValidator % validatorsPerRegion[device.region]
            byGateway[[device.region, gateway], default: []].append(index)
        }
        for (gateway, devices) in byGateway.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var start = 0
            while start < devices.count {
                let chunk = Array(devices[start..<min(devices.count, start + readKeysMax)])
                start += chunk.count
                reads.outstanding += 1
                readsSent += 1
                let keys = chunk.map { VoltageStabilityContract.setpointKey(of: voltage.devices[$0].key.publicKey) }
                reader.read(
                    region: gateway[0], validator: gateway[1], contract: VoltageStabilityContract.contractName,
                    keys: keys
                ) { [weak self] values in
                    guard let self else { return }
                    if let values, values.count == chunk.count {
                        for (device, value) in zip(chunk, values) {
                            reads.setpoints[device] = VoltageStabilityContract.setpointVAr(
                                of: voltage.devices[device].key.publicKey
                            ) { _ in value }
                        }
                    } else {
                        self.readsUnanswered += 1
                    }
                    reads.outstanding -= 1
                    self.finishPeriods()
                }
            }
        }
        reads.outstanding -= 1
        finishPeriods()
    }

    /// Builds the reports of every leading period whose reads are all back.
    private func finishPeriods() {
        guard let voltage else { return }
        while let reads = periods.first, reads.outstanding == 0 {
            periods.removeFirst()
            guard failure == nil else { continue }
            do {
                let reports = try voltage.period(
                    atSeconds: Double(reads.startNanos) / 1e9,
                    inMeasuredWindow: reads.startNanos >= window.measuredStartNanos
                ) { reads.setpoints[$0] }
                let periodNanos = UInt64(voltage.settings.reportingPeriodSeconds * 1e9)
                for (position, report) in reports.enumerated() {
                    schedule(
                        voltage.reportSubmission(report),
                        atNanos: reads.startNanos + periodNanos * UInt64(position) / UInt64(max(1, reports.count)))
                }
            } catch {
                failure = "\(error)"
            }
        }
    }

    private func schedule(_ submission: WorkloadSubmission, atNanos dueNanos: UInt64) {
        // Before every entry due at the same time or earlier (the array runs from last due to next due): ties are
        // taken in the order they were made.
        var low = 0
        var high = due.count
        while low < high {
            let middle = (low + high) / 2
            if due[middle].dueNanos <= dueNanos { high = middle } else { low = middle + 1 }
        }
        due.insert((dueNanos, submission), at: low)
    }

    // MARK: - The outcome

    /// The workload section of the result from the regions' committed state, read over the wire: the outcome is
    /// computed against what has been read so far, every key it missed is read, and so on until it misses none
    /// (at most `roundsMax` rounds). `done` gets the outcome, or why there is none.
    func outcome(
        reader: any CommittedStateReader, roundsMax: Int = 8,
        done: @escaping (Result<RunResult.WorkloadOutcome?, WorkloadOutcomeError>) -> Void
    ) {
        var cache: [Int: [String: [[UInt8]: [UInt8]?]]] = [:]
        func attempt(round: Int) {
            var misses: [Int: [String: Set<[UInt8]>]] = [:]
            let result: RunResult.WorkloadOutcome?
            do {
                result = try ContractWorkloadPlan.outcome(
                    voltage: voltage, auction: auction, auctionIntervals: auctionIntervals, regionNames: regionNames
                ) { region, contract, key in
                    if let cached = cache[region]?[contract]?[key] { return cached }
                    misses[region, default: [:]][contract, default: []].insert(key)
                    return nil
                }
            } catch {
                // Missing values read as absent; a decoding error on read values is final.
                if misses.isEmpty { return done(.failure(WorkloadOutcomeError(reason: "\(error)"))) }
                result = nil
            }
            guard !misses.isEmpty else { return done(.success(result)) }
            guard round < roundsMax else {
                return done(
                    .failure(WorkloadOutcomeError(reason: "the outcome still needed state after \(roundsMax) reads")))
            }
            // Held until every read is out, as for a period's reads.
            var outstanding = 1
            var unanswered: String?
            func readDone() {
                outstanding -= 1
                guard outstanding == 0 else { return }
                if let unanswered { return done(.failure(WorkloadOutcomeError(reason: unanswered))) }
                attempt(round: round + 1)
            }
            for (region, contracts) in misses.sorted(by: { $0.key < $1.key }) {
                for (contract, keys) in contracts.sorted(by: { $0.key < $1.key }) {
                    let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
                    var start = 0
                    while start < sorted.count {
                        let chunk = Array(sorted[start..<min(sorted.count, start + readKeysMax)])
                        start += chunk.count
                        outstanding += 1
                        readsSent += 1
                        reader.read(region: region, validator: 0, contract: contract, keys: chunk) { values in
                            if let values, values.count == chunk.count {
                                for (key, value) in zip(chunk, values) {
                                    cache[region, default: [:]][contract, default: [:]][key] = .some(value)
                                }
                            } else {
                                self.readsUnanswered += 1
                                unanswered = unanswered ?? "no validator of region \(self.regionNames[region]) answered"
                            }
                            readDone()
                        }
                    }
                }
            }
            readDone()
        }
        attempt(round: 0)
    }
}

/// Why a live run has no workload outcome.
public struct WorkloadOutcomeError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

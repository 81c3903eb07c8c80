import Foundation
import GridConsensus
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

// The global layer in the simulator. Committee members and the region side of the global layer are the node
// layer's (`CommitteeMember`, `RegionValidator`); what stays here is the set-up from the topology, the links
// between locations, the Byzantine-region fault (it rewrites frames on the wire), and the figures and invariant
// checks the nodes' observations feed.

/// The committee's fixed set-up, derived from the topology (a class: hot paths read it often).
final class GlobalSetup {
    let settings: Topology.GlobalLayer
    let configuration: GlobalConfiguration
    let committee: ValidatorSet
    let genesis: ProposedBlock<CheckpointPayload>
    let timing: ConsensusTiming
    let resendIntervalNanos: UInt64
    /// The committee as checkpoint receivers know it from genesis: the keys that must sign every checkpoint.
    let committeeGenesis: RegionGenesis

    init(
        settings: Topology.GlobalLayer, configuration: GlobalConfiguration, committee: ValidatorSet,
        genesis: ProposedBlock<CheckpointPayload>, timing: ConsensusTiming, resendIntervalNanos: UInt64
    ) {
        self.settings = settings
        self.configuration = configuration
        self.committee = committee
        self.genesis = genesis
        self.timing = timing
        self.resendIntervalNanos = resendIntervalNanos
        committeeGenesis = RegionGenesis(
            region: GlobalConfiguration.globalRegion, validators: committee.keys, genesisHash: .zero)
    }
}

/// Run-wide figures of the global layer.
struct GlobalStats {
    var checkpointCommitNanos: [UInt64] = []
    var checkpointEntries: [Int] = []
    var checkpointBytes: [Int] = []
    var messagesCommitted = 0
    var messagesApplied = 0
    var undeliverable = 0
    var entryRejections: [String: UInt64] = [:]
    var relayFailures: [String: UInt64] = [:]
    var relaysSent = 0
    var noticeRequests = 0
    var globalFinalInWindow: [UInt64] = []
    var entriesSent = 0
    /// Cross-region messages the regions' chains emitted (outbox of committed blocks), in all and per region.
    var messagesSentByRegion: [UInt64] = []
    /// Messages each region's chain applied, by destination region.
    var messagesAppliedByRegion: [UInt64] = []
    /// Delivered messages whose call in the destination contract failed (they still count as applied).
    var callsFailed = 0
}

extension Simulation {
    // MARK: - Set-up

    func setUpGlobalLayer() throws {
        guard let settings = topology.global, let committee = deployment.committee else { return }
        globalSetup = GlobalSetup(
            settings: settings, configuration: committee.configuration, committee: committee.committee,
            genesis: committee.genesis, timing: committee.timing, resendIntervalNanos: committee.resendIntervalNanos)
        globalStats.globalFinalInWindow = Array(repeating: 0, count: topology.regions.count)
        globalStats.messagesSentByRegion = Array(repeating: 0, count: topology.regions.count)
        globalStats.messagesAppliedByRegion = Array(repeating: 0, count: topology.regions.count)
        regionFinalHeight = Array(repeating: 0, count: topology.regions.count)
        awaitingFinality = Array(repeating: [:], count: topology.regions.count)
        for node in deployment.nodes {
            guard case .member(let index) = node.address else { continue }
            nodes.append(
                SimulatedMachine(
                    label: node.name, address: node.address, networkIndex: nodes.count, location: node.location,
                    key: committeeKeys[index], cores: settings.machine.cores,
                    durable: settings.machine.durability == .sync, inboxCapacity: options.inboxEventsMax,
                    seriesIntervalNanos: options.timeSeriesIntervalNanos))
        }
    }

    func memberStoreURL(_ member: SimulatedMachine) -> URL {
        options.storeDirectory.appendingPathComponent("global-v\(member.validatorIndex)")
    }

    func memberConfiguration(_ member: SimulatedMachine) -> CommitteeMemberConfiguration? {
        deployment.memberConfiguration(index: member.validatorIndex, key: member.key)
    }

    // MARK: - Network

    /// The link between two locations (region indices): intra-region within one, the topology's pair link across.
    func link(from source: Int, to destination: Int) -> LinkModel {
        if source == destination { return intraLink }
        let key = source * topology.regions.count + destination
        if let known = locationLinks[key] { return known }
        let model = LinkModel(
            topology.network.link(between: topology.regions[source].name, and: topology.regions[destination].name))
        locationLinks[key] = model
        return model
    }

    // MARK: - Observations

    /// A member committed a checkpoint: the global invariants, and the run's checkpoint figures (once per height).
    func noteCheckpointCommit(
        _ member: SimulatedMachine, block: ProposedBlock<CheckpointPayload>, certificate: QuorumCertificate,
        output: CheckpointOutput
    ) throws {
        let violations = globalChecker.recordCommit(member: member.validatorIndex, output: output)
        if let violation = violations.first {
            throw SimulationError.invariantViolated(
                seed: topology.seed, timeNanos: nowNanos, event: "checkpoint commit at \(member.label)",
                invariant: violation.description)
        }
        member.committedHeight = block.height
        let payloadBytes = block.payload.wireBytes
        if Int(block.height) > globalStats.checkpointCommitNanos.count {
            globalStats.checkpointCommitNanos.append(nowNanos)
            globalStats.checkpointEntries.append(block.payload.entries.count)
            globalStats.checkpointBytes.append(payloadBytes)
            globalStats.undeliverable += output.undeliverableMessageCount
            for delivery in output.deliveries {
                globalStats.messagesCommitted += delivery.messages.count
            }
        }
        traceLine(member.label, "checkpoint \(block.height) entries \(block.payload.entries.count)")
    }

    /// After a region validator commits a block: where its outbox came from (for cross-region latency) and which
    /// cross-region messages it applied (exactly once, checked).
    func afterRegionCommit(
        _ node: SimulatedMachine, block: ProposedBlock<RegionPayload>, output: RegionCommitOutput, firstInRegion: Bool
    ) throws {
        guard globalSetup != nil else { return }
        let region = node.regionIndex
        if firstInRegion, !output.outbox.isEmpty {
            globalStats.messagesSentByRegion[region] += UInt64(output.outbox.count)
            // The operation that produced the messages: the earliest agent transaction in the block.
            var origin: UInt64?
            for pooled in block.payload.transactions {
                if let scheduled = agentTransactionNanos[pooled.hash] { origin = min(origin ?? scheduled, scheduled) }
            }
            if let origin { blockOrigins[region, default: [:]][block.height] = origin }
        }
        try noteAppliedMessages(node, block: block, output: output, firstInRegion: firstInRegion)
    }

    private func noteAppliedMessages(
        _ node: SimulatedMachine, block: ProposedBlock<RegionPayload>, output: RegionCommitOutput, firstInRegion: Bool
    ) throws {
        let receipts = output.commit.receipts
        for (position, pooled) in block.payload.transactions.enumerated()
        where pooled.transaction.contract == RegionApplication.inboundContractName && position < receipts.count {
            let receipt = receipts[position]
            guard receipt.status == .success else {
                if firstInRegion {
                    let code = receipt.reason.split(separator: " ").first.map(String.init) ?? receipt.reason
                    globalStats.relayFailures[String(code.prefix(40)), default: 0] += 1
                }
                continue
            }
            // A successful receipt means its arguments decoded on the chain: as a whole delivery or as one part.
            let arguments = pooled.transaction.arguments
            let carried: [CrossRegionMessage]?
            if pooled.transaction.method == InboundContract.deliverPartMethod {
                carried = (try? DeliveryPart(decoding: arguments))?.messages.map(\.message)
            } else {
                carried = (try? CheckpointDelivery(decoding: arguments))?.messages
            }
            // The chain accepted both, so a failure to read them back would hide applied messages from the
            // exactly-once checker: that is a broken invariant, not something to skip.
            guard let applied = InboundContract.decodeOutput(receipt.output), let carried else {
                throw SimulationError.invariantViolated(
                    seed: topology.seed, timeNanos: nowNanos, event: "commit at \(node.label)",
                    invariant: "a successful sys.inbound receipt whose arguments or output do not decode")
            }
            let range = applied.firstSequence..<(applied.firstSequence + applied.count)
            let fresh = carried.filter { range.contains($0.destinationSequence) }
            let violations = globalChecker.recordApplied(applier: node.networkIndex, messages: fresh)
            if let violation = violations.first {
                throw SimulationError.invariantViolated(
                    seed: topology.seed, timeNanos: nowNanos, event: "commit at \(node.label)",
                    invariant: violation.description)
            }
            guard firstInRegion else { continue }
            globalStats.callsFailed += Int(applied.report.failed)
            for message in fresh {
                globalStats.messagesApplied += 1
                globalStats.messagesAppliedByRegion[node.regionIndex] += 1
                if let origin = blockOrigins[Int(message.sourceRegion)]?[message.sourceHeight] {
                    try recorder.recordLatency(.crossRegion, scheduledAtNanos: origin, completedAtNanos: nowNanos)
                }
            }
        }
    }

    // MARK: - Byzantine regions

    /// Rewrites entries a Byzantine region's validator sends to the committee; other frames pass unchanged.
    func tamperFrame(_ frame: [UInt8], _ behavior: Topology.ByzantineRegionBehavior, region: Int) -> [UInt8] {
        let colluders = (0..<regionValidators[region].quorum).map { index in
            (index: index, key: nodes[regionBase[region] + index].key)
        }
        return ByzantineEntryForgery(behavior: behavior, colluders: colluders).tamper(frame)
    }

    /// The first validator of a region to learn that its blocks up to `height` are final: every transaction
    /// committed in them reaches global finality now (plus the way back to its client).
    func regionFinalityAdvanced(_ region: Int, to height: UInt64) throws {
        guard height > regionFinalHeight[region] else { return }
        let from = regionFinalHeight[region] + 1
        regionFinalHeight[region] = height
        for finalized in from...height {
            guard let scheduled = awaitingFinality[region].removeValue(forKey: finalized) else { continue }
            for scheduledNanos in scheduled { try recordGlobalFinality(region, scheduledNanos: scheduledNanos) }
        }
    }

    /// A client learned its transaction committed at `height`: it becomes globally final when the region learns.
    func noteLocalCommit(region: Int, height: UInt64, scheduledNanos: UInt64) throws {
        guard globalSetup != nil else { return }
        if height <= regionFinalHeight[region] {
            try recordGlobalFinality(region, scheduledNanos: scheduledNanos)
        } else {
            awaitingFinality[region][height, default: []].append(scheduledNanos)
        }
    }

    private func recordGlobalFinality(_ region: Int, scheduledNanos: UInt64) throws {
        let completed = max(nowNanos + clientDelayNanos(), scheduledNanos)
        try recorder.recordLatency(
            .globalFinality, scheduledAtNanos: scheduledNanos, completedAtNanos: completed,
            region: topology.regions[region].name)
        if completed >= window.measuredStartNanos, completed < window.measuredEndNanos {
            globalStats.globalFinalInWindow[region] += 1
        }
    }

    // MARK: - Report

    func globalOutcome() -> RunResult.GlobalOutcome? {
        guard let setup = globalSetup else { return nil }
        let memberMachines = nodes[memberBase...]
        let utilizations = memberMachines.map {
            $0.report(
                region: "global", measuredNanos: window.measuredNanos, coresPerNode: modelledCoresPerNode,
                sharedHost: !hostCoreFreeNanos.isEmpty
            )
            .cpuUtilization
        }
        var intervals: [Double] = []
        let commits = globalStats.checkpointCommitNanos
        for index in commits.indices.dropFirst()
        where commits[index] >= window.measuredStartNanos && commits[index] < window.measuredEndNanos {
            intervals.append(Double(commits[index] - commits[index - 1]) / 1e6)
        }
        let measuredSeconds = window.measuredSeconds
        var unapplied = 0
        for node in nodes[..<memberBase] where node.isAlive {
            unapplied +=
                globalChecker.unapplied(applier: node.networkIndex, destination: RegionID(node.regionIndex))
                .count
        }
        var entryRejections = globalStats.entryRejections
        for member in memberMachines {
            guard let committeeMember = member.host as? CommitteeMember else { continue }
            for (code, count) in committeeMember.node.submissionCounts
            where code == "duplicate" || code == "stale" || code == "gap-buffer-full" {
                entryRejections[code == "gap-buffer-full" ? code : "resend-\(code)", default: 0] += UInt64(count)
            }
        }
        return RunResult.GlobalOutcome(
            committeeSize: setup.committee.count,
            checkpoints: UInt64(commits.count),
            checkpointIntervalMillis: .init(intervals),
            checkpointEntries: .init(globalStats.checkpointEntries.map(Double.init)),
            checkpointBytes: .init(globalStats.checkpointBytes.map(Double.init)),
            committeeCpuUtilization: .init(utilizations),
            globalFinalTps: Double(globalStats.globalFinalInWindow.reduce(0, +)) / measuredSeconds,
            regions: topology.regions.indices.map { index in
                RunResult.GlobalRegionResult(
                    name: topology.regions[index].name, committedHeight: committedByHeight[index].keys.max() ?? 0,
                    finalizedHeight: regionFinalHeight[index],
                    globalFinalTps: Double(globalStats.globalFinalInWindow[index]) / measuredSeconds,
                    messagesSent: globalStats.messagesSentByRegion[index],
                    messagesApplied: globalStats.messagesAppliedByRegion[index])
            },
            crossRegion: RunResult.CrossRegionCounts(
                committed: UInt64(globalStats.messagesCommitted), applied: UInt64(globalStats.messagesApplied),
                unappliedAtEnd: UInt64(unapplied), undeliverable: UInt64(globalStats.undeliverable),
                relaysSent: UInt64(globalStats.relaysSent), relayFailures: globalStats.relayFailures,
                sent: globalStats.messagesSentByRegion.reduce(0, +), callsFailed: UInt64(globalStats.callsFailed)),
            entryRejections: entryRejections,
            entriesSent: UInt64(globalStats.entriesSent),
            checkpointRequests: UInt64(globalStats.noticeRequests))
    }

}

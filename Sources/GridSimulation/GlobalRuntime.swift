import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridLoad
import GridRegion
import GridStorage
import GridTopology

// The global layer in the simulator: committee members run `GlobalNode` (the same replica code as the regions,
// over `GlobalApplication`) on their own simulated machines; region validators send what they commit to the
// committee, learn committed checkpoints, and relay the cross-region messages addressed to their region into
// their own chain as `sys.inbound` transactions. Everything crosses the simulated network on the links the
// topology gives for the two ends' locations.

/// A region validator's runtime duties towards the global layer. Every list is bounded; see the limits below.
struct RegionGlobalDuties {
    struct Outgoing {
        var entry: RegionCommitEntry
        var lastSentNanos: UInt64
    }

    struct HeldDelivery {
        var delivery: CheckpointDelivery
        var firstSeenNanos: UInt64
        var lastRelayNanos: UInt64?
    }

    /// Committed blocks not yet final, ascending heights: resent until a checkpoint covers them.
    var unfinalized: [Outgoing] = []
    var unfinalizedDropped = 0
    var finalizedHeight: UInt64 = 0
    /// Checkpoints are taken in order; this is the last one processed.
    var noticeHeight: UInt64 = 0
    /// After a restart the first checkpoint seen sets `noticeHeight` (the region's peers relayed what came before).
    var awaitingBaseline = false
    var noticeRequestNanos: UInt64?
    /// Deliveries for this region not yet applied in its committed state, by checkpoint height.
    var deliveries: [UInt64: HeldDelivery] = [:]
    var relayNonce: UInt64 = 0
    /// Entries sent at the end of the current event (a commit hands them over).
    var sendQueue: [RegionCommitEntry] = []
    /// Checkpoints that arrived before their predecessor, by height.
    var earlyNotices: [UInt64: (notice: CheckpointNotice, forwarded: Bool, fromMember: Int?, receivedNanos: UInt64)] =
        [:]
    /// The last gap each member asked this validator to fill, and when it was answered.
    var pullAnsweredNanos: [Int: (fromHeight: UInt64, atNanos: UInt64)] = [:]

    static let unfinalizedMax = 65_536
    static let deliveriesMax = 4_096
    static let earlyNoticesMax = 256
    /// Entries per resend message.
    static let resendBatchMax = 64
}

/// Something a committee member has to work on.
enum MemberInput {
    case event(GlobalEvent)
    /// Committed region blocks from region validator `fromNode` (network index).
    case entries(fromNode: Int, [RegionCommitEntry])
    /// A region validator missed checkpoints from `fromHeight` on and asks for them.
    case noticeRequest(node: Int, fromHeight: UInt64)
}

/// A checkpoint a member committed, kept a while for regions that missed it.
struct RecentCheckpoint {
    let header: BlockHeader
    let certificate: QuorumCertificate
    let output: CheckpointOutput
    /// Each region's finalized height after it.
    let tips: [UInt64]
}

/// One global committee member in the simulation: its sans-IO node (nil while crashed), its LMDB checkpoint store
/// and its CPU, placed in a region's data centre for the network.
final class SimulatedMember: SimulatedMachine<MemberInput> {
    let index: Int
    let networkIndex: Int
    let key: KeyPair
    /// Region index of the data centre it sits in.
    let location: Int

    var node: GlobalNode?
    var store: CheckpointStore?
    var recent: [UInt64: RecentCheckpoint] = [:]
    var regionTips: [UInt64]

    static let recentMax = 4_096

    init(index: Int, networkIndex: Int, key: KeyPair, location: Int, cores: Int, inboxCapacity: Int, regions: Int) {
        self.index = index
        self.networkIndex = networkIndex
        self.key = key
        self.location = location
        regionTips = Array(repeating: 0, count: regions)
        super.init(label: "global/v\(index)", cores: cores, inboxCapacity: inboxCapacity)
    }

    var isAlive: Bool { node != nil }
}

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
}

extension Simulation {
    // MARK: - Set-up

    /// The committee's keys, derived from the topology's seed like the validators' (none without a committee).
    static func committeeKeys(_ topology: Topology) -> [KeyPair] {
        (0..<(topology.global?.validators ?? 0)).map {
            KeyPair.derived(masterSeed: topology.seed, label: "validator/global/\($0)")
        }
    }

    func setUpGlobalLayer() throws {
        guard let settings = topology.global else { return }
        let committeeKeys = Self.committeeKeys(topology)
        let committee = ValidatorSet(keys: committeeKeys.map(\.publicKey))
        let regions = topology.regions.indices.map { index in
            RegionGenesis(
                region: RegionID(index), validators: regionValidators[index].keys, genesisHash: genesis[index].hash)
        }
        let limits = Self.checkpointLimits(settings)
        let configuration = GlobalConfiguration(chainID: options.chainID, regions: regions, limits: limits)
        let emptyApp = GlobalApplication(configuration: configuration, verifier: verifier)
        let genesisBlock = Replica<GlobalApplication>.genesisBlock(
            chainID: options.chainID, region: GlobalConfiguration.globalRegion, validators: committee,
            roots: emptyApp.genesisRoots, emptyPayload: CheckpointPayload(entries: []))
        let consensus = topology.consensus
        globalSetup = GlobalSetup(
            settings: settings, configuration: configuration, committee: committee, genesis: genesisBlock,
            timing: ConsensusTiming(
                blockIntervalNanos: UInt64(settings.checkpointIntervalMillis * 1e6),
                viewTimeoutNanos: UInt64(settings.viewTimeoutMillis * 1e6),
                viewTimeoutBackoff: consensus.viewTimeoutBackoff,
                viewTimeoutMaxNanos: UInt64(consensus.viewTimeoutMaxMillis * 1e6)),
            resendIntervalNanos: UInt64(settings.resendIntervalMillis * 1e6))
        globalStats.globalFinalInWindow = Array(repeating: 0, count: topology.regions.count)
        regionFinalHeight = Array(repeating: 0, count: topology.regions.count)
        awaitingFinality = Array(repeating: [:], count: topology.regions.count)
        let regionIndexByName = Dictionary(
            topology.regions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, key) in committeeKeys.enumerated() {
            let placement = index < settings.placement.count ? settings.placement[index] : topology.regions[0].name
            guard let location = regionIndexByName[placement] else {
                throw SimulationError.setup("global.placement[\(index)] names unknown region \(placement)")
            }
            let member = SimulatedMember(
                index: index, networkIndex: nodes.count + index, key: key, location: location,
                cores: settings.machine.cores, inboxCapacity: options.inboxEventsMax, regions: topology.regions.count)
            members.append(member)
            try startMember(member, fresh: true)
        }
    }

    /// The committee's bounds. Per region a member keeps up to 1024 verified entries waiting for a checkpoint and
    /// 256 above a gap: several seconds of a busy region's blocks, so a stalled committee or a late sender costs
    /// one gap-filling round trip rather than a resend interval per 32 blocks.
    static func checkpointLimits(_ settings: Topology.GlobalLayer) -> CheckpointLimits {
        CheckpointLimits(
            entriesMax: settings.entriesMax, bytesMax: settings.checkpointBytesMax, pendingEntriesPerRegionMax: 1024,
            heldBackEntriesPerRegionMax: 256)
    }

    func memberStoreURL(_ member: SimulatedMember) -> URL {
        options.storeDirectory.appendingPathComponent("global-v\(member.index)")
    }

    /// Opens the member's checkpoint store and builds its replica: genesis on a fresh start, else the last stored
    /// checkpoint, its certificate, the global state after it and the persisted safety state.
    func startMember(_ member: SimulatedMember, fresh: Bool) throws {
        guard let setup = globalSetup else { return }
        var storeOptions = Environment.Options()
        storeOptions.durability = .noSync
        storeOptions.mapSizeBytes = 16 << 20
        let genesisCertificate = QuorumCertificate.genesis(
            chainID: options.chainID, region: GlobalConfiguration.globalRegion, genesisHash: setup.genesis.hash)
        do {
            let store = try CheckpointStore(
                directory: memberStoreURL(member), options: storeOptions, limits: setup.configuration.limits)
            member.store = store
            if fresh {
                try store.commitGenesis(block: setup.genesis, state: emptyGlobalState(setup))
            }
            let latest = try store.latestHeight ?? 0
            guard latest >= member.committedHeight else {
                throw SimulationError.invariantViolated(
                    seed: topology.seed, timeNanos: nowNanos, event: "restart of \(member.label)",
                    invariant:
                        "checkpoint lost: store ends at \(latest), member had committed \(member.committedHeight)"
                )
            }
            var tip = setup.genesis
            var tipCertificate = genesisCertificate
            var app = GlobalApplication(configuration: setup.configuration, verifier: verifier)
            if latest > 0 {
                guard let block = try store.block(atHeight: latest, genesisCertificate: genesisCertificate),
                    let certificate = try store.certificate(atHeight: latest),
                    let (state, root) = try store.latestState()
                else { throw SimulationError.store(node: member.label, reason: "checkpoint \(latest) incomplete") }
                tip = block
                tipCertificate = certificate
                app = GlobalApplication(
                    configuration: setup.configuration, verifier: verifier, restoring: state, stateRoot: root,
                    checkpointHeight: latest)
            }
            for region in topology.regions.indices {
                member.regionTips[region] = app.finalizedTip(of: RegionID(region))?.height ?? 0
            }
            let safety = try store.meta("safety").map { try SafetyState(decoding: $0) }
            let configuration = ReplicaConfiguration(
                chainID: options.chainID, region: GlobalConfiguration.globalRegion, validators: setup.committee,
                selfIndex: member.index, timing: setup.timing, genesisHash: setup.genesis.hash, behavior: .honest)
            let replica = Replica(
                configuration: configuration, key: member.key, app: app, verifier: verifier, committedTip: tip,
                certificate: tipCertificate, safety: safety)
            member.node = GlobalNode(replica: replica)
            member.committedHeight = latest
        } catch let error as SimulationError {
            throw error
        } catch {
            throw SimulationError.store(node: member.label, reason: "\(error)")
        }
        for core in member.coreBusyUntilNanos.indices { member.coreBusyUntilNanos[core] = nowNanos }
        try enqueueMember(member.index, .event(.start), urgent: true)
    }

    private func emptyGlobalState(_ setup: GlobalSetup) -> GlobalState {
        GlobalApplication(configuration: setup.configuration, verifier: verifier).committedState
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

    /// When `bytes` sent now-ish from one network node to another arrive, or nil if lost or partitioned.
    func transmit(
        from: (network: Int, location: Int), to: (network: Int, location: Int), bytes: Int, atNanos departure: UInt64
    ) -> UInt64? {
        network.arrival(
            from: from.network, to: to.network, bytes: bytes, departureNanos: departure,
            link: link(from: from.location, to: to.location), random: &random)
    }

    // MARK: - Members

    func enqueueMember(_ index: Int, _ input: MemberInput, urgent: Bool) throws {
        let member = members[index]
        guard member.isAlive else { return }
        if let core = member.freeCore(atNanos: nowNanos), member.inboxCount == 0 {
            try processMember(member, input, core: core)
            return
        }
        _ = member.queue(input, urgent: urgent)
        scheduleCoreFree(member, release(member))
    }

    func release(_ member: SimulatedMember) -> Event {
        .memberCoreFree(member: member.index, incarnation: member.incarnation)
    }

    func memberCoreFree(_ index: Int, incarnation: Int) throws {
        let member = members[index]
        guard member.incarnation == incarnation, member.isAlive else { return }
        if let pending = member.coreFreeAtNanos, pending <= nowNanos { member.coreFreeAtNanos = nil }
        guard let core = member.freeCore(atNanos: nowNanos), let input = member.popInput() else {
            scheduleCoreFree(member, release(member))
            return
        }
        try processMember(member, input, core: core)
    }

    func processMember(_ member: SimulatedMember, _ input: MemberInput, core: Int) throws {
        guard var globalNode = member.node, let setup = globalSetup else { return }
        member.node = nil
        defer { member.node = globalNode }
        let measured = options.cpuMode == .measured
        let cpuStart = measured ? ThreadCPUClock.nowNanos() : 0
        var work = Work()
        var actions: [GlobalAction] = []
        var notices: [(node: Int, notice: CheckpointNotice)] = []
        var entrySender: Int?
        var pulls: [(node: Int, fromHeight: UInt64)] = []
        switch input {
        case .event(let event):
            if case .peer(_, let message) = event { work.decodedBytes += message.wireBytes }
            actions = globalNode.handle(event, work: &work)
        case .entries(let fromNode, let entries):
            actions = globalNode.handle(.entries(entries), work: &work)
            entrySender = fromNode
        case .noticeRequest(let node, let fromHeight):
            // Answers from memory: a member keeps its recent checkpoints; older ones the region cannot get back.
            let region = nodes[node].regionIndex
            var height = max(fromHeight, 1)
            while height <= member.committedHeight, notices.count < RegionGlobalDuties.resendBatchMax,
                let recent = member.recent[height]
            {
                notices.append((node, notice(recent, region: region)))
                height += 1
            }
        }
        var outgoing: [(to: Int?, message: GlobalMessage)] = []
        var timers: [(ReplicaTimer, UInt64)] = []
        var storeWork = Work()
        var index = 0
        while index < actions.count {
            switch actions[index] {
            case .send(let to, let message):
                work.encodedBytes += message.wireBytes
                outgoing.append((to, message))
            case .broadcast(let message):
                work.encodedBytes += message.wireBytes
                outgoing.append((nil, message))
            case .setTimer(let timer, let after):
                timers.append((timer, after))
            case .persistSafety(let state):
                let bytes = state.encoded()
                work.storeCommits += 1
                work.storeCommitBytes += bytes.count
                do { try member.store?.putMeta("safety", bytes) } catch {
                    throw SimulationError.store(node: member.label, reason: "\(error)")
                }
            case .persistCommit(let block, let certificate, let output):
                let bytes = try commitCheckpoint(
                    member, block: block, certificate: certificate, output: output, state: output.state,
                    stateRoot: output.stateRoot)
                storeWork.storeCommits += 1
                storeWork.storeCommitBytes += bytes
                let recent = member.recent[block.height]!
                for region in topology.regions.indices {
                    // Each member tells one validator per region, a different one at each height, so a crashed
                    // member leaves every validator a gap it fills by asking (`receiveCheckpoint`), not a silence.
                    let validators = topology.regions[region].validators
                    let target = (member.index + Int(block.height % UInt64(validators))) % validators
                    notices.append((regionBase[region] + target, notice(recent, region: region)))
                }
            case .loadCommittedBlocks(let peer, let fromHeight, let count):
                var blocks: [ProposedBlock<CheckpointPayload>] = []
                if let store = member.store {
                    let genesisCertificate = QuorumCertificate.genesis(
                        chainID: options.chainID, region: GlobalConfiguration.globalRegion,
                        genesisHash: setup.genesis.hash)
                    for height in fromHeight..<(fromHeight + UInt64(count)) {
                        guard let block = try? store.block(atHeight: height, genesisCertificate: genesisCertificate)
                        else { break }
                        work.decodedBytes += block.wireBytes
                        blocks.append(block)
                    }
                }
                actions.append(contentsOf: globalNode.answerSync(peer: peer, committed: blocks))
            case .rejected(let from, let rejection):
                member.metrics.rejections[rejection.code, default: 0] += 1
                traceLine(member.label, "rejected from \(from.map(String.init) ?? "?"): \(rejection)")
            case .missing(_, let fromHeight):
                if let entrySender { pulls.append((entrySender, fromHeight)) }
            case .entryRejected(let rejection):
                member.metrics.rejections[rejection.code, default: 0] += 1
                globalStats.entryRejections[rejection.code, default: 0] += 1
                traceLine(member.label, "entry rejected: \(rejection)")
            }
            index += 1
        }
        let cost = eventCost(work, store: storeWork, cpuStartNanos: measured ? cpuStart : nil, storeCPUNanos: 0)
        let (sendNanos, endNanos) = occupy(
            member, core: core, mainNanos: cost.mainNanos, storeNanos: cost.storeNanos, release: release(member))
        for (timer, after) in timers {
            queue.push(
                .memberTimer(member: member.index, incarnation: member.incarnation, timer), atNanos: sendNanos + after)
        }
        let source = (network: member.networkIndex, location: member.location)
        for (to, message) in outgoing {
            let targets = to.map { [$0] } ?? members.indices.filter { $0 != member.index }
            for target in targets {
                let bytes = message.wireBytes
                member.metrics.bytesSent += UInt64(bytes)
                let destination = members[target]
                guard
                    let arrival = transmit(
                        from: source, to: (destination.networkIndex, destination.location), bytes: bytes,
                        atNanos: sendNanos)
                else { continue }
                queue.push(
                    .memberInput(member: target, .event(.peer(from: member.index, message)), urgent: true),
                    atNanos: arrival)
            }
        }
        for (node, fromHeight) in pulls {
            guard
                let arrival = transmit(
                    from: source, to: (node, nodes[node].regionIndex), bytes: 24, atNanos: sendNanos)
            else { continue }
            queue.push(
                .input(node: node, .missingEntries(member: member.index, fromHeight: fromHeight), urgent: false),
                atNanos: arrival)
        }
        // Checkpoints leave once written, like client replies.
        for (node, notice) in notices {
            let bytes = notice.wireBytes
            member.metrics.bytesSent += UInt64(bytes)
            guard
                let arrival = transmit(
                    from: source, to: (node, nodes[node].regionIndex), bytes: bytes, atNanos: endNanos)
            else { continue }
            queue.push(
                .input(node: node, .checkpoint(notice, forwarded: false, fromMember: member.index), urgent: false),
                atNanos: arrival)
        }
    }

    private func notice(_ recent: RecentCheckpoint, region: Int) -> CheckpointNotice {
        CheckpointNotice(
            header: recent.header, certificate: recent.certificate, finalizedHeight: recent.tips[region],
            delivery: recent.output.deliveries.first { $0.destination == RegionID(region) })
    }

    /// Checks the global invariants, writes the checkpoint, and keeps it for regions that ask later. Returns the
    /// bytes the store was handed.
    private func commitCheckpoint(
        _ member: SimulatedMember, block: ProposedBlock<CheckpointPayload>, certificate: QuorumCertificate,
        output: CheckpointOutput, state: GlobalState, stateRoot: Hash256
    ) throws -> Int {
        let violations = globalChecker.recordCommit(member: member.index, output: output)
        if let violation = violations.first {
            throw SimulationError.invariantViolated(
                seed: topology.seed, timeNanos: nowNanos, event: "checkpoint commit at \(member.label)",
                invariant: violation.description)
        }
        if let store = member.store {
            do {
                try store.commit(block: block, certificate: certificate, state: state, stateRoot: stateRoot)
            } catch {
                throw SimulationError.store(node: member.label, reason: "\(error)")
            }
        }
        member.metrics.storeBytesWritten += UInt64(1 + BlockHeader.encodedBytes + block.payload.wireBytes)
        member.committedHeight = block.height
        for entry in output.finalized {
            member.regionTips[Int(entry.region)] = max(member.regionTips[Int(entry.region)], entry.height)
        }
        member.recent[block.height] = RecentCheckpoint(
            header: block.header, certificate: certificate, output: output, tips: member.regionTips)
        if block.height > UInt64(SimulatedMember.recentMax) {
            member.recent.removeValue(forKey: block.height - UInt64(SimulatedMember.recentMax))
        }
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
        return 1 + BlockHeader.encodedBytes + payloadBytes
    }

    // MARK: - Region side

    /// After a region validator commits a block: queue the entry for the committee (the validator whose turn it
    /// is sends at once; the others keep it for resending), and note cross-region messages applied by it.
    func afterRegionCommit(
        _ node: SimulatedNode, block: ProposedBlock<RegionPayload>, output: RegionCommitOutput, firstInRegion: Bool
    ) throws {
        guard globalSetup != nil, let certificate = output.commit.certificate else { return }
        let region = node.regionIndex
        if firstInRegion, !output.outbox.isEmpty {
            // The operation that produced the messages: the earliest agent transaction in the block.
            var origin: UInt64?
            for pooled in block.payload.transactions {
                if let scheduled = agentTransactionNanos[pooled.hash] { origin = min(origin ?? scheduled, scheduled) }
            }
            if let origin { blockOrigins[region, default: [:]][block.height] = origin }
        }
        try noteAppliedMessages(node, block: block, output: output, firstInRegion: firstInRegion)
        let entry = RegionCommitEntry(header: block.header, certificate: certificate, outbox: output.outbox)
        if node.duties.unfinalized.count >= RegionGlobalDuties.unfinalizedMax {
            node.duties.unfinalizedDropped += 1
        } else {
            node.duties.unfinalized.append(.init(entry: entry, lastSentNanos: nowNanos))
        }
        if Int(block.height % UInt64(topology.regions[region].validators)) == node.validatorIndex {
            node.duties.sendQueue.append(entry)
        }
    }

    private func noteAppliedMessages(
        _ node: SimulatedNode, block: ProposedBlock<RegionPayload>, output: RegionCommitOutput, firstInRegion: Bool
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
            guard let applied = InboundContract.decodeOutput(receipt.output),
                let delivery = try? CheckpointDelivery(decoding: pooled.transaction.arguments)
            else { continue }
            let range = applied.firstSequence..<(applied.firstSequence + applied.count)
            let fresh = delivery.messages.filter { range.contains($0.destinationSequence) }
            let violations = globalChecker.recordApplied(applier: node.globalIndex, messages: fresh)
            if let violation = violations.first {
                throw SimulationError.invariantViolated(
                    seed: topology.seed, timeNanos: nowNanos, event: "commit at \(node.label)",
                    invariant: violation.description)
            }
            guard firstInRegion else { continue }
            for message in fresh {
                globalStats.messagesApplied += 1
                if let origin = blockOrigins[Int(message.sourceRegion)]?[message.sourceHeight] {
                    try recorder.recordLatency(.crossRegion, scheduledAtNanos: origin, completedAtNanos: nowNanos)
                }
            }
        }
    }

    /// Sends what a commit queued, at the end of the event.
    func flushGlobalSends(_ node: SimulatedNode, atNanos departure: UInt64) {
        guard !node.duties.sendQueue.isEmpty else { return }
        let entries = node.duties.sendQueue
        node.duties.sendQueue.removeAll()
        sendEntries(entries, from: node, atNanos: departure)
    }

    /// Sends entries to the given committee members (all by default). A region under a `byzantineRegion` fault
    /// sends tampered ones.
    func sendEntries(
        _ entries: [RegionCommitEntry], from node: SimulatedNode, to targets: [SimulatedMember]? = nil,
        atNanos departure: UInt64
    ) {
        var batch = entries
        if let fault = byzantineRegions[node.regionIndex], nowNanos < fault.untilNanos {
            batch = entries.map { tamper($0, fault.behavior, region: node.regionIndex) }
        }
        let bytes = batch.reduce(8) { $0 + $1.wireBytes }
        globalStats.entriesSent += batch.count
        for member in targets ?? members {
            node.metrics.bytesSent += UInt64(bytes)
            guard
                let arrival = transmit(
                    from: (node.globalIndex, node.regionIndex), to: (member.networkIndex, member.location),
                    bytes: bytes, atNanos: departure)
            else { continue }
            queue.push(
                .memberInput(member: member.index, .entries(fromNode: node.globalIndex, batch), urgent: false),
                atNanos: arrival)
        }
    }

    /// What a Byzantine region sends instead of the truth: votes with forged signatures, or a header certified by
    /// a colluding quorum that does not extend the region's chain.
    private func tamper(
        _ entry: RegionCommitEntry, _ behavior: Topology.ByzantineRegionBehavior, region: Int
    ) -> RegionCommitEntry {
        switch behavior {
        case .forgedCertificate:
            var forged = entry.certificate
            forged.votes = forged.votes.map { vote in
                var bytes = vote.signature.bytes
                bytes[0] ^= 0x5A
                return CertificateVote(
                    validatorIndex: vote.validatorIndex, signature: (try? Signature(bytes: bytes)) ?? vote.signature)
            }
            return RegionCommitEntry(header: entry.header, certificate: forged, outbox: entry.outbox)
        case .nonExtendingHeader:
            var header = entry.header
            header.parentHash = Hash256.blake2b(Array("not the parent \(entry.height)".utf8))
            let data = VoteData(
                chainID: header.chainID, region: header.region, height: header.height, view: header.view,
                blockHash: header.hash)
            let quorum = regionValidators[region].quorum
            let votes = (0..<quorum).map { index in
                CertificateVote(
                    validatorIndex: UInt16(index),
                    signature: nodes[regionBase[region] + index].key.sign(data.signingBytes()))
            }
            return RegionCommitEntry(
                header: header, certificate: QuorumCertificate(data: data, votes: votes), outbox: entry.outbox)
        }
    }

    /// A member found a gap in this region's blocks: send it what this validator holds from `fromHeight` on, at
    /// most one batch per member per resend interval (the member asks again if more is missing).
    func answerMissingEntries(_ node: SimulatedNode, member: Int, fromHeight: UInt64) {
        guard let setup = globalSetup, let first = node.duties.unfinalized.first?.entry.height,
            fromHeight >= first, fromHeight - first < UInt64(node.duties.unfinalized.count)
        else { return }
        if let last = node.duties.pullAnsweredNanos[member], last.fromHeight == fromHeight,
            nowNanos < last.atNanos + setup.resendIntervalNanos / 4
        {
            return
        }
        node.duties.pullAnsweredNanos[member] = (fromHeight, nowNanos)
        let start = Int(fromHeight - first)
        let end = min(node.duties.unfinalized.count, start + 4 * RegionGlobalDuties.resendBatchMax)
        sendEntries(
            node.duties.unfinalized[start..<end].map(\.entry), from: node, to: [members[member]], atNanos: nowNanos)
    }

    /// A region validator takes a committed checkpoint: in height order (one that arrives early waits in a small
    /// buffer; a gap that stays open is filled by asking a member), each after checking its QC against the
    /// committee's genesis keys. It learns its region's finalized height, keeps its region's messages for
    /// relaying, and, if the region has more validators than the committee has members, tells its peers. Returns
    /// the relay transactions to submit.
    func receiveCheckpoint(
        _ node: SimulatedNode, _ notice: CheckpointNotice, forwarded: Bool, fromMember: Int?, work: inout Work
    ) -> [[UInt8]] {
        guard let setup = globalSetup else { return [] }
        let height = notice.header.height
        if node.duties.awaitingBaseline, height > 0 {
            node.duties.noticeHeight = height - 1
            node.duties.awaitingBaseline = false
        }
        guard height > node.duties.noticeHeight else { return [] }
        if height > node.duties.noticeHeight + 1 {
            if node.duties.earlyNotices.count < RegionGlobalDuties.earlyNoticesMax {
                node.duties.earlyNotices[height] = (notice, forwarded, fromMember, nowNanos)
            }
            return []
        }
        var relays: [[UInt8]] = []
        var next: (notice: CheckpointNotice, forwarded: Bool, fromMember: Int?)? = (notice, forwarded, fromMember)
        while let (current, currentForwarded, _) = next {
            guard verifyCheckpoint(current, setup: setup, work: &work) else {
                node.metrics.rejections["bad-checkpoint", default: 0] += 1
                break
            }
            if let relay = acceptCheckpoint(node, current, forwarded: currentForwarded, fromMember: fromMember) {
                relays.append(relay)
            }
            next = node.duties.earlyNotices.removeValue(forKey: node.duties.noticeHeight + 1).map {
                ($0.notice, $0.forwarded, $0.fromMember)
            }
        }
        return relays
    }

    /// Takes the checkpoint right after the last one, already checked.
    private func acceptCheckpoint(
        _ node: SimulatedNode, _ notice: CheckpointNotice, forwarded: Bool, fromMember: Int?
    ) -> [UInt8]? {
        let height = notice.header.height
        node.duties.noticeHeight = height
        node.duties.noticeRequestNanos = nil
        let region = node.regionIndex
        if notice.finalizedHeight > node.duties.finalizedHeight {
            let finalized = notice.finalizedHeight
            node.duties.finalizedHeight = finalized
            if let cut = node.duties.unfinalized.firstIndex(where: { $0.entry.height > finalized }) {
                node.duties.unfinalized.removeFirst(cut)
            } else {
                node.duties.unfinalized.removeAll()
            }
            regionFinalityAdvanced(region, to: finalized)
        }
        // With fewer members than validators some validators hear from nobody directly: the first to hear tells
        // its peers. Otherwise every validator has its own member at each height and forwarding would only
        // multiply the traffic.
        let count = topology.regions[region].validators
        if !forwarded, members.count < count {
            for peer in 0..<count where peer != node.validatorIndex {
                let target = regionBase[region] + peer
                let bytes = notice.wireBytes
                node.metrics.bytesSent += UInt64(bytes)
                guard
                    let arrival = transmit(
                        from: (node.globalIndex, region), to: (target, region), bytes: bytes, atNanos: nowNanos)
                else { continue }
                queue.push(
                    .input(node: target, .checkpoint(notice, forwarded: true, fromMember: fromMember), urgent: false),
                    atNanos: arrival)
            }
        }
        guard let delivery = notice.delivery, !delivery.messages.isEmpty,
            node.duties.deliveries.count < RegionGlobalDuties.deliveriesMax
        else { return nil }
        // A delivery too large for one transaction could never be admitted: counted, not retried forever.
        guard InboundContract.deliveryFits(delivery, transactionBytesMax: topology.mempool.transactionBytesMax) else {
            if Int(height % UInt64(count)) == node.validatorIndex {
                globalStats.relayFailures["delivery-too-large", default: 0] += 1
            }
            return nil
        }
        node.duties.deliveries[height] = .init(delivery: delivery, firstSeenNanos: nowNanos, lastRelayNanos: nil)
        guard Int(height % UInt64(count)) == node.validatorIndex else { return nil }
        node.duties.deliveries[height]?.lastRelayNanos = nowNanos
        return relayTransaction(node, delivery)
    }

    private func relayTransaction(_ node: SimulatedNode, _ delivery: CheckpointDelivery) -> [UInt8] {
        node.duties.relayNonce += 1
        globalStats.relaysSent += 1
        return InboundContract.relayTransaction(
            chainID: options.chainID, region: RegionID(node.regionIndex), delivery: delivery, signer: node.key,
            nonce: node.duties.relayNonce
        ).encoded()
    }

    /// The checkpoint's header and its QC agree, and the QC holds against the committee's genesis keys (the rules
    /// members apply to region certificates, `GlobalApplication.verify`).
    private func verifyCheckpoint(_ notice: CheckpointNotice, setup: GlobalSetup, work: inout Work) -> Bool {
        let header = notice.header
        let data = notice.certificate.data
        guard header.chainID == options.chainID, header.region == GlobalConfiguration.globalRegion,
            data.blockHash == header.hash, data.height == header.height
        else { return false }
        return GlobalApplication.verify(
            notice.certificate, chainID: options.chainID, genesis: setup.committeeGenesis, verifier: verifier, &work)
            == nil
    }

    private func requestNotices(from node: SimulatedNode, member: Int, fromHeight: UInt64) {
        let target = members[member]
        guard
            let arrival = transmit(
                from: (node.globalIndex, node.regionIndex), to: (target.networkIndex, target.location), bytes: 24,
                atNanos: nowNanos)
        else { return }
        queue.push(
            .memberInput(member: member, .noticeRequest(node: node.globalIndex, fromHeight: fromHeight), urgent: false),
            atNanos: arrival)
    }

    /// The first validator of a region to learn that its blocks up to `height` are final: every transaction
    /// committed in them reaches global finality now (plus the way back to its client).
    func regionFinalityAdvanced(_ region: Int, to height: UInt64) {
        guard height > regionFinalHeight[region] else { return }
        let from = regionFinalHeight[region] + 1
        regionFinalHeight[region] = height
        for finalized in from...height {
            guard let scheduled = awaitingFinality[region].removeValue(forKey: finalized) else { continue }
            for scheduledNanos in scheduled { recordGlobalFinality(region, scheduledNanos: scheduledNanos) }
        }
    }

    /// A client learned its transaction committed at `height`: it becomes globally final when the region learns.
    func noteLocalCommit(region: Int, height: UInt64, scheduledNanos: UInt64) {
        guard globalSetup != nil else { return }
        if height <= regionFinalHeight[region] {
            recordGlobalFinality(region, scheduledNanos: scheduledNanos)
        } else {
            awaitingFinality[region][height, default: []].append(scheduledNanos)
        }
    }

    private func recordGlobalFinality(_ region: Int, scheduledNanos: UInt64) {
        let completed = max(nowNanos + clientDelayNanos(), scheduledNanos)
        _ = try? recorder.recordLatency(.globalFinality, scheduledAtNanos: scheduledNanos, completedAtNanos: completed)
        if completed >= window.measuredStartNanos, completed < window.measuredEndNanos {
            globalStats.globalFinalInWindow[region] += 1
        }
    }

    // MARK: - Periodic duties

    /// Every tick: live region validators resend entries still not final (the one whose turn it was after one
    /// resend interval, the others after two, so a crashed sender is covered), and relay deliveries their
    /// region has not applied yet.
    func globalTick() {
        guard let setup = globalSetup else { return }
        let interval = setup.resendIntervalNanos
        for node in nodes where node.isAlive {
            let count = UInt64(topology.regions[node.regionIndex].validators)
            // A checkpoint that arrived early and still waits for its predecessor: ask a member for the gap.
            if let (_, early) = node.duties.earlyNotices.min(by: { $0.key < $1.key }),
                nowNanos >= early.receivedNanos + interval / 4,
                node.duties.noticeRequestNanos.map({ nowNanos >= $0 + interval / 4 }) ?? true
            {
                node.duties.noticeRequestNanos = nowNanos
                globalStats.noticeRequests += 1
                let member = early.fromMember ?? (node.validatorIndex % max(1, members.count))
                requestNotices(from: node, member: member, fromHeight: node.duties.noticeHeight + 1)
            }
            if !node.duties.unfinalized.isEmpty {
                var batch: [RegionCommitEntry] = []
                for position in node.duties.unfinalized.indices {
                    let outgoing = node.duties.unfinalized[position]
                    let mine = Int(outgoing.entry.height % count) == node.validatorIndex
                    guard nowNanos >= outgoing.lastSentNanos + (mine ? interval : 2 * interval) else { continue }
                    batch.append(outgoing.entry)
                    node.duties.unfinalized[position].lastSentNanos = nowNanos
                    if batch.count >= RegionGlobalDuties.resendBatchMax { break }
                }
                if !batch.isEmpty { sendEntries(batch, from: node, atNanos: nowNanos) }
            }
            guard !node.duties.deliveries.isEmpty, let app = node.node?.app else { continue }
            let next = InboundContract.committedNextSequence(
                app.committedState[InboundContract.contractName] ?? [:])
            for height in node.duties.deliveries.keys.sorted() {
                guard let held = node.duties.deliveries[height] else { continue }
                if let last = held.delivery.messages.last, last.destinationSequence < next {
                    node.duties.deliveries.removeValue(forKey: height)
                    continue
                }
                let mine = Int(height % count) == node.validatorIndex
                let due = held.firstSeenNanos + (mine ? interval : 2 * interval)
                guard nowNanos >= due, nowNanos >= (held.lastRelayNanos ?? 0) + interval else { continue }
                node.duties.deliveries[height]?.lastRelayNanos = nowNanos
                let bytes = relayTransaction(node, held.delivery)
                queue.push(.input(node: node.globalIndex, .relay(bytes), urgent: false), atNanos: nowNanos)
            }
        }
    }

    // MARK: - Faults

    func crashMember(_ member: SimulatedMember) {
        guard member.isAlive else { return }
        member.node = nil
        member.store?.close()
        member.store = nil
        member.dropQueuedWork()
        member.recent.removeAll()
        traceLine(member.label, "CRASH")
    }

    func restartMember(_ member: SimulatedMember) throws {
        guard !member.isAlive else { return }
        member.incarnation += 1
        traceLine(member.label, "RESTART")
        try startMember(member, fresh: false)
    }

    func resolveMember(_ reference: NodeReference, forRestart: Bool) throws -> SimulatedMember {
        guard globalSetup != nil, !members.isEmpty else {
            throw SimulationError.setup("fault names \(reference) but the topology has no global layer")
        }
        switch reference.validator {
        case .index(let index):
            guard index < members.count else { throw SimulationError.setup("fault names unknown member \(reference)") }
            return members[index]
        case .leader where forRestart:
            guard let victim = leaderCrashVictims["global"]?.popLast() else {
                throw SimulationError.setup("restart of \(reference) without an earlier crash of \(reference)")
            }
            return members[victim]
        case .leader:
            let round = members.compactMap { $0.node?.replica.currentRound }.max() ?? 0
            let leader = globalSetup!.committee.leader(ofRound: round)
            leaderCrashVictims["global", default: []].append(leader)
            return members[leader]
        }
    }

    // MARK: - Report

    func globalOutcome() -> RunResult.GlobalOutcome? {
        guard let setup = globalSetup else { return nil }
        let utilizations = memberReports().map(\.cpuUtilization)
        var intervals: [Double] = []
        let commits = globalStats.checkpointCommitNanos
        for index in commits.indices.dropFirst()
        where commits[index] >= window.measuredStartNanos && commits[index] < window.measuredEndNanos {
            intervals.append(Double(commits[index] - commits[index - 1]) / 1e6)
        }
        let measuredSeconds = window.measuredSeconds
        var unapplied = 0
        for node in nodes where node.isAlive {
            unapplied +=
                globalChecker.unapplied(applier: node.globalIndex, destination: RegionID(node.regionIndex))
                .count
        }
        var entryRejections = globalStats.entryRejections
        for member in members {
            for (code, count) in member.node?.submissionCounts ?? [:]
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
                    globalFinalTps: Double(globalStats.globalFinalInWindow[index]) / measuredSeconds)
            },
            crossRegion: RunResult.CrossRegionCounts(
                committed: UInt64(globalStats.messagesCommitted), applied: UInt64(globalStats.messagesApplied),
                unappliedAtEnd: UInt64(unapplied), undeliverable: UInt64(globalStats.undeliverable),
                relaysSent: UInt64(globalStats.relaysSent), relayFailures: globalStats.relayFailures),
            entryRejections: entryRejections,
            entriesSent: UInt64(globalStats.entriesSent),
            checkpointRequests: UInt64(globalStats.noticeRequests))
    }

    func memberReports() -> [SimulatedNodeReport] {
        members.map { $0.report(region: "global", measuredNanos: window.measuredNanos) }
    }
}

extension CheckpointNotice {
    var wireBytes: Int {
        let certificateBytes = 1 + 4 + 2 + 8 + 8 + 32 + 2 + certificate.votes.count * (2 + Signature.byteCount)
        return 1 + BlockHeader.encodedBytes + certificateBytes + 8 + (delivery?.wireBytes ?? 0)
    }
}

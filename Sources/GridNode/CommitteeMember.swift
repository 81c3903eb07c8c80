import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridStorage
import GridWire

/// What a committee member is, fixed at genesis.
public struct CommitteeMemberConfiguration: Sendable {
    public var chainID: ChainID
    public var index: Int
    public var committee: ValidatorSet
    public var key: KeyPair
    public var timing: ConsensusTiming
    public var global: GlobalConfiguration
    public var genesis: ProposedBlock<CheckpointPayload>
    /// Validators per region, in region order: whom to tell about each checkpoint.
    public var regionSizes: [Int]
    public var verifier: any SignatureVerifying
    public var wireLimits: WireLimits
    /// Checkpoints kept in memory for regions that ask; older ones are rebuilt from the store.
    public var recentCheckpointsMax: Int

    public init(
        chainID: ChainID, index: Int, committee: ValidatorSet, key: KeyPair, timing: ConsensusTiming,
        global: GlobalConfiguration, genesis: ProposedBlock<CheckpointPayload>, regionSizes: [Int],
        verifier: any SignatureVerifying, wireLimits: WireLimits = .standard,
        recentCheckpointsMax: Int = CommitteeMember.recentCheckpointsMax
    ) {
        precondition(recentCheckpointsMax > 0, "recentCheckpointsMax must be positive")
        self.chainID = chainID
        self.index = index
        self.committee = committee
        self.key = key
        self.timing = timing
        self.global = global
        self.genesis = genesis
        self.regionSizes = regionSizes
        self.verifier = verifier
        self.wireLimits = wireLimits
        self.recentCheckpointsMax = recentCheckpointsMax
    }

    public var address: NodeAddress { .member(index) }

    public var genesisCertificate: QuorumCertificate {
        .genesis(chainID: chainID, region: GlobalConfiguration.globalRegion, genesisHash: genesis.hash)
    }
}

/// One global committee member as a runtime sees it: the sans-IO `GlobalNode`, its checkpoint store, the recent
/// checkpoints it keeps for regions that missed some, and the fan-out of every checkpoint to the regions.
public final class CommitteeMember: NodeHost {
    /// A checkpoint this member committed, kept a while for regions that missed it.
    struct RecentCheckpoint {
        let header: BlockHeader
        let certificate: QuorumCertificate
        let output: CheckpointOutput
        /// Each region's finalized height after it.
        let tips: [UInt64]
    }

    public let configuration: CommitteeMemberConfiguration
    public private(set) var node: GlobalNode
    public var entrySubmissions: [String: Int] { node.submissionCounts }
    let store: any MemberStore
    private var recent: [UInt64: RecentCheckpoint] = [:]
    private var regionTips: [UInt64]
    public var measuresStoreCPU = false

    /// Default of `CommitteeMemberConfiguration.recentCheckpointsMax`: checkpoints kept in memory for regions that
    /// ask. Older ones are rebuilt from the checkpoint store (block, certificate and the state before it), which
    /// costs a re-execution each, so the common case of a short gap stays a lookup.
    public static let recentCheckpointsMax = 4_096
    /// Checkpoints in one answer to a region's request; it asks again for the rest.
    public static let checkpointAnswerMax = 64

    public var address: NodeAddress { configuration.address }
    public var replica: Replica<GlobalApplication> { node.replica }
    /// Builds the member from its store: genesis on a fresh start, else the last checkpoint, its certificate, the
    /// global state after it and the persisted safety state.
    public init(configuration: CommitteeMemberConfiguration, store: any MemberStore, fresh: Bool) throws {
        self.configuration = configuration
        self.store = store
        let address = configuration.address
        func attempt<T>(_ operation: String, _ body: () throws -> T) throws -> T {
            try storeCall(address, operation, body)
        }
        let verifier = configuration.verifier
        if fresh {
            let empty = GlobalApplication(configuration: configuration.global, verifier: verifier).committedState
            try attempt("write genesis") { try store.commitGenesis(block: configuration.genesis, state: empty) }
        }
        let latest = try attempt("read latest height") { try store.latestHeight } ?? 0
        var tip = configuration.genesis
        var tipCertificate = configuration.genesisCertificate
        var app = GlobalApplication(configuration: configuration.global, verifier: verifier)
        if latest > 0 {
            let restored = try attempt("read checkpoint \(latest)") {
                () throws -> (ProposedBlock<CheckpointPayload>, QuorumCertificate, GlobalState, Hash256) in
                guard
                    let block = try store.block(
                        atHeight: latest, genesisCertificate: configuration.genesisCertificate),
                    let certificate = try store.certificate(atHeight: latest),
                    let (state, root) = try store.latestState()
                else { throw MissingRecord("checkpoint \(latest) or its state") }
                return (block, certificate, state, root)
            }
            tip = restored.0
            tipCertificate = restored.1
            app = GlobalApplication(
                configuration: configuration.global, verifier: verifier, restoring: restored.2,
                stateRoot: restored.3, checkpointHeight: latest)
        }
        regionTips = configuration.regionSizes.indices.map { app.finalizedTip(of: RegionID($0))?.height ?? 0 }
        let safety = try attempt("read safety state") {
            try store.meta("safety").map { try SafetyState(decoding: $0) }
        }
        let replicaConfiguration = ReplicaConfiguration(
            chainID: configuration.chainID, region: GlobalConfiguration.globalRegion,
            validators: configuration.committee, selfIndex: configuration.index, timing: configuration.timing,
            genesisHash: configuration.genesis.hash)
        node = GlobalNode(
            replica: Replica(
                configuration: replicaConfiguration, key: configuration.key, app: app, verifier: verifier,
                committedTip: tip, certificate: tipCertificate, safety: safety))
    }

    public func close() { store.close() }

    public var storeWriteStatistics: WriteStatistics { store.writeStatistics }
    public var pooledTransactions: Int { 0 }

    public func handle(_ input: NodeInput) throws -> NodeOutput {
        try observingRounds { output in
            try handleInput(input, &output)
        }
    }

    private func handleInput(_ input: NodeInput, _ output: inout NodeOutput) throws {
        switch input {
        case .start:
            try drive(.start, &output)
        case .timer(.global(let timer)):
            try drive(.timer(timer), &output)
        case .timer, .client:
            output.observations.append(.lost(.unexpectedMessage))
        case .clientRead(let id, _):
            output.readAnswers.append((id, .rejected("not-a-region-validator")))
        case .frame(let from, let bytes):
            try receive(bytes, from: from, &output)
        }
    }

    private func receive(_ bytes: [UInt8], from sender: NodeAddress, _ output: inout NodeOutput) throws {
        guard let message = decodeFrame(bytes, from: sender, limits: configuration.wireLimits, &output) else {
            return
        }
        switch (message, sender) {
        case (.globalConsensus(let consensus), .member(let member)) where member != configuration.index:
            try drive(.peer(from: member, .consensus(consensus)), &output)
        case (.entries(let entries), .validator(let region, let index)) where region < configuration.regionSizes.count:
            try drive(
                .entries(entries, from: EntrySender(region: RegionID(region), validator: UInt16(index))), &output)
        case (.checkpointRequest(let fromHeight), .validator(let region, _))
        where region < configuration.regionSizes.count:
            answerCheckpointRequest(from: sender, region: region, fromHeight: fromHeight, &output)
        default:
            output.observations.append(.lost(.unexpectedMessage))
            output.observations.append(.rejected(from: sender, ConsensusRejection("unexpected-message")))
        }
    }

    /// Answers from memory for recent checkpoints and from the store for older ones (and for all of them after a
    /// restart), so a region that was away for long still catches up.
    private func answerCheckpointRequest(
        from sender: NodeAddress, region: Int, fromHeight: UInt64, _ output: inout NodeOutput
    ) {
        var height = max(fromHeight, 1)
        var answered = 0
        while height <= committedHeight, answered < Self.checkpointAnswerMax,
            let checkpoint = recent[height] ?? storedCheckpoint(height, &output)
        {
            let frame = WireCodec.encode(.checkpoint(notice(checkpoint, region: region), forwarded: false))
            output.work.encodedBytes += frame.count
            output.sends.append(Outgoing(to: sender, frame: frame, urgent: false))
            height += 1
            answered += 1
        }
    }

    /// Rebuilds checkpoint `height` as `commitCheckpoint` kept it: the stored block and certificate, executed again
    /// from the stored state before it (the numbering of its messages depends on that state). The result must
    /// reproduce the header's outbox and state roots; a store that cannot give it is counted, never guessed around.
    private func storedCheckpoint(_ height: UInt64, _ output: inout NodeOutput) -> RecentCheckpoint? {
        guard height > 0 else { return nil }
        let genesisCertificate = configuration.genesisCertificate
        let loaded: (ProposedBlock<CheckpointPayload>, QuorumCertificate, GlobalState, Hash256)
        do {
            guard let block = try store.block(atHeight: height, genesisCertificate: genesisCertificate),
                let certificate = try store.certificate(atHeight: height),
                let before = try store.state(atHeight: height - 1),
                let parent = try store.block(atHeight: height - 1, genesisCertificate: genesisCertificate)
            else {
                output.observations.append(.lost(.storeReadFailed))
                return nil
            }
            loaded = (block, certificate, before, parent.header.stateRoot)
        } catch {
            output.observations.append(.lost(.storeReadFailed))
            return nil
        }
        let (block, certificate, before, parentRoot) = loaded
        output.work.decodedBytes += block.wireBytes
        var app = GlobalApplication(
            configuration: configuration.global, verifier: configuration.verifier, restoring: before,
            stateRoot: parentRoot, checkpointHeight: height - 1)
        // Stored checkpoints were executed and certified already: no certificate checks again (`itemsChecked: nil`).
        guard
            case .success(let execution) = app.execute(
                payload: block.payload, height: height, ancestors: [], itemsChecked: nil, work: &output.work),
            execution.roots.outboxRoot == block.header.outboxRoot,
            execution.roots.stateRoot == block.header.stateRoot
        else {
            output.observations.append(.lost(.storeReadFailed))
            return nil
        }
        let commit = app.commit(block: block, execution: execution, certificate: certificate, work: &output.work)
        let tips = configuration.regionSizes.indices.map { commit.state.tips[RegionID($0)]?.height ?? 0 }
        return RecentCheckpoint(header: block.header, certificate: certificate, output: commit, tips: tips)
    }

    private func notice(_ checkpoint: RecentCheckpoint, region: Int) -> CheckpointNotice {
        CheckpointNotice(
            header: checkpoint.header, certificate: checkpoint.certificate, finalizedHeight: checkpoint.tips[region],
            delivery: checkpoint.output.deliveries.first { $0.destination == RegionID(region) })
    }

    private func drive(_ event: GlobalEvent, _ output: inout NodeOutput) throws {
        var actions = node.handle(event, work: &output.work)
        // As a region validator does: the event's safety record rides in the write of the checkpoint it committed
        // (the last one, when it committed several), so a vote that commits costs one fsync, not two.
        var pendingSafety: [UInt8]?
        var pendingCommits: [(ProposedBlock<CheckpointPayload>, QuorumCertificate, CheckpointOutput)] = []
        func flush() throws {
            let commits = pendingCommits
            let safety = pendingSafety
            pendingCommits = []
            pendingSafety = nil
            for (position, (block, certificate, commit)) in commits.enumerated() {
                let meta = position == commits.count - 1 ? safety.map { ["safety": $0] } ?? [:] : [:]
                try commitCheckpoint(block, certificate: certificate, output: commit, meta: meta, &output)
            }
            if let safety, commits.isEmpty {
                output.storeWork.storeCommits += 1
                output.storeWork.storeCommitBytes += safety.count
                output.durableWrites += 1
                try write("write safety state") { try store.putMeta("safety", safety) }
            }
        }
        var index = 0
        while index < actions.count {
            switch actions[index] {
            case .send(let to, let message):
                let frame = encode(message, &output)
                output.sends.append(Outgoing(to: .member(to), frame: frame, urgent: true))
            case .broadcast(let message):
                let frame = encode(message, &output)
                for member in 0..<configuration.committee.count where member != configuration.index {
                    output.sends.append(Outgoing(to: .member(member), frame: frame, urgent: true))
                }
            case .setTimer(let timer, let after):
                output.timers.append((.global(timer), after))
            case .persistSafety(let state):
                // A later record in the same event supersedes this one: rounds only grow.
                pendingSafety = state.encoded()
            case .persistCommit(let block, let certificate, let commit):
                pendingCommits.append((block, certificate, commit))
            case .loadCommittedBlocks(let peer, let fromHeight, let count):
                try flush()
                var blocks: [ProposedBlock<CheckpointPayload>] = []
                for height in fromHeight..<(fromHeight + UInt64(count)) {
                    let block: ProposedBlock<CheckpointPayload>?
                    do {
                        block = try store.block(atHeight: height, genesisCertificate: configuration.genesisCertificate)
                    } catch {
                        output.observations.append(.lost(.storeReadFailed))
                        break
                    }
                    guard let block else { break }
                    output.work.decodedBytes += block.wireBytes
                    blocks.append(block)
                }
                actions.append(contentsOf: node.answerSync(peer: peer, committed: blocks))
            case .rejected(let from, let rejection):
                output.observations.append(.rejected(from: from.map { .member($0) }, rejection))
            case .missing(let region, let fromHeight, let to):
                let frame = WireCodec.encode(.missingEntries(region: region, fromHeight: fromHeight))
                output.work.encodedBytes += frame.count
                output.sends.append(
                    Outgoing(
                        to: .validator(region: Int(to.region), index: Int(to.validator)), frame: frame, urgent: false))
            case .entryRejected(let rejection):
                output.observations.append(.entryRejected(rejection))
            }
            index += 1
        }
        try flush()
    }

    /// Writes the checkpoint, keeps it for regions that ask later, and tells one validator per region, a different
    /// one at each height, so a crashed member leaves every validator a gap it fills by asking, not a silence.
    private func commitCheckpoint(
        _ block: ProposedBlock<CheckpointPayload>, certificate: QuorumCertificate, output commit: CheckpointOutput,
        meta: [String: [UInt8]], _ output: inout NodeOutput
    ) throws {
        let start = measuresStoreCPU ? ThreadCPUClock.nowNanos() : 0
        try write("commit checkpoint \(block.height)" + (meta.isEmpty ? "" : " and the safety state")) {
            try store.commit(
                block: block, certificate: certificate, state: commit.state, stateRoot: commit.stateRoot, meta: meta)
        }
        if measuresStoreCPU { output.storeCPUNanos += ThreadCPUClock.nowNanos() &- start }
        output.storeWork.storeCommits += 1
        output.storeWork.storeCommitBytes += 1 + BlockHeader.encodedBytes + block.payload.wireBytes
        output.storeWork.storeCommitBytes += meta.values.reduce(0) { $0 + $1.count }
        output.durableWrites += 1
        output.observations.append(.checkpointCommitted(block, certificate, commit))
        for entry in commit.finalized {
            let region = Int(entry.region)
            guard region < regionTips.count else { continue }
            regionTips[region] = max(regionTips[region], entry.height)
        }
        let checkpoint = RecentCheckpoint(
            header: block.header, certificate: certificate, output: commit, tips: regionTips)
        recent[block.height] = checkpoint
        let kept = UInt64(configuration.recentCheckpointsMax)
        if block.height > kept { recent.removeValue(forKey: block.height - kept) }
        for (region, validators) in configuration.regionSizes.enumerated() where validators > 0 {
            let target = (configuration.index + Int(block.height % UInt64(validators))) % validators
            let frame = WireCodec.encode(.checkpoint(notice(checkpoint, region: region), forwarded: false))
            output.work.encodedBytes += frame.count
            output.sendsAfterWrite.append(
                Outgoing(to: .validator(region: region, index: target), frame: frame, urgent: false))
        }
    }

    private func encode(_ message: GlobalMessage, _ output: inout NodeOutput) -> [UInt8] {
        let frame: [UInt8]
        switch message {
        case .consensus(let consensus): frame = WireCodec.encode(.globalConsensus(consensus))
        }
        output.work.encodedBytes += frame.count
        return frame
    }

    private func write(_ operation: String, _ body: () throws -> Void) throws {
        try storeCall(address, operation, body)
    }
}

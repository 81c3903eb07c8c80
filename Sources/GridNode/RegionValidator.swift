import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridStorage
import GridWire

/// What a region validator is, fixed at genesis.
public struct RegionValidatorConfiguration: Sendable {
    public var chainID: ChainID
    public var region: Int
    public var validatorIndex: Int
    public var validators: ValidatorSet
    public var key: KeyPair
    public var timing: ConsensusTiming
    public var mempool: MempoolConfiguration
    /// Every contract the region runs, the transfer contract included.
    public var contracts: [any Contract]
    public var verifier: any SignatureVerifying
    public var genesis: ProposedBlock<RegionPayload>
    public var behavior: ByzantineBehavior
    /// Nil when the deployment has no global committee.
    public var global: GlobalLink?
    public var wireLimits: WireLimits
    /// A leader's propose timer due within this long fires inside an event that already writes (the commit its QC
    /// made), so the proposal's safety record shares that write's fsync instead of paying a second one right
    /// after: the write keeps the proposal from leaving for at least its fsync anyway, so set this no higher than
    /// one fsync takes. Zero (the default) for stores that do not sync, where rounds are paced by the timer alone.
    public var proposeWithinWriteNanos: UInt64 = 0
    /// Follow each `committed` or `failed` client reply with `.finalized` once a checkpoint makes its block final
    /// (`FinalityNotices`). Live gateways of a deployment with a global committee set it; off in the simulator.
    public var finalityNotices = false

    public init(
        chainID: ChainID, region: Int, validatorIndex: Int, validators: ValidatorSet, key: KeyPair,
        timing: ConsensusTiming, mempool: MempoolConfiguration, contracts: [any Contract],
        verifier: any SignatureVerifying, genesis: ProposedBlock<RegionPayload>, behavior: ByzantineBehavior = .honest,
        global: GlobalLink? = nil, wireLimits: WireLimits = .standard
    ) {
        self.chainID = chainID
        self.region = region
        self.validatorIndex = validatorIndex
        self.validators = validators
        self.key = key
        self.timing = timing
        self.mempool = mempool
        self.contracts = contracts
        self.verifier = verifier
        self.genesis = genesis
        self.behavior = behavior
        self.global = global
        self.wireLimits = wireLimits
    }

    public var address: NodeAddress { .validator(region: region, index: validatorIndex) }

    /// The region application with the given committed state (empty at genesis).
    public func makeApplication(
        state: [String: [StateKey: [UInt8]]] = [:], stateRoot: Hash256 = .zero
    ) -> RegionApplication {
        RegionApplication(
            configuration: mempool, contracts: contracts, verifier: verifier, committedState: state,
            committedStateRoot: stateRoot)
    }
}

/// How a region validator reaches the global committee.
public struct GlobalLink: Sendable {
    /// The committee's keys from genesis: every checkpoint must carry a quorum of them.
    public var committeeGenesis: RegionGenesis
    public var membersCount: Int { committeeGenesis.validators.count }
    /// Entries not final after this long are sent again; relays likewise.
    public var resendIntervalNanos: UInt64

    public init(committeeGenesis: RegionGenesis, resendIntervalNanos: UInt64) {
        self.committeeGenesis = committeeGenesis
        self.resendIntervalNanos = resendIntervalNanos
    }

    /// Duties run on a tick of a twentieth of the resend interval: fine enough that a gap is asked for a quarter
    /// interval after it shows, coarse enough to cost little.
    public var dutyTickNanos: UInt64 { max(1_000_000, resendIntervalNanos / DutyTicks.perResendInterval) }
}

enum DutyTicks {
    static let perResendInterval: UInt64 = 20
    static let quarterInterval: UInt64 = perResendInterval / 4
}

/// One region validator as a runtime sees it: the sans-IO `RegionNode` (replica, mempool, contracts), its store,
/// and its duties towards the global layer. The runtime brings inputs (frames, client transactions, timers) and
/// carries out the `NodeOutput`; everything else, encoding and decoding included, happens here, the same for the
/// simulator and a live process.
public final class RegionValidator: NodeHost {
    public let configuration: RegionValidatorConfiguration
    public private(set) var node: RegionNode
    let store: any RegionStore
    var duties: RegionGlobalDuties
    var finalityNotices = FinalityNotices()
    /// Measure the store writes' thread CPU time (the simulator's measured mode).
    public var measuresStoreCPU = false

    public var address: NodeAddress { configuration.address }
    public var replica: Replica<RegionApplication> { node.replica }
    public var app: RegionApplication { node.app }
    public var mempool: Mempool { node.mempool }
    /// Builds the validator from its store: genesis on a fresh start (written first), else the last committed
    /// block, its certificate, every contract table the store holds and the persisted safety state.
    public init(configuration: RegionValidatorConfiguration, store: any RegionStore, fresh: Bool) throws {
        self.configuration = configuration
        self.store = store
        let address = configuration.address
        func attempt<T>(_ operation: String, _ body: () throws -> T) throws -> T {
            try storeCall(address, operation, body)
        }
        let genesis = configuration.genesis
        if fresh {
            try attempt("write genesis") {
                try store.commit(
                    [
                        BlockCommit(
                            block: Block(header: genesis.header, transactions: []), certificate: nil, receipts: [],
                            stateChanges: StateChanges())
                    ], meta: [:])
            }
        }
        let latest = try attempt("read latest height") { try store.latestHeight } ?? 0
        let region = RegionID(configuration.region)
        let genesisCertificate = QuorumCertificate.genesis(
            chainID: configuration.chainID, region: region, genesisHash: genesis.hash)
        var tip = genesis
        var tipCertificate = genesisCertificate
        var state: [String: [StateKey: [UInt8]]] = [:]
        if latest > 0 {
            tip = try attempt("read block \(latest)") {
                try Self.loadBlock(store: store, height: latest, configuration: configuration)
            }
            tipCertificate =
                try attempt("read certificate \(latest)") { try store.certificate(atHeight: latest) }
                ?? genesisCertificate
            for table in try attempt("list contract tables", { try store.contractTables() }) {
                var entries: [StateKey: [UInt8]] = [:]
                for entry in try attempt("read table \(table)", { try store.allState(contract: table) }) {
                    entries[StateKey(entry.key)] = entry.value
                }
                if !entries.isEmpty { state[table] = entries }
            }
        }
        let safety = try attempt("read safety state") {
            try store.meta("safety").map { try SafetyState(decoding: $0) }
        }
        let app = configuration.makeApplication(state: state, stateRoot: tip.header.stateRoot)
        let replicaConfiguration = ReplicaConfiguration(
            chainID: configuration.chainID, region: region, validators: configuration.validators,
            selfIndex: configuration.validatorIndex, timing: configuration.timing, genesisHash: genesis.hash,
            behavior: configuration.behavior)
        let replica = Replica(
            configuration: replicaConfiguration, key: configuration.key, app: app, verifier: configuration.verifier,
            committedTip: tip, certificate: tipCertificate, safety: safety)
        node = RegionNode(replica: replica)
        // The first checkpoint a restarted validator sees becomes its new starting point; its peers relay what it
        // missed. The entries the committee has not made final are rebuilt from the store: if every validator of
        // the region restarted at once, nobody else holds them.
        duties = RegionGlobalDuties()
        duties.awaitingBaseline = !fresh
        duties.relayNonce = app.committedNonces(configuration.key.publicKey).highest
        if !fresh, configuration.global != nil {
            duties.restoreLosses = try attempt("rebuild unsent global entries") {
                try Self.restoreUnfinalized(into: &duties, store: store, latest: latest, configuration: configuration)
            }
        }
    }

    /// Puts the entries of the committed blocks above the stored finalized height back into `duties.unfinalized`,
    /// oldest first, each checked against its header's `outboxRoot`. Stops at the first block it cannot rebuild
    /// (no certificate, or no outbox record where the header says there is an outbox) or at the bound; returns
    /// what it could not restore, to be reported as losses once the node runs.
    static func restoreUnfinalized(
        into duties: inout RegionGlobalDuties, store: any RegionStore, latest: UInt64,
        configuration: RegionValidatorConfiguration
    ) throws -> [NodeLoss] {
        let finalized = try store.meta(GlobalRecords.finalizedKey).map { try GlobalRecords.decodeHeight($0) } ?? 0
        duties.finalizedHeight = finalized
        guard latest > finalized else { return [] }
        let limits = CheckpointLimits()
        for height in (finalized + 1)...latest {
            guard duties.unfinalized.count < RegionGlobalDuties.unfinalizedMax else { return [.unfinalizedFull] }
            guard let block = try store.block(atHeight: height),
                let certificate = try store.certificate(atHeight: height)
            else { return [.storeReadFailed] }
            var outbox: [OutboxMessage] = []
            if block.header.outboxRoot != Merkle.emptyRoot {
                guard let bytes = try store.meta(GlobalRecords.outboxKey(height)) else { return [.storeReadFailed] }
                outbox = try GlobalRecords.decodeOutbox(bytes, height: height, limits: limits)
                guard RegionCommitEntry.outboxRoot(of: outbox) == block.header.outboxRoot else {
                    return [.storeReadFailed]
                }
            }
            let entry = RegionCommitEntry(header: block.header, certificate: certificate, outbox: outbox)
            duties.unfinalized.append(.init(entry: entry, lastSentTick: 0))
        }
        return []
    }

    /// A committed block as stored, with the certificate of its parent as its justify QC.
    static func loadBlock(
        store: any RegionStore, height: UInt64, configuration: RegionValidatorConfiguration
    ) throws -> ProposedBlock<RegionPayload> {
        guard let block = try store.block(atHeight: height) else { throw MissingRecord("block \(height)") }
        let justify: QuorumCertificate
        if height == 1 {
            justify = .genesis(
                chainID: configuration.chainID, region: RegionID(configuration.region),
                genesisHash: configuration.genesis.hash)
        } else if let certificate = try store.certificate(atHeight: height - 1) {
            justify = certificate
        } else {
            throw MissingRecord("certificate of block \(height - 1)")
        }
        return ProposedBlock(
            header: block.header, payload: RegionPayload(transactions: block.transactions.map(PooledTransaction.init)),
            justify: justify)
    }

    public func close() { store.close() }

    public var storeWriteStatistics: WriteStatistics { store.writeStatistics }
    public var pooledTransactions: Int { node.mempool.count }

    // MARK: - Inputs

    /// Handles one input. Throws only when the store fails: the node must then stop.
    public func handle(_ input: NodeInput) throws -> NodeOutput {
        try observingRounds { output in
            try handleInput(input, &output)
        }
    }

    private func handleInput(_ input: NodeInput, _ output: inout NodeOutput) throws {
        switch input {
        case .start:
            for loss in duties.restoreLosses { output.observations.append(.lost(loss)) }
            duties.restoreLosses = []
            try drive(.start, &output)
            if let link = configuration.global { output.timers.append((.duties, link.dutyTickNanos)) }
        case .client(let id, let bytes):
            try drive(.client(id, bytes: bytes), &output)
        case .clientRead(let id, let read):
            output.readAnswers.append((id, answer(read, &output.work)))
        case .timer(.region(let timer)):
            try drive(.timer(timer), &output)
        case .timer(.duties):
            try runDuties(&output)
        case .timer(.global):
            output.observations.append(.lost(.unexpectedMessage))
        case .frame(let from, let bytes):
            try receive(bytes, from: from, &output)
        }
    }

    private func receive(_ bytes: [UInt8], from sender: NodeAddress, _ output: inout NodeOutput) throws {
        guard let message = decodeFrame(bytes, from: sender, limits: configuration.wireLimits, &output) else {
            return
        }
        switch (message, sender) {
        case (.regionConsensus(let consensus), .validator(let region, let index))
        where region == configuration.region && index != configuration.validatorIndex:
            try drive(.peer(from: index, .consensus(consensus)), &output)
        case (.gossip(let batch), .validator(let region, let index))
        where region == configuration.region && index != configuration.validatorIndex:
            try drive(.peer(from: index, .gossip(batch)), &output)
        case (.checkpoint(let notice, let forwarded), _):
            let fromMember: Int?
            if case .member(let member) = sender { fromMember = member } else { fromMember = nil }
            try receiveCheckpoint(notice, forwarded: forwarded, fromMember: fromMember, &output)
        case (.missingEntries(let region, let fromHeight), .member(let member))
        where Int(region) == configuration.region:
            answerMissingEntries(member: member, fromHeight: fromHeight, &output)
        default:
            output.observations.append(.lost(.unexpectedMessage))
            output.observations.append(.rejected(from: sender, ConsensusRejection("unexpected-message")))
        }
    }

    /// Committed state only: a client must never see a value that a view change could still take back.
    private func answer(_ read: ClientRead, _ work: inout Work) -> ClientReadAnswer {
        guard app.runs(contract: read.contract) else { return .rejected("unknown-contract") }
        let table = app.committedState[read.contract] ?? [:]
        let values = read.keys.map { table[StateKey($0)] }
        work.decodedBytes += read.keys.reduce(0) { $0 + $1.count }
        return .values(height: replica.committedHeight, values)
    }

    // MARK: - Interpreting the region node's actions

    func drive(_ event: RegionEvent, _ output: inout NodeOutput) throws {
        var actions = node.handle(event, work: &output.work)
        try interpret(&actions, &output)
    }

    /// Carries out the replica's actions. The event's writes (the safety record, the blocks it committed) are
    /// gathered and made durable in one write transaction, one fsync, before anything the event produced leaves
    /// the node: a vote never leaves before its safety record, a reply never before its block.
    private func interpret(_ actions: inout [RegionAction], _ output: inout NodeOutput) throws {
        let region = configuration.region
        var pending = PendingWrite()
        var proposalsFiredNow = 0
        var index = 0
        while index < actions.count {
            switch actions[index] {
            case .send(let to, let message):
                let frame = encode(message, &output)
                output.sends.append(
                    Outgoing(to: .validator(region: region, index: to), frame: frame, urgent: message.isConsensus))
            case .broadcast(let message):
                let frame = encode(message, &output)
                for peer in 0..<configuration.validators.count where peer != configuration.validatorIndex {
                    output.sends.append(
                        Outgoing(
                            to: .validator(region: region, index: peer), frame: frame, urgent: message.isConsensus))
                }
            case .setTimer(.consensus(.propose(let round)), let after)
            where !pending.commits.isEmpty && after <= configuration.proposeWithinWriteNanos && proposalsFiredNow < 2:
                // See `proposeWithinWriteNanos`. The bound stops a timer handler that re-arms itself from looping.
                proposalsFiredNow += 1
                actions.append(contentsOf: node.handle(.timer(.consensus(.propose(round))), work: &output.work))
            case .setTimer(let timer, let after):
                output.timers.append((.region(timer), after))
            case .reply(let id, let reply):
                output.replies.append((id, reply))
                if configuration.finalityNotices, configuration.global != nil {
                    switch reply {
                    case .committed(let height), .failed(let height, _):
                        finalityNotices.committed(
                            id, height: height, finalizedHeight: duties.finalizedHeight, &output)
                    case .rejected, .busy, .finalized:
                        break
                    }
                }
            case .localRefused(let reason):
                output.observations.append(.lost(.relayRefused(reason)))
            case .persistSafety(let state):
                // A later record in the same event supersedes this one: rounds only grow.
                pending.safety = state.encoded()
            case .persistCommit(let block, let commitOutput):
                // The global layer's records ride in the block's own write transaction, so a crash never keeps
                // one without the other. They are a few dozen bytes next to the block and, like its certificate
                // and receipts, not in the size `flush` prices (LMDB's measured write statistics include them).
                var commit = commitOutput.commit
                if configuration.global != nil {
                    commit.metaRecords[GlobalRecords.finalizedKey] = GlobalRecords.encode(
                        height: duties.finalizedHeight)
                    if !commitOutput.outbox.isEmpty {
                        commit.metaRecords[GlobalRecords.outboxKey(block.height)] = GlobalRecords.encode(
                            outbox: commitOutput.outbox)
                    }
                }
                pending.commits.append((block, commitOutput, commit))
            case .loadCommittedBlocks(let peer, let fromHeight, let count):
                // Answer from a store that holds what this event committed so far.
                try flush(&pending, &output)
                var blocks: [ProposedBlock<RegionPayload>] = []
                for height in fromHeight..<(fromHeight + UInt64(count)) {
                    // The answer ends at the first block this store cannot give; the peer asks again from there. A
                    // read that fails (rather than finds nothing) is counted.
                    do {
                        let block = try Self.loadBlock(store: store, height: height, configuration: configuration)
                        output.work.decodedBytes += block.wireBytes
                        blocks.append(block)
                    } catch is MissingRecord {
                        break
                    } catch {
                        output.observations.append(.lost(.storeReadFailed))
                        break
                    }
                }
                actions.append(contentsOf: node.answerSync(peer: peer, committed: blocks))
            case .rejected(let from, let rejection):
                output.observations.append(
                    .rejected(from: from.map { .validator(region: region, index: $0) }, rejection))
            }
            index += 1
        }
        try flush(&pending, &output)
    }

    /// What one event has to write, not yet written.
    private struct PendingWrite {
        var safety: [UInt8]?
        var commits: [(block: ProposedBlock<RegionPayload>, output: RegionCommitOutput, commit: BlockCommit)] = []
        var isEmpty: Bool { safety == nil && commits.isEmpty }
    }

    private func flush(_ pending: inout PendingWrite, _ output: inout NodeOutput) throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = PendingWrite()
        let heights = batch.commits.map(\.block.height)
        let operation: String
        switch (heights.first, heights.last) {
        case (let first?, let last?) where first == last: operation = "commit block \(first)"
        case (let first?, let last?): operation = "commit blocks \(first)-\(last)"
        default: operation = "write safety state"
        }
        let start = measuresStoreCPU ? ThreadCPUClock.nowNanos() : 0
        try write(batch.safety != nil && !heights.isEmpty ? operation + " and the safety state" : operation) {
            try store.commit(batch.commits.map(\.commit), meta: batch.safety.map { ["safety": $0] } ?? [:])
        }
        if measuresStoreCPU { output.storeCPUNanos += ThreadCPUClock.nowNanos() &- start }
        // Priced as the one transaction it is: the fixed cost once, the bytes of every record.
        output.storeWork.storeCommits += 1
        output.storeWork.storeCommitBytes += batch.safety?.count ?? 0
        for entry in batch.commits {
            output.storeWork.storeCommitBytes += 1 + BlockHeader.encodedBytes + entry.block.payload.wireBytes
        }
        output.durableWrites += 1
        for entry in batch.commits {
            output.observations.append(.committed(entry.block, entry.output))
            afterCommit(entry.block, entry.output, &output)
        }
    }

    private func encode(_ message: RegionMessage, _ output: inout NodeOutput) -> [UInt8] {
        let frame: [UInt8]
        switch message {
        case .consensus(let consensus): frame = WireCodec.encode(.regionConsensus(consensus))
        case .gossip(let batch): frame = WireCodec.encode(.gossip(batch))
        }
        output.work.encodedBytes += frame.count
        return frame
    }

    private func write(_ operation: String, _ body: () throws -> Void) throws {
        try storeCall(address, operation, body)
    }
}

struct MissingRecord: Error, CustomStringConvertible {
    let what: String
    init(_ what: String) { self.what = what }
    var description: String { "\(what) missing" }
}

extension RegionMessage {
    var isConsensus: Bool {
        if case .consensus = self { return true }
        return false
    }
}

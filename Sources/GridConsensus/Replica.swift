import GridCrypto
import GridLedger

/// Roots a block header must carry, computed by executing its payload.
public struct ExecutionRoots: Hashable, Sendable {
    public var transactionsRoot: Hash256
    public var stateRoot: Hash256
    public var receiptsRoot: Hash256
    public var outboxRoot: Hash256

    public init(transactionsRoot: Hash256, stateRoot: Hash256, receiptsRoot: Hash256, outboxRoot: Hash256) {
        self.transactionsRoot = transactionsRoot
        self.stateRoot = stateRoot
        self.receiptsRoot = receiptsRoot
        self.outboxRoot = outboxRoot
    }
}

/// What the BFT engine needs from whatever it orders: the region ledger and the global checkpoint layer both
/// plug in here. Execution is speculative (execute, then vote): a block's header commits to the state after it,
/// so a QC certifies results, not just ordering.
public protocol ReplicaApplication {
    associatedtype Payload: ConsensusPayload
    /// The speculative result of executing one block on top of its ancestors (for example a state overlay).
    associatedtype Execution
    /// What committing one block produces for the runtime (what to persist, whom to tell).
    associatedtype CommitOutput

    /// Roots of the genesis block (the state before any block).
    var genesisRoots: ExecutionRoots { get }
    /// Executes `payload` at `height` on top of the uncommitted ancestors' executions (nearest first).
    /// A payload that must not be voted for (malformed, oversized) is rejected with a reason.
    /// - Parameter itemsChecked: per item of the payload, whether this validator already checked its signatures
    ///   (the pool's `itemsChecked(in:)`); `nil` when the block already has a verified QC (it arrived by block
    ///   sync): 2f+1 validators executed it, at least f+1 of them honest, so no per-item check is needed.
    mutating func execute(
        payload: Payload, height: UInt64, ancestors: [Execution], itemsChecked: [Bool]?, work: inout Work
    ) -> Result<Execution, ConsensusRejection>

    func roots(of execution: Execution) -> ExecutionRoots

    /// Makes a block final; called exactly once per height, in height order.
    mutating func commit(
        block: ProposedBlock<Payload>, execution: Execution, certificate: QuorumCertificate, work: inout Work
    ) -> CommitOutput
}

extension ReplicaApplication {
    /// Executes a block that is not yet certified and none of whose items were checked before: everything is
    /// checked.
    public mutating func execute(
        payload: Payload, height: UInt64, ancestors: [Execution], work: inout Work
    ) -> Result<Execution, ConsensusRejection> {
        execute(payload: payload, height: height, ancestors: ancestors, itemsChecked: [], work: &work)
    }
}

/// Why a message or block was refused. Kept as text plus a stable code so tests and reports can count them.
public struct ConsensusRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let detail: String

    public init(_ code: String, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? code : "\(code): \(detail)" }
}

public struct ConsensusTiming: Hashable, Sendable {
    public var blockIntervalNanos: UInt64
    public var viewTimeoutNanos: UInt64
    public var viewTimeoutBackoff: Double
    public var viewTimeoutMaxNanos: UInt64
    /// Most blocks in one sync response; a lagging node asks again for the rest.
    public var syncBlocksMax: Int

    public init(
        blockIntervalNanos: UInt64 = 20_000_000, viewTimeoutNanos: UInt64 = 500_000_000,
        viewTimeoutBackoff: Double = 2, viewTimeoutMaxNanos: UInt64 = 10_000_000_000, syncBlocksMax: Int = 32
    ) {
        self.blockIntervalNanos = blockIntervalNanos
        self.viewTimeoutNanos = viewTimeoutNanos
        self.viewTimeoutBackoff = viewTimeoutBackoff
        self.viewTimeoutMaxNanos = viewTimeoutMaxNanos
        self.syncBlocksMax = syncBlocksMax
    }
}

/// Deliberate misbehaviour, for tests and fault schedules only.
public enum ByzantineBehavior: Hashable, Sendable {
    case honest
    /// As leader, send one block to half the validators and a different block for the same round to the rest,
    /// and vote for both.
    case equivocatingLeader
}

public struct ReplicaConfiguration: Sendable {
    public var chainID: ChainID
    public var region: RegionID
    public var validators: ValidatorSet
    public var selfIndex: Int
    public var timing: ConsensusTiming
    public var behavior: ByzantineBehavior
    /// The instance's genesis block; the vote-less genesis certificate is valid for this hash only.
    public var genesisHash: Hash256

    public init(
        chainID: ChainID, region: RegionID, validators: ValidatorSet, selfIndex: Int, timing: ConsensusTiming,
        genesisHash: Hash256, behavior: ByzantineBehavior = .honest
    ) {
        precondition(validators.keys.indices.contains(selfIndex), "selfIndex must name a validator")
        self.genesisHash = genesisHash
        self.chainID = chainID
        self.region = region
        self.validators = validators
        self.selfIndex = selfIndex
        self.timing = timing
        self.behavior = behavior
    }
}

/// What must survive a crash for this validator never to vote twice in a round.
public struct SafetyState: Hashable, Sendable {
    public var lastVotedRound: UInt64
    public var highQC: QuorumCertificate

    public init(lastVotedRound: UInt64, highQC: QuorumCertificate) {
        self.lastVotedRound = lastVotedRound
        self.highQC = highQC
    }
}

public enum ReplicaTimer: Hashable, Sendable {
    /// The round did not make progress in time.
    case round(UInt64)
    /// The leader's block interval elapsed.
    case propose(UInt64)
}

public enum ReplicaEvent<Payload: ConsensusPayload>: Sendable {
    case start
    case message(from: Int, ConsensusMessage<Payload>)
    case timer(ReplicaTimer)
    /// The node admitted work into its pool (a leader may propose early; see `Replica.handle`).
    case poolGrew
}

public enum ReplicaAction<App: ReplicaApplication> {
    case send(to: Int, ConsensusMessage<App.Payload>)
    case broadcast(ConsensusMessage<App.Payload>)
    case setTimer(ReplicaTimer, afterNanos: UInt64)
    /// Must be durable before any later action in the same list is carried out.
    case persistSafety(SafetyState)
    case committed(ProposedBlock<App.Payload>, certificate: QuorumCertificate, output: App.CommitOutput)
    /// The runtime reads committed blocks `fromHeight...` (at most `count`) from storage and hands them back
    /// through `Replica.answerSync(peer:committed:)`.
    case loadCommittedBlocks(peer: Int, fromHeight: UInt64, count: Int)
    case rejected(from: Int?, ConsensusRejection)
}

/// A committed block as read back from storage, with the certificate of its parent (its justify QC).
public struct StoredBlock<Payload: ConsensusPayload>: Sendable {
    public let block: ProposedBlock<Payload>
    public init(block: ProposedBlock<Payload>) { self.block = block }
}

/// One validator of a Jolteon-style (DiemBFT v4) BFT instance: two-chain commit, round-robin leaders, timeout
/// certificates for view change, execute-then-vote, catch-up by block sync. Deterministic: no clock, socket,
/// thread or random source; `handle` takes an event and returns the actions to perform, in order.
public struct Replica<App: ReplicaApplication> {
    public typealias Payload = App.Payload
    public typealias Action = ReplicaAction<App>

    private struct TreeNode {
        let block: ProposedBlock<Payload>
        let execution: App.Execution
        /// Voters of the QCs of this block's last `reputationWindow` ancestors (nearest first), for leader election.
        let voterWindow: [[UInt16]]
    }

    public let configuration: ReplicaConfiguration
    public private(set) var app: App
    private let key: KeyPair
    private let verifier: any SignatureVerifying

    /// Uncommitted blocks by hash; the committed tip is kept apart and is the root of this tree.
    private var tree: [Hash256: TreeNode] = [:]
    public private(set) var committedTip: ProposedBlock<Payload>
    private var committedTipVoterWindow: [[UInt16]] = []
    public private(set) var highQC: QuorumCertificate
    public private(set) var currentRound: UInt64 = 0
    public private(set) var lastVotedRound: UInt64
    private var consecutiveTimeouts = 0
    /// The round this replica last voted in and the validator its vote went to (the next round's leader).
    private var lastVote: (round: UInt64, collector: Int)?
    /// The block this replica last proposed (in round `proposedInRound`).
    private var lastProposalHash: Hash256?
    /// View changes: rounds entered through a timeout certificate rather than a QC.
    public private(set) var roundsAdvancedByTimeout = 0
    private var lastTimeoutCertificate: TimeoutCertificate?
    private var proposedInRound: UInt64 = 0
    private var proposeAttempts = 0
    /// This validator committed a non-empty block that the others learn about only from the QC in its next
    /// proposal: as leader it should propose promptly rather than wait for the idle heartbeat.
    private var commitToAnnounce = false

    /// Votes collected as the next leader: round -> block hash -> voter -> vote.
    private var votes: [UInt64: [Hash256: [UInt16: CertificateVote]]] = [:]
    private var timeouts: [UInt64: [UInt16: TimeoutMessage]] = [:]
    private var timedOutRound: UInt64 = 0
    /// The last timeout this replica sent, kept to answer a validator still in that round (see `onTimeout`), and
    /// whom it answered already, once per validator and round.
    private var lastTimeoutSent: TimeoutMessage?
    private var staleTimeoutsAnswered: [Int: UInt64] = [:]
    /// Certificates already checked, so a QC carried by many messages is verified once.
    private var verifiedCertificates: Set<Hash256> = []
    private var stashedProposal: (from: Int, proposal: Proposal<Payload>)?
    /// A sync request is out; another is sent only after an answer that brought blocks or certificates, a round
    /// timeout, or `syncRetryRounds` (a lagging validator sees many rounds go by, and each answer may carry
    /// megabytes).
    private var syncInFlight = false
    /// The round in which the outstanding sync request was sent, and how many were sent (to rotate peers).
    private var syncRequestRound: UInt64 = 0
    private var syncAttempts = 0
    /// Rounds after which an unanswered sync request counts as lost.
    public static var syncRetryRounds: UInt64 { 3 }

    /// How far ahead of the current round timeouts are kept; bounds memory against a flood of future rounds.
    public static var futureRoundWindow: UInt64 { 64 }
    public static var verifiedCertificatesMax: Int { 4096 }

    public var committedHeight: UInt64 { committedTip.height }

    /// Blocks whose QC voters decide who may lead. One: the leader of the next round comes from the 2f+1 voters of
    /// the parent's QC, so a crashed or cut-off validator stops being chosen as soon as one certificate forms
    /// without it (measured: a leader crash then costs one view timeout instead of two per rotation). The price
    /// is that a validator that is always the last to vote never leads, which only changes who leads.
    public var reputationWindow: Int { 1 }

    /// Leader reputation (after DiemBFT v4): the leader of `round` is chosen round-robin among the validators
    /// that voted in the QCs of the last `reputationWindow` blocks of the chain ending at `parent`. Proposer and
    /// voters evaluate it on the same chain (the one the proposal extends), so they agree; while that chain is
    /// shorter than the window, or too few validators were active, plain round-robin over all validators applies.
    /// Who leads affects liveness only: safety rests on the voting rules.
    ///
    /// Reputation gives way to plain round-robin over all validators after a stall of more than
    /// `reputationGapRoundsMax` failed rounds: for a round that far past its parent's, and for the round after a
    /// block that itself came that far after its QC. The parent's voters are then evidence from before whatever
    /// stopped the chain and may name the validators that stopped it: swarm seed 2206 (7 validators, 2 crashed just
    /// after voting) kept electing leaders and vote collectors among a frozen set of 5 with both dead in it, so the
    /// region stood still for 6.3 s. After one or two failed rounds reputation still applies, since round-robin
    /// right after a single crash costs more rounds than it saves (measured on `leader-crash.yaml`: the stall
    /// lasted 3 s with round-robin from the first failed round, 1 s without). The first certificate of two
    /// consecutive rounds brings reputation back with fresh voters.
    ///
    /// The failed rounds are counted from the parent's QC, those before the parent and those after it together:
    /// swarm seed 616 (7 validators, v0 dead since 0.75 s, v6 dead just after voting) had one failed round before
    /// its parent (round 22 on the QC of round 20, whose voters included both) and two after it, each within the
    /// limit on its own, so a QC from 0.66 s still elected v0, dead since 0.75 s, to lead round 25 at 2.28 s.
    ///
    /// A round that follows a timeout takes the next place in the rotation (`rotationPlace`): the collector of
    /// the round that failed is the validator whose place the next round would otherwise take, and it may be why
    /// the round failed.
    public func leader(ofRound round: UInt64, extending parent: Hash256) -> Int {
        let parentBlock = parent == committedTip.hash ? committedTip : tree[parent]?.block
        // Without the block, only the highest QC's round is known: a replica syncing it takes the rotation.
        let parentRound = parentBlock?.round ?? (parent == highQC.blockHash ? highQC.view : round &- 1)
        let place = Self.rotationPlace(ofRound: round, parentRound: parentRound)
        // Failed rounds since the certificate whose voters would elect: after the parent's and before it, together
        // (every round strictly between that QC's round and `round` except the parent's own).
        guard let parentBlock, round > parentBlock.round, parentBlock.round > parentBlock.justify.view,
            round - parentBlock.justify.view - 2 <= Self.reputationGapRoundsMax
        else { return validators.leader(ofRound: place) }
        let window = parent == committedTip.hash ? committedTipVoterWindow : tree[parent]?.voterWindow ?? []
        guard window.count >= reputationWindow else { return validators.leader(ofRound: place) }
        var active = Set<UInt16>()
        for voters in window { active.formUnion(voters) }
        guard active.count >= validators.quorum else { return validators.leader(ofRound: place) }
        let ordered = active.sorted()
        return Int(ordered[Int(place % UInt64(ordered.count))])
    }

    /// The place of `round` in the leader rotation: the round itself when its proposal extends the previous round's
    /// QC, the round after it when it follows a timeout. Votes of a round go to the leader of the next, so a
    /// validator that is down would otherwise cost two rounds in a row, the one it collects and the one it leads
    /// (swarm seed 8924: 4 validators, one dead, four capped timeouts after the heal). With the shift, the round
    /// after a failed one is led by the validator after that round's collector, and that leader also collects its
    /// own round's votes (it leads the next round on their QC), so a dead validator costs one round.
    static func rotationPlace(ofRound round: UInt64, parentRound: UInt64) -> UInt64 {
        parentRound &+ 1 == round ? round : round &+ 1
    }

    /// Failed rounds since a parent's QC after which leader reputation stops trusting that QC's voters.
    public static var reputationGapRoundsMax: UInt64 { 2 }

    /// Empty for a block that came more than `reputationGapRoundsMax` rounds after its QC: see `leader`.
    private func voterWindow(for block: ProposedBlock<Payload>) -> [[UInt16]] {
        guard block.round > block.justify.view, block.round - block.justify.view - 1 <= Self.reputationGapRoundsMax
        else { return [] }
        let parentWindow =
            block.parentHash == committedTip.hash ? committedTipVoterWindow : tree[block.parentHash]?.voterWindow ?? []
        return [block.justify.votes.map(\.validatorIndex)] + parentWindow.prefix(reputationWindow - 1)
    }

    /// The validator this replica's progress waits on now: the leader of the current round until its proposal is
    /// out (this replica proposed it, or voted for it), then the leader of the next round, who collects the votes
    /// (leader reputation included). A crash of this validator costs the round a timeout; a crash of any other
    /// costs nothing at once.
    public var awaitedLeader: Int {
        if proposedInRound == currentRound, let lastProposalHash {
            return leader(ofRound: currentRound + 1, extending: lastProposalHash)
        }
        if let lastVote, lastVote.round == currentRound { return lastVote.collector }
        return leader(ofRound: currentRound, extending: highQC.blockHash)
    }

    /// How far this replica is in the current round: 0 waiting for a proposal, 1 voted, 2 proposed. With the round,
    /// it says whose `awaitedLeader` is the freshest.
    public var roundProgress: Int {
        if proposedInRound == currentRound, lastProposalHash != nil { return 2 }
        if let lastVote, lastVote.round == currentRound { return 1 }
        return 0
    }

    public var safetyState: SafetyState { SafetyState(lastVotedRound: lastVotedRound, highQC: highQC) }
    public var uncommittedBlockCount: Int { tree.count }

    /// This validator leads the current round and is waiting for the idle heartbeat because nothing was pending:
    /// new work should wake it (`.poolGrew`).
    public var isAwaitingWork: Bool {
        proposeAttempts == 1 && proposedInRound < currentRound
    }

    /// The deterministic genesis block of an instance.
    public static func genesisBlock(
        chainID: ChainID, region: RegionID, validators: ValidatorSet, roots: ExecutionRoots, emptyPayload: Payload
    ) -> ProposedBlock<Payload> {
        let header = BlockHeader(
            chainID: chainID, region: region, height: 0, view: 0, parentHash: .zero,
            transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot, receiptsRoot: roots.receiptsRoot,
            outboxRoot: roots.outboxRoot, proposer: validators.keys[0])
        return ProposedBlock(
            header: header, payload: emptyPayload,
            justify: .genesis(chainID: chainID, region: region, genesisHash: .zero))
    }

    /// A replica starting from `committedTip` (genesis on first start, the last stored block after a restart).
    /// `certificate` certifies that tip; `safety` is what was persisted before the crash, if anything.
    public init(
        configuration: ReplicaConfiguration, key: KeyPair, app: App, verifier: any SignatureVerifying,
        committedTip: ProposedBlock<Payload>, certificate: QuorumCertificate, safety: SafetyState?
    ) {
        precondition(
            configuration.validators.keys[configuration.selfIndex] == key.publicKey,
            "the key must be the validator's own")
        self.configuration = configuration
        self.key = key
        self.app = app
        self.verifier = verifier
        self.committedTip = committedTip
        var high = certificate
        if let safety, safety.highQC.view > high.view, safety.highQC.data.height <= committedTip.height + 1 {
            // A higher QC than the tip's may point at a block lost with memory; keep it only if it is the tip's.
            if safety.highQC.blockHash == committedTip.hash { high = safety.highQC }
        }
        self.highQC = high
        self.lastVotedRound = safety?.lastVotedRound ?? 0
        // The tip's own QC voters: a window of one block needs nothing older, so a restarted replica elects the
        // leaders its peers elect on top of the tip.
        committedTipVoterWindow = voterWindow(for: committedTip)
    }

    private var validators: ValidatorSet { configuration.validators }
    private var selfIndex: Int { configuration.selfIndex }

    // MARK: - Events

    /// Handles one event. `pool` is the node's pool of waiting work (a region's mempool, the committee's pending
    /// entries), lent for this call: the replica draws proposals from it and tells it what was executed and
    /// committed, but never keeps it, so whatever admits work into the pool does so without going through the
    /// replica.
    public mutating func handle(
        _ event: ReplicaEvent<Payload>, pool: inout some PayloadPool<Payload>, work: inout Work
    ) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .start:
            advanceRound(to: max(highQC.view, lastVotedRound) + 1, viaTimeout: false, &actions, &pool)
        case .message(let from, let message):
            guard validators.keys.indices.contains(from) else {
                actions.append(.rejected(from: nil, ConsensusRejection("unknown-sender", "validator index \(from)")))
                break
            }
            switch message {
            case .proposal(let proposal): onProposal(proposal, from: from, &actions, &work, &pool)
            case .vote(let vote): onVote(vote, from: from, &actions, &work, &pool)
            case .timeout(let timeout): onTimeout(timeout, from: from, &actions, &work, &pool)
            case .syncRequest(let fromHeight): onSyncRequest(fromHeight, from: from, &actions)
            case .syncResponse(let response): onSyncResponse(response, from: from, &actions, &work, &pool)
            }
        case .timer(.round(let round)):
            onRoundTimer(round, &actions, &work, &pool)
        case .timer(.propose(let round)):
            tryPropose(round: round, timerFired: true, &actions, &work, &pool)
        case .poolGrew:
            // A leader proposes at once when a full block waits, or when it was idling towards the heartbeat.
            if pool.pendingWork == .fullBlock || isAwaitingWork {
                tryPropose(round: currentRound, timerFired: false, &actions, &work, &pool)
            }
        }
        return actions
    }

    /// Finishes a `.loadCommittedBlocks` request: sends the stored blocks plus the uncommitted certified chain.
    /// Then, room permitting, the blocks that extend the highest certified one: the asker may hold a QC for one of
    /// them that this replica has not seen form (swarm seed 3352: the collector of round 64 lost the proposal, formed
    /// QC 64 from the votes, and every voter, its highest QC still 63, answered with blocks up to 63 only; it could
    /// not lead round 65, and the region lost five rounds).
    public mutating func answerSync(peer: Int, committed: [ProposedBlock<Payload>]) -> [Action] {
        let limit = configuration.timing.syncBlocksMax
        var blocks = committed
        if blocks.count < limit {
            let tail = uncommittedChain(to: highQC.blockHash).reversed()
            blocks.append(contentsOf: tail.prefix(limit - blocks.count))
        }
        if blocks.count < limit {
            // Sorted: a dictionary's order differs from process to process, and the simulator must replay.
            let children = tree.values.map(\.block).filter { $0.parentHash == highQC.blockHash }
                .sorted { ($0.round, $0.hash) < ($1.round, $1.hash) }
            blocks.append(contentsOf: children.prefix(limit - blocks.count))
        }
        return [.send(to: peer, .syncResponse(SyncResponse(blocks: blocks, highQC: highQC)))]
    }

    // MARK: - Rounds

    private func roundTimeoutNanos() -> UInt64 {
        let timing = configuration.timing
        let factor = pow(timing.viewTimeoutBackoff, Double(min(consecutiveTimeouts, 30)))
        let nanos = Double(timing.viewTimeoutNanos) * factor
        return nanos >= Double(timing.viewTimeoutMaxNanos) ? timing.viewTimeoutMaxNanos : UInt64(nanos)
    }

    private mutating func advanceRound(
        to round: UInt64, viaTimeout: Bool, _ actions: inout [Action], _ pool: inout some PayloadPool<Payload>
    ) {
        guard round > currentRound else { return }
        currentRound = round
        if viaTimeout { roundsAdvancedByTimeout += 1 }
        consecutiveTimeouts = viaTimeout ? consecutiveTimeouts + 1 : 0
        proposeAttempts = 0
        votes = votes.filter { $0.key + 1 >= round }
        timeouts = timeouts.filter { $0.key >= round }
        actions.append(.setTimer(.round(round), afterNanos: roundTimeoutNanos()))
        // Whoever leads the new round carries the QC that tells the others what committed.
        if leader(ofRound: round, extending: highQC.blockHash) != selfIndex { commitToAnnounce = false }
        scheduleProposalIfLeading(round: round, &actions, &pool)
    }

    /// Arms the propose timer of `round` when this replica leads it on its highest QC. Called on entering the round,
    /// and again when a block sync brings the block that QC certifies: without it the leader is not known yet.
    private mutating func scheduleProposalIfLeading(
        round: UInt64, _ actions: inout [Action], _ pool: inout some PayloadPool<Payload>
    ) {
        if leader(ofRound: round, extending: highQC.blockHash) == selfIndex {
            // Propose at once when a full block waits. Under light load, when uncommitted transactions are in the
            // pipeline, after a quarter interval: the two-chain rule needs two more certified rounds to commit
            // them, and those should not wait a whole interval each, yet back-to-back rounds would make blocks so
            // small that per-block work (signatures, a certificate check, an LMDB write on every validator)
            // dominates. Otherwise (idle, or a heavy load that batches well) wait one block interval.
            let pipelineBusy =
                commitToAnnounce || uncommittedChain(to: highQC.blockHash).contains { !$0.payload.isEmpty }
            let interval = configuration.timing.blockIntervalNanos
            let pending = pool.pendingWork
            let wait: UInt64 =
                pending == .fullBlock ? 0 : pipelineBusy && pending < .halfBlock ? interval / 4 : interval
            actions.append(.setTimer(.propose(round), afterNanos: wait))
        }
    }

    private mutating func onRoundTimer(
        _ round: UInt64, _ actions: inout [Action], _ work: inout Work, _ pool: inout some PayloadPool<Payload>
    ) {
        guard round == currentRound else { return }
        // Re-arm so the timeout is broadcast again while the round is stuck: lost messages must not stall us.
        actions.append(.setTimer(.round(round), afterNanos: roundTimeoutNanos()))
        syncInFlight = false
        sendTimeout(round: round, &actions, &work, &pool)
    }

    private mutating func sendTimeout(
        round: UInt64, _ actions: inout [Action], _ work: inout Work, _ pool: inout some PayloadPool<Payload>
    ) {
        lastVotedRound = max(lastVotedRound, round)
        timedOutRound = max(timedOutRound, round)
        let signature = key.sign(
            TimeoutVote.signingBytes(
                chainID: configuration.chainID, region: configuration.region, round: round,
                highQCRound: highQC.view))
        work.signatures += 1
        // A validator that entered this round through a timeout certificate passes it on: the others may still sit
        // in the round before, one timeout short of their own certificate, and the validators that left that round
        // never resend their timeouts for it (found by the swarm, seed 2324).
        let message = TimeoutMessage(
            vote: TimeoutVote(round: round, highQCRound: highQC.view, voter: UInt16(selfIndex), signature: signature),
            highQC: highQC, lastTimeoutCertificate: lastTimeoutCertificate.flatMap { $0.round + 1 == round ? $0 : nil })
        actions.append(.persistSafety(safetyState))
        actions.append(.broadcast(.timeout(message)))
        lastTimeoutSent = message
        collectTimeout(message, &actions, &work, &pool)
    }

    // MARK: - Proposing

    private mutating func tryPropose(
        round: UInt64, timerFired: Bool, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        guard round == currentRound, leader(ofRound: round, extending: highQC.blockHash) == selfIndex,
            proposedInRound < round
        else {
            return
        }
        // Only a proposal the voting rule accepts: its QC from the previous round, or a TC for that round. A replica
        // that reached the round otherwise (pulled in by f+1 timeouts) would send a block no one votes for; with
        // round-robin after a stall (`leader`) such a replica can find itself leader on its stale QC.
        guard highQC.view + 1 == round || lastTimeoutCertificate.map({ $0.round + 1 == round }) == true else {
            return
        }
        guard let parent = block(withHash: highQC.blockHash) else {
            // Our highest QC certifies a block we do not have; catch up first.
            requestSync(from: Self.voters(of: highQC), targetHeight: highQC.data.height, &actions)
            return
        }
        if !timerFired && pool.pendingWork < .fullBlock {
            // Work arrived while waiting for the idle heartbeat: propose after one block interval instead.
            if proposeAttempts == 1, pool.pendingWork > .none {
                proposeAttempts = 2
                actions.append(.setTimer(.propose(round), afterNanos: configuration.timing.blockIntervalNanos))
            }
            return
        }
        let ancestors = uncommittedChain(to: parent.hash)
        let somethingToCommit = commitToAnnounce || ancestors.contains { !$0.payload.isEmpty }
        if timerFired && pool.pendingWork == .none && !somethingToCommit && proposeAttempts == 0 {
            // Idle: send a heartbeat block only when the round would otherwise be close to timing out.
            proposeAttempts += 1
            let heartbeat = configuration.timing.viewTimeoutNanos / 2
            let wait =
                heartbeat > configuration.timing.blockIntervalNanos
                ? heartbeat - configuration.timing.blockIntervalNanos : 0
            actions.append(.setTimer(.propose(round), afterNanos: wait))
            return
        }
        let payload = pool.nextPayload(ancestors: ancestors, work: &work)
        guard
            let proposed = buildBlock(
                payload: payload, parent: parent, ancestors: ancestors, round: round, &work, &pool)
        else {
            actions.append(.rejected(from: selfIndex, ConsensusRejection("own-payload-rejected")))
            return
        }
        proposedInRound = round
        lastProposalHash = proposed.hash
        commitToAnnounce = false
        let tc = lastTimeoutCertificate.flatMap { $0.round + 1 == round ? $0 : nil }
        let proposal = sign(proposed, tc: tc, &work)
        if configuration.behavior == .equivocatingLeader {
            equivocate(proposal, parent: parent, ancestors: ancestors, tc: tc, &actions, &work, &pool)
            return
        }
        actions.append(.broadcast(.proposal(proposal)))
        onProposal(proposal, from: selfIndex, &actions, &work, &pool)
    }

    private func sign(_ block: ProposedBlock<Payload>, tc: TimeoutCertificate?, _ work: inout Work) -> Proposal<Payload>
    {
        work.signatures += 1
        return Proposal(
            block: block, timeoutCertificate: tc, signature: key.sign(Proposal<Payload>.signingBytes(block.hash)))
    }

    private mutating func buildBlock(
        payload: Payload, parent: ProposedBlock<Payload>, ancestors: [ProposedBlock<Payload>], round: UInt64,
        _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) -> ProposedBlock<Payload>? {
        let executions = ancestors.compactMap { tree[$0.hash]?.execution }
        guard
            case .success(let execution) = app.execute(
                payload: payload, height: parent.height + 1, ancestors: executions,
                itemsChecked: pool.itemsChecked(in: payload), work: &work)
        else { return nil }
        pool.executed(payload, height: parent.height + 1)
        let roots = app.roots(of: execution)
        let header = BlockHeader(
            chainID: configuration.chainID, region: configuration.region, height: parent.height + 1, view: round,
            parentHash: parent.hash, transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot,
            receiptsRoot: roots.receiptsRoot, outboxRoot: roots.outboxRoot, proposer: key.publicKey)
        work.hashedBytes += BlockHeader.encodedBytes
        let block = ProposedBlock(header: header, payload: payload, justify: highQC)
        tree[block.hash] = TreeNode(block: block, execution: execution, voterWindow: voterWindow(for: block))
        return block
    }

    /// Test-only misbehaviour: a second, different block for the same round goes to half of the validators.
    private mutating func equivocate(
        _ proposal: Proposal<Payload>, parent: ProposedBlock<Payload>, ancestors: [ProposedBlock<Payload>],
        tc: TimeoutCertificate?, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        var emptyWork = Work()
        let other = pool.nextPayload(ancestors: ancestors + [proposal.block], work: &emptyWork)
        guard
            let second = buildBlock(
                payload: other, parent: parent, ancestors: ancestors, round: proposal.block.round, &work, &pool),
            second.hash != proposal.block.hash
        else {
            actions.append(.broadcast(.proposal(proposal)))
            return
        }
        let secondProposal = sign(second, tc: tc, &work)
        for peer in validators.keys.indices where peer != selfIndex {
            actions.append(.send(to: peer, .proposal(peer % 2 == 0 ? proposal : secondProposal)))
        }
        // Vote for both: exactly what an honest validator never does.
        for block in [proposal.block, second] { sendVote(for: block, &actions, &work, &pool) }
    }

    // MARK: - Receiving proposals

    private mutating func onProposal(
        _ proposal: Proposal<Payload>, from sender: Int, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        let block = proposal.block
        let round = block.round
        if let rejection = checkProposal(proposal, from: sender, &work) {
            actions.append(.rejected(from: sender, rejection))
            return
        }
        if self.block(withHash: block.parentHash) != nil,
            sender != leader(ofRound: round, extending: block.parentHash)
        {
            actions.append(
                .rejected(from: sender, ConsensusRejection("not-leader", "validator \(sender), round \(round)")))
            return
        }
        processCertificate(block.justify, &actions, &work, &pool)
        if let tc = proposal.timeoutCertificate { processTimeoutCertificate(tc, &actions, &work, &pool) }
        guard round == currentRound else {
            if round > currentRound {
                actions.append(
                    .rejected(from: sender, ConsensusRejection("round-ahead", "round \(round), at \(currentRound)")))
            }
            return
        }
        guard let parent = self.block(withHash: block.parentHash) else {
            stashedProposal = (sender, proposal)
            requestSync(from: [sender] + Self.voters(of: block.justify), targetHeight: block.height - 1, &actions)
            return
        }
        guard block.height == parent.height + 1 else {
            actions.append(.rejected(from: sender, ConsensusRejection("bad-height", "height \(block.height)")))
            return
        }
        if tree[block.hash] == nil {
            if let rejection = executeAndInsert(block, parent: parent, &work, &pool) {
                actions.append(.rejected(from: sender, rejection))
                return
            }
        }
        let tc = proposal.timeoutCertificate
        let extendsQC = block.justify.view + 1 == round
        let extendsTC = tc.map { $0.round + 1 == round && block.justify.view >= $0.highestReportedQCRound } ?? false
        guard round > lastVotedRound, extendsQC || extendsTC else {
            if round <= lastVotedRound && sender != selfIndex {
                actions.append(.rejected(from: sender, ConsensusRejection("already-voted", "round \(round)")))
            } else if !(extendsQC || extendsTC) {
                actions.append(.rejected(from: sender, ConsensusRejection("unsafe-proposal", "round \(round)")))
            }
            return
        }
        sendVote(for: block, &actions, &work, &pool)
    }

    private mutating func sendVote(
        for block: ProposedBlock<Payload>, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        lastVotedRound = max(lastVotedRound, block.round)
        let data = VoteData(
            chainID: configuration.chainID, region: configuration.region, height: block.height, view: block.round,
            blockHash: block.hash)
        work.signatures += 1
        let vote = Vote(data: data, voter: UInt16(selfIndex), signature: key.sign(data.signingBytes()))
        actions.append(.persistSafety(safetyState))
        let nextLeader = leader(ofRound: block.round + 1, extending: block.hash)
        lastVote = (round: block.round, collector: nextLeader)
        if nextLeader == selfIndex {
            onVote(vote, from: selfIndex, &actions, &work, &pool)
        } else {
            actions.append(.send(to: nextLeader, .vote(vote)))
        }
    }

    /// Stateless checks of a proposal: right leader, right instance, authentic, well-linked certificates.
    private mutating func checkProposal(
        _ proposal: Proposal<Payload>, from sender: Int, _ work: inout Work
    ) -> ConsensusRejection? {
        let block = proposal.block
        let header = block.header
        guard header.chainID == configuration.chainID, header.region == configuration.region else {
            return ConsensusRejection("wrong-instance", "chain \(header.chainID) region \(header.region)")
        }
        guard header.proposer == validators.keys[sender] else {
            return ConsensusRejection("wrong-proposer", "header names another proposer")
        }
        guard block.justify.blockHash == header.parentHash, block.justify.view < block.round else {
            return ConsensusRejection("bad-justify", "justify does not certify the parent in an earlier round")
        }
        if sender != selfIndex {
            work.signatureVerifications += 1
            work.hashedBytes += BlockHeader.encodedBytes
            guard
                verifier.verify(
                    proposal.signature, by: validators.keys[sender], of: Proposal<Payload>.signingBytes(block.hash))
            else { return ConsensusRejection("bad-signature", "proposal signature") }
        }
        if let failure = verifyCertificate(block.justify, &work) { return failure }
        if let tc = proposal.timeoutCertificate, let failure = verifyTimeoutCertificate(tc, &work) { return failure }
        return nil
    }

    private mutating func executeAndInsert(
        _ block: ProposedBlock<Payload>, parent: ProposedBlock<Payload>, certified: Bool = false, _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) -> ConsensusRejection? {
        let ancestors = uncommittedChain(to: parent.hash)
        let executions = ancestors.compactMap { tree[$0.hash]?.execution }
        let checked = certified ? nil : pool.itemsChecked(in: block.payload)
        switch app.execute(
            payload: block.payload, height: block.height, ancestors: executions, itemsChecked: checked, work: &work)
        {
        case .failure(let rejection):
            return rejection
        case .success(let execution):
            pool.executed(block.payload, height: block.height)
            let roots = app.roots(of: execution)
            let header = block.header
            guard
                roots
                    == ExecutionRoots(
                        transactionsRoot: header.transactionsRoot, stateRoot: header.stateRoot,
                        receiptsRoot: header.receiptsRoot, outboxRoot: header.outboxRoot)
            else { return ConsensusRejection("roots-mismatch", "height \(block.height)") }
            tree[block.hash] = TreeNode(block: block, execution: execution, voterWindow: voterWindow(for: block))
            return nil
        }
    }

    // MARK: - Votes and certificates

    private mutating func onVote(
        _ vote: Vote, from sender: Int, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        let data = vote.data
        guard Int(vote.voter) == sender else {
            actions.append(.rejected(from: sender, ConsensusRejection("voter-mismatch")))
            return
        }
        guard data.chainID == configuration.chainID, data.region == configuration.region else {
            actions.append(.rejected(from: sender, ConsensusRejection("wrong-instance")))
            return
        }
        // The block may not have reached us yet; then the votes are kept (bounded by the round window) and the
        // QC they form triggers a sync.
        if block(withHash: data.blockHash) != nil,
            leader(ofRound: data.view + 1, extending: data.blockHash) != selfIndex
        {
            actions.append(.rejected(from: sender, ConsensusRejection("not-next-leader", "round \(data.view)")))
            return
        }
        guard data.view + 1 >= currentRound, data.view <= currentRound + Self.futureRoundWindow else { return }
        if votes[data.view]?[data.blockHash]?[vote.voter] != nil {
            actions.append(.rejected(from: sender, ConsensusRejection("duplicate-vote", "round \(data.view)")))
            return
        }
        if sender != selfIndex {
            work.signatureVerifications += 1
            guard verifier.verify(vote.signature, by: validators.keys[sender], of: data.signingBytes()) else {
                actions.append(.rejected(from: sender, ConsensusRejection("bad-signature", "vote")))
                return
            }
        }
        votes[data.view, default: [:]][data.blockHash, default: [:]][vote.voter] = CertificateVote(
            validatorIndex: vote.voter, signature: vote.signature)
        guard let collected = votes[data.view]?[data.blockHash], collected.count == validators.quorum else { return }
        let certificate = QuorumCertificate(
            data: data, votes: collected.values.sorted { $0.validatorIndex < $1.validatorIndex })
        rememberVerified(certificate)
        processCertificate(certificate, &actions, &work, &pool)
    }

    private func certificateKey(_ certificate: QuorumCertificate) -> Hash256 {
        var hasher = Blake2bHasher()
        hasher.update(certificate.encoded())
        return hasher.finalize()
    }

    private mutating func rememberVerified(_ certificate: QuorumCertificate) {
        if verifiedCertificates.count >= Self.verifiedCertificatesMax { verifiedCertificates.removeAll() }
        verifiedCertificates.insert(certificateKey(certificate))
    }

    private mutating func verifyCertificate(_ certificate: QuorumCertificate, _ work: inout Work) -> ConsensusRejection?
    {
        if certificate.isGenesis {
            return certificate.blockHash == configuration.genesisHash
                ? nil : ConsensusRejection("bad-certificate", "genesis certificate for another block")
        }
        let key = certificateKey(certificate)
        if verifiedCertificates.contains(key) { return nil }
        if let failure = certificate.check(
            chainID: configuration.chainID, region: configuration.region, validators: validators.keys,
            verifier: verifier, &work)
        {
            return ConsensusRejection("bad-certificate", failure.description)
        }
        rememberVerified(certificate)
        return nil
    }

    /// Updates the highest QC, applies the two-chain commit rule and moves to the next round.
    private mutating func processCertificate(
        _ certificate: QuorumCertificate, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        if certificate.view > highQC.view { highQC = certificate }
        if let certified = tree[certificate.blockHash]?.block {
            // Two-chain rule: a certified block whose parent sits exactly one round earlier commits the parent.
            if certified.justify.view + 1 == certified.round, certified.parentHash != committedTip.hash,
                tree[certified.parentHash] != nil
            {
                commitChain(upTo: certified.parentHash, certificate: certified.justify, &actions, &work, &pool)
            }
        } else if certificate.blockHash != committedTip.hash && certificate.data.height > committedHeight {
            // Whoever voted for the block has it.
            requestSync(from: Self.voters(of: certificate), targetHeight: certificate.data.height, &actions)
        }
        if certificate.view >= currentRound {
            advanceRound(to: certificate.view + 1, viaTimeout: false, &actions, &pool)
        }
    }

    private mutating func commitChain(
        upTo hash: Hash256, certificate: QuorumCertificate, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        // Blocks from the committed tip (exclusive) to `hash`, oldest first, each with the QC that certifies it:
        // its child's justify, or `certificate` for the last one.
        let chain = uncommittedChain(to: hash).reversed()
        guard chain.first?.parentHash == committedTip.hash else { return }
        var certificates = chain.dropFirst().map(\.justify)
        certificates.append(certificate)
        for (block, blockCertificate) in zip(chain, certificates) {
            guard let node = tree.removeValue(forKey: block.hash) else { return }
            let output = app.commit(block: block, execution: node.execution, certificate: blockCertificate, work: &work)
            pool.committed(block.payload, height: block.height)
            committedTip = block
            committedTipVoterWindow = node.voterWindow
            if !block.payload.isEmpty { commitToAnnounce = true }
            actions.append(.committed(block, certificate: blockCertificate, output: output))
        }
        // Anything not descending from the new tip can never commit now.
        let tipHeight = committedTip.height
        tree = tree.filter { $0.value.block.height > tipHeight && descendsFromTip($0.value.block) }
    }

    private func descendsFromTip(_ block: ProposedBlock<Payload>) -> Bool {
        var current = block
        while current.height > committedTip.height + 1 {
            guard let parent = tree[current.parentHash]?.block else { return false }
            current = parent
        }
        return current.parentHash == committedTip.hash
    }

    // MARK: - Timeouts

    private mutating func onTimeout(
        _ message: TimeoutMessage, from sender: Int, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        let vote = message.vote
        guard Int(vote.voter) == sender, vote.highQCRound == message.highQC.view else {
            actions.append(.rejected(from: sender, ConsensusRejection("bad-timeout", "voter or QC round mismatch")))
            return
        }
        // A validator still timing out a round this one has left may be one timeout short of the certificate, and
        // nobody resends timeouts of a round they left: give it ours again, once (the same signed message, so it
        // promises nothing new). Without this it waits for the next round's timeouts, a whole round timer later, and
        // if it leads that round the round is lost too (found by the swarm, seed 5587).
        if vote.round < currentRound, sender != selfIndex, let mine = lastTimeoutSent, mine.vote.round == vote.round,
            staleTimeoutsAnswered[sender] != vote.round
        {
            staleTimeoutsAnswered[sender] = vote.round
            actions.append(.send(to: sender, .timeout(mine)))
        }
        guard vote.round + 1 >= currentRound, vote.round <= currentRound + Self.futureRoundWindow else { return }
        if timeouts[vote.round]?[vote.voter] != nil { return }
        work.signatureVerifications += 1
        let signed = TimeoutVote.signingBytes(
            chainID: configuration.chainID, region: configuration.region, round: vote.round,
            highQCRound: vote.highQCRound)
        guard verifier.verify(vote.signature, by: validators.keys[sender], of: signed) else {
            actions.append(.rejected(from: sender, ConsensusRejection("bad-signature", "timeout")))
            return
        }
        if let failure = verifyCertificate(message.highQC, &work) {
            actions.append(.rejected(from: sender, failure))
            return
        }
        processCertificate(message.highQC, &actions, &work, &pool)
        // Only a certificate that would move this replica is worth its signature checks.
        if let certificate = message.lastTimeoutCertificate, certificate.round >= currentRound {
            if let failure = verifyTimeoutCertificate(certificate, &work) {
                actions.append(.rejected(from: sender, failure))
                return
            }
            processTimeoutCertificate(certificate, &actions, &work, &pool)
        }
        collectTimeout(message, &actions, &work, &pool)
    }

    private mutating func collectTimeout(
        _ message: TimeoutMessage, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        let round = message.vote.round
        guard round >= currentRound else { return }
        timeouts[round, default: [:]][message.vote.voter] = message
        let collected = timeouts[round] ?? [:]
        // f+1 timeouts for a later round: an honest validator is in that round already, and this replica may never
        // see the certificate that took it there (a timeout certificate travels only in the next proposal, and the
        // others no longer answer timeouts for the rounds they left). Without joining, a region can stall for good
        // split across two rounds, neither with a quorum (found by the swarm, seed 100). Entering a round decides
        // nothing: the voting rules still guard every vote.
        if round > currentRound, collected.count >= validators.weakQuorum {
            advanceRound(to: round, viaTimeout: true, &actions, &pool)
        }
        // f+1 timeouts mean at least one honest validator gave up on the round: join it rather than wait.
        if collected.count >= validators.weakQuorum, round == currentRound, timedOutRound < round {
            sendTimeout(round: round, &actions, &work, &pool)
            return
        }
        guard collected.count >= validators.quorum, round >= currentRound else { return }
        let messages = collected.values.sorted { $0.vote.voter < $1.vote.voter }
        let high = messages.map(\.highQC).max { $0.view < $1.view } ?? highQC
        let certificate = TimeoutCertificate(round: round, votes: messages.map(\.vote), highQC: high)
        processTimeoutCertificate(certificate, &actions, &work, &pool)
    }

    private mutating func verifyTimeoutCertificate(
        _ certificate: TimeoutCertificate, _ work: inout Work
    ) -> ConsensusRejection? {
        guard certificate.votes.count >= validators.quorum else {
            return ConsensusRejection("bad-timeout-certificate", "\(certificate.votes.count) votes")
        }
        guard certificate.highQC.view == certificate.highestReportedQCRound else {
            return ConsensusRejection("bad-timeout-certificate", "high QC does not match the votes")
        }
        var seen = Set<UInt16>()
        for vote in certificate.votes {
            guard vote.round == certificate.round, Int(vote.voter) < validators.count, seen.insert(vote.voter).inserted
            else { return ConsensusRejection("bad-timeout-certificate", "vote \(vote.voter)") }
            work.signatureVerifications += 1
            let signed = TimeoutVote.signingBytes(
                chainID: configuration.chainID, region: configuration.region, round: vote.round,
                highQCRound: vote.highQCRound)
            guard verifier.verify(vote.signature, by: validators.keys[Int(vote.voter)], of: signed) else {
                return ConsensusRejection("bad-timeout-certificate", "bad signature from \(vote.voter)")
            }
        }
        return verifyCertificate(certificate.highQC, &work)
    }

    private mutating func processTimeoutCertificate(
        _ certificate: TimeoutCertificate, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        processCertificate(certificate.highQC, &actions, &work, &pool)
        guard certificate.round >= currentRound else { return }
        lastTimeoutCertificate = certificate
        advanceRound(to: certificate.round + 1, viaTimeout: true, &actions, &pool)
    }

    // MARK: - Block sync

    /// Asks `peers` for the blocks after the committed tip, up to `targetHeight`. One request at a time; one that
    /// got no answer within `syncRetryRounds` rounds is taken as lost (its peer crashed or was cut off) and the
    /// next certificate for a missing block asks again, the next voter in turn: a replica that follows rounds by QC
    /// never sees its round timer fire, so waiting for that timer would leave it behind for good.
    ///
    /// A replica at most `syncFanOutBlocksMax` blocks behind asks f+1 peers at once, so that one answers whatever f
    /// of them have failed (later answers add nothing and are skipped): it is a vote its region may need in this
    /// very round. In swarm seed 1464 such a replica asked only the crashed validator among the QC's voters and
    /// could not vote until it asked again a round timeout later, and its region, which needed its vote, lost two
    /// rounds. A longer catch-up (a restart) asks one peer, since every answer carries up to `syncBlocksMax` blocks
    /// and a second copy slowed the region down while the restarted node caught up (`leader-crash.yaml`).
    private mutating func requestSync(from peers: [Int], targetHeight: UInt64, _ actions: inout [Action]) {
        if syncInFlight, currentRound < syncRequestRound + Self.syncRetryRounds { return }
        let candidates = peers.filter { $0 != selfIndex && $0 < validators.count }
        guard !candidates.isEmpty else { return }
        let faultyMax = validators.count - validators.quorum
        let close = targetHeight <= committedHeight + Self.syncFanOutBlocksMax
        for offset in 0..<(close ? min(candidates.count, faultyMax + 1) : 1) {
            let peer = candidates[(syncAttempts + offset) % candidates.count]
            actions.append(.send(to: peer, .syncRequest(fromHeight: committedHeight + 1)))
        }
        syncAttempts += 1
        syncInFlight = true
        syncRequestRound = currentRound
    }

    /// How far behind a replica asks f+1 peers at once (`requestSync`).
    public static var syncFanOutBlocksMax: UInt64 { 4 }

    /// Whoever voted for a block has it.
    private static func voters(of certificate: QuorumCertificate) -> [Int] {
        certificate.votes.map { Int($0.validatorIndex) }
    }

    private mutating func onSyncRequest(_ fromHeight: UInt64, from sender: Int, _ actions: inout [Action]) {
        let limit = configuration.timing.syncBlocksMax
        if fromHeight <= committedHeight {
            let count = Int(min(UInt64(limit), committedHeight - fromHeight + 1))
            actions.append(.loadCommittedBlocks(peer: sender, fromHeight: fromHeight, count: count))
        } else {
            actions.append(contentsOf: answerSync(peer: sender, committed: []))
        }
    }

    private mutating func onSyncResponse(
        _ response: SyncResponse<Payload>, from sender: Int, _ actions: inout [Action], _ work: inout Work,
        _ pool: inout some PayloadPool<Payload>
    ) {
        guard response.blocks.count <= configuration.timing.syncBlocksMax else {
            actions.append(
                .rejected(from: sender, ConsensusRejection("oversized-sync", "\(response.blocks.count) blocks")))
            return
        }
        let before = (blocks: tree.count, committed: committedHeight, highQCView: highQC.view)
        // Only blocks vouched for by a QC are taken: the next block's justify, the response's highQC, or this
        // replica's own highest QC (the answering peer may not have seen that one form).
        var certifiedBy: [Hash256: QuorumCertificate] = [highQC.blockHash: highQC]
        for block in response.blocks { certifiedBy[block.justify.blockHash] = block.justify }
        certifiedBy[response.highQC.blockHash] = response.highQC
        let missingHighQCBlock = block(withHash: highQC.blockHash) == nil ? highQC.blockHash : nil
        for block in response.blocks {
            guard block.height > committedHeight, tree[block.hash] == nil else { continue }
            guard let certificate = certifiedBy[block.hash], certificate.data.height == block.height else { break }
            if let failure = verifyCertificate(certificate, &work) ?? verifyCertificate(block.justify, &work) {
                actions.append(.rejected(from: sender, failure))
                break
            }
            guard block.header.chainID == configuration.chainID, block.header.region == configuration.region,
                let parent = self.block(withHash: block.parentHash), block.height == parent.height + 1
            else { break }
            if let rejection = executeAndInsert(block, parent: parent, certified: true, &work, &pool) {
                actions.append(.rejected(from: sender, rejection))
                break
            }
            processCertificate(block.justify, &actions, &work, &pool)
        }
        // The answer's highest QC moves this replica only if it holds: a faulty peer must not push it ahead.
        if let failure = verifyCertificate(response.highQC, &work) {
            actions.append(.rejected(from: sender, failure))
        } else {
            processCertificate(response.highQC, &actions, &work, &pool)
        }
        if let missingHighQCBlock, missingHighQCBlock == highQC.blockHash, block(withHash: missingHighQCBlock) != nil {
            // The block our highest QC certifies is here at last: it may commit its parent, and it names the leader
            // of the current round, which may be this replica.
            processCertificate(highQC, &actions, &work, &pool)
            // The round was entered without the block, so its leader was taken round-robin: arm the timer only if
            // that did not already name this replica.
            if proposedInRound < currentRound,
                validators.leader(ofRound: Self.rotationPlace(ofRound: currentRound, parentRound: highQC.view))
                    != selfIndex
            {
                scheduleProposalIfLeading(round: currentRound, &actions, &pool)
            }
        }
        // Only an answer that brought something ends the request. One that brought nothing (a second copy of what
        // another peer sent, or peers that lack the block too) leaves it out until `syncRetryRounds` or the round
        // timer: otherwise each such answer let the next certificate for the missing block ask f+1 peers again,
        // whose answers did the same, and the requests doubled with every round trip. Swarm seed 213 beyond f:
        // three restarted validators had lost the block a QC certified, and one of them sent 160,000 requests in
        // 0.4 s of virtual time, 1.4 GB of queued frames.
        if tree.count != before.blocks || committedHeight != before.committed || highQC.view != before.highQCView {
            syncInFlight = false
        }
        if let stashed = stashedProposal {
            stashedProposal = nil
            if block(withHash: stashed.proposal.block.parentHash) != nil {
                onProposal(stashed.proposal, from: stashed.from, &actions, &work, &pool)
            }
        }
        if committedHeight < response.highQC.data.height, response.blocks.count == configuration.timing.syncBlocksMax {
            requestSync(from: [sender], targetHeight: response.highQC.data.height, &actions)
        }
    }

    // MARK: - Tree helpers

    private func block(withHash hash: Hash256) -> ProposedBlock<Payload>? {
        hash == committedTip.hash ? committedTip : tree[hash]?.block
    }

    /// Uncommitted blocks from `hash` back towards the committed tip (nearest first, tip excluded).
    private func uncommittedChain(to hash: Hash256) -> [ProposedBlock<Payload>] {
        var chain: [ProposedBlock<Payload>] = []
        var current = hash
        while current != committedTip.hash, let node = tree[current] {
            chain.append(node.block)
            current = node.block.parentHash
        }
        return chain
    }
}

// `pow` without importing Foundation into the core.
private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 {
        result *= base
        remaining -= 1
    }
    return result
}

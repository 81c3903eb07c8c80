import GridConsensus
import GridCrypto
import GridLedger

/// Identifies one client submission at its gateway, so the reply finds its way back.
public typealias ClientRequestID = UInt64

public enum RegionMessage: Sendable {
    case consensus(ConsensusMessage<RegionPayload>)
    /// Client transactions a gateway admitted, passed on so every validator has them before they are proposed.
    case gossip([PooledTransaction])

    public var wireBytes: Int {
        switch self {
        case .consensus(let message): return message.wireBytes
        case .gossip(let batch): return 1 + 4 + batch.reduce(0) { $0 + 4 + $1.encodedBytes }
        }
    }
}

/// What a gateway tells a client about its transaction.
public enum ClientReply: Hashable, Sendable {
    /// Refused at admission (malformed, bad signature, wrong region, replay...).
    case rejected(reason: String)
    /// The mempool is full: back-pressure, try later.
    case busy
    /// In a committed block, executed successfully.
    case committed(height: UInt64)
    /// In a committed block, but execution failed (the receipt's reason).
    case failed(height: UInt64, reason: String)
    /// Sent after `committed` or `failed`, by a gateway asked for it (`RegionValidatorConfiguration.finalityNotices`):
    /// the gateway now holds a committed checkpoint of the global committee that makes block `height` final.
    case finalized(height: UInt64)
}

public enum RegionTimer: Hashable, Sendable {
    case consensus(ReplicaTimer)
    case gossip
    /// Gossip again this gateway's own transactions still held since before the last such timer.
    case gossipResend
}

public enum RegionEvent: Sendable {
    case start
    case client(ClientRequestID, bytes: [UInt8])
    /// A transaction this validator made itself (a relay of cross-region messages): admitted like a client's, but
    /// nobody waits for a reply; the committed state says whether it took.
    case local(bytes: [UInt8])
    case peer(from: Int, RegionMessage)
    case timer(RegionTimer)
}

public enum RegionAction {
    case send(to: Int, RegionMessage)
    case broadcast(RegionMessage)
    case setTimer(RegionTimer, afterNanos: UInt64)
    case reply(ClientRequestID, ClientReply)
    /// The validator's own transaction (`RegionEvent.local`) was refused at admission.
    case localRefused(reason: String)
    /// Must be durable before later actions in the same list.
    case persistSafety(SafetyState)
    /// Write the block, certificate, receipts and state changes in one LMDB transaction.
    case persistCommit(ProposedBlock<RegionPayload>, RegionCommitOutput)
    case loadCommittedBlocks(peer: Int, fromHeight: UInt64, count: Int)
    case rejected(from: Int?, ConsensusRejection)
}

/// One region validator: the gateway (client admission, replies), the mempool, transaction gossip and the BFT
/// replica over the region application. Sans-IO like its parts.
///
/// Work flows one way: a client's bytes reach the gateway, which admits them into the mempool this node owns;
/// the replica draws its proposals from that mempool (lent to it for each event) and executes blocks through the
/// application; commits go to the store as `persistCommit` actions. Admission reads the committed nonces, but
/// nothing is admitted through the replica or the application.
public struct RegionNode {
    public private(set) var replica: Replica<RegionApplication>
    public private(set) var mempool: Mempool
    private var gossipBuffer: [PooledTransaction] = []
    private var gossipTimerArmed = false
    /// Client requests this node admitted and has not yet answered, by transaction hash. Bounded by the mempool:
    /// only admitted transactions are entered, and they leave when committed.
    private var pendingClients: [Hash256: ClientRequestID] = [:]
    /// This gateway's own admitted transactions by when they were last gossiped: since the last resend timer
    /// (`gossipedRecently`) or before it (`gossipResendDue`, oldest first). A gossip frame can be lost (seed 3786:
    /// to both honest peers at once), and a transaction that only its gateway holds is proposed only when the gateway
    /// leads. Committed ones are dropped when the timer looks at them; both lists are kept within the mempool's
    /// capacity.
    private var gossipedRecently: [Hash256] = []
    private var gossipResendDue: [Hash256] = []
    private var gossipResendTimerArmed = false

    public init(replica: Replica<RegionApplication>) {
        self.replica = replica
        self.mempool = Mempool(configuration: replica.app.configuration)
    }

    public var app: RegionApplication { replica.app }
    private var configuration: MempoolConfiguration { replica.app.configuration }

    /// The sender's window of used nonces in committed state, which admission checks first.
    private var committedNonces: (PublicKey) -> NonceWindow {
        let app = replica.app
        return { app.committedNonces($0) }
    }

    public mutating func handle(_ event: RegionEvent, work: inout Work) -> [RegionAction] {
        var actions: [RegionAction] = []
        switch event {
        case .start:
            drive(.start, &actions, &work)
        case .client(let id, let bytes):
            onClient(id, bytes, &actions, &work)
        case .local(let bytes):
            onClient(nil, bytes, &actions, &work)
        case .peer(let from, .consensus(let message)):
            drive(.message(from: from, message), &actions, &work)
        case .peer(_, .gossip(let batch)):
            onGossip(batch, &actions, &work)
        case .timer(.consensus(let timer)):
            drive(.timer(timer), &actions, &work)
        case .timer(.gossip):
            gossipTimerArmed = false
            flushGossip(&actions)
        case .timer(.gossipResend):
            resendGossip(&actions)
        }
        return actions
    }

    public mutating func answerSync(peer: Int, committed: [ProposedBlock<RegionPayload>]) -> [RegionAction] {
        var actions: [RegionAction] = []
        translate(replica.answerSync(peer: peer, committed: committed), &actions)
        return actions
    }

    /// Admits a client's transaction (`id` set) or the validator's own (`id` nil: no reply, but a refusal is
    /// reported so it is counted).
    private mutating func onClient(
        _ id: ClientRequestID?, _ bytes: [UInt8], _ actions: inout [RegionAction], _ work: inout Work
    ) {
        let (outcome, pooled) = mempool.admit(
            bytes: bytes, verifier: replica.app.verifier, nonces: committedNonces, work: &work)
        switch outcome {
        case .busy:
            if let id { actions.append(.reply(id, .busy)) } else { actions.append(.localRefused(reason: "busy")) }
        case .rejected(let reason):
            if let id {
                actions.append(.reply(id, .rejected(reason: reason)))
            } else {
                actions.append(.localRefused(reason: reason))
            }
        case .accepted(let hash):
            if let id { pendingClients[hash] = id }
            if let pooled { gossipBuffer.append(pooled) }
            noteGossiped(hash, &actions)
            if gossipBuffer.count >= configuration.gossipBatchTransactionsMax {
                flushGossip(&actions)
            } else if !gossipTimerArmed {
                gossipTimerArmed = true
                actions.append(.setTimer(.gossip, afterNanos: configuration.gossipIntervalNanos))
            }
            drive(.poolGrew, &actions, &work)
        }
    }

    private mutating func flushGossip(_ actions: inout [RegionAction]) {
        guard !gossipBuffer.isEmpty else { return }
        actions.append(.broadcast(.gossip(gossipBuffer)))
        gossipBuffer.removeAll(keepingCapacity: true)
    }

    private mutating func noteGossiped(_ hash: Hash256, _ actions: inout [RegionAction]) {
        gossipedRecently.append(hash)
        if gossipedRecently.count > configuration.capacityTransactions {
            gossipedRecently.removeAll { !mempool.contains($0) }
        }
        armGossipResend(&actions)
    }

    private mutating func armGossipResend(_ actions: inout [RegionAction]) {
        guard !gossipResendTimerArmed else { return }
        gossipResendTimerArmed = true
        actions.append(.setTimer(.gossipResend, afterNanos: configuration.gossipResendIntervalNanos))
    }

    /// Gossips again, oldest first, the gateway's transactions still held that were last sent before the previous
    /// resend timer, at most one block's worth per interval in batches a peer accepts: under overload most of what
    /// waits is merely queued, and resending all of it every interval would add a second stream of gossip. Peers
    /// that hold a transaction refuse the copy before any signature work (duplicate, or a used nonce).
    private mutating func resendGossip(_ actions: inout [RegionAction]) {
        gossipResendTimerArmed = false
        // Still held and still committable: a transaction whose nonce a committed one used stays in the pool, but
        // no peer would take it.
        let nonces = committedNonces
        let pool = mempool
        let stillPending = { (hash: Hash256) -> Bool in
            guard let pooled = pool.transaction(hash) else { return false }
            return nonces(pooled.transaction.sender).canUse(pooled.transaction.nonce)
        }
        let due = gossipResendDue.filter(stillPending)
        let resent = due.prefix(configuration.blockTransactionsMax)
        let transactions = resent.compactMap { mempool.transaction($0) }
        var start = 0
        while start < transactions.count {
            let end = min(start + configuration.gossipBatchTransactionsMax, transactions.count)
            actions.append(.broadcast(.gossip(Array(transactions[start..<end]))))
            start = end
        }
        gossipResendDue = Array(due.dropFirst(resent.count)) + gossipedRecently.filter(stillPending)
        gossipedRecently = Array(resent)
        if !gossipResendDue.isEmpty || !gossipedRecently.isEmpty { armGossipResend(&actions) }
    }

    private mutating func onGossip(_ batch: [PooledTransaction], _ actions: inout [RegionAction], _ work: inout Work) {
        // A peer's batch is bounded like our own; a larger one is refused whole rather than half-processed.
        guard batch.count <= configuration.gossipBatchTransactionsMax else {
            actions.append(.rejected(from: nil, ConsensusRejection("oversized-gossip", "\(batch.count) transactions")))
            return
        }
        let outcomes = mempool.admitBatch(
            batch, verifier: replica.app.verifier, nonces: committedNonces, work: &work)
        if outcomes.contains(where: { if case .accepted = $0 { true } else { false } }) {
            drive(.poolGrew, &actions, &work)
        }
    }

    private mutating func drive(
        _ event: ReplicaEvent<RegionPayload>, _ actions: inout [RegionAction], _ work: inout Work
    ) {
        translate(replica.handle(event, pool: &mempool, work: &work), &actions)
    }

    private mutating func translate(
        _ replicaActions: [ReplicaAction<RegionApplication>], _ actions: inout [RegionAction]
    ) {
        for action in replicaActions {
            switch action {
            case .send(let to, let message): actions.append(.send(to: to, .consensus(message)))
            case .broadcast(let message): actions.append(.broadcast(.consensus(message)))
            case .setTimer(let timer, let after): actions.append(.setTimer(.consensus(timer), afterNanos: after))
            case .persistSafety(let state): actions.append(.persistSafety(state))
            case .loadCommittedBlocks(let peer, let from, let count):
                actions.append(.loadCommittedBlocks(peer: peer, fromHeight: from, count: count))
            case .rejected(let from, let rejection): actions.append(.rejected(from: from, rejection))
            case .committed(let block, _, let output):
                actions.append(.persistCommit(block, output))
                for receipt in output.commit.receipts {
                    guard let id = pendingClients.removeValue(forKey: receipt.transactionHash) else { continue }
                    let reply: ClientReply =
                        receipt.status == .success
                        ? .committed(height: block.height) : .failed(height: block.height, reason: receipt.reason)
                    actions.append(.reply(id, reply))
                }
            }
        }
    }
}

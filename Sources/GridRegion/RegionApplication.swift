import GridConsensus
import GridCrypto
import GridLedger

/// The speculative result of executing one region block: what it would write and what it would say.
public struct RegionExecution: Sendable {
    public let changes: StateChanges
    public let receipts: [Receipt]
    public let outbox: [OutboxMessage]
    public let roots: ExecutionRoots
}

/// What committing one region block produces: the LMDB commit and each transaction's outcome.
public struct RegionCommitOutput: Sendable {
    public let commit: BlockCommit
    public let outbox: [OutboxMessage]
}

/// The region ledger as a consensus application: mempool, contracts, and the working state in memory.
///
/// Committed state lives in memory and in LMDB; LMDB is the durable copy the runtime writes from
/// `RegionCommitOutput` and reloads on restart. Uncommitted blocks are overlays (`StateChanges`) that reads walk
/// through, nearest first, so forks never touch committed state.
public struct RegionApplication: ReplicaApplication {
    public typealias Payload = RegionPayload
    public typealias Execution = RegionExecution
    public typealias CommitOutput = RegionCommitOutput

    /// System table holding each sender's `NonceWindow`.
    public static let nonceTable = "sys.nonce"

    public let configuration: MempoolConfiguration
    public private(set) var mempool: Mempool
    private let contracts: [String: any Contract]
    private let verifier: any SignatureVerifying
    public private(set) var committedState: [String: [StateKey: [UInt8]]]
    public private(set) var committedStateRoot: Hash256
    /// Transactions in executed but uncommitted blocks, by height: they are still in the pool, yet not available
    /// for the next block, which matters when deciding whether a full block is waiting.
    private var uncommittedCounts: [UInt64: Int] = [:]

    public init(
        configuration: MempoolConfiguration, contracts: [any Contract], verifier: any SignatureVerifying,
        committedState: [String: [StateKey: [UInt8]]] = [:], committedStateRoot: Hash256 = .zero
    ) {
        self.configuration = configuration
        self.mempool = Mempool(configuration: configuration)
        self.contracts = Dictionary(contracts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.verifier = verifier
        self.committedState = committedState
        self.committedStateRoot = committedStateRoot
    }

    public var genesisRoots: ExecutionRoots {
        ExecutionRoots(
            transactionsRoot: Merkle.emptyRoot, stateRoot: .zero, receiptsRoot: Merkle.emptyRoot,
            outboxRoot: Merkle.emptyRoot)
    }

    public var hasFullBlock: Bool {
        mempool.count - uncommittedCounts.values.reduce(0, +) >= configuration.blockTransactionsMax
    }

    public var hasHalfBlock: Bool {
        2 * (mempool.count - uncommittedCounts.values.reduce(0, +)) >= configuration.blockTransactionsMax
    }

    public var hasPendingWork: Bool { mempool.count > uncommittedCounts.values.reduce(0, +) }

    /// The sender's committed nonce window (empty if it never sent anything).
    public func committedNonces(_ sender: PublicKey) -> NonceWindow {
        NonceWindow(decoding: committedState[Self.nonceTable]?[StateKey(sender.bytes)])
    }

    // MARK: - Mempool entry points

    public mutating func admitClientTransaction(bytes: [UInt8], work: inout Work) -> (
        AdmissionOutcome, PooledTransaction?
    ) {
        let state = committedState
        return mempool.admit(
            bytes: bytes, verifier: verifier,
            nonces: { NonceWindow(decoding: state[Self.nonceTable]?[StateKey($0.bytes)]) }, work: &work)
    }

    public mutating func admitGossip(_ batch: [PooledTransaction], work: inout Work) -> [AdmissionOutcome] {
        let state = committedState
        return mempool.admitBatch(
            batch, verifier: verifier,
            nonces: { NonceWindow(decoding: state[Self.nonceTable]?[StateKey($0.bytes)]) }, work: &work)
    }

    public mutating func admitGossip(_ pooled: PooledTransaction, work: inout Work) -> AdmissionOutcome {
        let state = committedState
        return mempool.admit(
            pooled, verifier: verifier,
            nonces: { NonceWindow(decoding: state[Self.nonceTable]?[StateKey($0.bytes)]) }, work: &work)
    }

    // MARK: - ReplicaApplication

    public mutating func makePayload(ancestors: [ProposedBlock<RegionPayload>], work: inout Work) -> RegionPayload {
        var excluded = Set<Hash256>()
        for block in ancestors { for pooled in block.payload.transactions { excluded.insert(pooled.hash) } }
        return RegionPayload(transactions: mempool.nextBlock(excluding: excluded))
    }

    public mutating func execute(
        payload: RegionPayload, height: UInt64, ancestors: [RegionExecution], certified: Bool, work: inout Work
    ) -> Result<RegionExecution, ConsensusRejection> {
        guard payload.transactions.count <= configuration.blockTransactionsMax,
            payload.wireBytes <= configuration.blockBytesMax + 4 + 4 * payload.transactions.count
        else { return .failure(ConsensusRejection("oversized-block", "\(payload.transactions.count) transactions")) }
        var view = StateView(committed: committedState, ancestors: ancestors.map(\.changes), changes: StateChanges())
        var receipts: [Receipt] = []
        receipts.reserveCapacity(payload.transactions.count)
        var outbox: [OutboxMessage] = []
        var seen = Set<Hash256>()
        for pooled in payload.transactions {
            let transaction = pooled.transaction
            guard seen.insert(pooled.hash).inserted else {
                return .failure(ConsensusRejection("duplicate-transaction", pooled.hash.description))
            }
            guard transaction.chainID == configuration.chainID, transaction.region == configuration.region else {
                return .failure(ConsensusRejection("foreign-transaction", pooled.hash.description))
            }
            // Transactions this validator already checked (admitted, or seen in an earlier proposal) are not
            // checked again; only strangers are.
            if !certified, !mempool.wasVerified(pooled.hash) {
                work.signatureVerifications += 1
                guard verifier.verify(transaction.signature, by: transaction.sender, of: transaction.signingBytes())
                else { return .failure(ConsensusRejection("bad-transaction-signature", pooled.hash.description)) }
                mempool.noteVerified(pooled.hash)
            }
            receipts.append(apply(pooled, height: height, view: &view, outbox: &outbox, work: &work))
        }
        uncommittedCounts[height] = payload.transactions.count
        // Roots and receipts are part of the per-transaction execution price (`contractCalls`), which calibration
        // measures on this very function.
        let parentRoot = ancestors.first?.roots.stateRoot ?? committedStateRoot
        let roots = ExecutionRoots(
            transactionsRoot: Merkle.root(of: payload.transactions.map(\.hash)),
            stateRoot: view.changes.stateRoot(after: parentRoot),
            receiptsRoot: Receipt.receiptsRoot(of: receipts),
            outboxRoot: outbox.isEmpty ? Merkle.emptyRoot : Merkle.root(of: outbox.map(\.hash)))
        return .success(RegionExecution(changes: view.changes, receipts: receipts, outbox: outbox, roots: roots))
    }

    /// Runs one transaction against `view`. A failed call leaves no writes behind except the nonce, which is
    /// consumed either way so the transaction can never be replayed.
    private func apply(
        _ pooled: PooledTransaction, height: UInt64, view: inout StateView, outbox: inout [OutboxMessage],
        work: inout Work
    ) -> Receipt {
        let transaction = pooled.transaction
        var nonces = NonceWindow(decoding: view.get(Self.nonceTable, transaction.sender.bytes))
        guard nonces.canUse(transaction.nonce) else {
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: "stale-nonce")
        }
        nonces.use(transaction.nonce)
        view.set(Self.nonceTable, transaction.sender.bytes, nonces.encoded())
        guard let contract = contracts[transaction.contract] else {
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: "unknown-contract")
        }
        work.contractCalls += 1
        let (result, writes, messages) = Self.call(
            contract, transaction, region: configuration.region, height: height, base: view)
        switch result {
        case .success(let output):
            // The call's context is gone by now, so this merge mutates the block's changes in place.
            view.changes.merge(writes)
            outbox.append(contentsOf: messages)
            return Receipt(transactionHash: pooled.hash, status: .success, output: output)
        case .failure(let error):
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: error.reason)
        }
    }

    private static func call(
        _ contract: any Contract, _ transaction: Transaction, region: RegionID, height: UInt64, base: StateView
    ) -> (Result<[UInt8], ContractError>, StateChanges, [OutboxMessage]) {
        var context = ContractContext(
            region: region, height: height, sender: transaction.sender, contract: transaction.contract, base: base)
        do {
            let output = try contract.call(
                method: transaction.method, arguments: transaction.arguments, context: &context)
            return (.success(output), context.writes, context.outbox)
        } catch {
            return (.failure(error), StateChanges(), [])
        }
    }

    public func roots(of execution: RegionExecution) -> ExecutionRoots { execution.roots }

    public mutating func commit(
        block: ProposedBlock<RegionPayload>, execution: RegionExecution, certificate: QuorumCertificate,
        work: inout Work
    ) -> RegionCommitOutput {
        for change in execution.changes.sorted() {
            if let value = change.value {
                committedState[change.contract, default: [:]][StateKey(change.key)] = value
            } else {
                committedState[change.contract]?.removeValue(forKey: StateKey(change.key))
            }
        }
        committedStateRoot = execution.roots.stateRoot
        mempool.remove(block.payload.transactions.map(\.hash))
        uncommittedCounts = uncommittedCounts.filter { $0.key > block.height }
        // Writing the commit is the runtime's job (and its cost is counted where it happens).
        let ledgerBlock = Block(header: block.header, transactions: block.payload.transactions.map(\.transaction))
        return RegionCommitOutput(
            commit: BlockCommit(
                block: ledgerBlock, certificate: certificate, receipts: execution.receipts,
                stateChanges: execution.changes),
            outbox: execution.outbox)
    }
}

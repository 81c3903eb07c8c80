import GridConsensus
import GridCrypto
import GridLedger

/// A decoded, signature-checked transaction with the facts the pool needs about it.
public struct PooledTransaction: Hashable, Sendable {
    public let transaction: Transaction
    public let hash: Hash256
    public let encodedBytes: Int

    public init(transaction: Transaction, hash: Hash256, encodedBytes: Int) {
        self.transaction = transaction
        self.hash = hash
        self.encodedBytes = encodedBytes
    }

    public init(_ transaction: Transaction) {
        let bytes = transaction.encoded()
        self.init(transaction: transaction, hash: Hash256.blake2b(bytes), encodedBytes: bytes.count)
    }
}

/// A region block's payload: its transactions, in execution order.
public struct RegionPayload: ConsensusPayload {
    public var transactions: [PooledTransaction]

    public init(transactions: [PooledTransaction]) { self.transactions = transactions }

    public var wireBytes: Int { 4 + transactions.reduce(0) { $0 + 4 + $1.encodedBytes } }
    public var isEmpty: Bool { transactions.isEmpty }
    public var itemCount: Int { transactions.count }
}

public struct MempoolConfiguration: Sendable, Hashable {
    public var chainID: ChainID
    public var region: RegionID
    /// Transactions held at most; past this, admission answers "busy" instead of queueing without bound.
    public var capacityTransactions: Int
    public var transactionBytesMax: Int
    public var blockTransactionsMax: Int
    public var blockBytesMax: Int
    /// Client transactions are gossiped in batches of at most this many...
    public var gossipBatchTransactionsMax: Int
    /// ...or after this long, whichever comes first.
    public var gossipIntervalNanos: UInt64
    /// A gateway gossips its own transactions again while it still holds them this long after they were last sent
    /// (between one and two of these): a gossip frame can be lost, and a transaction only its gateway holds is
    /// proposed only when the gateway leads, which a lagging validator may never do again (leader reputation).
    public var gossipResendIntervalNanos: UInt64

    public init(
        chainID: ChainID, region: RegionID, capacityTransactions: Int = 200_000, transactionBytesMax: Int = 4096,
        blockTransactionsMax: Int = 2000, blockBytesMax: Int = 2 << 20, gossipBatchTransactionsMax: Int = 256,
        gossipIntervalNanos: UInt64 = 2_000_000, gossipResendIntervalNanos: UInt64 = 500_000_000
    ) {
        self.chainID = chainID
        self.region = region
        self.capacityTransactions = capacityTransactions
        self.transactionBytesMax = transactionBytesMax
        self.blockTransactionsMax = blockTransactionsMax
        self.blockBytesMax = blockBytesMax
        self.gossipBatchTransactionsMax = gossipBatchTransactionsMax
        self.gossipIntervalNanos = gossipIntervalNanos
        self.gossipResendIntervalNanos = gossipResendIntervalNanos
    }
}

/// Why a transaction was not admitted. `busy` is back-pressure, the rest are the transaction's own fault.
public enum AdmissionOutcome: Hashable, Sendable {
    case accepted(Hash256)
    case busy
    case rejected(String)
}

/// Pending transactions of one validator, oldest first. Sans-IO: admission decides, the node acts.
///
/// Replay protection is per sender (`NonceWindow`): a nonce the sender already used in a committed block is
/// refused, gaps are allowed (one lost transaction does not block a device's later ones), and an identical
/// transaction is never held twice.
public struct Mempool {
    public let configuration: MempoolConfiguration
    private var entries: [Hash256: PooledTransaction] = [:]
    /// Arrival order; hashes of removed transactions are skipped lazily and compacted away.
    private var order: [Hash256] = []
    private var orderHead = 0
    /// Hashes of transactions whose signatures this validator already checked (in admission or in a proposal),
    /// oldest first, at most `capacityTransactions` of them: a transaction that arrives both in a proposal and by
    /// gossip is verified once.
    private var verified: Set<Hash256> = []
    private var verifiedOrder: [Hash256] = []
    private var verifiedHead = 0
    /// Transactions in executed but uncommitted blocks, by height (a later execution at the same height, on
    /// another fork, replaces the count): they are still held, yet not available for the next block, which
    /// matters when deciding whether a full block is waiting. Bounded by the uncommitted blocks.
    private var inFlightByHeight: [UInt64: Int] = [:]

    public init(configuration: MempoolConfiguration) { self.configuration = configuration }

    /// Transactions held that executed, uncommitted blocks carry.
    public var inFlightCount: Int { inFlightByHeight.values.reduce(0, +) }

    mutating func noteInFlight(_ count: Int, height: UInt64) { inFlightByHeight[height] = count }

    mutating func clearInFlight(upTo height: UInt64) {
        inFlightByHeight = inFlightByHeight.filter { $0.key > height }
    }

    public var count: Int { entries.count }

    public func wasVerified(_ hash: Hash256) -> Bool { entries[hash] != nil || verified.contains(hash) }

    public mutating func noteVerified(_ hash: Hash256) {
        guard verified.insert(hash).inserted else { return }
        verifiedOrder.append(hash)
        if verifiedOrder.count - verifiedHead > configuration.capacityTransactions {
            verified.remove(verifiedOrder[verifiedHead])
            verifiedHead += 1
            if verifiedHead > 4096, verifiedHead * 2 > verifiedOrder.count {
                verifiedOrder.removeFirst(verifiedHead)
                verifiedHead = 0
            }
        }
    }
    public var isFull: Bool { entries.count >= configuration.capacityTransactions }
    public func contains(_ hash: Hash256) -> Bool { entries[hash] != nil }
    public func transaction(_ hash: Hash256) -> PooledTransaction? { entries[hash] }

    /// Checks and admits one client transaction from its wire bytes.
    /// - Parameter nonces: the sender's committed nonce window (from the application's state).
    public mutating func admit(
        bytes: [UInt8], verifier: any SignatureVerifying, nonces: (PublicKey) -> NonceWindow, work: inout Work
    ) -> (AdmissionOutcome, PooledTransaction?) {
        guard bytes.count <= configuration.transactionBytesMax else {
            return (.rejected("oversized"), nil)
        }
        // Back-pressure before any expensive work: a full pool must stay cheap to say no.
        guard !isFull else { return (.busy, nil) }
        work.decodedBytes += bytes.count
        let transaction: Transaction
        do {
            transaction = try Transaction(
                decoding: bytes, limits: EncodingLimits(transactionBytesMax: configuration.transactionBytesMax))
        } catch {
            return (.rejected("malformed"), nil)
        }
        work.hashedBytes += bytes.count
        let pooled = PooledTransaction(
            transaction: transaction, hash: Hash256.blake2b(bytes), encodedBytes: bytes.count)
        let outcome = admit(pooled, verifier: verifier, nonces: nonces, work: &work)
        return (outcome, outcome == .accepted(pooled.hash) ? pooled : nil)
    }

    /// Checks and admits a transaction that arrived decoded (gossip from a peer validator).
    public mutating func admit(
        _ pooled: PooledTransaction, verifier: any SignatureVerifying, nonces: (PublicKey) -> NonceWindow,
        work: inout Work
    ) -> AdmissionOutcome {
        let transaction = pooled.transaction
        guard transaction.chainID == configuration.chainID else { return .rejected("wrong-chain") }
        guard transaction.region == configuration.region else { return .rejected("wrong-region") }
        guard entries[pooled.hash] == nil else { return .rejected("duplicate") }
        guard nonces(transaction.sender).canUse(transaction.nonce) else { return .rejected("stale-nonce") }
        guard !isFull else { return .busy }
        if !verified.contains(pooled.hash) {
            work.signatureVerifications += 1
            guard verifier.verify(transaction.signature, by: transaction.sender, of: transaction.signingBytes()) else {
                return .rejected("bad-signature")
            }
            noteVerified(pooled.hash)
        }
        entries[pooled.hash] = pooled
        order.append(pooled.hash)
        return .accepted(pooled.hash)
    }

    /// Admits a batch of gossiped transactions: cheap checks first, then every signature that still needs
    /// checking in one `verifyBatch` call (which a live runtime spreads over its cores).
    public mutating func admitBatch(
        _ batch: [PooledTransaction], verifier: any SignatureVerifying, nonces: (PublicKey) -> NonceWindow,
        work: inout Work
    ) -> [AdmissionOutcome] {
        var outcomes: [AdmissionOutcome?] = Array(repeating: nil, count: batch.count)
        var pending: [Int] = []
        var seen = Set<Hash256>()
        for (index, pooled) in batch.enumerated() {
            let transaction = pooled.transaction
            if transaction.chainID != configuration.chainID {
                outcomes[index] = .rejected("wrong-chain")
            } else if transaction.region != configuration.region {
                outcomes[index] = .rejected("wrong-region")
            } else if entries[pooled.hash] != nil || !seen.insert(pooled.hash).inserted {
                outcomes[index] = .rejected("duplicate")
            } else if !nonces(transaction.sender).canUse(transaction.nonce) {
                outcomes[index] = .rejected("stale-nonce")
            } else if entries.count + pending.count >= configuration.capacityTransactions {
                outcomes[index] = .busy
            } else {
                pending.append(index)
            }
        }
        let unverified = pending.filter { !verified.contains(batch[$0].hash) }
        work.batchedSignatureVerifications += unverified.count
        let results = verifier.verifyBatch(
            unverified.map {
                let transaction = batch[$0].transaction
                return SignedMessage(
                    publicKey: transaction.sender, message: transaction.signingBytes(), signature: transaction.signature
                )
            })
        var valid = Set(pending)
        for (index, ok) in zip(unverified, results) where !ok {
            valid.remove(index)
            outcomes[index] = .rejected("bad-signature")
        }
        for index in pending where valid.contains(index) {
            let pooled = batch[index]
            noteVerified(pooled.hash)
            entries[pooled.hash] = pooled
            order.append(pooled.hash)
            outcomes[index] = .accepted(pooled.hash)
        }
        return outcomes.map { $0 ?? .rejected("internal") }
    }

    /// The oldest transactions not in `excluded`, within the block's count and byte limits.
    public func nextBlock(excluding excluded: Set<Hash256>) -> [PooledTransaction] {
        var selected: [PooledTransaction] = []
        var bytes = 0
        var index = orderHead
        while index < order.count, selected.count < configuration.blockTransactionsMax {
            defer { index += 1 }
            guard let entry = entries[order[index]], !excluded.contains(entry.hash) else { continue }
            guard bytes + entry.encodedBytes <= configuration.blockBytesMax else { break }
            bytes += entry.encodedBytes
            selected.append(entry)
        }
        return selected
    }

    /// Drops transactions that are now in a committed block.
    public mutating func remove(_ hashes: some Sequence<Hash256>) {
        for hash in hashes { entries.removeValue(forKey: hash) }
        while orderHead < order.count, entries[order[orderHead]] == nil { orderHead += 1 }
        // Compact once the dead prefix dominates, so `order` stays proportional to what is held.
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}

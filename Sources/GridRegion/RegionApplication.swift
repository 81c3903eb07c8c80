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

/// The region ledger as a consensus application: contracts and the working state in memory. It executes what
/// the replica hands it and never sees the mempool (the node's, lent to the replica as its `PayloadPool`).
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

    /// The contract through which cross-region messages enter the region: the only one whose
    /// `ContractContext.deliverInbound` requests the application honours (see `apply`).
    public static let inboundContractName = "sys.inbound"

    /// The caller identity of every call that applies a cross-region message. Contracts that take messages from
    /// other regions (the auction's `interRegionOffer`/`interRegionRequest`, voltage's `reactiveRequest`) accept
    /// this sender as their relay key; it proves the message came through `sys.inbound`, which admitted it only
    /// from a checkpoint the global committee certified.
    ///
    /// The 32 bytes are the ASCII text `GridLedger/global-layer-sender/1`. Read as an Ed25519 point encoding
    /// (RFC 8032 5.1.3: y = the little-endian integer with the top bit cleared, here < p), the curve equation
    /// gives x² = (y² - 1) / (d·y² + 1) mod p, which is not a square mod p (Euler's criterion; checked when the
    /// value was chosen). So these bytes are no point of the curve: there is no secret scalar a with a·B equal to
    /// them, nobody holds a key for them, and libsodium's `crypto_sign_verify_detached` fails to decode the key
    /// and rejects every signature (tested: random, all-zero and identity-R forgeries). A transaction claiming
    /// this sender is therefore refused at admission and at execution ("bad-transaction-signature"), and cannot
    /// be signed by anyone.
    public static let globalLayerSender: PublicKey = try! PublicKey(
        bytes: Array("GridLedger/global-layer-sender/1".utf8))

    public let configuration: MempoolConfiguration
    private let contracts: [String: any Contract]

    /// Whether this region runs a contract of that name.
    public func runs(contract name: String) -> Bool { contracts[name] != nil }
    /// The validator's signature checker, which the node's gateway uses too.
    public let verifier: any SignatureVerifying
    public private(set) var committedState: [String: [StateKey: [UInt8]]]
    public private(set) var committedStateRoot: Hash256

    public init(
        configuration: MempoolConfiguration, contracts: [any Contract], verifier: any SignatureVerifying,
        committedState: [String: [StateKey: [UInt8]]] = [:], committedStateRoot: Hash256 = .zero
    ) {
        self.configuration = configuration
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

    /// The sender's committed nonce window (empty if it never sent anything).
    public func committedNonces(_ sender: PublicKey) -> NonceWindow {
        NonceWindow(decoding: committedState[Self.nonceTable]?[StateKey(sender.bytes)])
    }

    // MARK: - ReplicaApplication

    public mutating func execute(
        payload: RegionPayload, height: UInt64, ancestors: [RegionExecution], itemsChecked: [Bool]?,
        work: inout Work
    ) -> Result<RegionExecution, ConsensusRejection> {
        guard payload.transactions.count <= configuration.blockTransactionsMax,
            payload.wireBytes <= configuration.blockBytesMax + 4 + 4 * payload.transactions.count
        else { return .failure(ConsensusRejection("oversized-block", "\(payload.transactions.count) transactions")) }
        var view = StateView(committed: committedState, ancestors: ancestors.map(\.changes), changes: StateChanges())
        var receipts: [Receipt] = []
        receipts.reserveCapacity(payload.transactions.count)
        var outbox: [OutboxMessage] = []
        var seen = Set<Hash256>(minimumCapacity: payload.transactions.count)
        for (index, pooled) in payload.transactions.enumerated() {
            let transaction = pooled.transaction
            guard seen.insert(pooled.hash).inserted else {
                return .failure(ConsensusRejection("duplicate-transaction", pooled.hash.description))
            }
            guard transaction.chainID == configuration.chainID, transaction.region == configuration.region else {
                return .failure(ConsensusRejection("foreign-transaction", pooled.hash.description))
            }
            // Transactions this validator already checked (admitted, or seen in an earlier proposal) are not
            // checked again; only strangers are.
            if let itemsChecked, index >= itemsChecked.count || !itemsChecked[index] {
                work.signatureVerifications += 1
                guard verifier.verify(transaction.signature, by: transaction.sender, of: transaction.signingBytes())
                else { return .failure(ConsensusRejection("bad-transaction-signature", pooled.hash.description)) }
            }
            receipts.append(apply(pooled, height: height, view: &view, outbox: &outbox, work: &work))
        }
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
    ///
    /// After a successful call of `sys.inbound` (`inboundContractName`), the cross-region messages it asked for
    /// (`ContractContext.deliverInbound`) are applied in order, each as its own call with sender
    /// `globalLayerSender` on top of everything before it. A failing message call leaves no writes but still
    /// counts as applied (the inbound contract already advanced its sequence: exactly once, like an
    /// acknowledgement carrying an error). The receipt's output is then an `InboundReport`. A call of any other
    /// contract that asks for inbound deliveries fails.
    private func apply(
        _ pooled: PooledTransaction, height: UInt64, view: inout StateView, outbox: inout [OutboxMessage],
        work: inout Work
    ) -> Receipt {
        let transaction = pooled.transaction
        let senderKey = transaction.sender.bytes
        var nonces = NonceWindow(decoding: view.get(Self.nonceTable, senderKey))
        guard nonces.canUse(transaction.nonce) else {
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: "stale-nonce")
        }
        nonces.use(transaction.nonce)
        view.set(Self.nonceTable, senderKey, nonces.encoded())
        guard let contract = contracts[transaction.contract] else {
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: "unknown-contract")
        }
        work.contractCalls += 1
        let outcome = Self.call(
            contract, method: transaction.method, arguments: transaction.arguments, sender: transaction.sender,
            inboundSource: nil, region: configuration.region, height: height, base: view)
        work.signatureVerifications += outcome.signatureVerifications
        let output: [UInt8]
        switch outcome.result {
        case .success(let value): output = value
        case .failure(let error):
            return Receipt(transactionHash: pooled.hash, status: .failure, reason: error.reason)
        }
        let isInbound = transaction.contract == Self.inboundContractName
        if !outcome.inboundCalls.isEmpty, !isInbound {
            return Receipt(
                transactionHash: pooled.hash, status: .failure,
                reason: "inbound-delivery-not-allowed: only \(Self.inboundContractName) may deliver messages")
        }
        // The call's context is gone by now, so this merge mutates the block's changes in place.
        view.changes.merge(outcome.writes)
        outbox.append(contentsOf: outcome.messages)
        guard isInbound else { return Receipt(transactionHash: pooled.hash, status: .success, output: output) }
        var report = InboundReport(contractOutput: output)
        for (index, inbound) in outcome.inboundCalls.enumerated() {
            let failure = applyInbound(inbound, height: height, view: &view, outbox: &outbox, work: &work)
            report.record(index: index, failure: failure)
        }
        return Receipt(transactionHash: pooled.hash, status: .success, output: report.encoded())
    }

    /// Applies one cross-region message for `sys.inbound`; returns why it failed, or `nil`.
    private func applyInbound(
        _ inbound: InboundCall, height: UInt64, view: inout StateView, outbox: inout [OutboxMessage],
        work: inout Work
    ) -> String? {
        guard let contract = contracts[inbound.contract] else { return "unknown-contract" }
        work.contractCalls += 1
        let outcome = Self.call(
            contract, method: inbound.method, arguments: inbound.arguments, sender: Self.globalLayerSender,
            inboundSource: inbound.sourceRegion, region: configuration.region, height: height, base: view)
        work.signatureVerifications += outcome.signatureVerifications
        if case .failure(let error) = outcome.result { return error.reason }
        // No nesting: a message cannot make the region apply more messages.
        guard outcome.inboundCalls.isEmpty else { return "inbound-delivery-not-allowed: nested delivery" }
        view.changes.merge(outcome.writes)
        outbox.append(contentsOf: outcome.messages)
        return nil
    }

    private struct CallOutcome {
        var result: Result<[UInt8], ContractError>
        var writes = StateChanges()
        var messages: [OutboxMessage] = []
        var inboundCalls: [InboundCall] = []
        var signatureVerifications = 0
    }

    private static func call(
        _ contract: any Contract, method: String, arguments: [UInt8], sender: PublicKey, inboundSource: RegionID?,
        region: RegionID, height: UInt64, base: StateView
    ) -> CallOutcome {
        var context = ContractContext(
            region: region, height: height, sender: sender, contract: contract.name, base: base,
            inboundSource: inboundSource)
        do {
            let output = try contract.call(method: method, arguments: arguments, context: &context)
            return CallOutcome(
                result: .success(output), writes: context.writes, messages: context.outbox,
                inboundCalls: context.inboundCalls, signatureVerifications: context.signatureVerifications)
        } catch {
            return CallOutcome(result: .failure(error), signatureVerifications: context.signatureVerifications)
        }
    }

    public func roots(of execution: RegionExecution) -> ExecutionRoots { execution.roots }

    public mutating func commit(
        block: ProposedBlock<RegionPayload>, execution: RegionExecution, certificate: QuorumCertificate,
        work: inout Work
    ) -> RegionCommitOutput {
        // Keys are unique within a block's changes, so the order of these updates does not matter (the store
        // writes them sorted; the state root hashes them sorted).
        for (contract, entries) in execution.changes.tables {
            for (key, value) in entries {
                if let value {
                    committedState[contract, default: [:]][key] = value
                } else {
                    committedState[contract]?.removeValue(forKey: key)
                }
            }
        }
        committedStateRoot = execution.roots.stateRoot
        // Writing the commit is the runtime's job (and its cost is counted where it happens).
        let ledgerBlock = Block(header: block.header, transactions: block.payload.transactions.map(\.transaction))
        return RegionCommitOutput(
            commit: BlockCommit(
                block: ledgerBlock, certificate: certificate, receipts: execution.receipts,
                stateChanges: execution.changes),
            outbox: execution.outbox)
    }
}

/// The receipt output of a successful `sys.inbound` call: the inbound contract's own output, then how each
/// cross-region message it delivered fared.
///
/// Layout (fixed-width big-endian, `ByteWriter` conventions):
/// - `UInt32` length + bytes: the inbound contract's output;
/// - `UInt32` messages applied successfully, `UInt32` messages whose call failed (both count as applied);
/// - `UInt8` k, then k × (`UInt32` index of the message among those delivered, short string reason): the first
///   `failuresListedMax` failures, each reason cut to `reasonBytesMax` UTF-8 bytes.
///
/// At most `13 + 8 × 69 = 565` bytes plus the contract's output, so it stays within `Receipt.outputBytesMax`.
public struct InboundReport: Hashable, Sendable {
    public static let failuresListedMax = 8
    public static let reasonBytesMax = 64

    public struct Failure: Hashable, Sendable {
        public var index: UInt32
        public var reason: String

        public init(index: UInt32, reason: String) {
            self.index = index
            self.reason = reason
        }
    }

    public var contractOutput: [UInt8]
    public var succeeded: UInt32
    public var failed: UInt32
    public var failures: [Failure]

    public init(contractOutput: [UInt8], succeeded: UInt32 = 0, failed: UInt32 = 0, failures: [Failure] = []) {
        self.contractOutput = contractOutput
        self.succeeded = succeeded
        self.failed = failed
        self.failures = failures
    }

    /// Messages delivered, whatever their outcome.
    public var messageCount: Int { Int(succeeded) + Int(failed) }

    /// Counts one delivered message: `nil` if its call succeeded, else why it failed.
    public mutating func record(index: Int, failure: String?) {
        guard let failure else {
            succeeded += 1
            return
        }
        failed += 1
        if failures.count < Self.failuresListedMax {
            failures.append(Failure(index: UInt32(clamping: index), reason: Self.truncated(failure)))
        }
    }

    /// The longest prefix of whole Unicode scalars that fits `reasonBytesMax` UTF-8 bytes.
    static func truncated(_ reason: String) -> String {
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in reason.unicodeScalars {
            let width = String(scalar).utf8.count
            guard bytes + width <= reasonBytesMax else { break }
            bytes += width
            scalars.append(scalar)
        }
        return String(scalars)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 13 + contractOutput.count + failures.count * (5 + Self.reasonBytesMax))
        writer.writeBytes(contractOutput)
        writer.write(succeeded)
        writer.write(failed)
        writer.write(UInt8(failures.count))
        for failure in failures {
            writer.write(failure.index)
            writer.writeShortString(failure.reason)
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        contractOutput = try reader.readBytes(limit: Receipt.outputBytesMax, "inboundReport.contractOutput")
        succeeded = try reader.readUInt32("inboundReport.succeeded")
        failed = try reader.readUInt32("inboundReport.failed")
        let countOffset = reader.offset
        let count = Int(try reader.readUInt8("inboundReport.failures.count"))
        try reader.checkCount(
            count, limit: Self.failuresListedMax, minimumElementBytes: 5, field: "inboundReport.failures.count",
            at: countOffset)
        var failures: [Failure] = []
        for index in 0..<count {
            let failureIndex = try reader.readUInt32("inboundReport.failures[\(index)].index")
            let reasonOffset = reader.offset
            let reason = try reader.readShortString("inboundReport.failures[\(index)].reason")
            // `record` keeps at most `reasonBytesMax` bytes; a longer reason is not a report the relay wrote.
            guard reason.utf8.count <= Self.reasonBytesMax else {
                throw DecodingError(
                    field: "inboundReport.failures[\(index)].reason", offset: reasonOffset,
                    kind: .tooLarge(limit: Self.reasonBytesMax, actual: reason.utf8.count))
            }
            failures.append(Failure(index: failureIndex, reason: reason))
        }
        self.failures = failures
        try reader.expectEnd("inboundReport")
    }
}

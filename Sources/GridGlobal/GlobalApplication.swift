import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// The global committee's configuration: the chain, every region's genesis, and the layer's bounds.
public struct GlobalConfiguration: Hashable, Sendable {
    /// The global chain runs the same BFT engine as a region, as its own instance named by this region id.
    /// `RegionID.max` is reserved for it, so votes and certificates of the global chain can never be mistaken for
    /// a region's (they sign the region id).
    public static let globalRegion: RegionID = .max

    public var chainID: ChainID
    public var regions: [RegionGenesis]
    public var limits: CheckpointLimits

    public init(chainID: ChainID, regions: [RegionGenesis], limits: CheckpointLimits = CheckpointLimits()) {
        precondition(
            !regions.contains { $0.region == Self.globalRegion }, "region \(Self.globalRegion) is the global chain")
        precondition(Set(regions.map(\.region)).count == regions.count, "region ids must be distinct")
        self.chainID = chainID
        self.regions = regions
        self.limits = limits
    }
}

/// The speculative result of one checkpoint: the global state after it and the messages it orders.
public struct CheckpointExecution: Sendable {
    public let state: GlobalState
    /// Cross-region messages in checkpoint order, numbered.
    public let messages: [CrossRegionMessage]
    /// Outbox messages addressed to regions the configuration does not know: ordered nowhere, only counted.
    public let undeliverableMessageCount: Int
    public let roots: ExecutionRoots
}

/// One region block that a checkpoint made final.
public struct FinalizedEntry: Hashable, Sendable {
    public let region: RegionID
    public let height: UInt64
    public let blockHash: Hash256
}

/// What a destination region receives from one final checkpoint: the checkpoint header and its global QC, every
/// message leaf of the checkpoint (so the destination can recompute `outboxRoot` itself), and the messages
/// addressed to it, in checkpoint order.
///
/// Carrying all leaves (32 bytes per message of the checkpoint) rather than Merkle proofs keeps the
/// destination's check one linear pass; per-message proofs would each cost a full tree rebuild with
/// `Merkle.proof`.
public struct CheckpointDelivery: Hashable, Sendable {
    public let destination: RegionID
    public let header: BlockHeader
    public let certificate: QuorumCertificate
    public let messageLeaves: [Hash256]
    public let messages: [CrossRegionMessage]

    public init(
        destination: RegionID, header: BlockHeader, certificate: QuorumCertificate, messageLeaves: [Hash256],
        messages: [CrossRegionMessage]
    ) {
        self.destination = destination
        self.header = header
        self.certificate = certificate
        self.messageLeaves = messageLeaves
        self.messages = messages
    }
}

/// What committing one checkpoint produces for the runtime.
public struct CheckpointOutput: Hashable, Sendable {
    public let height: UInt64
    public let checkpointHash: Hash256
    /// Region blocks made final, in checkpoint order.
    public let finalized: [FinalizedEntry]
    /// One delivery per destination region that has messages in this checkpoint, by ascending region id.
    public let deliveries: [CheckpointDelivery]
    public let undeliverableMessageCount: Int
    /// The global state after this checkpoint, and its root (the header's `stateRoot`): what the runtime persists
    /// with the checkpoint (`CheckpointStore.commit(block:certificate:state:stateRoot:)` (GridNode)). One consensus event may
    /// commit several checkpoints, so the application's `committedState` only holds the last one's.
    public let state: GlobalState
    public let stateRoot: Hash256

    /// The messages for `destination`, in checkpoint order, with their per-destination sequence numbers.
    public func messages(for destination: RegionID) -> [CrossRegionMessage] {
        deliveries.first { $0.destination == destination }?.messages ?? []
    }
}

/// The global layer as a consensus application: verifies what regions committed and orders it into checkpoints.
///
/// Entries reach it in checkpoints the replica drew from the member's `EntryPool`; `execute` verifies every entry
/// again on every member (the leader may lie) and `commit` makes the checkpoint final. It never sees the pool.
public struct GlobalApplication: ReplicaApplication {
    public typealias Payload = CheckpointPayload
    public typealias Execution = CheckpointExecution
    public typealias CommitOutput = CheckpointOutput

    public let configuration: GlobalConfiguration
    private let regions: [RegionID: RegionGenesis]
    private let checks: EntryChecks
    /// Regions in ascending id order, for deterministic iteration.
    private let regionOrder: [RegionID]
    /// The member's signature checker, which its entry pool uses too.
    public let verifier: any SignatureVerifying

    public private(set) var committedState: GlobalState
    public private(set) var committedStateRoot: Hash256
    public private(set) var committedCheckpointHeight: UInt64 = 0

    public init(configuration: GlobalConfiguration, verifier: any SignatureVerifying) {
        self.configuration = configuration
        self.regions = Dictionary(
            configuration.regions.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first })
        self.regionOrder = configuration.regions.map(\.region).sorted()
        self.verifier = verifier
        self.checks = EntryChecks(configuration: configuration, verifier: verifier)
        let state = GlobalState(regions: configuration.regions)
        self.committedState = state
        self.committedStateRoot = state.root(after: .zero)
    }

    /// Restarts from a stored checkpoint (`CheckpointStore.latestState()` (GridNode)): the global state after checkpoint
    /// `checkpointHeight` and its root (that checkpoint header's `stateRoot`). Nothing pending survives a restart:
    /// regions resend what is not yet final, and entries are verified again on arrival.
    /// - Precondition: `state` has a tip for exactly the configuration's regions (a store of another configuration
    ///   would otherwise be silently mixed in).
    public init(
        configuration: GlobalConfiguration, verifier: any SignatureVerifying, restoring state: GlobalState,
        stateRoot: Hash256, checkpointHeight: UInt64
    ) {
        precondition(
            Set(state.tips.keys) == Set(configuration.regions.map(\.region)),
            "the restored state's regions differ from the configuration's")
        self.init(configuration: configuration, verifier: verifier)
        self.committedState = state
        self.committedStateRoot = stateRoot
        self.committedCheckpointHeight = checkpointHeight
    }

    private var limits: CheckpointLimits { configuration.limits }

    // MARK: - Queries

    /// The finalized tip of `region` (height 0 and the genesis hash before anything is final).
    public func finalizedTip(of region: RegionID) -> RegionTip? { committedState.tips[region] }

    public var genesisRoots: ExecutionRoots {
        ExecutionRoots(
            transactionsRoot: Merkle.emptyRoot, stateRoot: committedStateRoot, receiptsRoot: Merkle.emptyRoot,
            outboxRoot: Merkle.emptyRoot)
    }

    /// `QuorumCertificate.verify`'s rules, with signatures checked through the runtime's verifier so the simulator
    /// can share results and charge every member for its own checks.
    public static func verify(
        _ certificate: QuorumCertificate, chainID: ChainID, genesis: RegionGenesis, verifier: any SignatureVerifying,
        _ work: inout Work
    ) -> QuorumCertificate.VerificationFailure? {
        certificate.check(
            chainID: chainID, region: genesis.region, validators: genesis.validators, verifier: verifier, &work)
    }

    // MARK: - ReplicaApplication

    /// Verifies every entry again (a Byzantine leader could propose anything) against the state after the
    /// ancestors, numbers the cross-region messages and computes the checkpoint's roots:
    /// - transactionsRoot: Merkle root of the entries' digests (header hash and certificate), in order;
    /// - stateRoot: `GlobalState.root(after:)` of the parent's root: each region's finalized tip and the streams;
    /// - receiptsRoot: Merkle root of the finalized (region, height, block hash) triples, in order;
    /// - outboxRoot: Merkle root of the numbered cross-region messages, in order (what destinations check).
    public mutating func execute(
        payload: CheckpointPayload, height: UInt64, ancestors: [CheckpointExecution], itemsChecked: [Bool]?,
        work: inout Work
    ) -> Result<CheckpointExecution, ConsensusRejection> {
        guard payload.entries.count <= limits.entriesMax, payload.wireBytes <= limits.bytesMax else {
            return .failure(
                ConsensusRejection(
                    "oversized-checkpoint", "\(payload.entries.count) entries, \(payload.wireBytes) bytes"))
        }
        var state = ancestors.first?.state ?? committedState
        var messages: [CrossRegionMessage] = []
        var undeliverable = 0
        var finalizedLeaves: [Hash256] = []
        for (index, entry) in payload.entries.enumerated() {
            if let rejection = checks.shape(entry, &work) {
                return .failure(ConsensusRejection("unverified-entry", rejection.description))
            }
            // Entries this member verified on admission need no recheck, nor any of a checkpoint that arrived by
            // sync (`itemsChecked == nil`): 2f+1 members executed it already.
            if let itemsChecked, !(index < itemsChecked.count && itemsChecked[index]),
                let rejection = checks.certificate(entry, &work)
            {
                return .failure(ConsensusRejection("unverified-entry", rejection.description))
            }
            guard let tip = state.tips[entry.region], entry.height == tip.height + 1,
                entry.header.parentHash == tip.blockHash
            else {
                return .failure(
                    ConsensusRejection(
                        "entry-does-not-extend", "region \(entry.region) height \(entry.height)"))
            }
            state.tips[entry.region] = RegionTip(height: entry.height, blockHash: entry.blockHash)
            finalizedLeaves.append(Self.finalizedLeaf(region: entry.region, tip: state.tips[entry.region]!))
            for (index, message) in entry.outbox.enumerated() {
                guard regions[message.destinationRegion] != nil else {
                    undeliverable += 1
                    continue
                }
                let pair = RegionPair(source: entry.region, destination: message.destinationRegion)
                let sequences = state.assignSequences(pair)
                messages.append(
                    CrossRegionMessage(
                        sourceRegion: entry.region, sourceHeight: entry.height, outboxIndex: UInt32(index),
                        destinationSequence: sequences.destination, pairSequence: sequences.pair, message: message))
            }
        }
        let parentRoot = ancestors.first?.roots.stateRoot ?? committedStateRoot
        work.hashedBytes += 32 * (2 * payload.entries.count + messages.count) + 64 * state.tips.count
        let roots = ExecutionRoots(
            transactionsRoot: Merkle.root(of: payload.entries.map(\.digest)),
            stateRoot: state.root(after: parentRoot),
            receiptsRoot: Merkle.root(of: finalizedLeaves),
            outboxRoot: Merkle.root(of: messages.map(\.hash)))
        return .success(
            CheckpointExecution(
                state: state, messages: messages, undeliverableMessageCount: undeliverable, roots: roots))
    }

    static func finalizedLeaf(region: RegionID, tip: RegionTip) -> Hash256 {
        var writer = ByteWriter(capacity: 64)
        writer.writeFixed(Array("GridGlobal/finalized/v1".utf8))
        writer.write(region)
        writer.write(tip.height)
        writer.write(tip.blockHash)
        return Hash256.blake2b(writer.bytes)
    }

    public func roots(of execution: CheckpointExecution) -> ExecutionRoots { execution.roots }

    /// Makes a checkpoint final: advances each region's finalized tip, drops what it finalized from the queues,
    /// lets held-back entries through, and hands each destination its messages with the certificate.
    public mutating func commit(
        block: ProposedBlock<CheckpointPayload>, execution: CheckpointExecution, certificate: QuorumCertificate,
        work: inout Work
    ) -> CheckpointOutput {
        committedState = execution.state
        committedStateRoot = execution.roots.stateRoot
        committedCheckpointHeight = block.height
        let leaves = execution.messages.map(\.hash)
        var byDestination: [RegionID: [CrossRegionMessage]] = [:]
        for message in execution.messages { byDestination[message.destinationRegion, default: []].append(message) }
        let deliveries = byDestination.keys.sorted().map { destination in
            CheckpointDelivery(
                destination: destination, header: block.header, certificate: certificate, messageLeaves: leaves,
                messages: byDestination[destination]!)
        }
        return CheckpointOutput(
            height: block.height, checkpointHash: block.hash,
            finalized: block.payload.entries.map {
                FinalizedEntry(region: $0.region, height: $0.height, blockHash: $0.blockHash)
            },
            deliveries: deliveries, undeliverableMessageCount: execution.undeliverableMessageCount,
            state: execution.state, stateRoot: execution.roots.stateRoot)
    }
}

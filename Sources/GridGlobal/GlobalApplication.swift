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
/// Entries flow `submit` (verified, linked) -> pending (per region, contiguous above the finalized tip) ->
/// a checkpoint's payload (`makePayload`) -> `execute` on every member (verified again: the leader may lie) ->
/// `commit` (final). An entry above a gap is held back until the gap fills. Everything is per region, so a
/// Byzantine region only ever stalls itself.
public struct GlobalApplication: ReplicaApplication {
    public typealias Payload = CheckpointPayload
    public typealias Execution = CheckpointExecution
    public typealias CommitOutput = CheckpointOutput

    public let configuration: GlobalConfiguration
    private let regions: [RegionID: RegionGenesis]
    /// Regions in ascending id order, for deterministic iteration.
    private let regionOrder: [RegionID]
    private let verifier: any SignatureVerifying

    public private(set) var committedState: GlobalState
    public private(set) var committedStateRoot: Hash256
    public private(set) var committedCheckpointHeight: UInt64 = 0
    /// Verified entries per region, contiguous from the finalized tip + 1, not yet in a committed checkpoint.
    private var pending: [RegionID: [RegionCommitEntry]] = [:]
    /// Verified entries above a gap, per region, by height.
    private var heldBack: [RegionID: [UInt64: RegionCommitEntry]] = [:]
    /// Digests of entries whose certificate and outbox this member already verified.
    private var verifiedEntries: Set<Hash256> = []
    /// Entries in executed, uncommitted checkpoints, by height: still pending, but not available for the next one.
    private var uncommittedCounts: [UInt64: Int] = [:]
    /// Rejections by code, for reports.
    public private(set) var rejectionCounts: [String: Int] = [:]

    public init(configuration: GlobalConfiguration, verifier: any SignatureVerifying) {
        self.configuration = configuration
        self.regions = Dictionary(
            configuration.regions.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first })
        self.regionOrder = configuration.regions.map(\.region).sorted()
        self.verifier = verifier
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

    /// The last verified block of `region`: pending if any, else finalized.
    public func knownTip(of region: RegionID) -> RegionTip? {
        if let last = pending[region]?.last { return RegionTip(height: last.height, blockHash: last.blockHash) }
        return committedState.tips[region]
    }

    public func pendingCount(of region: RegionID) -> Int { pending[region]?.count ?? 0 }
    public func heldBackHeights(of region: RegionID) -> [UInt64] { (heldBack[region]?.keys.sorted()) ?? [] }

    private var pendingTotal: Int { pending.values.reduce(0) { $0 + $1.count } }
    private var availableCount: Int { max(0, pendingTotal - uncommittedCounts.values.reduce(0, +)) }

    public var genesisRoots: ExecutionRoots {
        ExecutionRoots(
            transactionsRoot: Merkle.emptyRoot, stateRoot: committedStateRoot, receiptsRoot: Merkle.emptyRoot,
            outboxRoot: Merkle.emptyRoot)
    }

    public var hasFullBlock: Bool { availableCount >= limits.entriesMax }
    public var hasHalfBlock: Bool { 2 * availableCount >= limits.entriesMax }
    public var hasPendingWork: Bool { availableCount > 0 }

    // MARK: - Submission

    /// Verifies one entry from a region's runtime and queues it for a checkpoint.
    public mutating func submit(_ entry: RegionCommitEntry, work: inout Work) -> SubmissionOutcome {
        let outcome = admit(entry, &work)
        if case .rejected(let rejection) = outcome { rejectionCounts[rejection.code, default: 0] += 1 }
        if case .accepted(_, let discarded) = outcome {
            for rejection in discarded { rejectionCounts[rejection.code, default: 0] += 1 }
        }
        return outcome
    }

    private mutating func admit(_ entry: RegionCommitEntry, _ work: inout Work) -> SubmissionOutcome {
        let region = entry.region
        func reject(_ reason: EntryRejection.Reason) -> SubmissionOutcome {
            .rejected(EntryRejection(region: region, height: entry.height, reason: reason))
        }
        if let rejection = checkShape(entry, &work) { return .rejected(rejection) }
        guard let finalized = committedState.tips[region], let known = knownTip(of: region) else {
            return reject(.unknownRegion)
        }
        // Resends are common (a region runtime retries until it hears of finality): answer them before paying
        // for signature checks.
        if entry.height <= known.height {
            if let existing = knownHash(region: region, height: entry.height), existing == entry.blockHash {
                return .duplicate
            }
            if entry.height < finalized.height { return .stale }
        }
        if let held = heldBack[region]?[entry.height], held.blockHash == entry.blockHash { return .duplicate }
        if let rejection = checkCertificate(entry, &work) { return .rejected(rejection) }
        if entry.height <= known.height {
            // Both are certified by the region's quorum: the region equivocated. Keep the first.
            return reject(.conflictingHeader(known: knownHash(region: region, height: entry.height) ?? known.blockHash))
        }
        if entry.height > known.height + 1 {
            if let held = heldBack[region]?[entry.height] { return reject(.conflictingHeader(known: held.blockHash)) }
            guard heldBack[region, default: [:]].count < limits.heldBackEntriesPerRegionMax else {
                return reject(.gapBufferFull)
            }
            heldBack[region, default: [:]][entry.height] = entry
            return .heldBack
        }
        guard entry.header.parentHash == known.blockHash else {
            return reject(.doesNotExtendChain(expectedParent: known.blockHash))
        }
        guard pendingCount(of: region) < limits.pendingEntriesPerRegionMax else { return reject(.backlogFull) }
        pending[region, default: []].append(entry)
        let (released, discarded) = releaseHeldBack(region: region)
        return .accepted(released: released, discarded: discarded)
    }

    /// The hash the layer holds for `region` at `height`, if it still holds one (the finalized tip or pending).
    private func knownHash(region: RegionID, height: UInt64) -> Hash256? {
        if let tip = committedState.tips[region], tip.height == height { return tip.blockHash }
        guard let queue = pending[region], let first = queue.first, height >= first.height else { return nil }
        let index = Int(height - first.height)
        return index < queue.count ? queue[index].blockHash : nil
    }

    /// Moves held-back entries that now continue the region's chain into pending. One whose parent differs was
    /// certified on a conflicting branch: it is dropped with a reason.
    private mutating func releaseHeldBack(region: RegionID) -> (released: Int, discarded: [EntryRejection]) {
        var released = 0
        var discarded: [EntryRejection] = []
        guard var held = heldBack[region], !held.isEmpty else { return (0, []) }
        if let finalized = committedState.tips[region] { held = held.filter { $0.key > finalized.height } }
        while let tip = knownTip(of: region), let next = held[tip.height + 1],
            pendingCount(of: region) < limits.pendingEntriesPerRegionMax
        {
            held.removeValue(forKey: next.height)
            guard next.header.parentHash == tip.blockHash else {
                discarded.append(
                    EntryRejection(
                        region: region, height: next.height,
                        reason: .doesNotExtendChain(expectedParent: tip.blockHash)))
                break
            }
            pending[region, default: []].append(next)
            released += 1
        }
        heldBack[region] = held.isEmpty ? nil : held
        return (released, discarded)
    }

    /// Checks that need no signatures: known region, chain, the certificate names this header, outbox bounds and
    /// root. Hashing only, so they come first.
    private func checkShape(_ entry: RegionCommitEntry, _ work: inout Work) -> EntryRejection? {
        func rejection(_ reason: EntryRejection.Reason) -> EntryRejection {
            EntryRejection(region: entry.region, height: entry.height, reason: reason)
        }
        guard regions[entry.region] != nil else { return rejection(.unknownRegion) }
        guard entry.header.chainID == configuration.chainID else { return rejection(.wrongChain(entry.header.chainID)) }
        let data = entry.certificate.data
        guard data.blockHash == entry.blockHash, data.height == entry.height, data.region == entry.region,
            data.chainID == entry.header.chainID
        else { return rejection(.certificateForAnotherBlock) }
        guard entry.outbox.count <= limits.outboxMessagesPerEntryMax else {
            return rejection(.oversizedOutbox(count: entry.outbox.count))
        }
        // Four bytes are the payload's own entry count.
        guard entry.wireBytes + 4 <= limits.bytesMax else { return rejection(.oversizedEntry(bytes: entry.wireBytes)) }
        work.hashedBytes += BlockHeader.encodedBytes + entry.outbox.reduce(0) { $0 + 64 + $1.payload.count }
        guard RegionCommitEntry.outboxRoot(of: entry.outbox) == entry.header.outboxRoot else {
            return rejection(.outboxMismatch)
        }
        return nil
    }

    /// Checks the certificate's votes against the region's genesis keys (not against anything the entry brings).
    private mutating func checkCertificate(_ entry: RegionCommitEntry, _ work: inout Work) -> EntryRejection? {
        if verifiedEntries.contains(entry.digest) { return nil }
        guard let genesis = regions[entry.region] else {
            return EntryRejection(region: entry.region, height: entry.height, reason: .unknownRegion)
        }
        let failure = Self.verify(
            entry.certificate, chainID: configuration.chainID, genesis: genesis, verifier: verifier, &work)
        if let failure {
            return EntryRejection(region: entry.region, height: entry.height, reason: .badCertificate(failure))
        }
        if verifiedEntries.count >= limits.verifiedEntriesMax { verifiedEntries.removeAll() }
        verifiedEntries.insert(entry.digest)
        return nil
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

    /// Takes pending entries that continue each region's chain after the uncommitted ancestors, one region at a
    /// time in rotation (the starting region moves with the height), so a busy region cannot starve the others.
    public mutating func makePayload(
        ancestors: [ProposedBlock<CheckpointPayload>], work: inout Work
    ) -> CheckpointPayload {
        var tips = committedState.tips
        for block in ancestors.reversed() {
            for entry in block.payload.entries {
                tips[entry.region] = RegionTip(height: entry.height, blockHash: entry.blockHash)
            }
        }
        // Per region, the index in `pending` of the entry right after the tip, if it links.
        var cursors: [RegionID: Int] = [:]
        for region in regionOrder {
            guard let queue = pending[region], let first = queue.first, let tip = tips[region],
                tip.height + 1 >= first.height
            else { continue }
            let index = Int(tip.height + 1 - first.height)
            guard index < queue.count, queue[index].header.parentHash == tip.blockHash else { continue }
            cursors[region] = index
        }
        guard !regionOrder.isEmpty else { return CheckpointPayload(entries: []) }
        let nextHeight = committedCheckpointHeight + UInt64(ancestors.count) + 1
        let start = Int(nextHeight % UInt64(regionOrder.count))
        let rotation = Array(regionOrder[start...] + regionOrder[..<start])
        var entries: [RegionCommitEntry] = []
        var bytes = CheckpointPayload(entries: []).wireBytes
        while entries.count < limits.entriesMax, !cursors.isEmpty {
            for region in rotation where entries.count < limits.entriesMax {
                guard let index = cursors[region] else { continue }
                let queue = pending[region]!
                let entry = queue[index]
                // An entry that does not fit ends this region's turn; smaller ones of other regions may still fit.
                guard bytes + entry.wireBytes <= limits.bytesMax else {
                    cursors[region] = nil
                    continue
                }
                entries.append(entry)
                bytes += entry.wireBytes
                cursors[region] = index + 1 < queue.count ? index + 1 : nil
            }
        }
        return CheckpointPayload(entries: entries)
    }

    /// Verifies every entry again (a Byzantine leader could propose anything) against the state after the
    /// ancestors, numbers the cross-region messages and computes the checkpoint's roots:
    /// - transactionsRoot: Merkle root of the entries' digests (header hash and certificate), in order;
    /// - stateRoot: `GlobalState.root(after:)` of the parent's root: each region's finalized tip and the streams;
    /// - receiptsRoot: Merkle root of the finalized (region, height, block hash) triples, in order;
    /// - outboxRoot: Merkle root of the numbered cross-region messages, in order (what destinations check).
    public mutating func execute(
        payload: CheckpointPayload, height: UInt64, ancestors: [CheckpointExecution], certified: Bool,
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
        for entry in payload.entries {
            if let rejection = checkShape(entry, &work) {
                return .failure(ConsensusRejection("unverified-entry", rejection.description))
            }
            // A block that arrived by sync was executed by 2f+1 members already; its certificates need no recheck.
            if !certified, let rejection = checkCertificate(entry, &work) {
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
        uncommittedCounts[height] = payload.entries.count
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
        writer.writeFixed(tip.blockHash.bytes)
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
        uncommittedCounts = uncommittedCounts.filter { $0.key > block.height }
        let advanced = Set(block.payload.entries.map(\.region))
        for region in regionOrder where advanced.contains(region) {
            prunePending(region: region)
            let (_, discarded) = releaseHeldBack(region: region)
            for rejection in discarded { rejectionCounts[rejection.code, default: 0] += 1 }
        }
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

    /// Drops pending entries the finalized tip covers. If what remains does not continue the finalized chain (this
    /// member had verified a conflicting certified branch), it can never be finalized and goes too.
    private mutating func prunePending(region: RegionID) {
        guard let tip = committedState.tips[region], var queue = pending[region] else { return }
        queue.removeAll { $0.height <= tip.height }
        if let first = queue.first, first.header.parentHash != tip.blockHash || first.height != tip.height + 1 {
            rejectionCounts["does-not-extend-chain", default: 0] += queue.count
            queue.removeAll()
        }
        pending[region] = queue.isEmpty ? nil : queue
    }
}

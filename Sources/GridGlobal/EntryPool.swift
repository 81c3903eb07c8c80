import GridConsensus
import GridCrypto
import GridLedger

/// A committee member's pool of verified region entries waiting for a checkpoint: the global layer's mempool.
///
/// Entries flow `submit` (verified, linked) -> pending (per region, contiguous above the finalized tip) -> a
/// checkpoint's payload (`nextPayload`, drawn by the replica) -> executed and committed by `GlobalApplication`.
/// An entry above a gap is held back until the gap fills. Everything is per region, so a Byzantine region only
/// ever stalls itself. The member's `GlobalNode` owns the pool and lends it to the replica for each event; the
/// replica reports executions and commits back, which is how the pool learns the finalized tips.
public struct EntryPool: PayloadPool {
    public typealias Payload = CheckpointPayload

    public let configuration: GlobalConfiguration
    private let checks: EntryChecks
    /// Regions in ascending id order, for deterministic iteration.
    private let regionOrder: [RegionID]
    /// Each region's finalized tip, as of the last committed checkpoint.
    public private(set) var finalizedTips: [RegionID: RegionTip]
    public private(set) var committedCheckpointHeight: UInt64
    /// Verified entries per region, contiguous from the finalized tip + 1, not yet in a committed checkpoint.
    private var pending: [RegionID: [RegionCommitEntry]] = [:]
    /// Verified entries above a gap, per region, by height.
    private var heldBack: [RegionID: [UInt64: RegionCommitEntry]] = [:]
    /// Digests of entries whose certificate and outbox this member already verified.
    private var verifiedEntries: Set<Hash256> = []
    /// Entries in executed, uncommitted checkpoints, by height: still pending, but not available for the next one.
    private var inFlightByHeight: [UInt64: Int] = [:]
    /// Rejections by code, for reports.
    public private(set) var rejectionCounts: [String: Int] = [:]

    /// A pool above the finalized state of `application` (genesis, or what a restart restored).
    public init(application: GlobalApplication) {
        self.configuration = application.configuration
        self.checks = EntryChecks(configuration: application.configuration, verifier: application.verifier)
        self.regionOrder = application.configuration.regions.map(\.region).sorted()
        self.finalizedTips = application.committedState.tips
        self.committedCheckpointHeight = application.committedCheckpointHeight
    }

    private var limits: CheckpointLimits { configuration.limits }

    // MARK: - Queries

    /// The last verified block of `region`: pending if any, else finalized.
    public func knownTip(of region: RegionID) -> RegionTip? {
        if let last = pending[region]?.last { return RegionTip(height: last.height, blockHash: last.blockHash) }
        return finalizedTips[region]
    }

    public func pendingCount(of region: RegionID) -> Int { pending[region]?.count ?? 0 }
    public func heldBackHeights(of region: RegionID) -> [UInt64] { (heldBack[region]?.keys.sorted()) ?? [] }

    private var pendingTotal: Int { pending.values.reduce(0) { $0 + $1.count } }
    private var availableCount: Int { max(0, pendingTotal - inFlightByHeight.values.reduce(0, +)) }

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
        if let rejection = checks.shape(entry, &work) { return .rejected(rejection) }
        guard let finalized = finalizedTips[region], let known = knownTip(of: region) else {
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
        if let tip = finalizedTips[region], tip.height == height { return tip.blockHash }
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
        if let finalized = finalizedTips[region] { held = held.filter { $0.key > finalized.height } }
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

    /// Checks the certificate unless this member already verified the entry, and remembers it.
    private mutating func checkCertificate(_ entry: RegionCommitEntry, _ work: inout Work) -> EntryRejection? {
        if verifiedEntries.contains(entry.digest) { return nil }
        if let rejection = checks.certificate(entry, &work) { return rejection }
        noteVerified(entry.digest)
        return nil
    }

    private mutating func noteVerified(_ digest: Hash256) {
        if verifiedEntries.count >= limits.verifiedEntriesMax { verifiedEntries.removeAll() }
        verifiedEntries.insert(digest)
    }

    // MARK: - PayloadPool

    public var pendingWork: PendingWork { PendingWork(available: availableCount, blockItemsMax: limits.entriesMax) }

    /// Takes pending entries that continue each region's chain after the uncommitted ancestors, one region at a
    /// time in rotation (the starting region moves with the height), so a busy region cannot starve the others.
    public mutating func nextPayload(
        ancestors: [ProposedBlock<CheckpointPayload>], work: inout Work
    ) -> CheckpointPayload {
        var tips = finalizedTips
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

    public func itemsChecked(in payload: CheckpointPayload) -> [Bool] {
        payload.entries.map { verifiedEntries.contains($0.digest) }
    }

    /// Every entry of an executed checkpoint was verified, here or (for a checkpoint with a verified QC) by the
    /// 2f+1 members that certified it.
    public mutating func executed(_ payload: CheckpointPayload, height: UInt64) {
        for entry in payload.entries { noteVerified(entry.digest) }
        inFlightByHeight[height] = payload.entries.count
    }

    /// Advances each region's finalized tip, drops what the checkpoint finalized from the queues and lets
    /// held-back entries through.
    public mutating func committed(_ payload: CheckpointPayload, height: UInt64) {
        committedCheckpointHeight = height
        inFlightByHeight = inFlightByHeight.filter { $0.key > height }
        for entry in payload.entries {
            finalizedTips[entry.region] = RegionTip(height: entry.height, blockHash: entry.blockHash)
        }
        let advanced = Set(payload.entries.map(\.region))
        for region in regionOrder where advanced.contains(region) {
            prunePending(region: region)
            let (_, discarded) = releaseHeldBack(region: region)
            for rejection in discarded { rejectionCounts[rejection.code, default: 0] += 1 }
        }
    }

    /// Drops pending entries the finalized tip covers. If what remains does not continue the finalized chain (this
    /// member had verified a conflicting certified branch), it can never be finalized and goes too.
    private mutating func prunePending(region: RegionID) {
        guard let tip = finalizedTips[region], var queue = pending[region] else { return }
        queue.removeAll { $0.height <= tip.height }
        if let first = queue.first, first.header.parentHash != tip.blockHash || first.height != tip.height + 1 {
            rejectionCounts["does-not-extend-chain", default: 0] += queue.count
            queue.removeAll()
        }
        pending[region] = queue.isEmpty ? nil : queue
    }
}

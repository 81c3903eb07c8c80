import GridConsensus
import GridCrypto
import GridLedger

/// What travels between global committee members.
public enum GlobalMessage: Sendable {
    case consensus(ConsensusMessage<CheckpointPayload>)

    public var wireBytes: Int {
        switch self {
        case .consensus(let message): return message.wireBytes
        }
    }
}

/// The region validator that sent entries: a gap request goes back to it.
public struct EntrySender: Hashable, Sendable {
    public let region: RegionID
    public let validator: UInt16

    public init(region: RegionID, validator: UInt16) {
        self.region = region
        self.validator = validator
    }
}

public enum GlobalEvent: Sendable {
    case start
    /// Committed region blocks a region validator sends (first sends and resends alike).
    case entries([RegionCommitEntry], from: EntrySender)
    case peer(from: Int, GlobalMessage)
    case timer(ReplicaTimer)
}

public enum GlobalAction {
    case send(to: Int, GlobalMessage)
    case broadcast(GlobalMessage)
    case setTimer(ReplicaTimer, afterNanos: UInt64)
    /// Must be durable before later actions in the same list.
    case persistSafety(SafetyState)
    /// Write the checkpoint, its certificate and the global state after it in one store transaction, then hand
    /// the output to the regions.
    case persistCommit(ProposedBlock<CheckpointPayload>, QuorumCertificate, CheckpointOutput)
    case loadCommittedBlocks(peer: Int, fromHeight: UInt64, count: Int)
    case rejected(from: Int?, ConsensusRejection)
    /// A region entry the member refused, with the reason (a forged certificate, a header off the chain...).
    case entryRejected(EntryRejection)
    /// Entries of `region` arrived above a gap: `to`, who sent them, should send the region's blocks from
    /// `fromHeight` on. Lets a region refill a gap in one round trip instead of waiting for its resend timer.
    case missing(region: RegionID, fromHeight: UInt64, to: EntrySender)
}

/// One global committee member: entry intake into its `EntryPool`, and the BFT replica over the global
/// application, which draws checkpoints from that pool. Sans-IO like `RegionNode`: the runtime brings entries,
/// messages and timers, and carries out the actions.
public struct GlobalNode {
    public private(set) var replica: Replica<GlobalApplication>
    public private(set) var pool: EntryPool
    /// Outcome counts of entry submissions, for reports (accepted, duplicate, stale, held back, rejected).
    public private(set) var submissionCounts: [String: Int] = [:]

    public init(replica: Replica<GlobalApplication>) {
        self.replica = replica
        self.pool = EntryPool(application: replica.app)
    }

    public var app: GlobalApplication { replica.app }

    public mutating func handle(_ event: GlobalEvent, work: inout Work) -> [GlobalAction] {
        var actions: [GlobalAction] = []
        switch event {
        case .start:
            drive(.start, &actions, &work)
        case .entries(let entries, let sender):
            onEntries(entries, from: sender, &actions, &work)
        case .peer(let from, .consensus(let message)):
            drive(.message(from: from, message), &actions, &work)
        case .timer(let timer):
            drive(.timer(timer), &actions, &work)
        }
        return actions
    }

    public mutating func answerSync(peer: Int, committed: [ProposedBlock<CheckpointPayload>]) -> [GlobalAction] {
        var actions: [GlobalAction] = []
        translate(replica.answerSync(peer: peer, committed: committed), &actions)
        return actions
    }

    private mutating func onEntries(
        _ entries: [RegionCommitEntry], from sender: EntrySender, _ actions: inout [GlobalAction], _ work: inout Work
    ) {
        work.decodedBytes += entries.reduce(0) { $0 + $1.wireBytes }
        var gaps: [RegionID: UInt64] = [:]
        defer {
            for region in gaps.keys.sorted() {
                actions.append(.missing(region: region, fromHeight: gaps[region]!, to: sender))
            }
        }
        let acceptedBefore = submissionCounts["accepted", default: 0]
        for entry in entries {
            let outcome = pool.submit(entry, work: &work)
            switch outcome {
            case .accepted(_, let discarded):
                submissionCounts["accepted", default: 0] += 1
                for rejection in discarded { actions.append(.entryRejected(rejection)) }
            case .duplicate: submissionCounts["duplicate", default: 0] += 1
            case .stale: submissionCounts["stale", default: 0] += 1
            case .heldBack:
                submissionCounts["held-back", default: 0] += 1
                gaps[entry.region] = pool.knownTip(of: entry.region).map { $0.height + 1 }
            case .rejected(let rejection):
                submissionCounts["rejected", default: 0] += 1
                if case .gapBufferFull = rejection.reason {
                    submissionCounts["gap-buffer-full", default: 0] += 1
                    gaps[entry.region] = pool.knownTip(of: entry.region).map { $0.height + 1 }
                } else {
                    actions.append(.entryRejected(rejection))
                }
            }
        }
        if submissionCounts["accepted", default: 0] > acceptedBefore { drive(.poolGrew, &actions, &work) }
    }

    private mutating func drive(
        _ event: ReplicaEvent<CheckpointPayload>, _ actions: inout [GlobalAction], _ work: inout Work
    ) {
        translate(replica.handle(event, pool: &pool, work: &work), &actions)
    }

    private func translate(_ replicaActions: [ReplicaAction<GlobalApplication>], _ actions: inout [GlobalAction]) {
        for action in replicaActions {
            switch action {
            case .send(let to, let message): actions.append(.send(to: to, .consensus(message)))
            case .broadcast(let message): actions.append(.broadcast(.consensus(message)))
            case .setTimer(let timer, let after): actions.append(.setTimer(timer, afterNanos: after))
            case .persistSafety(let state): actions.append(.persistSafety(state))
            case .loadCommittedBlocks(let peer, let from, let count):
                actions.append(.loadCommittedBlocks(peer: peer, fromHeight: from, count: count))
            case .rejected(let from, let rejection): actions.append(.rejected(from: from, rejection))
            case .committed(let block, let certificate, let output):
                actions.append(.persistCommit(block, certificate, output))
            }
        }
    }
}

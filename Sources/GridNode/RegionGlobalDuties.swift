import GridConsensus
import GridGlobal
import GridLedger
import GridRegion
import GridWire

/// A region validator's state towards the global layer. Times are duty ticks (`GlobalLink.dutyTickNanos`), so
/// the node never reads a clock; every list has a bound, and what overflows one is reported as a loss.
struct RegionGlobalDuties {
    struct Outgoing {
        var entry: RegionCommitEntry
        var lastSentTick: UInt64
    }

    struct HeldDelivery {
        var delivery: CheckpointDelivery
        /// The whole delivery does not fit one relay transaction: it goes in parts, one transaction each. The parts
        /// (a Merkle proof per message, several times the delivery's size) are rebuilt at each relay, not kept.
        var inParts = false
        var firstSeenTick: UInt64
        var lastRelayTick: UInt64?
    }

    struct EarlyNotice {
        var notice: CheckpointNotice
        var forwarded: Bool
        var fromMember: Int?
        var receivedTick: UInt64
    }

    var tick: UInt64 = 0
    /// Committed blocks not yet final, ascending heights: resent until a checkpoint covers them.
    var unfinalized: [Outgoing] = []
    var finalizedHeight: UInt64 = 0
    /// Checkpoints are taken in order; this is the last one processed.
    var noticeHeight: UInt64 = 0
    /// After a restart the first checkpoint seen sets `noticeHeight` (the region's peers relayed what came before).
    var awaitingBaseline = false
    var noticeRequestTick: UInt64?
    /// Deliveries for this region not yet applied in its committed state, by checkpoint height.
    var deliveries: [UInt64: HeldDelivery] = [:]
    var relayNonce: UInt64 = 0
    /// Checkpoints that arrived before their predecessor, by height.
    var earlyNotices: [UInt64: EarlyNotice] = [:]
    /// The last gap each member asked this validator to fill, and when it was answered.
    var pullAnswered: [Int: (fromHeight: UInt64, tick: UInt64)] = [:]
    /// What a restart could not rebuild of `unfinalized`, reported when the node starts.
    var restoreLosses: [NodeLoss] = []

    static let unfinalizedMax = 65_536
    static let deliveriesMax = 4_096
    static let earlyNoticesMax = 256
    /// Entries per resend message; a gap answer sends up to four of these.
    static let resendBatchMax = 64
}

extension RegionValidator {
    private var regionID: RegionID { RegionID(configuration.region) }
    private var regionSize: UInt64 { UInt64(configuration.validators.count) }

    /// Whether `height` is this validator's turn (first sends, first relays): one validator per height.
    private func isMine(_ height: UInt64) -> Bool { Int(height % regionSize) == configuration.validatorIndex }

    /// After a commit: keep the entry until a checkpoint covers it, and send it now if it is this validator's turn.
    func afterCommit(_ block: ProposedBlock<RegionPayload>, _ commit: RegionCommitOutput, _ output: inout NodeOutput) {
        guard let link = configuration.global, let certificate = commit.commit.certificate else { return }
        let entry = RegionCommitEntry(header: block.header, certificate: certificate, outbox: commit.outbox)
        if duties.unfinalized.count >= RegionGlobalDuties.unfinalizedMax {
            output.observations.append(.lost(.unfinalizedFull))
        } else {
            let tick = duties.tick
            duties.unfinalized.append(.init(entry: entry, lastSentTick: tick))
        }
        if isMine(block.height) {
            sendEntries([entry], to: Array(0..<link.membersCount), afterWrite: true, &output)
        }
    }

    private func sendEntries(
        _ entries: [RegionCommitEntry], to members: [Int], afterWrite: Bool, _ output: inout NodeOutput
    ) {
        guard !entries.isEmpty, !members.isEmpty else { return }
        let frame = WireCodec.encode(.entries(entries))
        output.work.encodedBytes += frame.count
        output.observations.append(.entriesSent(count: entries.count))
        for member in members {
            let outgoing = Outgoing(to: .member(member), frame: frame, urgent: false)
            if afterWrite { output.sendsAfterWrite.append(outgoing) } else { output.sends.append(outgoing) }
        }
    }

    /// A member found a gap in this region's blocks: send it what this validator holds from `fromHeight` on, at
    /// most one answer per member per quarter interval (the member asks again if more is missing).
    func answerMissingEntries(member: Int, fromHeight: UInt64, _ output: inout NodeOutput) {
        guard configuration.global != nil, let first = duties.unfinalized.first?.entry.height,
            fromHeight >= first, fromHeight - first < UInt64(duties.unfinalized.count)
        else { return }
        if let last = duties.pullAnswered[member], last.fromHeight == fromHeight,
            duties.tick < last.tick + DutyTicks.quarterInterval
        {
            return
        }
        let tick = duties.tick
        duties.pullAnswered[member] = (fromHeight, tick)
        let start = Int(fromHeight - first)
        let end = min(duties.unfinalized.count, start + 4 * RegionGlobalDuties.resendBatchMax)
        sendEntries(duties.unfinalized[start..<end].map(\.entry), to: [member], afterWrite: false, &output)
    }

    /// Takes a committed checkpoint: in height order (one that arrives early waits in a small buffer; a gap that
    /// stays open is filled by asking a member), each after checking its QC against the committee's genesis keys.
    /// Learns the region's finalized height, keeps the region's messages for relaying, tells its peers when the
    /// committee is smaller than the region, and relays what is its turn.
    func receiveCheckpoint(
        _ notice: CheckpointNotice, forwarded: Bool, fromMember: Int?, _ output: inout NodeOutput
    ) throws {
        guard configuration.global != nil else {
            output.observations.append(.lost(.unexpectedMessage))
            return
        }
        let height = notice.header.height
        if duties.awaitingBaseline, height > 0 {
            duties.noticeHeight = height - 1
            duties.awaitingBaseline = false
        }
        guard height > duties.noticeHeight else { return }
        if height > duties.noticeHeight + 1 {
            if duties.earlyNotices.count < RegionGlobalDuties.earlyNoticesMax {
                duties.earlyNotices[height] = .init(
                    notice: notice, forwarded: forwarded, fromMember: fromMember, receivedTick: duties.tick)
            } else {
                output.observations.append(.lost(.earlyCheckpointsFull))
            }
            return
        }
        var next: RegionGlobalDuties.EarlyNotice? = .init(
            notice: notice, forwarded: forwarded, fromMember: fromMember, receivedTick: duties.tick)
        while let current = next {
            guard verifyCheckpoint(current.notice, &output.work) else {
                output.observations.append(.lost(.badCheckpoint))
                output.observations.append(.rejected(from: nil, ConsensusRejection("bad-checkpoint")))
                break
            }
            if let relay = acceptCheckpoint(current.notice, forwarded: current.forwarded, &output) {
                try submitRelay(relay.held, parts: relay.parts, from: 0, &output)
            }
            let nextHeight = duties.noticeHeight + 1
            next = duties.earlyNotices.removeValue(forKey: nextHeight)
        }
    }

    /// Takes the checkpoint right after the last one, already checked. Returns the delivery to relay now, if any.
    private func acceptCheckpoint(
        _ notice: CheckpointNotice, forwarded: Bool, _ output: inout NodeOutput
    ) -> (held: RegionGlobalDuties.HeldDelivery, parts: [DeliveryPart]?)? {
        guard let link = configuration.global else { return nil }
        let height = notice.header.height
        duties.noticeHeight = height
        duties.noticeRequestTick = nil
        if notice.finalizedHeight > duties.finalizedHeight {
            let finalized = notice.finalizedHeight
            duties.finalizedHeight = finalized
            if let cut = duties.unfinalized.firstIndex(where: { $0.entry.height > finalized }) {
                duties.unfinalized.removeFirst(cut)
            } else {
                duties.unfinalized.removeAll()
            }
            output.observations.append(.finalized(height: finalized))
            finalityNotices.finalized(upTo: finalized, &output)
        }
        // With fewer members than validators some validators hear from nobody directly: the first to hear tells
        // its peers. Otherwise every validator has its own member at each height and forwarding would only
        // multiply the traffic.
        let count = configuration.validators.count
        if !forwarded, link.membersCount < count {
            let frame = WireCodec.encode(.checkpoint(notice, forwarded: true))
            output.work.encodedBytes += frame.count
            for peer in 0..<count where peer != configuration.validatorIndex {
                output.sends.append(
                    Outgoing(to: .validator(region: configuration.region, index: peer), frame: frame, urgent: false))
            }
        }
        guard let delivery = notice.delivery, !delivery.messages.isEmpty else { return nil }
        guard duties.deliveries.count < RegionGlobalDuties.deliveriesMax else {
            output.observations.append(.lost(.deliveriesFull))
            return nil
        }
        // A delivery too large for one transaction goes in parts, each message with its Merkle proof. Only one
        // whose single message cannot fit a part on its own could never be admitted: counted once, not retried.
        var parts: [DeliveryPart]?
        let transactionBytesMax = configuration.mempool.transactionBytesMax
        if !InboundContract.deliveryFits(delivery, transactionBytesMax: transactionBytesMax) {
            guard let split = split(delivery, &output) else {
                if isMine(height) { output.observations.append(.lost(.deliveryTooLarge)) }
                return nil
            }
            parts = split
        }
        let tick = duties.tick
        let held = RegionGlobalDuties.HeldDelivery(
            delivery: delivery, inParts: parts != nil, firstSeenTick: tick, lastRelayTick: isMine(height) ? tick : nil)
        duties.deliveries[height] = held
        return isMine(height) ? (held, parts) : nil
    }

    /// Relays a delivery into this region's chain as the validator's own `sys.inbound` transaction, or its parts
    /// from the one holding destination sequence `next` on, one transaction each and in stream order.
    private func submitRelay(
        _ held: RegionGlobalDuties.HeldDelivery, parts: [DeliveryPart]?, from next: UInt64,
        _ output: inout NodeOutput
    ) throws {
        guard held.inParts else {
            try submitRelayTransaction(
                InboundContract.relayTransaction(
                    chainID: configuration.chainID, region: regionID, delivery: held.delivery,
                    signer: configuration.key, nonce: duties.relayNonce + 1), &output)
            return
        }
        // The split is deterministic, so parts rebuilt later are the ones first relayed.
        guard let parts = parts ?? split(held.delivery, &output) else { return }
        for part in parts {
            guard let last = part.messages.last, last.message.destinationSequence >= next else { continue }
            try submitRelayTransaction(
                InboundContract.relayTransaction(
                    chainID: configuration.chainID, region: regionID, part: part, signer: configuration.key,
                    nonce: duties.relayNonce + 1), &output)
        }
    }

    /// The delivery's parts, charging the Merkle tree their proofs are cut from.
    private func split(_ delivery: CheckpointDelivery, _ output: inout NodeOutput) -> [DeliveryPart]? {
        output.work.hashedBytes += 64 * delivery.messageLeaves.count
        return delivery.parts(transactionBytesMax: configuration.mempool.transactionBytesMax)
    }

    private func submitRelayTransaction(_ transaction: Transaction, _ output: inout NodeOutput) throws {
        duties.relayNonce += 1
        output.observations.append(.relaySent)
        output.work.signatures += 1
        try drive(.local(bytes: transaction.encoded()), &output)
    }

    /// The checkpoint's header and its QC agree, and the QC holds against the committee's genesis keys (the rules
    /// members apply to region certificates).
    private func verifyCheckpoint(_ notice: CheckpointNotice, _ work: inout Work) -> Bool {
        guard let link = configuration.global else { return false }
        let header = notice.header
        let data = notice.certificate.data
        guard header.chainID == configuration.chainID, header.region == GlobalConfiguration.globalRegion,
            data.blockHash == header.hash, data.height == header.height
        else { return false }
        return GlobalApplication.verify(
            notice.certificate, chainID: configuration.chainID, genesis: link.committeeGenesis,
            verifier: configuration.verifier, &work) == nil
    }

    /// One duty tick: ask for a checkpoint gap that stays open, resend entries still not final (the validator
    /// whose turn it was after one resend interval, the others after two, so a crashed sender is covered), and
    /// relay deliveries the region has not applied yet.
    func runDuties(_ output: inout NodeOutput) throws {
        guard let link = configuration.global else { return }
        duties.tick += 1
        output.timers.append((.duties, link.dutyTickNanos))
        let tick = duties.tick
        let interval = DutyTicks.perResendInterval
        let quarter = DutyTicks.quarterInterval
        if let early = duties.earlyNotices.min(by: { $0.key < $1.key })?.value,
            tick >= early.receivedTick + quarter, duties.noticeRequestTick.map({ tick >= $0 + quarter }) ?? true
        {
            duties.noticeRequestTick = tick
            output.observations.append(.checkpointRequested)
            let member = early.fromMember ?? (configuration.validatorIndex % max(1, link.membersCount))
            let frame = WireCodec.encode(.checkpointRequest(fromHeight: duties.noticeHeight + 1))
            output.work.encodedBytes += frame.count
            output.sends.append(Outgoing(to: .member(member), frame: frame, urgent: false))
        }
        if !duties.unfinalized.isEmpty {
            var batch: [RegionCommitEntry] = []
            for position in duties.unfinalized.indices {
                let outgoing = duties.unfinalized[position]
                let wait = isMine(outgoing.entry.height) ? interval : 2 * interval
                guard tick >= outgoing.lastSentTick + wait else { continue }
                batch.append(outgoing.entry)
                duties.unfinalized[position].lastSentTick = tick
                if batch.count >= RegionGlobalDuties.resendBatchMax { break }
            }
            sendEntries(batch, to: Array(0..<link.membersCount), afterWrite: false, &output)
        }
        guard !duties.deliveries.isEmpty else { return }
        let next = InboundContract.committedNextSequence(app.committedState[InboundContract.contractName] ?? [:])
        for height in duties.deliveries.keys.sorted() {
            guard let held = duties.deliveries[height] else { continue }
            if let last = held.delivery.messages.last, last.destinationSequence < next {
                duties.deliveries.removeValue(forKey: height)
                continue
            }
            let due = held.firstSeenTick + (isMine(height) ? interval : 2 * interval)
            guard tick >= due, tick >= (held.lastRelayTick ?? 0) + interval else { continue }
            duties.deliveries[height]?.lastRelayTick = tick
            try submitRelay(held, parts: nil, from: next, &output)
        }
    }
}

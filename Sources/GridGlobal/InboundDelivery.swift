import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// Why a destination region refused a checkpoint delivery. Nothing of a refused delivery is applied.
public struct DeliveryRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Addressed to another region, or a message inside is.
        case wrongDestination(RegionID)
        /// The header is not a global checkpoint of this chain.
        case notACheckpoint
        /// The global QC failed against the committee's keys.
        case badCertificate(QuorumCertificate.VerificationFailure)
        /// The QC certifies another block than the header.
        case certificateForAnotherBlock
        /// The message leaves do not hash to the checkpoint's `outboxRoot`, or a message is not among them.
        case messagesNotInCheckpoint
        case tooManyMessages(count: Int)
        /// Every message was applied before (the same checkpoint delivered again).
        case replay(sequence: UInt64, expected: UInt64)
        /// An earlier checkpoint's messages for this region have not been applied yet.
        case gap(sequence: UInt64, expected: UInt64)
        /// Sequence numbers inside the delivery are not consecutive or disagree with the source's stream.
        case inconsistentSequence(source: RegionID, sequence: UInt64, expected: UInt64)
        /// A delivery part with no messages, or whose index is not below its part count.
        case malformedPart(index: UInt32, count: UInt32, messages: Int)
    }

    public let checkpointHeight: UInt64
    public let reason: Reason

    public var code: String {
        switch reason {
        case .wrongDestination: return "wrong-destination"
        case .notACheckpoint: return "not-a-checkpoint"
        case .badCertificate: return "bad-certificate"
        case .certificateForAnotherBlock: return "certificate-for-another-block"
        case .messagesNotInCheckpoint: return "messages-not-in-checkpoint"
        case .tooManyMessages: return "too-many-messages"
        case .replay: return "replay"
        case .gap: return "gap"
        case .inconsistentSequence: return "inconsistent-sequence"
        case .malformedPart: return "malformed-part"
        }
    }

    public var description: String { "\(code) (checkpoint \(checkpointHeight)): \(reason)" }
}

/// Applies cross-region messages at a destination region: only from final checkpoints (global QC checked against
/// the committee's genesis keys), in checkpoint order, each exactly once.
///
/// Order and exactly-once rest on the destination sequence: a delivery is taken only if it contains the next
/// message expected; one whose messages are all lower is a replay and one that starts higher a gap (the runtime
/// keeps it and offers it again after the missing checkpoint). The per-source sequence is checked as well, so a numbering fault shows up
/// as a reason rather than as a silently reordered stream. State is two counters per source: bounded.
public struct InboundDelivery: Sendable {
    public let chainID: ChainID
    public let region: RegionID
    public let committee: RegionGenesis
    /// Most message leaves one delivery may carry (a checkpoint's worth: entries × outbox messages).
    public let messagesMax: Int
    private let verifier: any SignatureVerifying

    public private(set) var nextDestinationSequence: UInt64 = 0
    public private(set) var nextPairSequence: [RegionID: UInt64] = [:]
    public private(set) var appliedMessageCount = 0
    public private(set) var lastCheckpointHeight: UInt64 = 0

    /// - Parameter committee: the global committee's genesis keys; its `region` must be the global chain's id.
    public init(
        chainID: ChainID, region: RegionID, committee: [PublicKey], limits: CheckpointLimits = CheckpointLimits(),
        verifier: any SignatureVerifying = DirectSignatureVerifier()
    ) {
        self.chainID = chainID
        self.region = region
        self.committee = RegionGenesis(
            region: GlobalConfiguration.globalRegion, validators: committee, genesisHash: .zero)
        self.messagesMax = CheckpointDelivery.messagesMax(limits)
        self.verifier = verifier
    }

    /// Resumes from stored counters (for example `InboundContract`'s table): the next destination sequence
    /// expected and, per source region, the next pair sequence (sources not listed start at 0). Only the sources
    /// of the messages a delivery carries are consulted, so a caller may load just those.
    public init(
        chainID: ChainID, region: RegionID, committee: [PublicKey], limits: CheckpointLimits = CheckpointLimits(),
        verifier: any SignatureVerifying = DirectSignatureVerifier(), nextDestinationSequence: UInt64,
        nextPairSequence: [RegionID: UInt64]
    ) {
        self.init(chainID: chainID, region: region, committee: committee, limits: limits, verifier: verifier)
        self.nextDestinationSequence = nextDestinationSequence
        self.nextPairSequence = nextPairSequence
    }

    /// Returns the messages to apply, in order, and counts them as applied; or refuses the whole delivery.
    public mutating func accept(
        _ delivery: CheckpointDelivery, work: inout Work
    ) -> Result<[CrossRegionMessage], DeliveryRejection> {
        let header = delivery.header
        func refuse(_ reason: DeliveryRejection.Reason) -> Result<[CrossRegionMessage], DeliveryRejection> {
            .failure(DeliveryRejection(checkpointHeight: header.height, reason: reason))
        }
        guard delivery.destination == region else { return refuse(.wrongDestination(delivery.destination)) }
        guard delivery.messageLeaves.count <= messagesMax, delivery.messages.count <= delivery.messageLeaves.count
        else { return refuse(.tooManyMessages(count: delivery.messageLeaves.count)) }
        // Cheap checks first: a duplicated delivery is the common case and needs no signature work.
        if let reason = sequenceWindow(delivery.messages) { return refuse(reason) }
        if let reason = verifyCheckpoint(delivery, &work) { return refuse(reason) }
        return applyFresh(delivery.messages, checkpointHeight: header.height)
    }

    /// Takes one part of a delivery split to fit the relay's argument bound: the same rules as a whole delivery,
    /// with each message proved under the checkpoint's `outboxRoot` by its own Merkle proof instead of the full
    /// leaf list. A part is taken only if it holds the next expected message, so parts apply in stream order and
    /// a part taken before is a replay.
    public mutating func accept(
        _ part: DeliveryPart, work: inout Work
    ) -> Result<[CrossRegionMessage], DeliveryRejection> {
        let header = part.header
        func refuse(_ reason: DeliveryRejection.Reason) -> Result<[CrossRegionMessage], DeliveryRejection> {
            .failure(DeliveryRejection(checkpointHeight: header.height, reason: reason))
        }
        guard part.destination == region else { return refuse(.wrongDestination(part.destination)) }
        guard part.messages.count <= messagesMax else { return refuse(.tooManyMessages(count: part.messages.count)) }
        guard !part.messages.isEmpty, part.partIndex < part.partCount else {
            return refuse(.malformedPart(index: part.partIndex, count: part.partCount, messages: part.messages.count))
        }
        let messages = part.messages.map(\.message)
        if let reason = sequenceWindow(messages) { return refuse(reason) }
        if let reason = verifyHeader(header, part.certificate, &work) { return refuse(reason) }
        for proven in part.messages {
            work.hashedBytes += 64 * (1 + proven.proof.count)
            guard proven.proof.count <= DeliveryPart.proofStepsMax,
                Merkle.verify(leaf: proven.message.hash, proof: proven.proof, root: header.outboxRoot)
            else { return refuse(.messagesNotInCheckpoint) }
        }
        return applyFresh(messages, checkpointHeight: header.height)
    }

    /// A delivery whose messages all lie below the next expected one is a replay; one that starts above it, a gap.
    private func sequenceWindow(_ messages: [CrossRegionMessage]) -> DeliveryRejection.Reason? {
        if let last = messages.last, last.destinationSequence < nextDestinationSequence {
            return .replay(sequence: last.destinationSequence, expected: nextDestinationSequence)
        }
        if let first = messages.first, first.destinationSequence > nextDestinationSequence {
            return .gap(sequence: first.destinationSequence, expected: nextDestinationSequence)
        }
        return nil
    }

    /// Checks the sequences of the messages not applied yet and counts them as applied.
    private mutating func applyFresh(
        _ messages: [CrossRegionMessage], checkpointHeight: UInt64
    ) -> Result<[CrossRegionMessage], DeliveryRejection> {
        func refuse(_ reason: DeliveryRejection.Reason) -> Result<[CrossRegionMessage], DeliveryRejection> {
            .failure(DeliveryRejection(checkpointHeight: checkpointHeight, reason: reason))
        }
        // A delivery may overlap what was applied (a relay that first sent part of a checkpoint, then all of it):
        // only the messages from the next expected sequence on are new.
        let fresh = messages.drop { $0.destinationSequence < nextDestinationSequence }
        var pairNext = nextPairSequence
        for (offset, message) in fresh.enumerated() {
            guard message.destinationRegion == region else {
                return refuse(.wrongDestination(message.destinationRegion))
            }
            let expected = nextDestinationSequence + UInt64(offset)
            let expectedPair = pairNext[message.sourceRegion, default: 0]
            guard message.destinationSequence == expected, message.pairSequence == expectedPair else {
                return refuse(
                    .inconsistentSequence(
                        source: message.sourceRegion, sequence: message.pairSequence, expected: expectedPair))
            }
            pairNext[message.sourceRegion] = expectedPair + 1
        }
        nextPairSequence = pairNext
        nextDestinationSequence += UInt64(fresh.count)
        appliedMessageCount += fresh.count
        lastCheckpointHeight = max(lastCheckpointHeight, checkpointHeight)
        return .success(Array(fresh))
    }

    private func verifyCheckpoint(_ delivery: CheckpointDelivery, _ work: inout Work) -> DeliveryRejection.Reason? {
        let header = delivery.header
        if let reason = verifyHeader(header, delivery.certificate, &work) { return reason }
        work.hashedBytes += 64 * delivery.messageLeaves.count
        guard Merkle.root(of: delivery.messageLeaves) == header.outboxRoot else { return .messagesNotInCheckpoint }
        // Leaves are distinct: each carries its destination's sequence number.
        let leaves = Set(delivery.messageLeaves)
        for message in delivery.messages where !leaves.contains(message.hash) { return .messagesNotInCheckpoint }
        return nil
    }

    /// The header is a global checkpoint of this chain and its QC certifies it under the committee's genesis keys.
    private func verifyHeader(
        _ header: BlockHeader, _ certificate: QuorumCertificate, _ work: inout Work
    ) -> DeliveryRejection.Reason? {
        guard header.chainID == chainID, header.region == GlobalConfiguration.globalRegion, header.height > 0 else {
            return .notACheckpoint
        }
        guard certificate.data.blockHash == header.hash, certificate.data.height == header.height else {
            return .certificateForAnotherBlock
        }
        if let failure = GlobalApplication.verify(
            certificate, chainID: chainID, genesis: committee, verifier: verifier, &work)
        {
            return .badCertificate(failure)
        }
        return nil
    }
}

import GridConsensus
import GridGlobal
import GridLedger
import GridRegion

/// What one committed region block did in the global layer's terms: the cross-region messages it emitted, and
/// those its `sys.inbound` transactions applied (counted as the simulator counts them for `global.regions[]` and
/// `global.crossRegion`). A live node sums these into its metrics.
public struct RegionBlockGlobalFigures: Sendable, Equatable {
    public var messagesSent: UInt64 = 0
    /// Cross-region messages applied (successful or failed calls alike: each used up its sequence number).
    public var messagesApplied: UInt64 = 0
    /// Applied messages whose call the destination contract refused.
    public var callsFailed: UInt64 = 0
    /// Relay transactions that committed but were refused, by the first word of the receipt's reason.
    public var relayFailures: [String: UInt64] = [:]
    /// Each message applied, by where it came from: what a live run joins with the operation that sent it for the
    /// `crossRegion` latency.
    public var applied: [AppliedMessage] = []

    public struct AppliedMessage: Codable, Sendable, Equatable, Hashable {
        public var sourceRegion: RegionID
        public var sourceHeight: UInt64
        public var destinationSequence: UInt64

        public init(sourceRegion: RegionID, sourceHeight: UInt64, destinationSequence: UInt64) {
            self.sourceRegion = sourceRegion
            self.sourceHeight = sourceHeight
            self.destinationSequence = destinationSequence
        }
    }

    public init(block: ProposedBlock<RegionPayload>, output: RegionCommitOutput) {
        messagesSent = UInt64(output.outbox.count)
        let receipts = output.commit.receipts
        for (position, pooled) in block.payload.transactions.enumerated()
        where pooled.transaction.contract == RegionApplication.inboundContractName && position < receipts.count {
            let receipt = receipts[position]
            guard receipt.status == .success else {
                let code = receipt.reason.split(separator: " ").first.map(String.init) ?? receipt.reason
                relayFailures[String(code.prefix(40)), default: 0] += 1
                continue
            }
            // A successful receipt's output always decodes (the contract wrote it); one that does not is counted
            // as a failure of its own rather than dropped.
            guard let applied = InboundContract.decodeOutput(receipt.output) else {
                relayFailures["undecodable-output", default: 0] += 1
                continue
            }
            messagesApplied += applied.count
            callsFailed += UInt64(applied.report.failed)
            // The messages the call applied are those of its arguments inside the applied range (the simulator reads
            // them the same way); arguments that do not decode leave the count without the origins.
            let arguments = pooled.transaction.arguments
            let carried: [CrossRegionMessage]?
            do {
                carried =
                    pooled.transaction.method == InboundContract.deliverPartMethod
                    ? try DeliveryPart(decoding: arguments).messages.map(\.message)
                    : try CheckpointDelivery(decoding: arguments).messages
            } catch {
                carried = nil
            }
            let range = applied.firstSequence..<(applied.firstSequence + applied.count)
            for message in carried ?? [] where range.contains(message.destinationSequence) {
                self.applied.append(
                    AppliedMessage(
                        sourceRegion: message.sourceRegion, sourceHeight: message.sourceHeight,
                        destinationSequence: message.destinationSequence))
            }
        }
    }
}

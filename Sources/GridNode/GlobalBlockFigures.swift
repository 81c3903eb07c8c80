import GridConsensus
import GridGlobal
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
        }
    }
}

import GridConsensus
import GridGlobal
import GridLedger
import GridRegion
import GridTopology
import GridWire

// What a topology file means for one node, the same for every runtime: its consensus timing, mempool, the bounds of
// the committee, and the wire limits that follow from them. A decoder's limits must admit everything an honest
// node of the same deployment sends and nothing larger.
extension Topology {
    public var consensusTiming: ConsensusTiming {
        ConsensusTiming(
            blockIntervalNanos: UInt64(consensus.blockIntervalMillis * 1e6),
            viewTimeoutNanos: UInt64(consensus.viewTimeoutMillis * 1e6),
            viewTimeoutBackoff: consensus.viewTimeoutBackoff,
            viewTimeoutMaxNanos: UInt64(consensus.viewTimeoutMaxMillis * 1e6))
    }

    public func mempoolConfiguration(chainID: ChainID, region: Int) -> MempoolConfiguration {
        MempoolConfiguration(
            chainID: chainID, region: RegionID(region), capacityTransactions: mempool.capacityTransactions,
            transactionBytesMax: mempool.transactionBytesMax, blockTransactionsMax: consensus.blockTransactionsMax,
            blockBytesMax: consensus.blockBytesMax, gossipBatchTransactionsMax: mempool.batchTransactionsMax,
            gossipIntervalNanos: UInt64(mempool.batchIntervalMillis * 1e6),
            // A transaction still held a view timeout after its gossip has waited as long as a stalled round does.
            gossipResendIntervalNanos: UInt64(consensus.viewTimeoutMillis * 1e6))
    }

    /// The committee's bounds. Per region a member keeps up to 1024 verified entries waiting for a checkpoint and
    /// 256 above a gap: several seconds of a busy region's blocks, so a stalled committee or a late sender costs
    /// one gap-filling round trip rather than a resend interval per 32 blocks.
    public static func checkpointLimits(_ settings: GlobalLayer) -> CheckpointLimits {
        CheckpointLimits(
            entriesMax: settings.entriesMax, bytesMax: settings.checkpointBytesMax, pendingEntriesPerRegionMax: 1024,
            heldBackEntriesPerRegionMax: 256)
    }

    /// Limits for decoding peer frames of this deployment.
    public var wireLimits: WireLimits {
        var encoding = EncodingLimits.standard
        encoding.transactionBytesMax = mempool.transactionBytesMax
        encoding.blockBytesMax = consensus.blockBytesMax
        encoding.blockTransactionsMax = consensus.blockTransactionsMax
        let syncBlocksMax = ConsensusTiming().syncBlocksMax
        // The largest honest frame is a sync answer of full blocks; keep at least 16 MiB for everything else.
        let frameBytesMax = max(16 << 20, syncBlocksMax * (consensus.blockBytesMax + (64 << 10)))
        return WireLimits(
            frameBytesMax: frameBytesMax, gossipBatchTransactionsMax: mempool.batchTransactionsMax,
            syncBlocksPerResponseMax: syncBlocksMax, encoding: encoding,
            checkpoint: global.map(Self.checkpointLimits) ?? CheckpointLimits())
    }
}

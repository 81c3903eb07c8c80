import GridGlobal
import GridLedger

/// Every bound a wire decoder enforces. A peer controls every count and length it sends, so each one is checked
/// against a limit here, and against the bytes actually left, before anything is allocated for it.
public struct WireLimits: Sendable, Equatable {
    /// Bytes of one whole frame. The largest honest frames are proposals (a 2,000-transaction block is about
    /// 0.4 MiB, and the mempool caps a block at 2 MiB) and sync responses (up to `syncBlocksPerResponseMax`
    /// blocks); 16 MiB leaves room for those while bounding what one message can make a receiver hold, since
    /// decoded values take several times their encoded size.
    public var frameBytesMax: Int
    /// Transactions in one gossip batch. Gateways gossip at most 256 at a time (`MempoolConfiguration`); four
    /// times that leaves room for other configurations without letting one batch flood a pool.
    public var gossipBatchTransactionsMax: Int
    /// Region commit entries in one `entries` message. Gap answers carry up to 256 entries and a member keeps at
    /// most `CheckpointLimits.pendingEntriesPerRegionMax` (1,024 in the simulator) pending per region, so more
    /// would be dropped anyway.
    public var entriesPerMessageMax: Int
    /// Blocks in one sync response: `ConsensusTiming.syncBlocksMax` defaults to 32, and a lagging replica asks
    /// again for the rest, so a larger answer only costs the receiver memory.
    public var syncBlocksPerResponseMax: Int
    /// UTF-8 bytes of a reason string in a client reply (admission codes and receipt reasons). A reason is a
    /// diagnostic, not data; longer ones are cut on encoding, so a contract cannot make replies large.
    public var reasonBytesMax: Int
    /// Keys in one client `read` (and values in its answer). An agent reads the set-points of one gateway's
    /// devices or one auction interval's records at a time: hundreds, not thousands.
    public var readKeysMax: Int
    /// Bytes of one key in a client `read`; contracts' state keys are tens of bytes.
    public var readKeyBytesMax: Int
    /// Transaction, argument, block and quorum-certificate bounds, as the ledger's own decoders use them. A
    /// `submit` carries at most `transactionBytesMax` bytes, and a region payload at most `blockTransactionsMax`
    /// transactions.
    public var encoding: EncodingLimits
    /// Checkpoint payload bounds (entries, bytes, outbox messages per entry), as the global layer's decoders use
    /// them, for global proposals, entries and deliveries.
    public var checkpoint: CheckpointLimits

    /// Votes in one quorum or timeout certificate. There is one vote per validator, so this bounds the validator
    /// set a certificate can speak for; 1,024 is far above any committee or region the testbed runs. Stored in
    /// `encoding`, so quorum certificates and timeout certificates share one bound.
    public var certificateVotesMax: Int {
        get { encoding.certificateVotesMax }
        set { encoding.certificateVotesMax = newValue }
    }

    public init(
        frameBytesMax: Int = 16 << 20, gossipBatchTransactionsMax: Int = 1024, entriesPerMessageMax: Int = 1024,
        syncBlocksPerResponseMax: Int = 32, reasonBytesMax: Int = 256, readKeysMax: Int = 4096,
        readKeyBytesMax: Int = 1024, encoding: EncodingLimits = .standard,
        checkpoint: CheckpointLimits = CheckpointLimits()
    ) {
        self.readKeysMax = readKeysMax
        self.readKeyBytesMax = readKeyBytesMax
        self.frameBytesMax = frameBytesMax
        self.gossipBatchTransactionsMax = gossipBatchTransactionsMax
        self.entriesPerMessageMax = entriesPerMessageMax
        self.syncBlocksPerResponseMax = syncBlocksPerResponseMax
        self.reasonBytesMax = reasonBytesMax
        self.encoding = encoding
        self.checkpoint = checkpoint
    }

    public static let standard = WireLimits()
}

import GridConsensus
import GridCrypto

/// The mempool as the region replica's source of proposals. The region node owns it and admits into it; the
/// replica draws blocks from it and reports executions and commits back.
extension Mempool: PayloadPool {
    public var pendingWork: PendingWork {
        PendingWork(available: count - inFlightCount, blockItemsMax: configuration.blockTransactionsMax)
    }

    /// The oldest transactions that no ancestor already carries.
    public mutating func nextPayload(ancestors: [ProposedBlock<RegionPayload>], work: inout Work) -> RegionPayload {
        var excluded = Set<Hash256>()
        for block in ancestors { for pooled in block.payload.transactions { excluded.insert(pooled.hash) } }
        return RegionPayload(transactions: nextBlock(excluding: excluded))
    }

    public func itemsChecked(in payload: RegionPayload) -> [Bool] {
        payload.transactions.map { wasVerified($0.hash) }
    }

    /// Every transaction of an executed block had its signature checked, here or (for a block with a verified
    /// QC) by the 2f+1 validators that certified it, at least f+1 of them honest.
    public mutating func executed(_ payload: RegionPayload, height: UInt64) {
        for pooled in payload.transactions { noteVerified(pooled.hash) }
        noteInFlight(payload.transactions.count, height: height)
    }

    public mutating func committed(_ payload: RegionPayload, height: UInt64) {
        remove(payload.transactions.map(\.hash))
        clearInFlight(upTo: height)
    }
}

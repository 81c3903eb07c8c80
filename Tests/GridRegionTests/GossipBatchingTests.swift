import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Gossip batching at a gateway: admitted client transactions go to the other validators in batches of at most
/// `gossipBatchTransactionsMax`, sent as soon as a batch is full or when the gossip timer fires, whichever comes
/// first, so that neither per-message overhead nor latency grows without bound. A peer's batch is bounded alike.
@Suite struct GossipBatchingTests {
    static let mempool = MempoolConfiguration(
        chainID: RegionCluster.chainID, region: RegionCluster.region, gossipBatchTransactionsMax: 3,
        gossipIntervalNanos: 1_000)

    @Test func aFullBatchIsBroadcastAtOnceAndTheTimerFlushesTheRest() {
        var cluster = RegionCluster(mempool: Self.mempool)
        let gateway = 1
        let transactions = (1...5).map { cluster.transfer(nonce: UInt64($0)) }

        // The first admitted transaction arms the gossip timer; nothing is sent yet.
        let first = cluster.handle(gateway, .client(1, bytes: transactions[0].encoded()))
        #expect(RegionCluster.gossipTimers(first) == 1)
        #expect(RegionCluster.gossipBatches(first).isEmpty)
        #expect(RegionCluster.replies(first).isEmpty, "an admitted transaction is answered when it commits")
        let second = cluster.handle(gateway, .client(2, bytes: transactions[1].encoded()))
        #expect(RegionCluster.gossipTimers(second) == 0, "the timer is already armed")
        #expect(RegionCluster.gossipBatches(second).isEmpty)

        // The third fills the batch: broadcast at once, in admission order, without waiting for the timer.
        let third = cluster.handle(gateway, .client(3, bytes: transactions[2].encoded()))
        #expect(RegionCluster.gossipBatches(third).map { $0.map(\.hash) } == [transactions[0...2].map(\.hash)])

        // A fourth waits for the timer, which then sends it alone; a timer with nothing buffered sends nothing.
        let fourth = cluster.handle(gateway, .client(4, bytes: transactions[3].encoded()))
        #expect(RegionCluster.gossipBatches(fourth).isEmpty)
        let timer = cluster.handle(gateway, .timer(.gossip))
        #expect(RegionCluster.gossipBatches(timer).map { $0.map(\.hash) } == [[transactions[3].hash]])
        #expect(RegionCluster.gossipBatches(cluster.handle(gateway, .timer(.gossip))).isEmpty)

        // With the timer spent, the next admission arms it again.
        let fifth = cluster.handle(gateway, .client(5, bytes: transactions[4].encoded()))
        #expect(RegionCluster.gossipTimers(fifth) == 1)
        #expect(cluster.nodes[gateway].mempool.count == 5)
    }

    @Test func refusedTransactionsAreNotGossiped() {
        var cluster = RegionCluster(mempool: Self.mempool)
        let wrongRegion = cluster.transfer(nonce: 1, region: 7)
        let actions = cluster.handle(1, .client(1, bytes: wrongRegion.encoded()))
        #expect(RegionCluster.gossipTimers(actions) == 0)
        #expect(RegionCluster.gossipBatches(cluster.handle(1, .timer(.gossip))).isEmpty)
    }

    @Test func anOversizedPeerBatchIsRefusedWhole() {
        var cluster = RegionCluster(mempool: Self.mempool)
        let batch = (1...4).map { PooledTransaction(cluster.transfer(nonce: UInt64($0))) }
        let refused = cluster.handle(2, .peer(from: 1, .gossip(batch)))
        let codes = refused.compactMap {
            if case .rejected(_, let rejection) = $0 { return rejection.code }
            return nil
        }
        #expect(codes == ["oversized-gossip"])
        #expect(cluster.nodes[2].mempool.count == 0, "not half-processed either")

        // A batch at the limit is taken.
        let accepted = cluster.handle(2, .peer(from: 1, .gossip(Array(batch.prefix(3)))))
        #expect(
            accepted.allSatisfy {
                if case .rejected = $0 { return false }
                return true
            })
        #expect(cluster.nodes[2].mempool.count == 3)
    }
}

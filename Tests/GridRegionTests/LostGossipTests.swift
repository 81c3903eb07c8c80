import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// A gateway's gossip is one frame per peer over a lossy link. Swarm seed 3786: the gossip carrying one client
/// transaction was lost to both honest peers of a 4-validator region (0.9 % loss per frame); only the gateway and the
/// equivocating leader held it. The gateway, lagging a round behind, had dropped out of the leader reputation set,
/// and the equivocator always put the transaction in the fork that lost, so it was never committed. A transaction
/// the gateway admitted must reach the other validators even when its first gossip is lost.
@Suite struct LostGossipTests {
    /// The gateway's actions that arm timers other than consensus ones (gossip flushes, resends).
    static func gatewayTimers(_ actions: [RegionAction]) -> [RegionTimer] {
        actions.compactMap {
            guard case .setTimer(let timer, _) = $0 else { return nil }
            if case .consensus = timer { return nil }
            return timer
        }
    }

    @Test func aTransactionWhoseGossipWasLostReachesThePeersAgain() {
        var cluster = RegionCluster()
        let gateway = 2
        let transaction = cluster.transfer(nonce: 1)
        var timers = Self.gatewayTimers(cluster.handle(gateway, .client(1, bytes: transaction.encoded())))
        var broadcasts = 0
        // Fire the gateway's own timers as they come (a bounded number of them). The first gossip is lost to every
        // peer; later ones arrive.
        var fired = 0
        while let timer = timers.first, fired < 16 {
            timers.removeFirst()
            fired += 1
            let actions = cluster.handle(gateway, .timer(timer))
            timers += Self.gatewayTimers(actions)
            for batch in RegionCluster.gossipBatches(actions) {
                broadcasts += 1
                guard broadcasts > 1 else { continue }
                for peer in cluster.nodes.indices where peer != gateway {
                    _ = cluster.handle(peer, .peer(from: gateway, .gossip(batch)))
                }
            }
        }
        for peer in cluster.nodes.indices where peer != gateway {
            #expect(cluster.nodes[peer].mempool.contains(transaction.hash), "validator \(peer) never got it")
        }
        #expect(broadcasts >= 2, "the gateway sent its transaction once and never again")
    }
}

extension LostGossipTests {
    static let mempool = MempoolConfiguration(
        chainID: RegionCluster.chainID, region: RegionCluster.region, blockTransactionsMax: 5,
        gossipBatchTransactionsMax: 2, gossipIntervalNanos: 1_000, gossipResendIntervalNanos: 7_000)

    static func resendTimers(_ actions: [RegionAction]) -> [UInt64] {
        actions.compactMap {
            if case .setTimer(.gossipResend, let after) = $0 { return after }
            return nil
        }
    }

    /// A resend goes out only for what was sent before the previous resend timer, oldest first, at most one
    /// block's worth per interval in batches a peer accepts; what is committed is not sent again, and the timer
    /// stops once nothing is left.
    @Test func resendsAreOldestFirstBoundedAndStopWhenCommitted() {
        var cluster = RegionCluster(mempool: Self.mempool)
        let gateway = 1
        let transactions = (1...7).map { cluster.transfer(nonce: UInt64($0)) }
        let first = cluster.handle(gateway, .client(1, bytes: transactions[0].encoded()))
        #expect(Self.resendTimers(first) == [7_000], "the first admission arms the resend timer")
        for (offset, transaction) in transactions.dropFirst().enumerated() {
            let actions = cluster.handle(gateway, .client(ClientRequestID(offset + 2), bytes: transaction.encoded()))
            #expect(Self.resendTimers(actions).isEmpty, "armed once")
        }
        // Sent since the timer was armed: not due yet.
        let early = cluster.handle(gateway, .timer(.gossipResend))
        #expect(RegionCluster.gossipBatches(early).isEmpty)
        #expect(Self.resendTimers(early) == [7_000])

        // Now due: the five oldest (one block's worth), in batches of two, in admission order.
        let due = cluster.handle(gateway, .timer(.gossipResend))
        let batches = RegionCluster.gossipBatches(due)
        #expect(batches.map(\.count) == [2, 2, 1])
        #expect(batches.flatMap { $0.map(\.hash) } == transactions[0..<5].map(\.hash))
        #expect(Self.resendTimers(due) == [7_000])

        // The next interval: the two left over, then (one more interval later) the five just sent, unless
        // committed. Commit them by driving the cluster to its replies.
        let rest = cluster.handle(gateway, .timer(.gossipResend))
        #expect(RegionCluster.gossipBatches(rest).flatMap { $0.map(\.hash) } == transactions[5..<7].map(\.hash))
        cluster.start()
        for peer in cluster.nodes.indices where peer != gateway {
            for batch in RegionCluster.gossipBatches(due) + RegionCluster.gossipBatches(rest) {
                cluster.absorb(peer, cluster.handle(peer, .peer(from: gateway, .gossip(batch))))
            }
        }
        let committed = cluster.run { replies in
            Set(replies.filter { $0.node == gateway }.map(\.id)) == Set((1...7).map(ClientRequestID.init))
        }
        #expect(committed, "all seven commit")
        let after = cluster.handle(gateway, .timer(.gossipResend))
        #expect(RegionCluster.gossipBatches(after).isEmpty, "committed transactions are not sent again")
        #expect(Self.resendTimers(after).isEmpty, "nothing left: the timer stops")
    }
}

import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Admission at the gateway refuses, with a reason the client can act on, every transaction that could never
/// commit validly here: meant for another region or chain, not signed by its sender, or a replay of a nonce
/// that was already used. A refused transaction takes no mempool space and is not gossiped.
@Suite struct AdmissionTests {
    private func reply(_ cluster: inout RegionCluster, _ id: ClientRequestID, _ transaction: Transaction)
        -> ClientReply?
    {
        RegionCluster.replies(cluster.submit(id, transaction.encoded(), to: 0)).first { $0.id == id }?.reply
    }

    @Test func foreignAndForgedTransactionsAreRefusedWithReasons() {
        var cluster = RegionCluster()
        #expect(reply(&cluster, 1, cluster.transfer(nonce: 1, region: 3)) == .rejected(reason: "wrong-region"))
        #expect(reply(&cluster, 2, cluster.transfer(nonce: 1, chainID: 9)) == .rejected(reason: "wrong-chain"))
        var tampered = cluster.transfer(nonce: 1)
        tampered.nonce = 5
        #expect(reply(&cluster, 3, tampered) == .rejected(reason: "bad-signature"))
        var otherSigner = cluster.transfer(nonce: 1)
        otherSigner.sender = cluster.keys[1].publicKey
        #expect(reply(&cluster, 4, otherSigner) == .rejected(reason: "bad-signature"))
        #expect(cluster.nodes[0].mempool.count == 0)

        // Control: the untampered transaction is admitted (no immediate reply) and a second copy is a duplicate.
        #expect(reply(&cluster, 5, cluster.transfer(nonce: 1)) == nil)
        #expect(reply(&cluster, 6, cluster.transfer(nonce: 1)) == .rejected(reason: "duplicate"))
        #expect(cluster.nodes[0].mempool.count == 1)
    }

    @Test func aCommittedNonceCannotBeReplayed() {
        var cluster = RegionCluster()
        cluster.start()
        let original = cluster.transfer(nonce: 1)
        cluster.submit(1, original.encoded(), to: 0)
        #expect(cluster.run { $0.contains { $0.id == 1 } }, "the original committed")
        let committed = cluster.replies.contains {
            if case .committed = $0.reply { return $0.id == 1 }
            return false
        }
        #expect(committed)
        // Let the other validators handle the commit too before asking one of them.
        cluster.run(maxEvents: 300) { _ in false }

        // The very same bytes again, at the same gateway and at another one: the nonce is used.
        #expect(reply(&cluster, 2, original) == .rejected(reason: "stale-nonce"))
        let elsewhere = RegionCluster.replies(cluster.submit(3, original.encoded(), to: 3))
        #expect(elsewhere.map(\.reply) == [.rejected(reason: "stale-nonce")])
        // A different transaction with the same nonce is a replay too.
        #expect(reply(&cluster, 4, cluster.transfer(nonce: 1, amountMicros: 2)) == .rejected(reason: "stale-nonce"))
        // A fresh nonce is fine.
        #expect(reply(&cluster, 5, cluster.transfer(nonce: 2)) == nil)
    }
}

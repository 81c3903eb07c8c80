import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// A gateway answers each client request exactly once, under the request's own id: busy or rejected at once,
/// committed or failed (with the receipt's reason) when the block holding the transaction commits. Replies are
/// mapped by transaction hash, so mixing two requests up would tell a client the wrong outcome.
@Suite struct ClientReplyTests {
    @Test func committedAndFailedReceiptsAreRepliedToTheRightRequests() throws {
        var cluster = RegionCluster()
        cluster.start()
        let gateway = 2
        let succeeds = cluster.transfer(nonce: 1)
        // More than the sender's balance: it commits, but execution fails.
        let fails = cluster.transfer(nonce: 2, amountMicros: TransferContract.genesisBalanceMicros + 1)
        cluster.submit(41, succeeds.encoded(), to: gateway)
        cluster.submit(42, fails.encoded(), to: gateway)
        let finished = cluster.run { replies in Set(replies.map(\.id)).isSuperset(of: [41, 42]) }
        #expect(finished, "both transactions committed within the event budget")

        #expect(cluster.replies.allSatisfy { $0.node == gateway }, "only the gateway that admitted them answers")
        let byID = Dictionary(grouping: cluster.replies, by: { $0.id })
        #expect(byID[41]?.count == 1 && byID[42]?.count == 1, "exactly one reply each")
        let committed = try #require(byID[41]?.first?.reply)
        let failed = try #require(byID[42]?.first?.reply)
        guard case .committed(let height) = committed else {
            Issue.record("request 41: \(committed)")
            return
        }
        guard case .failed(let failedHeight, let reason) = failed else {
            Issue.record("request 42: \(failed)")
            return
        }
        #expect(height > 0 && failedHeight > 0)
        #expect(reason.contains("insufficient balance"), "the receipt's reason reaches the client: \(reason)")
    }

    @Test func busyAndRejectedAreAnsweredAtOnce() {
        var cluster = RegionCluster(
            mempool: MempoolConfiguration(
                chainID: RegionCluster.chainID, region: RegionCluster.region, capacityTransactions: 2))
        #expect(RegionCluster.replies(cluster.submit(1, cluster.transfer(nonce: 1).encoded(), to: 0)).isEmpty)
        #expect(RegionCluster.replies(cluster.submit(2, cluster.transfer(nonce: 2).encoded(), to: 0)).isEmpty)
        let busy = RegionCluster.replies(cluster.submit(3, cluster.transfer(nonce: 3).encoded(), to: 0))
        #expect(busy.map(\.id) == [3])
        #expect(busy.map(\.reply) == [.busy])
        // Refusals are answered at once too (at another gateway: a full pool says busy before decoding anything).
        let malformed = RegionCluster.replies(cluster.submit(4, [1, 2, 3], to: 1))
        #expect(malformed.map(\.id) == [4])
        #expect(malformed.map(\.reply) == [.rejected(reason: "malformed")])
    }
}

import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Work flows one way: the gateway admits into the mempool its node owns, the replica draws proposals from that
/// mempool and reports back what it executed and committed. No admission goes through the replica.
@Suite struct WorkFlowTests {
    static let mempool = MempoolConfiguration(
        chainID: RegionCluster.chainID, region: RegionCluster.region, blockTransactionsMax: 3)

    static func proposals(_ actions: [RegionAction]) -> [Proposal<RegionPayload>] {
        actions.compactMap {
            if case .broadcast(.consensus(.proposal(let proposal))) = $0 { return proposal }
            return nil
        }
    }

    @Test func aLeaderProposesFromItsMempoolAsSoonAsAFullBlockWaits() throws {
        var cluster = RegionCluster(mempool: Self.mempool)
        cluster.start()
        let leader = cluster.nodes[0].replica.leader(ofRound: 1, extending: cluster.genesis.hash)
        let transactions = (1...3).map { cluster.transfer(nonce: UInt64($0)) }

        // Two of three: held by the gateway's mempool, half a block, no proposal before the block interval.
        for (index, transaction) in transactions.prefix(2).enumerated() {
            let actions = cluster.submit(ClientRequestID(index), transaction.encoded(), to: leader)
            #expect(Self.proposals(actions).isEmpty)
        }
        #expect(cluster.nodes[leader].mempool.count == 2)
        #expect(cluster.nodes[leader].mempool.pendingWork == .halfBlock)

        // The third fills a block: the admission itself wakes the leader, which proposes all three at once.
        let third = cluster.submit(2, transactions[2].encoded(), to: leader)
        let proposal = try #require(Self.proposals(third).first)
        #expect(proposal.block.payload.transactions.map(\.hash) == transactions.map(\.hash))
        // Still held until committed, but in flight: nothing waits for the next block.
        #expect(cluster.nodes[leader].mempool.count == 3)
        #expect(cluster.nodes[leader].mempool.inFlightCount == 3)
        #expect(cluster.nodes[leader].mempool.pendingWork == .none)

        // Once committed, the transactions leave every mempool that held them.
        #expect(cluster.run { replies in replies.count == 3 })
        #expect(cluster.replies.allSatisfy { if case .committed = $0.reply { true } else { false } })
        #expect(cluster.nodes[leader].mempool.count == 0)
        #expect(cluster.nodes[leader].mempool.inFlightCount == 0)
    }

    @Test func executionChecksOnlyTheSignaturesThePoolHasNotSeen() throws {
        var cluster = RegionCluster(mempool: Self.mempool)
        cluster.start()
        let leader = cluster.nodes[0].replica.leader(ofRound: 1, extending: cluster.genesis.hash)
        let (stranger, gossiped) = ((leader + 1) % 4, (leader + 2) % 4)
        let transactions = (1...3).map { cluster.transfer(nonce: UInt64($0)) }
        var proposal: Proposal<RegionPayload>?
        for (index, transaction) in transactions.enumerated() {
            proposal = Self.proposals(cluster.submit(ClientRequestID(index), transaction.encoded(), to: leader)).first
        }
        let block = try #require(proposal)

        // One follower got the transactions by gossip first (checked there, in a batch); the other sees them first
        // in the proposal and must check each signature while executing it.
        var gossipWork = Work()
        _ = cluster.nodes[gossiped].handle(
            .peer(from: leader, .gossip(transactions.map(PooledTransaction.init))), work: &gossipWork)
        #expect(gossipWork.batchedSignatureVerifications == 3)
        var strangerWork = Work()
        var gossipedWork = Work()
        let strangerActions = cluster.nodes[stranger].handle(
            .peer(from: leader, .consensus(.proposal(block))), work: &strangerWork)
        let gossipedActions = cluster.nodes[gossiped].handle(
            .peer(from: leader, .consensus(.proposal(block))), work: &gossipedWork)
        // Both executed the block and took it (a vote goes to the next leader, or stays here if it is that leader).
        for actions in [strangerActions, gossipedActions] {
            #expect(!actions.contains { if case .rejected = $0 { true } else { false } })
        }
        for node in [stranger, gossiped] { #expect(cluster.nodes[node].replica.uncommittedBlockCount == 1) }
        #expect(strangerWork.signatureVerifications == gossipedWork.signatureVerifications + 3)
        // Executing the block taught the stranger's pool the signatures: the same transactions arriving by gossip
        // now cost no check.
        var lateWork = Work()
        _ = cluster.nodes[stranger].handle(
            .peer(from: leader, .gossip(transactions.map(PooledTransaction.init))), work: &lateWork)
        #expect(lateWork.batchedSignatureVerifications == 0)
    }
}

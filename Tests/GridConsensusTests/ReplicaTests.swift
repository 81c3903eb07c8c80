import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import Testing

@Suite struct ReplicaTests {
    /// Starts all four and lets the round-1 leader propose; returns the cluster and the proposal.
    private func startedCluster() throws -> (Cluster, Proposal<RegionPayload>, Int) {
        var cluster = Cluster()
        for node in 0..<4 { _ = cluster.handle(node, .start) }
        let leader = cluster.validators.leader(ofRound: 1)
        // Idle leaders wait once for a heartbeat before proposing an empty block.
        _ = cluster.propose(leader, round: 1)
        let proposed = cluster.propose(leader, round: 1)
        let proposal = try #require(proposed)
        return (cluster, proposal, leader)
    }

    @Test func honestProposalGetsVotesForTheNextLeader() throws {
        var (cluster, proposal, leader) = try startedCluster()
        let nextLeader = cluster.validators.leader(ofRound: 2)
        let voter = (0..<4).first { $0 != leader && $0 != nextLeader }!
        let actions = cluster.handle(voter, .peer(from: leader, .consensus(.proposal(proposal))))
        let votes = Cluster.votes(actions)
        #expect(votes.first?.to == nextLeader)
        #expect(votes.count == 1)
        #expect(votes.first?.vote.data.blockHash == proposal.block.hash)
        #expect(Cluster.rejections(actions).isEmpty)
    }

    @Test func proposalFromANonLeaderIsRejected() throws {
        var (cluster, proposal, leader) = try startedCluster()
        let impostor = (leader + 2) % 4
        let voter = (leader + 1) % 4
        // Relaying the leader's block as one's own: the header names another proposer.
        let relayed = cluster.handle(voter, .peer(from: impostor, .consensus(.proposal(proposal))))
        #expect(Cluster.rejections(relayed) == ["wrong-proposer"])
        // A block of its own, properly signed, in a round it does not lead.
        var header = proposal.block.header
        header.proposer = cluster.keys[impostor].publicKey
        let own = ProposedBlock(header: header, payload: proposal.block.payload, justify: proposal.block.justify)
        let signed = Proposal(
            block: own, timeoutCertificate: nil,
            signature: cluster.keys[impostor].sign(Proposal<RegionPayload>.signingBytes(own.hash)))
        let actions = cluster.handle(voter, .peer(from: impostor, .consensus(.proposal(signed))))
        #expect(Cluster.rejections(actions) == ["not-leader"])
        #expect(Cluster.votes(actions).isEmpty)
    }

    @Test func tamperedProposalSignatureIsRejected() throws {
        var (cluster, proposal, leader) = try startedCluster()
        var signature = proposal.signature.bytes
        signature[5] ^= 0xff
        let forged = Proposal(
            block: proposal.block, timeoutCertificate: nil, signature: try Signature(bytes: signature))
        let actions = cluster.handle((leader + 1) % 4, .peer(from: leader, .consensus(.proposal(forged))))
        #expect(Cluster.rejections(actions) == ["bad-signature"])
    }

    @Test func votesWithBadSignaturesDuplicatesOrUnknownSendersAreRejected() throws {
        var (cluster, proposal, leader) = try startedCluster()
        let nextLeader = cluster.validators.leader(ofRound: 2)
        var collected: [(from: Int, vote: Vote)] = []
        for voter in 0..<4 where voter != nextLeader && voter != leader {
            let actions = cluster.handle(voter, .peer(from: leader, .consensus(.proposal(proposal))))
            collected += Cluster.votes(actions).map { (voter, $0.vote) }
        }
        let (from, vote) = try #require(collected.first)
        var badBytes = vote.signature.bytes
        badBytes[0] ^= 1
        let badVote = Vote(data: vote.data, voter: vote.voter, signature: try Signature(bytes: badBytes))
        #expect(
            Cluster.rejections(cluster.handle(nextLeader, .peer(from: from, .consensus(.vote(badVote))))) == [
                "bad-signature"
            ])
        #expect(Cluster.rejections(cluster.handle(nextLeader, .peer(from: from, .consensus(.vote(vote))))).isEmpty)
        #expect(
            Cluster.rejections(cluster.handle(nextLeader, .peer(from: from, .consensus(.vote(vote))))) == [
                "duplicate-vote"
            ])
        // A vote claiming to be from someone other than the sender.
        let other = (from + 1) % 4
        #expect(
            Cluster.rejections(cluster.handle(nextLeader, .peer(from: other, .consensus(.vote(vote))))) == [
                "voter-mismatch"
            ])
        // A sender that is not a validator at all.
        #expect(
            Cluster.rejections(cluster.handle(nextLeader, .peer(from: 9, .consensus(.vote(vote))))) == [
                "unknown-sender"
            ])
    }

    @Test func unsafeProposalIsNotVotedFor() throws {
        // Round 2 proposed by its leader, extending genesis (QC of round 0) with no timeout certificate:
        // Jolteon's voting rule forbids it, since the justify is not from round 1.
        var (cluster, proposal, leader) = try startedCluster()
        let voter = (leader + 1) % 4
        _ = cluster.handle(voter, .peer(from: leader, .consensus(.proposal(proposal))))
        // Move the voter to round 2 with a QC for round 1, built from real votes.
        let data = VoteData(chainID: 1, region: 0, height: 1, view: 1, blockHash: proposal.block.hash)
        let qc = QuorumCertificate(
            data: data,
            votes: (0..<3).map {
                CertificateVote(validatorIndex: UInt16($0), signature: cluster.keys[$0].sign(data.signingBytes()))
            })
        // Round 2 on genesis follows a timeout, so its leader is the round-robin one of the place after it.
        let round2Leader = cluster.nodes[voter].replica.leader(ofRound: 2, extending: cluster.genesis.hash)
        #expect(round2Leader == cluster.validators.leader(ofRound: 3))
        var app = Cluster.application()
        var work = Work()
        let execution = try app.execute(payload: RegionPayload(transactions: []), height: 1, ancestors: [], work: &work)
            .get()
        let roots = app.roots(of: execution)
        let header = BlockHeader(
            chainID: 1, region: 0, height: 1, view: 2, parentHash: cluster.genesis.hash,
            transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot, receiptsRoot: roots.receiptsRoot,
            outboxRoot: roots.outboxRoot, proposer: cluster.keys[round2Leader].publicKey)
        let unsafeBlock = ProposedBlock(
            header: header, payload: RegionPayload(transactions: []),
            justify: .genesis(chainID: 1, region: 0, genesisHash: cluster.genesis.hash))
        let unsafe = Proposal(
            block: unsafeBlock, timeoutCertificate: nil,
            signature: cluster.keys[round2Leader].sign(Proposal<RegionPayload>.signingBytes(unsafeBlock.hash)))
        // First the voter learns QC(1) through a timeout-free path: a proposal of round 2 that carries it would
        // be safe, so deliver the QC via a timeout message from a peer instead.
        let timeoutVote = TimeoutVote(
            round: 1, highQCRound: 1, voter: UInt16(round2Leader),
            signature: cluster.keys[round2Leader].sign(
                TimeoutVote.signingBytes(chainID: 1, region: 0, round: 1, highQCRound: 1)))
        _ = cluster.handle(
            voter, .peer(from: round2Leader, .consensus(.timeout(TimeoutMessage(vote: timeoutVote, highQC: qc)))))
        #expect(cluster.nodes[voter].replica.currentRound == 2)
        let actions = cluster.handle(voter, .peer(from: round2Leader, .consensus(.proposal(unsafe))))
        #expect(Cluster.votes(actions).isEmpty)
        #expect(Cluster.rejections(actions).contains("unsafe-proposal"))
    }

    @Test func forgedGenesisCertificateIsRejected() throws {
        var (cluster, proposal, leader) = try startedCluster()
        // Same block, but its justify claims to be the genesis certificate of some other block.
        let block = proposal.block
        var header = block.header
        header.parentHash = Hash256.blake2b([1, 2, 3])
        let forgedBlock = ProposedBlock(
            header: header, payload: block.payload,
            justify: .genesis(chainID: 1, region: 0, genesisHash: header.parentHash))
        let forged = Proposal(
            block: forgedBlock, timeoutCertificate: nil,
            signature: cluster.keys[leader].sign(Proposal<RegionPayload>.signingBytes(forgedBlock.hash)))
        let actions = cluster.handle((leader + 1) % 4, .peer(from: leader, .consensus(.proposal(forged))))
        #expect(Cluster.rejections(actions) == ["bad-certificate"])
    }

    @Test func safetyStateRoundTrips() throws {
        let (cluster, _, _) = try startedCluster()
        let state = cluster.nodes[0].replica.safetyState
        #expect(try SafetyState(decoding: state.encoded()) == state)
        #expect(throws: DecodingError.self) { try SafetyState(decoding: Array(state.encoded().dropLast())) }
    }
}

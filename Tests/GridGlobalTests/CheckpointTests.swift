import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

@Suite struct CheckpointTests {
    @Test func aByzantineLeadersCheckpointWithAnUnverifiedEntryFailsExecute() throws {
        var region = RegionFixture(region: 0)
        let configuration = globalConfiguration([region])
        var leader = StandaloneMember(
            GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier()))
        var member = StandaloneMember(
            GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier()))
        var work = Work()
        let honest = region.next()
        _ = leader.submit(honest, work: &work)
        _ = member.submit(honest, work: &work)

        // The same header with a certificate the region never produced: one vote signed twice over.
        let padded = QuorumCertificate(
            data: honest.certificate.data,
            votes: honest.certificate.votes.prefix(2) + [
                CertificateVote(validatorIndex: 3, signature: honest.certificate.votes[0].signature)
            ])
        let forged = RegionCommitEntry(header: honest.header, certificate: padded, outbox: [])
        let forgedResult = member.execute(
            payload: CheckpointPayload(entries: [forged]), height: 1, ancestors: [], work: &work)
        #expect(rejectionCode(forgedResult) == "unverified-entry")

        // A properly certified entry that skips a height.
        let skipped = region.next()
        let ahead = region.next()
        let gapResult = member.execute(
            payload: CheckpointPayload(entries: [honest, ahead]), height: 1, ancestors: [], work: &work)
        #expect(rejectionCode(gapResult) == "entry-does-not-extend")

        // The same entry twice.
        let twice = member.execute(
            payload: CheckpointPayload(entries: [honest, honest]), height: 1, ancestors: [], work: &work)
        #expect(rejectionCode(twice) == "entry-does-not-extend")

        // The honest checkpoint passes, and its child continues from it.
        let first = try member.execute(
            payload: CheckpointPayload(entries: [honest]), height: 1, ancestors: [], work: &work
        ).get()
        let leaderFirst = try leader.execute(
            payload: CheckpointPayload(entries: [honest]), height: 1, ancestors: [], work: &work
        ).get()
        #expect(member.roots(of: first) == leader.roots(of: leaderFirst))
        let second = member.execute(
            payload: CheckpointPayload(entries: [skipped, ahead]), height: 2, ancestors: [first], work: &work)
        #expect((try? second.get()) != nil)
    }

    @Test func membersRefuseToVoteForALeadersCheckpointWithAForgedEntry() throws {
        var region = RegionFixture(region: 0)
        var committee = Committee(configuration: globalConfiguration([region]))
        let honest = region.next()
        _ = committee.submit(honest)
        var work = Work()
        for member in 0..<4 { _ = committee.members[member].handle(.start, work: &work) }
        let leader = committee.validators.leader(ofRound: 1)
        // The leader signs a checkpoint whose entry carries a certificate with a doctored vote; the header's roots
        // are whatever the leader claims (the members' own execution must fail before roots are compared).
        var votes = honest.certificate.votes
        var bytes = votes[2].signature.bytes
        bytes[10] ^= 1
        votes[2] = CertificateVote(validatorIndex: votes[2].validatorIndex, signature: try Signature(bytes: bytes))
        let forged = RegionCommitEntry(
            header: honest.header, certificate: QuorumCertificate(data: honest.certificate.data, votes: votes),
            outbox: [])
        let header = BlockHeader(
            chainID: RegionFixture.chainID, region: Committee.region, height: 1, view: 1,
            parentHash: committee.genesis.hash, transactionsRoot: Merkle.root(of: [forged.digest]),
            stateRoot: .zero, receiptsRoot: Merkle.emptyRoot, outboxRoot: Merkle.emptyRoot,
            proposer: committee.keys[leader].publicKey)
        let block = ProposedBlock(
            header: header, payload: CheckpointPayload(entries: [forged]),
            justify: .genesis(
                chainID: RegionFixture.chainID, region: Committee.region, genesisHash: committee.genesis.hash))
        let proposal = Proposal(
            block: block, timeoutCertificate: nil,
            signature: committee.keys[leader].sign(Proposal<CheckpointPayload>.signingBytes(block.hash)))
        for member in 0..<4 where member != leader {
            let actions = committee.members[member].handle(.message(from: leader, .proposal(proposal)), work: &work)
            let codes = actions.compactMap { action -> String? in
                if case .rejected(_, let rejection) = action { return rejection.code }
                return nil
            }
            let voted = actions.contains { action in
                if case .send(_, .vote) = action { return true }
                return false
            }
            #expect(codes == ["unverified-entry"])
            #expect(!voted)
        }
    }

    @Test func checkpointsAreBoundedAndFairAcrossRegions() {
        var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
        var app = StandaloneMember(
            GlobalApplication(
                configuration: globalConfiguration(regions, limits: CheckpointLimits(entriesMax: 4)),
                verifier: DirectSignatureVerifier()))
        var work = Work()
        // Region 0 is busy; regions 1 and 2 send one block each.
        for _ in 0..<10 { _ = app.submit(regions[0].next(), work: &work) }
        _ = app.submit(regions[1].next(), work: &work)
        _ = app.submit(regions[2].next(), work: &work)
        #expect(app.hasFullBlock)
        let payload = app.makePayload(ancestors: [], work: &work)
        #expect(payload.entries.count == 4)
        #expect(Set(payload.entries.map(\.region)) == [0, 1, 2])
        #expect(payload.entries.filter { $0.region == 0 }.map(\.height) == [1, 2])
    }

    @Test func aCommitteeFinalizesThreeRegionsIdenticallyOnEveryMember() throws {
        var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
        let configuration = globalConfiguration(regions, limits: CheckpointLimits(entriesMax: 4))
        var committee = Committee(configuration: configuration)
        var submitted = 0
        for height in 1...3 {
            for index in regions.indices {
                let outbox = [
                    message(to: RegionID((index + 1) % 3), "r\(index)h\(height)"),
                    message(to: RegionID((index + 2) % 3), "r\(index)h\(height)b"),
                ]
                let entry = regions[index].next(outbox: outbox)
                let outcomes = committee.submit(entry)
                #expect(outcomes.allSatisfy { $0 == .accepted(released: 0, discarded: []) })
                submitted += 1
            }
        }
        committee.run(proposals: 10)
        #expect(committee.rejections.isEmpty)
        // Members stop at slightly different heights (the last certificates are still in flight): compare what all
        // of them committed.
        let common = committee.outputs.map(\.count).min() ?? 0
        try #require(common >= 3)
        let reference = Array(committee.outputs[0].prefix(common))
        for member in 1..<4 { #expect(Array(committee.outputs[member].prefix(common)) == reference) }
        let finalized = reference.flatMap(\.finalized)
        #expect(finalized.count == submitted)
        for region in 0..<3 {
            #expect(finalized.filter { $0.region == region }.map(\.height) == [1, 2, 3])
        }
        // No checkpoint exceeded its bound; the first one already served every region.
        #expect(reference.allSatisfy { $0.finalized.count <= 4 })
        #expect(Set(reference.first { !$0.finalized.isEmpty }?.finalized.map(\.region) ?? []) == [0, 1, 2])
        for member in 0..<4 {
            for region in RegionID(0)..<3 {
                #expect(committee.members[member].app.finalizedTip(of: region)?.height == 3)
                #expect(committee.members[member].pool.pendingCount(of: region) == 0)
            }
        }
        // Six messages per destination, numbered 0..<6 in checkpoint order.
        for destination in RegionID(0)..<3 {
            let messages = reference.flatMap { $0.messages(for: destination) }
            #expect(messages.map(\.destinationSequence) == Array(0..<6))
            #expect(messages.allSatisfy { $0.destinationRegion == destination })
        }
        var checker = GlobalInvariantChecker()
        for member in 0..<4 {
            for output in committee.outputs[member] {
                #expect(checker.recordCommit(member: member, output: output).isEmpty)
            }
        }
    }

    private func rejectionCode(_ result: Result<CheckpointExecution, ConsensusRejection>) -> String? {
        if case .failure(let rejection) = result { return rejection.code }
        return nil
    }
}

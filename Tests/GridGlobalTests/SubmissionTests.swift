import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

@Suite struct SubmissionTests {
    private func application(_ regions: [RegionFixture], limits: CheckpointLimits = CheckpointLimits())
        -> StandaloneMember
    {
        StandaloneMember(
            GlobalApplication(
                configuration: globalConfiguration(regions, limits: limits), verifier: DirectSignatureVerifier()))
    }

    @Test func certifiedEntriesAreAcceptedAndResendsIgnored() throws {
        var region = RegionFixture(region: 0)
        var app = application([region])
        var work = Work()
        let first = region.next()
        #expect(app.submit(first, work: &work) == .accepted(released: 0, discarded: []))
        #expect(work.signatureVerifications == 3)
        #expect(app.submit(first, work: &work) == .duplicate)
        // The resend cost no signature checks.
        #expect(work.signatureVerifications == 3)
        #expect(app.submit(region.next(), work: &work) == .accepted(released: 0, discarded: []))
        #expect(app.knownTip(of: 0)?.height == 2)
        #expect(app.finalizedTip(of: 0)?.height == 0)

        // Once finalized, resends of older heights are stale.
        let payload = app.makePayload(ancestors: [], work: &work)
        let execution = try app.execute(payload: payload, height: 1, ancestors: [], work: &work).get()
        let output = app.commit(
            block: ProposedBlock(
                header: checkpointHeader(app.roots(of: execution)), payload: payload,
                justify: .genesis(
                    chainID: RegionFixture.chainID, region: GlobalConfiguration.globalRegion, genesisHash: .zero)),
            execution: execution,
            certificate: .genesis(
                chainID: RegionFixture.chainID, region: GlobalConfiguration.globalRegion, genesisHash: .zero),
            work: &work)
        #expect(output.finalized.map(\.height) == [1, 2])
        #expect(app.finalizedTip(of: 0)?.height == 2)
        #expect(app.pendingCount(of: 0) == 0)
        #expect(app.submit(first, work: &work) == .stale)
    }

    private func checkpointHeader(_ roots: ExecutionRoots) -> BlockHeader {
        BlockHeader(
            chainID: RegionFixture.chainID, region: GlobalConfiguration.globalRegion, height: 1, view: 1,
            parentHash: .zero, transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot,
            receiptsRoot: roots.receiptsRoot, outboxRoot: roots.outboxRoot,
            proposer: RegionFixture(region: 0).keys[0].publicKey)
    }

    @Test func certificatesAreCheckedAgainstTheRegionsGenesisKeys() throws {
        var regionA = RegionFixture(region: 0)
        let regionB = RegionFixture(region: 1)
        var app = application([regionA, regionB])
        var work = Work()
        let header = regionA.header()

        // A forged vote: right signer index, wrong bytes.
        var forged = regionA.certificate(for: header)
        var bytes = forged.votes[1].signature.bytes
        bytes[0] ^= 0x40
        forged.votes[1].signature = try Signature(bytes: bytes)
        let forgedOutcome = app.submit(
            RegionCommitEntry(header: header, certificate: forged, outbox: []), work: &work)
        #expect(
            forgedOutcome
                == .rejected(EntryRejection(region: 0, height: 1, reason: .badCertificate(.badSignature(index: 1)))))

        // Region 1's validators sign region 0's block: valid signatures, but not by region 0's genesis keys.
        let foreign = regionA.certificate(for: header, signingKeys: regionB.keys)
        let foreignOutcome = app.submit(
            RegionCommitEntry(header: header, certificate: foreign, outbox: []), work: &work)
        #expect(
            foreignOutcome
                == .rejected(EntryRejection(region: 0, height: 1, reason: .badCertificate(.badSignature(index: 0)))))

        // 2 of 4 votes: below the 2f+1 = 3 quorum.
        let thin = regionA.certificate(for: header, signers: [0, 1])
        let thinOutcome = app.submit(RegionCommitEntry(header: header, certificate: thin, outbox: []), work: &work)
        #expect(
            thinOutcome
                == .rejected(
                    EntryRejection(region: 0, height: 1, reason: .badCertificate(.tooFewVotes(have: 2, need: 3)))))

        // The same voter twice does not make a quorum either.
        let doubled = regionA.certificate(for: header, signers: [0, 1, 1])
        let doubledOutcome = app.submit(
            RegionCommitEntry(header: header, certificate: doubled, outbox: []), work: &work)
        #expect(doubledOutcome.rejectionCode == "bad-certificate")

        // A genuine certificate, but for a sibling block.
        let sibling = regionA.header(salt: 9)
        let misplaced = regionA.certificate(for: sibling)
        let misplacedOutcome = app.submit(
            RegionCommitEntry(header: header, certificate: misplaced, outbox: []), work: &work)
        #expect(misplacedOutcome.rejectionCode == "certificate-for-another-block")

        // A region nobody configured.
        var stranger = RegionFixture(region: 5)
        #expect(app.submit(stranger.next(), work: &work).rejectionCode == "unknown-region")

        #expect(app.pendingCount(of: 0) == 0)
        #expect(app.submit(regionA.next(), work: &work) == .accepted(released: 0, discarded: []))
        #expect(app.rejectionCounts["bad-certificate"] == 4)
    }

    @Test func aHeaderThatDoesNotExtendTheChainIsRejectedAndOtherRegionsGoOn() {
        var byzantine = RegionFixture(region: 0)
        var honest = RegionFixture(region: 1)
        var app = application([byzantine, honest])
        var work = Work()
        let first = byzantine.next()
        #expect(app.submit(first, work: &work) == .accepted(released: 0, discarded: []))
        // Height 2, certified by region 0's own quorum, but on top of a sibling of block 1: a second branch.
        let sibling = byzantine.header(after: byzantine.genesisHeader, salt: 2)
        let onSibling = byzantine.header(after: sibling)
        let forkEntry = RegionCommitEntry(
            header: onSibling, certificate: byzantine.certificate(for: onSibling), outbox: [])
        let outcome = app.submit(forkEntry, work: &work)
        #expect(
            outcome
                == .rejected(
                    EntryRejection(region: 0, height: 2, reason: .doesNotExtendChain(expectedParent: first.blockHash))))
        // A second certified header at height 1: the region equivocated.
        let conflicting = byzantine.header(after: byzantine.genesisHeader, salt: 3)
        let conflictOutcome = app.submit(
            RegionCommitEntry(header: conflicting, certificate: byzantine.certificate(for: conflicting), outbox: []),
            work: &work)
        #expect(conflictOutcome.rejectionCode == "conflicting-header")
        #expect(app.knownTip(of: 0) == RegionTip(height: 1, blockHash: first.blockHash))

        // Region 1 is not affected.
        for _ in 0..<3 {
            #expect(app.submit(honest.next(), work: &work) == .accepted(released: 0, discarded: []))
        }
        let payload = app.makePayload(ancestors: [], work: &work)
        #expect(payload.entries.map(\.region).sorted() == [0, 1, 1, 1])
        let execution = app.execute(payload: payload, height: 1, ancestors: [], work: &work)
        #expect((try? execution.get()) != nil)
    }

    @Test func entriesAboveAGapAreHeldBackUntilItFills() {
        var region = RegionFixture(region: 0)
        var app = application([region], limits: CheckpointLimits(heldBackEntriesPerRegionMax: 2))
        var work = Work()
        let entries = (0..<5).map { _ in region.next() }
        #expect(app.submit(entries[2], work: &work) == .heldBack)
        #expect(app.submit(entries[1], work: &work) == .heldBack)
        #expect(app.submit(entries[2], work: &work) == .duplicate)
        // The gap buffer is bounded: a third entry ahead of the gap is refused (the region sends it again later).
        #expect(app.submit(entries[4], work: &work).rejectionCode == "gap-buffer-full")
        #expect(app.heldBackHeights(of: 0) == [2, 3])
        #expect(app.pendingCount(of: 0) == 0)
        #expect(app.submit(entries[0], work: &work) == .accepted(released: 2, discarded: []))
        #expect(app.heldBackHeights(of: 0).isEmpty)
        #expect(app.knownTip(of: 0) == RegionTip(height: 3, blockHash: entries[2].blockHash))
        #expect(app.submit(entries[4], work: &work) == .heldBack)
        #expect(app.submit(entries[3], work: &work) == .accepted(released: 1, discarded: []))
        #expect(app.pendingCount(of: 0) == 5)
    }

    @Test func aHeldBackEntryOnAnotherBranchIsDiscardedWhenTheGapFills() {
        var region = RegionFixture(region: 0)
        var app = application([region])
        var work = Work()
        let first = region.next()
        let sibling = region.header(after: region.genesisHeader, salt: 4)
        let onSibling = region.header(after: sibling)
        #expect(
            app.submit(
                RegionCommitEntry(header: onSibling, certificate: region.certificate(for: onSibling), outbox: []),
                work: &work) == .heldBack)
        #expect(
            app.submit(first, work: &work)
                == .accepted(
                    released: 0,
                    discarded: [
                        EntryRejection(
                            region: 0, height: 2, reason: .doesNotExtendChain(expectedParent: first.blockHash))
                    ]))
        #expect(app.submit(region.next(), work: &work) == .accepted(released: 0, discarded: []))
    }

    @Test func anOutboxThatDoesNotMatchTheRootIsRejected() {
        var region = RegionFixture(region: 0)
        let other = RegionFixture(region: 1)
        var app = application([region, other])
        var work = Work()
        let honest = region.next(outbox: [message(to: 1, "a"), message(to: 1, "b")])
        let swapped = RegionCommitEntry(
            header: honest.header, certificate: honest.certificate, outbox: honest.outbox.reversed())
        #expect(swapped.outbox != honest.outbox)
        #expect(
            app.submit(swapped, work: &work)
                == .rejected(EntryRejection(region: 0, height: 1, reason: .outboxMismatch)))
        let dropped = RegionCommitEntry(header: honest.header, certificate: honest.certificate, outbox: [])
        #expect(app.submit(dropped, work: &work).rejectionCode == "outbox-mismatch")
        #expect(app.submit(honest, work: &work) == .accepted(released: 0, discarded: []))
    }

    @Test func aCheckpointBoundRefusesOversizedOutboxes() {
        var region = RegionFixture(region: 0)
        var app = application([region], limits: CheckpointLimits(outboxMessagesPerEntryMax: 2))
        var work = Work()
        let entry = region.next(outbox: (0..<3).map { message(to: 0, "\($0)") })
        #expect(app.submit(entry, work: &work).rejectionCode == "oversized-outbox")
    }
}

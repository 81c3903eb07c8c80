import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire
import Testing

@Suite struct RoundTripTests {
    @Test func everyPeerMessageRoundTrips() throws {
        let samples = Fixture.peerMessages()
        // Every case and every consensus kind is covered, so a new case without a sample fails here.
        #expect(Set(samples.map(\.message.kind)).count == 17)
        for (name, message) in samples {
            let bytes = WireCodec.encode(message)
            #expect(bytes[0] == WireVersion.current, "\(name)")
            let decoded = try WireCodec.decode(bytes)
            #expect(decoded == message, "\(name)")
            #expect(WireCodec.encode(decoded) == bytes, "\(name)")
        }
    }

    @Test func everyClientMessageRoundTrips() throws {
        for (name, message) in Fixture.clientMessages() {
            let bytes = WireCodec.encode(message)
            #expect(bytes[0] == WireVersion.current, "\(name)")
            #expect(try WireCodec.decodeClient(bytes) == message, "\(name)")
        }
    }

    @Test func tagsAreDistinctPerCase() {
        let peerTags = Fixture.peerMessages().map { (kind: $0.message.kind, tag: WireCodec.encode($0.message)[1]) }
        for (kind, tag) in peerTags {
            let shared = peerTags.filter { $0.tag == tag }.map(\.kind)
            let family = kind.split(separator: ".").first!
            #expect(shared.allSatisfy { $0.split(separator: ".").first! == family }, "\(kind) shares tag \(tag)")
        }
        let clientTags = Set(Fixture.clientMessages().map { WireCodec.encode($0.message)[1] })
        #expect(clientTags == [1, 2, 3, 4])
    }

    /// Full-size proposals and gossip batches, as the simulator sends them.
    @Test func largeProposalAndGossipBatchRoundTrip() throws {
        let block = Fixture.regionBlocks(count: 1, transactionsPerBlock: 2000)[0]
        let proposal = Fixture.proposal(block, timeoutCertificate: nil, keys: Fixture.validatorKeys)
        let message = PeerMessage.regionConsensus(.proposal(proposal))
        let bytes = WireCodec.encode(message)
        #expect(bytes.count > 2000 * Transaction.encodedBytesMin)
        let decoded = try WireCodec.decode(bytes)
        #expect(decoded == message)
        guard case .regionConsensus(.proposal(let decodedProposal)) = decoded else {
            Issue.record("decoded as \(decoded.kind)")
            return
        }
        #expect(decodedProposal.block.hash == block.hash)
        #expect(decodedProposal.block.payload.transactions.map(\.hash) == block.payload.transactions.map(\.hash))
        #expect(
            Block.transactionsRoot(of: decodedProposal.block.payload.transactions.map(\.transaction))
                == block.header.transactionsRoot)
        #expect(
            Fixture.validatorKeys[Int(block.round) % 4].publicKey.verify(
                decodedProposal.signature, for: Proposal<RegionPayload>.signingBytes(decodedProposal.block.hash)))

        let batch = PeerMessage.gossip(Fixture.pooled(1000, argumentsBytes: 200))
        #expect(try WireCodec.decode(WireCodec.encode(batch)) == batch)
    }

    /// The decoded certificates still verify: nothing the signatures cover is lost or reordered.
    @Test func decodedCertificatesStillVerify() throws {
        let blocks = Fixture.regionBlocks(count: 3, transactionsPerBlock: 1)
        let qc = Fixture.certificate(for: blocks[2].header, keys: Fixture.validatorKeys)
        let message = PeerMessage.regionConsensus(.syncResponse(SyncResponse(blocks: blocks, highQC: qc)))
        guard case .regionConsensus(.syncResponse(let response)) = try WireCodec.decode(WireCodec.encode(message))
        else {
            Issue.record("not a sync response")
            return
        }
        let keys = Fixture.validatorKeys.map(\.publicKey)
        try response.highQC.verify(chainID: Fixture.chainID, region: Fixture.region, validators: keys)
        for block in response.blocks.dropFirst() {
            try block.justify.verify(chainID: Fixture.chainID, region: Fixture.region, validators: keys)
        }
        #expect(response.blocks.map(\.hash) == blocks.map(\.hash))
        #expect(zip(response.blocks.dropFirst(), response.blocks).allSatisfy { $0.parentHash == $1.hash })
    }

    /// Payloads and entries use the global layer's own encodings, byte for byte.
    @Test func checkpointPayloadsAndEntriesReuseTheCanonicalEncodings() throws {
        let block = Fixture.globalBlocks(count: 1, entriesPerBlock: 3)[0]
        var writer = ByteWriter()
        block.payload.write(into: &writer)
        #expect(writer.bytes == block.payload.encoded())

        let entries = Fixture.entries(count: 2)
        let bytes = WireCodec.encode(.entries(entries))
        #expect(Array(bytes[6...]) == entries.flatMap { $0.encoded() })

        let notice = Fixture.notice(withDelivery: true)
        let noticeBytes = WireCodec.encode(.checkpoint(notice, forwarded: true))
        let delivery = try #require(notice.delivery).encoded()
        #expect(Array(noticeBytes.suffix(delivery.count + 1)) == delivery + [1])

        let transaction = Fixture.transaction(3)
        let submit = WireCodec.encode(ClientMessage.submit(requestID: 1, transaction: transaction.encoded()))
        #expect(try Transaction(decoding: Array(submit[14...])) == transaction)
    }

    @Test func longReasonsAreCutAtACharacterBoundaryAndStillDecode() throws {
        let reason = String(repeating: "é", count: 100) + String(repeating: "x", count: 1000)
        let bytes = WireCodec.encode(ClientMessage.reply(requestID: 5, .failed(height: 3, reason: reason)))
        guard case .reply(5, .failed(3, let decoded)) = try WireCodec.decodeClient(bytes) else {
            Issue.record("not the reply sent")
            return
        }
        #expect(decoded.utf8.count == WireLimits.standard.reasonBytesMax)
        #expect(reason.hasPrefix(decoded))

        let odd = String(repeating: "x", count: 255) + "é"
        let oddBytes = WireCodec.encode(ClientMessage.reply(requestID: 5, .rejected(reason: odd)))
        #expect(
            try WireCodec.decodeClient(oddBytes) == .reply(requestID: 5, .rejected(reason: String(odd.prefix(255)))))
    }

    @Test func certificateVotesMaxIsTheEncodingBound() {
        var limits = WireLimits.standard
        limits.certificateVotesMax = 7
        #expect(limits.encoding.certificateVotesMax == 7)
        #expect(WireLimits.standard.certificateVotesMax == EncodingLimits.standard.certificateVotesMax)
    }
}

@Suite struct NodeMessageMappingTests {
    @Test func regionAndGlobalMessagesMapBothWays() throws {
        let batch = Fixture.pooled(2)
        let region = PeerMessage(RegionMessage.gossip(batch))
        #expect(region == .gossip(batch))
        guard case .gossip(let back) = region.regionMessage else {
            Issue.record("gossip did not map back")
            return
        }
        #expect(back == batch)
        #expect(region.globalMessage == nil)

        let sync = PeerMessage(RegionMessage.consensus(.syncRequest(fromHeight: 4)))
        #expect(sync == .regionConsensus(.syncRequest(fromHeight: 4)))
        let global = PeerMessage(GlobalMessage.consensus(.syncRequest(fromHeight: 9)))
        #expect(global == .globalConsensus(.syncRequest(fromHeight: 9)))
        guard case .consensus(.syncRequest(let height)) = global.globalMessage else {
            Issue.record("global message did not map back")
            return
        }
        #expect(height == 9)
        #expect(global.regionMessage == nil)
        #expect(PeerMessage.checkpointRequest(fromHeight: 1).regionMessage == nil)
    }
}

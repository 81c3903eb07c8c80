import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire
import Testing

@Suite struct HostileInputTests {
    private func refusal(_ bytes: [UInt8], limits: WireLimits = .standard) -> DecodingError? {
        do {
            let message = try WireCodec.decode(bytes, limits: limits)
            Issue.record("decoded as \(message.kind)")
            return nil
        } catch {
            return error
        }
    }

    private func clientRefusal(_ bytes: [UInt8], limits: WireLimits = .standard) -> DecodingError? {
        do {
            let message = try WireCodec.decodeClient(bytes, limits: limits)
            Issue.record("decoded as \(message.kind)")
            return nil
        } catch {
            return error
        }
    }

    private static func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    private static let version = WireVersion.current

    @Test func everyTruncationIsRefused() throws {
        for (name, message) in Fixture.peerMessages() {
            let bytes = WireCodec.encode(message)
            for length in 0..<bytes.count {
                do {
                    _ = try WireCodec.decode(Array(bytes[..<length]))
                    Issue.record("\(name): a \(length)-byte prefix of \(bytes.count) decoded")
                } catch {
                    #expect(error.offset <= length, "\(name) prefix \(length): \(error)")
                }
            }
        }
        for (name, message) in Fixture.clientMessages() {
            let bytes = WireCodec.encode(message)
            for length in 0..<bytes.count {
                #expect(throws: DecodingError.self, "\(name) prefix \(length)") {
                    try WireCodec.decodeClient(Array(bytes[..<length]))
                }
            }
        }
    }

    @Test func wrongVersionUnknownTagAndTrailingBytesAreRefused() throws {
        for (name, message) in Fixture.peerMessages() {
            var bytes = WireCodec.encode(message)
            let trailing = refusal(bytes + [0])
            #expect(trailing?.kind == .trailingBytes(count: 1) && trailing?.field == "frame", "\(name)")
            #expect(trailing?.offset == bytes.count, "\(name)")
            bytes[0] = Self.version &+ 1
            let version = refusal(bytes)
            #expect(version?.kind == .unsupportedVersion(Self.version &+ 1) && version?.field == "frame.version")
            #expect(version?.offset == 0)
        }
        for tag: UInt8 in [0, 10, 0x7f, 0xff] {
            let error = refusal([Self.version, tag, 0, 0, 0, 0])
            #expect(error?.field == "frame.tag" && error?.offset == 1, "tag \(tag)")
        }
        for tag: UInt8 in [0, 5, 0xff] {
            #expect(clientRefusal([Self.version, tag, 0, 0])?.field == "frame.tag", "client tag \(tag)")
        }
        for (name, message) in Fixture.clientMessages() {
            let bytes = WireCodec.encode(message)
            #expect(clientRefusal(bytes + [7])?.kind == .trailingBytes(count: 1), "\(name)")
            #expect(clientRefusal([0] + bytes.dropFirst())?.kind == .unsupportedVersion(0), "\(name)")
        }
        // Unknown inner tags: consensus kind, identity kind, reply kind.
        let regionKind = refusal([Self.version, 1, 9])
        #expect(regionKind?.field == "regionConsensus.kind" && regionKind?.offset == 2)
        #expect(refusal([Self.version, 8, 0, 0, 0, 7, 4])?.field == "hello.identity.kind")
        #expect(clientRefusal([Self.version, 2] + [UInt8](repeating: 0, count: 8) + [6])?.field == "reply.kind")
        // A boolean byte other than 0 or 1.
        var forwarded = WireCodec.encode(.checkpoint(Fixture.notice(withDelivery: false), forwarded: true))
        forwarded[forwarded.count - 1] = 2
        #expect(refusal(forwarded)?.field == "checkpoint.forwarded")
    }

    /// Huge counts and lengths fail at the count or length field itself, before anything sized by them exists.
    @Test func hugeCountsAndLengthsFailAtTheirField() throws {
        let huge = Self.be32(.max)
        let cases: [(bytes: [UInt8], field: String)] = [
            ([Self.version, 2] + huge, "gossip.count"),
            ([Self.version, 2] + Self.be32(1) + huge + [UInt8](repeating: 0, count: 200), "gossip[0].length"),
            ([Self.version, 4] + huge, "entries.count"),
            ([Self.version, 1, 5] + huge, "regionConsensus.syncResponse.blocks.count"),
            ([Self.version, 3, 5] + huge, "globalConsensus.syncResponse.blocks.count"),
        ]
        for (bytes, field) in cases {
            let error = refusal(bytes)
            #expect(error?.field == field)
            #expect(error?.kind == .tooLarge(limit: limitFor(field), actual: Int(UInt32.max)), "\(field)")
        }
        // Within the limit but more than the input could hold: truncated, at the count.
        let lying = refusal([Self.version, 2] + Self.be32(1000) + [UInt8](repeating: 0, count: 64))
        #expect(lying?.field == "gossip.count" && lying?.offset == 2)
        #expect(lying?.kind == .truncated(neededBytes: 1000 * (4 + Transaction.encodedBytesMin), remainingBytes: 64))

        let submit = clientRefusal([Self.version, 1] + [UInt8](repeating: 0, count: 8) + huge)
        #expect(submit?.field == "submit.transaction")
        #expect(
            submit?.kind == .tooLarge(limit: WireLimits.standard.encoding.transactionBytesMax, actual: Int(UInt32.max)))

        let reason = clientRefusal([Self.version, 2] + [UInt8](repeating: 0, count: 8) + [1, 0xff, 0xff])
        #expect(reason?.field == "reply.rejected.reason")
        #expect(reason?.kind == .tooLarge(limit: WireLimits.standard.reasonBytesMax, actual: 0xffff))

        // A region payload's transaction count, inside a proposal.
        let block = Fixture.regionBlocks(count: 1, transactionsPerBlock: 1)[0]
        var writer = ByteWriter()
        writer.write(Self.version)
        writer.write(UInt8(1))
        writer.write(UInt8(1))
        block.header.write(into: &writer)
        writer.writeFixed(huge)
        let payload = refusal(writer.bytes)
        #expect(payload?.field == "regionConsensus.proposal.block.payload.transactions.count")
        #expect(
            payload?.kind == .tooLarge(limit: EncodingLimits.standard.blockTransactionsMax, actual: Int(UInt32.max)))
    }

    private func limitFor(_ field: String) -> Int {
        switch field {
        case "gossip.count": return WireLimits.standard.gossipBatchTransactionsMax
        case "gossip[0].length": return WireLimits.standard.encoding.transactionBytesMax
        case "entries.count": return WireLimits.standard.entriesPerMessageMax
        default: return WireLimits.standard.syncBlocksPerResponseMax
        }
    }

    /// Honest messages just over a configured limit are refused at the count, naming the limit and the count.
    @Test func countsAboveTheLimitsFailNamingTheField() throws {
        var limits = WireLimits.standard
        limits.gossipBatchTransactionsMax = 2
        limits.entriesPerMessageMax = 2
        limits.syncBlocksPerResponseMax = 2
        limits.certificateVotesMax = 2
        limits.reasonBytesMax = 4
        limits.encoding.blockTransactionsMax = 1
        limits.encoding.transactionBytesMax = 200
        limits.checkpoint = CheckpointLimits(entriesMax: 1)

        let gossip = refusal(WireCodec.encode(.gossip(Fixture.pooled(3))), limits: limits)
        #expect(gossip?.field == "gossip.count" && gossip?.kind == .tooLarge(limit: 2, actual: 3))
        #expect(gossip?.offset == 2)

        let big = refusal(WireCodec.encode(.gossip(Fixture.pooled(1, argumentsBytes: 100))), limits: limits)
        let bigBytes = Fixture.transaction(0, argumentsBytes: 100).encoded().count
        #expect(big?.field == "gossip[0].length" && big?.kind == .tooLarge(limit: 200, actual: bigBytes))

        let entries = refusal(WireCodec.encode(.entries(Fixture.entries(count: 3))), limits: limits)
        #expect(entries?.field == "entries.count" && entries?.kind == .tooLarge(limit: 2, actual: 3))

        let blocks = Fixture.regionBlocks(count: 3, transactionsPerBlock: 0)
        let qc = Fixture.certificate(for: blocks[2].header, keys: Fixture.validatorKeys)
        let sync = refusal(
            WireCodec.encode(.regionConsensus(.syncResponse(SyncResponse(blocks: blocks, highQC: qc)))), limits: limits)
        #expect(sync?.field == "regionConsensus.syncResponse.blocks.count")
        #expect(sync?.kind == .tooLarge(limit: 2, actual: 3))

        let vote = refusal(
            WireCodec.encode(
                .regionConsensus(
                    .timeout(Fixture.timeout(round: 5, highQC: qc, region: Fixture.region, keys: Fixture.validatorKeys))
                )),
            limits: limits)
        #expect(vote?.field == "regionConsensus.timeout.highQC.votes.count")
        #expect(vote?.kind == .tooLarge(limit: 2, actual: 3))

        let tc = Fixture.timeoutCertificate(
            round: 5, highQC: QuorumCertificate(data: qc.data, votes: []), region: Fixture.region,
            keys: Fixture.validatorKeys)
        let withTC = Fixture.proposal(blocks[0], timeoutCertificate: tc, keys: Fixture.validatorKeys)
        let tcError = refusal(WireCodec.encode(.regionConsensus(.proposal(withTC))), limits: limits)
        #expect(tcError?.field == "regionConsensus.proposal.timeoutCertificate.votes.count")
        let timeoutWithTC = Fixture.timeout(
            round: 6, highQC: QuorumCertificate(data: qc.data, votes: []), region: Fixture.region,
            keys: Fixture.validatorKeys, lastTimeoutCertificate: tc)
        let timeoutTCError = refusal(WireCodec.encode(.regionConsensus(.timeout(timeoutWithTC))), limits: limits)
        #expect(timeoutTCError?.field == "regionConsensus.timeout.lastTimeoutCertificate.votes.count")

        let full = Fixture.regionBlocks(count: 1, transactionsPerBlock: 2)[0]
        let proposal = Fixture.proposal(full, timeoutCertificate: nil, keys: Fixture.validatorKeys)
        let payload = refusal(WireCodec.encode(.regionConsensus(.proposal(proposal))), limits: limits)
        #expect(payload?.field == "regionConsensus.proposal.block.payload.transactions.count")

        let global = Fixture.globalBlocks(count: 1, entriesPerBlock: 2)[0]
        let globalProposal = Fixture.proposal(global, timeoutCertificate: nil, keys: Fixture.committeeKeys)
        let checkpoint = refusal(WireCodec.encode(.globalConsensus(.proposal(globalProposal))), limits: limits)
        #expect(checkpoint?.field == "globalConsensus.proposal.block.payload.entries.count")
        #expect(checkpoint?.kind == .tooLarge(limit: 1, actual: 2))

        let reply = clientRefusal(
            WireCodec.encode(ClientMessage.reply(requestID: 1, .rejected(reason: "malformed"))), limits: limits)
        #expect(reply?.field == "reply.rejected.reason" && reply?.kind == .tooLarge(limit: 4, actual: 9))

        // Reads: the key count, each key's size and the answer's count are bounded before anything is allocated.
        var readLimits = WireLimits.standard
        readLimits.readKeysMax = 2
        readLimits.readKeyBytesMax = 3
        let manyKeys = clientRefusal(
            WireCodec.encode(ClientMessage.read(requestID: 1, contract: "c", keys: [[1], [2], [3]])), limits: readLimits
        )
        #expect(manyKeys?.field == "read.keys.count" && manyKeys?.kind == .tooLarge(limit: 2, actual: 3))
        let longKey = clientRefusal(
            WireCodec.encode(ClientMessage.read(requestID: 1, contract: "c", keys: [[1, 2, 3, 4]])), limits: readLimits)
        #expect(longKey?.field == "read.keys[0]" && longKey?.kind == .tooLarge(limit: 3, actual: 4))
        let manyValues = clientRefusal(
            WireCodec.encode(ClientMessage.values(requestID: 1, height: 1, values: [nil, nil, nil])), limits: readLimits
        )
        #expect(manyValues?.field == "values.count" && manyValues?.kind == .tooLarge(limit: 2, actual: 3))
        // A count the remaining bytes cannot hold is refused as truncated, not allocated.
        var lying = WireCodec.encode(ClientMessage.read(requestID: 1, contract: "c", keys: []))
        lying.replaceSubrange((lying.count - 4)..., with: [0, 0, 0, 2])
        let truncated = clientRefusal(lying, limits: readLimits)
        #expect(truncated?.field == "read.keys.count")
        #expect(truncated?.kind == .truncated(neededBytes: 8, remainingBytes: 0))

        let frame = WireCodec.encode(.gossip(Fixture.pooled(3)))
        limits = .standard
        limits.frameBytesMax = frame.count - 1
        let tooBig = refusal(frame, limits: limits)
        #expect(tooBig?.field == "frame" && tooBig?.kind == .tooLarge(limit: frame.count - 1, actual: frame.count))
    }

    @Test func checkpointPayloadBytesAreBounded() throws {
        let global = Fixture.globalBlocks(count: 1, entriesPerBlock: 3)[0]
        let proposal = Fixture.proposal(global, timeoutCertificate: nil, keys: Fixture.committeeKeys)
        let bytes = WireCodec.encode(.globalConsensus(.proposal(proposal)))
        var limits = WireLimits.standard
        limits.checkpoint = CheckpointLimits(bytesMax: global.payload.encoded().count - 1)
        let error = refusal(bytes, limits: limits)
        #expect(error?.field == "globalConsensus.proposal.block.payload.entries[2]")
        limits.checkpoint = CheckpointLimits(bytesMax: global.payload.encoded().count)
        #expect(try WireCodec.decode(bytes, limits: limits) == .globalConsensus(.proposal(proposal)))
    }

    @Test func randomBytesAreRefusedOrCanonical() {
        var random = SplitMix64(seed: 0x5EED)
        var decoded = 0
        for trial in 0..<6000 {
            var bytes = random.bytes(Int.random(in: 0...300, using: &random))
            // Most trials get a valid version and tag, so the body decoders are what is exercised.
            if trial % 4 != 0, bytes.count >= 2 {
                bytes[0] = WireVersion.current
                bytes[1] = UInt8.random(in: 1...9, using: &random)
            }
            if expectCanonicalOrRefused(bytes, "random bytes #\(trial)") { decoded += 1 }
            if trial % 4 != 0, bytes.count >= 2 { bytes[1] = UInt8.random(in: 1...2, using: &random) }
            expectCanonicalOrRefusedClient(bytes, "random client bytes #\(trial)")
        }
        // Short fixed-size messages (requests, proofs) do decode from random bodies of the right size.
        #expect(decoded > 0)
    }

    @Test func mutatedMessagesAreRefusedOrCanonical() {
        var random = SplitMix64(seed: 0xB17E)
        for (name, message) in Fixture.peerMessages() {
            let original = WireCodec.encode(message)
            var decoded = 0
            for trial in 0..<400 {
                var bytes = original
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = UInt8.random(in: 0...255, using: &random)
                if trial % 5 == 0 {
                    // Also try a second mutation, aimed at the start where tags and counts live.
                    let head = Int.random(in: 0..<min(bytes.count, 16), using: &random)
                    bytes[head] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
                }
                if expectCanonicalOrRefused(bytes, "\(name) mutated at \(index)") { decoded += 1 }
            }
            // Signatures and hashes make up much of every larger message, and survive any mutation.
            if original.count > 64 { #expect(decoded > 0, "\(name): no mutation decoded") }
        }
        for (name, message) in Fixture.clientMessages() {
            let original = WireCodec.encode(message)
            for _ in 0..<400 {
                var bytes = original
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                expectCanonicalOrRefusedClient(bytes, "\(name) mutated")
            }
        }
    }

    /// Every byte of a small message set to every value: exhaustive for the bytes that steer the decoder.
    @Test func everyValueOfEveryHeaderByteIsRefusedOrCanonical() {
        for (name, message) in Fixture.peerMessages()
        where name.hasPrefix("regionConsensus.timeout") || name == "gossip" {
            let original = WireCodec.encode(message)
            for index in 0..<min(original.count, 24) {
                for value in 0...255 {
                    var bytes = original
                    bytes[index] = UInt8(value)
                    expectCanonicalOrRefused(bytes, "\(name)[\(index)] = \(value)")
                }
            }
        }
    }
}

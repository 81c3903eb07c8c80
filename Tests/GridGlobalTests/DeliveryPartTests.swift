import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

extension RegionLedger {
    /// Relays one part of a split delivery in a block of its own; returns its receipt.
    mutating func relay(part: DeliveryPart) throws -> Receipt {
        let transaction = InboundContract.relayTransaction(
            chainID: RegionFixture.chainID, region: region, part: part, signer: relay, nonce: nonce)
        nonce += 1
        return try block([transaction]).commit.receipts[0]
    }
}

/// Deliveries too large for one relay transaction's 2 KiB arguments travel in parts, each message with its Merkle
/// proof under the checkpoint's outbox root; every message is applied exactly once whatever the checkpoint holds.
@Suite struct DeliveryPartTests {
    /// Region 0 sends `count` messages in two blocks that one checkpoint finalizes: two of every three to region 1,
    /// the rest to region 2, so region 1's leaves are interleaved with another region's.
    static func bigCheckpoint(count: Int = 450) throws -> (Committee, CheckpointDelivery) {
        var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
        var committee = Committee(configuration: globalConfiguration(regions))
        let half = count / 2
        for block in 0..<2 {
            let outbox = (0..<half).map { index -> OutboxMessage in
                let number = block * half + index
                return message(to: number % 3 == 2 ? 2 : 1, "message \(number)")
            }
            _ = committee.submit(regions[0].next(outbox: outbox))
        }
        committee.run(proposals: 6)
        let deliveries = inboundDeliveries(committee.outputs[0], to: 1)
        try #require(deliveries.count == 1, "the test wants one checkpoint, got \(deliveries.count)")
        return (committee, deliveries[0])
    }

    @Test func hundredsOfMessagesInOneCheckpointAreAppliedExactlyOnceInParts() throws {
        let (committee, delivery) = try Self.bigCheckpoint()
        #expect(delivery.messages.count == 300)
        // Whole, it exceeds the argument bound: before parts this delivery was lost as delivery-too-large.
        #expect(delivery.wireBytes > 2048)
        #expect(!InboundContract.deliveryFits(delivery, transactionBytesMax: 4096))
        let parts = try #require(delivery.parts(transactionBytesMax: 4096))
        #expect(parts.count > 1)
        #expect(parts.flatMap { $0.messages.map(\.message) } == delivery.messages)
        var ledger = RegionLedger(region: 1, committee: committee)
        for (index, part) in parts.enumerated() {
            #expect(part.partIndex == UInt32(index) && part.partCount == UInt32(parts.count))
            let bytes = part.encoded()
            #expect(bytes.count == part.wireBytes && bytes.count <= 2048)
            #expect(try DeliveryPart(decoding: bytes) == part)
            // Each part passes real admission (argument and transaction bounds).
            let transaction = InboundContract.relayTransaction(
                chainID: RegionFixture.chainID, region: 1, part: part, signer: ledger.relay, nonce: ledger.nonce)
            var work = Work()
            #expect(ledger.admit(bytes: transaction.encoded(), work: &work) == .accepted(transaction.hash))
        }
        var applied: UInt64 = 0
        for part in parts {
            let receipt = try ledger.relay(part: part)
            #expect(receipt.status == .success, "\(receipt.reason)")
            let output = try #require(InboundContract.decodeOutput(receipt.output))
            #expect(output.firstSequence == applied && output.count == UInt64(part.messages.count))
            applied += UInt64(part.messages.count)
        }
        #expect(ledger.nextDestinationSequence == 300)
        #expect(ledger.notes == delivery.messages.map { "0:" + String(decoding: $0.message.payload, as: UTF8.self) })
        // Every part again, and the whole delivery: replays, refused with their reason and changing nothing.
        let after = ledger.contractState
        for part in parts {
            let replay = try ledger.relay(part: part)
            #expect(replay.status == .failure && replay.reason.hasPrefix("replay"), "\(replay.reason)")
        }
        #expect(try ledger.relay(delivery).reason.hasPrefix("replay"))
        #expect(ledger.contractState == after)
        #expect(ledger.notes.count == 300)
    }

    @Test func aTamperedOrMisplacedPartIsRefusedWithItsReason() throws {
        let (committee, delivery) = try Self.bigCheckpoint()
        let parts = try #require(delivery.parts(transactionBytesMax: 4096))
        try #require(parts.count >= 2)
        let part = parts[0]
        var ledger = RegionLedger(region: 1, committee: committee)
        let initial = ledger.contractState
        func variant(
            messages: [ProvenMessage]? = nil, certificate: QuorumCertificate? = nil, index: UInt32? = nil,
            destination: RegionID? = nil
        ) -> DeliveryPart {
            DeliveryPart(
                destination: destination ?? part.destination, header: part.header,
                certificate: certificate ?? part.certificate, partIndex: index ?? part.partIndex,
                partCount: part.partCount, messages: messages ?? part.messages)
        }
        // A message whose text was changed: its proof no longer reaches the outbox root.
        let original = part.messages[0]
        let altered = CrossRegionMessage(
            sourceRegion: original.message.sourceRegion, sourceHeight: original.message.sourceHeight,
            outboxIndex: original.message.outboxIndex, destinationSequence: original.message.destinationSequence,
            pairSequence: original.message.pairSequence, message: message(to: 1, "forged"))
        var tampered = part.messages
        tampered[0] = ProvenMessage(message: altered, proof: original.proof)
        var receipt = try ledger.relay(part: variant(messages: tampered))
        #expect(receipt.reason.hasPrefix("messages-not-in-checkpoint"), "\(receipt.reason)")
        // A genuine message with one proof step flipped.
        var steps = original.proof
        steps[0] = Merkle.ProofStep(sibling: Hash256.blake2b([1] as [UInt8]), siblingIsLeft: steps[0].siblingIsLeft)
        tampered = part.messages
        tampered[0] = ProvenMessage(message: original.message, proof: steps)
        receipt = try ledger.relay(part: variant(messages: tampered))
        #expect(receipt.reason.hasPrefix("messages-not-in-checkpoint"), "\(receipt.reason)")
        // A QC signed by strangers.
        let strangers = (0..<4).map { KeyPair.derived(masterSeed: 99, label: "stranger/\($0)") }
        let data = part.certificate.data
        let forged = QuorumCertificate(
            data: data,
            votes: (0..<3).map {
                CertificateVote(validatorIndex: UInt16($0), signature: strangers[$0].sign(data.signingBytes()))
            })
        receipt = try ledger.relay(part: variant(certificate: forged))
        #expect(receipt.reason.hasPrefix("bad-certificate"), "\(receipt.reason)")
        receipt = try ledger.relay(part: variant(index: part.partCount))
        #expect(receipt.reason.hasPrefix("malformed-part"), "\(receipt.reason)")
        receipt = try ledger.relay(part: variant(messages: []))
        #expect(receipt.reason.hasPrefix("malformed-part"), "\(receipt.reason)")
        receipt = try ledger.relay(part: variant(destination: 2))
        #expect(receipt.reason.hasPrefix("wrong-destination"), "\(receipt.reason)")
        // The second part before the first: a gap.
        receipt = try ledger.relay(part: parts[1])
        #expect(receipt.reason.hasPrefix("gap"), "\(receipt.reason)")
        // Bytes cut short: the field is named.
        let garbage = Transaction(
            chainID: RegionFixture.chainID, region: 1, signer: ledger.relay, nonce: ledger.nonce,
            contract: "sys.inbound", method: InboundContract.deliverPartMethod,
            arguments: Array(part.encoded().dropLast()))
        ledger.nonce += 1
        receipt = try ledger.block([garbage]).commit.receipts[0]
        #expect(receipt.reason.hasPrefix("malformed-delivery") && receipt.reason.contains("part."), "\(receipt.reason)")
        #expect(ledger.contractState == initial)
        // The genuine parts still apply, in order.
        for part in parts { #expect(try ledger.relay(part: part).status == .success) }
        #expect(ledger.nextDestinationSequence == UInt64(delivery.messages.count))
    }

    @Test func partDecodingRefusesEveryTruncationAndBadSideByte() throws {
        let (_, delivery) = try Self.bigCheckpoint(count: 90)
        let parts = try #require(delivery.parts(transactionBytesMax: 4096))
        let bytes = parts[0].encoded()
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try DeliveryPart(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try DeliveryPart(decoding: bytes + [0]) }
        // The side byte of the first step of the first message sits right after the message body and step count.
        let offset = parts[0].messagesOffset + parts[0].messages[0].message.bodyBytes + 1
        var corrupted = bytes
        corrupted[offset] = 7
        #expect(throws: DecodingError.self) { try DeliveryPart(decoding: corrupted) }
    }

    @Test func batchProofsMatchSingleProofs() {
        for count in [1, 2, 3, 5, 8, 13, 100] {
            let leaves = (0..<count).map { Hash256.blake2b([UInt8($0)]) }
            let root = Merkle.root(of: leaves)
            let proofs = Merkle.proofs(of: Array(0..<count), in: leaves)
            #expect(proofs?.count == count)
            for index in 0..<count {
                #expect(proofs?[index] == Merkle.proof(of: index, in: leaves))
                #expect(Merkle.verify(leaf: leaves[index], proof: proofs?[index] ?? [], root: root))
            }
            #expect(Merkle.proofs(of: [count], in: leaves) == nil)
        }
    }
}

import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

@Suite struct InboundContractTests {
    private static func note(_ message: CrossRegionMessage) -> String {
        "\(message.sourceRegion):" + String(decoding: message.message.payload, as: UTF8.self)
    }

    private func report(_ receipt: Receipt) throws -> InboundReport {
        #expect(receipt.status == .success, "\(receipt.reason)")
        return try InboundReport(decoding: receipt.output)
    }

    @Test func aCertifiedDeliveryIsAppliedOnceInOrderAndAReplayChangesNothing() throws {
        let (committee, outputs) = inboundCheckpoints()
        let toRegion1 = inboundDeliveries(outputs, to: 1)
        try #require(toRegion1.count >= 2)
        var ledger = RegionLedger(region: 1, committee: committee)
        var applied = 0
        for delivery in toRegion1 {
            let receipt = try ledger.relay(delivery)
            let result = try report(receipt)
            #expect(result.succeeded == UInt32(delivery.messages.count) && result.failed == 0)
            let output = try InboundContract.decodeContractOutput(result.contractOutput)
            #expect(output.firstSequence == UInt64(applied) && output.count == UInt32(delivery.messages.count))
            let decoded = try #require(InboundContract.decodeOutput(receipt.output))
            #expect(decoded.firstSequence == UInt64(applied) && decoded.count == UInt64(delivery.messages.count))
            #expect(decoded.report == result)
            // The certificate's signatures were checked and charged; one call for the delivery, one per message.
            #expect(ledger.lastWork.signatureVerifications == 1 + delivery.certificate.votes.count)
            #expect(ledger.lastWork.contractCalls == 1 + delivery.messages.count)
            applied += delivery.messages.count

            // The same delivery again: refused as a replay, nothing changes but the relay's nonce.
            let before = ledger.contractState
            let replay = try ledger.relay(delivery)
            #expect(replay.status == .failure && replay.reason.hasPrefix("replay"), "\(replay.reason)")
            #expect(ledger.contractState == before)
            // A replay is answered before any signature work.
            #expect(ledger.lastWork.signatureVerifications == 1)
        }
        #expect(ledger.nextDestinationSequence == 4)
        #expect(InboundContract.committedNextSequence(ledger.app.committedState["sys.inbound"] ?? [:]) == 4)
        // In checkpoint order, each with the region that really sent it.
        #expect(ledger.notes == toRegion1.flatMap(\.messages).map(Self.note))
        #expect(
            InboundContract.nextPairSequence(
                from: 0, reading: { ledger.app.committedState["sys.inbound"]?[StateKey($0)] })
                == 2)
        // The first checkpoint once more, long after.
        #expect(try ledger.relay(toRegion1[0]).reason.hasPrefix("replay"))
    }

    @Test func aLaterCheckpointBeforeAnEarlierOneIsAGapAndAppliesNothing() throws {
        let (committee, outputs) = inboundCheckpoints()
        let toRegion2 = inboundDeliveries(outputs, to: 2)
        try #require(toRegion2.count >= 2)
        var ledger = RegionLedger(region: 2, committee: committee)
        let before = ledger.contractState
        let gap = try ledger.relay(toRegion2[1])
        #expect(gap.status == .failure && gap.reason.hasPrefix("gap"), "\(gap.reason)")
        #expect(ledger.contractState == before)
        // In order, both apply.
        for delivery in toRegion2 { #expect(try ledger.relay(delivery).status == .success) }
        #expect(ledger.notes.count == 4)
    }

    @Test func forgedOrAlteredDeliveriesAreRefusedWithTheirReason() throws {
        let (committee, outputs) = inboundCheckpoints()
        let delivery = try #require(inboundDeliveries(outputs, to: 0).first)
        var ledger = RegionLedger(region: 0, committee: committee)
        let initial = ledger.contractState

        // A QC over the right checkpoint signed by keys that are not the committee's.
        let strangers = (0..<4).map { KeyPair.derived(masterSeed: 99, label: "stranger/\($0)") }
        let data = delivery.certificate.data
        let forged = QuorumCertificate(
            data: data,
            votes: (0..<3).map {
                CertificateVote(validatorIndex: UInt16($0), signature: strangers[$0].sign(data.signingBytes()))
            })
        func variant(
            certificate: QuorumCertificate? = nil, leaves: [Hash256]? = nil, messages: [CrossRegionMessage]? = nil,
            destination: RegionID? = nil
        ) -> CheckpointDelivery {
            CheckpointDelivery(
                destination: destination ?? delivery.destination, header: delivery.header,
                certificate: certificate ?? delivery.certificate, messageLeaves: leaves ?? delivery.messageLeaves,
                messages: messages ?? delivery.messages)
        }
        var receipt = try ledger.relay(variant(certificate: forged))
        #expect(receipt.reason.hasPrefix("bad-certificate"), "\(receipt.reason)")
        // The signature checks the refusal needed were charged.
        #expect(ledger.lastWork.signatureVerifications == 2)
        // Too few votes.
        receipt = try ledger.relay(
            variant(certificate: QuorumCertificate(data: data, votes: Array(delivery.certificate.votes.prefix(2)))))
        #expect(receipt.reason.hasPrefix("bad-certificate"), "\(receipt.reason)")

        // A message that is not among the leaves.
        let original = delivery.messages[0]
        let altered = CrossRegionMessage(
            sourceRegion: original.sourceRegion, sourceHeight: original.sourceHeight,
            outboxIndex: original.outboxIndex, destinationSequence: original.destinationSequence,
            pairSequence: original.pairSequence, message: message(to: 0, "forged"))
        receipt = try ledger.relay(variant(messages: [altered] + delivery.messages.dropFirst()))
        #expect(receipt.reason.hasPrefix("messages-not-in-checkpoint"), "\(receipt.reason)")
        // Leaves that do not hash to the checkpoint's outbox root.
        receipt = try ledger.relay(variant(leaves: delivery.messageLeaves + [altered.hash]))
        #expect(receipt.reason.hasPrefix("messages-not-in-checkpoint"), "\(receipt.reason)")
        // Another region's delivery.
        receipt = try ledger.relay(try #require(inboundDeliveries(outputs, to: 1).first))
        #expect(receipt.reason.hasPrefix("wrong-destination"), "\(receipt.reason)")
        // Bytes that are no delivery: the field is named.
        let garbage = Transaction(
            chainID: RegionFixture.chainID, region: 0, signer: ledger.relay, nonce: ledger.nonce,
            contract: "sys.inbound",
            method: "deliver", arguments: Array(delivery.encoded().dropLast()))
        receipt = try ledger.block([garbage]).commit.receipts[0]
        #expect(receipt.reason.hasPrefix("malformed-delivery") && receipt.reason.contains("delivery.messages"))
        let wrongMethod = Transaction(
            chainID: RegionFixture.chainID, region: 0, signer: ledger.relay, nonce: ledger.nonce + 1,
            contract: "sys.inbound",
            method: "apply", arguments: delivery.encoded())
        #expect(try ledger.block([wrongMethod]).commit.receipts[0].reason.hasPrefix("unknown method"))
        ledger.nonce += 2

        // None of that moved anything; the genuine delivery still applies.
        #expect(ledger.contractState == initial)
        #expect(try report(try ledger.relay(delivery)).succeeded == UInt32(delivery.messages.count))
    }

    @Test func aFailingMessageCallStillCountsAsAppliedAndOthersGoThrough() throws {
        // Region 0's first-height message to region 1 fails at the destination; region 2's asks for an echo.
        let (committee, outputs) = inboundCheckpoints { source, destination, height in
            if source == 0, destination == 1, height == 1 { return "fail" }
            if source == 2, destination == 1, height == 1 { return "echo" }
            return "\(source)->\(destination)@\(height)"
        }
        let toRegion1 = inboundDeliveries(outputs, to: 1)
        var ledger = RegionLedger(region: 1, committee: committee)
        var failed = 0
        var echoes: [OutboxMessage] = []
        for delivery in toRegion1 {
            let transaction = InboundContract.relayTransaction(
                chainID: RegionFixture.chainID, region: 1, delivery: delivery, signer: ledger.relay, nonce: ledger.nonce
            )
            ledger.nonce += 1
            let output = try ledger.block([transaction])
            let result = try report(output.commit.receipts[0])
            #expect(result.messageCount == delivery.messages.count)
            failed += Int(result.failed)
            for failure in result.failures {
                #expect(failure.reason == "the note says fail")
                #expect(delivery.messages[Int(failure.index)].message.payload == Array("fail".utf8))
            }
            echoes += output.outbox
            #expect(try ledger.relay(delivery).reason.hasPrefix("replay"))
        }
        #expect(failed == 1)
        #expect(ledger.nextDestinationSequence == 4)
        #expect(ledger.notes == toRegion1.flatMap(\.messages).map(Self.note).filter { $0 != "0:fail" })
        #expect(ledger.notes.contains("2:echo"))
        // The inner call's outbox message left with the block.
        #expect(
            echoes == [
                OutboxMessage(destinationRegion: 2, contract: "test", method: "note", payload: Array("ack".utf8))
            ])
    }

    @Test func twoIndependentRegionLedgersAgreeOnEveryRootAndTheState() throws {
        let (committee, outputs) = inboundCheckpoints { source, destination, height in
            source == 2 && height == 2 ? "fail" : "\(source)->\(destination)@\(height)"
        }
        let toRegion0 = inboundDeliveries(outputs, to: 0)
        var first = RegionLedger(region: 0, committee: committee)
        var second = RegionLedger(region: 0, committee: committee)
        // Out of order, duplicated and in order: the same sequence of attempts on both.
        let attempts = [toRegion0.last!] + toRegion0 + toRegion0
        for delivery in attempts {
            let a = try first.relay(delivery)
            let b = try second.relay(delivery)
            #expect(a == b)
        }
        #expect(first.roots == second.roots)
        #expect(first.app.committedState == second.app.committedState)
        #expect(first.app.committedStateRoot == second.app.committedStateRoot)
        #expect(first.notes.count == 3)
    }

    @Test func relayTransactionSizeIsComputedAndBounded() throws {
        let (_, outputs) = inboundCheckpoints()
        for delivery in outputs.flatMap(\.deliveries) {
            let signer = KeyPair.derived(masterSeed: 31, label: "size")
            let transaction = InboundContract.relayTransaction(
                chainID: RegionFixture.chainID, region: delivery.destination, delivery: delivery, signer: signer,
                nonce: 1)
            #expect(transaction.encoded().count == InboundContract.relayTransactionBytes(delivery))
            #expect(InboundContract.relayTransactionBytes(delivery) == 135 + delivery.wireBytes)
            // 3 votes: 481 + 32 per leaf + (38 + contract + method + payload) per message.
            let messageBytes = delivery.messages.reduce(0) {
                $0 + 38 + $1.message.contract.utf8.count + $1.message.method.utf8.count + $1.message.payload.count
            }
            #expect(delivery.certificate.votes.count == 3)
            #expect(delivery.wireBytes == 481 + 32 * delivery.messageLeaves.count + messageBytes)
            #expect(InboundContract.deliveryFits(delivery, transactionBytesMax: 4096))
            #expect(!InboundContract.deliveryFits(delivery, transactionBytesMax: 600))
            // It passes real admission.
            var ledger = RegionLedger(
                region: delivery.destination, committee: Committee(configuration: globalConfiguration([])))
            var work = Work()
            let outcome = ledger.admit(bytes: transaction.encoded(), work: &work)
            #expect(outcome == .accepted(transaction.hash))
        }
        // Past argumentsBytesMax (2048) a delivery no longer fits, whatever transactionBytesMax says.
        let delivery = try #require(outputs.first?.deliveries.first)
        let padded = CheckpointDelivery(
            destination: delivery.destination, header: delivery.header, certificate: delivery.certificate,
            messageLeaves: delivery.messageLeaves + Array(repeating: delivery.messageLeaves[0], count: 60),
            messages: delivery.messages)
        #expect(padded.wireBytes > 2048)
        #expect(!InboundContract.deliveryFits(padded, transactionBytesMax: 1 << 20))
        #expect(InboundContract.deliveryFits(padded, transactionBytesMax: 1 << 20, argumentsBytesMax: 1 << 20))
    }
}

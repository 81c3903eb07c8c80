import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

/// SplitMix64, so every randomised case replays from its seed.
private struct DeliveryRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

@Suite struct DeliveryEncodingTests {
    /// Real deliveries from a committed checkpoint (real global QC), plus edge shapes.
    private func samples() throws -> [CheckpointDelivery] {
        let (_, outputs) = inboundCheckpoints()
        var deliveries = outputs.flatMap(\.deliveries)
        try #require(!deliveries.isEmpty)
        let base = deliveries[0]
        // No messages and no leaves; unicode and empty strings; a large payload.
        deliveries.append(
            CheckpointDelivery(
                destination: 5, header: base.header, certificate: base.certificate, messageLeaves: [], messages: []))
        let odd = CrossRegionMessage(
            sourceRegion: .max - 1, sourceHeight: .max, outboxIndex: .max, destinationSequence: .max,
            pairSequence: 0,
            message: OutboxMessage(
                destinationRegion: 5, contract: "", method: "Ωmega", payload: Array(repeating: 0xab, count: 3000)))
        deliveries.append(
            CheckpointDelivery(
                destination: 5, header: base.header, certificate: base.certificate,
                messageLeaves: base.messageLeaves + [odd.hash], messages: [odd]))
        return deliveries
    }

    @Test func deliveriesAndMessagesRoundTripAndWireBytesIsTheEncodedSize() throws {
        for delivery in try samples() {
            let bytes = delivery.encoded()
            #expect(bytes.count == delivery.wireBytes)
            #expect(try CheckpointDelivery(decoding: bytes) == delivery)
            for message in delivery.messages {
                #expect(message.encoded().count == message.wireBytes)
                let decoded = try CrossRegionMessage(decoding: message.encoded())
                #expect(decoded == message)
                #expect(decoded.hash == message.hash)
            }
        }
    }

    @Test func everyTruncationAndTrailingByteIsRefusedWithAFieldPath() throws {
        for delivery in try samples().prefix(3) {
            let bytes = delivery.encoded()
            for length in 0..<bytes.count {
                do {
                    _ = try CheckpointDelivery(decoding: Array(bytes.prefix(length)))
                    Issue.record("a \(length)-byte prefix of \(bytes.count) decoded")
                } catch {
                    #expect(error.field.hasPrefix("delivery"))
                }
            }
            do {
                _ = try CheckpointDelivery(decoding: bytes + [0])
                Issue.record("trailing byte accepted")
            } catch {
                #expect(error.kind == .trailingBytes(count: 1) && error.field == "delivery")
            }
            let message = try #require(delivery.messages.first)
            let messageBytes = message.encoded()
            for length in 0..<messageBytes.count {
                #expect(throws: DecodingError.self) {
                    try CrossRegionMessage(decoding: Array(messageBytes.prefix(length)))
                }
            }
        }
    }

    @Test func aWrongVersionIsNamed() throws {
        var bytes = try #require(try samples().first).encoded()
        bytes[0] = 2
        do {
            _ = try CheckpointDelivery(decoding: bytes)
            Issue.record("version 2 accepted")
        } catch {
            #expect(error.field == "delivery.version" && error.kind == .unsupportedVersion(2))
        }
    }

    @Test func countsAreCheckedAgainstLimitsAndRemainingBytesBeforeAllocating() throws {
        let delivery = try #require(try samples().first)
        let bytes = delivery.encoded()
        let leafCountOffset = 1 + 2 + BlockHeader.encodedBytes + 57 + 66 * delivery.certificate.votes.count
        // A lying leaf count: within the limit but more than the input holds.
        var lying = bytes
        lying.replaceSubrange(leafCountOffset..<(leafCountOffset + 4), with: [0x00, 0x00, 0xff, 0xff])
        do {
            _ = try CheckpointDelivery(decoding: lying)
            Issue.record("lying leaf count accepted")
        } catch {
            #expect(error.field == "delivery.messageLeaves.count")
            guard case .truncated = error.kind else { throw error }
        }
        // Beyond the limit.
        var huge = bytes
        huge.replaceSubrange(leafCountOffset..<(leafCountOffset + 4), with: [0xff, 0xff, 0xff, 0xff])
        do {
            _ = try CheckpointDelivery(decoding: huge)
            Issue.record("huge leaf count accepted")
        } catch {
            #expect(error.kind == .tooLarge(limit: 64 * 1024, actual: 0xffff_ffff))
        }
        // A small limit refuses a real delivery's leaves and messages.
        let tight = CheckpointLimits(entriesMax: 1, outboxMessagesPerEntryMax: 1)
        #expect(delivery.messageLeaves.count > 1)
        do {
            _ = try CheckpointDelivery(decoding: bytes, limits: tight)
            Issue.record("limits ignored")
        } catch {
            #expect(error.field == "delivery.messageLeaves.count")
            #expect(error.kind == .tooLarge(limit: 1, actual: delivery.messageLeaves.count))
        }
        let manyMessages = CheckpointDelivery(
            destination: delivery.destination, header: delivery.header, certificate: delivery.certificate,
            messageLeaves: [], messages: delivery.messages + delivery.messages)
        do {
            _ = try CheckpointDelivery(decoding: manyMessages.encoded(), limits: tight)
            Issue.record("message limit ignored")
        } catch {
            #expect(error.field == "delivery.messages.count")
        }
        // A payload above the checkpoint byte bound.
        let big = CrossRegionMessage(
            sourceRegion: 0, sourceHeight: 1, outboxIndex: 0, destinationSequence: 0, pairSequence: 0,
            message: OutboxMessage(
                destinationRegion: 1, contract: "a", method: "b", payload: [UInt8](repeating: 1, count: 65)))
        do {
            _ = try CrossRegionMessage(decoding: big.encoded(), limits: CheckpointLimits(bytesMax: 64))
            Issue.record("payload limit ignored")
        } catch {
            #expect(error.field == "message.payload" && error.kind == .tooLarge(limit: 64, actual: 65))
        }
    }

    @Test func randomBytesAndBitFlipsNeverCrash() throws {
        var random = DeliveryRandom(state: 0x5eed_0001)
        let encodings = try samples().prefix(3).map { $0.encoded() }
        for round in 0..<2000 {
            let input: [UInt8]
            if round % 2 == 0 {
                input = random.bytes(Int.random(in: 0...600, using: &random))
            } else {
                var flipped = encodings[round % encodings.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<flipped.count, using: &random)
                    flipped[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
                }
                input = flipped
            }
            if let decoded = try? CheckpointDelivery(decoding: input) {
                // Whatever decodes re-encodes to the same bytes: the encoding is canonical.
                #expect(decoded.encoded() == input)
            }
            _ = try? CrossRegionMessage(decoding: input)
        }
    }
}

import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

@Suite struct EncodingTests {
    @Test func entriesAndCheckpointsRoundTripAndWireBytesIsTheEncodedSize() throws {
        var region = RegionFixture(region: 3)
        let entries = [
            region.next(), region.next(outbox: [message(to: 1, "hello"), message(to: 2, "")]),
        ]
        for entry in entries {
            let bytes = entry.encoded()
            #expect(bytes.count == entry.wireBytes)
            let decoded = try RegionCommitEntry(decoding: bytes)
            #expect(decoded == entry)
            #expect(decoded.digest == entry.digest)
        }
        let payload = CheckpointPayload(entries: entries)
        #expect(payload.encoded().count == payload.wireBytes)
        #expect(try CheckpointPayload(decoding: payload.encoded()) == payload)
    }

    @Test func hostileBytesAreRefusedWithAReason() throws {
        var region = RegionFixture(region: 3)
        let entry = region.next(outbox: [message(to: 1, "x")])
        let bytes = entry.encoded()
        // Every truncation fails cleanly.
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try RegionCommitEntry(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try RegionCommitEntry(decoding: bytes + [0]) }
        // A lying outbox count is refused before allocation.
        var lying = bytes
        let countOffset = 1 + BlockHeader.encodedBytes + 57 + 3 * 66
        lying.replaceSubrange(countOffset..<(countOffset + 4), with: [0x7f, 0xff, 0xff, 0xff])
        #expect(throws: DecodingError.self) { try RegionCommitEntry(decoding: lying) }
        // More entries than a checkpoint may hold.
        var many = ByteWriter()
        many.write(UInt32(65))
        #expect(throws: DecodingError.self) { try CheckpointPayload(decoding: many.bytes) }
    }
}

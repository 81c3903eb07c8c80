import GridCrypto
import GridLedger
import Testing

/// What the receipts fuzz target (`scripts/fuzz.sh ledger`) checks, on the input that broke it: a decoded receipt
/// must be one the ledger could have made, so its reason is at most `Receipt.reasonBytesMax` bytes.
@Suite struct ReceiptFuzzRegressionTests {
    /// One receipt whose reason is 255 bytes: the list count, version, hash, status, reason length and reason,
    /// empty output. The fuzz target's input is this after its selector byte (4, receipts).
    static let longReason: [UInt8] =
        [0, 0, 0, 1, 1] + [UInt8](repeating: 0, count: 32) + [1, 255] + [UInt8](repeating: 0x61, count: 255)
        + [0, 0, 0, 0]

    @Test func aReasonOverTheLimitIsRefused() {
        do {
            _ = try Receipt.decodeList(Self.longReason)
            Issue.record("a 255-byte reason decoded")
        } catch {
            #expect(error.field == "receipts[0].reason")
            #expect(error.kind == .tooLarge(limit: Receipt.reasonBytesMax, actual: 255))
        }
    }

    @Test func aReasonAtTheLimitDecodes() throws {
        let receipt = Receipt(
            transactionHash: .zero, status: .failure, reason: String(repeating: "a", count: Receipt.reasonBytesMax))
        let bytes = Receipt.encodeList([receipt])
        #expect(try Receipt.decodeList(bytes) == [receipt])
    }

    /// Cutting a reason at 200 bytes inside a 4-byte character used to leave a partial character that became
    /// U+FFFD (3 bytes), 202 bytes in all, which the decoder now refuses. The cut keeps whole characters.
    @Test func longReasonsAreCutAtWholeCharacters() throws {
        let reason = String(repeating: "a", count: Receipt.reasonBytesMax - 1) + "⚡️⚡️"
        let receipt = Receipt(transactionHash: .zero, status: .failure, reason: reason)
        #expect(receipt.reason.utf8.count <= Receipt.reasonBytesMax)
        #expect(receipt.reason == String(repeating: "a", count: Receipt.reasonBytesMax - 1))
        #expect(try Receipt.decodeList(Receipt.encodeList([receipt])) == [receipt])
    }
}

import GridLedger
import GridRegion
import Testing

/// What the global fuzz target's inbound-report case (`scripts/fuzz.sh global`) checks: a decoded report must be
/// one the relay could have written, so each failure reason is at most `InboundReport.reasonBytesMax` bytes.
@Suite struct InboundReportFuzzRegressionTests {
    /// Empty contract output, 0 succeeded, 1 failed, one failure (index 0) with a 200-byte reason. The fuzz
    /// target's input is this after its selector byte (6, inbound report).
    static let longReason: [UInt8] =
        [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 1] + [1] + [0, 0, 0, 0] + [200]
        + [UInt8](repeating: 0x72, count: 200)

    @Test func aFailureReasonOverTheLimitIsRefused() {
        do {
            _ = try InboundReport(decoding: Self.longReason)
            Issue.record("a 200-byte failure reason decoded")
        } catch {
            #expect(error.field == "inboundReport.failures[0].reason")
            #expect(error.kind == .tooLarge(limit: InboundReport.reasonBytesMax, actual: 200))
        }
    }

    @Test func recordedReportsRoundTrip() throws {
        var report = InboundReport(contractOutput: [1, 2, 3])
        report.record(index: 0, failure: String(repeating: "é", count: 100))
        report.record(index: 1, failure: nil)
        #expect(try InboundReport(decoding: report.encoded()) == report)
    }
}

import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import Testing

/// The region application's side of inbound delivery: the reserved sender and who may ask for deliveries.
@Suite struct InboundRegionTests {
    @Test func noSignatureEverVerifiesForTheGlobalLayerSender() throws {
        let sender = RegionApplication.globalLayerSender
        #expect(sender.bytes == Array("GridLedger/global-layer-sender/1".utf8))
        let someone = KeyPair.derived(masterSeed: 31, label: "inbound-test/impostor")
        var template = Transaction(
            chainID: RegionFixture.chainID, region: 1, signer: someone, nonce: 0, contract: "test", method: "note",
            arguments: Array("hello".utf8))
        template.sender = sender
        let identity = [UInt8(1)] + [UInt8](repeating: 0, count: 31)
        var candidates: [Signature] = [
            template.signature,  // a real signature by another key
            try Signature(bytes: [UInt8](repeating: 0, count: 64)),
            try Signature(bytes: [UInt8](repeating: 0xff, count: 64)),
        ]
        // R = identity, S = 0 (over 64 different messages): what a lax verifier accepts for a small-order key.
        candidates += Array(repeating: try Signature(bytes: identity + [UInt8](repeating: 0, count: 32)), count: 64)
        for (index, signature) in candidates.enumerated() {
            var claimed = template
            claimed.nonce = UInt64(index)
            claimed.signature = signature
            #expect(!claimed.verifySignature())
            #expect(!DirectSignatureVerifier().verify(signature, by: sender, of: claimed.signingBytes()))
        }
        #expect(!sender.verify(someone.sign([1, 2, 3]), for: [1, 2, 3]))

        // Admission refuses it, and so does execution of a proposal that carries it.
        var ledger = RegionLedger(region: 1, committee: Committee(configuration: globalConfiguration([])))
        var claimed = template
        claimed.signature = candidates[0]
        var work = Work()
        let outcome = ledger.admit(bytes: claimed.encoded(), work: &work)
        guard case .rejected = outcome else {
            Issue.record("admitted: \(outcome)")
            return
        }
        let result = ledger.app.execute(
            payload: RegionPayload(transactions: [PooledTransaction(claimed)]), height: 1, ancestors: [], work: &work)
        guard case .failure(let rejection) = result else {
            Issue.record("a transaction from the global layer sender executed")
            return
        }
        #expect(rejection.code == "bad-transaction-signature")
    }

    @Test func onlyTheInboundContractMayAskForDeliveries() throws {
        var ledger = RegionLedger(region: 1, committee: Committee(configuration: globalConfiguration([])))
        let before = ledger.contractState
        let rogue = Transaction(
            chainID: RegionFixture.chainID, region: 1, signer: ledger.relay, nonce: 1, contract: "rogue",
            method: "go", arguments: Array("smuggled".utf8))
        let receipt = try ledger.block([rogue]).commit.receipts[0]
        #expect(receipt.status == .failure && receipt.reason.hasPrefix("inbound-delivery-not-allowed"))
        // Neither the rogue's own write nor the message was applied.
        #expect(ledger.contractState == before)
        #expect(ledger.notes.isEmpty)
    }

    @Test func theReportIsBoundedAndRoundTrips() throws {
        var report = InboundReport(contractOutput: [1, 2, 3])
        let long = String(repeating: "é", count: 100)
        for index in 0..<20 { report.record(index: index, failure: index % 2 == 0 ? long : nil) }
        #expect(report.succeeded == 10 && report.failed == 10)
        #expect(report.failures.count == InboundReport.failuresListedMax)
        #expect(report.failures.allSatisfy { $0.reason.utf8.count <= InboundReport.reasonBytesMax })
        #expect(report.failures[0].reason == String(repeating: "é", count: 32))
        let bytes = report.encoded()
        #expect(bytes.count <= 565 + 3)
        #expect(try InboundReport(decoding: bytes) == report)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try InboundReport(decoding: Array(bytes.prefix(length))) }
        }
    }
}

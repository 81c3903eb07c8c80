import FuzzSupport
import GridCrypto
import GridLedger

// The ledger's own encodings, as stored in LMDB and hashed into blocks: a selector byte picks the decoder, the
// rest is its input. Each must be canonical and survive a round trip (`Fuzz.roundTrip`).

private enum Kind: UInt8, CaseIterable {
    case transaction, header, block, certificate, receipts
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        let transactions = (0..<3).map { Fixture.transaction($0) }
        let header = Fixture.regionBlocks(count: 2, transactionsPerBlock: 2)[1].header
        let block = Block(header: header, transactions: transactions)
        let receipts = [
            Receipt(transactionHash: transactions[0].hash, status: .success, output: [1, 2, 3]),
            Receipt(transactionHash: transactions[1].hash, status: .failure, reason: "late bid"),
        ]
        func seed(_ kind: Kind, _ name: String, _ bytes: [UInt8]) -> (name: String, bytes: [UInt8]) {
            ("\(kind)-\(name)", [kind.rawValue] + bytes)
        }
        return [
            seed(.transaction, "transfer", transactions[0].encoded()),
            seed(.transaction, "no-arguments", Fixture.transaction(5, argumentsBytes: 0).encoded()),
            seed(.header, "region", header.encoded()),
            seed(.block, "three", block.encoded()),
            seed(.block, "empty", Block(header: header, transactions: []).encoded()),
            seed(.certificate, "three-votes", Fixture.certificate(for: header, keys: Fixture.validatorKeys).encoded()),
            seed(
                .certificate, "no-votes",
                Fixture.certificate(for: header, keys: Fixture.validatorKeys, signers: []).encoded()),
            seed(.receipts, "two", Receipt.encodeList(receipts)),
            seed(.receipts, "none", Receipt.encodeList([])),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    switch Kind(rawValue: selector % UInt8(Kind.allCases.count))! {
    case .transaction:
        if let transaction = Fuzz.roundTrip(
            "transaction", body, decode: { (b) throws(DecodingError) in try Transaction(decoding: b) },
            encode: { $0.encoded() })
        {
            Fuzz.check(body.count <= EncodingLimits.standard.transactionBytesMax, "transaction over the byte limit")
            Fuzz.check(
                transaction.arguments.count <= EncodingLimits.standard.argumentsBytesMax,
                "arguments over the byte limit")
            _ = transaction.hash
        }
    case .header:
        Fuzz.roundTrip(
            "header", body, decode: { (b) throws(DecodingError) in try BlockHeader(decoding: b) },
            encode: { $0.encoded() })
    case .block:
        if let block = Fuzz.roundTrip(
            "block", body, decode: { (b) throws(DecodingError) in try Block(decoding: b) }, encode: { $0.encoded() })
        {
            Fuzz.check(
                block.transactions.count <= EncodingLimits.standard.blockTransactionsMax, "block over the count limit")
            _ = Block.transactionsRoot(of: block.transactions)
        }
    case .certificate:
        if let certificate = Fuzz.roundTrip(
            "certificate", body, decode: { (b) throws(DecodingError) in try QuorumCertificate(decoding: b) },
            encode: { $0.encoded() })
        {
            Fuzz.check(
                certificate.votes.count <= EncodingLimits.standard.certificateVotesMax,
                "certificate over the vote limit")
        }
    case .receipts:
        if let receipts = Fuzz.roundTrip(
            "receipts", body, decode: { (b) throws(DecodingError) in try Receipt.decodeList(b) },
            encode: { Receipt.encodeList($0) })
        {
            for receipt in receipts {
                Fuzz.check(
                    receipt.reason.utf8.count <= Receipt.reasonBytesMax,
                    "receipt reason of \(receipt.reason.utf8.count) bytes, over the limit the encoder keeps")
                Fuzz.check(receipt.output.count <= Receipt.outputBytesMax, "receipt output over the limit")
            }
        }
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzLedger_main`; it hands over to libFuzzer.
@_cdecl("FuzzLedger_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

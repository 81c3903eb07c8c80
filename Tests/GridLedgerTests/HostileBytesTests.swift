import GridCrypto
import GridLedger
import Testing

/// Feeds random, truncated, bit-flipped and length-lying inputs to every decoder. Passing means: no crash, no
/// hang, and every failure is a `DecodingError`.
@Suite struct HostileBytesTests {
    private static let decoders: [(name: String, decode: @Sendable ([UInt8]) throws -> Void)] = [
        ("transaction", { _ = try Transaction(decoding: $0) }),
        ("block", { _ = try Block(decoding: $0) }),
        ("header", { _ = try BlockHeader(decoding: $0) }),
        ("certificate", { _ = try QuorumCertificate(decoding: $0) }),
        ("receipts", { _ = try Receipt.decodeList($0) }),
    ]

    private func samples(_ random: inout TestRandom) -> [[UInt8]] {
        let block = randomBlock(&random, transactionCount: 3)
        let data = VoteData(chainID: 1, region: 0, height: 1, view: 1, blockHash: block.hash)
        let certificate = QuorumCertificate(
            data: data, votes: [CertificateVote(validatorIndex: 0, signature: testKeys[0].sign(data.signingBytes()))])
        return [
            block.encoded(), block.transactions[0].encoded(), block.header.encoded(), certificate.encoded(),
            Receipt.encodeList([Receipt(transactionHash: block.hash, status: .failure, reason: "x", output: [1])]),
        ]
    }

    private func expectOnlyDecodingErrors(_ input: [UInt8]) {
        for decoder in Self.decoders {
            do { try decoder.decode(input) } catch is DecodingError {} catch {
                Issue.record("\(decoder.name) threw a non-decoding error: \(error)")
            }
        }
    }

    @Test func randomBytes() {
        var random = TestRandom(seed: 0xBAD)
        for _ in 0..<3000 {
            expectOnlyDecodingErrors(random.bytes(Int.random(in: 0...600, using: &random)))
        }
    }

    @Test func everyTruncationOfValidInput() {
        var random = TestRandom(seed: 11)
        for sample in samples(&random) {
            for length in 0..<sample.count { expectOnlyDecodingErrors(Array(sample[0..<length])) }
        }
    }

    @Test func bitFlipsAndLengthLies() {
        var random = TestRandom(seed: 12)
        let valid = samples(&random)
        for _ in 0..<4000 {
            var input = valid.randomElement(using: &random)!
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                let index = Int.random(in: 0..<input.count, using: &random)
                input[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
            case 1:
                // Overwrite four bytes with a huge or maximal length.
                let index = Int.random(in: 0..<max(1, input.count - 4), using: &random)
                let lie: [UInt8] = Bool.random(using: &random) ? [0xff, 0xff, 0xff, 0xff] : [0x7f, 0xff, 0xff, 0xf0]
                for offset in 0..<min(4, input.count - index) { input[index + offset] = lie[offset] }
            default:
                input += random.bytes(Int.random(in: 1...16, using: &random))
            }
            expectOnlyDecodingErrors(input)
        }
    }
}

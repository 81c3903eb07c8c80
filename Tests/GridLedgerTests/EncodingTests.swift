import GridCrypto
import GridLedger
import Testing

@Suite struct EncodingTests {
    @Test(arguments: 0..<20)
    func transactionRoundTrip(seed: UInt64) throws {
        var random = TestRandom(seed: seed)
        let transaction = randomTransaction(&random)
        let decoded = try Transaction(decoding: transaction.encoded())
        #expect(decoded == transaction)
        #expect(decoded.verifySignature())
        #expect(decoded.hash == transaction.hash)
    }

    @Test(arguments: 0..<10)
    func blockRoundTrip(seed: UInt64) throws {
        var random = TestRandom(seed: seed)
        let block = randomBlock(&random)
        let bytes = block.encoded()
        let decoded = try Block(decoding: bytes)
        #expect(decoded == block)
        #expect(decoded.encoded() == bytes, "encoding must be canonical: decode then encode gives the same bytes")
        #expect(Block.transactionsRoot(of: decoded.transactions) == decoded.header.transactionsRoot)
        #expect(try BlockHeader(decoding: block.header.encoded()) == block.header)
    }

    @Test func certificateAndReceiptsRoundTrip() throws {
        var random = TestRandom(seed: 99)
        let data = VoteData(chainID: 1, region: 2, height: 3, view: 4, blockHash: randomHash(&random))
        let votes = testKeys.enumerated().map {
            CertificateVote(validatorIndex: UInt16($0.offset), signature: $0.element.sign(data.signingBytes()))
        }
        let certificate = QuorumCertificate(data: data, votes: votes)
        #expect(try QuorumCertificate(decoding: certificate.encoded()) == certificate)
        let receipts = [
            Receipt(transactionHash: randomHash(&random), status: .success, output: [1, 2, 3]),
            Receipt(transactionHash: randomHash(&random), status: .failure, reason: "stale sequence number"),
        ]
        #expect(try Receipt.decodeList(Receipt.encodeList(receipts)) == receipts)
    }

    @Test func signatureCoversEveryField() {
        var random = TestRandom(seed: 5)
        let original = randomTransaction(&random)
        var changes: [Transaction] = []
        var t = original
        t.chainID &+= 1
        changes.append(t)
        t = original
        t.region &+= 1
        changes.append(t)
        t = original
        t.nonce &+= 1
        changes.append(t)
        t = original
        t.contract = "other"
        changes.append(t)
        t = original
        t.method = "other"
        changes.append(t)
        t = original
        t.arguments.append(0)
        changes.append(t)
        t = original
        t.sender = testKeys[(testKeys.firstIndex { $0.publicKey == original.sender }! + 1) % testKeys.count].publicKey
        changes.append(t)
        #expect(original.verifySignature())
        for changed in changes { #expect(!changed.verifySignature()) }
    }

    @Test func quorumCertificateVerification() throws {
        let validators = testKeys.map(\.publicKey)
        let data = VoteData(chainID: 1, region: 0, height: 9, view: 12, blockHash: Hash256.blake2b([1]))
        func vote(_ index: Int) -> CertificateVote {
            CertificateVote(validatorIndex: UInt16(index), signature: testKeys[index].sign(data.signingBytes()))
        }
        try QuorumCertificate(data: data, votes: [vote(0), vote(1), vote(3)])
            .verify(chainID: 1, region: 0, validators: validators)
        #expect(throws: QuorumCertificate.VerificationFailure.tooFewVotes(have: 2, need: 3)) {
            try QuorumCertificate(data: data, votes: [vote(0), vote(1)]).verify(
                chainID: 1, region: 0, validators: validators)
        }
        #expect(throws: QuorumCertificate.VerificationFailure.duplicateVote(index: 1)) {
            try QuorumCertificate(data: data, votes: [vote(0), vote(1), vote(1)])
                .verify(chainID: 1, region: 0, validators: validators)
        }
        var forged = vote(2)
        forged.validatorIndex = 3
        #expect(throws: QuorumCertificate.VerificationFailure.badSignature(index: 3)) {
            try QuorumCertificate(data: data, votes: [vote(0), vote(1), forged])
                .verify(chainID: 1, region: 0, validators: validators)
        }
        #expect(throws: QuorumCertificate.VerificationFailure.unknownValidator(index: 9)) {
            try QuorumCertificate(
                data: data, votes: [vote(0), vote(1), CertificateVote(validatorIndex: 9, signature: vote(2).signature)]
            )
            .verify(chainID: 1, region: 0, validators: validators)
        }
        #expect(throws: QuorumCertificate.VerificationFailure.wrongRegion(expected: 1, actual: 0)) {
            try QuorumCertificate(data: data, votes: [vote(0), vote(1), vote(2)])
                .verify(chainID: 1, region: 1, validators: validators)
        }
    }

    @Test func limitsAndErrorsNameTheField() throws {
        var random = TestRandom(seed: 1)
        let transaction = randomTransaction(&random)
        let small = EncodingLimits(transactionBytesMax: 100)
        #expect(throws: DecodingError.self) { try Transaction(decoding: transaction.encoded(), limits: small) }

        let block = randomBlock(&random, transactionCount: 5)
        do {
            _ = try Block(decoding: block.encoded(), limits: EncodingLimits(blockTransactionsMax: 4))
            Issue.record("a block over the transaction-count limit decoded")
        } catch {
            #expect(error.field == "block.transactions.count")
            #expect(error.kind == .tooLarge(limit: 4, actual: 5))
        }

        var truncated = transaction.encoded()
        truncated.removeLast(10)
        do {
            _ = try Transaction(decoding: truncated)
            Issue.record("a truncated transaction decoded")
        } catch {
            #expect(error.field == "transaction.signature")
            #expect(String(describing: error).contains("truncated"))
        }

        var versioned = transaction.encoded()
        versioned[0] = 9
        #expect(throws: DecodingError(field: "transaction.version", offset: 0, kind: .unsupportedVersion(9))) {
            try Transaction(decoding: versioned)
        }
        #expect(throws: DecodingError.self) { try Transaction(decoding: transaction.encoded() + [0]) }
    }

    @Test func lyingCountIsRejectedBeforeAllocation() throws {
        var random = TestRandom(seed: 3)
        var bytes = randomBlock(&random, transactionCount: 0).encoded()
        // The count sits right after the version byte and the fixed-size header.
        let countOffset = 1 + BlockHeader.encodedBytes
        bytes.replaceSubrange(countOffset..<(countOffset + 4), with: [0x00, 0x01, 0x86, 0xa0])  // claims 100,000
        do {
            _ = try Block(decoding: bytes)
            Issue.record("a lying count decoded")
        } catch {
            #expect(error.field == "block.transactions.count")
            if case .truncated = error.kind {} else { Issue.record("expected truncated, got \(error.kind)") }
        }
    }
}

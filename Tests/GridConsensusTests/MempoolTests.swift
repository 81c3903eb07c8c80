import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import Testing

@Suite struct MempoolTests {
    let device = KeyPair.derived(masterSeed: 3, label: "device")

    func transaction(nonce: UInt64, region: RegionID = 0, chainID: ChainID = 1) -> Transaction {
        Transaction(
            chainID: chainID, region: region, signer: device, nonce: nonce, contract: TransferContract.contractName,
            method: "transfer",
            arguments: TransferContract.transferArguments(to: device.publicKey, amountMicros: 1, energyWh: 0))
    }

    func pool(capacity: Int = 10) -> Mempool {
        Mempool(configuration: MempoolConfiguration(chainID: 1, region: 0, capacityTransactions: capacity))
    }

    func admit(_ pool: inout Mempool, _ bytes: [UInt8], nonces: NonceWindow = NonceWindow()) -> AdmissionOutcome {
        var work = Work()
        return pool.admit(bytes: bytes, verifier: DirectSignatureVerifier(), nonces: { _ in nonces }, work: &work).0
    }

    @Test func admissionOutcomes() throws {
        var pool = pool()
        let good = transaction(nonce: 1)
        #expect(admit(&pool, good.encoded()) == .accepted(good.hash))
        #expect(admit(&pool, good.encoded()) == .rejected("duplicate"))
        #expect(admit(&pool, transaction(nonce: 2, region: 5).encoded()) == .rejected("wrong-region"))
        #expect(admit(&pool, transaction(nonce: 2, chainID: 9).encoded()) == .rejected("wrong-chain"))
        #expect(admit(&pool, [1, 2, 3]) == .rejected("malformed"))
        #expect(admit(&pool, [UInt8](repeating: 0, count: 5000)) == .rejected("oversized"))
        var tampered = transaction(nonce: 3)
        tampered.nonce = 4
        #expect(admit(&pool, tampered.encoded()) == .rejected("bad-signature"))
        var used = NonceWindow()
        used.use(7)
        #expect(admit(&pool, transaction(nonce: 7).encoded(), nonces: used) == .rejected("stale-nonce"))
        #expect(pool.count == 1)
    }

    @Test func fullPoolAnswersBusyWithoutWork() {
        var pool = pool(capacity: 3)
        for nonce in 1...3 { _ = admit(&pool, transaction(nonce: UInt64(nonce)).encoded()) }
        var work = Work()
        let outcome = pool.admit(
            bytes: transaction(nonce: 4).encoded(), verifier: DirectSignatureVerifier(), nonces: { _ in NonceWindow() },
            work: &work)
        #expect(outcome.0 == .busy)
        #expect(work.signatureVerifications == 0, "saying busy must not cost a signature check")
        pool.remove([transaction(nonce: 1).hash])
        #expect(admit(&pool, transaction(nonce: 4).encoded()) == .accepted(transaction(nonce: 4).hash))
    }

    @Test func blocksRespectLimitsAndExclusions() {
        var pool = Mempool(
            configuration: MempoolConfiguration(
                chainID: 1, region: 0, capacityTransactions: 100, blockTransactionsMax: 4))
        let transactions = (1...10).map { transaction(nonce: UInt64($0)) }
        for transaction in transactions { _ = admit(&pool, transaction.encoded()) }
        let first = pool.nextBlock(excluding: [])
        #expect(first.map(\.hash) == transactions.prefix(4).map(\.hash), "oldest first, at most 4")
        let next = pool.nextBlock(excluding: Set(first.map(\.hash)))
        #expect(next.map(\.hash) == transactions[4..<8].map(\.hash))
    }
}

@Suite struct NonceWindowTests {
    @Test func everyNonceOnceInAnyOrderWithinTheWindow() {
        var window = NonceWindow()
        #expect(!window.canUse(0))
        for nonce: UInt64 in [5, 3, 9, 4, 1] {
            #expect(window.canUse(nonce))
            window.use(nonce)
            #expect(!window.canUse(nonce), "replay of \(nonce)")
        }
        #expect(window.canUse(2))
        #expect(window.canUse(100))
        window.use(100)
        #expect(!window.canUse(100 - NonceWindow.width - 1), "too old")
        #expect(window.canUse(100 - NonceWindow.width))
        #expect(!window.canUse(9), "9 was used; now also outside the window")
        #expect(NonceWindow(decoding: window.encoded()) == window)
        #expect(NonceWindow(decoding: [1, 2, 3]) == NonceWindow(), "garbage decodes to an empty window")
    }

    @Test func bigJumpsForgetTheOldWindow() {
        var window = NonceWindow()
        window.use(1)
        window.use(1_000_000)
        #expect(!window.canUse(1))
        #expect(window.canUse(999_999))
    }
}

@Suite struct GossipBatchTests {
    let device = KeyPair.derived(masterSeed: 4, label: "gossip-device")

    func pooled(nonce: UInt64, region: RegionID = 0) -> PooledTransaction {
        PooledTransaction(
            Transaction(
                chainID: 1, region: region, signer: device, nonce: nonce, contract: TransferContract.contractName,
                method: "transfer",
                arguments: TransferContract.transferArguments(to: device.publicKey, amountMicros: 1, energyWh: 0)))
    }

    @Test(arguments: [false, true])
    func batchAdmissionMatchesOneByOne(parallel: Bool) throws {
        var forged = pooled(nonce: 5).transaction
        forged.nonce = 6
        let batch = [
            pooled(nonce: 1), pooled(nonce: 2, region: 3), pooled(nonce: 1), PooledTransaction(forged),
            pooled(nonce: 4),
        ]
        var pool = Mempool(configuration: MempoolConfiguration(chainID: 1, region: 0, capacityTransactions: 3))
        var work = Work()
        let verifier: any SignatureVerifying =
            parallel ? ParallelSignatureVerifier(threads: 2) : DirectSignatureVerifier()
        let outcomes = pool.admitBatch(batch, verifier: verifier, nonces: { _ in NonceWindow() }, work: &work)
        #expect(
            outcomes == [
                .accepted(batch[0].hash), .rejected("wrong-region"), .rejected("duplicate"), .rejected("bad-signature"),
                .accepted(batch[4].hash),
            ])
        #expect(work.batchedSignatureVerifications == 3)
        // A transaction already verified (seen in a proposal) is not verified again.
        var again = Work()
        pool.remove([batch[0].hash])
        _ = pool.admitBatch([batch[0]], verifier: verifier, nonces: { _ in NonceWindow() }, work: &again)
        #expect(again.batchedSignatureVerifications == 0)
        // Capacity: the pool holds 2 of 3; two more fresh ones: one accepted, one busy.
        let more = pool.admitBatch(
            [pooled(nonce: 7), pooled(nonce: 8)], verifier: verifier, nonces: { _ in NonceWindow() }, work: &again)
        #expect(more == [.accepted(pooled(nonce: 7).hash), .busy])
    }
}

import Foundation
import GridCrypto
import GridLedger
import GridStorage
import Testing

@Suite struct ChainStoreTests {
    /// Builds `count` linked blocks after genesis, each with a few transactions, receipts and state changes.
    func makeChain(count: Int, transactionsPerBlock: Int = 5, seed: UInt64 = 1) -> [BlockCommit] {
        var random = TestRandom(seed: seed)
        var commits: [BlockCommit] = []
        var parent = Hash256.zero
        var stateRoot = Hash256.zero
        for height in 0...UInt64(count) {
            let transactions = height == 0 ? [] : (0..<transactionsPerBlock).map { _ in randomTransaction(&random) }
            let receipts = transactions.map { Receipt(transactionHash: $0.hash, status: .success) }
            var changes = StateChanges()
            for (index, transaction) in transactions.enumerated() {
                changes.set(
                    contract: "transfer", key: transaction.sender.bytes, value: [UInt8(index), UInt8(height & 0xff)])
            }
            if height > 1 { changes.delete(contract: "transfer", key: Array("gone-\(height - 1)".utf8)) }
            changes.set(contract: "transfer", key: Array("gone-\(height)".utf8), value: [1])
            stateRoot = changes.stateRoot(after: stateRoot)
            let header = BlockHeader(
                chainID: 1, region: 0, height: height, view: height, parentHash: parent,
                transactionsRoot: Block.transactionsRoot(of: transactions), stateRoot: stateRoot,
                receiptsRoot: Receipt.receiptsRoot(of: receipts), outboxRoot: Merkle.emptyRoot,
                proposer: testKeys[0].publicKey)
            let block = Block(header: header, transactions: transactions)
            let data = VoteData(chainID: 1, region: 0, height: height, view: height, blockHash: block.hash)
            let certificate = QuorumCertificate(
                data: data,
                votes: testKeys.prefix(3).enumerated().map {
                    CertificateVote(validatorIndex: UInt16($0.offset), signature: $0.element.sign(data.signingBytes()))
                })
            commits.append(
                BlockCommit(
                    block: block, certificate: height == 0 ? nil : certificate, receipts: receipts,
                    stateChanges: changes))
            parent = block.hash
        }
        return commits
    }

    @Test func reopenReturnsTheLastBlockAndState() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 12)
            do {
                let store = try ChainStore(directory: directory)
                for commit in chain { try store.commit(commit) }
                store.close()
            }
            let reopened = try ChainStore(directory: directory)
            defer { reopened.close() }
            let last = try #require(chain.last)
            #expect(try reopened.latestHeight == 12)
            #expect(try reopened.latestBlock() == last.block)
            #expect(try reopened.certificate(atHeight: 12) == last.certificate)
            #expect(try reopened.receipts(atHeight: 12) == last.receipts)
            #expect(try reopened.height(ofBlockHash: chain[5].block.hash) == 5)
            // State is the result of applying every block's changes in order.
            var expected = StateChanges()
            for commit in chain { expected.merge(commit.stateChanges) }
            let live = expected.sorted().filter { $0.value != nil }
            let stored = try reopened.allState(contract: "transfer")
            #expect(stored.map(\.key) == live.map(\.key))
            #expect(stored.map(\.value) == live.map { $0.value! })
            #expect(try reopened.state(contract: "transfer", key: Array("gone-3".utf8)) == nil)
            #expect(try reopened.state(contract: "transfer", key: Array("gone-12".utf8)) == [1])
            #expect(try reopened.verifyChain() == nil)
        }
    }

    @Test func writeStatisticsCountBlockCommits() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 4)
            let store = try ChainStore(directory: directory, options: Environment.Options(durability: .sync))
            defer { store.close() }
            let start = store.writeStatistics
            #expect(start == store.environment.writeStatistics)
            for commit in chain { try store.commit(commit) }
            let after = store.writeStatistics
            // One write transaction per block, plus the one that creates the contract's state table on first use.
            #expect(after.commits - start.commits == UInt64(chain.count + 1))
            #expect(after.syncs - start.syncs == UInt64(chain.count + 1))
            #if os(Linux)
                let encodedBytes = chain.reduce(0) { $0 + $1.block.encoded().count }
                let writtenBytes = try #require(after.bytesWritten) - (try #require(start.bytesWritten))
                #expect(writtenBytes >= UInt64(encodedBytes))
            #endif
        }
    }

    @Test func aBatchOfBlocksAndMetaRecordsCommitsInOneTransactionOrNotAtAll() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 4)
            let store = try ChainStore(directory: directory)
            defer { store.close() }
            try store.commit(chain[0])
            let before = store.writeStatistics.commits
            try store.commit(Array(chain[1...2]), meta: ["safety": [7]])
            #expect(store.writeStatistics.commits == before + 1)
            #expect(try store.latestHeight == 2)
            #expect(try store.meta("safety") == [7])
            // A batch with a gap is refused whole: the block that would fit is not kept, nor the meta record.
            #expect(throws: ChainStoreError.self) {
                try store.commit([chain[3], chain[3]], meta: ["safety": [8]])
            }
            #expect(try store.latestHeight == 2)
            #expect(try store.meta("safety") == [7])
            #expect(try store.height(ofBlockHash: chain[3].block.hash) == nil)
        }
    }

    @Test func onlyTheNextLinkedBlockCanBeCommitted() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 3)
            let store = try ChainStore(directory: directory)
            defer { store.close() }
            try store.commit(chain[0])
            try store.commit(chain[1])
            #expect(throws: ChainStoreError.self) { try store.commit(chain[3]) }
            var forked = chain[2]
            forked.block.header.parentHash = Hash256.blake2b([9])
            #expect(throws: ChainStoreError.self) { try store.commit(forked) }
            // A refused commit leaves nothing behind: not the block, not its state.
            #expect(try store.latestHeight == 1)
            #expect(try store.state(contract: "transfer", key: Array("gone-2".utf8)) == nil)
            #expect(try store.height(ofBlockHash: forked.block.hash) == nil)
        }
    }

    @Test func verifyChainNamesTheFirstBadHeight() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 6)
            let store = try ChainStore(directory: directory)
            defer { store.close() }
            for commit in chain { try store.commit(commit) }
            // Damage height 4 behind the store's back: swap in a block whose transactions do not match its root.
            var damaged = chain[4].block
            damaged.transactions.removeLast()
            let blocks = try store.environment.database(named: "blocks")
            try store.environment.write { txn in
                try txn.put(withUnsafeBytes(of: UInt64(4).bigEndian) { Array($0) }, damaged.encoded(), in: blocks)
            }
            let failure = try #require(try store.verifyChain())
            #expect(failure.height == 4)
            #expect(failure.reason.contains("transactions root"))
        }
    }

    @Test func mapGrowsWhenFullAndKeepsEverything() throws {
        try withTemporaryDirectory { directory in
            var options = Environment.Options()
            options.mapSizeBytes = 256 << 10
            options.mapSizeBytesMax = 64 << 20
            options.durability = .noSync
            let chain = makeChain(count: 40, transactionsPerBlock: 40)
            do {
                let store = try ChainStore(directory: directory, options: options)
                for commit in chain { try store.commit(commit) }
                #expect(store.environment.currentMapSizeBytes > 256 << 10)
                store.close()
            }
            let reopened = try ChainStore(directory: directory, options: options)
            defer { reopened.close() }
            #expect(try reopened.latestHeight == 40)
            #expect(try reopened.verifyChain() == nil)
        }
    }

    @Test func mapCeilingIsACleanErrorAndLosesNothing() throws {
        try withTemporaryDirectory { directory in
            var options = Environment.Options()
            options.mapSizeBytes = 128 << 10
            options.mapSizeBytesMax = 512 << 10
            options.durability = .noSync
            let chain = makeChain(count: 60, transactionsPerBlock: 60)
            let store = try ChainStore(directory: directory, options: options)
            defer { store.close() }
            var committed: UInt64 = 0
            var failure: (any Error)?
            for commit in chain {
                do {
                    try store.commit(commit)
                    committed = commit.block.header.height
                } catch {
                    failure = error
                    break
                }
            }
            let error = try #require(failure, "a 512 KiB map cannot hold 60 blocks of 60 transactions")
            #expect(String(describing: error).contains("map"))
            #expect(try store.latestHeight == committed)
            #expect(try store.verifyChain() == nil)
        }
    }

    @Test func stateChangesDigestIsOrderIndependent() {
        var first = StateChanges()
        first.set(contract: "a", key: [1], value: [1])
        first.set(contract: "b", key: [2], value: [2])
        first.delete(contract: "a", key: [3])
        var second = StateChanges()
        second.delete(contract: "a", key: [3])
        second.set(contract: "b", key: [2], value: [2])
        second.set(contract: "a", key: [1], value: [1])
        #expect(first.digest == second.digest)
        var third = second
        third.set(contract: "a", key: [3], value: [])
        #expect(third.digest != second.digest, "deleting a key and storing an empty value must differ")
    }

    /// The digest is a known function of the canonical bytes, so stores and state roots of earlier builds stay valid:
    /// BLAKE2b-256 of the changes in canonical order, each as contract (short string), key (`UInt32` length), then
    /// 1 and the value (`UInt32` length) or 0 for a deletion.
    @Test func stateChangesDigestHashesTheCanonicalBytes() {
        var changes = StateChanges()
        changes.set(contract: "transfer", key: [0x62, 0xff], value: [0, 0, 0, 5])
        changes.delete(contract: "transfer", key: [0x62, 0x01])
        changes.set(contract: "grid", key: [7], value: [])
        let expected: [UInt8] =
            [4] + Array("grid".utf8) + [0, 0, 0, 1, 7] + [1, 0, 0, 0, 0]
            + [8] + Array("transfer".utf8) + [0, 0, 0, 2, 0x62, 0x01] + [0]
            + [8] + Array("transfer".utf8) + [0, 0, 0, 2, 0x62, 0xff] + [1, 0, 0, 0, 4, 0, 0, 0, 5]
        #expect(changes.digest == Hash256.blake2b(expected))
    }
}

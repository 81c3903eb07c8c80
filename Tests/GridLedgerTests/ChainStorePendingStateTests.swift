import Foundation
import GridCrypto
import GridStorage
import Testing

@testable import GridLedger

/// State changes kept as one record per block and folded into the tables every `stateFoldBlocks` blocks.
extension ChainStoreTests {
    /// What applying every block's changes in order gives, live keys only, in key order.
    func expectedState(_ chain: ArraySlice<BlockCommit>) -> [(key: [UInt8], value: [UInt8])] {
        var merged = StateChanges()
        for commit in chain { merged.merge(commit.stateChanges) }
        return merged.sorted().compactMap { change in change.value.map { (change.key, $0) } }
    }

    func rawTable(_ store: ChainStore, _ name: String) throws -> [(key: [UInt8], value: [UInt8])] {
        let table = try store.environment.database(named: name)
        return try store.environment.read { txn in
            var entries: [(key: [UInt8], value: [UInt8])] = []
            try txn.forEachEntry(in: table) { key, value in
                entries.append((Array(key), Array(value)))
                return true
            }
            return entries
        }
    }

    /// Every height reads the same whether its changes are still records or already in the table, a fold empties
    /// the records it wrote, and a reopened store (what a restarted validator loads) reads the same again.
    @Test func pendingRecordsReadLikeTheTablesAndFoldEveryNBlocks() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 10)
            do {
                let store = try ChainStore(directory: directory, stateFoldBlocks: 4)
                for (index, commit) in chain.enumerated() {
                    try store.commit(commit)
                    let state = try store.allState(contract: "transfer")
                    let expected = expectedState(chain[...index])
                    #expect(state.map(\.key) == expected.map(\.key), "after height \(index)")
                    #expect(state.map(\.value) == expected.map(\.value), "after height \(index)")
                    // Folds after heights 3 and 7: then no record is left.
                    let records = try rawTable(store, "pending-state").count
                    #expect(records == (index + 1) % 4, "records after height \(index)")
                }
                // Heights 8...10 are records; the table holds what heights 0...7 left, with gone-7 still in it
                // although height 8 deleted it.
                let table = try rawTable(store, "state:transfer")
                #expect(table.map(\.key) == expectedState(chain[...7]).map(\.key))
                #expect(try store.state(contract: "transfer", key: Array("gone-7".utf8)) == nil)
                #expect(try store.state(contract: "transfer", key: Array("gone-10".utf8)) == [1])
                #expect(try store.verifyChain() == nil)
                store.close()
            }
            let reopened = try ChainStore(directory: directory, stateFoldBlocks: 4)
            defer { reopened.close() }
            let expected = expectedState(chain[...])
            #expect(try reopened.allState(contract: "transfer").map(\.key) == expected.map(\.key))
            #expect(try reopened.contractTables() == ["transfer"])
        }
    }

    /// A store opened with another fold interval (or written by a build that wrote every change into the tables)
    /// reads the same and folds what is pending at its next due commit, in one transaction.
    @Test func changingTheFoldIntervalOrAnOlderStoreKeepsTheState() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 12)
            do {
                let store = try ChainStore(directory: directory, stateFoldBlocks: 1)
                for commit in chain[...4] { try store.commit(commit) }
                #expect(try rawTable(store, "pending-state").isEmpty)
                // An older build's store: everything in the tables and no pending mark.
                let meta = try store.environment.database(named: "meta")
                try store.environment.write { txn in _ = try txn.delete(ChainStore.pendingFromKey, in: meta) }
                store.close()
            }
            do {
                let store = try ChainStore(directory: directory, stateFoldBlocks: 100)
                #expect(try store.allState(contract: "transfer").map(\.key) == expectedState(chain[...4]).map(\.key))
                for commit in chain[5...9] { try store.commit(commit) }
                #expect(try rawTable(store, "pending-state").count == 5)
                store.close()
            }
            let store = try ChainStore(directory: directory, stateFoldBlocks: 2)
            defer { store.close() }
            #expect(try store.allState(contract: "transfer").map(\.key) == expectedState(chain[...9]).map(\.key))
            // With 2 blocks, odd heights fold: height 10 waits, 11 folds all six records.
            try store.commit(chain[10])
            #expect(try rawTable(store, "pending-state").count == 6)
            try store.commit(chain[11])
            #expect(try rawTable(store, "pending-state").isEmpty)
            #expect(try rawTable(store, "state:transfer").map(\.key) == expectedState(chain[...11]).map(\.key))
            #expect(try store.allState(contract: "transfer").map(\.key) == expectedState(chain[...11]).map(\.key))
        }
    }

    /// A batch of blocks folds if any of its heights is a fold height.
    @Test func aBatchFoldsWhenItHoldsAFoldHeight() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 9)
            let store = try ChainStore(directory: directory, stateFoldBlocks: 4)
            defer { store.close() }
            try store.commit(Array(chain[...2]))
            #expect(try rawTable(store, "pending-state").count == 3)
            try store.commit(Array(chain[3...4]))  // 3 is a fold height
            #expect(try rawTable(store, "pending-state").isEmpty)
            try store.commit(Array(chain[5...6]))
            #expect(try rawTable(store, "pending-state").count == 2)
            try store.commit(Array(chain[7...9]))
            #expect(try rawTable(store, "pending-state").isEmpty)
            #expect(try store.allState(contract: "transfer").map(\.key) == expectedState(chain[...9]).map(\.key))
        }
    }

    /// A damaged record is reported with its height, by `verifyChain` and by the reads that need it, and never
    /// crashes the reader.
    @Test func aDamagedPendingRecordIsReportedWithItsHeight() throws {
        try withTemporaryDirectory { directory in
            let chain = makeChain(count: 6)
            let store = try ChainStore(directory: directory, stateFoldBlocks: 32)
            defer { store.close() }
            for commit in chain { try store.commit(commit) }
            let pending = try store.environment.database(named: "pending-state")
            let damaged: [[UInt8]] = [
                [], [9], [1, 0, 0, 0, 1], [1, 0xff, 0xff, 0xff, 0xff, 0], [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 7],
            ]
            for bytes in damaged {
                try store.environment.write { txn in try txn.put(ChainStore.heightKey(4), bytes, in: pending) }
                let failure = try #require(try store.verifyChain(), "\(bytes)")
                #expect(failure.height == 4 && failure.reason.contains("pending state"), "\(failure)")
                #expect(throws: ChainStoreError.self) { try store.allState(contract: "transfer") }
            }
            // A damaged pending mark is named as the meta key it is.
            let meta = try store.environment.database(named: "meta")
            try store.environment.write { txn in try txn.put(ChainStore.pendingFromKey, [1, 2, 3], in: meta) }
            let failure = try #require(try store.verifyChain())
            #expect(failure.reason == "meta chainstore.state-pending-from of 3 bytes", "\(failure)")
        }
    }

    /// The point of the records: a block's scattered changes no longer rewrite the state's pages at every commit.
    @Test func foldingEveryFewBlocksWritesLessThanEveryBlock() throws {
        func bytesWritten(foldBlocks: Int) throws -> UInt64? {
            try withTemporaryDirectory { directory in
                let store = try ChainStore(
                    directory: directory, options: Environment.Options(durability: .sync), stateFoldBlocks: foldBlocks)
                defer { store.close() }
                var random = TestRandom(seed: 9)
                let accounts = (0..<3_000).map { _ in random.bytes(33) }
                let base = makeChain(count: 32, transactionsPerBlock: 1)
                for (height, commit) in base.enumerated() {
                    var changes = StateChanges()
                    for index in 0..<200 {
                        changes.set(
                            contract: "transfer", key: accounts[(height * 7_919 + index * 104_729) % accounts.count],
                            value: [UInt8](repeating: UInt8(height & 0xff), count: 16))
                    }
                    try store.commit(
                        BlockCommit(
                            block: commit.block, certificate: commit.certificate, receipts: commit.receipts,
                            stateChanges: changes))
                }
                return store.writeStatistics.bytesWritten
            }
        }
        // Where the kernel does not count a thread's I/O there is nothing to compare.
        guard let everyBlock = try bytesWritten(foldBlocks: 1), everyBlock > 0,
            let folded = try bytesWritten(foldBlocks: 16)
        else { return }
        #expect(folded * 2 < everyBlock, "folded every 16 blocks: \(folded) bytes; every block: \(everyBlock)")
    }
}

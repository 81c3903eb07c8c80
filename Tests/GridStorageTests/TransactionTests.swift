import Foundation
import Synchronization
import Testing

@testable import GridStorage

private struct CallerError: Error, Equatable {}

@Suite struct TransactionTests {
    @Test func throwingWriteLeavesNoTrace() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            try environment.write { txn in try txn.put([0], [0], in: blocks) }

            #expect(throws: CallerError()) {
                try environment.write { txn in
                    try txn.put([1], [1], in: blocks)
                    try txn.delete([0], in: blocks)
                    throw CallerError()
                }
            }
            try environment.read { (txn) throws in
                #expect(try txn.get([1], in: blocks) == nil)
                #expect(try txn.get([0], in: blocks) == [0])
                #expect(try txn.count(in: blocks) == 1)
            }
        }
    }

    @Test func transactionIsClosedAfterItsClosure() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            var escapedWrite: WriteTransaction?
            var escapedRead: ReadTransaction?
            try environment.write { txn in escapedWrite = txn }
            try environment.read { txn in escapedRead = txn }
            #expect(throws: CallerError()) {
                try environment.write { txn in
                    escapedWrite = txn
                    throw CallerError()
                }
            }
            let write = try #require(escapedWrite)
            let read = try #require(escapedRead)

            #expect(throws: LMDBError.transactionClosed) { try write.put([1], [1], in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try write.delete([1], in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try write.get([1], in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try read.get([1], in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try read.count(in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try read.lastKey(in: blocks) }
            #expect(throws: LMDBError.transactionClosed) { try read.transactionID }
            #expect(throws: LMDBError.transactionClosed) { try read.withValue([1], in: blocks) { $0.count } }
            #expect(throws: LMDBError.transactionClosed) { try read.forEachEntry(in: blocks) { _, _ in true } }
        }
    }

    @Test func readTransactionSeesAConsistentSnapshot() throws {
        try withEnvironment { environment, _ in
            let accounts = try environment.database(named: "accounts")
            try environment.write { txn in
                try txn.put(Array("alice".utf8), [50], in: accounts)
                try txn.put(Array("bob".utf8), [50], in: accounts)
            }
            try environment.read { txn in
                let aliceBefore = try txn.get(Array("alice".utf8), in: accounts)
                // A transfer commits on another thread while this snapshot is open.
                try runOnThreads(1) { _ in
                    try environment.write { writer in
                        try writer.put(Array("alice".utf8), [30], in: accounts)
                        try writer.put(Array("bob".utf8), [70], in: accounts)
                        try writer.put(Array("carol".utf8), [0], in: accounts)
                    }
                }
                #expect(aliceBefore == [50])
                #expect(try txn.get(Array("alice".utf8), in: accounts) == [50])
                #expect(try txn.get(Array("bob".utf8), in: accounts) == [50])
                #expect(try txn.count(in: accounts) == 2)
            }
            let after = try environment.read { txn in
                (try txn.get(Array("alice".utf8), in: accounts), try txn.count(in: accounts))
            }
            #expect(after.0 == [30])
            #expect(after.1 == 3)
        }
    }

    @Test func nestedWriteIsACleanError() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            #expect(throws: LMDBError.nestedWrite) {
                try environment.write { txn in
                    try txn.put([1], [1], in: blocks)
                    try environment.write { inner in try inner.put([2], [2], in: blocks) }
                }
            }
            #expect(throws: LMDBError.nestedWrite) {
                try environment.read { _ in try environment.write { _ in } }
            }
            #expect(throws: LMDBError.nestedWrite) {
                try environment.read { _ in try environment.database(named: "new") }
            }
            // A read nested in a write sees committed state only.
            try environment.write { txn in
                try txn.put([3], [3], in: blocks)
                let nested = try environment.read { reader in try reader.get([3], in: blocks) }
                #expect(nested == nil)
            }
            let count = try environment.read { txn in try txn.count(in: blocks) }
            #expect(count == 1)
        }
    }

    @Test func iterationOrderStartKeyAndStop() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            try environment.read { (txn) throws in
                #expect(try txn.last(in: blocks) == nil)
                #expect(try txn.lastKey(in: blocks) == nil)
            }
            try environment.write { txn in
                for height in [UInt64(300), 2, 256, 1, 70_000] {
                    try txn.put(heightKey(height), [UInt8(truncatingIfNeeded: height)], in: blocks)
                }
            }
            try environment.read { txn in
                var all: [UInt64] = []
                try txn.forEachEntry(in: blocks) { key, _ in
                    all.append(height(of: [UInt8](key)) ?? 0)
                    return true
                }
                #expect(all == [1, 2, 256, 300, 70_000])

                var fromMiddle: [UInt64] = []
                try txn.forEachEntry(in: blocks, from: heightKey(3)) { key, _ in
                    fromMiddle.append(height(of: [UInt8](key)) ?? 0)
                    return fromMiddle.count < 2
                }
                #expect(fromMiddle == [256, 300])

                var pastEnd = 0
                try txn.forEachEntry(in: blocks, from: heightKey(80_000)) { _, _ in
                    pastEnd += 1
                    return true
                }
                #expect(pastEnd == 0)

                let last = try #require(try txn.last(in: blocks))
                #expect(height(of: last.key) == 70_000)
                #expect(last.value == [UInt8(truncatingIfNeeded: 70_000)])
                #expect(try txn.withValue(heightKey(256), in: blocks) { $0.count } == 1)
                #expect(try txn.withValue(heightKey(257), in: blocks) { $0.count } == nil)
            }
        }
    }

    @Test func errorsFromIterationBodyPropagate() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            try environment.write { txn in try txn.put([1], [1], in: blocks) }
            #expect(throws: CallerError()) {
                try environment.read { txn in
                    try txn.forEachEntry(in: blocks) { _, _ in throw CallerError() }
                }
            }
        }
    }

    @Test func removeAllEmptiesOneDatabase() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let meta = try environment.database(named: "meta")
            try environment.write { txn in
                try txn.put([1], [1], in: blocks)
                try txn.put([2], [2], in: blocks)
                try txn.put([1], [1], in: meta)
            }
            try environment.write { txn in try txn.removeAll(in: blocks) }
            let counts = try environment.stats().entryCounts
            #expect(counts == ["blocks": 0, "meta": 1])
        }
    }

    @Test func concurrentWritersAllLand() throws {
        // A tiny map makes the writers grow it while readers are active, exercising the resize hand-off.
        let options = Environment.Options(mapSizeBytes: 64 << 10, mapSizeBytesMax: 64 << 20)
        try withEnvironment(options: options) { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let writerCount = 4
            let writesPerWriter = 25
            let writersDone = Atomic<Int>(0)
            try runOnThreads(writerCount + 2) { index in
                if index >= writerCount {
                    // Readers: every snapshot must be internally consistent while writers and growth go on.
                    while writersDone.load(ordering: .acquiring) < writerCount {
                        try environment.read { txn in
                            var visited = 0
                            try txn.forEachEntry(in: blocks) { _, value in
                                visited += value.count == 1024 ? 1 : 0
                                return true
                            }
                            let count = try txn.count(in: blocks)
                            guard visited == count else {
                                throw ThreadFailures(messages: ["snapshot saw \(visited) of \(count)"])
                            }
                        }
                    }
                    return
                }
                defer { writersDone.add(1, ordering: .releasing) }
                for write in 0..<writesPerWriter {
                    let key = heightKey(UInt64(index * 1_000 + write))
                    try environment.write { txn in
                        try txn.put(key, [UInt8](repeating: UInt8(index), count: 1024), in: blocks)
                    }
                }
            }
            try environment.read { txn in
                #expect(try txn.count(in: blocks) == writerCount * writesPerWriter)
                for index in 0..<writerCount {
                    let value = try txn.get(heightKey(UInt64(index * 1_000 + writesPerWriter - 1)), in: blocks)
                    #expect(value == [UInt8](repeating: UInt8(index), count: 1024))
                }
            }
            #expect(environment.currentMapSizeBytes > 64 << 10)
        }
    }
}

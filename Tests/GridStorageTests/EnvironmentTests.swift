import Foundation
import Testing

@testable import GridStorage

@Suite struct EnvironmentTests {
    @Test func putGetDeleteRoundTrip() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            try environment.write { txn in try txn.put([1, 2, 3], [9, 8, 7], in: blocks) }

            let stored = try environment.read { txn in try txn.get([1, 2, 3], in: blocks) }
            #expect(stored == [9, 8, 7])
            let containsKey = try environment.read { txn in try txn.contains([1, 2, 3], in: blocks) }
            #expect(containsKey)

            let removed = try environment.write { txn in try txn.delete([1, 2, 3], in: blocks) }
            #expect(removed)
            let removedAgain = try environment.write { txn in try txn.delete([1, 2, 3], in: blocks) }
            #expect(!removedAgain)
            let afterDelete = try environment.read { txn in try txn.get([1, 2, 3], in: blocks) }
            #expect(afterDelete == nil)
        }
    }

    @Test func emptyValueIsStoredAndDistinctFromMissing() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            try environment.write { txn in try txn.put([1], [], in: blocks) }
            let (empty, missing) = try environment.read { txn in
                (try txn.get([1], in: blocks), try txn.get([2], in: blocks))
            }
            #expect(empty == [])
            #expect(missing == nil)
        }
    }

    @Test func valuesPersistAcrossCloseAndReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/env"
            do {
                let environment = try Environment(path: path)
                let blocks = try environment.database(named: "blocks")
                let meta = try environment.database(named: "meta")
                try environment.write { txn in
                    for height in UInt64(0)..<100 {
                        try txn.put(heightKey(height), Array("block \(height)".utf8), in: blocks)
                    }
                    try txn.put(Array("tip".utf8), heightKey(99), in: meta)
                }
                environment.close()
                #expect(environment.isClosed)
            }

            let environment = try Environment(path: path)
            defer { environment.close() }
            let blocks = try environment.database(named: "blocks")
            let meta = try environment.database(named: "meta")
            try environment.read { (txn) throws in
                #expect(try txn.count(in: blocks) == 100)
                #expect(try txn.get(heightKey(42), in: blocks) == Array("block 42".utf8))
                #expect(try txn.get(Array("tip".utf8), in: meta) == heightKey(99))
                #expect(try txn.lastKey(in: blocks).flatMap(height(of:)) == 99)
                #expect(try txn.first(in: blocks)?.value == Array("block 0".utf8))
            }
            let stats = try environment.stats()
            #expect(stats.entryCounts == ["blocks": 100, "meta": 1])
            #expect(stats.lastTransactionID >= 2)
        }
    }

    @Test(arguments: [Environment.Durability.sync, .noMetaSync, .noSync])
    func eachDurabilityModeOpensAndCommits(durability: Environment.Durability) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/env"
            let options = Environment.Options(durability: durability)
            do {
                let environment = try Environment(path: path, options: options)
                let blocks = try environment.database(named: "blocks")
                let before = try environment.stats().lastTransactionID
                try environment.write { txn in try txn.put(heightKey(1), [1], in: blocks) }
                #expect(try environment.stats().lastTransactionID == before + 1)
                try environment.sync(force: true)
                environment.close()
            }
            let environment = try Environment(path: path, options: options)
            defer { environment.close() }
            let blocks = try environment.database(named: "blocks")
            #expect(try environment.read { txn in try txn.get(heightKey(1), in: blocks) } == [1])
        }
    }

    @Test func closedEnvironmentRejectsWork() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            environment.close()
            environment.close()
            #expect(throws: LMDBError.environmentClosed) { try environment.read { _ in } }
            #expect(throws: LMDBError.environmentClosed) { try environment.write { _ in } }
            #expect(throws: LMDBError.environmentClosed) { try environment.sync() }
            #expect(throws: LMDBError.environmentClosed) {
                try environment.write { txn in try txn.put([1], [1], in: blocks) }
            }
        }
    }

    @Test func closeInsideTransactionTakesEffectWhenItEnds() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let value = try environment.read { txn in
                environment.close()
                // The running transaction stays valid; only new ones are refused.
                return try txn.get([1], in: blocks)
            }
            #expect(value == nil)
            #expect(environment.isClosed)
            #expect(throws: LMDBError.environmentClosed) { try environment.read { _ in } }
        }
    }

    @Test func invalidOptionsAreRejected() throws {
        try withTemporaryDirectory { directory in
            let backwards = Environment.Options(mapSizeBytes: 1 << 20, mapSizeBytesMax: 1 << 16)
            #expect {
                try Environment(path: directory + "/a", options: backwards)
            } throws: { error in
                guard case LMDBError.invalidArgument = error else {
                    return false
                }
                return true
            }
            #expect(throws: LMDBError.invalidArgument("environment path must not be empty")) {
                try Environment(path: "")
            }
        }
    }

    @Test func databaseFromAnotherEnvironmentIsRejected() throws {
        try withEnvironment { first, _ in
            try withEnvironment { second, _ in
                let foreign = try first.database(named: "blocks")
                _ = try second.database(named: "blocks")
                #expect {
                    try second.read { txn in try txn.get([1], in: foreign) }
                } throws: { error in
                    guard case LMDBError.invalidArgument = error else {
                        return false
                    }
                    return true
                }
            }
        }
    }

    @Test func databaseHandlesAreCached() throws {
        try withEnvironment { environment, _ in
            let first = try environment.database(named: "blocks")
            let again = try environment.database(named: "blocks")
            #expect(first == again)
            #expect(throws: LMDBError.invalidArgument("database names must not be empty")) {
                try environment.database(named: "")
            }
        }
    }
}

import Foundation
import Testing

@testable import GridStorage

@Suite struct WriteStatisticsTests {
    /// 64 values of 16 KiB: LMDB stores each on its own overflow pages, so the commit writes at least this much.
    static let valueCount = 64
    static let valueSizeBytes = 16 << 10

    static func writeValues(_ environment: Environment, _ database: Database, seed: UInt8) throws {
        try environment.write { txn in
            for index in 0..<valueCount {
                let value = [UInt8](repeating: seed &+ UInt8(index), count: valueSizeBytes)
                try txn.put(heightKey(UInt64(index)), value, in: database)
            }
        }
    }

    #if os(Linux)
        @Test func threadCounterSeesThisThreadsWrites() throws {
            // The assumption the byte counter rests on: bytes passed to write(2) on this thread show up in wchar.
            try withTemporaryDirectory { directory in
                let descriptor = open(directory + "/probe", O_CREAT | O_WRONLY, 0o644)
                try #require(descriptor >= 0)
                defer { close(descriptor) }
                let before = try #require(ThreadIOAccounting.writtenBytes())
                let bytes = [UInt8](repeating: 1, count: 100_000)
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                #expect(written == bytes.count)
                let after = try #require(ThreadIOAccounting.writtenBytes())
                #expect(after - before >= UInt64(bytes.count))
            }
        }

        @Test func bytesWrittenCoverTheCommittedData() throws {
            for durability in [Environment.Durability.sync, .noSync] {
                try withEnvironment(options: Environment.Options(durability: durability)) { environment, _ in
                    let blocks = try environment.database(named: "blocks")
                    let before = environment.writeStatistics
                    try Self.writeValues(environment, blocks, seed: 1)
                    let after = environment.writeStatistics
                    let writtenBytes = try #require(after.bytesWritten) - (try #require(before.bytesWritten))
                    #expect(
                        writtenBytes >= UInt64(Self.valueCount * Self.valueSizeBytes),
                        "durability \(durability): \(writtenBytes) bytes")
                    // Overflow pages, branch and leaf pages and a meta page, not the whole map.
                    #expect(writtenBytes < UInt64(4 * Self.valueCount * Self.valueSizeBytes))
                }
            }
        }

        @Test func parsesTheWriteCounterOfAProcIOFile() {
            let text = "rchar: 6976\nwchar: 123456789\nsyscr: 10\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 4096\n"
            #expect(ThreadIOAccounting.parseWrittenBytes(Array(text.utf8)) == 123_456_789)
            #expect(ThreadIOAccounting.parseWrittenBytes(Array("rchar: 1\n".utf8)) == nil)
            #expect(ThreadIOAccounting.parseWrittenBytes(Array("wchar: 12x\n".utf8)) == nil)
            #expect(ThreadIOAccounting.parseWrittenBytes(Array("wchar: \n".utf8)) == nil)
            #expect(ThreadIOAccounting.parseWrittenBytes(Array("wchar: 99999999999999999999\n".utf8)) == nil)
            #expect(ThreadIOAccounting.parseWrittenBytes(Array("wchar: 0".utf8)) == 0)
        }
    #endif

    @Test func durableCommitsCountAsSyncs() throws {
        try withEnvironment(options: Environment.Options(durability: .sync)) { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let start = environment.writeStatistics
            for seed in UInt8(0)..<3 {
                try Self.writeValues(environment, blocks, seed: seed)
            }
            var now = environment.writeStatistics
            #expect(now.commits - start.commits == 3)
            #expect(now.syncs - start.syncs == 3)

            // A transaction that changed nothing: committed, but LMDB neither writes nor flushes.
            try environment.write { _ in }
            now = environment.writeStatistics
            #expect(now.commits - start.commits == 4)
            #expect(now.syncs - start.syncs == 3)

            try environment.sync(force: false)
            #expect(environment.writeStatistics.syncs - start.syncs == 4)
        }
    }

    @Test func noSyncCommitsDoNotSyncUntilForced() throws {
        try withEnvironment(options: Environment.Options(durability: .noSync)) { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let start = environment.writeStatistics
            #expect(start.syncs == 0)
            for seed in UInt8(0)..<3 {
                try Self.writeValues(environment, blocks, seed: seed)
            }
            var now = environment.writeStatistics
            #expect(now.commits - start.commits == 3)
            #expect(now.syncs == 0)

            // Unforced, LMDB leaves a no-sync environment alone; forced, it flushes.
            try environment.sync(force: false)
            #expect(environment.writeStatistics.syncs == 0)
            try environment.sync(force: true)
            now = environment.writeStatistics
            #expect(now.syncs == 1)
            #expect(now.commits - start.commits == 3)
        }
    }

    @Test func noMetaSyncCommitsStillFlushTheData() throws {
        try withEnvironment(options: Environment.Options(durability: .noMetaSync)) { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let start = environment.writeStatistics
            try Self.writeValues(environment, blocks, seed: 7)
            #expect(environment.writeStatistics.syncs - start.syncs == 1)
        }
    }

    @Test func failedAndAbortedWritesAreNotCommits() throws {
        struct Refused: Error {}
        try withEnvironment(options: Environment.Options(durability: .noSync)) { environment, _ in
            let blocks = try environment.database(named: "blocks")
            let start = environment.writeStatistics
            #expect(throws: Refused.self) {
                try environment.write { txn in
                    try txn.put([1], [2], in: blocks)
                    throw Refused()
                }
            }
            let now = environment.writeStatistics
            #expect(now.commits == start.commits)
            #expect(now.bytesWritten == start.bytesWritten)
        }
    }

    @Test func openingDatabasesIsCountedAndStatisticsOutliveClose() throws {
        try withTemporaryDirectory { directory in
            let environment = try Environment(path: directory + "/env")
            #expect(environment.writeStatistics.commits == 0)
            _ = try environment.database(named: "blocks")
            _ = try environment.database(named: "meta")
            // Cached handles need no transaction.
            _ = try environment.database(named: "blocks")
            environment.close()
            let statistics = environment.writeStatistics
            #expect(statistics.commits == 2)
            #expect(statistics.syncs == 2)
        }
    }

    @Test func eachEnvironmentCountsOnlyItsOwnWrites() throws {
        try withEnvironment(options: Environment.Options(durability: .noSync)) { first, _ in
            try withEnvironment(options: Environment.Options(durability: .noSync)) { second, _ in
                let blocks = try first.database(named: "blocks")
                let secondStart = second.writeStatistics
                try Self.writeValues(first, blocks, seed: 3)
                #expect(second.writeStatistics == secondStart)
                #expect(first.writeStatistics.commits == 2)
            }
        }
    }
}

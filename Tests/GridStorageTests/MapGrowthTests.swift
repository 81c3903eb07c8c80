import Foundation
import Testing

@testable import GridStorage

@Suite struct MapGrowthTests {
    private static let initialMapSizeBytes = 64 << 10

    private func value(_ index: Int, sizeBytes: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(index % 251), count: sizeBytes)
    }

    @Test func mapGrowsAndWritesAreReRunTransparently() throws {
        let options = Environment.Options(mapSizeBytes: Self.initialMapSizeBytes, mapSizeBytesMax: 16 << 20)
        let transactions = 64
        let putsPerTransaction = 16
        let valueSizeBytes = 4 << 10  // 64 × 16 × 4 KiB = 4 MiB in total
        try withTemporaryDirectory { directory in
            let path = directory + "/env"
            var grownMapSizeBytes = 0
            do {
                let environment = try Environment(path: path, options: options)
                defer { environment.close() }
                let blocks = try environment.database(named: "blocks")
                var closureRuns = 0
                for batch in 0..<transactions {
                    try environment.write { txn in
                        closureRuns += 1
                        for offset in 0..<putsPerTransaction {
                            let index = batch * putsPerTransaction + offset
                            try txn.put(heightKey(UInt64(index)), value(index, sizeBytes: valueSizeBytes), in: blocks)
                        }
                    }
                }
                grownMapSizeBytes = environment.currentMapSizeBytes
                #expect(grownMapSizeBytes > Self.initialMapSizeBytes)
                #expect(grownMapSizeBytes <= options.mapSizeBytesMax)
                let stats = try environment.stats()
                #expect(stats.mapGrowthCount > 0)
                #expect(closureRuns == transactions + stats.mapGrowthCount)
                #expect(stats.usedBytes <= stats.mapSizeBytes)
            }

            let environment = try Environment(path: path, options: options)
            defer { environment.close() }
            // Reopening adopts the grown size instead of starting small again.
            #expect(environment.currentMapSizeBytes == grownMapSizeBytes)
            let blocks = try environment.database(named: "blocks")
            try environment.read { txn in
                let total = transactions * putsPerTransaction
                #expect(try txn.count(in: blocks) == total)
                for index in 0..<total {
                    let stored = try txn.get(heightKey(UInt64(index)), in: blocks)
                    #expect(stored == value(index, sizeBytes: valueSizeBytes))
                }
            }
        }
    }

    @Test func ceilingIsACleanErrorAndKeepsCommittedData() throws {
        let limitBytes = 256 << 10
        let options = Environment.Options(mapSizeBytes: Self.initialMapSizeBytes, mapSizeBytesMax: limitBytes)
        let valueSizeBytes = 8 << 10
        try withTemporaryDirectory { directory in
            let path = directory + "/env"
            var committed = 0
            do {
                let environment = try Environment(path: path, options: options)
                defer { environment.close() }
                let blocks = try environment.database(named: "blocks")
                var limitError: LMDBError?
                while committed < 1_000 {
                    do {
                        let entry = value(committed, sizeBytes: valueSizeBytes)
                        try environment.write { txn in try txn.put(heightKey(UInt64(committed)), entry, in: blocks) }
                        committed += 1
                    } catch let error as LMDBError {
                        limitError = error
                        break
                    }
                }
                #expect(committed > 0)
                let currentBytes = environment.currentMapSizeBytes
                #expect(currentBytes == limitBytes)
                #expect(limitError == .mapSizeLimitReached(currentBytes: currentBytes, limitBytes: limitBytes))

                // Still readable, and the failed write left nothing behind.
                try environment.read { (txn) throws in
                    #expect(try txn.count(in: blocks) == committed)
                    #expect(try txn.lastKey(in: blocks).flatMap(height(of:)) == UInt64(committed - 1))
                }
                #expect(throws: LMDBError.valueTooLarge(sizeBytes: limitBytes + 1, limitBytes: limitBytes)) {
                    try environment.write { txn in
                        try txn.put([1], [UInt8](repeating: 0, count: limitBytes + 1), in: blocks)
                    }
                }
            }

            let environment = try Environment(path: path, options: options)
            defer { environment.close() }
            let blocks = try environment.database(named: "blocks")
            try environment.read { (txn) throws in
                #expect(try txn.count(in: blocks) == committed)
                for index in 0..<committed {
                    let stored = try txn.get(heightKey(UInt64(index)), in: blocks)
                    #expect(stored == value(index, sizeBytes: valueSizeBytes))
                }
            }
        }
    }
}

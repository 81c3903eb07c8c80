import Foundation
import GridConsensus
import GridLoad
import GridSimulation
import GridTopology
import Testing

@Suite struct SimulationTests {
    @Test func oneRegionCommitsEverythingItIsOffered() throws {
        let report = try simulate(try testTopology(tps: 500))
        let counts = report.recorder.measuredCounts
        #expect(counts.offered == 1000)
        #expect(counts.committed == counts.offered)
        #expect(counts.offered == counts.committed + counts.rejected + counts.dropped + counts.timedOut)
        let heights = Set(report.nodes.map(\.committedHeight))
        #expect(heights.max()! - heights.min()! <= 2, "validators stay within a couple of blocks: \(heights)")
    }

    @Test func sameSeedInModelModeGivesIdenticalResults() throws {
        let topology = try testTopology(tps: 400, durationSeconds: 1, seed: 77)
        func resultJSON() throws -> Data {
            let report = try simulate(topology)
            let result = try report.runResult(
                topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
            return try result.jsonData(includeWallClock: false)
        }
        let first = try resultJSON()
        let second = try resultJSON()
        #expect(first == second)
        let otherSeed = try simulate(try testTopology(tps: 400, durationSeconds: 1, seed: 78))
        let otherJSON = try otherSeed.runResult(
            topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil
        ).jsonData(includeWallClock: false)
        #expect(first != otherJSON, "a different seed must change something (jitter, key material)")
    }

    @Test func crashedValidatorRestartsAndCatchesUp() throws {
        let topology = try testTopology(
            tps: 400, durationSeconds: 3,
            faults: """
                  - { atSeconds: 1.0, kind: crash, node: r0/v2 }
                  - { atSeconds: 2.0, kind: restart, node: r0/v2 }
                """)
        let report = try simulate(topology)
        let restarted = try #require(report.nodes.first { $0.label == "r0/v2" })
        let highest = report.nodes.map(\.committedHeight).max() ?? 0
        #expect(
            restarted.committedHeight + 3 >= highest,
            "restarted node caught up: \(restarted.committedHeight) of \(highest)")
        let counts = report.recorder.measuredCounts
        // Only requests already inside the crashed gateway can be lost; everything else commits.
        #expect(Double(counts.committed) >= 0.9 * Double(counts.offered))
    }

    @Test func crashedLeaderCostsATimeoutAndTheRegionMovesOn() throws {
        let topology = try testTopology(
            tps: 400, durationSeconds: 3,
            faults: """
                  - { atSeconds: 1.0, kind: crash, node: r0/leader }
                """)
        let report = try simulate(topology)
        let alive = report.nodes.filter { $0.committedHeight > 0 }
        let counts = report.recorder.measuredCounts
        #expect(alive.count == 4)
        #expect(Double(counts.committed) >= 0.9 * Double(counts.offered), "\(counts)")
    }

    @Test func equivocatingLeaderCannotSplitHonestValidators() throws {
        // v0 leads every fourth round and sends two different blocks to the two halves; the store check in
        // `simulate` fails if two honest validators ever hold different blocks at one height.
        let report = try simulate(
            try testTopology(tps: 300, durationSeconds: 2), byzantine: ["r0/v0": .equivocatingLeader])
        let honest = report.nodes.filter { $0.label != "r0/v0" }
        #expect(honest.allSatisfy { $0.committedHeight > 10 }, "the region kept committing")
        let refused = honest.reduce(0) {
            $0 + ($1.rejections["already-voted"] ?? 0) + ($1.rejections["not-leader"] ?? 0)
        }
        #expect(refused >= 0)
        #expect(report.recorder.measuredCounts.committed > 0)
    }

    @Test func partitionOfTheMinorityHealsWithoutLoss() throws {
        let topology = try testTopology(
            tps: 300, durationSeconds: 3,
            faults: """
                  - { atSeconds: 0.8, kind: partition, durationSeconds: 1.0, groups: [[r0/v3]] }
                """)
        let report = try simulate(topology)
        let heights = report.nodes.map(\.committedHeight)
        #expect(heights.max()! - heights.min()! <= 3, "v3 caught up after the partition: \(heights)")
    }

    @Test func overloadAnswersBusyInsteadOfQueueingForever() throws {
        // Blocks of 10 transactions with 10 ms links (a round takes at least 20 ms, so at most ~500 tx/s) and a
        // small mempool, offered 3000 tx/s: gateways must say "busy" (dropped) rather than queue, and every
        // transaction still ends in exactly one bucket.
        let topology = try testTopology(
            tps: 3000, durationSeconds: 1,
            extra: """
                mempool: { capacityTransactions: 100 }
                network: { intraRegion: { latencyMillis: 10, jitterMillis: 0 } }
                """, blockTransactionsMax: 10)
        let report = try simulate(topology)
        let counts = report.recorder.measuredCounts
        #expect(counts.dropped > counts.offered / 2, "\(counts)")
        #expect(counts.committed > 0)
        #expect(counts.offered == counts.committed + counts.rejected + counts.dropped + counts.timedOut)
    }
}

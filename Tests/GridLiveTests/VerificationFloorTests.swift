import Testing

@testable import GridLiveRun

/// The live report's CPU per committed transaction, in verifications, against the protocol's floor.
struct VerificationFloorTests {
    /// One region of 4 with a committee: every node's CPU counts, the region's transactions once (its validator
    /// furthest ahead), and the floor is one verification per validator per transaction.
    @Test func oneRegionCountsEveryNodesCPUOverTheRegionsCommits() throws {
        let nodes: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)] = [
            ("r0/v0", 1.0, 1000), ("r0/v1", 1.0, 998), ("r0/v2", 1.0, 1000), ("r0/v3", 1.0, 990),
            ("global/v0", 0.5, 0),
        ]
        let floor = try #require(VerificationFloor(nodes: nodes, verificationNanos: 100_000, cores: 2))
        // 4.5 s of CPU over 1,000 transactions: 4,500 µs, 45 verifications of 100 µs.
        #expect(abs(floor.cpuMicrosPerTransaction - 4500) < 1e-9)
        #expect(abs(floor.verificationsPerTransaction - 45) < 1e-9)
        #expect(floor.verificationsNeededPerTransaction == 4)
        // 2 cores verify 20,000 signatures a second; 4 per transaction.
        #expect(abs(floor.boundTps - 5000) < 1e-9)
        #expect(floor.summary.contains("45.0 verifications") && floor.summary.contains("5000 tx/s"))
    }

    /// Regions of different sizes weigh the floor by what each committed.
    @Test func regionsOfDifferentSizesWeighTheFloorByTheirCommits() throws {
        var nodes: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)] = []
        for index in 0..<4 { nodes.append(("a/v\(index)", 0.1, 300)) }
        for index in 0..<7 { nodes.append(("b/v\(index)", 0.1, 100)) }
        let floor = try #require(VerificationFloor(nodes: nodes, verificationNanos: 50_000, cores: 4))
        // (4 × 300 + 7 × 100) / 400 = 4.75 verifications needed per transaction.
        #expect(abs(floor.verificationsNeededPerTransaction - 4.75) < 1e-9)
        #expect(abs(floor.boundTps - 4e9 / (50_000 * 4.75)) < 1e-6)
    }

    @Test func nothingCommittedOrNoMeasurementGivesNoFloor() {
        let idle: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)] = [("r0/v0", 1, 0)]
        #expect(VerificationFloor(nodes: idle, verificationNanos: 100_000, cores: 2) == nil)
        let busy: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)] = [("r0/v0", 1, 10)]
        #expect(VerificationFloor(nodes: busy, verificationNanos: 0, cores: 2) == nil)
    }

    @Test func measuredVerificationCostIsPositive() throws {
        let nanos = try #require(VerificationCost.measureNanos(batches: 1, verificationsPerBatch: 20))
        #expect(nanos > 0)
    }
}

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

    /// The nodes' own measurement of verification: its cost in situ against the figure measured alone, and what
    /// the rest of the CPU per transaction was.
    @Test func verificationMeasuredInsideTheNodesSplitsTheCPU() throws {
        let nodes: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)] = [
            ("r0/v0", 1.0, 1000), ("r0/v1", 1.0, 1000), ("r0/v2", 1.0, 1000), ("r0/v3", 1.0, 1000),
        ]
        // 4,400 checks (transactions, votes, certificates) took 2.64 s: 600 µs each, 1.2 times the 500 µs alone.
        let floor = try #require(
            VerificationFloor(
                nodes: nodes, verificationNanos: 500_000, cores: 2, measured: (verifications: 4_400, cpuSeconds: 2.64)))
        let inSitu = try #require(floor.inSitu)
        #expect(abs(inSitu.verificationNanos - 600_000) < 1e-6)
        #expect(abs(inSitu.verificationsPerTransaction - 4.4) < 1e-9)
        #expect(abs(inSitu.cpuShare - 0.66) < 1e-9)
        // 4,000 µs per transaction, 2,640 of them verification.
        let summary = try #require(floor.inSituSummary)
        #expect(summary.contains("600.0 µs (1.20 times") && summary.contains("4.40 per committed"))
        #expect(summary.contains("2640.0 µs, 66 %") && summary.contains("took 1360.0 µs"))
        #expect(floor.summary.hasSuffix(summary))
        // Without the nodes' measurement (earlier builds), the line is as before.
        let unmeasured = try #require(VerificationFloor(nodes: nodes, verificationNanos: 500_000, cores: 2))
        #expect(unmeasured.inSitu == nil && !unmeasured.summary.contains("Inside"))
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

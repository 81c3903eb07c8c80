import Foundation
import GridLoad
import GridSimulation
import GridTopology
import Testing

/// The global layer end to end in the simulator: shipped topologies, shortened so that debug builds stay quick.
/// Every run also checks the global invariants (no two checkpoints at one height, contiguous finalized heights,
/// each cross-region message applied at most once and only if committed) and the stores of every validator and
/// committee member (`simulate`).
@Suite struct GlobalLayerSimulationTests {
    static func shipped(_ name: String) throws -> Topology {
        try ContractWorkloadTests.shipped(name)
    }

    /// A transfer topology with a global layer, shortened: `seconds` measured after 2 s of warm-up.
    static func short(_ name: String, seconds: Double = 6, tps: Double? = nil) throws -> Topology {
        var topology = try shipped(name)
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = seconds
        if let tps { topology.workload.rate = .fixed(tps: tps) }
        return topology
    }

    static func global(_ report: SimulationReport) throws -> RunResult.GlobalOutcome {
        try #require(report.global)
    }

    /// Every region's blocks became final up to (nearly) its committed height by the end of the run.
    static func expectAllFinal(
        _ global: RunResult.GlobalOutcome, slackBlocks: UInt64 = 40, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for region in global.regions {
            #expect(region.finalizedHeight > 0, "\(region.name)", sourceLocation: sourceLocation)
            #expect(
                region.finalizedHeight + slackBlocks >= region.committedHeight,
                "\(region.name): final \(region.finalizedHeight) of \(region.committedHeight)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func crossRegionMessagesAreAppliedOnceFromFinalCheckpoints() throws {
        var topology = try Self.shipped("ieee33-3regions")
        topology.workload.auction?.intervalSeconds = 2
        topology.workload.voltage?.reportingPeriodSeconds = 1
        topology.workload.voltage?.controlIntervalSeconds = 2
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 6
        try topology.validate()
        let report = try simulate(topology)
        ContractWorkloadTests.expectEverythingCommitted(report)
        let global = try Self.global(report)
        Self.expectAllFinal(global)
        // Auction residuals and reactive-power requests cross regions; every one committed was applied once.
        #expect(global.crossRegion.committed > 0)
        #expect(global.crossRegion.applied == global.crossRegion.committed, "\(global.crossRegion)")
        #expect(global.crossRegion.unappliedAtEnd == 0)
        #expect(global.crossRegion.undeliverable == 0)
        let cross = try #require(report.recorder.latencyHistogramMicros(.crossRegion))
        #expect(cross.totalCount > 0)
        let final = try #require(report.recorder.latencyHistogramMicros(.globalFinality))
        let local = try #require(report.recorder.latencyHistogramMicros(.localCommit))
        // Finality comes after local commit, for (nearly) every committed transaction of the window.
        #expect(final.valueAtPercentile(50) > local.valueAtPercentile(50))
        #expect(final.totalCount + 50 >= local.totalCount, "\(final.totalCount) of \(local.totalCount)")
        // Money is conserved across regions once their mutual inter-region accounts are counted.
        #expect(report.workload?.auction?.balanceResidualMicros == 0)
        #expect(global.entryRejections.keys.allSatisfy { $0.hasPrefix("resend-") || $0 == "gap-buffer-full" })
    }

    @Test func anIsolatedRegionKeepsCommittingAndItsFinalityResumes() throws {
        var topology = try Self.short("region-partition", seconds: 6, tps: 800)
        topology.faults = [
            Topology.Fault(
                atSeconds: 3,
                kind: .partition(
                    durationSeconds: 2,
                    groups: [
                        (0..<4).map { NodeReference(region: "r1", validator: .index($0)) },
                        ["r0", "r2", "r3"].flatMap { region in
                            (0..<4).map { NodeReference(region: region, validator: .index($0)) }
                        } + (0..<4).map { NodeReference(region: "global", validator: .index($0)) },
                    ]))
        ]
        try topology.validate()
        let report = try simulate(topology)
        ContractWorkloadTests.expectEverythingCommitted(report)
        let global = try Self.global(report)
        Self.expectAllFinal(global)
        let isolated = try #require(global.regions.first { $0.name == "r1" })
        let other = try #require(global.regions.first { $0.name == "r0" })
        // Local commits went on during the partition, so the isolated region's height kept pace with the others.
        #expect(isolated.committedHeight + 20 >= other.committedHeight)
        // Some transactions waited for the partition to heal before they became final.
        let final = try #require(report.recorder.latencyHistogramMicros(.globalFinality))
        #expect(final.max >= 1_500_000, "max \(final.max) us")
        #expect(global.checkpointRequests > 0, "the region asked for the checkpoints it missed")
    }

    /// Cross-region traffic through a partition: messages to and from the cut-off region wait for the heal, then
    /// each is applied once, in checkpoint order (the invariant checker would stop the run otherwise).
    @Test func crossRegionMessagesSurviveAPartitionExactlyOnce() throws {
        var topology = try Self.shipped("ieee33-partition")
        topology.workload.auction?.intervalSeconds = 2
        topology.workload.voltage?.reportingPeriodSeconds = 1
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 8
        topology.faults = topology.faults.map { fault in
            var fault = fault
            fault.atSeconds = 3
            if case .partition(_, let groups) = fault.kind {
                fault.kind = .partition(durationSeconds: 3, groups: groups)
            }
            return fault
        }
        try topology.validate()
        let report = try simulate(topology)
        ContractWorkloadTests.expectEverythingCommitted(report)
        let global = try Self.global(report)
        Self.expectAllFinal(global)
        #expect(global.crossRegion.committed > 0)
        #expect(global.crossRegion.applied == global.crossRegion.committed, "\(global.crossRegion)")
        #expect(global.crossRegion.unappliedAtEnd == 0)
        #expect(global.checkpointRequests > 0, "zoneB asked for the checkpoints it missed")
        let cross = try #require(report.recorder.latencyHistogramMicros(.crossRegion))
        #expect(cross.max >= 2_000_000, "a message waited for the partition to heal: max \(cross.max) us")
        #expect(report.workload?.auction?.balanceResidualMicros == 0)
    }

    @Test func aByzantineRegionIsRefusedWithAReasonAndTheOthersGoOn() throws {
        var topology = try Self.short("byzantine-region", seconds: 6, tps: 800)
        topology.faults = [
            Topology.Fault(
                atSeconds: 3, kind: .byzantineRegion(region: "r1", behavior: .forgedCertificate, durationSeconds: 2)),
            Topology.Fault(
                atSeconds: 3, kind: .byzantineRegion(region: "r2", behavior: .nonExtendingHeader, durationSeconds: 2)),
        ]
        try topology.validate()
        let report = try simulate(topology)
        ContractWorkloadTests.expectEverythingCommitted(report)
        let global = try Self.global(report)
        #expect(global.entryRejections["bad-certificate", default: 0] > 0, "\(global.entryRejections)")
        let offChain =
            global.entryRejections["does-not-extend-chain", default: 0]
            + global.entryRejections["conflicting-header", default: 0]
        #expect(offChain > 0, "\(global.entryRejections)")
        // Honest regions never stalled, and the two liars' real blocks became final once they stopped lying.
        Self.expectAllFinal(global)
    }

    @Test func aCommitteeMemberCrashesRestartsFromItsStoreAndCatchesUp() throws {
        var topology = try Self.short("global-member-crash", seconds: 6, tps: 600)
        let member = NodeReference(region: "global", validator: .index(1))
        topology.faults = [
            Topology.Fault(atSeconds: 3, kind: .crash(node: member)),
            Topology.Fault(atSeconds: 5, kind: .restart(node: member)),
        ]
        try topology.validate()
        let report = try simulate(topology)
        ContractWorkloadTests.expectEverythingCommitted(report)
        let global = try Self.global(report)
        Self.expectAllFinal(global)
        let heights = report.nodes.filter { $0.region == "global" }.map(\.committedHeight)
        #expect(heights.count == 4)
        let restarted = try #require(report.nodes.first { $0.label == "global/v1" })
        #expect(restarted.committedHeight + 10 >= heights.max()!, "restarted member at \(restarted.committedHeight)")
    }

    @Test func aRegionLeaderCrashDelaysOnlyThatRegionsFinality() throws {
        var topology = try Self.short("region-leader-crash-global", seconds: 6, tps: 600)
        let leader = NodeReference(region: "r0", validator: .leader)
        topology.faults = [
            Topology.Fault(atSeconds: 3, kind: .crash(node: leader)),
            Topology.Fault(atSeconds: 5, kind: .restart(node: leader)),
        ]
        try topology.validate()
        let report = try simulate(topology)
        let global = try Self.global(report)
        Self.expectAllFinal(global)
        #expect(report.recorder.measuredCounts.committed + 5 >= report.recorder.measuredCounts.offered)
        // Compare the crashed region with the others. The other regions lost nothing: every transaction they
        // were offered committed and reached global finality inside the window. r0 paid for the crash alone: the
        // requests its crashed gateway held never got an answer, so fewer of its transactions became final.
        let crashed = try #require(global.regions.first { $0.name == "r0" })
        let others = global.regions.filter { $0.name != "r0" }
        #expect(others.count == 2)
        let crashedCounts = try #require(report.recorder.measuredCounts(region: "r0"))
        #expect(crashedCounts.committed < crashedCounts.offered, "the crash cost r0 something: \(crashedCounts)")
        for region in others {
            let counts = try #require(report.recorder.measuredCounts(region: region.name))
            #expect(counts.committed == counts.offered, "\(region.name) lost transactions: \(counts)")
            #expect(
                crashed.globalFinalTps < region.globalFinalTps,
                "r0 final \(crashed.globalFinalTps)/s, \(region.name) \(region.globalFinalTps)/s")
            // The others' checkpoints kept pace: their final tip trails their chain no more than r0's does.
            #expect(
                region.committedHeight - region.finalizedHeight <= crashed.committedHeight - crashed.finalizedHeight
                    + 5,
                "\(region.name): final \(region.finalizedHeight) of \(region.committedHeight)")
        }
    }

    @Test func globalRunsAreDeterministic() throws {
        let topology = try Self.short("ieee33-4regions", seconds: 3)
        let first = try simulate(topology)
        let second = try simulate(topology)
        #expect(first.global == second.global)
        #expect(first.eventsProcessed == second.eventsProcessed)
        #expect(first.committedHeights == second.committedHeights)
    }
}

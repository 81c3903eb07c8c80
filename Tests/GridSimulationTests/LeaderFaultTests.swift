import Foundation
import GridLoad
import GridSimulation
import GridTopology
import Testing

/// `REGION/leader` faults must hit the validator the replicas are waiting on at that moment, with leader
/// reputation, not a round-robin guess: the region then pays one view change, as a real leader crash costs.
@Suite struct LeaderFaultTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func aLeaderCrashHitsTheAwaitedLeaderAndCostsAViewChange(seed: UInt64) throws {
        let topology = try testTopology(
            tps: 400, durationSeconds: 3, seed: seed,
            faults: """
                  - { atSeconds: 1.5, kind: crash, node: r0/leader }
                  - { atSeconds: 2.5, kind: restart, node: r0/leader }
                """)
        let report = try simulate(topology)
        let record = try #require(report.leaderFaults.first)
        // The victim is the validator the region was waiting on: at least the replica furthest ahead waited on it.
        #expect(record.awaitedBy >= 1, "\(record)")
        // The region paid a view change: at least 2f+1 = 3 live validators entered a round by timeout certificate.
        let survivors = report.nodes.filter { $0.label != record.node }
        #expect(survivors.filter { $0.viewChanges > 0 }.count >= 3, "\(survivors.map(\.viewChanges))")
        // The worst latency is at least the view timeout (300 ms), and the region recovered.
        let local = try #require(report.recorder.latencyHistogramMicros(.localCommit))
        #expect(local.max >= 300_000, "max \(local.max) us")
        let counts = report.recorder.measuredCounts
        #expect(Double(counts.committed) >= 0.95 * Double(counts.offered), "\(counts)")
    }
}

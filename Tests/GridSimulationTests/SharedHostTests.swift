import Foundation
import GridLoad
import GridSimulation
import Testing

/// `SimulationOptions.hostCores`: every machine shares the host's cores, so a node's event waits for a core when
/// the others hold them all, as a live node's consensus thread waits on a run queue.
@Suite struct SharedHostTests {
    static func run(hostCores: Int?, tps: Double = 1_500) throws -> RunResult {
        let topology = try testTopology(tps: tps, durationSeconds: 1, warmupSeconds: 0.5)
        return try withTemporaryDirectory { directory in
            var options = SimulationOptions(topology: topology, storeDirectory: directory)
            options.hostCores = hostCores
            // Signature checks ten times dearer than the shipped profile, so that one core is really contended.
            options.profile.signatureVerifyNanos *= 10
            let report = try Simulation(options: options).run()
            return try report.runResult(topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
        }
    }

    @Test func nodesWaitForTheSharedCoresAndLatencyShowsIt() throws {
        let shared = try Self.run(hostCores: 1)
        let roomy = try Self.run(hostCores: 8)
        let separate = try Self.run(hostCores: nil)
        let sharedWait = shared.nodes.compactMap(\.consensusWaitSeconds)
        let roomyWait = roomy.nodes.compactMap(\.consensusWaitSeconds)
        #expect(sharedWait.count == 4 && roomyWait.count == 4)
        #expect(separate.nodes.allSatisfy { $0.consensusWaitSeconds == nil })
        // One core for four nodes: each waits a good part of the second; eight cores: hardly ever.
        #expect(sharedWait.allSatisfy { $0 > 0.05 }, "\(sharedWait)")
        #expect(roomyWait.reduce(0, +) < sharedWait.reduce(0, +) / 10, "\(roomyWait) against \(sharedWait)")
        let sharedP50 = try #require(shared.latency(.localCommit)).p50
        let roomyP50 = try #require(roomy.latency(.localCommit)).p50
        #expect(sharedP50 > roomyP50, "one core \(sharedP50) ms, eight \(roomyP50) ms")
        // One core cannot give more than the window's length of CPU to all nodes together.
        let cpuSeconds = shared.nodes.map { $0.cpuUtilization * 2 }.reduce(0, +)  // machine.cores = 2
        #expect(cpuSeconds <= 1.05, "\(cpuSeconds) s of CPU in a 1 s window on one shared core")
        #expect(shared.counts.committed > 0)
    }
}

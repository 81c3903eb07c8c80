import Foundation
import GridLoad
import GridSimulation
import Testing

/// `SimulationOptions.hostCores`: every machine shares the host's cores, so a node's event waits for a core when
/// the others hold them all, as a live node's consensus thread waits on a run queue.
@Suite struct SharedHostTests {
    static func run(
        hostCores: Int?, tps: Double = 1_500, eventLoops: Bool = false, upkeepNanosPerSecond: Double = 0
    ) throws -> RunResult {
        let topology = try testTopology(tps: tps, durationSeconds: 1, warmupSeconds: 0.5)
        return try withTemporaryDirectory { directory in
            var options = SimulationOptions(topology: topology, storeDirectory: directory)
            options.hostCores = hostCores
            // Signature checks ten times dearer than the shipped profile, so that one core is really contended.
            options.profile.signatureVerifyNanos *= 10
            if eventLoops {
                // About what `calibrate --from-live` measured on the reference VM (2026-12-06).
                options.profile.eventLoopNanosPerWakeup = 35_000
                options.profile.generatorNanosPerWakeup = 40_000
                options.profile.generatorNanosPerTransaction = 6_000
            }
            options.profile.runtimeNanosPerSecond = upkeepNanosPerSecond
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

    @Test func eventLoopsAndTheLoadGeneratorTakeCoresAndTimeOnASharedHostOnly() throws {
        // A light load, so the two cores have room for the extra work (a saturated host cannot show more CPU).
        let plain = try Self.run(hostCores: 2, tps: 300)
        let withLoops = try Self.run(hostCores: 2, tps: 300, eventLoops: true)
        // The nodes' CPU now includes their event-loop threads: every frame in and out, every submission.
        let plainCPU = plain.nodes.map(\.cpuUtilization).reduce(0, +)
        let loopsCPU = withLoops.nodes.map(\.cpuUtilization).reduce(0, +)
        // (Not by the whole price of the loops: their waits make rounds longer and blocks larger, so the per-block
        // work falls.)
        #expect(loopsCPU > plainCPU, "\(loopsCPU) against \(plainCPU)")
        // Each hop waits for a core twice more (the sender's write, the receiver's read), and the generator's
        // send and read wait too.
        let plainP50 = try #require(plain.latency(.localCommit)).p50
        let loopsP50 = try #require(withLoops.latency(.localCommit)).p50
        #expect(loopsP50 > plainP50, "\(loopsP50) ms against \(plainP50) ms")
        #expect(withLoops.counts.committed > 0)
        #expect(withLoops.counts.offered == plain.counts.offered)
        // Machines with cores of their own: the event-loop terms are not charged, nothing moves.
        let separate = try Self.run(hostCores: nil, tps: 300)
        let separateWithTerms = try Self.run(hostCores: nil, tps: 300, eventLoops: true)
        #expect(separate.counts == separateWithTerms.counts)
        #expect(separate.latency(.localCommit) == separateWithTerms.latency(.localCommit))
    }

    @Test func upkeepTakesCoresOnlyWithTheEventLoopTerms() throws {
        let loops = try Self.run(hostCores: 2, tps: 300, eventLoops: true)
        let loopsAndUpkeep = try Self.run(hostCores: 2, tps: 300, eventLoops: true, upkeepNanosPerSecond: 20_000_000)
        // 20 ms of CPU a second per node, on machines of 2 cores: 0.01 of their utilization each.
        let extra = zip(loopsAndUpkeep.nodes, loops.nodes).map { $0.cpuUtilization - $1.cpuUtilization }
        #expect(extra.allSatisfy { $0 > 0.007 && $0 < 0.013 }, "\(extra)")
        // A profile fitted before the event-loop terms existed charges no upkeep: nothing moves.
        let plain = try Self.run(hostCores: 2, tps: 300)
        let upkeepOnly = try Self.run(hostCores: 2, tps: 300, upkeepNanosPerSecond: 20_000_000)
        #expect(plain.counts == upkeepOnly.counts && plain.nodes == upkeepOnly.nodes)
    }
}

import Foundation
import GridLoad
import GridSimulation
import GridTopology
import Testing

@Suite struct TimeSeriesTests {
    private func result(_ topology: Topology, intervalNanos: UInt64 = 1_000_000_000) throws -> RunResult {
        try withTemporaryDirectory { directory in
            var options = SimulationOptions(topology: topology, storeDirectory: directory)
            options.timeSeriesIntervalNanos = intervalNanos
            let report = try Simulation(options: options).run()
            return try report.runResult(topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
        }
    }

    @Test func intervalsAddUpToTheRunsTotals() throws {
        let topology = try testTopology(tps: 400, durationSeconds: 1.5, warmupSeconds: 0.5)
        let result = try result(topology, intervalNanos: 250_000_000)
        let series = try #require(result.timeSeries)
        #expect(series.intervalSeconds == 0.25)
        // The series covers the whole run (2 s of load and the drain), interval by interval.
        #expect(series.total.count >= 8)
        #expect(series.total.map(\.startSeconds) == series.total.indices.map { Double($0) * 0.25 })
        func sum(_ points: [TimeSeriesPoint], _ value: (TimeSeriesPoint) -> Double) -> UInt64 {
            UInt64(points.map { value($0) * series.intervalSeconds }.reduce(0, +).rounded())
        }
        // Warm-up included: 0.5 s + 1.5 s at 400 tx/s; every transaction committed in this healthy run.
        #expect(sum(series.total, \.offeredTps) == 800)
        #expect(sum(series.total, \.achievedTps) == 800)
        #expect(sum(series.total, \.committedTps) == 800)
        #expect(series.total.compactMap(\.localCommitMillis).map(\.count).reduce(0, +) == 800)
        // Measured-window figures are the run's: the intervals inside the window hold what the window offered.
        let inWindow = series.total.filter { $0.startSeconds >= 0.5 && $0.startSeconds < 2 }
        #expect(sum(inWindow, \.offeredTps) == result.counts.offered)
        let regionSeries = try #require(series.regions["r0"])
        #expect(regionSeries == series.total)
        #expect(series.nodes.map(\.id) == ["r0/v0", "r0/v1", "r0/v2", "r0/v3"])
        for node in series.nodes {
            #expect(node.cpuUtilization.count == series.total.count)
            #expect(node.queueDepthMax.count == series.total.count)
            #expect(node.cpuUtilization.contains { $0 > 0 })
        }
        #expect(series.faults.isEmpty)
        #expect(series.eventsBeyondLastInterval == nil)
    }

    @Test func faultsAreMarkedWithWhatTheyHit() throws {
        let topology = try testTopology(
            tps: 300, durationSeconds: 2.5, seed: 2,
            faults: """
                  - { atSeconds: 1.5, kind: crash, node: r0/leader }
                  - { atSeconds: 2.5, kind: restart, node: r0/leader }
                """)
        let result = try result(topology)
        let series = try #require(result.timeSeries)
        let victim = try #require(result.leaderFaults?.first?.node)
        #expect(
            series.faults == [
                FaultMark(atSeconds: 1.5, kind: "crash", target: victim),
                FaultMark(atSeconds: 2.5, kind: "restart", target: victim),
            ])
        // The victim did nothing while it was down: no CPU in the interval it spent entirely crashed (1.5-2.5 s
        // covers no whole 1 s interval, so look at its share around the crash instead).
        let node = try #require(series.nodes.first { $0.id == victim })
        #expect(node.cpuUtilization.count == series.total.count)
        // Same seed, same bytes, series included.
        let again = try self.result(topology)
        #expect(try again.jsonData(includeWallClock: false) == result.jsonData(includeWallClock: false))
    }
}

@Suite struct SimulatedCapacitySearchTests {
    private func search(_ base: Topology, slo: String) throws -> CapacityResult {
        let specification = try SLOSpecification.parse(slo)
        var search = try CapacitySearch(
            CapacitySearch.Configuration(
                startTps: 200, resolution: 0.25, edgeMargin: 0.25, minTps: 50, maxTps: 800, probesMax: 6))
        let runs = try search.run(slo: specification, kind: .localCommit) { request, number in
            let topology = try SimulatedCapacityProbe.topology(base, request: request)
            let report = try withTemporaryDirectory { directory in
                try SimulatedCapacityProbe.run(topology, profile: .shippedDefault, storeDirectory: directory)
            }
            let result = try report.runResult(
                topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
            return (result, "probes/\(number)")
        }
        return CapacityAnalysis.result(
            search: search, runs: runs, topology: .init(name: base.name, file: "test.yaml"), runtime: .simulator,
            seed: base.seed, slo: specification, kind: .localCommit, headroom: 0.2)
    }

    @Test func sameSeedSameAnswer() throws {
        let base = try testTopology(tps: 100, durationSeconds: 0.5, warmupSeconds: 0.2)
        let first = try search(base, slo: "p99<=2s")
        let second = try search(base, slo: "p99<=2s")
        #expect(try first.jsonData() == second.jsonData())
        // A healthy tiny region meets a 2 s p99 up to the search's ceiling.
        #expect(first.sustainableTps == 800)
        #expect(first.probes.map(\.offeredTps) == [200, 400, 800])
        #expect(first.probes.allSatisfy { $0.meetsSLO && $0.busiestNode.hasPrefix("r0/") })
        #expect(first.recommendedTps == 640)
    }
}

@Suite struct WorkloadScalingTests {
    static let topologies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topologies", isDirectory: true)

    static func shipped(_ name: String) throws -> Topology {
        try Topology.load(contentsOf: topologies.appendingPathComponent("\(name).yaml"))
    }

    @Test func contractWorkloadsOfferTheRequestedRateThroughTheirPopulations() throws {
        for name in ["voltage", "auction", "mix"] {
            let base = try Self.shipped(name)
            let nominal = try WorkloadScaling.nominalOfferedTps(base)
            for rate in [nominal * 0.5, nominal * 10, 5_000] {
                let scaled = try WorkloadScaling.topology(base, offeredTps: rate)
                let offered = try WorkloadScaling.nominalOfferedTps(scaled)
                // Dispatches, closes and clears come on top of the scaled populations: within 5 %.
                #expect(abs(offered - rate) / rate < 0.05, "\(name) at \(rate): offers \(offered)")
            }
        }
        // A region's own devices can go past the old 64-device limit.
        let voltage = try WorkloadScaling.topology(try Self.shipped("voltage"), offeredTps: 5_000)
        #expect(voltage.workload.voltageSettings.devicesPerBus * 12 > 64)
        #expect(throws: (any Error).self) { try WorkloadScaling.topology(try Self.shipped("voltage"), offeredTps: 1e7) }
    }

    @Test func aRegionWithMoreThan64DevicesRunsItsVoltageContract() throws {
        var topology = try WorkloadScaling.topology(try Self.shipped("voltage"), offeredTps: 128)
        #expect(topology.workload.voltageSettings.devicesPerBus == 8)
        let period = topology.workload.voltageSettings.reportingPeriodSeconds
        topology.workload.voltage?.controlIntervalSeconds = period
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 2
        try topology.validate()
        let report = try simulate(topology)
        let total = report.recorder.totalCounts
        #expect(total.offered > 500, "\(total)")
        #expect(total.committed == total.offered, "\(total) \(report.recorder.rejectReasons)")
        #expect(report.workload?.voltage != nil)
    }
}

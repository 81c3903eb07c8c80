import Foundation
import GridCommunity
import GridLoad
import GridSimulation
import GridTopology
import GridWorkloads

/// The ledger side of the CE-SDT study: one community day's signed transactions replayed on the simulated ledger.
extension StudyCeSdtCommand {
    /// The simulation's chain ID (`SimulationOptions`' default), which the replayed bids must be signed for.
    static let simulatedChainID: UInt32 = 1

    static func simulateDay(
        households: Int, share: Double, options: CommunityStudyOptions, secondsPerInterval: Double,
        storeDirectory: URL
    ) throws -> CommunityLedgerFigures {
        let started = Date()
        var dayOptions = options.dayOptions(households: households, share: share)
        dayOptions.chainID = simulatedChainID
        dayOptions.keepTransactions = true
        let day = try CommunityDay(options: dayOptions, profiles: .shipped)
        var intervals: [CommunityInterval] = []
        let harness = try day.run(intervals: &intervals)
        // Meter readings of interval k go out after interval k + 1's bids, well after k's clearing.
        var bidsByInterval = intervals.map(\.bids)
        for (position, interval) in intervals.enumerated() where !interval.readings.isEmpty {
            if position + 1 == bidsByInterval.count { bidsByInterval.append([]) }
            bidsByInterval[position + 1] += interval.readings
        }
        let replay = AuctionReplay(
            contract: day.contract, operatorKey: day.operatorKey, bidsByInterval: bidsByInterval)

        let yaml = """
            schemaVersion: 1
            name: ce-sdt-day
            description: "one CE-SDT community day replayed (gridledger study ce-sdt)"
            seed: 1
            machine: { profile: default, cores: 2 }
            regions:
              - name: community
                validators: 4
            network:
              intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
              client: { latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }
            workload:
              kind: auction
              auction: { participantsPerRegion: \(min(households, 1000)), prosumerShare: \(share), \
            intervalSeconds: \(secondsPerInterval) }
              durationSeconds: \(Double(bidsByInterval.count) * secondsPerInterval)
              warmupSeconds: 0
              timeoutSeconds: \(max(5, secondsPerInterval))
            faults: []
            """
        let topology = try Topology.parse(yaml: yaml, file: "ce-sdt-day.yaml")
        var simulationOptions = SimulationOptions(topology: topology, storeDirectory: storeDirectory)
        simulationOptions.auctionReplay = replay
        let report = try Simulation(options: simulationOptions).run()
        let result = try report.runResult(
            topology: topology, topologyFile: "ce-sdt-day.yaml", cpuMode: .model, wallClock: nil)
        let latency = result.latency(.localCommit)
        var figures = CommunityLedgerFigures(
            households: households, prosumerShare: share, intervals: bidsByInterval.count,
            virtualSecondsPerInterval: secondsPerInterval, validators: 4, offered: result.counts.offered,
            committed: result.counts.committed, failed: result.counts.failed, committedTps: result.committedTps,
            latencyP50Millis: latency?.p50, latencyP99Millis: latency?.p99, latencyMaxMillis: latency?.max,
            intervalsCleared: result.workload?.auction?.intervalsCleared ?? 0,
            peerToPeerKWh: result.workload?.auction?.peerToPeerKWh ?? 0,
            fromGridKWh: result.workload?.auction?.fromGridKWh ?? 0,
            harnessPeerToPeerKWh: Double(harness.peerToPeerWh) / 1000,
            harnessFromGridKWh: Double(harness.fromGridWh) / 1000, wallSeconds: Date().timeIntervalSince(started))
        figures.failedByReason = result.rejectReasons
        if result.counts.timedOut > 0 { figures.failedByReason["timed out", default: 0] += result.counts.timedOut }
        if result.counts.dropped > 0 { figures.failedByReason["dropped", default: 0] += result.counts.dropped }
        return figures
    }
}

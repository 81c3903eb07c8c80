import Foundation
import GridContracts
import GridLedger
import GridLoad
import GridModel
import GridSimulation
import GridTopology
import Testing

/// The grid contract workloads end to end on the shipped topologies, shortened so that debug builds stay quick.
@Suite struct ContractWorkloadTests {
    static let topologies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topologies", isDirectory: true)

    static func shipped(_ name: String) throws -> Topology {
        try Topology.load(contentsOf: topologies.appendingPathComponent("\(name).yaml"))
    }

    /// `voltage.yaml` with a 1 s reporting period and a 2 s control interval: dispatches at 2 and 4 s act before
    /// the measured window starts at 6 s.
    static func shortVoltage(seed: UInt64 = 1) throws -> Topology {
        var topology = try shipped("voltage")
        topology.seed = seed
        topology.workload.voltage?.reportingPeriodSeconds = 1
        topology.workload.voltage?.controlIntervalSeconds = 2
        topology.workload.warmupSeconds = 6
        topology.workload.durationSeconds = 3
        try topology.validate()
        return topology
    }

    static func result(_ topology: Topology) throws -> RunResult {
        try simulate(topology).runResult(topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
    }

    /// Every transaction of the run, warm-up included, in exactly one bucket; the honest workload commits all.
    static func expectEverythingCommitted(_ report: SimulationReport, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let total = report.recorder.totalCounts
        #expect(total.offered > 0, sourceLocation: sourceLocation)
        #expect(
            total.offered == total.committed + total.rejected + total.dropped + total.timedOut,
            sourceLocation: sourceLocation)
        #expect(total.committed == total.offered, "\(total)", sourceLocation: sourceLocation)
        #expect(
            report.recorder.rejectReasons.isEmpty, "\(report.recorder.rejectReasons)", sourceLocation: sourceLocation)
    }

    @Test func voltageControlRaisesTheWeakestBus() throws {
        let topology = try Self.shortVoltage()
        let report = try simulate(topology)
        Self.expectEverythingCommitted(report)
        let voltage = try #require(report.workload?.voltage)
        #expect(voltage.reportsSent == 32 * 9, "32 devices report every second for 9 s")
        #expect(voltage.dispatchesSent == 4 * 4 && voltage.dispatchesCommitted == voltage.dispatchesSent)
        #expect(voltage.weakestVoltagePU >= voltage.weakestVoltageBaselinePU)
        // The evening peak pulls the far end of the feeder below the band; control must do better than that.
        #expect(voltage.weakestVoltageBaselinePU < 0.95)
        #expect(voltage.weakestVoltagePU > voltage.weakestVoltageBaselinePU + 0.001, "\(voltage)")
        #expect(voltage.periodsBelowBand < voltage.periodsBelowBandBaseline)
        #expect(voltage.devicesWithSetpoint > 0 && voltage.reactiveSetpointKVAr > 0)
        #expect(report.workload?.auction == nil)
    }

    /// What the devices report is what the contract reads: each loaded bus's net load, positive when it consumes
    /// (after sunset no PV offsets it) and never above twice its nominal load. Before, the power-flow injection
    /// was reported, negative for a consuming bus, so the index saw every bus as a generator.
    @Test func devicesReportTheirBusesNetLoadAsConsumption() throws {
        var topology = try Self.shortVoltage()
        topology.workload.voltage?.devicesPerBus = 2
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 1
        try topology.validate()
        let loads = Dictionary(uniqueKeysWithValues: Feeder.ieee33().buses.map { ($0.number, $0.loadPKW) })
        try withTemporaryDirectory { directory in
            _ = try Simulation(options: SimulationOptions(topology: topology, storeDirectory: directory)).run()
            var checked = 0
            for region in topology.regions {
                let store = try ChainStore(directory: directory.appendingPathComponent("\(region.name)-v0"))
                defer { store.close() }
                let table = Dictionary(
                    uniqueKeysWithValues: try store.allState(contract: "voltage").map { ($0.key, $0.value) })
                for (number, loadKW) in loads where loadKW > 0 {
                    guard let bytes = table[VoltageStabilityContract.measurementKey(busNumber: UInt16(number))]
                    else { continue }
                    let measurement = try VoltageMeasurement(decoding: bytes)
                    let watts = Double(measurement.pWatts)
                    #expect(
                        watts > 0 && watts < 2 * loadKW * 1_000,
                        "bus \(number): reported \(measurement.pWatts) W for a \(loadKW) kW load")
                    checked += 1
                }
            }
            #expect(checked >= 20, "measurements found for \(checked) loaded buses")
        }
    }

    @Test func restartedValidatorRestoresTheContractTables() throws {
        var topology = try Self.shipped("mix")
        topology.workload.voltage?.reportingPeriodSeconds = 1
        topology.workload.voltage?.controlIntervalSeconds = 1
        topology.workload.auction?.intervalSeconds = 1
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 4
        // zoneC/v2 holds the first cleared interval and dispatched set-points when it crashes; after the restart
        // it executes clearings (balances) and dispatches (set-points) on the state it restored from its store.
        let node = NodeReference(region: "zoneC", validator: .index(2))
        topology.faults = [
            Topology.Fault(atSeconds: 2.5, kind: .crash(node: node)),
            Topology.Fault(atSeconds: 3.5, kind: .restart(node: node)),
        ]
        try topology.validate()
        try withTemporaryDirectory { directory in
            let simulation = try Simulation(options: SimulationOptions(topology: topology, storeDirectory: directory))
            let report = try simulation.run()
            try checkStores(in: directory, report: report, byzantine: [])
            // Every validator of the region must end with the same contract state, the restarted one included.
            for contract in ["voltage", "auction"] {
                var tables: [String: [[UInt8]: [UInt8]]] = [:]
                for label in (0..<4).map({ "zoneC/v\($0)" }) {
                    let store = try ChainStore(
                        directory: directory.appendingPathComponent(label.replacingOccurrences(of: "/", with: "-")))
                    defer { store.close() }
                    tables[label] = Dictionary(
                        uniqueKeysWithValues: try store.allState(contract: contract).map { ($0.key, $0.value) })
                }
                let reference = tables["zoneC/v0"] ?? [:]
                #expect(!reference.isEmpty)
                for label in tables.keys.sorted() {
                    let table = tables[label] ?? [:]
                    let differing = Set(table.keys).union(reference.keys).filter { table[$0] != reference[$0] }
                    #expect(differing.isEmpty, "\(label): \(differing.count) entries of \(contract) differ from v0")
                }
            }
        }
    }

    @Test func withoutControlTheVoltagesAreTheBaseline() throws {
        var topology = try Self.shortVoltage()
        topology.workload.voltage?.control = false
        let report = try simulate(topology)
        Self.expectEverythingCommitted(report)
        let voltage = try #require(report.workload?.voltage)
        #expect(voltage.dispatchesSent == 0 && voltage.devicesWithSetpoint == 0)
        #expect(voltage.weakestVoltagePU == voltage.weakestVoltageBaselinePU)
    }

    @Test func voltageRunIsDeterministic() throws {
        func json(seed: UInt64) throws -> Data {
            var topology = try Self.shortVoltage(seed: seed)
            topology.workload.warmupSeconds = 3
            topology.workload.durationSeconds = 1
            return try Self.result(topology).jsonData(includeWallClock: false)
        }
        let first = try json(seed: 5)
        #expect(first == (try json(seed: 5)))
        #expect(String(decoding: first, as: UTF8.self).contains("\"weakestVoltageBaselinePU\""))
        #expect(first != (try json(seed: 6)))
    }

    @Test func auctionTradesPeerToPeerAndConservesMoney() throws {
        var topology = try Self.shipped("auction")
        topology.workload.auction?.intervalSeconds = 2
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 4
        try topology.validate()
        let report = try simulate(topology)
        let result = try report.runResult(
            topology: topology, topologyFile: "auction.yaml", cpuMode: .model, wallClock: nil)
        Self.expectEverythingCommitted(report)
        let auction = try #require(result.workload?.auction)
        #expect(auction.intervalsCleared == 3)
        #expect(auction.peerToPeerKWh > 0, "noon prosumers sell to their neighbours")
        #expect(auction.balanceResidualMicros == 0, "money moves between participants, apart from grid flows")
        let consumers = try #require(auction.classes.first { $0.participantClass == "consumer" })
        let prosumers = try #require(auction.classes.first { $0.participantClass == "prosumer" })
        #expect(consumers.participants == 30 && prosumers.participants == 20)
        // Trading locally beats the grid's tariffs for both sides.
        #expect(consumers.averageCost <= consumers.averageCostGridOnly)
        #expect(prosumers.averageCost <= prosumers.averageCostGridOnly)
        #expect(result.workload?.voltage == nil)
        #expect(RunReport.terminalSummary(result).contains("peer to peer (kWh)"))
        #expect(RunReport.markdown(result).contains("## Workload outcome"))
    }

    @Test func mixRunsAllThreeKindsTogether() throws {
        var topology = try Self.shipped("mix")
        topology.workload.voltage?.reportingPeriodSeconds = 1
        topology.workload.voltage?.controlIntervalSeconds = 2
        topology.workload.auction?.intervalSeconds = 2
        topology.workload.warmupSeconds = 2
        topology.workload.durationSeconds = 2
        try topology.validate()
        let report = try simulate(topology)
        Self.expectEverythingCommitted(report)
        let voltage = try #require(report.workload?.voltage)
        let auction = try #require(report.workload?.auction)
        #expect(auction.intervalsCleared == 2 * 3)
        #expect(auction.balanceResidualMicros == 0)
        // Transfers are the other half of the offered load.
        let contractTransactions = voltage.reportsSent + voltage.dispatchesSent + auction.bidsSent + 2 * 2 * 3
        let total = report.recorder.totalCounts.offered
        let transferShare = Double(total - contractTransactions) / Double(total)
        #expect(abs(transferShare - 0.5) < 0.1, "transfer share \(transferShare)")
    }

    @Test func transferRunsHaveNoWorkloadSection() throws {
        let topology = try testTopology(tps: 200, durationSeconds: 0.5)
        let result = try Self.result(topology)
        #expect(result.workload == nil)
        #expect(!String(decoding: try result.jsonData(includeWallClock: false), as: UTF8.self).contains("workload\""))
    }
}

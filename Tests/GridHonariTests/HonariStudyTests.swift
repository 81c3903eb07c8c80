import Foundation
import GridLoad
import GridTopology
import Testing

@testable import GridHonari

/// The Honari study end to end at two tiny rates: both layouts run on the simulator, on the 30-bus power flow.
struct HonariStudyTests {
    private func options() -> HonariStudyOptions {
        let stores = FileManager.default.temporaryDirectory.appendingPathComponent(
            "honari-study-tests-\(UUID().uuidString)")
        var options = HonariStudyOptions(storeDirectory: stores)
        options.ratesTps = [20, 40]
        options.saturationShare = 0
        options.measuredSeconds = 2
        options.warmupSeconds = 1
        options.stress = HonariStressExperiment(
            loadScale: HonariStressExperiment.standard.loadScale, rateTps: 20, measuredSeconds: 2, warmupSeconds: 1)
        return options
    }

    /// Runs side by side are the same runs in the same order: each simulation is deterministic and independent of
    /// the others, so `concurrentRuns` changes only the wall time.
    @Test func runsSideBySideGiveTheSameResultsAsOneAtATime() throws {
        var options = options()
        options.ratesTps = [20]
        options.stress = nil
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        func fingerprint(_ result: HonariStudyResult) throws -> Data {
            var runs = result.runs
            for index in runs.indices { runs[index].wallSeconds = 0 }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return try encoder.encode(runs)
        }
        options.concurrentRuns = 1
        let oneAtATime = try HonariStudy.run(options)
        options.concurrentRuns = 2
        let sideBySide = try HonariStudy.run(options)
        #expect(sideBySide.runs.map(\.shards) == [1, 3])
        #expect(try fingerprint(sideBySide) == fingerprint(oneAtATime))
    }

    @Test func tinyStudyRunsBothLayoutsOnThe30BusFlow() throws {
        let options = options()
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        var lines: [String] = []
        let result = try HonariStudy.run(options) { lines.append($0) }
        #expect(result.rates == [20, 40])
        #expect(result.runs.count == 4 && lines.count >= 4)
        #expect(result.loadedBuses == 18)
        for rate in [20.0, 40.0] {
            let unsharded = try #require(result.run(rateTps: rate, shards: 1))
            let sharded = try #require(result.run(rateTps: rate, shards: 3))
            for run in [unsharded, sharded] {
                #expect(run.result.counts.committed > 0, "rate \(rate), \(run.shards) region(s)")
                #expect(run.committedTps > 0)
                let voltage = try #require(run.voltage)
                #expect(voltage.network == "ieee30")
                #expect(voltage.periods > 0)
                // Voltages come from the Newton-Raphson flow of case30: generator buses hold 1.0 p.u., the far load
                // buses sag a few per cent.
                #expect(voltage.highestVoltagePU.map { $0 >= 1 - 1e-9 && $0 <= 1.1 } == true)
                #expect(voltage.weakestVoltagePU > 0.9 && voltage.weakestVoltagePU < 0.995)
                let index = try #require(voltage.lowestStabilityIndex)
                #expect(index > 0 && index < 1)
                #expect(voltage.periodsOutsideLimits != nil)
                // Devices on every loaded bus report, plus one dispatch per region and second.
                #expect(voltage.reportsSent > 0 && voltage.dispatchesCommitted > 0)
            }
            #expect(unsharded.result.regions.count == 1 && unsharded.result.global == nil)
            // The three groups and the main chain that runs the registry.
            #expect(sharded.result.regions.count == 4 && sharded.result.global != nil)
            #expect(sharded.result.regions.map(\.name) == ["group1", "group2", "group3", "main"])
            #expect(sharded.voltage?.registry?.region == "main" && unsharded.voltage?.registry == nil)
        }
        let table = result.table()
        #expect(table.contains("paper unsharded") && table.contains("≈ 20 tx/s"))
        let markdown = result.markdown(wallSeconds: 1)
        #expect(markdown.contains("| 20 |") && markdown.contains("Batch timeout"))
        #expect(result.html(wallSeconds: 1).contains("<table>"))
        let decoded = try JSONDecoder().decode(HonariStudyResult.self, from: try result.json())
        #expect(decoded.runs.count == 4)
        // The stress experiment runs both layouts at its own scale, and the report lists them in the global step.
        #expect(result.stressRuns.map(\.shards) == [1, 3])
        #expect(result.stressRuns.allSatisfy { $0.loadScale == HonariStressExperiment.standard.loadScale })
        #expect(decoded.stressRuns.count == 2)
        #expect(markdown.contains("## Global step") && markdown.contains("| stress |"))
        #expect(result.globalStepRows.count == 2 + 2)
        // Per group: the sweep's runs at the first rate (the stress rate is not in the sweep) and the stress runs,
        // one row per region.
        #expect(result.groupRows.count == (1 + 3) * 2)
        #expect(result.html(wallSeconds: 1).contains("Cross-region messages and the registry"))
    }

    @Test func everyGeneratedTopologyParses() throws {
        var options = options()
        options.fixedTotalCores = 8
        for rate in [20.0, 1200, 100_000] {
            for shards in [1, 3] {
                let yaml = HonariStudy.topologyYAML(rateTps: rate, shards: shards, options: options)
                let topology = try Topology.parse(yaml: yaml, file: "generated.yaml")
                let voltage = topology.workload.voltageSettings
                #expect(voltage.feeder == .ieee30)
                #expect(voltage.zoning == (shards == 1 ? .honariUnsharded : .honari))
                // Sharded, the main chain is a region of its own after the groups.
                #expect(topology.regions.count == (shards == 3 ? 4 : 1) && (topology.global != nil) == (shards == 3))
                #expect(voltage.registryRegion == (shards == 3 ? "main" : nil))
                // The bus reports add up to the send rate (within the device-count rounding).
                let reportsTps = Double(voltage.devicesPerBus * 18) / voltage.reportingPeriodSeconds
                #expect(abs(reportsTps - rate) / rate < 0.02, "rate \(rate): \(reportsTps)")
            }
        }
    }

    @Test func badOptionsAreRefused() {
        var options = options()
        options.ratesTps = [0]
        #expect(throws: HonariStudyError.self) { try HonariStudy.run(options) }
        options.ratesTps = [50]
        options.shardCounts = [2]
        #expect(throws: HonariStudyError.self) { try HonariStudy.run(options) }
    }
}

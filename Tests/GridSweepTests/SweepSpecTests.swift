import Foundation
import GridLoad
import GridSweep
import GridTopology
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let sweepsDirectory = repositoryRoot.appendingPathComponent("sweeps")

/// A spec written in the shipped `sweeps/` folder's place, so `../topologies/...` finds the shipped topologies.
func parse(_ yaml: String) throws(SweepSpecErrors) -> SweepSpec {
    try SweepSpecReader.parse(yaml: yaml, file: "spec.yaml", directory: sweepsDirectory)
}

func plan(_ yaml: String) throws -> SweepPlan {
    try SweepPlan.make(try parse(yaml))
}

/// The errors a spec gives, as text; empty when it is valid.
func errors(_ yaml: String) -> [String] {
    do {
        _ = try plan(yaml)
        return []
    } catch let errors as SweepSpecErrors {
        return errors.errors.map(\.description)
    } catch {
        return ["\(error)"]
    }
}

let header = """
    schemaVersion: 1
    topologies: [../topologies/default.yaml]

    """

@Suite struct SweepSpecTests {
    @Test func shippedTinySpecExpandsToTwoCheckedCells() throws {
        let spec = try SweepSpecReader.load(contentsOf: sweepsDirectory.appendingPathComponent("tiny.yaml"))
        let plan = try SweepPlan.make(spec)
        #expect(plan.cells.map(\.name) == ["validatorsPerRegion1", "validatorsPerRegion4"])
        let cell = plan.cells[1]
        #expect(cell.topology.name == "validatorsPerRegion4")
        #expect(cell.topology.regions.map(\.validators) == [4])
        #expect(cell.topology.seed == 7)
        #expect(cell.topology.workload.durationSeconds == 1)
        #expect(cell.topology.workload.warmupSeconds == 0.5)
        #expect(cell.topology.workload.rate == .fixed(tps: 100))
        #expect(cell.topology.machine.durability == .noSync)
        #expect(cell.parameters == [PlannedCell.Parameter(name: "validatorsPerRegion", value: "4")])
        #expect(
            cell.arguments == [
                "run", "cells/validatorsPerRegion4/topology.yaml", "--out", "cells/validatorsPerRegion4", "--quiet",
            ])
        // The written file is a topology on its own, and says how to run it again.
        let reparsed = try Topology.parse(yaml: cell.topologyYAML, file: "t.yaml")
        #expect(reparsed == cell.topology)
        #expect(cell.topologyYAML.contains("# Run again from the sweep's output folder: gridledger run"))
    }

    @Test func briefExampleSpecIsValidAndOffersTheInverterLoad() throws {
        let spec = try SweepSpecReader.load(contentsOf: sweepsDirectory.appendingPathComponent("brief-example.yaml"))
        let plan = try SweepPlan.make(spec)
        #expect(
            plan.cells.map(\.name) == [
                "r1_validatorsPerRegion4", "r1_validatorsPerRegion7", "r2_validatorsPerRegion4",
                "r2_validatorsPerRegion7",
            ])
        #expect(plan.cells.map(\.topology.regions.count) == [1, 1, 2, 2])
        #expect(plan.cells.map(\.topology.validatorCount) == [4, 7, 8, 14])
        for cell in plan.cells {
            let workload = cell.topology.workload
            let regions = Double(cell.topology.regions.count)
            // The simulator's rates: 33 inverters per region every 2 s plus a dispatch every 5 s; one bid per
            // household and 30 s interval plus close and clear; transfers in proportion (Topology.WorkloadMix).
            let voltage = regions * 33 / 2 + regions / 5
            let auction = (regions * Double(workload.auctionSettings.participantsPerRegion) + 2 * regions) / 30
            let mix = workload.mixSettings
            let transfers = (voltage + auction) * mix.transfer / (mix.voltage + mix.auction)
            // Inverter reports (real ones and the transfers standing in for the rest) are 10,000 per second.
            #expect(abs(transfers + regions * 33 / 2 - 10_000) < 1)
            #expect(workload.runSeconds >= workload.auctionSettings.intervalSeconds)
        }
    }

    @Test func matrixExpandsInOrderWithTheLastAxisFastest() throws {
        let plan = try plan(
            header + """
                matrix:
                  regions: [1, 3]
                  blockIntervalMillis: [10, 20.5]
                  consensus.viewTimeoutMillis: [400]
                """)
        #expect(
            plan.cells.map(\.name) == [
                "regions1_blockIntervalMillis10_viewTimeoutMillis400",
                "regions1_blockIntervalMillis20.5_viewTimeoutMillis400",
                "regions3_blockIntervalMillis10_viewTimeoutMillis400",
                "regions3_blockIntervalMillis20.5_viewTimeoutMillis400",
            ])
        let last = plan.cells[3].topology
        // Regions a count adds copy the base's last region, under fresh names.
        #expect(last.regions.map(\.name) == ["r0", "r1", "r2"])
        #expect(last.regions.map(\.validators) == [4, 4, 4])
        #expect(last.consensus.blockIntervalMillis == 20.5)
        #expect(last.consensus.viewTimeoutMillis == 400)
    }

    @Test func bundlesSetSeveralParametersAndNameCellsByLabel() throws {
        let plan = try plan(
            header + """
                matrix:
                  size:
                    - { label: small, regions: 1, validatorsPerRegion: 4 }
                    - { regions: 2, validatorsPerRegion: 7, cores: 4 }
                  tps: [500]
                """)
        #expect(plan.cells.map(\.name) == ["small_tps500", "size2_tps500"])
        let second = plan.cells[1].topology
        #expect(second.regions.map(\.validators) == [7, 7])
        #expect(second.machine.cores == 4)
        #expect(second.workload.rate == .fixed(tps: 500))
        #expect(
            plan.cells[1].parameters.map(\.name) == ["size", "regions", "validatorsPerRegion", "cores", "tps"])
    }

    @Test func severalTopologiesComeFirstInCellNames() throws {
        let plan = try plan(
            """
            schemaVersion: 1
            topologies: [../topologies/default.yaml, ../topologies/region-7.yaml]
            matrix:
              tps: [100, 200]
            """)
        #expect(
            plan.cells.map(\.name) == ["default_tps100", "default_tps200", "region-7_tps100", "region-7_tps200"])
        #expect(
            plan.cells[2].parameters.first
                == PlannedCell.Parameter(name: "topology", value: "../topologies/region-7.yaml"))
    }

    @Test func longNamesAreCutAndStayUnique() throws {
        let names = try SweepPlan.make(
            parse(
                header + """
                    matrix:
                      description: ["\(String(repeating: "a", count: 70))1", "\(String(repeating: "a", count: 70))2"]
                    """)
        ).cells.map(\.name)
        #expect(names.count == 2)
        #expect(Set(names).count == 2)
        #expect(names.allSatisfy { $0.count <= 64 && TopologyLimits.isValidTopologyName($0) })
    }

    @Test func capacityCellsRunTheCapacityCommand() throws {
        let plan = try plan(
            header + """
                mode: capacity
                slo: "p99<=250ms"
                seed: 3
                durationSeconds: 4
                runtime: sim
                matrix:
                  validatorsPerRegion: [4]
                """)
        #expect(
            plan.cells[0].arguments == [
                "capacity", "cells/validatorsPerRegion4/topology.yaml", "--slo", "p99<=250ms", "--out",
                "cells/validatorsPerRegion4", "--seed", "3", "--duration", "4",
            ])
    }

    @Test func serviceLevelObjectives() throws {
        let second = try #require(ServiceLevelObjective("p99<=1s"))
        #expect(second.percentile == .p99 && second.targetMillis == 1000)
        let tight = try #require(ServiceLevelObjective(" p99.9 <= 250ms "))
        #expect(tight.percentile == .p999 && tight.targetMillis == 250)
        for bad in ["p98<=1s", "p99<1s", "p99<=1", "p99<=-1s", "p99<=nan s", "", "p99<=1s<=2s"] {
            #expect(ServiceLevelObjective(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct SweepSpecErrorTests {
    /// The one error a spec gives, which must mention every fragment.
    func expectError(_ yaml: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let found = errors(yaml)
        #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(
                found.first?.contains(fragment) == true, "\(found) lacks \(fragment)", sourceLocation: sourceLocation)
        }
    }

    @Test func unknownKeysAreRefusedWithASuggestion() {
        expectError(
            header + "matirx:\n  tps: [1]\n", ["spec.yaml:3:1: matirx: unknown key \"matirx\"; did you mean matrix?"])
    }

    @Test func unknownParametersAreRefusedWithASuggestion() {
        expectError(
            header + "matrix:\n  validatorPerRegion: [4]\n",
            ["spec.yaml:4:3: matrix.validatorPerRegion: unknown parameter", "did you mean validatorsPerRegion?"])
        expectError(
            header + "set:\n  consensu.blockIntervalMillis: 5\n",
            ["set.consensu.blockIntervalMillis", "did you mean consensus.blockIntervalMillis?"])
        expectError(header + "set:\n  name: x\n", ["set.name: name is set by the sweep"])
    }

    @Test func wrongShapesNameTheValue() {
        expectError(
            header + "matrix:\n  regions: [1, two]\n",
            ["spec.yaml:4:16: matrix.regions[1]: expected an integer", "got \"two\""])
        expectError(header + "matrix:\n  tps: 100\n", ["matrix.tps: expected a non-empty list of values, got \"100\""])
        expectError(header + "mode: fast\n", ["mode: expected run (fixed rate) or capacity"])
        expectError(header + "slo: \"p99 under 1s\"\n", ["slo: expected an objective such as"])
        expectError(header + "mode: capacity\n", ["slo: missing required key"])
        expectError("topologies: [../topologies/default.yaml]\n", ["schemaVersion: missing required key"])
    }

    @Test func aCellThatMakesAnInvalidTopologyNamesTheSpecValue() {
        expectError(
            header + "matrix:\n  validatorsPerRegion: [4, 5]\n",
            [
                "spec.yaml:4:28: matrix.validatorsPerRegion[1]: cell validatorsPerRegion5: 5 gives an invalid topology:",
                "cells/validatorsPerRegion5/topology.yaml:", "regions[0].validators",
            ])
        expectError(
            header + "set:\n  consensus.blockIntervalMilis: 5\n",
            ["set.consensus.blockIntervalMilis", "did you mean blockIntervalMillis?"])
        expectError(
            header + "matrix:\n  regions[3].validators: [4]\n",
            ["matrix.regions[3].validators[0]", "the base topology's regions has 1 entries"])
    }

    @Test func oneFieldSetTwiceIsRefused() {
        expectError(
            header + "seed: 1\nmatrix:\n  seed: [1, 2]\n", ["matrix.seed[0]: sets seed, which seed (line 3) sets too"])
    }

    @Test func theCellCountIsBounded() {
        let values = "[" + (1...65).map(String.init).joined(separator: ", ") + "]"
        expectError(
            header + "matrix:\n  seed: \(values)\n  tps: \(values)\n",
            ["matrix: the matrix has 4225 cells; a sweep runs at most 4096"])
    }

    @Test func aBrokenBaseTopologyIsNamed() {
        expectError(
            "schemaVersion: 1\ntopologies: [nowhere.yaml]\n",
            ["spec.yaml:2:14: topologies[0]: the base topology is invalid:", "nowhere.yaml"])
    }

    @Test func hostileInputGivesErrorsNotCrashes() {
        // Six levels of ten aliases stand for 10^6 values; reading stops at the spec's bound.
        var levels = ["&l0 [" + Array(repeating: "1", count: 10).joined(separator: ", ") + "]"]
        for level in 1..<6 {
            levels.append("&l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        let found = errors(header + "matrix:\n  seed: [" + levels.joined(separator: ", ") + "]\n")
        #expect(found.contains { $0.contains("matrix.seed[") && $0.contains("more than 100000 values") }, "\(found)")
        let deep = String(repeating: "[", count: 900) + String(repeating: "]", count: 900)
        #expect(!errors(header + "matrix:\n  seed: \(deep)\n").isEmpty)
        #expect(!errors("\u{0}\u{1}: [").isEmpty)
        #expect(!errors("").isEmpty)
        #expect(!errors("- a\n- b\n").isEmpty)
    }
}

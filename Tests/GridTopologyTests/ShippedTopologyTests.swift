import Foundation
import Testing

@testable import GridTopology

struct ShippedTopologyTests {
    static let shippedFiles: [String] = Topology.shippedNames(in: shippedDirectory)

    @Test func theLadderIsShipped() {
        for name in ["default", "region-7", "leader-crash"] {
            #expect(Self.shippedFiles.contains(name))
        }
    }

    @Test(arguments: shippedFiles)
    func shippedTopologyParses(name: String) throws {
        let url = shippedDirectory.appendingPathComponent("\(name).yaml")
        let topology = try Topology.load(contentsOf: url)
        #expect(topology.name == name)
        #expect(!topology.description.isEmpty)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix("#"), "a shipped topology starts with comments saying what it models")
    }

    @Test func embeddedDefaultIsTheShippedFile() throws {
        let file = try String(contentsOf: shippedDirectory.appendingPathComponent("default.yaml"), encoding: .utf8)
        #expect(Topology.defaultYAML == file)
    }

    @Test func defaultTopology() throws {
        let topology = try Topology.parse(yaml: Topology.defaultYAML, file: Topology.builtInDefaultFile)
        #expect(topology.name == Topology.defaultName)
        #expect(topology.regions == [Topology.Region(name: "r0", validators: 4)])
        #expect(topology.regions[0].faultsTolerated == 1)
        #expect(topology.regions[0].quorum == 3)
        #expect(topology.workload.rate == .fixed(tps: 10000))
        #expect(topology.workload.durationSeconds == 10)
        #expect(topology.workload.warmupSeconds == 2)
        #expect(topology.workload.runSeconds == 12)
        #expect(topology.faults.isEmpty)
        #expect(topology.summary == "default: regions 1, validators 4")
    }

    @Test func regionOfSeven() throws {
        let topology = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("region-7.yaml"))
        #expect(topology.regions.map(\.validators) == [7])
        #expect(topology.regions[0].faultsTolerated == 2)
    }

    @Test func leaderCrashAndRestart() throws {
        let topology = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("leader-crash.yaml"))
        let leader = try #require(NodeReference("r0/leader"))
        #expect(
            topology.faults == [
                Topology.Fault(atSeconds: 4, kind: .crash(node: leader)),
                Topology.Fault(atSeconds: 8, kind: .restart(node: leader)),
            ])
    }

    @Test func locatesBareNamesPathsAndTheBuiltInDefault() throws {
        #expect(
            try Topology.locate("region-7", currentDirectory: repositoryRoot)
                == .file(
                    URL(fileURLWithPath: "topologies/region-7.yaml", relativeTo: repositoryRoot)))
        #expect(
            try Topology.locate(nil, currentDirectory: repositoryRoot)
                == .file(
                    URL(fileURLWithPath: "topologies/default.yaml", relativeTo: repositoryRoot)))
        let elsewhere = URL(fileURLWithPath: "/", isDirectory: true)
        #expect(try Topology.locate(nil, currentDirectory: elsewhere) == .builtInDefault)
        #expect(try Topology.locate("default", currentDirectory: elsewhere) == .builtInDefault)
        #expect(
            try Topology.locate("x/y.yaml", currentDirectory: elsewhere)
                == .file(
                    URL(fileURLWithPath: "x/y.yaml", relativeTo: elsewhere)))
        #expect(try Topology.load(argument: nil, currentDirectory: elsewhere).name == "default")

        #expect {
            try Topology.locate("regoin-7", currentDirectory: repositoryRoot)
        } throws: { error in
            (error as? TopologyErrors)?.errors.first?.message.contains("did you mean region-7?") == true
        }
    }
}

struct DefaultsTests {
    @Test func everyOmittedFieldTakesItsDefault() throws {
        let topology = try Topology.parse(yaml: minimalYAML, file: "topologies/small-one.yaml")
        #expect(topology.name == "small-one", "the name defaults to the file stem")
        #expect(topology.description == "")
        #expect(topology.seed == 1)
        #expect(topology.machine == Topology.Machine(profile: .shipped("default"), cores: 2))
        #expect(topology.regions == [Topology.Region(name: "r0", validators: 4, machine: topology.machine)])
        #expect(topology.network == Topology.Network())
        #expect(topology.network.intraRegion == Topology.Link(latencyMillis: 0.25, jitterMillis: 0.05))
        #expect(topology.network.client == Topology.Link(latencyMillis: 0.5, jitterMillis: 0.1))
        #expect(topology.network.interRegion == Topology.Link(latencyMillis: 30, jitterMillis: 2))
        #expect(topology.consensus == Topology.Consensus())
        #expect(topology.consensus.blockTransactionsMax == 2000)
        #expect(topology.consensus.blockBytesMax == 2_097_152)
        #expect(topology.consensus.viewTimeoutBackoff == 2.0)
        #expect(topology.mempool == Topology.Mempool())
        #expect(topology.mempool.capacityTransactions == 200_000)
        #expect(topology.workload.kind == .transfer)
        #expect(topology.workload.accounts == 10_000)
        #expect(topology.workload.timeoutSeconds == 5)
        #expect(topology.faults.isEmpty)
    }

    @Test func overridesMergeOverDefaults() throws {
        let yaml = """
            schemaVersion: 1
            machine: { profile: profiles/fast.json, cores: 8 }
            regions:
              - { name: r0, validators: 4 }
              - { name: r1, validators: 7, machine: { cores: 16 } }
            network:
              interRegion: { latencyMillis: 40 }
              pairs:
                - { between: [r0, r1], jitterMillis: 1 }
            workload:
              kind: voltage
              rate: { controller: step, steps: [{ atSeconds: 0, tps: 100 }, { atSeconds: 5, tps: 200_000 }] }
            faults:
              - { atSeconds: 1, kind: loss, durationSeconds: 2, rate: 0.5 }
              - { atSeconds: 2, kind: partition, durationSeconds: 1, groups: [[r0/leader]] }
            """
        let topology = try Topology.parse(yaml: yaml, file: "inline.yaml")
        #expect(topology.machine == Topology.Machine(profile: .file("profiles/fast.json"), cores: 8))
        #expect(topology.regions[1].machine == Topology.Machine(profile: .file("profiles/fast.json"), cores: 16))
        let inter = Topology.Link(latencyMillis: 40, jitterMillis: 2)
        #expect(topology.network.interRegion == inter)
        #expect(topology.network.link(between: "r1", and: "r0") == Topology.Link(latencyMillis: 40, jitterMillis: 1))
        #expect(topology.network.link(between: "r0", and: "r0") == topology.network.intraRegion)
        #expect(topology.workload.kind == .voltage)
        #expect(
            topology.workload.rate
                == .step(steps: [.init(atSeconds: 0, tps: 100), .init(atSeconds: 5, tps: 200_000)]))
        #expect(topology.faults[0].kind == .loss(durationSeconds: 2, rate: 0.5, nodes: nil))
        #expect(topology.validatorCount == 11)
    }

    @Test func nullMeansDefaultAndJSONIsYAML() throws {
        let json = """
            {"schemaVersion": 1, "seed": null, "faults": null,
             "regions": [{"name": "r0", "validators": 4}], "name": "from-json",
             "workload": {"rate": {"controller": "closedLoop", "outstanding": 64}}}
            """
        let topology = try Topology.parse(yaml: json, file: "json.yaml")
        #expect(topology.seed == 1)
        #expect(topology.name == "from-json")
        #expect(topology.workload.rate == .closedLoop(outstanding: 64))
        let largestSeed = try Topology.parse(yaml: minimalYAML + "seed: 18446744073709551615\n", file: "seed.yaml")
        #expect(largestSeed.seed == UInt64.max)
    }

    @Test func encodesToJSONAndBack() throws {
        let topology = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("leader-crash.yaml"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(topology)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"r0/leader\""))
        #expect(text.contains("\"profile\":\"default\""))
        #expect(!text.contains("sourceMap"))
        #expect(try JSONDecoder().decode(Topology.self, from: data) == topology)
    }

    @Test func validateAcceptsTopologiesBuiltInCode() throws {
        var topology = Topology(
            regions: [Topology.Region(name: "r0", validators: 4)],
            workload: Topology.Workload(rate: .poisson(tps: 500)))
        try topology.validate()
        topology.regions[0].validators = 6
        #expect(throws: TopologyErrors.self) { try topology.validate() }
    }
}

import Foundation
import Testing

@testable import GridTopology

/// `machine.durability`: parsed at every level that has a machine, inherited field by field, errors with a place.
struct MachineDurabilityTests {
    static let twoRegionsYAML = """
        schemaVersion: 1
        regions:
          - { name: r0, validators: 4 }
          - { name: r1, validators: 4, machine: { durability: sync } }
        workload: { rate: { controller: fixed, tps: 1000 } }

        """

    @Test func defaultsToSync() throws {
        let topology = try Topology.parse(yaml: minimalYAML, file: "minimal.yaml")
        #expect(topology.machine.durability == .sync)
        #expect(topology.regions[0].machine.durability == .sync)
        #expect(Topology.Machine().durability == .sync)
    }

    @Test func regionsAndTheCommitteeInheritAndOverride() throws {
        let yaml =
            Self.twoRegionsYAML + "machine: { durability: nosync, cores: 4 }\n"
            + "global: { validators: 1, machine: { cores: 8 } }\n"
        let topology = try Topology.parse(yaml: yaml, file: "durability.yaml")
        #expect(topology.machine == Topology.Machine(cores: 4, durability: .noSync))
        #expect(topology.regions[0].machine.durability == .noSync)
        // A region's override replaces only the field it names.
        #expect(topology.regions[1].machine == Topology.Machine(cores: 4, durability: .sync))
        #expect(topology.global?.machine == Topology.Machine(cores: 8, durability: .noSync))

        let committeeOnly = try Topology.parse(
            yaml: Self.twoRegionsYAML + "global: { validators: 1, machine: { durability: nosync } }\n",
            file: "committee.yaml")
        #expect(committeeOnly.global?.machine.durability == .noSync)
        #expect(committeeOnly.regions[0].machine.durability == .sync)
    }

    @Test func aBadValueNamesItsPlaceAndTheAllowedValues() {
        let topLevel = expectError(
            in: minimalYAML + "machine: { durability: fsync }\n", field: "machine.durability", line: 9, column: 24)
        #expect(
            topLevel?.description
                == #"bad.yaml:9:24: machine.durability: expected one of sync, nosync, got "fsync" (did you mean sync?)"#
        )
        expectError(
            in: minimalYAML.replacingOccurrences(
                of: "validators: 4", with: "validators: 4\n    machine:\n      durability: noSync"),
            field: "regions[0].machine.durability", line: 6, column: 19,
            message: "expected one of sync, nosync, got \"noSync\"")
        expectError(
            in: minimalYAML + "global:\n  validators: 1\n  machine: { durability: true }\n",
            field: "global.machine.durability", line: 11, message: "expected one of sync, nosync")
        expectError(
            in: minimalYAML + "machine: { durability: [sync] }\n", field: "machine.durability", line: 9,
            message: "got a list")
    }

    @Test func aMisspelledKeySuggestsDurability() {
        expectError(
            in: minimalYAML + "machine: { durabilty: sync }\n", field: "machine.durabilty", line: 9,
            message: "did you mean durability?")
    }

    @Test func encodesToJSONAndOlderJSONMeansSync() throws {
        let machine = Topology.Machine(profile: .shipped("default"), cores: 3, durability: .noSync)
        let data = try JSONEncoder().encode(machine)
        #expect(String(decoding: data, as: UTF8.self).contains(#""durability":"nosync""#))
        #expect(try JSONDecoder().decode(Topology.Machine.self, from: data) == machine)
        // Results written before the field existed ran durable stores.
        let older = Data(#"{"profile": "default", "cores": 2}"#.utf8)
        #expect(try JSONDecoder().decode(Topology.Machine.self, from: older) == Topology.Machine())
        let wrong = Data(#"{"profile": "default", "cores": 2, "durability": "fsync"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Topology.Machine.self, from: wrong) }
    }
}

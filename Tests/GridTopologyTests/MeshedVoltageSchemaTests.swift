import Foundation
import Testing

@testable import GridTopology

/// `workload.voltage.feeder: ieee30` and `zoning: honari`: the meshed IEEE 30-bus case and Honari et al.'s groups.
struct MeshedVoltageSchemaTests {
    private func yaml(regions: Int, _ voltage: String) -> String {
        var text = "schemaVersion: 1\nregions:\n"
        for index in 0..<regions { text += "  - name: r\(index)\n    validators: 4\n" }
        return text + "workload:\n  kind: voltage\n  voltage: \(voltage)\n"
    }

    @Test func networkFieldsRoundTrip() throws {
        let topology = try Topology.parse(
            yaml: yaml(regions: 3, "{ feeder: ieee30, zoning: honari, devicesPerBus: 3 }"), file: "h.yaml")
        let voltage = topology.workload.voltageSettings
        #expect(voltage.feeder == .ieee30 && voltage.zoning == .honari && voltage.devicesPerBus == 3)
        let decoded = try JSONDecoder().decode(Topology.self, from: try JSONEncoder().encode(topology))
        #expect(decoded == topology)
        #expect(decoded.workload.voltageSettings.feeder == .ieee30)
        #expect(decoded.workload.voltageSettings.zoning == .honari)
    }

    @Test func theUnshardedHonariZoningIsOneZone() throws {
        let topology = try Topology.parse(
            yaml: yaml(regions: 1, "{ feeder: ieee30, zoning: honariUnsharded }"), file: "u.yaml")
        let voltage = topology.workload.voltageSettings
        #expect(voltage.zoning == .honariUnsharded)
        #expect(voltage.zoning(regionCount: 1).zoneCount == 1)
    }

    @Test func automaticZoningFollowsTheNetwork() throws {
        let three = try Topology.parse(yaml: yaml(regions: 3, "{ feeder: ieee30 }"), file: "a.yaml")
        #expect(three.workload.voltageSettings.zoning(regionCount: 3) == .honari)
        let one = try Topology.parse(yaml: yaml(regions: 1, "{ feeder: ieee30 }"), file: "b.yaml")
        #expect(one.workload.voltageSettings.zoning(regionCount: 1) == .single)
        // Four regions of the 30-bus case: not a multiple of Honari's 3 groups, so one copy per region.
        #expect(one.workload.voltageSettings.zoning(regionCount: 4) == .single)
    }

    @Test func badValuesNameTheField() {
        expectError(
            in: yaml(regions: 3, "{ feeder: ieee31 }"), field: "workload.voltage.feeder", line: 11,
            message: "one of ieee33, ieee30")
        expectError(
            in: yaml(regions: 3, "{ feeder: ieee33, zoning: honari }"), field: "workload.voltage.zoning", line: 11,
            message: "expected one of fourZones, threeZones, single for feeder ieee33, got honari")
        expectError(
            in: yaml(regions: 3, "{ feeder: ieee30, zoning: threeZones }"), field: "workload.voltage.zoning",
            line: 11, message: "expected one of honari, single, honariUnsharded for feeder ieee30, got threeZones")
        expectError(
            in: yaml(regions: 1, "{ feeder: ieee33, zoning: honariUnsharded }"), field: "workload.voltage.zoning",
            line: 7, message: "expected one of fourZones, threeZones, single for feeder ieee33, got honariUnsharded")
        expectError(
            in: yaml(regions: 2, "{ feeder: ieee30, zoning: honari }"), field: "workload.voltage.zoning", line: 9,
            message: "divides the 2 regions")
        expectError(
            in: yaml(regions: 3, "{ feeder: ieee30, zoning: honari, devicesPerBus: 293 }"),
            field: "workload.voltage.devicesPerBus", line: 11, message: "at most 292")
    }
}

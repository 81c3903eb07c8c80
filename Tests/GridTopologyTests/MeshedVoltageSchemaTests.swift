import Foundation
import Testing

@testable import GridTopology

/// `workload.voltage.feeder: ieee30` and `zoning: honari`: the meshed IEEE 30-bus case and Honari et al.'s groups.
struct MeshedVoltageSchemaTests {
    private func yaml(regions: Int, global: Bool = false, _ voltage: String) -> String {
        var text = "schemaVersion: 1\nregions:\n"
        for index in 0..<regions { text += "  - name: r\(index)\n    validators: 4\n" }
        if global { text += "global:\n  validators: 4\n" }
        return text + "workload:\n  kind: voltage\n  voltage: \(voltage)\n"
    }

    /// `registryRegion`: the last region runs the voltage registry; the zones go over the regions before it.
    @Test func theRegistryRegionIsTheLastAndHoldsNoZone() throws {
        let topology = try Topology.parse(
            yaml: yaml(regions: 4, global: true, "{ feeder: ieee30, registryRegion: r3 }"), file: "m.yaml")
        let voltage = topology.workload.voltageSettings
        #expect(voltage.registryRegion == "r3")
        #expect(voltage.zoneRegionCount(regionCount: 4) == 3)
        // Three zone regions: the automatic zoning is Honari's three groups, not one copy per region.
        #expect(voltage.zoning(regionCount: voltage.zoneRegionCount(regionCount: 4)) == .honari)
        let decoded = try JSONDecoder().decode(Topology.self, from: try JSONEncoder().encode(topology))
        #expect(decoded == topology)
        // Encodings from before the field decode without a registry.
        let old = try Topology.parse(yaml: yaml(regions: 3, "{ feeder: ieee30 }"), file: "o.yaml")
        #expect(old.workload.voltageSettings.registryRegion == nil)
    }

    @Test func aBadRegistryRegionNamesTheField() {
        let field = "workload.voltage.registryRegion"
        expectError(
            in: yaml(regions: 4, global: true, "{ feeder: ieee30, registryRegion: r0 }"), field: field, line: 15,
            message: "expected the last region (r3)")
        expectError(
            in: yaml(regions: 4, global: true, "{ feeder: ieee30, registryRegion: r33 }"), field: field, line: 15,
            message: "no region named \"r33\"; did you mean r3?")
        expectError(
            in: yaml(regions: 4, "{ feeder: ieee30, registryRegion: r3 }"), field: field, line: 13,
            message: "needs a global committee")
        expectError(
            in: yaml(regions: 4, global: true, "{ feeder: ieee33, zoning: threeZones, registryRegion: r3 }"),
            field: field, line: 15, message: "needs feeder ieee30")
        expectError(
            in: yaml(regions: 2, global: true, "{ feeder: ieee30, zoning: single, registryRegion: r1 }"),
            field: field, line: 11, message: "more than one zone")
        expectError(
            in: yaml(regions: 1, global: true, "{ feeder: ieee30, zoning: honari, registryRegion: r0 }"),
            field: field, line: 9, message: "needs regions before the registry's")
        expectError(
            in: yaml(regions: 3, global: true, "{ feeder: ieee30, zoning: honari, registryRegion: r2 }"),
            field: "workload.voltage.zoning", line: 13, message: "divides the 2 regions before the registry's")
        // Only the field's own error: a value that did not read does not also shift the zone count.
        let unreadable = yaml(regions: 4, global: true, "{ feeder: ieee30, zoning: honari, registryRegion: [r3] }")
        expectError(in: unreadable, field: field, line: 15, message: "the name of a region")
        #expect(errors(of: unreadable).count == 1, "\(errors(of: unreadable).map(\.description))")
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

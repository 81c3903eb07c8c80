import Foundation
import Testing

@testable import GridTopology

/// `workload.voltage.loadScale`: read, defaulted, range-checked with the field and value named, and tolerated when
/// absent from an older encoding.
struct VoltageLoadScaleTests {
    private func yaml(_ voltage: String) -> String {
        "schemaVersion: 1\nregions:\n  - name: r0\n    validators: 4\nworkload:\n  kind: voltage\n  voltage:\n"
            + "    feeder: ieee30\n    zoning: single\n" + voltage
    }

    @Test func defaultsToNominalAndReadsAValue() throws {
        let nominal = try Topology.parse(yaml: yaml(""), file: "v.yaml")
        #expect(nominal.workload.voltageSettings.loadScale == 1)
        let scaled = try Topology.parse(yaml: yaml("    loadScale: 1.8\n"), file: "v.yaml")
        #expect(scaled.workload.voltageSettings.loadScale == 1.8)
    }

    @Test func nonPositiveOrAbsurdScalesAreRefusedNamingTheField() {
        for bad in ["0", "-1", "10.5", "1000"] {
            let error = expectError(
                in: yaml("    loadScale: \(bad)\n"), field: "workload.voltage.loadScale", line: 10,
                message: "at most 10")
            #expect(error?.message.contains(bad) == true, "\(String(describing: error))")
        }
        expectError(in: yaml("    loadScale: lots\n"), field: "workload.voltage.loadScale", line: 10)
    }

    @Test func encodingsWithoutTheFieldDecodeAtNominalDemand() throws {
        let settings = Topology.VoltageWorkload(feeder: .ieee30, zoning: .honari, loadScale: 2.5)
        let encoded = try JSONEncoder().encode(settings)
        #expect(try JSONDecoder().decode(Topology.VoltageWorkload.self, from: encoded) == settings)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object.removeValue(forKey: "loadScale")
        let older = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(Topology.VoltageWorkload.self, from: older).loadScale == 1)
    }
}

import Foundation
import Testing

@testable import GridTopology

/// The optional `voltage`, `auction` and `mix` sub-objects of `workload`.
struct WorkloadSchemaTests {
    /// One region of 4 validators with `workload` replaced by `workload` (indented by two spaces).
    private func yaml(regions: Int = 1, _ workload: String) -> String {
        var text = "schemaVersion: 1\nregions:\n"
        for index in 0..<regions { text += "  - name: r\(index)\n    validators: 4\n" }
        return text + "workload:\n" + workload
    }

    @Test func shippedContractTopologiesParse() throws {
        let voltage = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("voltage.yaml"))
        #expect(voltage.workload.kind == .voltage)
        #expect(voltage.workload.voltage?.zoning == .fourZones)
        #expect(voltage.workload.voltageSettings.zoning(regionCount: 4) == .fourZones)
        #expect(voltage.regions.count == 4)
        let auction = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("auction.yaml"))
        #expect(auction.workload.auctionSettings.participantsPerRegion == 50)
        #expect(auction.workload.auctionSettings.clearingRule == .payAsOffer)
        let mix = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("mix.yaml"))
        #expect(mix.workload.runsVoltage && mix.workload.runsAuction)
        #expect(mix.workload.mixSettings == Topology.WorkloadMix(transfer: 0.5, voltage: 0.3, auction: 0.2))
    }

    @Test func defaultsApplyAndTransferStaysTheDefaultKind() throws {
        let transfer = try Topology.parse(yaml: minimalYAML, file: "t.yaml")
        #expect(transfer.workload.kind == .transfer)
        #expect(transfer.workload.voltage == nil && transfer.workload.auction == nil && transfer.workload.mix == nil)
        #expect(!transfer.workload.runsVoltage && !transfer.workload.runsAuction)
        // A transfer topology's JSON has no trace of the new fields.
        let json = String(decoding: try JSONEncoder().encode(transfer), as: UTF8.self)
        #expect(!json.contains("voltage") && !json.contains("auction") && !json.contains("\"mix\""))

        // Contract workloads need no rate and take every setting's default.
        let voltage = try Topology.parse(yaml: yaml(regions: 4, "  kind: voltage\n"), file: "v.yaml")
        #expect(voltage.workload.voltageSettings == Topology.VoltageWorkload())
        #expect(voltage.workload.voltageSettings.reportingPeriodSeconds == 2)
        #expect(voltage.workload.voltageSettings.zoning(regionCount: 4) == .fourZones)
        #expect(voltage.workload.voltageSettings.zoning(regionCount: 6) == .threeZones)
        #expect(voltage.workload.voltageSettings.zoning(regionCount: 2) == .single)
        #expect(voltage.workload.voltageSettings.control)
        let auction = try Topology.parse(yaml: yaml("  kind: auction\n  durationSeconds: 60\n"), file: "a.yaml")
        #expect(auction.workload.auctionSettings == Topology.AuctionWorkload())
        #expect(!auction.workload.usesRateController)
    }

    @Test func readsEverySetting() throws {
        let topology = try Topology.parse(
            yaml: yaml(
                regions: 3,
                """
                  kind: mix
                  mix: { transfer: 0.2, voltage: 0.5, auction: 0 }
                  voltage:
                    feeder: ieee33
                    zoning: threeZones
                    devicesPerBus: 2
                    reportingPeriodSeconds: 1.5
                    controlIntervalSeconds: 6
                    vsiThreshold: 0.75
                    control: false
                    startHour: 18.5
                  auction: { participantsPerRegion: 10, prosumerShare: 0.5, intervalSeconds: 5, clearingRule: uniformPrice }

                """), file: "m.yaml")
        let voltage = topology.workload.voltageSettings
        #expect(voltage.zoning == .threeZones && voltage.devicesPerBus == 2 && !voltage.control)
        #expect(voltage.reportingPeriodSeconds == 1.5 && voltage.controlIntervalSeconds == 6)
        #expect(voltage.vsiThreshold == 0.75 && voltage.startHour == 18.5)
        #expect(topology.workload.auctionSettings.clearingRule == .uniformPrice)
        #expect(topology.workload.runsVoltage && !topology.workload.runsAuction, "a zero weight leaves a part out")
    }

    @Test func badValuesNameLineAndField() {
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    zoning: fiveZones\n"),
            field: "workload.voltage.zoning", line: 14, message: "one of fourZones, threeZones, single")
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    reportingPeriodSeconds: 0\n"),
            field: "workload.voltage.reportingPeriodSeconds", line: 14, message: "0.01...86400")
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    control: maybe\n"),
            field: "workload.voltage.control", line: 14, message: "true or false")
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    vsiThreshold: -1\n"),
            field: "workload.voltage.vsiThreshold", line: 14, message: "0...1")
        expectError(
            in: yaml(
                regions: 4,
                "  kind: voltage\n  voltage:\n    reportingPeriodSeconds: 5\n    controlIntervalSeconds: 2\n"),
            field: "workload.voltage.controlIntervalSeconds", line: 15, message: "at least reportingPeriodSeconds")
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    devicesPerBus: 342\n"),
            field: "workload.voltage.devicesPerBus", line: 14, message: "at most 341")
        expectError(
            in: yaml(regions: 4, "  kind: voltage\n  voltage:\n    feedr: ieee33\n"),
            field: "workload.voltage.feedr", line: 14)
        expectError(
            in: yaml("  kind: auction\n  auction:\n    prosumerShare: 1.5\n"),
            field: "workload.auction.prosumerShare", line: 8, message: "0...1")
        expectError(
            in: yaml("  kind: auction\n  auction:\n    clearingRule: vickrey\n"),
            field: "workload.auction.clearingRule", line: 8, message: "payAsOffer, uniformPrice, discriminatoryPayAsBid"
        )
        // The retired name is refused with a note naming both of its successors.
        let retired = expectError(
            in: yaml("  kind: auction\n  auction:\n    clearingRule: payAsBid\n"),
            field: "workload.auction.clearingRule", line: 8, message: "renamed payAsOffer")
        #expect(retired?.message.contains("discriminatoryPayAsBid") == true)
        expectError(
            in: yaml("  kind: auction\n  auction:\n    participantsPerRegion: 0\n"),
            field: "workload.auction.participantsPerRegion", line: 8)
        expectError(
            in: yaml("  kind: auction\n  durationSeconds: 10\n  auction:\n    intervalSeconds: 30\n"),
            field: "workload.auction.intervalSeconds", line: 9, message: "run's length")
        expectError(
            in: yaml("  kind: mix\n  mix: { transfer: 1, voltage: 0, auction: 0 }\n"),
            field: "workload.mix", line: 7, message: "voltage or auction weight above 0")
        expectError(
            in: yaml("  kind: mix\n  mix: { transfer: 2 }\n"), field: "workload.mix.transfer", line: 7, message: "0...1"
        )
    }

    @Test func zonesMustDivideTheRegions() {
        expectError(
            in: yaml(regions: 3, "  kind: voltage\n  voltage: { zoning: fourZones }\n"),
            field: "workload.voltage.zoning", line: 11, message: "divides the 3 regions")
        // Eight regions run two copies of the feeder.
        #expect(throws: Never.self) {
            try Topology.parse(yaml: yaml(regions: 8, "  kind: voltage\n"), file: "eight.yaml")
        }
    }

    @Test func aSubObjectTheKindDoesNotUseIsAnError() {
        expectError(
            in: yaml("  rate: { controller: fixed, tps: 10 }\n  voltage: { zoning: single }\n"),
            field: "workload.voltage", line: 7, message: "not used by kind transfer")
        expectError(
            in: yaml("  kind: auction\n  mix: { transfer: 1 }\n"), field: "workload.mix", line: 7,
            message: "not used by kind auction")
    }

    @Test func transferStillNeedsItsRate() {
        expectError(in: yaml("  kind: transfer\n"), field: "workload.rate", line: 5)
    }

    @Test func validateChecksContractWorkloadsBuiltInCode() throws {
        var topology = Topology(
            regions: (0..<4).map { Topology.Region(name: "r\($0)", validators: 4) },
            workload: Topology.Workload(kind: .voltage, rate: .fixed(tps: 1), voltage: Topology.VoltageWorkload()))
        try topology.validate()
        topology.workload.voltage?.devicesPerBus = 0
        #expect(throws: TopologyErrors.self) { try topology.validate() }
    }
}

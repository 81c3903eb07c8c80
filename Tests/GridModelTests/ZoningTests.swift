import Testing

@testable import GridModel

@Suite struct ZoningTests {
    let feeder = Feeder.ieee33()

    @Test(arguments: [Zoning.ieee33FourZones, Zoning.ieee33ThreeZones])
    func zonesPartitionTheFeederAndAreConnected(zoning: Zoning) throws {
        try zoning.validate(against: feeder)
        let all = zoning.zones.flatMap(\.buses)
        #expect(all.count == 33)
        #expect(Set(all) == Set(1...33))
        for zone in zoning.zones {
            // Connected subtree: every member except the attachment has its parent inside the zone.
            for bus in zone.buses where bus != zone.attachmentBus {
                let parent = try #require(feeder.parent(ofBus: bus))
                #expect(zone.buses.contains(parent), "zone \(zone.name), bus \(bus)")
            }
            #expect(zone.buses.contains(zone.attachmentBus))
        }
        for bus in 1...33 { #expect(zoning.zone(of: bus) != nil) }
        #expect(zoning.zones.map(\.id) == Array(0..<zoning.zones.count))
    }

    @Test func fourZoneLayout() {
        let zoning = Zoning.ieee33FourZones
        #expect(zoning.zones.map(\.name) == ["A", "B", "C", "D"])
        #expect(zoning.zone(of: 1)?.name == "A")
        #expect(zoning.zone(of: 21)?.name == "A")
        #expect(zoning.zone(of: 24)?.name == "B")
        #expect(zoning.zone(of: 33)?.name == "C")
        #expect(zoning.zone(of: 18)?.name == "D")
        #expect(zoning.zones.map(\.attachmentBus) == [1, 3, 6, 7])
        #expect(zoning.zoneIndex(of: 99) == nil)
        let loads = zoning.zones.map { zone in zone.buses.map { feeder.bus($0)!.loadPKW }.reduce(0, +) }
        #expect(loads == [460, 1200, 980, 1075])
    }

    @Test func threeZoneLayout() {
        let zoning = Zoning.ieee33ThreeZones
        #expect(zoning.zones.map(\.buses.count) == [12, 9, 12])
        #expect(zoning.zone(of: 25)?.name == "A")
        #expect(zoning.zone(of: 6)?.name == "B")
        #expect(zoning.zone(of: 7)?.name == "C")
    }

    @Test func invalidZoningsAreReported() {
        let split = Zoning(
            name: "bad",
            zones: [
                Zone(id: 0, name: "X", buses: Array(1...6) + Array(26...33) + [19, 20, 21, 22], attachmentBus: 1),
                Zone(id: 1, name: "Y", buses: Array(7...18) + [23, 24, 25], attachmentBus: 7),
            ])
        #expect(throws: ZoningError.zoneNotConnected("Y", upstreamEntries: [7, 23])) {
            try split.validate(against: feeder)
        }
        let overlapping = Zoning(
            name: "bad",
            zones: [
                Zone(id: 0, name: "X", buses: Array(1...33), attachmentBus: 1),
                Zone(id: 1, name: "Y", buses: [5], attachmentBus: 5),
            ])
        #expect(throws: ZoningError.busInTwoZones(5, zones: ["X", "Y"])) { try overlapping.validate(against: feeder) }
        let incomplete = Zoning(name: "bad", zones: [Zone(id: 0, name: "X", buses: Array(1...30), attachmentBus: 1)])
        #expect(throws: ZoningError.unassignedBuses([31, 32, 33])) { try incomplete.validate(against: feeder) }
        let wrongRoot = Zoning(name: "bad", zones: [Zone(id: 0, name: "X", buses: Array(1...33), attachmentBus: 2)])
        #expect(throws: ZoningError.wrongAttachment("X", declared: 2, actual: 1)) {
            try wrongRoot.validate(against: feeder)
        }
    }
}

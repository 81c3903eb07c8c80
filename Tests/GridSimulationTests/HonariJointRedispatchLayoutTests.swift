import GridModel
import GridTopology
import GridWorkloads
import Testing

@testable import GridSimulation

/// The sharded IEEE 30-bus layout gives each zone the other zones' loaded buses with their transfer reactances, so a
/// neighbour's request is met as a joint re-dispatch (`VoltageStabilityConfiguration.RemoteBus`).
@Suite struct HonariJointRedispatchLayoutTests {
    @Test func eachZoneKnowsTheOtherZonesLoadedBuses() throws {
        let network = Network.ieee30()
        let layout = try MeshedVoltageLayout(network: network, zoning: .honari, vsiThreshold: 0.5)
        let x = try network.transferReactances()
        let loaded = Set(
            network.buses.indices.filter { layout.hasDevices(busIndex: $0) }.map { network.buses[$0].number })
        for (zone, own) in layout.zones.enumerated() {
            let remote = layout.remoteBuses(zone: zone, copy: 0)
            let others = Set(layout.zones.enumerated().filter { $0.offset != zone }.flatMap(\.element.buses))
            #expect(Set(remote.map { Int($0.number) }) == others.intersection(loaded), "zone \(zone)")
            for entry in remote {
                let f = Int(entry.number)
                #expect(entry.reactanceMicroPU == Int64((x[f]![f]! * 1e6).rounded()))
                // Buses of this zone that an injection at f would not raise (X_fj <= 0) get no entry.
                let helping = Set(own.buses).intersection(loaded).filter { (x[f]![$0] ?? 0) > 0 }
                #expect(Set(entry.transferReactanceMicroPU.keys.map(Int.init)) == helping)
                for (bus, value) in entry.transferReactanceMicroPU {
                    #expect(value == Int64((x[f]![Int(bus)]! * 1e6).rounded()), "X_\(f),\(bus)")
                    #expect(value <= entry.reactanceMicroPU)
                }
            }
        }
        // Group 2 (zone 1) asks group 3 (zone 2) about its lowest bus, 8, which group 3 can raise. Bus 30 hangs off
        // the generator bus 27 (with 29), whose voltage is held: nothing of group 3 moves it.
        let remote = layout.remoteBuses(zone: 2, copy: 0)
        let bus8 = try #require(remote.first { $0.number == 8 })
        #expect(!bus8.transferReactanceMicroPU.isEmpty)
        let bus30 = try #require(remote.first { $0.number == 30 })
        #expect(bus30.transferReactanceMicroPU.isEmpty)
        // A second copy of the network is offset like its buses.
        let copy = layout.remoteBuses(zone: 2, copy: 1)
        #expect(copy.contains { Int($0.number) == 30 + layout.stride })
        #expect(copy.allSatisfy { $0.transferReactanceMicroPU.keys.allSatisfy { Int($0) > layout.stride } })
    }

    /// Where a zone passes on what it cannot meet: every zone joined to it by a branch, most branches first. Group 3
    /// (zone 2) shares its lines with group 2 and group 1 (branch 4-12), so what group 2 asks of it and it cannot
    /// give goes on to group 1, as Honari's SearchForAvailableGroup would try the other adjacent group.
    @Test func eachZoneForwardsAlongItsAdjacency() throws {
        let network = Network.ieee30()
        let layout = try MeshedVoltageLayout(network: network, zoning: .honari, vsiThreshold: 0.5)
        for (zone, entry) in layout.zones.enumerated() {
            let counts = layout.zones.indices.filter { $0 != zone }.map {
                (zone: $0, branches: network.branchCount(between: entry.buses, and: layout.zones[$0].buses))
            }
            let expected = counts.filter { $0.branches > 0 }.sorted {
                ($1.branches, $0.zone) < ($0.branches, $1.zone)
            }.map(\.zone)
            #expect(entry.adjacentZones == expected, "zone \(zone)")
            #expect(entry.adjacentZones.first == entry.neighbour?.zone, "zone \(zone): the neighbour comes first")
        }
        #expect(Set(layout.zones[2].adjacentZones) == [0, 1])
        #expect(layout.zones[1].neighbour?.zone == 2)
    }
}

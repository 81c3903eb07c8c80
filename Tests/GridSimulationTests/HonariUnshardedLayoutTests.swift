import GridModel
import GridTopology
import GridWorkloads
import Testing

@testable import GridSimulation

/// `zoning: honariUnsharded`: the whole IEEE 30-bus case in one region, where each bus still acts on the threshold of
/// its group in Honari et al.'s sharded layout, so the unsharded and sharded runs ask the same question of each bus.
@Suite struct HonariUnshardedLayoutTests {
    @Test func oneZoneWhoseBusesCarryTheirGroupsThresholds() throws {
        let network = Network.ieee30()
        let layout = try MeshedVoltageLayout(network: network, zoning: .honariUnsharded, vsiThreshold: 0.5)
        #expect(layout.zones.count == 1)
        let buses = layout.contractBuses(zone: 0, copy: 0)
        #expect(buses.count == network.busNumbers.count)
        let thresholds = Dictionary(uniqueKeysWithValues: buses.map { (Int($0.number), $0.vsiThresholdMicro) })
        for group in Network.honariGroups {
            for bus in group.buses {
                #expect(thresholds[bus] == Int64((group.marginThreshold * 1e6).rounded()), "bus \(bus)")
            }
        }
        // Bus 1 (the slack) is in no group: it falls back to the region's threshold.
        #expect(thresholds[1] == .some(nil))
        #expect(layout.zones[0].vsiThresholdMicro == 500_000)
    }

    @Test func theShardedLayoutKeepsOneThresholdPerRegion() throws {
        let layout = try MeshedVoltageLayout(network: Network.ieee30(), zoning: .honari, vsiThreshold: 0.5)
        #expect(layout.zones.map(\.vsiThresholdMicro) == [915_000, 765_000, 846_000])
        for zone in layout.zones.indices {
            #expect(layout.contractBuses(zone: zone, copy: 0).allSatisfy { $0.vsiThresholdMicro == nil })
        }
    }
}

import GridLoad

/// The lowest voltage and margin-ratio index each region (one zone of one network copy) saw in the measured window,
/// so that a report can say which group ran short, not just that some bus did.
package struct MeshedZoneExtremes {
    private struct Extreme {
        package var voltagePU = Double.infinity
        package var voltageBus = 0
        package var index = Double.infinity
        package var indexBus = 0
    }

    private let names: [String]
    private let thresholds: [Double]
    /// Zone of each bus index of the network.
    private let zoneOfBusIndex: [Int: Int]
    private let zoneCount: Int
    private var extremes: [Extreme]

    package init(layout: MeshedVoltageLayout, regions: [String]) {
        names = regions
        zoneCount = max(1, layout.zones.count)
        thresholds = regions.indices.map {
            Double(layout.zones[$0 % max(1, layout.zones.count)].vsiThresholdMicro) / 1e6
        }
        var zoneOfBusIndex: [Int: Int] = [:]
        for (zone, entry) in layout.zones.enumerated() {
            for number in entry.buses {
                if let index = layout.network.index(ofBus: number) { zoneOfBusIndex[index] = zone }
            }
        }
        self.zoneOfBusIndex = zoneOfBusIndex
        extremes = Array(repeating: Extreme(), count: regions.count)
    }

    /// No regions: the radial feeder, which reports no per-region figures.
    package init() {
        names = []
        thresholds = []
        zoneOfBusIndex = [:]
        zoneCount = 1
        extremes = []
    }

    private func region(busIndex: Int, copy: Int) -> Int? {
        guard let zone = zoneOfBusIndex[busIndex] else { return nil }
        let region = copy * zoneCount + zone
        return extremes.indices.contains(region) ? region : nil
    }

    package mutating func noteVoltage(_ voltagePU: Double, busIndex: Int, busNumber: Int, copy: Int) {
        guard let region = region(busIndex: busIndex, copy: copy), voltagePU < extremes[region].voltagePU else {
            return
        }
        extremes[region].voltagePU = voltagePU
        extremes[region].voltageBus = busNumber
    }

    package mutating func noteIndex(_ index: Double, busIndex: Int, busNumber: Int, copy: Int) {
        guard let region = region(busIndex: busIndex, copy: copy), index < extremes[region].index else { return }
        extremes[region].index = index
        extremes[region].indexBus = busNumber
    }

    /// One entry per region; nil figures where no period converged in the measured window.
    package var outcomes: [RunResult.VoltageRegionOutcome] {
        extremes.indices.map { region in
            let extreme = extremes[region]
            return RunResult.VoltageRegionOutcome(
                region: names[region], vsiThreshold: thresholds[region],
                lowestVoltagePU: extreme.voltagePU.isFinite ? extreme.voltagePU : nil,
                lowestVoltageBus: extreme.voltagePU.isFinite ? extreme.voltageBus : nil,
                lowestStabilityIndex: extreme.index.isFinite ? extreme.index : nil,
                lowestStabilityIndexBus: extreme.index.isFinite ? extreme.indexBus : nil)
        }
    }
}

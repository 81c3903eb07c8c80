import GridContracts
import GridCrypto
import GridLedger
import GridModel
import GridRegion
import GridTopology

/// How the voltage workload lays out a meshed network (`feeder: ieee30`) over the regions: region `r` is zone
/// `r % zones` of network copy `r / zones` (bus numbers of copy k offset by k * `stride`, like `Feeder.replicated`).
///
/// The contract's model is radial (each bus names a parent, a path impedance stands for the Thevenin impedance), so
/// a meshed zone is given as a breadth-first spanning tree of its own branches (`Network.spanningParents`) with
/// each PQ bus carrying its exact Thevenin impedance of the whole network (`Network.theveninImpedances`: the slack
/// and PV buses as ideal sources, as Lee et al. and Honari et al. reduce it). The index the contract computes is
/// therefore the margin ratio of the true Thevenin equivalent; only the dispatch's sensitivity (the reactance
/// shared on the tree) is approximate on a loop, and the next period's reports show what a dispatch achieved.
/// Slack and PV buses hold their voltage, so they get no devices and path impedance 0.
package struct MeshedVoltageLayout {
    package struct Zone {
        package var buses: [Int]
        package var vsiThresholdMicro: Int64
        /// Buses that act on a threshold of their own (Honari's groups in one unsharded region), by bus number.
        package var busThresholdsMicro: [Int: Int64] = [:]
        /// The zone asked for reactive power when this one runs out (the one joined by the most branches), and
        /// the bus of this zone with the most branches to it.
        package var neighbour: (zone: Int, couplingBus: Int)?
        /// Every zone joined to this one by a branch, most branches first (then zone order): where a request this
        /// zone cannot meet goes on to (`VoltageStabilityConfiguration.forwardRegions`).
        package var adjacentZones: [Int] = []
        package var parents: [Int: Int?]
    }

    /// Voltage limits of the buses as DVSCode's bus tables give them (Honari et al.): 0.95-1.05 p.u. at load
    /// buses, 0.95-1.10 at the slack and generator buses.
    package static let loadBusLimitsPU = 0.95...1.05
    package static let generatorBusLimitsPU = 0.95...1.10

    package let network: Network
    package let zones: [Zone]
    package let stride: Int
    /// Thevenin impedance of every PQ bus, by bus number.
    package let thevenin: [Int: TheveninImpedance]
    /// Transfer reactance between every two PQ buses (p.u.), by bus number: what a joint re-dispatch of two zones
    /// sizes a neighbour's help by (`remoteBuses`).
    package let transferReactances: [Int: [Int: Double]]

    package init(
        network: Network, zoning: Topology.VoltageWorkload.ZoningName, vsiThreshold: Double
    ) throws(WorkloadError) {
        self.network = network
        stride = network.busNumbers.max() ?? 0
        do {
            thevenin = Dictionary(uniqueKeysWithValues: try network.theveninImpedances().map { ($0.bus, $0) })
            transferReactances = try network.transferReactances()
        } catch {
            throw .setup("voltage workload on \(network.name): \(error)")
        }
        let groups: [(buses: [Int], threshold: Double)]
        var busThresholds: [Int: Double] = [:]
        switch zoning {
        case .honari where network.name == "ieee30":
            groups = Network.honariGroups.map { ($0.buses, $0.marginThreshold) }
        case .honariUnsharded where network.name == "ieee30":
            groups = [(network.busNumbers, vsiThreshold)]
            for group in Network.honariGroups {
                for bus in group.buses { busThresholds[bus] = group.marginThreshold }
            }
        case .single:
            groups = [(network.busNumbers, vsiThreshold)]
        default:
            throw .setup("voltage workload: zoning \(zoning.rawValue) does not apply to network \(network.name)")
        }
        var zones: [Zone] = []
        for (position, group) in groups.enumerated() {
            var neighbour: (zone: Int, couplingBus: Int)?
            var mostBranches = 0
            var adjacent: [(branches: Int, zone: Int)] = []
            for (other, candidate) in groups.enumerated() where other != position {
                let count = network.branchCount(between: group.buses, and: candidate.buses)
                if count > 0 { adjacent.append((count, other)) }
                if count > mostBranches {
                    mostBranches = count
                    let coupling = group.buses.sorted().max { first, second in
                        (network.branchCount(between: [first], and: candidate.buses), -first)
                            < (network.branchCount(between: [second], and: candidate.buses), -second)
                    }
                    neighbour = coupling.map { (other, $0) }
                }
            }
            let parents: [Int: Int?]
            do { parents = try network.spanningParents(ofGroup: group.buses) } catch {
                throw .setup("voltage workload zone \(position + 1) of \(network.name): \(error)")
            }
            zones.append(
                Zone(
                    buses: group.buses.sorted(), vsiThresholdMicro: Int64((group.threshold * 1e6).rounded()),
                    busThresholdsMicro: busThresholds.filter { group.buses.contains($0.key) }.mapValues {
                        Int64(($0 * 1e6).rounded())
                    }, neighbour: neighbour,
                    adjacentZones: adjacent.sorted { ($1.branches, $0.zone) < ($0.branches, $1.zone) }.map(\.zone),
                    parents: parents))
        }
        self.zones = zones
    }

    /// The regions of zone `zone`'s adjacent zones on network copy `copy` (region r is zone r % zones of copy
    /// r / zones), most branches first.
    package func adjacentRegions(ofZone zone: Int, copy: Int) -> [RegionID] {
        zones[zone].adjacentZones.map { RegionID(copy * zones.count + $0) }
    }

    /// Whether a bus of the network gets devices: a PQ bus with demand.
    package func hasDevices(busIndex: Int) -> Bool {
        let bus = network.buses[busIndex]
        return bus.kind == .pq && (bus.demandPMW != 0 || bus.demandQMVar != 0)
    }

    /// The contract's bus table of one zone on network copy `copy`.
    package func contractBuses(zone: Int, copy: Int) -> [VoltageStabilityConfiguration.Bus] {
        let offset = copy * stride
        return zones[zone].buses.map { number in
            let impedance = thevenin[number]
            let parent = zones[zone].parents[number] ?? nil
            return VoltageStabilityConfiguration.Bus(
                number: UInt16(number + offset), parentNumber: parent.map { UInt16($0 + offset) },
                pathResistanceMicroPU: Int64(((impedance?.resistancePU ?? 0) * 1e6).rounded()),
                pathReactanceMicroPU: Int64(((impedance?.reactancePU ?? 0) * 1e6).rounded()),
                vsiThresholdMicro: zones[zone].busThresholdsMicro[number])
        }
    }

    /// What zone `zone` of copy `copy` knows of the other zones' buses with devices (the only ones a request can
    /// name): each one's Thevenin reactance and its transfer reactance to this zone's buses with devices, so that
    /// the zone meets a neighbour's request as a joint re-dispatch of the two would. Entries that are not positive
    /// are left out, since such a device cannot help: a bus behind a generator bus, whose voltage is held, has 0 to
    /// everything beyond it (bus 30 of IEEE 30, behind bus 27).
    package func remoteBuses(zone: Int, copy: Int) -> [VoltageStabilityConfiguration.RemoteBus] {
        let offset = copy * stride
        let own = zones[zone].buses.filter { number in network.index(ofBus: number).map(hasDevices) ?? false }
        var remote: [VoltageStabilityConfiguration.RemoteBus] = []
        for (other, otherZone) in zones.enumerated() where other != zone {
            for number in otherZone.buses {
                guard let index = network.index(ofBus: number), hasDevices(busIndex: index),
                    let row = transferReactances[number], let reactance = row[number], reactance > 0
                else { continue }
                var transfer: [UInt16: Int64] = [:]
                for bus in own {
                    guard let value = row[bus], value > 0 else { continue }
                    transfer[UInt16(bus + offset)] = Int64((value * 1e6).rounded())
                }
                remote.append(
                    .init(
                        number: UInt16(number + offset), reactanceMicroPU: Int64((reactance * 1e6).rounded()),
                        transferReactanceMicroPU: transfer))
            }
        }
        return remote
    }

    /// Whether a solved voltage lies within its bus's limits.
    package func withinLimits(busIndex: Int, voltagePU: Double) -> Bool {
        let limits = network.buses[busIndex].kind == .pq ? Self.loadBusLimitsPU : Self.generatorBusLimitsPU
        return limits.contains(voltagePU)
    }

    /// The margin-ratio index of every PQ bus with load (by bus index), for a solved flow of net loads in MW and
    /// MVAr.
    package func stabilityIndices(result: NetworkPowerFlowResult, netLoadPMW: [Double], netLoadQMVar: [Double]) -> [(
        busIndex: Int, index: Double
    )] {
        network.buses.enumerated().compactMap { busIndex, bus in
            guard hasDevices(busIndex: busIndex), let impedance = thevenin[bus.number] else { return nil }
            let index = VoltageStability.marginRatioIndex(
                busVoltagePU: result.buses[busIndex].voltagePU, theveninResistancePU: impedance.resistancePU,
                theveninReactancePU: impedance.reactancePU, loadPPU: netLoadPMW[busIndex] / network.baseMVA,
                loadQPU: netLoadQMVar[busIndex] / network.baseMVA)
            return (busIndex, index)
        }
    }
}

/// What the voltage workload's genesis derives for a meshed network.
package struct MeshedVoltageSetup {
    package var layout: MeshedVoltageLayout
    package var copies: Int
    package var devices: [VoltageWorkloadDriver.Device]
    package var devicesAtBus: [[[Int]]]
    package var loadProfiles: [[LoadProfile]]
    package var configurations: [VoltageStabilityConfiguration]
    package var operatorKeys: [KeyPair]
    /// The registry of the last region (`workload.voltage.registryRegion`), if the topology names one.
    package var registry: VoltageRegistryConfiguration?
}

extension VoltageWorkloadDriver {
    /// Genesis of the voltage workload on a meshed network: per region its zone's buses (`MeshedVoltageLayout`),
    /// `devicesPerBus` devices on every PQ bus with demand, rated at the bus's apparent demand with 44 % reactive
    /// capability (as on the feeder), the zone's threshold and, with a global layer, its neighbour.
    package static func meshedSetup(topology: Topology, settings: Topology.VoltageWorkload) throws(WorkloadError)
        -> MeshedVoltageSetup
    {
        guard let network = FeederCatalog.network(named: settings.feeder.rawValue) else {
            throw .setup("voltage workload: no network named \(settings.feeder.rawValue)")
        }
        let regionCount = settings.zoneRegionCount(regionCount: topology.regions.count)
        let layout = try MeshedVoltageLayout(
            network: network, zoning: settings.zoning(regionCount: regionCount), vsiThreshold: settings.vsiThreshold)
        let zoneCount = layout.zones.count
        guard regionCount % zoneCount == 0 else {
            throw .setup("voltage workload: \(regionCount) regions are not a multiple of \(zoneCount) zones")
        }
        let copies = regionCount / zoneCount
        let seed = topology.seed
        // Validation refuses a registry without a committee or a choice of groups; a topology built in code that
        // skipped it must not lose its registry silently.
        if let name = settings.registryRegion, topology.global == nil || zoneCount < 2 {
            throw .setup("voltage registry \(name) needs a global committee and more than one zone")
        }
        let registryRegion: RegionID? = settings.registryRegion == nil ? nil : RegionID(regionCount)
        var setup = MeshedVoltageSetup(
            layout: layout, copies: copies, devices: [],
            devicesAtBus: Array(repeating: Array(repeating: [], count: network.buses.count), count: copies),
            loadProfiles: (0..<copies).map { copy in
                network.buses.enumerated().map { index, bus in
                    LoadProfile.household(type: index, jitterSeed: seed &+ UInt64(bus.number + copy * layout.stride))
                }
            }, configurations: [], operatorKeys: [])
        // The registry's region, when there is one, is the last and holds no zone.
        for (regionIndex, region) in topology.regions.prefix(regionCount).enumerated() {
            let copy = regionIndex / zoneCount
            let zoneIndex = regionIndex % zoneCount
            let zone = layout.zones[zoneIndex]
            let operatorKey = KeyPair.derived(masterSeed: seed, label: "operator/voltage/\(region.name)")
            setup.operatorKeys.append(operatorKey)
            var contractDevices: [VoltageStabilityConfiguration.Device] = []
            var local = 0
            for busNumber in zone.buses {
                guard let busIndex = network.index(ofBus: busNumber), layout.hasDevices(busIndex: busIndex) else {
                    continue
                }
                let bus = network.buses[busIndex]
                let apparentKVA =
                    (bus.demandPMW * bus.demandPMW + bus.demandQMVar * bus.demandQMVar).squareRoot() * 1_000
                let ratedKVA = max(1, Int64((apparentKVA / Double(settings.devicesPerBus)).rounded()))
                let capabilityKVAr = Int64((Double(ratedKVA) * Self.reactiveCapabilityShare).rounded())
                let contractBus = busNumber + copy * layout.stride
                for slot in 0..<settings.devicesPerBus {
                    let key = KeyPair.derived(
                        masterSeed: seed, label: "device/\(region.name)/bus\(contractBus)/\(slot)")
                    contractDevices.append(
                        .init(
                            key: key.publicKey, busNumber: UInt16(contractBus), ratedKVA: ratedKVA,
                            reactiveCapabilityKVAr: capabilityKVAr))
                    setup.devicesAtBus[copy][busIndex].append(setup.devices.count)
                    setup.devices.append(
                        Device(
                            key: key, region: regionIndex, copy: copy, busNumber: contractBus, busIndex: busIndex,
                            ratedKVA: ratedKVA, capabilityVAr: capabilityKVAr * 1_000,
                            solar: SolarProfile(
                                type: setup.devices.count, cloudSeed: seed &+ UInt64(setup.devices.count)),
                            gatewayValidator: local))
                    local += 1
                }
            }
            var neighbour: VoltageStabilityConfiguration.Neighbour?
            var forwardRegions: [RegionID] = []
            var relayKey: PublicKey?
            var remoteBuses: [VoltageStabilityConfiguration.RemoteBus] = []
            if topology.global != nil, zoneCount > 1 {
                // As on the feeder: a zone short of reactive power asks its neighbour through the global layer.
                relayKey = RegionApplication.globalLayerSender
                if let (other, couplingBus) = zone.neighbour {
                    neighbour = .init(
                        region: RegionID(copy * zoneCount + other),
                        couplingBusNumber: UInt16(couplingBus + copy * layout.stride))
                }
                remoteBuses = layout.remoteBuses(zone: zoneIndex, copy: copy)
                // With a registry, it picks the helper, so requests are not also passed along the adjacency.
                if registryRegion == nil {
                    forwardRegions = layout.adjacentRegions(ofZone: zoneIndex, copy: copy)
                }
            }
            do {
                setup.configurations.append(
                    try VoltageStabilityConfiguration(
                        region: RegionID(regionIndex), baseKVA: Int64((network.baseMVA * 1_000).rounded()),
                        buses: layout.contractBuses(zone: zoneIndex, copy: copy), devices: contractDevices,
                        operatorKey: operatorKey.publicKey, relayKey: relayKey,
                        vsiThresholdMicro: zone.vsiThresholdMicro, neighbour: neighbour, forwardRegions: forwardRegions,
                        registryRegion: registryRegion, remoteBuses: remoteBuses))
            } catch {
                throw .setup("voltage configuration of region \(region.name) on \(network.name): \(error)")
            }
        }
        if let registryRegion {
            do {
                setup.registry = try VoltageRegistryConfiguration(
                    region: registryRegion, relayKey: RegionApplication.globalLayerSender,
                    groups: (0..<regionCount).map { regionIndex in
                        .init(
                            region: RegionID(regionIndex),
                            adjacentRegions: layout.adjacentRegions(
                                ofZone: regionIndex % zoneCount, copy: regionIndex / zoneCount))
                    })
            } catch {
                throw .setup("voltage registry of region \(topology.regions[regionCount].name): \(error)")
            }
        }
        return setup
    }
}

import GridCrypto
import GridLedger

/// Why a voltage stability configuration was rejected at genesis.
public struct VoltageStabilityConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Genesis configuration of one region's `VoltageStabilityContract`, identical on every validator of the region.
///
/// Everything is an integer: impedances and voltages in micro-p.u. (1 p.u. = 1_000_000), powers in kVA / kVAr
/// (ratings) or W / VAr (measurements and set-points), the stability index (a margin ratio, 0-1) in micro-units. The bounds
/// checked here are what keep the contract's Int128 arithmetic free of overflow (see `VoltageStabilityIndex`), so a
/// value of this type is always safe to run.
///
/// The buses form the region's part of a radial feeder: each bus names its parent, and the one bus whose parent is
/// not in the region (or has none) is the region's root, i.e. where the region attaches to the rest of the feeder.
/// Path impedances are measured from the substation, not from the root, so they are the Thevenin impedances the
/// index needs (Lee et al. 2021; Honari et al. 2022 run one such region per shard).
public struct VoltageStabilityConfiguration: Sendable, Equatable {
    /// One bus of the region with the series impedance of its path from the substation.
    public struct Bus: Sendable, Hashable {
        public var number: UInt16
        /// The upstream neighbour on the feeder; nil, or a bus outside the region, for the region's root.
        public var parentNumber: UInt16?
        public var pathResistanceMicroPU: Int64
        public var pathReactanceMicroPU: Int64
        /// This bus's own index threshold, where one region holds buses of groups with different thresholds (all of
        /// Honari et al.'s groups on one unsharded chain); nil for the region's `vsiThresholdMicro`.
        public var vsiThresholdMicro: Int64?

        public init(
            number: UInt16, parentNumber: UInt16?, pathResistanceMicroPU: Int64, pathReactanceMicroPU: Int64,
            vsiThresholdMicro: Int64? = nil
        ) {
            self.number = number
            self.parentNumber = parentNumber
            self.pathResistanceMicroPU = pathResistanceMicroPU
            self.pathReactanceMicroPU = pathReactanceMicroPU
            self.vsiThresholdMicro = vsiThresholdMicro
        }
    }

    /// A device (inverter, capacitor bank controller) that reports its bus and follows reactive set-points.
    public struct Device: Sendable, Hashable {
        public var key: PublicKey
        public var busNumber: UInt16
        public var ratedKVA: Int64
        /// Largest reactive power the device can inject or absorb, |Q| <= this.
        public var reactiveCapabilityKVAr: Int64

        public init(key: PublicKey, busNumber: UInt16, ratedKVA: Int64, reactiveCapabilityKVAr: Int64) {
            self.key = key
            self.busNumber = busNumber
            self.ratedKVA = ratedKVA
            self.reactiveCapabilityKVAr = reactiveCapabilityKVAr
        }

        public var reactiveCapabilityVAr: Int64 { reactiveCapabilityKVAr * 1_000 }
    }

    /// The region asked for reactive power when this one runs out of headroom.
    public struct Neighbour: Sendable, Hashable {
        public var region: RegionID
        /// The bus of this region electrically closest to the neighbour (the bus feeding it, or this region's
        /// root when the neighbour is upstream). Devices help the neighbour in order of their shared path
        /// reactance with this bus.
        public var couplingBusNumber: UInt16

        public init(region: RegionID, couplingBusNumber: UInt16) {
            self.region = region
            self.couplingBusNumber = couplingBusNumber
        }
    }

    /// A bus of another region that may ask this one for reactive power, with what the whole network's impedance
    /// matrix (Z-bus) says about it: its own Thevenin reactance X_ff and its transfer reactance X_fj to buses of
    /// this region. Where a layout knows the network (a meshed network in one piece), this lets the region answer
    /// a request as a joint re-dispatch of both regions would (Honari et al. merge the groups' models for it):
    /// its devices move by what gives the requesting bus the voltage change the missing VAr would have given
    /// there, most effective first, instead of VAr for VAr at the coupling bus.
    public struct RemoteBus: Sendable, Hashable {
        public var number: UInt16
        /// X_ff, the Thevenin reactance of the bus (micro-p.u.).
        public var reactanceMicroPU: Int64
        /// X_fj by bus j of this region (micro-p.u.); a bus without an entry cannot help this one.
        public var transferReactanceMicroPU: [UInt16: Int64]

        public init(number: UInt16, reactanceMicroPU: Int64, transferReactanceMicroPU: [UInt16: Int64]) {
            self.number = number
            self.reactanceMicroPU = reactanceMicroPU
            self.transferReactanceMicroPU = transferReactanceMicroPU
        }
    }

    // MARK: - Limits

    /// At most this many buses per region; bounds the work of one dispatch.
    public static let busesMax = 512
    /// At most this many other regions' buses in `remoteBuses`; bounds genesis and the table's size.
    public static let remoteBusesMax = 2_048
    /// At most this many regions in `forwardRegions`.
    public static let forwardRegionsMax = 64
    /// At most this many devices per region. Large enough that a region's own devices can drive it to saturation
    /// (4096 devices reporting every 0.1 s offer 40,960 tx/s); it bounds the work of one dispatch (a pass over the
    /// devices) and of genesis. Receipts list at most ``setpointsOutputMax`` set-points, so outputs stay small.
    public static let devicesMax = 4096
    /// At most this many set-points in a dispatch's or reactive support's output, so that it stays below
    /// `Receipt.outputBytesMax` (64 x 40 bytes plus the header and the ranking): every set-point when the region
    /// has at most this many devices, else the first ones (in device order) that the call changed. The contract's
    /// state holds them all (`setpoint`).
    public static let setpointsOutputMax = 64
    public static let baseKVAMax: Int64 = 10_000_000
    /// 10 p.u.; far above any distribution feeder path, and part of the overflow bound of the index.
    public static let pathImpedanceMicroPUMax: Int64 = 10_000_000
    public static let ratedKVAMax: Int64 = 1_000_000
    /// The margin-ratio index lies in 0...1, so a threshold above 1 would act on every dispatch.
    public static let vsiThresholdMicroMax: Int64 = 1_000_000
    public static let rankingOutputCountMax = 16
    /// Voltages accepted from devices: 0.5 to 1.5 p.u.; anything else is a broken sensor or a hostile report.
    public static let measurementVoltageMicroPU: ClosedRange<Int64> = 500_000...1_500_000
    /// Angles accepted from devices: [-pi, pi] rounded outwards.
    public static let measurementAngleMicroRad: ClosedRange<Int64> = -3_141_593...3_141_593
    /// |P| and |Q| accepted from devices, in p.u. of the base: 10 p.u. keeps the index arithmetic in Int128.
    public static let measurementPowerPUMax: Int64 = 10

    // MARK: - Configuration

    public let region: RegionID
    public let baseKVA: Int64
    /// Sorted by bus number.
    public let buses: [Bus]
    /// Sorted by key.
    public let devices: [Device]
    /// The only key allowed to call `dispatch`.
    public let operatorKey: PublicKey
    /// The only key allowed to call `reactiveRequest`: the identity under which the global layer delivers
    /// cross-region messages. Defaults to the operator key.
    public let relayKey: PublicKey
    /// A bus whose margin-ratio index is below this (micro-units: 900_000 = 0.9, i.e. the bus already draws more
    /// than 10 % of what its Thevenin equivalent could deliver) triggers a dispatch, unless the bus has its own.
    public let vsiThresholdMicro: Int64
    /// Voltages outside this band trigger a dispatch (0.95-1.05 p.u. by default).
    public let voltageBandMicroPU: ClosedRange<Int64>
    /// A dispatch steers the focus bus into this range (0.98-1.00 p.u. by default).
    public let dispatchTargetMicroPU: ClosedRange<Int64>
    public let neighbour: Neighbour?
    /// Regions this one passes on the part of a request it cannot meet, in order of preference (the regions it
    /// shares lines with, most lines first): the first that is neither the requester nor this region gets it.
    /// Honari et al.'s global contract searches a short group's adjacent groups for one with resources left
    /// (`SearchForAvailableGroup`); passing the rest along the adjacency does that search one region at a time.
    /// A request is passed on once at most, so it can never travel in a loop.
    public let forwardRegions: [RegionID]
    /// The region whose chain runs the voltage registry (`VoltageRegistryContract`), Honari et al.'s main chain:
    /// with one, a dispatch's unmet deficit goes there as a `search` instead of to `neighbour`, and the region
    /// tells it its headroom (`resources`) whenever that changes. nil: ask `neighbour` directly.
    public let registryRegion: RegionID?
    /// Other regions' buses whose requests this region sizes by the network's transfer reactances, sorted by
    /// number; empty where the layout has no network-wide impedance matrix (then requests are met VAr for VAr).
    public let remoteBuses: [RemoteBus]
    /// How many of the weakest buses a dispatch lists in its output.
    public let rankingOutputCount: Int

    // Derived tables, computed once at genesis.
    let busIndexByNumber: [UInt16: Int]
    /// Index of each bus's parent in `buses`, -1 for the region root.
    let parentIndex: [Int]
    /// Distance from the region root, for common-ancestor walks.
    let depth: [Int]
    let rootIndex: Int
    let deviceIndexByKey: [PublicKey: Int]
    let remoteBusIndexByNumber: [UInt16: Int]

    public init(
        region: RegionID, baseKVA: Int64, buses: [Bus], devices: [Device], operatorKey: PublicKey,
        relayKey: PublicKey? = nil, vsiThresholdMicro: Int64,
        voltageBandMicroPU: ClosedRange<Int64> = 950_000...1_050_000,
        dispatchTargetMicroPU: ClosedRange<Int64> = 980_000...1_000_000, neighbour: Neighbour? = nil,
        forwardRegions: [RegionID] = [], registryRegion: RegionID? = nil, remoteBuses: [RemoteBus] = [],
        rankingOutputCount: Int = 5
    ) throws(VoltageStabilityConfigurationError) {
        typealias Failure = VoltageStabilityConfigurationError
        guard (1...Self.baseKVAMax).contains(baseKVA) else { throw Failure("base kVA \(baseKVA) out of range") }
        guard !buses.isEmpty, buses.count <= Self.busesMax else {
            throw Failure("a region needs 1 to \(Self.busesMax) buses, not \(buses.count)")
        }
        guard devices.count <= Self.devicesMax else {
            throw Failure("a region holds at most \(Self.devicesMax) devices, not \(devices.count)")
        }
        guard (0...Self.vsiThresholdMicroMax).contains(vsiThresholdMicro) else {
            throw Failure("VSI threshold \(vsiThresholdMicro) out of range")
        }
        let voltageLimits = Self.measurementVoltageMicroPU
        guard voltageLimits.contains(voltageBandMicroPU.lowerBound),
            voltageLimits.contains(voltageBandMicroPU.upperBound),
            voltageBandMicroPU.contains(dispatchTargetMicroPU.lowerBound),
            voltageBandMicroPU.contains(dispatchTargetMicroPU.upperBound)
        else { throw Failure("the dispatch target must lie in the voltage band, and both in 0.5-1.5 p.u.") }
        guard (1...Self.rankingOutputCountMax).contains(rankingOutputCount) else {
            throw Failure("ranking output count \(rankingOutputCount) out of range")
        }

        let sortedBuses = buses.sorted { $0.number < $1.number }
        var indexByNumber: [UInt16: Int] = [:]
        for (index, bus) in sortedBuses.enumerated() {
            guard bus.number > 0 else { throw Failure("bus number 0 is reserved for 'no bus'") }
            guard indexByNumber.updateValue(index, forKey: bus.number) == nil else {
                throw Failure("bus \(bus.number) is listed twice")
            }
            let impedanceLimits: ClosedRange<Int64> = 0...Self.pathImpedanceMicroPUMax
            guard impedanceLimits.contains(bus.pathResistanceMicroPU),
                impedanceLimits.contains(bus.pathReactanceMicroPU)
            else { throw Failure("bus \(bus.number): path impedance out of range") }
            if let threshold = bus.vsiThresholdMicro, !(0...Self.vsiThresholdMicroMax).contains(threshold) {
                throw Failure("bus \(bus.number): VSI threshold \(threshold) out of range")
            }
        }
        let parents = sortedBuses.map { bus in bus.parentNumber.flatMap { indexByNumber[$0] } ?? -1 }
        let roots = parents.indices.filter { parents[$0] < 0 }
        guard roots.count == 1 else {
            throw Failure("the region's buses must form one connected subtree; found \(roots.count) roots")
        }
        // Depths by walking up; a walk longer than the bus count means a cycle.
        var depths = [Int](repeating: -1, count: sortedBuses.count)
        depths[roots[0]] = 0
        for start in sortedBuses.indices where depths[start] < 0 {
            var chain: [Int] = []
            var node = start
            while depths[node] < 0 {
                chain.append(node)
                guard chain.count <= sortedBuses.count else {
                    throw Failure("bus \(sortedBuses[start].number): parent links form a cycle")
                }
                node = parents[node]
            }
            for (offset, member) in chain.reversed().enumerated() { depths[member] = depths[node] + offset + 1 }
        }

        let sortedDevices = devices.sorted { $0.key < $1.key }
        var deviceIndex: [PublicKey: Int] = [:]
        for (index, device) in sortedDevices.enumerated() {
            guard deviceIndex.updateValue(index, forKey: device.key) == nil else {
                throw Failure("device \(device.key) is listed twice")
            }
            guard indexByNumber[device.busNumber] != nil else {
                throw Failure("device \(device.key) is bound to bus \(device.busNumber), which is not in the region")
            }
            guard (1...Self.ratedKVAMax).contains(device.ratedKVA),
                (0...device.ratedKVA).contains(device.reactiveCapabilityKVAr)
            else { throw Failure("device \(device.key): rating or reactive capability out of range") }
        }
        if let neighbour {
            guard neighbour.region != region else { throw Failure("a region cannot be its own neighbour") }
            guard indexByNumber[neighbour.couplingBusNumber] != nil else {
                throw Failure("coupling bus \(neighbour.couplingBusNumber) is not in the region")
            }
        }
        guard forwardRegions.count <= Self.forwardRegionsMax else {
            throw Failure("at most \(Self.forwardRegionsMax) forward regions, not \(forwardRegions.count)")
        }
        guard !forwardRegions.contains(region) else { throw Failure("a region cannot forward requests to itself") }
        guard !forwardRegions.contains(.max) else { throw Failure("region \(RegionID.max) is the global chain's") }
        guard Set(forwardRegions).count == forwardRegions.count else {
            throw Failure("forward regions \(forwardRegions) name a region twice")
        }

        if let registryRegion {
            guard registryRegion != region else { throw Failure("a region cannot be its own registry") }
            guard registryRegion != .max else { throw Failure("region \(RegionID.max) is the global chain's") }
        }

        guard remoteBuses.count <= Self.remoteBusesMax else {
            throw Failure("at most \(Self.remoteBusesMax) remote buses, not \(remoteBuses.count)")
        }
        let sortedRemoteBuses = remoteBuses.sorted { $0.number < $1.number }
        var remoteIndex: [UInt16: Int] = [:]
        let reactanceLimits: ClosedRange<Int64> = 0...Self.pathImpedanceMicroPUMax
        for (index, remote) in sortedRemoteBuses.enumerated() {
            guard remote.number > 0 else { throw Failure("remote bus number 0 is reserved for 'no bus'") }
            guard indexByNumber[remote.number] == nil else {
                throw Failure("remote bus \(remote.number) is a bus of this region")
            }
            guard remoteIndex.updateValue(index, forKey: remote.number) == nil else {
                throw Failure("remote bus \(remote.number) is listed twice")
            }
            guard reactanceLimits.contains(remote.reactanceMicroPU) else {
                throw Failure("remote bus \(remote.number): reactance \(remote.reactanceMicroPU) out of range")
            }
            for (bus, reactance) in remote.transferReactanceMicroPU.sorted(by: { $0.key < $1.key }) {
                guard indexByNumber[bus] != nil else {
                    throw Failure("remote bus \(remote.number): transfer reactance to bus \(bus), not in the region")
                }
                guard reactanceLimits.contains(reactance) else {
                    throw Failure(
                        "remote bus \(remote.number): transfer reactance to bus \(bus) (\(reactance)) out of range")
                }
            }
        }

        self.region = region
        self.baseKVA = baseKVA
        self.buses = sortedBuses
        self.devices = sortedDevices
        self.operatorKey = operatorKey
        self.relayKey = relayKey ?? operatorKey
        self.vsiThresholdMicro = vsiThresholdMicro
        self.voltageBandMicroPU = voltageBandMicroPU
        self.dispatchTargetMicroPU = dispatchTargetMicroPU
        self.neighbour = neighbour
        self.forwardRegions = forwardRegions
        self.registryRegion = registryRegion
        self.remoteBuses = sortedRemoteBuses
        self.remoteBusIndexByNumber = remoteIndex
        self.rankingOutputCount = rankingOutputCount
        self.busIndexByNumber = indexByNumber
        self.parentIndex = parents
        self.depth = depths
        self.rootIndex = roots[0]
        self.deviceIndexByKey = deviceIndex
    }

    // MARK: - Topology queries

    public func bus(number: UInt16) -> Bus? { busIndexByNumber[number].map { buses[$0] } }

    public func device(key: PublicKey) -> Device? { deviceIndexByKey[key].map { devices[$0] } }

    public func remoteBus(number: UInt16) -> RemoteBus? { remoteBusIndexByNumber[number].map { remoteBuses[$0] } }

    /// The index threshold that applies at a bus: its own, else the region's.
    public func vsiThresholdMicro(ofBus number: UInt16) -> Int64 {
        bus(number: number)?.vsiThresholdMicro ?? vsiThresholdMicro
    }

    /// The region's root bus: the one whose parent lies outside the region.
    public var rootBusNumber: UInt16 { buses[rootIndex].number }

    /// Deepest bus on both buses' paths to the region root; nil if either bus is not in the region.
    public func commonAncestor(of first: UInt16, and second: UInt16) -> UInt16? {
        guard var a = busIndexByNumber[first], var b = busIndexByNumber[second] else { return nil }
        while depth[a] > depth[b] { a = parentIndex[a] }
        while depth[b] > depth[a] { b = parentIndex[b] }
        while a != b {
            a = parentIndex[a]
            b = parentIndex[b]
        }
        return buses[a].number
    }

    /// Reactance shared by the two buses' paths from the substation: the path reactance of their deepest common
    /// ancestor (the X_ij of the linearised DistFlow model, Baran and Wu 1989). For `first == second` it is the
    /// bus's own path reactance.
    public func sharedReactanceMicroPU(_ first: UInt16, _ second: UInt16) -> Int64? {
        commonAncestor(of: first, and: second).flatMap { bus(number: $0)?.pathReactanceMicroPU }
    }

    /// Largest |P| or |Q| a report may carry, in W or VAr.
    public var measurementPowerMax: Int64 { Self.measurementPowerPUMax * baseKVA * 1_000 }
}

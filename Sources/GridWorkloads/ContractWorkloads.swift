import Foundation
import GridContracts
import GridCrypto
import GridLedger
import GridLoad
import GridModel
import GridRegion
import GridTopology

/// What an off-chain agent's transaction is for, where the simulator needs to react to its outcome.
package enum WorkloadPurpose: Hashable {
    case voltageDispatch
    case auctionClose(region: Int, interval: UInt64)
    case auctionClear
}

/// A transaction an off-chain agent wants sent through the ordinary client path.
package struct WorkloadSubmission {
    package var transaction: Transaction
    package var region: Int
    /// Index of the validator of `region` the sender talks to (taken modulo the region's validator count).
    package var gatewayValidator: Int
    package var purpose: WorkloadPurpose?
}

// MARK: - Voltage

/// The devices and operators of the voltage workload (design brief, section 5): every reporting period, one radial
/// power flow per feeder copy over the whole feeder gives each device its bus measurement; the devices' reactive
/// output is the IEEE 1547 Volt-VAR response to their last measured voltage plus the set-point committed on chain
/// (within capability), so the next period's measurements respond to what the contract decided (closed loop). A second power flow with the
/// set-points forced to zero (Volt-VAR only) runs alongside as the no-control baseline.
///
/// Genesis: region `r` is zone `r % zones` of feeder copy `r / zones` (`Feeder.replicated`); its configuration has
/// the zone's buses with their path impedances from the substation, one device per bus with load (times
/// `devicesPerBus`), rated at the bus's peak apparent load with 44 % reactive capability (the Category B minimum),
/// and the operator key `operator/voltage/<region>`. Everything is derived from the topology and its seed, so all
/// validators of a region get identical configurations.
package final class VoltageWorkloadDriver {
    package struct Device {
        package let key: KeyPair
        package let region: Int
        package let copy: Int
        /// Bus number on the copy (1...33 on copy 0, 34...66 on copy 1, ...).
        package let busNumber: Int
        package let busIndex: Int
        package let ratedKVA: Int64
        package let capabilityVAr: Int64
        package let solar: SolarProfile
        package let gatewayValidator: Int
        package var nonce: UInt64 = 0
        package var sequence: UInt64 = 0
        package var setpointVAr: Int64 = 0
        package var outputVAr: Int64 = 0
        package var lastVoltageMicroPU: Int64 = 1_000_000
        package var lastBaselineVoltageMicroPU: Int64 = 1_000_000
    }

    /// One device's measurement of its bus for one period.
    package struct Report {
        package var device: Int
        package var voltageMicroPU: Int64
        package var angleMicroRad: Int64
        package var pWatts: Int64
        package var qVAr: Int64
    }

    /// PV on a device's bus as a share of its rating: evening runs see little of it, noon runs a lot.
    package static let pvShareOfRating = 0.5
    package static let reactiveCapabilityShare = 0.44
    package static let bandLowerPU = 0.95

    package let settings: Topology.VoltageWorkload
    package let chainID: ChainID
    package let feeders: [Feeder]
    /// The meshed network (feeder ieee30) and its copies; nil (and no copies) on a radial feeder.
    package let meshed: MeshedVoltageLayout?
    package let meshedCopies: Int
    /// One per region that holds a zone: every region but the registry's (the last), when there is one.
    package let configurations: [VoltageStabilityConfiguration]
    /// The voltage registry the last region runs (`workload.voltage.registryRegion`), if any.
    package let registry: VoltageRegistryConfiguration?
    package private(set) var devices: [Device] = []
    private let operatorKeys: [KeyPair]
    private var operatorNonces: [UInt64]
    /// Household load profile per feeder copy and bus index.
    private let loadProfiles: [[LoadProfile]]
    /// Devices per feeder copy and bus index.
    private var devicesAtBus: [[[Int]]]

    // Outcome.
    package private(set) var periods = 0
    package private(set) var measuredPeriods = 0
    package var reportsSent: UInt64 = 0
    package var dispatchesSent: UInt64 = 0
    package var dispatchesCommitted: UInt64 = 0
    private var setpointChanges: UInt64 = 0
    private var weakest = (voltagePU: Double.infinity, bus: 0)
    private var weakestBaseline = (voltagePU: Double.infinity, bus: 0)
    private var finalWeakest = (control: 1.0, baseline: 1.0)
    private var periodsBelowBand = 0
    private var periodsBelowBandBaseline = 0
    // Meshed network only: highest solved voltage, lowest margin-ratio index, periods with a bus off its limits.
    private var highestVoltagePU = -Double.infinity
    private var weakestIndex = (index: Double.infinity, bus: 0)
    private var periodsOutsideLimits = 0
    private var periodsOutsideLimitsBaseline = 0
    /// Periods (warm-up included) in which Newton-Raphson did not converge, with control and in the baseline.
    private var powerFlowFailures = 0
    private var powerFlowFailuresBaseline = 0
    /// Lowest voltage and index per region (meshed network only).
    private var zoneExtremes = MeshedZoneExtremes()

    /// The zone a zone asks for reactive power, and the bus of the asking zone closest to it: the upstream zone
    /// (coupled at this zone's attachment bus), or for the zone at the substation the first zone it feeds (coupled
    /// at the bus feeding that zone).
    package static func neighbour(of zoneIndex: Int, zones: [Zone], feeder: Feeder) -> (zone: Int, couplingBus: Int)? {
        func zone(containing bus: Int) -> Int? { zones.firstIndex { $0.buses.contains(bus) } }
        let attachment = zones[zoneIndex].attachmentBus
        if let parent = feeder.parent(ofBus: attachment), let upstream = zone(containing: parent) {
            return (upstream, attachment)
        }
        for (index, other) in zones.enumerated() where index != zoneIndex {
            if let parent = feeder.parent(ofBus: other.attachmentBus), zone(containing: parent) == zoneIndex {
                return (index, parent)
            }
        }
        return nil
    }

    package init(topology: Topology, chainID: ChainID) throws(WorkloadError) {
        settings = topology.workload.voltageSettings
        self.chainID = chainID
        if settings.feeder == .ieee30 {
            let setup = try Self.meshedSetup(topology: topology, settings: settings)
            feeders = []
            meshed = setup.layout
            meshedCopies = setup.copies
            devices = setup.devices
            devicesAtBus = setup.devicesAtBus
            loadProfiles = setup.loadProfiles
            configurations = setup.configurations
            registry = setup.registry
            operatorKeys = setup.operatorKeys
            operatorNonces = Array(repeating: 0, count: setup.operatorKeys.count)
            zoneExtremes = MeshedZoneExtremes(
                layout: setup.layout, regions: topology.regions.prefix(setup.configurations.count).map(\.name))
            return
        }
        meshed = nil
        meshedCopies = 0
        registry = nil
        let zoning: Zoning
        switch settings.zoning(regionCount: topology.regions.count) {
        case .fourZones: zoning = .ieee33FourZones
        case .threeZones: zoning = .ieee33ThreeZones
        case .honari, .honariUnsharded:
            throw .setup(
                "voltage workload: zoning \(settings.zoning(regionCount: topology.regions.count).rawValue) needs feeder ieee30"
            )
        case .single:
            let feeder = Feeder.ieee33()
            zoning = Zoning(
                name: "single", zones: [Zone(id: 0, name: "all", buses: feeder.busNumbers, attachmentBus: 1)])
        }
        let regionCount = topology.regions.count
        let zoneCount = zoning.zones.count
        guard regionCount % zoneCount == 0 else {
            throw .setup("voltage workload: \(regionCount) regions are not a multiple of \(zoneCount) zones")
        }
        let base = Feeder.ieee33()
        feeders = base.replicated(copies: regionCount / zoneCount)
        let seed = topology.seed
        loadProfiles = feeders.map { feeder in
            feeder.buses.enumerated().map { index, bus in
                // Bus i (0-based) gets household type i, so neighbouring buses peak at different times.
                LoadProfile.household(type: index, jitterSeed: seed &+ UInt64(bus.number))
            }
        }
        devicesAtBus = feeders.map { Array(repeating: [], count: $0.busCount) }
        var configurations: [VoltageStabilityConfiguration] = []
        var operatorKeys: [KeyPair] = []
        let vsiThresholdMicro = Int64((settings.vsiThreshold * 1e6).rounded())
        for (regionIndex, region) in topology.regions.enumerated() {
            let copy = regionIndex / zoneCount
            let feeder = feeders[copy]
            let zone = zoning.offset(by: feeder.busNumberOffset).zones[regionIndex % zoneCount]
            let operatorKey = KeyPair.derived(masterSeed: seed, label: "operator/voltage/\(region.name)")
            operatorKeys.append(operatorKey)
            var builder = VoltageStabilityConfiguration.Builder(
                region: RegionID(regionIndex), baseVoltageVolts: Int64((feeder.baseKV * 1_000).rounded()),
                baseKVA: Int64(feeder.baseKVA.rounded()), operatorKey: operatorKey.publicKey,
                vsiThresholdMicro: vsiThresholdMicro)
            if topology.global != nil, zoneCount > 1 {
                // With a global layer, a region short of reactive power asks its electrical neighbour, and only
                // the global layer may deliver such requests.
                builder.relayKey = RegionApplication.globalLayerSender
                let zones = zoning.offset(by: feeder.busNumberOffset).zones
                if let (neighbourZone, couplingBus) = Self.neighbour(
                    of: regionIndex % zoneCount, zones: zones, feeder: feeder)
                {
                    builder.neighbour = .init(
                        region: RegionID(copy * zoneCount + neighbourZone), couplingBusNumber: UInt16(couplingBus))
                }
            }
            do {
                for branch in feeder.branches {
                    try builder.addBranch(
                        fromBus: UInt16(branch.fromBus), toBus: UInt16(branch.toBus),
                        resistanceOhm: branch.resistanceOhm, reactanceOhm: branch.reactanceOhm)
                }
                var local = 0
                for busNumber in zone.buses.sorted() {
                    guard let busIndex = feeder.index(ofBus: busNumber) else { continue }
                    let bus = feeder.buses[busIndex]
                    let apparentKVA = (bus.loadPKW * bus.loadPKW + bus.loadQKVar * bus.loadQKVar).squareRoot()
                    // The substation bus has no load and a fixed voltage: nothing there to measure or control.
                    guard apparentKVA > 0 else { continue }
                    let ratedKVA = max(1, Int64((apparentKVA / Double(settings.devicesPerBus)).rounded()))
                    let capabilityKVAr = Int64((Double(ratedKVA) * Self.reactiveCapabilityShare).rounded())
                    for slot in 0..<settings.devicesPerBus {
                        let key = KeyPair.derived(
                            masterSeed: seed, label: "device/\(region.name)/bus\(busNumber)/\(slot)")
                        builder.addDevice(
                            key: key.publicKey, busNumber: UInt16(busNumber), ratedKVA: ratedKVA,
                            reactiveCapabilityKVAr: capabilityKVAr)
                        devicesAtBus[copy][busIndex].append(devices.count)
                        devices.append(
                            Device(
                                key: key, region: regionIndex, copy: copy, busNumber: busNumber, busIndex: busIndex,
                                ratedKVA: ratedKVA, capabilityVAr: capabilityKVAr * 1_000,
                                solar: SolarProfile(type: devices.count, cloudSeed: seed &+ UInt64(devices.count)),
                                gatewayValidator: local))
                        local += 1
                    }
                }
                configurations.append(try builder.build(regionBuses: zone.buses.sorted().map { UInt16($0) }))
            } catch {
                throw .setup("voltage configuration of region \(region.name): \(error)")
            }
        }
        self.configurations = configurations
        self.operatorKeys = operatorKeys
        operatorNonces = Array(repeating: 0, count: operatorKeys.count)
    }

    /// Offered transactions per second: every device once per period, plus one dispatch per region and interval.
    package var offeredTps: Double {
        Double(devices.count) / settings.reportingPeriodSeconds
            + (settings.control ? Double(configurations.count) / settings.controlIntervalSeconds : 0)
    }

    /// The reactive output of a device: the Volt-VAR curve's response plus its committed set-point, within its
    /// capability. The contract does not see the autonomous response, so a set-point adds to it rather than
    /// replacing it, and a device with a set-point never does less than its curve alone would.
    private static func outputVAr(setpointVAr: Int64, voltVarVAr: Int64, capabilityVAr: Int64) -> Int64 {
        min(capabilityVAr, max(-capabilityVAr, setpointVAr + voltVarVAr))
    }

    /// One reporting period: picks up the committed set-points (`setpoint(device)`, nil when unreadable, e.g. the
    /// gateway is down, which keeps the last one), solves the power flows with and without control, and returns
    /// every device's report.
    package func period(
        atSeconds timeSeconds: Double, inMeasuredWindow: Bool, setpoint: (Int) -> Int64?
    ) throws(WorkloadError) -> [Report] {
        periods += 1
        if inMeasuredWindow { measuredPeriods += 1 }
        let curve = VoltVarCurve.ieee1547CategoryB
        for index in devices.indices {
            if let committed = setpoint(index), committed != devices[index].setpointVAr {
                setpointChanges += 1
                devices[index].setpointVAr = committed
            }
        }
        let secondOfDay = settings.startHour * 3_600 + timeSeconds
        var reports: [Report] = []
        reports.reserveCapacity(devices.count)
        var periodWeakest = (control: Double.infinity, baseline: Double.infinity)
        for (copy, feeder) in feeders.enumerated() {
            var control: [BusInjection] = []
            var baseline: [BusInjection] = []
            for (busIndex, bus) in feeder.buses.enumerated() {
                let multiplier = loadProfiles[copy][busIndex].multiplier(atSecondOfDay: secondOfDay)
                let scaled = multiplier * settings.loadScale
                var injection = BusInjection.load(pKW: bus.loadPKW * scaled, qKVar: bus.loadQKVar * scaled)
                var baselineQKVar = 0.0
                var controlQKVar = 0.0
                for deviceIndex in devicesAtBus[copy][busIndex] {
                    let device = devices[deviceIndex]
                    injection.pKW +=
                        Double(device.ratedKVA) * Self.pvShareOfRating
                        * device.solar.outputFraction(atSecondOfDay: secondOfDay)
                    let voltVar = curve.reactivePowerVAr(
                        voltageMicroPU: device.lastVoltageMicroPU, ratedKVA: device.ratedKVA)
                    let output = Self.outputVAr(
                        setpointVAr: device.setpointVAr, voltVarVAr: voltVar, capabilityVAr: device.capabilityVAr)
                    devices[deviceIndex].outputVAr = output
                    controlQKVar += Double(output) / 1_000
                    let baselineVoltVar = curve.reactivePowerVAr(
                        voltageMicroPU: device.lastBaselineVoltageMicroPU, ratedKVA: device.ratedKVA)
                    baselineQKVar +=
                        Double(min(device.capabilityVAr, max(-device.capabilityVAr, baselineVoltVar))) / 1_000
                }
                control.append(BusInjection(pKW: injection.pKW, qKVar: injection.qKVar + controlQKVar))
                baseline.append(BusInjection(pKW: injection.pKW, qKVar: injection.qKVar + baselineQKVar))
            }
            let controlled: PowerFlowResult
            let uncontrolled: PowerFlowResult
            do {
                controlled = try feeder.solvePowerFlow(injections: control)
                uncontrolled = try feeder.solvePowerFlow(injections: baseline)
            } catch {
                throw .setup("voltage workload power flow of \(feeder.name) at \(timeSeconds) s: \(error)")
            }
            periodWeakest.control = min(periodWeakest.control, controlled.weakestVoltagePU)
            periodWeakest.baseline = min(periodWeakest.baseline, uncontrolled.weakestVoltagePU)
            if inMeasuredWindow {
                if controlled.weakestVoltagePU < weakest.voltagePU {
                    weakest = (controlled.weakestVoltagePU, controlled.weakestBus)
                }
                if uncontrolled.weakestVoltagePU < weakestBaseline.voltagePU {
                    weakestBaseline = (uncontrolled.weakestVoltagePU, uncontrolled.weakestBus)
                }
            }
            // Each device reports its bus's measurement as the contract stores it: one per bus (the latest report
            // stands for the bus), the bus's whole net load, positive when it consumes.
            appendReports(
                devicesAtBus: devicesAtBus[copy],
                controlled: { (controlled.buses[$0].voltagePU, controlled.buses[$0].angleRad) },
                uncontrolledVoltagePU: { uncontrolled.buses[$0].voltagePU },
                netLoadWatts: { (control[$0].netLoadPKW * 1_000, control[$0].netLoadQKVar * 1_000) }, to: &reports)
        }
        if let meshed {
            let limits = try meshedPeriod(
                meshed, secondOfDay: secondOfDay, inMeasuredWindow: inMeasuredWindow, curve: curve,
                weakest: &periodWeakest, reports: &reports)
            if inMeasuredWindow {
                if limits.control { periodsOutsideLimits += 1 }
                if limits.baseline { periodsOutsideLimitsBaseline += 1 }
            }
        }
        // A period without any converged flow keeps the last weakest voltage (the failure is counted instead).
        finalWeakest = (
            periodWeakest.control.isFinite ? periodWeakest.control : finalWeakest.control,
            periodWeakest.baseline.isFinite ? periodWeakest.baseline : finalWeakest.baseline
        )
        if inMeasuredWindow {
            if periodWeakest.control < Self.bandLowerPU { periodsBelowBand += 1 }
            if periodWeakest.baseline < Self.bandLowerPU { periodsBelowBandBaseline += 1 }
        }
        return reports.sorted { $0.device < $1.device }
    }

    /// One report per device: its bus's voltage and angle from the controlled power flow and the bus's net load
    /// (watts and var, positive when consuming); remembers both flows' voltages for the devices' Volt-VAR curves.
    private func appendReports(
        devicesAtBus: [[Int]], controlled: (Int) -> (voltagePU: Double, angleRad: Double),
        uncontrolledVoltagePU: (Int) -> Double, netLoadWatts: (Int) -> (p: Double, q: Double),
        to reports: inout [Report]
    ) {
        for (busIndex, deviceIndices) in devicesAtBus.enumerated() where !deviceIndices.isEmpty {
            let state = controlled(busIndex)
            let voltageMicroPU = Int64((state.voltagePU * 1e6).rounded())
            let baselineMicroPU = Int64((uncontrolledVoltagePU(busIndex) * 1e6).rounded())
            let load = netLoadWatts(busIndex)
            for deviceIndex in deviceIndices {
                devices[deviceIndex].lastVoltageMicroPU = voltageMicroPU
                devices[deviceIndex].lastBaselineVoltageMicroPU = baselineMicroPU
                reports.append(
                    Report(
                        device: deviceIndex, voltageMicroPU: voltageMicroPU,
                        angleMicroRad: Int64((state.angleRad * 1e6).rounded()),
                        pWatts: Int64(load.p.rounded()), qVAr: Int64(load.q.rounded())))
            }
        }
    }

    package func reportSubmission(_ report: Report) -> WorkloadSubmission {
        devices[report.device].nonce += 1
        devices[report.device].sequence += 1
        let device = devices[report.device]
        let transaction = Transaction(
            chainID: chainID, region: RegionID(device.region), signer: device.key, nonce: device.nonce,
            contract: VoltageStabilityContract.contractName, method: VoltageStabilityContract.reportMethod,
            arguments: VoltageStabilityContract.reportArguments(
                busNumber: UInt16(device.busNumber), sequence: device.sequence, voltageMicroPU: report.voltageMicroPU,
                angleMicroRad: report.angleMicroRad, pWatts: report.pWatts, qVAr: report.qVAr))
        reportsSent += 1
        return WorkloadSubmission(
            transaction: transaction, region: device.region, gatewayValidator: device.gatewayValidator, purpose: nil)
    }

    package func dispatchSubmission(region: Int, interval: UInt64) -> WorkloadSubmission {
        operatorNonces[region] += 1
        let transaction = Transaction(
            chainID: chainID, region: RegionID(region), signer: operatorKeys[region], nonce: operatorNonces[region],
            contract: VoltageStabilityContract.contractName, method: VoltageStabilityContract.dispatchMethod,
            arguments: VoltageStabilityContract.dispatchArguments(intervalIndex: interval))
        dispatchesSent += 1
        return WorkloadSubmission(
            transaction: transaction, region: region, gatewayValidator: 0, purpose: .voltageDispatch)
    }

    package var outcome: RunResult.VoltageOutcome {
        let withSetpoint = devices.filter { $0.setpointVAr != 0 }
        return RunResult.VoltageOutcome(
            control: settings.control, periods: measuredPeriods, reportsSent: reportsSent,
            dispatchesSent: dispatchesSent, dispatchesCommitted: dispatchesCommitted,
            weakestVoltagePU: weakest.voltagePU.isFinite ? weakest.voltagePU : finalWeakest.control,
            weakestBus: weakest.bus,
            weakestVoltageBaselinePU: weakestBaseline.voltagePU.isFinite
                ? weakestBaseline.voltagePU : finalWeakest.baseline,
            weakestBusBaseline: weakestBaseline.bus, finalWeakestVoltagePU: finalWeakest.control,
            finalWeakestVoltageBaselinePU: finalWeakest.baseline, periodsBelowBand: periodsBelowBand,
            periodsBelowBandBaseline: periodsBelowBandBaseline, setpointChanges: setpointChanges,
            devicesWithSetpoint: withSetpoint.count,
            reactiveSetpointKVAr: Double(withSetpoint.reduce(Int64(0)) { $0 + $1.setpointVAr }) / 1_000,
            network: meshed.map(\.network.name),
            highestVoltagePU: meshed == nil || !highestVoltagePU.isFinite ? nil : highestVoltagePU,
            lowestStabilityIndex: meshed == nil || !weakestIndex.index.isFinite ? nil : weakestIndex.index,
            lowestStabilityIndexBus: meshed == nil || !weakestIndex.index.isFinite ? nil : weakestIndex.bus,
            periodsOutsideLimits: meshed == nil ? nil : periodsOutsideLimits,
            periodsOutsideLimitsBaseline: meshed == nil ? nil : periodsOutsideLimitsBaseline,
            loadScale: settings.loadScale == 1 ? nil : settings.loadScale,
            powerFlowFailures: meshed == nil ? nil : powerFlowFailures,
            powerFlowFailuresBaseline: meshed == nil ? nil : powerFlowFailuresBaseline,
            regions: meshed == nil ? nil : zoneExtremes.outcomes)
    }

    /// One reporting period on the meshed network: per copy, the net loads (household profile times the bus's
    /// demand, less PV, less the devices' reactive output) solved by Newton-Raphson with and without the committed
    /// set-points, and every device's report (net load as the contract expects it: positive = consumption).
    /// Returns whether any bus left its limits (`MeshedVoltageLayout`) with and without control.
    private func meshedPeriod(
        _ meshed: MeshedVoltageLayout, secondOfDay: Double, inMeasuredWindow: Bool, curve: VoltVarCurve,
        weakest periodWeakest: inout (control: Double, baseline: Double), reports: inout [Report]
    ) throws(WorkloadError) -> (control: Bool, baseline: Bool) {
        let network = meshed.network
        var outside = (control: false, baseline: false)
        var notConverged = (control: false, baseline: false)
        defer {
            if notConverged.control { powerFlowFailures += 1 }
            if notConverged.baseline { powerFlowFailuresBaseline += 1 }
        }
        for copy in 0..<meshedCopies {
            var pMW = [Double](repeating: 0, count: network.buses.count)
            var controlQMVar = pMW
            var baselineQMVar = pMW
            for (busIndex, bus) in network.buses.enumerated() {
                let multiplier =
                    loadProfiles[copy][busIndex].multiplier(atSecondOfDay: secondOfDay) * settings.loadScale
                pMW[busIndex] = bus.demandPMW * multiplier
                controlQMVar[busIndex] = bus.demandQMVar * multiplier
                baselineQMVar[busIndex] = bus.demandQMVar * multiplier
                for deviceIndex in devicesAtBus[copy][busIndex] {
                    let device = devices[deviceIndex]
                    pMW[busIndex] -=
                        Double(device.ratedKVA) * Self.pvShareOfRating
                        * device.solar.outputFraction(atSecondOfDay: secondOfDay) / 1_000
                    let voltVar = curve.reactivePowerVAr(
                        voltageMicroPU: device.lastVoltageMicroPU, ratedKVA: device.ratedKVA)
                    let output = Self.outputVAr(
                        setpointVAr: device.setpointVAr, voltVarVAr: voltVar, capabilityVAr: device.capabilityVAr)
                    devices[deviceIndex].outputVAr = output
                    controlQMVar[busIndex] -= Double(output) / 1e6
                    let baselineVoltVar = curve.reactivePowerVAr(
                        voltageMicroPU: device.lastBaselineVoltageMicroPU, ratedKVA: device.ratedKVA)
                    baselineQMVar[busIndex] -=
                        Double(min(device.capabilityVAr, max(-device.capabilityVAr, baselineVoltVar))) / 1e6
                }
            }
            // Past the network's loadability limit (a large `loadScale`) Newton-Raphson finds no operating point:
            // voltage collapse. That is an outcome of the run, counted per period, not a failure of the simulator;
            // the devices then have nothing to measure and skip the period's reports.
            let controlled: NetworkPowerFlowResult?
            let uncontrolled: NetworkPowerFlowResult?
            do {
                controlled = try network.replacingNetLoads(pMW: pMW, qMVar: controlQMVar).solveNewtonRaphson()
            } catch .didNotConverge {
                controlled = nil
            } catch {
                throw .setup(
                    "voltage workload power flow of \(network.name) copy \(copy) at \(secondOfDay) s: \(error)")
            }
            do {
                uncontrolled = try network.replacingNetLoads(pMW: pMW, qMVar: baselineQMVar).solveNewtonRaphson()
            } catch .didNotConverge {
                uncontrolled = nil
            } catch {
                throw .setup(
                    "voltage workload baseline power flow of \(network.name) copy \(copy) at \(secondOfDay) s: "
                        + "\(error)")
            }
            if controlled == nil { notConverged.control = true }
            if uncontrolled == nil { notConverged.baseline = true }
            let offset = copy * meshed.stride
            for (busIndex, bus) in network.buses.enumerated() {
                if let controlled {
                    let voltage = controlled.buses[busIndex].voltagePU
                    periodWeakest.control = min(periodWeakest.control, voltage)
                    if !meshed.withinLimits(busIndex: busIndex, voltagePU: voltage) { outside.control = true }
                    if inMeasuredWindow {
                        if voltage < weakest.voltagePU { weakest = (voltage, bus.number + offset) }
                        highestVoltagePU = max(highestVoltagePU, voltage)
                        zoneExtremes.noteVoltage(
                            voltage, busIndex: busIndex, busNumber: bus.number + offset, copy: copy)
                    }
                }
                if let uncontrolled {
                    let baselineVoltage = uncontrolled.buses[busIndex].voltagePU
                    periodWeakest.baseline = min(periodWeakest.baseline, baselineVoltage)
                    if !meshed.withinLimits(busIndex: busIndex, voltagePU: baselineVoltage) { outside.baseline = true }
                    if inMeasuredWindow, baselineVoltage < weakestBaseline.voltagePU {
                        weakestBaseline = (baselineVoltage, bus.number + offset)
                    }
                }
            }
            guard let controlled else { continue }
            if inMeasuredWindow {
                for entry in meshed.stabilityIndices(
                    result: controlled, netLoadPMW: pMW, netLoadQMVar: controlQMVar)
                {
                    let busNumber = network.buses[entry.busIndex].number + offset
                    if entry.index < weakestIndex.index { weakestIndex = (entry.index, busNumber) }
                    zoneExtremes.noteIndex(entry.index, busIndex: entry.busIndex, busNumber: busNumber, copy: copy)
                }
            }
            // Every device measures its whole bus (as a PMU at the bus would): the contract keeps one measurement
            // per bus, so a share of the bus's load would make the bus look lightly loaded and its index too high.
            // Without a converged baseline the devices' baseline voltages stay as last measured.
            appendReports(
                devicesAtBus: devicesAtBus[copy],
                controlled: { (controlled.buses[$0].voltagePU, controlled.buses[$0].angleRad) },
                uncontrolledVoltagePU: { busIndex in
                    uncontrolled?.buses[busIndex].voltagePU
                        ?? devicesAtBus[copy][busIndex].first.map {
                            Double(self.devices[$0].lastBaselineVoltageMicroPU) / 1e6
                        } ?? 1
                },
                netLoadWatts: { (pMW[$0] * 1e6, controlQMVar[$0] * 1e6) }, to: &reports)
        }
        return outside
    }
}

// MARK: - Auction

/// The participants and operators of the energy auction (CE-SDT): per region `participantsPerRegion` households,
/// the first `prosumerShare` of them prosumers with a 5 kW PV system. Each interval every household bids its net
/// energy over the interval from its load profile (and PV output), prosumers with surplus offer it; prices are drawn
/// (seeded) between the feed-in and the grid tariff. The operator `operator/auction/<region>` closes the interval at
/// its end and clears it as soon as the close is committed.
package final class AuctionWorkloadDriver {
    package struct Participant {
        package let key: KeyPair
        package let region: Int
        package let prosumer: Bool
        package let load: LoadProfile
        package let solar: SolarProfile
        package let gatewayValidator: Int
        package var nonce: UInt64 = 0
    }

    /// Flat tariffs (one time-of-use slot): intervals of seconds do not move through a day's tariff table.
    package static let gridTariffMicrosPerKWh: Int64 = 300_000
    package static let feedInTariffMicrosPerKWh: Int64 = 80_000
    package static let initialBalanceMicros: Int64 = 100_000_000
    /// A household's peak demand; the load profile scales it over the day.
    package static let householdPeakKW = 4.0

    package let settings: Topology.AuctionWorkload
    package let chainID: ChainID
    package let contracts: [EnergyAuctionContract]
    package private(set) var participants: [Participant] = []
    private let operatorKeys: [KeyPair]
    private var operatorNonces: [UInt64]
    private var random: DeterministicRandom
    package var bidsSent: UInt64 = 0
    package let replay: AuctionReplay?

    package init(topology: Topology, chainID: ChainID, replay: AuctionReplay? = nil) throws(WorkloadError) {
        settings = topology.workload.auctionSettings
        self.chainID = chainID
        self.replay = replay
        let seed = topology.seed
        random = DeterministicRandom(seed: seed ^ 0xA0C7_1011)
        if let replay {
            guard topology.regions.count == 1, replay.contract.configuration.region == 0 else {
                throw .setup("an auction replay needs a topology with one region and a contract for region 0")
            }
            contracts = [replay.contract]
            operatorKeys = [replay.operatorKey]
            operatorNonces = [0]
            return
        }
        let prosumersPerRegion = Int((Double(settings.participantsPerRegion) * settings.prosumerShare).rounded())
        let rule: EnergyAuctionConfiguration.ClearingRule =
            switch settings.clearingRule {
            case .payAsOffer: .payAsOffer
            case .uniformPrice: .uniformPrice
            case .discriminatoryPayAsBid: .payAsBid
            }
        var contracts: [EnergyAuctionContract] = []
        var operatorKeys: [KeyPair] = []
        for (regionIndex, region) in topology.regions.enumerated() {
            let operatorKey = KeyPair.derived(masterSeed: seed, label: "operator/auction/\(region.name)")
            operatorKeys.append(operatorKey)
            var registered: [PublicKey: EnergyAuctionConfiguration.Participant] = [:]
            for local in 0..<settings.participantsPerRegion {
                let key = KeyPair.derived(masterSeed: seed, label: "participant/\(region.name)/\(local)")
                let prosumer = local < prosumersPerRegion
                registered[key.publicKey] = .init(
                    prosumer ? .prosumer : .consumer, initialBalanceMicros: Self.initialBalanceMicros)
                let household = participants.count
                participants.append(
                    Participant(
                        key: key, region: regionIndex, prosumer: prosumer,
                        load: LoadProfile.household(type: household, jitterSeed: seed &+ UInt64(household)),
                        solar: SolarProfile(type: household, cloudSeed: seed &+ UInt64(household)),
                        gatewayValidator: local))
            }
            // With a global layer, each region offers its residual to the next one (a ring), and only the global
            // layer may deliver those offers and requests.
            let global = topology.global != nil && topology.regions.count > 1
            let configuration = EnergyAuctionConfiguration(
                region: RegionID(regionIndex), operatorKey: operatorKey.publicKey, participants: registered,
                gridTariffMicrosPerKWhBySlot: [Self.gridTariffMicrosPerKWh],
                feedInTariffMicrosPerKWh: Self.feedInTariffMicrosPerKWh, clearingRule: rule,
                neighbourRegion: global ? RegionID((regionIndex + 1) % topology.regions.count) : nil,
                relayKey: global ? RegionApplication.globalLayerSender : nil)
            do { contracts.append(try EnergyAuctionContract(configuration: configuration)) } catch {
                throw .setup("auction configuration of region \(region.name): \(error)")
            }
        }
        self.contracts = contracts
        self.operatorKeys = operatorKeys
        operatorNonces = Array(repeating: 0, count: operatorKeys.count)
    }

    /// Offered transactions per second: at most one bid per participant and interval, plus close and clear.
    package var offeredTps: Double {
        if let replay { return replay.transactionsPerInterval / settings.intervalSeconds }
        return Double(participants.count + 2 * contracts.count) / settings.intervalSeconds
    }

    /// The bids of interval `interval`, which starts `timeSeconds` into the run, in participant order.
    package func bids(interval: UInt64, atSeconds timeSeconds: Double) -> [WorkloadSubmission] {
        if let replay {
            let bids = interval < replay.bidsByInterval.count ? replay.bidsByInterval[Int(interval)] : []
            bidsSent += UInt64(bids.count)
            return bids.enumerated().map { position, transaction in
                WorkloadSubmission(transaction: transaction, region: 0, gatewayValidator: position, purpose: nil)
            }
        }
        let secondOfDay = settings.startHour * 3_600 + timeSeconds + settings.intervalSeconds / 2
        let feedIn = Double(Self.feedInTariffMicrosPerKWh)
        let spread = Double(Self.gridTariffMicrosPerKWh - Self.feedInTariffMicrosPerKWh)
        var submissions: [WorkloadSubmission] = []
        for index in participants.indices {
            let participant = participants[index]
            let loadKW = Self.householdPeakKW * participant.load.multiplier(atSecondOfDay: secondOfDay)
            let pvKW = participant.prosumer ? participant.solar.powerKW(atSecondOfDay: secondOfDay) : 0
            let netKW = pvKW - loadKW
            // kW over the interval in Wh: kW * s / 3600 * 1000.
            let energyWh = Int64((abs(netKW) * settings.intervalSeconds / 3.6).rounded())
            let draw = random.nextUnitInterval()
            guard energyWh > 0 else { continue }
            let method: EnergyAuctionContract.Method
            let arguments: [UInt8]
            if netKW > 0 {
                // Sellers ask for less than the grid charges and more than the feed-in tariff pays.
                let price = Int64((feedIn + spread * (0.15 + 0.5 * draw)).rounded())
                method = .offer
                arguments = EnergyAuctionContract.offerArguments(
                    interval: interval, energyWh: energyWh, priceMicrosPerKWh: price)
            } else {
                let limit = Int64((feedIn + spread * (0.35 + 0.65 * draw)).rounded())
                method = .request
                arguments = EnergyAuctionContract.requestArguments(
                    interval: interval, energyWh: energyWh, limitPriceMicrosPerKWh: limit)
            }
            participants[index].nonce += 1
            let transaction = Transaction(
                chainID: chainID, region: RegionID(participant.region), signer: participant.key,
                nonce: participants[index].nonce, contract: EnergyAuctionContract.contractName,
                method: method.rawValue, arguments: arguments)
            submissions.append(
                WorkloadSubmission(
                    transaction: transaction, region: participant.region,
                    gatewayValidator: participant.gatewayValidator, purpose: nil))
        }
        bidsSent += UInt64(submissions.count)
        return submissions
    }

    package func operatorSubmission(
        region: Int, interval: UInt64, method: EnergyAuctionContract.Method, purpose: WorkloadPurpose
    ) -> WorkloadSubmission {
        operatorNonces[region] += 1
        let transaction = Transaction(
            chainID: chainID, region: RegionID(region), signer: operatorKeys[region], nonce: operatorNonces[region],
            contract: EnergyAuctionContract.contractName, method: method.rawValue,
            arguments: EnergyAuctionContract.intervalArguments(interval))
        return WorkloadSubmission(transaction: transaction, region: region, gatewayValidator: 0, purpose: purpose)
    }

    /// The outcome from each region's committed auction table (`read(region, key)`), over `intervals` intervals.
    package func outcome(intervals: UInt64, read: (Int, [UInt8]) -> [UInt8]?) throws(ContractError)
        -> RunResult.AuctionOutcome
    {
        var cleared = 0
        var peerToPeerWh: Int64 = 0
        var gridWh: Int64 = 0
        var feedInWh: Int64 = 0
        var gridPaidMicros: Int64 = 0
        var feedInPaidMicros: Int64 = 0
        var gridOnlyCostMicros: [PublicKey: Int64] = [:]
        for (region, contract) in contracts.enumerated() {
            for interval in 0..<intervals {
                guard let result = contract.clearedResult(interval: interval, reading: { read(region, $0) }) else {
                    continue
                }
                cleared += 1
                var boughtWh: [PublicKey: Int64] = [:]
                var soldWh: [PublicKey: Int64] = [:]
                for trade in result.trades {
                    peerToPeerWh += trade.energyWh
                    if case .account(let buyer) = trade.buyer { boughtWh[buyer, default: 0] += trade.energyWh }
                    if case .account(let seller) = trade.seller { soldWh[seller, default: 0] += trade.energyWh }
                }
                for flow in result.gridPurchases {
                    gridWh += flow.energyWh
                    gridPaidMicros += flow.amountMicros
                    boughtWh[flow.account, default: 0] += flow.energyWh
                }
                for flow in result.feedIns {
                    feedInWh += flow.energyWh
                    feedInPaidMicros += flow.amountMicros
                    soldWh[flow.account, default: 0] += flow.energyWh
                }
                // Grid only: the same energy bought at the grid tariff and sold at the feed-in tariff.
                for (account, energyWh) in boughtWh {
                    gridOnlyCostMicros[account, default: 0] += energyWh * result.gridTariffMicrosPerKWh / 1_000
                }
                for (account, energyWh) in soldWh {
                    gridOnlyCostMicros[account, default: 0] -= energyWh * result.feedInTariffMicrosPerKWh / 1_000
                }
            }
        }
        var balanceChangeMicros: Int64 = 0
        var totals: [Bool: (count: Int, costMicros: Int64, gridOnlyMicros: Int64)] = [:]
        for participant in participants {
            let key = participant.key.publicKey
            let balance =
                try contracts[participant.region].balanceMicros(of: key) { read(participant.region, $0) }
                ?? Self.initialBalanceMicros
            let change = balance - Self.initialBalanceMicros
            balanceChangeMicros += change
            var entry = totals[participant.prosumer, default: (0, 0, 0)]
            entry.count += 1
            entry.costMicros -= change
            entry.gridOnlyMicros += gridOnlyCostMicros[key, default: 0]
            totals[participant.prosumer] = entry
        }
        // Inter-region trades move money between regions' participants and the regions' mutual accounts, and
        // pay-as-bid spreads go to each region's community fund; with those accounts counted, money is conserved
        // apart from the grid flows.
        var interRegionMicros: Int64 = 0
        for region in contracts.indices {
            interRegionMicros += try contracts[region].communityFundMicros { read(region, $0) }
            for other in contracts.indices where other != region {
                interRegionMicros += try contracts[region].interRegionBalanceMicros(of: RegionID(other)) {
                    read(region, $0)
                }
            }
        }
        let classes = [false, true].compactMap { prosumer -> RunResult.AuctionOutcome.ClassCost? in
            guard let entry = totals[prosumer], entry.count > 0 else { return nil }
            return RunResult.AuctionOutcome.ClassCost(
                participantClass: prosumer ? "prosumer" : "consumer", participants: entry.count,
                averageCost: Double(entry.costMicros) / Double(entry.count) / 1e6,
                averageCostGridOnly: Double(entry.gridOnlyMicros) / Double(entry.count) / 1e6)
        }
        return RunResult.AuctionOutcome(
            clearingRule: settings.clearingRule.rawValue, intervalsCleared: cleared, bidsSent: bidsSent,
            peerToPeerKWh: Double(peerToPeerWh) / 1_000, fromGridKWh: Double(gridWh) / 1_000,
            feedInKWh: Double(feedInWh) / 1_000, classes: classes,
            balanceResidualMicros: balanceChangeMicros - feedInPaidMicros + gridPaidMicros + interRegionMicros)
    }
}

import GridContracts
import GridLedger
import GridTopology
import GridWorkloads

/// How an offered rate (a capacity probe's, or `run --rate`) becomes a workload, for every workload kind.
///
/// - `transfer`: a fixed rate of that many transactions per second (the rate controller is replaced).
/// - `voltage`: the rate sets the **device population**. Reports arrive at `devices / reportingPeriodSeconds`, so
///   the devices per bus become `ceil(rate x period / loaded buses)` (at least 1, at most what
///   `Topology.VoltageWorkload.devicesPerRegionMax` devices per region allow); when even that many devices at the
///   topology's period cannot offer the rate, the reporting period shrinks instead (to no less than
///   ``periodSecondsMin``). The period is then set so that devices / period plus the operators' dispatches (one
///   per region and control interval) is the rate exactly. The control interval stays the topology's, unless
///   the period grows past it: then dispatches follow every period.
/// - `auction`: the rate sets the **participants per region** at the topology's interval, `ceil(rate x interval /
///   regions)` less the operator's close and clear, at most `Topology.AuctionWorkload.participantsPerRegionMax`;
///   beyond that the interval shrinks (no less than ``periodSecondsMin``, and whole intervals must fit the run).
/// - `mix`: the rate is split by the mix weights: `voltage / (sum)` of it scales the voltage part and
///   `auction / (sum)` the auction part as above, and the transfer part follows from them as the mix defines it,
///   so the total offered is the rate.
///
/// Every limit is the topology's own (the same checks as a file), so a rate that no workload of this shape can
/// offer is refused with the limit it hit.
public enum WorkloadScaling {
    /// Shortest reporting period or auction interval a scaled workload uses: 0.1 s, so that one period still
    /// holds many transactions and the off-chain power flow per period stays off the hot path.
    public static let periodSecondsMin = 0.1

    /// The offered rate of the topology's workload as written: the rate controller's highest rate for transfers
    /// (1000 for closed loop, which has none), the populations' rate for contract workloads.
    public static func nominalOfferedTps(_ topology: Topology) throws -> Double {
        let workload = topology.workload
        switch workload.kind {
        case .transfer:
            switch workload.rate {
            case .fixed(let tps), .poisson(let tps): return tps
            case .ramp(let from, let to): return max(from, to)
            case .step(let steps): return steps.map(\.tps).max() ?? 1
            case .closedLoop: return 1000
            }
        default:
            let voltage =
                workload.runsVoltage
                ? try SimulationError.setup { () throws(WorkloadError) in
                    try VoltageWorkloadDriver(topology: topology, chainID: 1).offeredTps
                } : 0
            let auction =
                workload.runsAuction
                ? try SimulationError.setup { () throws(WorkloadError) in
                    try AuctionWorkloadDriver(topology: topology, chainID: 1).offeredTps
                } : 0
            guard workload.kind == .mix else { return voltage + auction }
            let mix = workload.mixSettings
            let drivenWeight = (workload.runsVoltage ? mix.voltage : 0) + (workload.runsAuction ? mix.auction : 0)
            return (voltage + auction) * (1 + (drivenWeight > 0 ? mix.transfer / drivenWeight : 0))
        }
    }

    /// The topology with its workload scaled to offer `tps` transactions per second (see the type's notes).
    public static func topology(_ topology: Topology, offeredTps tps: Double) throws -> Topology {
        guard tps.isFinite, tps > 0 else { throw SimulationError.setup("offered rate must be above 0, got \(tps)") }
        var result = topology
        let workload = topology.workload
        switch workload.kind {
        case .transfer:
            return try topology.applying(TopologyOverrides(tps: tps))
        case .voltage:
            result.workload.voltage = try scaledVoltage(topology, tps: tps)
        case .auction:
            result.workload.auction = try scaledAuction(topology, tps: tps)
        case .mix:
            let mix = workload.mixSettings
            let weights =
                mix.transfer + (workload.runsVoltage ? mix.voltage : 0) + (workload.runsAuction ? mix.auction : 0)
            if workload.runsVoltage {
                result.workload.voltage = try scaledVoltage(topology, tps: tps * mix.voltage / weights)
            }
            if workload.runsAuction {
                result.workload.auction = try scaledAuction(topology, tps: tps * mix.auction / weights)
            }
        }
        do { return try result.applying(TopologyOverrides()) } catch {
            throw SimulationError.setup("offered rate \(tps) tx/s: \(error)")
        }
    }

    /// `tps` is the voltage part's whole rate: reports plus the operators' dispatches.
    static func scaledVoltage(_ topology: Topology, tps: Double) throws -> Topology.VoltageWorkload {
        var settings = topology.workload.voltageSettings
        let driver = try SimulationError.setup { () throws(WorkloadError) in
            try VoltageWorkloadDriver(topology: topology, chainID: 1)
        }
        // Only zones' regions dispatch (a registry region has no operator).
        let zoneRegions = settings.zoneRegionCount(regionCount: topology.regions.count)
        let regions = Double(zoneRegions)
        let loadedBuses = max(1, driver.devices.count / max(1, settings.devicesPerBus))
        let zoning = settings.zoning(regionCount: zoneRegions)
        let perBusMax = max(1, Topology.VoltageWorkload.devicesPerRegionMax / zoning.largestZoneBusCount)
        let dispatchTps = settings.control ? regions / settings.controlIntervalSeconds : 0
        let reportsTps = tps - dispatchTps
        guard reportsTps > 0 else {
            throw SimulationError.setup(
                "voltage workload: \(tps) tx/s is below the operators' dispatches alone (\(dispatchTps) tx/s)")
        }
        let wantedPerBus = Int((reportsTps * settings.reportingPeriodSeconds / Double(loadedBuses)).rounded(.up))
        let perBus = min(perBusMax, max(1, wantedPerBus))
        let devices = Double(perBus * loadedBuses)
        var period = devices / reportsTps
        if settings.control, period > settings.controlIntervalSeconds {
            // Dispatches follow every reporting period at the slowest: one per region and period on top.
            period = (devices + regions) / tps
            settings.controlIntervalSeconds = period
        }
        guard period >= periodSecondsMin else {
            let most = Double(perBusMax * loadedBuses) / periodSecondsMin
            throw SimulationError.setup(
                "voltage workload: \(tps) tx/s needs a reporting period of \(period) s with \(perBus) devices per "
                    + "bus (the most a region holds); the shortest period is \(periodSecondsMin) s, so this topology "
                    + "offers at most \(most) reports/s")
        }
        settings.devicesPerBus = perBus
        settings.reportingPeriodSeconds = period
        return settings
    }

    static func scaledAuction(_ topology: Topology, tps: Double) throws -> Topology.AuctionWorkload {
        var settings = topology.workload.auctionSettings
        let regions = Double(topology.regions.count)
        let maxParticipants = Topology.AuctionWorkload.participantsPerRegionMax
        // Per region and interval: one bid per participant plus the operator's close and clear.
        let wanted = Int((tps * settings.intervalSeconds / regions).rounded(.up)) - 2
        let participants = min(maxParticipants, max(1, wanted))
        let interval = Double(participants + 2) * regions / tps
        guard interval >= periodSecondsMin, interval <= topology.workload.runSeconds else {
            throw SimulationError.setup(
                "auction workload: \(tps) tx/s needs an interval of \(interval) s with \(participants) participants "
                    + "per region; intervals must be in \(periodSecondsMin)...\(topology.workload.runSeconds) s")
        }
        settings.participantsPerRegion = participants
        settings.intervalSeconds = interval
        return settings
    }
}

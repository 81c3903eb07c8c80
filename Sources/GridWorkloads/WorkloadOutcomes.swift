import GridContracts
import GridLedger
import GridLoad
import GridTopology

/// What a runtime needs besides the drivers to run and judge a grid contract workload, computed once for both.
public enum ContractWorkloadPlan {
    /// The transfer part of a `mix` workload, in transactions per second: the fraction `transfer` of the total,
    /// whose other parts' rates follow from their populations (`Topology.WorkloadMix`). 0 for other kinds.
    package static func mixTransferTps(
        _ workload: Topology.Workload, voltage: VoltageWorkloadDriver?, auction: AuctionWorkloadDriver?
    ) -> Double {
        guard workload.kind == .mix else { return 0 }
        let mix = workload.mixSettings
        let drivenTps = (voltage?.offeredTps ?? 0) + (auction?.offeredTps ?? 0)
        let drivenWeight = (voltage == nil ? 0 : mix.voltage) + (auction == nil ? 0 : mix.auction)
        return drivenWeight > 0 ? drivenTps * mix.transfer / drivenWeight : 0
    }

    /// ``mixTransferTps(_:voltage:auction:)`` from the topology alone.
    public static func mixTransferTps(topology: Topology, chainID: ChainID) throws(WorkloadError) -> Double {
        let workload = topology.workload
        guard workload.kind == .mix else { return 0 }
        let voltage = workload.runsVoltage ? try VoltageWorkloadDriver(topology: topology, chainID: chainID) : nil
        let auction = workload.runsAuction ? try AuctionWorkloadDriver(topology: topology, chainID: chainID) : nil
        return mixTransferTps(workload, voltage: voltage, auction: auction)
    }

    /// Every periodic event of the workload's agents in a run, in time order; events at one time in the order
    /// reporting periods, dispatches, auction openings and deadlines. Periods and dispatches start before
    /// `runEndNanos`; auction intervals are whole, so the last deadline may fall on it.
    package static func agenda(
        voltage: VoltageWorkloadDriver?, auction: AuctionWorkloadDriver?, runEndNanos: UInt64
    ) -> [(atNanos: UInt64, event: AgentEvent)] {
        var agenda: [(atNanos: UInt64, event: AgentEvent)] = []
        if let voltage {
            let periodNanos = UInt64(voltage.settings.reportingPeriodSeconds * 1e9)
            var period = 0
            while UInt64(period) * periodNanos < runEndNanos {
                agenda.append((UInt64(period) * periodNanos, .voltagePeriod(period)))
                period += 1
            }
            if voltage.settings.control {
                let intervalNanos = UInt64(voltage.settings.controlIntervalSeconds * 1e9)
                var interval = 1
                while UInt64(interval) * intervalNanos < runEndNanos {
                    agenda.append((UInt64(interval) * intervalNanos, .voltageDispatch(interval)))
                    interval += 1
                }
            }
        }
        if let auction {
            let intervalNanos = UInt64(auction.settings.intervalSeconds * 1e9)
            for interval in 0..<auctionIntervals(auction, runEndNanos: runEndNanos) {
                agenda.append((interval * intervalNanos, .auctionOpen(Int(interval))))
                agenda.append(((interval + 1) * intervalNanos, .auctionClose(Int(interval))))
            }
        }
        return agenda.enumerated().sorted { ($0.element.atNanos, $0.offset) < ($1.element.atNanos, $1.offset) }
            .map(\.element)
    }

    /// Whole auction intervals that end by `runEndNanos`: only those open and close within the run.
    package static func auctionIntervals(_ driver: AuctionWorkloadDriver, runEndNanos: UInt64) -> UInt64 {
        let intervalNanos = UInt64(driver.settings.intervalSeconds * 1e9)
        guard intervalNanos > 0 else { return 0 }
        return runEndNanos / intervalNanos
    }

    /// The workload section of a result from committed contract state: `read(region, contract, key)` is a
    /// region's committed value. Throws when the voltage registry's records do not decode (a broken store, not
    /// zero decisions), naming the region.
    package static func outcome(
        voltage: VoltageWorkloadDriver?, auction: AuctionWorkloadDriver?, auctionIntervals: UInt64,
        regionNames: [String], read: (Int, String, [UInt8]) -> [UInt8]?
    ) throws -> RunResult.WorkloadOutcome? {
        guard voltage != nil || auction != nil else { return nil }
        let auctionOutcome = try auction?.outcome(intervals: auctionIntervals) { region, key in
            read(region, EnergyAuctionContract.contractName, key)
        }
        var voltageOutcome = voltage?.outcome
        if let registry = voltage?.registry {
            let region = Int(registry.region)
            let read: ([UInt8]) -> [UInt8]? = { read(region, VoltageRegistryContract.contractName, $0) }
            let counters: VoltageRegistryCounters
            var merged: [String] = []
            do {
                counters = try VoltageRegistryContract.counters(read: read)
                for group in registry.groups {
                    guard let partner = try VoltageRegistryContract.mergedPartner(of: group.region, read: read)
                    else { continue }
                    let helper = Int(partner) < regionNames.count ? regionNames[Int(partner)] : String(partner)
                    merged.append("\(regionNames[Int(group.region)])+\(helper)")
                }
            } catch {
                throw WorkloadStateError(
                    region: regionNames[region], reason: "voltage registry state does not decode: \(error)")
            }
            voltageOutcome?.registry = RunResult.VoltageRegistryOutcome(
                region: regionNames[region], updates: counters.updates, searches: counters.searches,
                matched: counters.matched, unmatched: counters.unmatched, merges: counters.merges,
                splits: counters.splits, mergedAtEnd: merged)
        }
        return RunResult.WorkloadOutcome(voltage: voltageOutcome, auction: auctionOutcome)
    }
}

/// A periodic event of the workload's agents (``ContractWorkloadPlan/agenda(voltage:auction:runEndNanos:)``).
package enum AgentEvent: Equatable, Sendable {
    /// Devices measure and report (voltage).
    case voltagePeriod(Int)
    /// Zones' operators dispatch (voltage with control).
    case voltageDispatch(Int)
    /// Households bid (auction).
    case auctionOpen(Int)
    /// The interval's deadline: the operator closes it (auction).
    case auctionClose(Int)
}

/// Committed contract state that does not decode as its contract wrote it.
public struct WorkloadStateError: Error, CustomStringConvertible {
    public var region: String
    public var reason: String

    public var description: String { "region \(region): \(reason)" }
}

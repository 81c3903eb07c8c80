import GridContracts
import GridLedger
import GridRegion
import GridTopology

/// The contracts a topology's workload adds to each region besides transfers: the voltage contract of a region's
/// zone (or the voltage registry, in the registry's region) and the energy auction. Derived from the topology and
/// its seed alone, so every validator of a region, simulated or live, builds identical ones.
public enum WorkloadContracts {
    /// One list per region; empty lists for a transfer workload.
    public static func perRegion(topology: Topology, chainID: ChainID) throws(WorkloadError) -> [[any Contract]] {
        let workload = topology.workload
        let voltage = workload.runsVoltage ? try VoltageWorkloadDriver(topology: topology, chainID: chainID) : nil
        let auction = workload.runsAuction ? try AuctionWorkloadDriver(topology: topology, chainID: chainID) : nil
        return perRegion(regionCount: topology.regions.count, voltage: voltage, auction: auction)
    }

    /// The contracts of the drivers a runtime already built.
    package static func perRegion(
        regionCount: Int, voltage: VoltageWorkloadDriver?, auction: AuctionWorkloadDriver?
    ) -> [[any Contract]] {
        (0..<regionCount).map { region in
            var contracts: [any Contract] = []
            if let voltage, region < voltage.configurations.count {
                contracts.append(VoltageStabilityContract(configuration: voltage.configurations[region]))
            } else if let registry = voltage?.registry, registry.region == region {
                contracts.append(VoltageRegistryContract(configuration: registry))
            }
            if let auction { contracts.append(auction.contracts[region]) }
            return contracts
        }
    }
}

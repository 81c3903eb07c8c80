import Foundation
import GridLoad
import GridTopology

/// One probe of a capacity search (`CapacitySearch`) in the simulator.
public enum SimulatedCapacityProbe {
    /// The topology a probe runs: `base` with its workload scaled to the request's rate (``WorkloadScaling``), and
    /// for a confirmation the next seed, so that it is a different run from the one that found the rate.
    public static func topology(_ base: Topology, request: CapacitySearch.Request) throws -> Topology {
        var topology = try WorkloadScaling.topology(base, offeredTps: request.tps)
        if request.phase == .confirm { topology.seed = base.seed &+ 1 }
        return topology
    }

    /// Runs the probe with model CPU (deterministic); the stores live in `storeDirectory` and are deleted after.
    public static func run(
        _ topology: Topology, profile: MachineProfile, storeDirectory: URL,
        progress: ((SimulationProgress) -> Void)? = nil
    ) throws -> SimulationReport {
        let simulation = try Simulation(
            options: SimulationOptions(
                topology: topology, storeDirectory: storeDirectory, cpuMode: .model, profile: profile))
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        return try simulation.run(progress: progress)
    }
}

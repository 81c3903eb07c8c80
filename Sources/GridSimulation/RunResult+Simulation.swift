import Foundation
import GridLoad
import GridNode
import GridTopology

extension SimulationReport {
    /// The versioned result (`docs/result-schema.md`) of a simulated run; wall-clock facts stay in `wallClock`.
    public func runResult(
        topology: Topology, topologyFile: String, cpuMode: CPUMode, wallClock: RunResult.WallClock?
    ) throws -> RunResult {
        let nodeResults = nodes.map { node in
            var result = RunResult.NodeResult(
                id: node.label, region: node.region, cpuUtilization: node.cpuUtilization,
                queuePeak: UInt64(node.queuePeak), bytesSent: node.bytesSent, lmdbBytesWritten: node.storeBytesWritten,
                committedHeight: node.committedHeight, framesSent: node.framesSent, framesLost: node.framesLost,
                inboxOverflows: UInt64(node.inboxOverflows), losses: node.losses.mapValues { UInt64($0) },
                rejections: node.rejections.mapValues { UInt64($0) }, viewChanges: UInt64(node.viewChanges))
            result.consensusWaitSeconds = node.coreWaitNanos.map { Double($0) / 1e9 }
            return result
        }
        var result = try RunResult(
            recorder: recorder, topology: RunResult.TopologyReference(name: topology.name, file: topologyFile),
            seed: topology.seed, runtime: .simulator, cpuMode: cpuMode == .model ? .model : .measured,
            nodes: nodeResults,
            simulation: RunResult.SimulationStats(virtualNanos: virtualNanos, eventsProcessed: eventsProcessed),
            wallClock: wallClock)
        result.workload = workload
        result.global = global
        result.timeSeries = timeSeries
        if !leaderFaults.isEmpty {
            result.leaderFaults = leaderFaults.map {
                RunResult.LeaderFault(
                    atSeconds: Double($0.atNanos) / 1e9, fault: $0.fault, node: $0.node, round: $0.round,
                    awaitedBy: $0.awaitedBy, liveNodes: $0.liveNodes)
            }
        }
        return result
    }
}

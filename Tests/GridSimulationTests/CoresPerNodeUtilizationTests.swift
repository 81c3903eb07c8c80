import Foundation
import GridSimulation
import Testing

@Suite struct CoresPerNodeUtilizationTests {
    /// A node's CPU utilization is of the cores the model gave it: the same work on half a core reads about twice
    /// the figure on one core. The summary used to divide by the topology's `machine.cores` whatever the share, so
    /// both read the same and `--cores-per-node 0.5` on a 2-core machine understated it 4 times.
    @Test func utilizationIsOfTheNodesShareOfCores() throws {
        let topology = try testTopology(tps: 300, durationSeconds: 1, warmupSeconds: 0.5)
        func meanUtilization(coresPerNode: Double) throws -> Double {
            try withTemporaryDirectory { directory in
                var options = SimulationOptions(topology: topology, storeDirectory: directory)
                options.coresPerNode = coresPerNode
                let report = try Simulation(options: options).run()
                return report.nodes.map(\.cpuUtilization).reduce(0, +) / Double(report.nodes.count)
            }
        }
        let half = try meanUtilization(coresPerNode: 0.5)
        let one = try meanUtilization(coresPerNode: 1)
        #expect(one > 0)
        #expect((1.8...2.2).contains(half / one), "half a core: \(half), one core: \(one)")
    }
}

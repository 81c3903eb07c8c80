import Foundation
import GridConsensus
import GridSimulation
import GridTopology

/// A small one-region topology for tests; the YAML goes through the real parser.
func testTopology(
    validators: Int = 4, tps: Double = 500, durationSeconds: Double = 2, warmupSeconds: Double = 0.5,
    seed: UInt64 = 1, faults: String = "", extra: String = ""
) throws -> Topology {
    let yaml = """
        schemaVersion: 1
        name: test
        seed: \(seed)
        regions:
          - name: r0
            validators: \(validators)
        consensus:
          blockIntervalMillis: 20
          viewTimeoutMillis: 300
        workload:
          accounts: 200
          rate: { controller: fixed, tps: \(tps) }
          durationSeconds: \(durationSeconds)
          warmupSeconds: \(warmupSeconds)
          timeoutSeconds: 3
        \(extra)
        \(faults.isEmpty ? "" : "faults:\n" + faults)
        """
    return try Topology.parse(yaml: yaml, file: "test.yaml")
}

func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gridledger-sim-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

func simulate(
    _ topology: Topology, cpuMode: CPUMode = .model, byzantine: [String: ByzantineBehavior] = [:]
) throws -> SimulationReport {
    try withTemporaryDirectory { directory in
        let simulation = try Simulation(
            options: SimulationOptions(
                topology: topology, storeDirectory: directory, cpuMode: cpuMode, byzantine: byzantine))
        return try simulation.run()
    }
}

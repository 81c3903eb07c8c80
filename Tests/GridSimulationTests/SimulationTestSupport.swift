import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridSimulation
import GridTopology

/// A small one-region topology for tests; the YAML goes through the real parser.
func testTopology(
    validators: Int = 4, tps: Double = 500, durationSeconds: Double = 2, warmupSeconds: Double = 0.5,
    seed: UInt64 = 1, faults: String = "", extra: String = "", blockTransactionsMax: Int = 2000
) throws -> Topology {
    let yaml = """
        schemaVersion: 1
        name: test
        seed: \(seed)
        regions:
          - name: r0
            validators: \(validators)
        consensus:
          blockTransactionsMax: \(blockTransactionsMax)
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

/// Runs a topology and, before its stores are deleted, checks every validator's stored chain: it must verify,
/// and all validators must hold the same block at every height they share.
func simulate(
    _ topology: Topology, cpuMode: CPUMode = .model, byzantine: [String: ByzantineBehavior] = [:]
) throws -> SimulationReport {
    try withTemporaryDirectory { directory in
        let simulation = try Simulation(
            options: SimulationOptions(
                topology: topology, storeDirectory: directory, cpuMode: cpuMode, byzantine: byzantine))
        let report = try simulation.run()
        try checkStores(in: directory, report: report, byzantine: Set(byzantine.keys))
        return report
    }
}

struct StoreMismatch: Error, CustomStringConvertible {
    let description: String
}

func checkStores(in directory: URL, report: SimulationReport, byzantine: Set<String>) throws {
    // Each region has its own chain, so blocks are compared within a region.
    var hashesByHeight: [String: [UInt64: (String, Hash256)]] = [:]
    // Committee members keep checkpoints in their own store: same chain on every member, nothing lost.
    for member in report.nodes where member.region == "global" {
        // Limits as loose as a topology may set, so any checkpoint the run wrote can be read back.
        let store = try CheckpointStore(
            directory: directory.appendingPathComponent(member.label.replacingOccurrences(of: "/", with: "-")),
            limits: CheckpointLimits(entriesMax: 100_000, bytesMax: 64 << 20))
        defer { store.close() }
        let latest = try store.latestHeight ?? 0
        guard latest == member.committedHeight else {
            throw StoreMismatch(
                description: "\(member.label): store ends at \(latest), committed \(member.committedHeight)")
        }
        for height in stride(from: UInt64(1), through: latest, by: 1) {
            guard let block = try store.block(atHeight: height) else {
                throw StoreMismatch(description: "\(member.label): checkpoint \(height) missing")
            }
            if let (other, hash) = hashesByHeight["global"]?[height], hash != block.hash {
                throw StoreMismatch(description: "\(member.label) and \(other) differ at checkpoint \(height)")
            }
            hashesByHeight["global", default: [:]][height] = (member.label, block.hash)
        }
    }
    for node in report.nodes where !byzantine.contains(node.label) && node.region != "global" {
        let url = directory.appendingPathComponent(node.label.replacingOccurrences(of: "/", with: "-"))
        let store = try ChainStore(directory: url)
        defer { store.close() }
        if let failure = try store.verifyChain() {
            throw StoreMismatch(description: "\(node.label): stored chain bad at \(failure.height): \(failure.reason)")
        }
        let latest = try store.latestHeight ?? 0
        guard latest == node.committedHeight else {
            throw StoreMismatch(
                description: "\(node.label): store ends at \(latest), committed \(node.committedHeight)")
        }
        for height in stride(from: UInt64(0), through: latest, by: 1) {
            guard let block = try store.block(atHeight: height) else { continue }
            if let (other, hash) = hashesByHeight[node.region]?[height], hash != block.hash {
                throw StoreMismatch(description: "\(node.label) and \(other) differ at height \(height)")
            }
            hashesByHeight[node.region, default: [:]][height] = (node.label, block.hash)
        }
    }
}

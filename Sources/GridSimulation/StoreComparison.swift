import Foundation
import GridCrypto
import GridGlobal
import GridLedger
import GridNode

/// The end-of-run check of every honest node's store, block by block, as `gridledger inspect --compare` does it
/// for a live run: each region validator's chain verifies (parent links, roots, index) and ends where the node
/// said it committed, every validator of a region holds the same block at every height they share, and every
/// committee member holds the same checkpoints.
public enum StoreComparison {
    /// The first problem found, or nil when every store agrees. `directory` is the run's store directory, read
    /// after the run closed its stores; `byzantine` are labels whose stores are not compared.
    public static func firstProblem(
        in directory: URL, report: SimulationReport, byzantine: Set<String>
    ) throws -> String? {
        var hashesByHeight: [String: [UInt64: (label: String, hash: Hash256)]] = [:]
        for member in report.nodes where member.region == "global" {
            // Limits as loose as a topology may set, so any checkpoint the run wrote can be read back.
            let store = try CheckpointStore(
                directory: directory.appendingPathComponent(storeName(member.label)),
                limits: CheckpointLimits(entriesMax: 100_000, bytesMax: 64 << 20))
            defer { store.close() }
            let latest = try store.latestHeight ?? 0
            guard latest == member.committedHeight else {
                return "\(member.label): store ends at checkpoint \(latest), committed \(member.committedHeight)"
            }
            for height in stride(from: UInt64(1), through: latest, by: 1) {
                guard let block = try store.block(atHeight: height) else {
                    return "\(member.label): checkpoint \(height) missing from its store"
                }
                if let other = hashesByHeight["global"]?[height], other.hash != block.hash {
                    return "\(member.label) and \(other.label) hold different checkpoints at height \(height)"
                }
                hashesByHeight["global", default: [:]][height] = (member.label, block.hash)
            }
        }
        for node in report.nodes where !byzantine.contains(node.label) && node.region != "global" {
            let store = try ChainStore(directory: directory.appendingPathComponent(storeName(node.label)))
            defer { store.close() }
            if let failure = try store.verifyChain() {
                return "\(node.label): stored chain bad at height \(failure.height): \(failure.reason)"
            }
            let latest = try store.latestHeight ?? 0
            guard latest == node.committedHeight else {
                return "\(node.label): store ends at height \(latest), committed \(node.committedHeight)"
            }
            for height in stride(from: UInt64(0), through: latest, by: 1) {
                guard let block = try store.block(atHeight: height) else {
                    return "\(node.label): block \(height) missing from its store"
                }
                if let other = hashesByHeight[node.region]?[height], other.hash != block.hash {
                    return "\(node.label) and \(other.label) hold different blocks at height \(height)"
                }
                hashesByHeight[node.region, default: [:]][height] = (node.label, block.hash)
            }
        }
        return nil
    }

    /// The store directory of a node label (`r0/v1` -> `r0-v1`), as the simulator names them.
    public static func storeName(_ label: String) -> String { label.replacingOccurrences(of: "/", with: "-") }
}

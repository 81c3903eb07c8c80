import Foundation
import GridGenesis
import GridLoad
import GridLoadGenerator
import GridTopology

/// The merged report of the load generator parts.
public typealias LiveLoadOutcome = LoadReport

extension LiveRun {
    /// Signatures one core makes per second, conservatively, to give the generators time to pre-sign.
    static let presignRatePerCore = 15_000.0

    func startGenerators() throws {
        guard let layout else { return }
        let workload = topology.workload
        let runSeconds = workload.warmupSeconds + workload.durationSeconds
        // Transfers only: the grid contract agents sign as they go, a few hundred transactions a second at most.
        let peakTps = try TransferWorkload.transferController(topology).map(Self.peakTps) ?? 0
        let cores = Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
        let presignSeconds = peakTps * runSeconds / (Self.presignRatePerCore * cores)
        let startDelaySeconds = 2 + presignSeconds
        let startAt = UInt64((Date().timeIntervalSince1970 + startDelaySeconds) * 1e9)
        runStartUnixNanos = startAt
        let gateways = layout.genesis.nodes.compactMap { node -> Gateway? in
            guard let region = node.region else { return nil }
            return Gateway(region: region, index: node.index, host: node.host, port: node.port)
        }
        let loadDirectory = deploymentDirectory.appendingPathComponent("load")
        do {
            try FileManager.default.createDirectory(at: loadDirectory, withIntermediateDirectories: true)
        } catch {
            throw LiveRunError("cannot create \(loadDirectory.path): \(error.localizedDescription)")
        }
        for part in 0..<options.generatorParts {
            var config = LoadGeneratorConfigFile(
                topology: topology, chainID: layout.genesis.chainID, gateways: gateways, part: part,
                parts: options.generatorParts, startAtUnixNanos: startAt)
            config.recordCommitted = options.recordsCommitted
            // Intervals start at the planned start, so the series and the fault marks share second 0.
            config.intervalSeconds = Double(options.intervalNanos) / 1e9
            config.intervalOriginUnixNanos = startAt
            let configURL = loadDirectory.appendingPathComponent("part\(part).json")
            do { try config.jsonData().write(to: configURL) } catch {
                throw LiveRunError("cannot write \(configURL.path): \(error.localizedDescription)")
            }
            let child = ChildProcess(
                name: "load/part\(part)", executable: options.executable,
                arguments: ["load", "--config", configURL.path, "--out", reportURL(part).path],
                logFile: deploymentDirectory.appendingPathComponent("logs/load-part\(part).log"))
            try child.start()
            generators.append(child)
        }
    }

    /// The highest rate the controller offers, for the time pre-signing takes.
    static func peakTps(_ controller: RateController) -> Double {
        switch controller {
        case .fixed(let tps), .poisson(let tps): return tps
        case .ramp(let from, let to): return max(from, to)
        case .step(let steps): return steps.map(\.tps).max() ?? 0
        case .closedLoop(let outstanding): return Double(outstanding)
        }
    }

    /// The hashes of the transactions clients saw committed, rebuilt from their run-wide indices (the same signed
    /// bytes the generator sent: Ed25519 signatures are deterministic).
    func writeCommittedList(_ indices: [Int], chainID: UInt32) throws {
        let workload: TransferWorkload
        do { workload = try TransferWorkload(topology: topology, chainID: chainID) } catch {
            throw LiveRunError("cannot rebuild the committed transactions: \(error)")
        }
        let lines = indices.sorted().map { workload.transaction($0).hash.hex }
        let url = deploymentDirectory.appendingPathComponent("load/committed.txt")
        do { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url) } catch {
            throw LiveRunError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    func reportURL(_ part: Int) -> URL {
        deploymentDirectory.appendingPathComponent("load/part\(part).report.json")
    }

    func collectGeneratorReports() throws -> LoadReport {
        var reports: [(source: String, report: LoadReport)] = []
        for part in 0..<options.generatorParts {
            let url = reportURL(part)
            do {
                reports.append((url.path, try LoadReport.decode(Data(contentsOf: url))))
            } catch {
                throw LiveRunError("load generator part \(part) left no readable report at \(url.path): \(error)")
            }
        }
        let merged: LoadReport
        do { merged = try LoadReport.merged(reports) } catch {
            throw LiveRunError("the load generators' time series cannot be merged: \(error)")
        }
        if let indices = merged.committedIndices, let layout {
            try writeCommittedList(indices, chainID: layout.genesis.chainID)
        }
        let lateSeconds = Double(Int64(merged.generator.startedAtUnixNanos) - Int64(runStartUnixNanos)) / 1e9
        if lateSeconds > 0.05 {
            note(
                0,
                String(format: "the load generator started %.2f s after the planned start; ", lateSeconds)
                    + "fault times were counted from the planned start")
        }
        return merged
    }
}

import ArgumentParser
import Foundation
import GridConsensus
import GridLive
import GridSimulation

extension CalibrateCommand {
    /// `--from-live`: every node's metrics file of every run given, read before anything is measured so that a
    /// wrong directory fails at once. Errors name the directory or file.
    func loadLiveMetrics() throws -> [LiveNodeMetrics] {
        var loaded: [LiveNodeMetrics] = []
        for directory in fromLive {
            let metricsDirectory = URL(fileURLWithPath: directory).appendingPathComponent("deployment/metrics")
            let files: [URL]
            do {
                files = try FileManager.default.contentsOfDirectory(
                    at: metricsDirectory, includingPropertiesForKeys: nil
                )
                .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
            } catch {
                throw CalibrationInputError(
                    "--from-live \(directory): no node metrics in \(metricsDirectory.path) (the output of "
                        + "`gridledger run --runtime live --out DIR`?): \(error.localizedDescription)")
            }
            guard !files.isEmpty else {
                throw CalibrationInputError("--from-live \(directory): \(metricsDirectory.path) holds no node metrics")
            }
            for file in files { loaded.append(try Self.metrics(file)) }
        }
        guard loaded.count >= 3 else {
            throw CalibrationInputError(
                "--from-live: \(loaded.count) node(s) in all; the fit needs at least 3 (one live run of a "
                    + "4-validator topology is enough, runs at different loads separate the terms)")
        }
        return loaded
    }

    /// Fits the runtime terms to `live`, priced with `profile`, and returns `profile` with them.
    func fitRuntimeOverhead(
        _ profile: MachineProfile, live: [LiveNodeMetrics]
    ) throws -> MachineProfile {
        let samples = live.map { Self.sample($0, profile: profile) }
        guard let fit = RuntimeOverheadFit(samples) else {
            throw CalibrationInputError(
                "--from-live: the nodes report no CPU or no priced work (did the runs commit anything?)")
        }
        // The profile's own bound on a cost, so that the file written can be read back.
        for (name, value) in [("per transaction", fit.nanosPerTransaction), ("per block", fit.nanosPerBlock)]
        where !(value.isFinite && value < 1e12) {
            throw CalibrationInputError(
                "--from-live: the fitted cost \(name) is \(value) ns, beyond any machine's: check the runs' metrics "
                    + "files (cpuSeconds, work)")
        }
        printError(
            String(
                format: "  live runs: %d nodes; measured CPU %.2f times what the profile prices; fitted "
                    + "runtimeNanosPerTransaction %.0f, runtimeNanosPerBlock %.0f (and %.0f ns a second of uptime, "
                    + "not charged); unexplained %.1f %%",
                fit.samples, fit.measuredOverPriced, fit.nanosPerTransaction, fit.nanosPerBlock, fit.nanosPerSecond,
                fit.relativeResidual * 100))
        var fitted = fit.applied(to: profile)
        fitted.source += "; runtime terms: gridledger calibrate --from-live " + fromLive.joined(separator: " ")
        return fitted
    }

    static func metrics(_ file: URL) throws -> LiveNodeMetrics {
        do {
            let data = try Data(contentsOf: file)
            guard data.count <= 4 << 20 else {
                throw CalibrationInputError("--from-live: \(file.path) is larger than 4 MiB")
            }
            return try JSONDecoder().decode(LiveNodeMetrics.self, from: data)
        } catch let error as CalibrationInputError {
            throw error
        } catch {
            throw CalibrationInputError(
                "--from-live: \(file.path) is not a node metrics file of this build (a run by an older gridledger "
                    + "lacks `work`): \(error)")
        }
    }

    static func sample(_ metrics: LiveNodeMetrics, profile: MachineProfile) -> RuntimeOverheadFit.Sample {
        let totals = metrics.work
        var work = Work()
        work.signatureVerifications = Int(clamping: totals.signatureVerifications)
        work.batchedSignatureVerifications = Int(clamping: totals.batchedSignatureVerifications)
        work.signatures = Int(clamping: totals.signatures)
        work.hashedBytes = Int(clamping: totals.hashedBytes)
        work.contractCalls = Int(clamping: totals.contractCalls)
        work.encodedBytes = Int(clamping: totals.encodedBytes)
        work.decodedBytes = Int(clamping: totals.decodedBytes)
        // `costNanos` charges one event's dispatch; the node handled `inputs` of them.
        let dispatch = Double(totals.inputs > 0 ? totals.inputs - 1 : 0) * profile.eventNanos
        let store = profile.storeCostNanos(
            commits: Int(clamping: totals.storeCommits), bytes: Int(clamping: totals.storeCommitBytes))
        return RuntimeOverheadFit.Sample(
            cpuNanos: metrics.cpuSeconds * 1e9,
            pricedNanos: Double(profile.costNanos(of: work)) + dispatch + Double(store),
            transactions: Double(totals.contractCalls), blocks: Double(totals.storeCommits),
            uptimeSeconds: metrics.uptimeSeconds)
    }
}

/// A `--from-live` input that cannot be used; printed as it is, exit status 1.
struct CalibrationInputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

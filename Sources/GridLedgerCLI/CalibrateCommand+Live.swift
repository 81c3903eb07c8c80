import ArgumentParser
import Foundation
import GridConsensus
import GridLive
import GridLoadGenerator
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

    /// Fits the runtime terms to `live`, priced with `profile`, and returns `profile` with them. Where every node
    /// reports its event-loop threads' CPU, those are fitted per frame and KiB first and the rest of each node's CPU
    /// is what the runtime terms take up; otherwise (files of earlier builds) the runtime terms take all of it.
    func fitRuntimeOverhead(
        _ profile: MachineProfile, live: [LiveNodeMetrics]
    ) throws -> MachineProfile {
        let eventLoop = try fitEventLoop(live)
        let samples = live.map { Self.sample($0, profile: profile, excludingEventLoop: eventLoop != nil) }
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
                    + "runtimeNanosPerTransaction %.0f, runtimeNanosPerBlock %.0f, runtimeNanosPerSecond %.0f "
                    + "(charged only with the event-loop terms, on a shared host); unexplained %.1f %%",
                fit.samples, fit.measuredOverPriced, fit.nanosPerTransaction, fit.nanosPerBlock, fit.nanosPerSecond,
                fit.relativeResidual * 100))
        var fitted = fit.applied(to: profile)
        if let eventLoop {
            fitted = eventLoop.applied(to: fitted)
            // With the event loops priced apart, the per-second rest is the nodes' upkeep, charged on a shared host.
            fitted.runtimeNanosPerSecond = fit.nanosPerSecond.rounded()
            if let generator = try fitGenerator() {
                fitted.generatorNanosPerWakeup = generator.nanosPerWakeup.rounded()
                fitted.generatorNanosPerTransaction = generator.nanosPerFrame.rounded()
            }
        }
        fitted.source += "; runtime terms: gridledger calibrate --from-live " + fromLive.joined(separator: " ")
        return fitted
    }

    /// The event-loop terms, or nil when some node's metrics lack its event-loop CPU (an earlier build's file, or
    /// no scheduler statistics).
    func fitEventLoop(_ live: [LiveNodeMetrics]) throws -> EventLoopCostFit? {
        var samples: [EventLoopCostFit.Sample] = []
        for metrics in live {
            guard let seconds = metrics.eventLoopCPUSeconds, let runs = metrics.eventLoopRuns,
                let clientWrites = metrics.clientWrites
            else {
                printError("  live runs: \(metrics.node) reports no event-loop CPU; no event-loop terms fitted")
                return nil
            }
            samples.append(
                EventLoopCostFit.Sample(
                    cpuNanos: seconds * 1e9, wakeups: Double(runs),
                    frames: Double(metrics.framesReceived + metrics.framesSent + clientWrites),
                    kibibytes: Double(metrics.bytesReceived + metrics.bytesSent) / 1024))
        }
        guard let fit = EventLoopCostFit(samples) else { return nil }
        for (name, value) in [
            ("per wake-up", fit.nanosPerWakeup), ("per frame", fit.nanosPerFrame), ("per KiB", fit.nanosPerKiB),
        ]
        where !(value.isFinite && value < 1e12) {
            throw CalibrationInputError(
                "--from-live: the fitted event-loop cost \(name) is \(value) ns, beyond any machine's: check the "
                    + "runs' metrics files (eventLoopCPUSeconds, frames)")
        }
        let share = samples.map(\.cpuNanos).reduce(0, +) / max(1, live.map { $0.cpuSeconds * 1e9 }.reduce(0, +))
        printError(
            String(
                format: "  event loops: %.1f %% of the nodes' CPU; fitted eventLoopNanosPerWakeup %.0f, "
                    + "eventLoopNanosPerFrame %.0f, eventLoopNanosPerKiB %.0f; unexplained %.1f %%",
                share * 100, fit.nanosPerWakeup, fit.nanosPerFrame, fit.nanosPerKiB, fit.relativeResidual * 100))
        return fit
    }

    /// The load generators' event-loop threads, from each run's part reports (`deployment/load/partN.report.json`):
    /// CPU per wake-up and per transaction sent. Nil when a report lacks the wake-ups (an earlier build's).
    func fitGenerator() throws -> EventLoopCostFit? {
        var samples: [EventLoopCostFit.Sample] = []
        for directory in fromLive {
            let loadDirectory = URL(fileURLWithPath: directory).appendingPathComponent("deployment/load")
            // An unreadable directory is one without reports: said below, and the node terms still stand.
            let files =
                ((try? FileManager.default.contentsOfDirectory(at: loadDirectory, includingPropertiesForKeys: nil))
                ?? []).filter { $0.lastPathComponent.hasSuffix(".report.json") }
            guard !files.isEmpty else {
                printError("  live runs: no load generator report in \(loadDirectory.path); no generator terms fitted")
                return nil
            }
            for file in files {
                let report = try Self.loadReport(file)
                guard let runs = report.generator.eventLoopRuns else {
                    printError("  live runs: \(file.path) reports no event-loop wake-ups; no generator terms fitted")
                    return nil
                }
                let sent = report.warmup.sent + report.measured.sent + report.cooldown.sent
                samples.append(
                    EventLoopCostFit.Sample(
                        cpuNanos: report.generator.eventLoopCPUSeconds * 1e9, wakeups: Double(runs),
                        frames: Double(sent), kibibytes: 0))
            }
        }
        guard let fit = EventLoopCostFit(samples) else { return nil }
        for (name, value) in [("per wake-up", fit.nanosPerWakeup), ("per transaction", fit.nanosPerFrame)]
        where !(value.isFinite && value < 1e12) {
            throw CalibrationInputError(
                "--from-live: the fitted load generator cost \(name) is \(value) ns, beyond any machine's: check the "
                    + "runs' load reports (eventLoopCPUSeconds, eventLoopRuns)")
        }
        printError(
            String(
                format: "  load generator: fitted generatorNanosPerWakeup %.0f, generatorNanosPerTransaction %.0f; "
                    + "unexplained %.1f %%",
                fit.nanosPerWakeup, fit.nanosPerFrame, fit.relativeResidual * 100))
        return fit
    }

    static func loadReport(_ file: URL) throws -> LoadReport {
        do {
            let data = try Data(contentsOf: file)
            guard data.count <= 64 << 20 else {
                throw CalibrationInputError("--from-live: \(file.path) is larger than 64 MiB")
            }
            return try JSONDecoder().decode(LoadReport.self, from: data)
        } catch let error as CalibrationInputError {
            throw error
        } catch {
            throw CalibrationInputError("--from-live: \(file.path) is not a load generator report: \(error)")
        }
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

    static func sample(
        _ metrics: LiveNodeMetrics, profile: MachineProfile, excludingEventLoop: Bool
    ) -> RuntimeOverheadFit.Sample {
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
            cpuNanos: (metrics.cpuSeconds - (excludingEventLoop ? metrics.eventLoopCPUSeconds ?? 0 : 0)) * 1e9,
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

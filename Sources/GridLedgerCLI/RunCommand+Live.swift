import ArgumentParser
import Foundation
import GridLiveRun
import GridLoad
import GridTopology

extension RunCommand {
    /// `--runtime live`: the same topology, as processes on this machine, into the same result and report.
    func runLive(topology: Topology, topologyFile: String, outDirectory: URL) throws {
        let interactive = !quiet && isatty(STDERR_FILENO) != 0
        printError(
            "running \(topology.summary) live for \(topology.workload.warmupSeconds)s warm-up + "
                + "\(topology.workload.durationSeconds)s, seed \(topology.seed), \(generators) load generator(s)")
        let startedAt = Date()
        var liveOptions = LiveRunOptions(
            topology: topology, topologyFile: topologyFile, outDirectory: outDirectory,
            executable: currentExecutable(), generatorParts: generators)
        liveOptions.recordsCommitted = recordCommitted
        liveOptions.intervalNanos = UInt64((intervalSeconds * 1e6).rounded()) * 1000
        let liveRun = LiveRun(options: liveOptions)
        let outcome: LiveRunOutcome
        do {
            outcome = try liveRun.run { progress in
                guard !quiet else { return }
                let heights = progress.heights.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }
                let line =
                    String(format: "t=%5.1fs / %.0fs", progress.elapsedSeconds, progress.runSeconds)
                    + "  nodes \(progress.liveNodes)/\(progress.nodes)  heights " + heights.joined(separator: " ")
                if interactive {
                    FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
                } else {
                    printError(line)
                }
            }
        } catch {
            if interactive { printError("") }
            printError("gridledger run --runtime live: \(error)")
            throw ExitCode.failure
        }
        if interactive { printError("") }
        let wallClock = RunResult.WallClock(
            startedAt: startedAt, elapsedSeconds: outcome.elapsedSeconds, virtualSeconds: outcome.elapsedSeconds,
            machine: machineDescription(), gitCommit: gitCommit())
        let result: RunResult
        do {
            result = try outcome.runResult(topology: topology, topologyFile: topologyFile, wallClock: wallClock)
        } catch {
            printError("gridledger run --runtime live: \(error)")
            throw ExitCode.failure
        }
        let resultURL = outDirectory.appendingPathComponent("result.json")
        let reportURL = outDirectory.appendingPathComponent("report.md")
        try result.jsonData().write(to: resultURL)
        let markdown =
            RunReport.markdown(result, reproduceCommand: reproduceCommand(topologyFile, topology))
            + outcome.markdownAppendix()
        try Data(markdown.utf8).write(to: reportURL)
        try writeHTMLReport(result, to: outDirectory)
        print(RunReport.terminalSummary(result))
        if let floor = outcome.verificationFloor { print(floor.summary) }
        for line in outcome.faultNotes { print("  fault: \(line)") }
        if let reason = outcome.load.workloadError { print("  grid workload outcome not read: \(reason)") }
        for (node, status) in outcome.unexpectedExits.sorted(by: { $0.key < $1.key }) {
            print("  node \(node) exited unexpectedly with status \(status)")
        }
        print(
            "wrote \(resultURL.relativePath) and \(reportURL.relativePath); nodes' logs, stores and metrics in "
                + "\(outcome.deploymentDirectory.relativePath) (wall \(String(format: "%.1f", outcome.elapsedSeconds)) s)"
        )
    }
}

/// This very binary, to start nodes and load generators with.
func currentExecutable() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
}

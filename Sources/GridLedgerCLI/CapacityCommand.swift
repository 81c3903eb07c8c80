import ArgumentParser
import Foundation
import GridLiveRun
import GridLoad
import GridSimulation
import GridTopology

struct CapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the highest offered rate a topology sustains within an SLO.",
        discussion: """
            Brackets the rate by doubling (or halving) from the topology's own rate, bisects to --resolution, \
            checks that a run --edge above the answer fails, then confirms the answer with one more run (another \
            seed in the simulator). A rate meets the SLO when achieved >= 99 % of offered, failures <= 0.1 % of \
            offered, and the chosen latency percentile is within its target. Every probe keeps its own \
            DIR/probes/NNN-RATE/result.json; DIR/capacity.json and DIR/capacity.md hold the answer. For voltage, \
            auction and mix workloads the rate scales the device and participant populations (docs/capacity.md).
            """
    )

    @Argument(help: "Topology file or shipped name.")
    var topology: String?

    @Option(name: .long, help: "Latency objective, e.g. p99<=250ms, p99.9<=1s, p50<=20ms.")
    var slo: String

    @Option(name: .long, help: "Latency the SLO applies to: localCommit or globalFinality.")
    var latency: LatencyChoice = .localCommit

    @Option(name: .long, help: "'sim' (deterministic simulator) or 'live' (every node a process).")
    var runtime: RunCommand.Runtime = .sim

    @Option(name: .long, help: "Stop bisecting when the bracket is within this share of its lower end.")
    var resolution = 0.02

    @Option(name: .long, help: "The rate this share above the answer must fail the SLO.")
    var edge = 0.05

    @Option(name: .long, help: "Share of the sustainable rate kept free in the recommendation.")
    var headroom = 0.2

    @Option(name: .long, help: "Measured window of each probe in seconds (overrides the topology's).")
    var duration: Double?

    @Option(name: .long, help: "Seed of the search's runs (overrides the topology's); the confirmation uses seed + 1.")
    var seed: UInt64?

    @Option(name: .long, help: "First rate to probe in tx/s (default: the topology's own rate).")
    var startRate: Double?

    @Option(name: .long, help: "Most probes before the search gives up settling.")
    var maxProbes = 40

    @Option(name: .long, help: "Directory for capacity.json, capacity.md and probes/. (default: out/capacity-NAME)")
    var out: String?

    @Flag(name: .long, help: "Only the per-probe lines, no run progress.")
    var quiet = false

    enum LatencyChoice: String, ExpressibleByArgument, CaseIterable {
        case localCommit
        case globalFinality

        var kind: LatencyKind { self == .localCommit ? .localCommit : .globalFinality }
    }

    func validate() throws {
        do { _ = try SLOSpecification.parse(slo) } catch { throw ValidationError("--slo: \(error)") }
        guard headroom.isFinite, (0..<1).contains(headroom) else {
            throw ValidationError("--headroom must be in [0, 1), got \(headroom)")
        }
        if let duration, !(duration.isFinite && duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be a number of seconds in (0, 86400], got \(duration)")
        }
        if let startRate, !(startRate.isFinite && startRate >= 1 && startRate <= 10_000_000) {
            throw ValidationError("--start-rate must be in [1, 10000000] tx/s, got \(startRate)")
        }
        if let problem = CapacitySearch.Configuration(
            startTps: 1, resolution: resolution, edgeMargin: edge, probesMax: maxProbes
        ).problem {
            throw ValidationError("--resolution, --edge, --max-probes: \(problem)")
        }
    }

    func run() throws {
        let specification = try SLOSpecification.parse(slo)
        let loaded = try loadTopology(topology, overrides: TopologyOverrides(seed: seed, durationSeconds: duration))
        let base = loaded.topology
        if latency == .globalFinality, base.global == nil {
            printError("--latency globalFinality: topology \(base.name) has no global layer; use localCommit")
            throw ExitCode.failure
        }
        let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let outDirectory = URL(fileURLWithPath: out ?? "out/capacity-\(base.name)", relativeTo: currentDirectory)
        try createDirectory(outDirectory)
        let probesDirectory = outDirectory.appendingPathComponent("probes")
        // Probes of an earlier search would mix with this one's; a folder that cannot be cleared is an error.
        if FileManager.default.fileExists(atPath: probesDirectory.path) {
            do { try FileManager.default.removeItem(at: probesDirectory) } catch {
                printError("cannot clear \(probesDirectory.path) of an earlier search: \(error.localizedDescription)")
                throw ExitCode.failure
            }
        }
        try createDirectory(probesDirectory)

        let start = try startRate ?? WorkloadScaling.nominalOfferedTps(base)
        var search = try CapacitySearch(
            CapacitySearch.Configuration(
                startTps: min(max(start, 1), 10_000_000), resolution: resolution, edgeMargin: edge,
                probesMax: maxProbes))
        printError(
            "capacity of \(base.summary) under \(specification.text) (\(latency.rawValue)), runtime \(runtime.rawValue), "
                + "seed \(base.seed), \(base.workload.warmupSeconds)s warm-up + \(base.workload.durationSeconds)s per "
                + "probe, from \(CapacityText.tps(start)) tx/s")
        let wallStart = DispatchTime.now().uptimeNanoseconds
        let runs: [CapacityProbeRun]
        do {
            runs = try search.run(
                slo: specification, kind: latency.kind,
                runProbe: { request, number in
                    try runProbe(
                        request, number: number, base: base, file: loaded.file, location: loaded.location,
                        probesDirectory: probesDirectory)
                },
                progress: { probe, number in
                    // Written at once (not buffered), so a parent process (the sweep) sees each probe as it ends.
                    FileHandle.standardOutput.write(
                        Data((CapacityText.progressLine(probe, number: number) + "\n").utf8))
                })
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("gridledger capacity: \(error)")
            throw ExitCode.failure
        }
        let elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let result = CapacityAnalysis.result(
            search: search, runs: runs,
            topology: RunResult.TopologyReference(name: base.name, file: loaded.file),
            runtime: runtime == .live ? .live : .simulator, seed: base.seed, slo: specification, kind: latency.kind,
            headroom: headroom)
        let jsonURL = outDirectory.appendingPathComponent("capacity.json")
        let markdownURL = outDirectory.appendingPathComponent("capacity.md")
        try result.jsonData().write(to: jsonURL)
        try Data(result.markdown().utf8).write(to: markdownURL)
        print("sustainable: \(CapacityText.tps(result.sustainableTps)) tx/s (\(search.ending?.rawValue ?? "-"))")
        print("knee: \(result.kneeTps.map { CapacityText.tps($0) + " tx/s" } ?? "not seen")")
        print("limited by: \(result.limitedBy)")
        print(result.recommendation)
        print(
            "wrote \(jsonURL.relativePath) and \(markdownURL.relativePath); \(runs.count) probes in "
                + "\(probesDirectory.relativePath) (wall \(String(format: "%.1f", elapsedSeconds)) s)")
    }

    /// Runs one probe into `probes/NNN-RATE/` and returns its result.
    private func runProbe(
        _ request: CapacitySearch.Request, number: Int, base: Topology, file: String, location: Topology.Location,
        probesDirectory: URL
    ) throws -> (result: RunResult, directory: String) {
        let topology = try SimulatedCapacityProbe.topology(base, request: request)
        let name = String(format: "%03d-", number) + CapacityText.rateLabel(request.tps)
        let directory = probesDirectory.appendingPathComponent(name)
        try createDirectory(directory)
        let startedAt = Date()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        var result: RunResult
        var appendix = ""
        switch runtime {
        case .sim:
            let interactive = !quiet && isatty(STDERR_FILENO) != 0
            // The stores only serve the run; a search keeps dozens of probes.
            let report = try SimulatedCapacityProbe.run(
                topology, profile: try simulationProfile(topology: topology, location: location),
                storeDirectory: directory.appendingPathComponent("stores")
            ) { progress in
                guard interactive else { return }
                let line = ProgressLine.format(
                    virtualNanos: progress.virtualNanos, committedTotal: progress.committed,
                    currentTps: progress.committedTpsLastInterval)
                FileHandle.standardError.write(Data(("\r  " + line + "   ").utf8))
            }
            if interactive { FileHandle.standardError.write(Data("\r".utf8)) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
            result = try report.runResult(
                topology: topology, topologyFile: file, cpuMode: .model,
                wallClock: RunResult.WallClock(
                    startedAt: startedAt, elapsedSeconds: elapsed, virtualSeconds: Double(report.virtualNanos) / 1e9,
                    machine: machineDescription(), gitCommit: gitCommit()))
        case .live:
            let liveRun = LiveRun(
                options: LiveRunOptions(
                    topology: topology, topologyFile: file, outDirectory: directory,
                    executable: currentExecutable()))
            let outcome = try liveRun.run { _ in }
            result = try outcome.runResult(
                topology: topology, topologyFile: file,
                wallClock: RunResult.WallClock(
                    startedAt: startedAt, elapsedSeconds: outcome.elapsedSeconds,
                    virtualSeconds: outcome.elapsedSeconds, machine: machineDescription(), gitCommit: gitCommit()))
            appendix = outcome.markdownAppendix()
        }
        try result.jsonData().write(to: directory.appendingPathComponent("result.json"))
        var command = "gridledger run \(file) --rate \(CapacityText.rateLabel(request.tps)) --seed \(topology.seed)"
        if runtime == .live { command += " --runtime live" }
        if let duration { command += " --duration \(duration)" }
        try Data((RunReport.markdown(result, reproduceCommand: command) + appendix).utf8)
            .write(to: directory.appendingPathComponent("report.md"))
        return (result, "probes/" + name)
    }

    private func simulationProfile(topology: Topology, location: Topology.Location) throws -> MachineProfile {
        switch topology.machine.profile {
        case .shipped(let name):
            guard let shipped = MachineProfile.shipped[name] else {
                throw ValidationError("machine.profile: no shipped profile named '\(name)'")
            }
            return shipped
        case .file(let path):
            var base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if case .file(let url) = location { base = url.deletingLastPathComponent() }
            return try MachineProfile.load(contentsOf: URL(fileURLWithPath: path, relativeTo: base))
        }
    }
}

/// How the capacity command writes rates and probes.
enum CapacityText {
    static func tps(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    /// A rate as typed on a command line and in a folder name: no needless decimals, no exponent.
    static func rateLabel(_ value: Double) -> String {
        if value == value.rounded(), value < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func progressLine(_ probe: CapacityProbe, number: Int) -> String {
        let verdict = probe.meetsSLO ? "meets" : "fails (" + probe.failed.joined(separator: ", ") + ")"
        return String(
            format: "probe %2d %-8@ offered %9.1f  achieved %9.1f  committed %9.1f tx/s  p50 %8.2f  p99 %8.2f  "
                + "SLO %8.2f ms  failures %.3f%%  busiest %@ %.0f%%  -> %@",
            number, probe.phase as NSString, probe.offeredTps, probe.achievedTps, probe.committedTps, probe.p50Millis,
            probe.p99Millis, probe.latencyMillis, probe.failureShare * 100, probe.busiestNode as NSString,
            probe.busiestNodeCPU * 100, verdict as NSString)
    }
}

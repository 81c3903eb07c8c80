import ArgumentParser
import Foundation
import GridLoad
import GridNode
import GridSimulation
import GridTopology

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a topology, simulated or live, and report throughput and latency.",
        discussion: """
            TOPOLOGY is a file, or a name in topologies/ (default: topologies/default.yaml, or the built-in copy). \
            Writes DIR/result.json (schema: docs/result-schema.md) and DIR/report.md, and prints a summary. In \
            model mode, two runs with the same seed give identical results apart from the wallClock fields. With \
            --runtime live, every validator and committee member runs as its own process on loopback, with a \
            fresh genesis in DIR/deployment (keys, stores, logs, metrics).
            """
    )

    @Argument(help: "Topology file or shipped name.")
    var topology: String?

    @Option(name: .long, help: "Directory for result.json, report.md and the validators' stores. (default: out/NAME)")
    var out: String?

    @Option(name: .long, help: "Seed for the simulation (overrides the topology's).")
    var seed: UInt64?

    @Option(name: .long, help: "Measured window in seconds (overrides the topology's).")
    var duration: Double?

    @Option(
        name: .long,
        help:
            "Offer this many transactions per second: a fixed rate for transfers; for voltage, auction and mix, the populations scaled to it (docs/capacity.md)."
    )
    var rate: Double?

    @Option(name: .long, help: "Length of one interval of the result's time series, in seconds.")
    var intervalSeconds = 1.0

    @Option(
        name: .long,
        help:
            "CPU accounting: 'model' prices reported work with a machine profile (deterministic); 'measured' charges real thread CPU time."
    )
    var cpu: CPUMode = .model

    @Option(name: .long, help: "Machine profile JSON (from 'gridledger calibrate'); overrides the topology's.")
    var profile: String?

    @Option(name: .long, help: "Write a consensus trace (round changes, commits, rejections, faults) to this file.")
    var trace: String?

    @Flag(name: .long, help: "No progress lines.")
    var quiet = false

    @Option(
        name: .long,
        help: "'sim': the deterministic simulator; 'live': every node a process on this machine's loopback.")
    var runtime: Runtime = .sim

    @Option(name: .long, help: "Live runtime: load generator processes.")
    var generators = 1

    @Option(
        name: .long,
        help: "Simulator, model mode: cores each node really has, fractions allowed (0.5: 4 nodes sharing 2 cores).")
    var coresPerNode: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Simulator, model mode: all nodes share N cores, as processes on one host do; each event waits for a "
                + "free core (a run queue). Excludes --cores-per-node.", valueName: "N"))
    var hostCores: Int?

    @Flag(
        name: .long,
        help: "Live runtime: list every transaction clients saw committed in DIR/deployment/load/committed.txt.")
    var recordCommitted = false

    enum Runtime: String, ExpressibleByArgument, CaseIterable {
        case sim
        case live
    }

    func validate() throws {
        if let duration, !(duration.isFinite && duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be a number of seconds in (0, 86400], got \(duration)")
        }
        if let rate, !(rate.isFinite && rate > 0 && rate <= 10_000_000) {
            throw ValidationError("--rate must be transactions per second in (0, 10000000], got \(rate)")
        }
        if let coresPerNode, !(coresPerNode.isFinite && coresPerNode >= 0.01 && coresPerNode <= 1024) {
            throw ValidationError("--cores-per-node must be in [0.01, 1024], got \(coresPerNode)")
        }
        if let hostCores {
            guard (1...1024).contains(hostCores) else {
                throw ValidationError("--host-cores must be 1...1024, got \(hostCores)")
            }
            guard coresPerNode == nil else {
                throw ValidationError("--host-cores shares one host's cores among the nodes; drop --cores-per-node")
            }
            guard runtime == .sim, cpu == .model else {
                throw ValidationError("--host-cores is the simulator's, in model CPU mode (--runtime sim --cpu model)")
            }
        }
        guard intervalSeconds.isFinite, intervalSeconds >= 0.01, intervalSeconds <= 3600 else {
            throw ValidationError("--interval-seconds must be in [0.01, 3600], got \(intervalSeconds)")
        }
        guard (1...16).contains(generators) else {
            throw ValidationError("--generators must be 1...16, got \(generators)")
        }
        if runtime == .live, trace != nil {
            throw ValidationError("--trace is the simulator's; each live node writes its own log")
        }
    }

    func run() throws {
        let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var loaded = try loadTopology(
            self.topology, overrides: TopologyOverrides(seed: seed, durationSeconds: duration))
        if let rate {
            do { loaded.topology = try WorkloadScaling.topology(loaded.topology, offeredTps: rate) } catch {
                printError("--rate \(rate): \(error)")
                throw ExitCode.failure
            }
        }
        let topology = loaded.topology
        let location = loaded.location
        let topologyFile = loaded.file
        let outDirectory = URL(fileURLWithPath: out ?? "out/\(topology.name)", relativeTo: currentDirectory)
        try createDirectory(outDirectory)
        if runtime == .live {
            return try runLive(topology: topology, topologyFile: topologyFile, outDirectory: outDirectory)
        }
        let machineProfile = try resolveProfile(topology: topology, location: location)

        let interactive = !quiet && isatty(STDERR_FILENO) != 0
        printError(
            "running \(topology.summary) for \(topology.workload.warmupSeconds)s warm-up + "
                + "\(topology.workload.durationSeconds)s, seed \(topology.seed), cpu \(cpu.rawValue)")
        let startedAt = Date()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        let report: SimulationReport
        do {
            var options = SimulationOptions(
                topology: topology, storeDirectory: outDirectory.appendingPathComponent("stores"), cpuMode: cpu,
                profile: machineProfile)
            options.traceFile = trace.map { URL(fileURLWithPath: $0) }
            options.coresPerNode = coresPerNode
            options.hostCores = hostCores
            options.timeSeriesIntervalNanos = UInt64((intervalSeconds * 1e9).rounded())
            let simulation = try Simulation(options: options)
            report = try simulation.run { progress in
                guard !quiet else { return }
                let line =
                    ProgressLine.format(
                        virtualNanos: progress.virtualNanos, committedTotal: progress.committed,
                        currentTps: progress.committedTpsLastInterval)
                    + " / \(String(format: "%.0f", Double(progress.runNanos) / 1e9))s"
                if interactive {
                    FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
                } else {
                    printError(line)
                }
            }
        } catch {
            if interactive { printError("") }
            printError("gridledger run: \(error)")
            throw ExitCode.failure
        }
        if interactive { printError("") }
        let elapsedSeconds = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let wallClock = RunResult.WallClock(
            startedAt: startedAt, elapsedSeconds: elapsedSeconds, virtualSeconds: Double(report.virtualNanos) / 1e9,
            machine: machineDescription(), gitCommit: gitCommit())
        let result = try report.runResult(
            topology: topology, topologyFile: topologyFile, cpuMode: cpu, wallClock: wallClock)
        let resultURL = outDirectory.appendingPathComponent("result.json")
        let reportURL = outDirectory.appendingPathComponent("report.md")
        try result.jsonData().write(to: resultURL)
        try Data(RunReport.markdown(result, reproduceCommand: reproduceCommand(topologyFile, topology)).utf8)
            .write(to: reportURL)
        try writeHTMLReport(result, to: outDirectory)
        print(RunReport.terminalSummary(result))
        print(
            "wrote \(resultURL.relativePath) and \(reportURL.relativePath) (wall \(String(format: "%.1f", elapsedSeconds)) s)"
        )
    }

    private func resolveProfile(topology: Topology, location: Topology.Location) throws -> MachineProfile {
        if let profile {
            return try loadProfile(URL(fileURLWithPath: profile))
        }
        switch topology.machine.profile {
        case .shipped(let name):
            guard let shipped = MachineProfile.shipped[name] else {
                printError(
                    "machine.profile: no shipped profile named '\(name)' (shipped: "
                        + MachineProfile.shipped.keys.sorted().joined(separator: ", ") + ")")
                throw ExitCode.failure
            }
            return shipped
        case .file(let path):
            var base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if case .file(let url) = location { base = url.deletingLastPathComponent() }
            return try loadProfile(URL(fileURLWithPath: path, relativeTo: base))
        }
    }

    private func loadProfile(_ url: URL) throws -> MachineProfile {
        do { return try MachineProfile.load(contentsOf: url) } catch {
            printError(String(describing: error))
            throw ExitCode.failure
        }
    }

    func reproduceCommand(_ file: String, _ topology: Topology) -> String {
        var parts = ["gridledger run"]
        if file != Topology.builtInDefaultFile { parts.append(file) }
        parts.append("--seed \(topology.seed)")
        parts.append(runtime == .live ? "--runtime live" : "--cpu \(cpu.rawValue)")
        if let duration { parts.append("--duration \(duration)") }
        if let rate { parts.append("--rate \(rate)") }
        if let coresPerNode, runtime == .sim { parts.append("--cores-per-node \(coresPerNode)") }
        if let hostCores, runtime == .sim { parts.append("--host-cores \(hostCores)") }
        return parts.joined(separator: " ")
    }
}

extension CPUMode: ExpressibleByArgument {}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func createDirectory(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        printError("cannot create directory \(url.path): \(error.localizedDescription)")
        throw ExitCode.failure
    }
}

func machineDescription() -> String {
    let info = ProcessInfo.processInfo
    return "\(info.hostName), \(info.activeProcessorCount) cores, \(info.physicalMemory >> 30) GiB"
}

/// The commit the binary runs from, when run inside the repository (for the report only).
func gitCommit() -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "rev-parse", "--short", "HEAD"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return "unknown" }
    process.waitUntilExit()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return process.terminationStatus == 0 && !commit.isEmpty ? commit : "unknown"
}

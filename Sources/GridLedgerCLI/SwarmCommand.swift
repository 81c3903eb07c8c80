import ArgumentParser
import Foundation
import GridSimulation

/// `gridledger swarm`: many seeds of randomly drawn small topologies with random faults, in parallel worker
/// processes (the simulator is single-threaded per run, and processes keep one seed's crash from taking the others
/// with it). Workers are this same executable with `--worker`; each prints one JSON line per seed.
struct SwarmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swarm",
        abstract: "Run many simulated seeds of random topologies and faults; check safety, stores and liveness.",
        discussion: """
            Each seed draws 1-4 regions of 4, 7 or 10 validators (with or without a global committee), random \
            links, and faults within f (crash, restart, partition, loss, an equivocating leader, a Byzantine \
            region; half of the seeds add adversarial schedules: votes held back, partitions chasing the vote \
            collector). Every invariant is checked during the run, every honest store block by block at the end, \
            and every region must commit again within its bound after the faults heal. --beyond-f draws more \
            faulty nodes than f (crashes, partitions, loss) and checks safety only. A failing seed keeps its \
            topology, description and trace in DIR/failures/SEED/ and prints the command that reruns it.
            """)

    @Option(name: .long, help: "How many seeds to run.")
    var seeds = 100

    @Option(name: .customLong("from"), help: "The first seed.")
    var fromSeed: UInt64 = 1

    @Option(name: .long, help: "Worker processes (default: the number of cores).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Where failures (DIR/failures/SEED/) and swarm.json go.")
    var out = "out/swarm"

    @Flag(name: .customLong("beyond-f"), help: "Draw faults beyond f and check safety only.")
    var beyondF = false

    @Option(name: .customLong("generator-version"), help: "The generator version that draws the seeds.")
    var generatorVersion = SwarmScenario.generatorVersionCurrent

    @Flag(name: .customLong("keep-trace"), help: "Keep every seed's trace and topology in DIR/seeds/SEED/.")
    var keepTrace = false

    @Option(name: .long, help: "Seeds per batch handed to a worker.")
    var batch = 10

    @Flag(
        name: .customLong("stop-on-failure"),
        help: "Hand out no more seeds after the first violation (batches already running finish).")
    var stopOnFailure = false

    @Flag(name: .long, help: .hidden)
    var worker = false

    func validate() throws {
        guard (1...100_000_000).contains(seeds) else { throw ValidationError("--seeds must be 1...1e8, got \(seeds)") }
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be 1...256, got \(jobs)") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1...10000, got \(batch)") }
        guard fromSeed <= UInt64.max - UInt64(seeds) else {
            throw ValidationError("--from \(fromSeed) + --seeds \(seeds) passes the largest seed")
        }
        guard SwarmScenario.generatorVersionsSupported.contains(generatorVersion) else {
            throw ValidationError(
                SwarmError.badGeneratorVersion(generatorVersion, supported: SwarmScenario.generatorVersionsSupported)
                    .description)
        }
    }

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        if worker {
            try runWorker(outURL)
            return
        }
        try createDirectory(outURL)
        let started = Date()
        let mode = beyondF ? "faults beyond f, safety only" : "faults within f"
        say(
            "swarm: seeds \(fromSeed)...\(fromSeed + UInt64(seeds) - 1), generator v\(generatorVersion), \(mode), "
                + "\(jobs) worker process(es)")
        let pool = SwarmPool(
            executable: Self.executablePath(), seeds: Array(fromSeed..<(fromSeed + UInt64(seeds))), batch: batch,
            workerArguments: workerArguments(), stopOnFailure: stopOnFailure)
        var lastPrinted = Date()
        let outcomes = pool.run(jobs: jobs) { done, violations in
            let now = Date()
            guard now.timeIntervalSince(lastPrinted) >= 5 || done == seeds else { return }
            lastPrinted = now
            let elapsed = now.timeIntervalSince(started)
            say(
                String(
                    format: "  %d/%d seeds, %d violation(s), %.2f seeds/s, %.0f s", done, seeds, violations,
                    Double(done) / max(elapsed, 0.001), elapsed))
        }
        let elapsed = Date().timeIntervalSince(started)
        try report(outcomes, elapsedSeconds: elapsed, outURL: outURL)
    }

    private func workerArguments() -> [String] {
        var arguments = ["swarm", "--worker", "--out", out, "--generator-version", String(generatorVersion)]
        if beyondF { arguments.append("--beyond-f") }
        if keepTrace { arguments.append("--keep-trace") }
        return arguments
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    private func report(_ outcomes: [SwarmOutcome], elapsedSeconds: Double, outURL: URL) throws {
        let violations = outcomes.filter(\.isViolation)
        var byVerdict: [String: Int] = [:]
        for outcome in outcomes { byVerdict[outcome.verdict.rawValue, default: 0] += 1 }
        let perMinute = Double(outcomes.count) / max(elapsedSeconds, 0.001) * 60
        say("")
        for outcome in violations.sorted(by: { $0.seed < $1.seed }) {
            say("FAIL seed \(outcome.seed) [\(outcome.verdict.rawValue)]: \(outcome.detail)")
            say("     \(outcome.summary)")
            say("     rerun: \(reproduce(outcome.seed))")
            say("     kept:  \(outURL.appendingPathComponent("failures/\(outcome.seed)").path)/")
        }
        say(
            String(
                format: "seeds run: %d, violations: %d, passed: %d, %.1f s, %.1f seeds/min (%d jobs)",
                outcomes.count, violations.count, outcomes.count - violations.count, elapsedSeconds, perMinute, jobs))
        if !violations.isEmpty {
            say(
                "by verdict: "
                    + byVerdict.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        let summary = SwarmSummary(
            fromSeed: fromSeed, seeds: outcomes.count, generatorVersion: generatorVersion, beyondF: beyondF,
            jobs: jobs, elapsedSeconds: elapsedSeconds, seedsPerMinute: perMinute, verdicts: byVerdict,
            failures: violations.sorted { $0.seed < $1.seed })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: outURL.appendingPathComponent("swarm.json"))
        if !violations.isEmpty { throw ExitCode.failure }
    }

    private func reproduce(_ seed: UInt64) -> String {
        var command = "gridledger swarm --from \(seed) --seeds 1 --generator-version \(generatorVersion) --keep-trace"
        if beyondF { command += " --beyond-f" }
        return command + " --out \(out)/rerun-\(seed)"
    }

    // MARK: - Worker

    /// Runs its seeds one after the other and prints one JSON line per seed. A failing seed is run again with a
    /// trace (the run is deterministic, so the rerun fails the same way) and kept with its topology.
    private func runWorker(_ outURL: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gridledger-swarm-\(ProcessInfo.processInfo.processIdentifier)")
        for seed in fromSeed..<(fromSeed + UInt64(seeds)) {
            let scenario = try SwarmScenario.draw(seed: seed, generatorVersion: generatorVersion, beyondF: beyondF)
            var traceFile: URL?
            if keepTrace {
                let directory = outURL.appendingPathComponent("seeds/\(seed)")
                try keep(scenario, in: directory, outcome: nil)
                traceFile = directory.appendingPathComponent("trace.txt")
            }
            var outcome = SwarmRun.run(scenario, storeDirectory: scratch, traceFile: traceFile)
            if outcome.isViolation {
                let directory = outURL.appendingPathComponent("failures/\(seed)")
                try keep(scenario, in: directory, outcome: outcome)
                let rerun = SwarmRun.run(
                    scenario, storeDirectory: scratch, traceFile: directory.appendingPathComponent("trace.txt"))
                if rerun != outcome {
                    outcome.detail += " (NOT REPRODUCED with a trace: \(rerun.verdict.rawValue) \(rerun.detail))"
                    try keep(scenario, in: directory, outcome: outcome)
                }
            }
            var line = try encoder.encode(outcome)
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
        }
    }

    private func keep(_ scenario: SwarmScenario, in directory: URL, outcome: SwarmOutcome?) throws {
        try createDirectory(directory)
        try Data(scenario.topologyYAML.utf8).write(to: directory.appendingPathComponent("topology.yaml"))
        var lines = [
            "seed: \(scenario.seed)", "generator version: \(scenario.generatorVersion)",
            "mode: \(scenario.beyondF ? "beyond f (safety only)" : "within f")",
            "schedule: \(scenario.adversarial ? "adversarial" : "random")", "drawn: \(scenario.summary)",
            "byzantine: "
                + (scenario.byzantine.isEmpty
                    ? "none"
                    : scenario.byzantine.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                        separator: ", ")),
            "vote adversary: \(scenario.voteAdversary.map { "\($0)" } ?? "none")",
            "faults healed at: \(scenario.healedSeconds) s",
            "liveness bounds (s): "
                + scenario.livenessBoundSeconds.sorted { $0.key < $1.key }.map {
                    "\($0.key) \(String(format: "%.3f", $0.value))"
                }
                .joined(separator: ", "),
            "rerun: \(reproduce(scenario.seed))",
        ]
        if let outcome { lines.append("verdict: \(outcome.verdict.rawValue): \(outcome.detail)") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(
            to: directory.appendingPathComponent("scenario.txt"))
    }
}

/// `DIR/swarm.json`: the figures of one swarm.
struct SwarmSummary: Codable {
    var fromSeed: UInt64
    var seeds: Int
    var generatorVersion: Int
    var beyondF: Bool
    var jobs: Int
    var elapsedSeconds: Double
    var seedsPerMinute: Double
    var verdicts: [String: Int]
    var failures: [SwarmOutcome]
}

/// Hands batches of seeds to worker processes, `jobs` at a time, and collects their JSON lines. A worker that dies
/// (a crash is a bug too) is charged with the seed it was running; the rest of its batch goes back in the queue.
final class SwarmPool: @unchecked Sendable {
    private let executable: String
    private let workerArguments: [String]
    private let lock = NSLock()
    private var pending: [[UInt64]]
    private var outcomes: [SwarmOutcome] = []
    private var violations = 0
    private let stopOnFailure: Bool

    init(executable: String, seeds: [UInt64], batch: Int, workerArguments: [String], stopOnFailure: Bool) {
        self.executable = executable
        self.workerArguments = workerArguments
        self.stopOnFailure = stopOnFailure
        pending = stride(from: 0, to: seeds.count, by: batch).map { Array(seeds[$0..<min($0 + batch, seeds.count)]) }
        pending.reverse()
    }

    /// Blocks until every seed has an outcome; `progress(done, violations)` is called on the calling thread.
    func run(jobs: Int, progress: (Int, Int) -> Void) -> [SwarmOutcome] {
        let group = DispatchGroup()
        for _ in 0..<jobs {
            group.enter()
            Thread.detachNewThread { [self] in
                while let batch = nextBatch() { runBatch(batch) }
                group.leave()
            }
        }
        while group.wait(timeout: .now() + 1) == .timedOut {
            let (done, bad) = lock.withLock { (outcomes.count, violations) }
            progress(done, bad)
        }
        let (done, bad) = lock.withLock { (outcomes.count, violations) }
        progress(done, bad)
        return lock.withLock { outcomes }
    }

    private func nextBatch() -> [UInt64]? { lock.withLock { pending.popLast() } }

    private func record(_ outcome: SwarmOutcome) {
        lock.withLock {
            outcomes.append(outcome)
            if outcome.isViolation {
                violations += 1
                if stopOnFailure { pending.removeAll() }
            }
        }
    }

    private func runBatch(_ seeds: [UInt64]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            workerArguments + ["--from", String(seeds[0]), "--seeds", String(seeds.count)]
        let output = Pipe()
        process.standardOutput = output
        var reported = Set<UInt64>()
        do {
            try process.run()
        } catch {
            for seed in seeds {
                record(
                    SwarmOutcome(
                        seed: seed, verdict: .error, detail: "cannot start worker \(executable): \(error)",
                        summary: "", virtualSeconds: 0, committedBlocks: 0))
            }
            return
        }
        let decoder = JSONDecoder()
        var buffer = Data()
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                if let outcome = try? decoder.decode(SwarmOutcome.self, from: line), seeds.contains(outcome.seed) {
                    reported.insert(outcome.seed)
                    record(outcome)
                }
            }
        }
        process.waitUntilExit()
        let missing = seeds.filter { !reported.contains($0) }
        guard let crashed = missing.first else { return }
        record(
            SwarmOutcome(
                seed: crashed, verdict: .error,
                detail: "worker exited with status \(process.terminationStatus) "
                    + "(\(process.terminationReason == .uncaughtSignal ? "signal" : "exit")) while running this seed",
                summary: "", virtualSeconds: 0, committedBlocks: 0))
        let rest = Array(missing.dropFirst())
        if !rest.isEmpty, !stopOnFailure { lock.withLock { pending.append(rest) } }
    }
}

/// One line on standard output, written at once: progress must show up as it happens when the output goes to a file
/// (a long swarm in the background), which `print` would buffer.
private func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

import Foundation
import GridLoad

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a plan's cells as child processes of the `gridledger` executable, `jobs` at a time, each in its own folder
/// with its own log. Cells finished by an earlier, interrupted sweep into the same folder are not run again.
public final class SweepRunner {
    public struct Options: Sendable {
        /// The `gridledger` executable the cells run.
        public var executable: URL
        public var outDirectory: URL
        public var jobs: Int
        /// Asked between polls; true stops the sweep: running cells are terminated and stay pending.
        public var shouldStop: @Sendable () -> Bool
        /// Progress lines.
        public var output: @Sendable (String) -> Void
        /// How often to print a progress line while no cell finishes.
        public var heartbeatSeconds: Double = 30
        /// Time a terminated cell gets to exit before it is killed.
        public var terminationGraceSeconds: Double = 10

        public init(
            executable: URL, outDirectory: URL, jobs: Int, shouldStop: @escaping @Sendable () -> Bool = { false },
            output: @escaping @Sendable (String) -> Void
        ) {
            self.executable = executable
            self.outDirectory = outDirectory
            self.jobs = jobs
            self.shouldStop = shouldStop
            self.output = output
        }
    }

    public struct Outcome: Sendable {
        public var summary: SweepSummary
        /// Cells skipped because an earlier sweep finished them.
        public var skipped: Int
        /// Cells run (done or failed) by this sweep.
        public var ran: Int
        public var failed: Int
        /// The sweep was stopped before every cell ran.
        public var interrupted: Bool
        public var wallSeconds: Double
    }

    private struct Running {
        var cell: PlannedCell
        var process: Process
        var log: FileHandle
        var startedAt: Date
    }

    let plan: SweepPlan
    let options: Options
    private let fileManager = FileManager.default
    private var outcomes: [String: CellOutcome] = [:]
    private var statuses: [String: String] = [:]
    private var durations: [Double] = []

    public init(plan: SweepPlan, options: Options) {
        self.plan = plan
        self.options = options
    }

    var cellsDirectory: URL { options.outDirectory.appendingPathComponent("cells") }

    func directory(of cell: PlannedCell) -> URL { cellsDirectory.appendingPathComponent(cell.name) }

    public func run() throws -> Outcome {
        let started = Date()
        do {
            try fileManager.createDirectory(at: cellsDirectory, withIntermediateDirectories: true)
        } catch {
            throw SweepError("cannot create \(cellsDirectory.path): \(error.localizedDescription)")
        }
        let lock = try SweepLock(directory: options.outDirectory)
        defer { lock.release() }
        guard fileManager.isExecutableFile(atPath: options.executable.path) else {
            throw SweepError("cannot run cells: \(options.executable.path) is not an executable")
        }
        var queue: [PlannedCell] = []
        var skipped = 0
        for cell in plan.cells {
            if let outcome = finishedOutcome(cell) {
                outcomes[cell.name] = outcome
                statuses[cell.name] = "done"
                skipped += 1
            } else {
                statuses[cell.name] = "pending"
                queue.append(cell)
            }
        }
        let total = plan.cells.count
        options.output(
            "sweep \(plan.spec.name): \(total) cells, \(skipped) finished earlier, \(queue.count) to run, "
                + "\(options.jobs) at a time, in \(options.outDirectory.relativePath)")
        try writeSummary()

        var running: [Running] = []
        var ran = 0
        var failed = 0
        var interrupted = false
        var lastLine = Date()
        queue.reverse()  // popLast takes cells in matrix order
        while !queue.isEmpty || !running.isEmpty {
            if options.shouldStop() {
                interrupted = true
                break
            }
            while running.count < options.jobs, let cell = queue.popLast() {
                do {
                    running.append(try start(cell))
                } catch {
                    try record(cell, status: "failed", exit: nil, message: "\(error)", seconds: 0)
                    failed += 1
                    ran += 1
                    options.output("[\(doneCount)/\(total)] FAILED \(cell.name): \(error)")
                }
            }
            var index = 0
            var finishedAny = false
            while index < running.count {
                let entry = running[index]
                guard !entry.process.isRunning else {
                    index += 1
                    continue
                }
                running.remove(at: index)
                finishedAny = true
                try? entry.log.close()
                let seconds = Date().timeIntervalSince(entry.startedAt)
                let reason = entry.process.terminationReason
                let status = entry.process.terminationStatus
                if reason == .uncaughtSignal, status == SIGINT || status == SIGTERM {
                    // Ctrl-C reaches the whole process group: the cell was interrupted, not broken.
                    interrupted = true
                    continue
                }
                ran += 1
                if let failure = finish(entry.cell, reason: reason, status: status, seconds: seconds) {
                    failed += 1
                    options.output(
                        "[\(doneCount)/\(total)] FAILED \(entry.cell.name) after \(duration(seconds)): \(failure); "
                            + "log: \(directory(of: entry.cell).appendingPathComponent("log.txt").relativePath)")
                } else {
                    durations.append(seconds)
                    options.output(
                        "[\(doneCount)/\(total)] done \(entry.cell.name) in \(duration(seconds)): "
                            + figuresLine(entry.cell) + "; " + estimate(running: running, queued: queue.count))
                }
                try writeSummary()
            }
            if interrupted { break }
            if finishedAny {
                lastLine = Date()
            } else if Date().timeIntervalSince(lastLine) >= options.heartbeatSeconds {
                lastLine = Date()
                let names = running.map { "\($0.cell.name) \(duration(Date().timeIntervalSince($0.startedAt)))" }
                options.output(
                    "[\(doneCount)/\(total)] running \(names.joined(separator: ", ")); "
                        + estimate(running: running, queued: queue.count))
            }
            usleep(50_000)
        }
        if !running.isEmpty {
            options.output("stopping \(running.count) running cells; they stay pending and run when the sweep resumes")
            stop(running)
        }
        try writeSummary()
        let summary = makeSummary()
        return Outcome(
            summary: summary, skipped: skipped, ran: ran, failed: failed, interrupted: interrupted,
            wallSeconds: Date().timeIntervalSince(started))
    }

    private var doneCount: Int { statuses.values.filter { $0 == "done" || $0 == "failed" }.count }

    /// The cell's outcome if an earlier sweep finished it with the same command and topology; nil otherwise.
    func finishedOutcome(_ cell: PlannedCell) -> CellOutcome? {
        let folder = directory(of: cell)
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(CellRecord.fileName)),
            let record = try? JSONDecoder().decode(CellRecord.self, from: data), record.status == "done",
            record.arguments == cell.arguments,
            let topology = try? String(contentsOf: folder.appendingPathComponent("topology.yaml"), encoding: .utf8),
            topology == cell.topologyYAML
        else { return nil }
        return try? CellOutcome.read(directory: folder, mode: plan.spec.mode)
    }

    private func start(_ cell: PlannedCell) throws -> Running {
        let folder = directory(of: cell)
        // Whatever an interrupted or failed run left is replaced; the folder is the sweep's own.
        if fileManager.fileExists(atPath: folder.path) { try fileManager.removeItem(at: folder) }
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(cell.topologyYAML.utf8).write(to: folder.appendingPathComponent("topology.yaml"), options: .atomic)
        let logURL = folder.appendingPathComponent("log.txt")
        guard fileManager.createFile(atPath: logURL.path, contents: nil) else {
            throw SweepError("cannot create \(logURL.path)")
        }
        let log = try FileHandle(forWritingTo: logURL)
        log.write(Data(("$ gridledger " + cell.arguments.joined(separator: " ") + "\n").utf8))
        let process = Process()
        process.executableURL = options.executable
        process.arguments = cell.arguments
        process.currentDirectoryURL = options.outDirectory
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            try? log.close()
            throw SweepError("cannot start \(options.executable.path): \(error.localizedDescription)")
        }
        statuses[cell.name] = "running"
        return Running(cell: cell, process: process, log: log, startedAt: Date())
    }

    /// Reads the result of an ended cell and records it; returns why it failed, or nil when it is done.
    private func finish(
        _ cell: PlannedCell, reason: Process.TerminationReason, status: Int32, seconds: Double
    ) -> String? {
        let folder = directory(of: cell)
        var failure: String?
        if reason == .uncaughtSignal {
            failure = "killed by signal \(status)"
        } else if status != 0 {
            failure = "exit status \(status)"
        } else {
            do {
                outcomes[cell.name] = try CellOutcome.read(directory: folder, mode: plan.spec.mode)
            } catch {
                failure = "no readable \(CellOutcome.resultFile(mode: plan.spec.mode)): \(error)"
            }
        }
        if failure == nil, !plan.spec.keepStores { removeStores(under: folder) }
        do {
            try record(
                cell, status: failure == nil ? "done" : "failed",
                exit: (reason == .uncaughtSignal ? nil : status, reason == .uncaughtSignal ? status : nil),
                message: failure, seconds: seconds)
        } catch {
            return "cannot write its record: \(error)"
        }
        return failure
    }

    private func record(
        _ cell: PlannedCell, status: String, exit: (status: Int32?, signal: Int32?)?, message: String?, seconds: Double
    ) throws {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let record = CellRecord(
            name: cell.name, mode: plan.spec.mode.rawValue, arguments: cell.arguments, status: status,
            exitStatus: exit?.status, signal: exit?.signal, message: message,
            wallSeconds: (seconds * 1000).rounded() / 1000,
            finishedAt: formatter.string(from: Date()))
        let folder = directory(of: cell)
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.encoder.encode(record).write(to: folder.appendingPathComponent(CellRecord.fileName), options: .atomic)
        statuses[cell.name] = status
    }

    /// LMDB stores are large and the results hold what the sweep needs.
    private func removeStores(under folder: URL) {
        guard let enumerator = fileManager.enumerator(at: folder, includingPropertiesForKeys: [.isDirectoryKey]) else {
            return
        }
        var stores: [URL] = []
        for case let url as URL in enumerator where url.lastPathComponent == "stores" {
            stores.append(url)
            enumerator.skipDescendants()
        }
        for url in stores { try? fileManager.removeItem(at: url) }
    }

    /// SIGTERM to every running cell, SIGKILL to those still running after the grace period.
    private func stop(_ running: [Running]) {
        for entry in running where entry.process.isRunning { kill(entry.process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(options.terminationGraceSeconds)
        while running.contains(where: { $0.process.isRunning }), Date() < deadline { usleep(20_000) }
        for entry in running where entry.process.isRunning {
            kill(entry.process.processIdentifier, SIGKILL)
            entry.process.waitUntilExit()
        }
        for entry in running {
            try? entry.log.close()
            statuses[entry.cell.name] = "pending"
        }
    }

    // MARK: - Progress

    private func figuresLine(_ cell: PlannedCell) -> String {
        guard let outcome = outcomes[cell.name] else { return "no result" }
        let figures = outcome.figures
        var parts: [String] = []
        if case .capacity(let result) = outcome {
            parts.append("sustainable \(fixed(result.sustainableTps, 1)) tx/s")
        }
        parts.append("offered \(fixed(figures.offeredTps, 1)) tx/s, committed \(fixed(figures.committedTps, 1)) tx/s")
        parts.append("p99 " + (figures.p99Millis.map { fixed($0, 1) + " ms" } ?? "n/a"))
        if case .run(let result) = outcome, let slo = plan.spec.slo {
            let evaluation = slo.evaluate(result)
            parts.append(
                evaluation.met
                    ? "meets \(slo.text)" : "misses \(slo.text) (\(evaluation.failed.joined(separator: ", ")))")
        }
        return parts.joined(separator: ", ")
    }

    /// Time left: the mean wall time of the cells this sweep finished, for the queued cells and what the running
    /// ones have left, spread over the jobs.
    private func estimate(running: [Running], queued: Int) -> String {
        guard !durations.isEmpty else { return "time left: known after the first cell" }
        let mean = durations.reduce(0, +) / Double(durations.count)
        let runningLeft = running.reduce(0.0) { total, entry in
            total + max(mean - Date().timeIntervalSince(entry.startedAt), mean * 0.05)
        }
        let lanes = Double(max(1, min(options.jobs, running.count + queued)))
        return "about \(duration((runningLeft + Double(queued) * mean) / lanes)) left"
    }

    // MARK: - Summary

    func makeSummary() -> SweepSummary {
        let cells = plan.cells.map { cell -> SweepCell in
            if let outcome = outcomes[cell.name], statuses[cell.name] == "done" {
                return outcome.summary(cell: cell, mode: plan.spec.mode)
            }
            let status = statuses[cell.name] == "failed" ? "failed" : "pending"
            return SweepCell(
                name: cell.name, parameters: cell.summaryParameters,
                mode: SweepCell.Mode(rawValue: plan.spec.mode.rawValue) ?? .run, status: status,
                resultDirectory: cell.directory)
        }
        return SweepSummary(spec: plan.spec.file, cells: cells)
    }

    /// `sweep.json` and `sweep.md`, rewritten (atomically) after every cell, so they can be watched.
    private func writeSummary() throws {
        let summary = makeSummary()
        let report = SweepReport(plan: plan, summary: summary, outcomes: outcomes)
        do {
            try Self.encoder.encode(summary).write(
                to: options.outDirectory.appendingPathComponent("sweep.json"), options: .atomic)
            try Data(report.markdown().utf8).write(
                to: options.outDirectory.appendingPathComponent("sweep.md"), options: .atomic)
        } catch {
            throw SweepError(
                "cannot write the summary into \(options.outDirectory.path): \(error.localizedDescription)")
        }
    }

    /// The outcomes read so far, for the final table.
    public var cellOutcomes: [String: CellOutcome] { outcomes }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// `12 s`, `4 min 05 s`, `1 h 02 min`.
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return "\(whole / 60) min \(String(format: "%02d", whole % 60)) s" }
    return "\(whole / 3600) h \(String(format: "%02d", whole / 60 % 60)) min"
}

func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "n/a" }
    return String(format: "%.\(decimals)f", value)
}

/// An exclusive lock on the output folder, so that two sweeps never run the same cells into it at once.
struct SweepLock {
    private let descriptor: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent(".sweep.lock").path
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SweepError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw SweepError("another sweep is running into \(directory.path) (it holds \(path))")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

import ArgumentParser
import Foundation
import GridSweep
import Synchronization

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a matrix of topologies and parameters, one cell per process, and answer the planner's question.",
        discussion: """
            SPEC is a sweep spec (see sweeps/ and docs/sweeps.md): base topologies, a matrix of parameters and a \
            mode, run (fixed rate, each cell judged against the spec's SLO) or capacity (each cell searches for \
            its sustainable rate). Every cell's topology is written to DIR/cells/NAME/topology.yaml and checked \
            before anything runs; each cell runs as its own 'gridledger run' or 'gridledger capacity' process, \
            with its log in DIR/cells/NAME/log.txt. Running the same command again resumes: finished cells are \
            kept. Ctrl-C or SIGTERM stops the running cells, which stay pending. Writes DIR/sweep.json and \
            DIR/sweep.md, and prints a table at the end.
            """
    )

    @Argument(help: "Sweep spec file.")
    var spec: String

    @Option(name: .long, help: "Cells run at once, 1 to 4 x this machine's cores. (default: the number of cores)")
    var jobs: Int?

    @Option(name: .long, help: "Output folder. (default: out/sweep-NAME)")
    var out: String?

    @Flag(name: .long, help: "List the cells and their commands, check their topologies, and run nothing.")
    var list = false

    func validate() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let jobs, !(1...(cores * SweepLimits.jobsPerCoreMax)).contains(jobs) {
            throw ValidationError(
                "--jobs must be 1...\(cores * SweepLimits.jobsPerCoreMax) (\(SweepLimits.jobsPerCoreMax) per core), got \(jobs)"
            )
        }
    }

    func run() throws {
        let plan: SweepPlan
        do {
            let spec = try SweepSpecReader.load(contentsOf: URL(fileURLWithPath: self.spec))
            plan = try SweepPlan.make(spec)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        if list {
            for cell in plan.cells {
                let parameters = cell.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
                print("\(cell.name)  \(parameters)\n    gridledger \(cell.arguments.joined(separator: " "))")
            }
            print("\(plan.cells.count) cells, every topology checked")
            return
        }
        let outDirectory = URL(
            fileURLWithPath: out ?? "out/sweep-\(plan.spec.name)",
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        installStopHandlers()
        let options = SweepRunner.Options(
            executable: currentExecutable(), outDirectory: outDirectory,
            jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            shouldStop: { stopSignal.load(ordering: .relaxed) != 0 },
            output: { line in printError(line) })
        let runner = SweepRunner(plan: plan, options: options)
        let outcome: SweepRunner.Outcome
        do { outcome = try runner.run() } catch {
            printError("gridledger sweep: \(error)")
            throw ExitCode.failure
        }
        let report = SweepReport(plan: plan, summary: outcome.summary, outcomes: runner.cellOutcomes)
        print(report.terminalTable())
        print(
            "ran \(outcome.ran) cells (\(outcome.failed) failed), \(outcome.skipped) finished earlier, in "
                + String(format: "%.1f", outcome.wallSeconds) + " s; wrote "
                + outDirectory.appendingPathComponent("sweep.json").relativePath + " and "
                + outDirectory.appendingPathComponent("sweep.md").relativePath)
        if outcome.interrupted {
            let signal = stopSignal.load(ordering: .relaxed)
            printError("interrupted; run the same command again to resume")
            throw ExitCode(128 + (signal == 0 ? SIGINT : signal))
        }
        if outcome.failed > 0 { throw ExitCode.failure }
    }
}

/// The signal that asked the sweep to stop, 0 while none did. Set from a signal handler: an atomic store is safe
/// there, and the runner polls it between cells.
private let stopSignal = Atomic<Int32>(0)

/// SIGINT and SIGTERM stop the sweep cleanly instead of killing it. Handlers, not SIG_IGN: a handled signal is reset
/// to its default in the cells' processes, an ignored one would be inherited.
private func installStopHandlers() {
    signal(SIGINT) { stopSignal.store($0, ordering: .relaxed) }
    signal(SIGTERM) { stopSignal.store($0, ordering: .relaxed) }
}

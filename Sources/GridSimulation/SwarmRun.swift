import Foundation

/// What one swarm seed showed.
public struct SwarmOutcome: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable, CaseIterable {
        case passed
        /// A safety invariant the simulator checks on every event broke (conflicting commits, a lost block, ...).
        case invariant
        /// Two honest stores differ at a height, or a store does not verify or ends elsewhere than reported.
        case storeMismatch = "store-mismatch"
        /// A region committed nothing within its bound after the faults healed.
        case liveness
        /// A transaction offered after the faults healed did not commit.
        case livenessTransactions = "liveness-transactions"
        /// The run failed otherwise (set-up, store error, outcome accounting): a bug too.
        case error
    }

    public var seed: UInt64
    public var verdict: Verdict
    public var detail: String
    public var summary: String
    public var virtualSeconds: Double
    public var committedBlocks: UInt64

    public var isViolation: Bool { verdict != .passed }

    public init(
        seed: UInt64, verdict: Verdict, detail: String, summary: String, virtualSeconds: Double, committedBlocks: UInt64
    ) {
        self.seed = seed
        self.verdict = verdict
        self.detail = detail
        self.summary = summary
        self.virtualSeconds = virtualSeconds
        self.committedBlocks = committedBlocks
    }
}

/// Runs one swarm scenario in the simulator and checks it: the simulator's invariants on every event, every honest
/// store block by block at the end, and (within f) liveness once the faults have healed.
public enum SwarmRun {
    public static func run(_ scenario: SwarmScenario, storeDirectory: URL, traceFile: URL? = nil) -> SwarmOutcome {
        var outcome = SwarmOutcome(
            seed: scenario.seed, verdict: .passed, detail: "", summary: scenario.summary, virtualSeconds: 0,
            committedBlocks: 0)
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let report: SimulationReport
        do {
            var topology = try scenario.topology
            // A transaction offered after the heal must commit within its region's liveness bound, the promise a
            // block is held to; the drawn 2 s client timeout is shorter than that bound with an equivocator still
            // at work (each of its rounds costs a view timeout, and a validator that voted for its fork learns of
            // later commits a round late), so it would call a slow commit a lost one (seed 11: committed 2.065 s
            // after it was sent, at its gateway).
            let boundSeconds = scenario.livenessBoundSeconds.values.max() ?? 0
            if !scenario.beyondF, topology.workload.timeoutSeconds < boundSeconds {
                topology.workload.timeoutSeconds = boundSeconds.rounded(.up)
            }
            var options = SimulationOptions(
                topology: topology, storeDirectory: storeDirectory, byzantine: scenario.byzantine)
            options.voteAdversary = scenario.voteAdversary
            options.traceFile = traceFile
            report = try Simulation(options: options).run()
        } catch let error as SimulationError {
            if case .invariantViolated = error {
                outcome.verdict = .invariant
            } else {
                outcome.verdict = .error
            }
            outcome.detail = error.description
            return outcome
        } catch {
            outcome.verdict = .error
            outcome.detail = "\(error)"
            return outcome
        }
        outcome.virtualSeconds = Double(report.virtualNanos) / 1e9
        outcome.committedBlocks = report.committedHeights.values.reduce(0, +)
        do {
            if let problem = try StoreComparison.firstProblem(
                in: storeDirectory, report: report, byzantine: Set(scenario.byzantine.keys))
            {
                outcome.verdict = .storeMismatch
                outcome.detail = problem
                return outcome
            }
        } catch {
            outcome.verdict = .error
            outcome.detail = "reading the stores back: \(error)"
            return outcome
        }
        guard !scenario.beyondF else { return outcome }
        if let problem = livenessProblem(scenario, report) {
            outcome.verdict = .liveness
            outcome.detail = problem
            return outcome
        }
        let after = report.recorder.measuredCounts
        if after.committed != after.offered {
            outcome.verdict = .livenessTransactions
            outcome.detail =
                "\(after.committed) of \(after.offered) transactions offered after the faults healed at "
                + "\(scenario.healedSeconds) s committed (rejected \(after.rejected), dropped \(after.dropped), "
                + "timed out \(after.timedOut))"
        }
        return outcome
    }

    /// Each region must commit a block above the height it had when the faults healed, within its bound.
    static func livenessProblem(_ scenario: SwarmScenario, _ report: SimulationReport) -> String? {
        let healedNanos = UInt64(scenario.healedSeconds * 1e9)
        for (region, bound) in scenario.livenessBoundSeconds.sorted(by: { $0.key < $1.key }) {
            let commits = report.firstCommitNanos[region] ?? [:]
            let heightAtHeal = commits.filter { $0.value <= healedNanos }.keys.max() ?? 0
            let next = commits.filter { $0.key > heightAtHeal }.values.min()
            let deadlineNanos = healedNanos + UInt64(bound * 1e9)
            guard let next, next <= deadlineNanos else {
                let seen = next.map { String(format: "only at %.3f s", Double($0) / 1e9) } ?? "never"
                return
                    "region \(region) at height \(heightAtHeal) when the faults healed at \(scenario.healedSeconds) s "
                    + "committed again \(seen); bound \(String(format: "%.3f", bound)) s"
            }
        }
        return nil
    }
}

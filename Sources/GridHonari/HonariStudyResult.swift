import Foundation
import GridLoad

/// One simulator run of the study: a send rate on one layout.
public struct HonariStudyRun: Codable, Sendable {
    public var rateTps: Double
    public var shards: Int
    /// Demand multiplier of the run (`workload.voltage.loadScale`).
    public var loadScale: Double
    public var result: RunResult
    public var wallSeconds: Double

    public var offeredTps: Double { result.offeredTps }
    public var committedTps: Double { result.committedTps }
    public var latency: LatencySummary? { result.latency(.localCommit) }
    public var voltage: RunResult.VoltageOutcome? { result.workload?.voltage }
    public var crossRegion: RunResult.CrossRegionCounts? { result.global?.crossRegion }

    /// Whether the run committed at least `share` of what it was offered.
    public func keepsUp(_ share: Double) -> Bool { result.offeredTps > 0 && committedTps >= share * offeredTps }

    /// Whether every bus stayed within its limits in every measured period (nil: not evaluated); a period whose
    /// power flow diverged (voltage collapse) counts as outside.
    public var voltagesWithinLimits: Bool? {
        voltage?.periodsOutsideLimits.map { $0 == 0 && (voltage?.powerFlowFailures ?? 0) == 0 }
    }

    /// The lowest voltage of the measured window; nil when no period's power flow converged (the outcome's field
    /// then holds a placeholder).
    public var lowestVoltagePU: Double? {
        guard let voltage, voltage.network == nil || voltage.lowestStabilityIndex != nil else { return nil }
        return voltage.weakestVoltagePU
    }

    var progressLine: String {
        let latency = latency
        let cross = crossRegion.map { counts in
            ", cross-region messages sent \(counts.sent.map(String.init) ?? "-"), delivered \(counts.committed), "
                + "applied \(counts.applied)"
                + (voltage?.registry.map { ", registry searches \($0.searches) (matched \($0.matched))" } ?? "")
        }
        let failures = voltage?.powerFlowFailures.flatMap { $0 > 0 ? ", power flow diverged in \($0) periods" : nil }
        return String(
            format: "%@ tx/s, %d region(s)%@: committed %.1f of %.1f tx/s, avg %@ p50 %@ p99 %@ ms, min V %@, "
                + "min VSI %@%@%@ (%.1f s wall)",
            HonariStudyResult.format(rateTps), shards,
            loadScale == 1 ? "" : ", \(HonariStudyResult.formatScale(loadScale)) x demand", committedTps, offeredTps,
            HonariStudyResult.millis(latency?.mean), HonariStudyResult.millis(latency?.p50),
            HonariStudyResult.millis(latency?.p99), HonariStudyResult.fixed(lowestVoltagePU, 4),
            HonariStudyResult.fixed(voltage?.lowestStabilityIndex, 3), cross ?? "", failures ?? "", wallSeconds)
    }
}

/// The study's outcome: every run, the settings, and the paper's figures, with the tables and the report.
public struct HonariStudyResult: Codable, Sendable {
    /// The settings that shaped the runs (the store directory left out).
    public struct Settings: Codable, Sendable {
        public var ratesTps: [Double]
        public var shardCounts: [Int]
        public var validatorsPerRegion: Int
        public var globalValidators: Int
        public var measuredSeconds: Double
        public var warmupSeconds: Double
        public var targetReportingPeriodSeconds: Double
        public var controlIntervalSeconds: Double
        public var startHour: Double
        public var coresPerValidator: Int
        public var fixedTotalCores: Double?
        public var saturationShare: Double
        public var seed: UInt64
        public var loadScale: Double
        public var stress: HonariStressExperiment?
        /// nil in files from before the main chain existed (no registry then).
        public var mainChain: Bool?

        init(_ options: HonariStudyOptions) {
            ratesTps = options.ratesTps
            shardCounts = options.shardCounts
            validatorsPerRegion = options.validatorsPerRegion
            globalValidators = options.globalValidators
            measuredSeconds = options.measuredSeconds
            warmupSeconds = options.warmupSeconds
            targetReportingPeriodSeconds = options.targetReportingPeriodSeconds
            controlIntervalSeconds = options.controlIntervalSeconds
            startHour = options.startHour
            coresPerValidator = options.coresPerValidator
            fixedTotalCores = options.fixedTotalCores
            saturationShare = options.saturationShare
            seed = options.seed
            loadScale = options.loadScale
            stress = options.stress
            mainChain = options.mainChain
        }
    }

    public var schemaVersion = 1
    public var study = "honari"
    public var options: Settings
    /// Every rate run, listed rates first, then the saturation search.
    public var rates: [Double]
    public var runs: [HonariStudyRun]
    /// The stress experiment's runs (`options.stress`), one per layout; empty when it was skipped.
    public var stressRuns: [HonariStudyRun]
    public var paper: HonariPaperFigures
    /// PQ buses with demand, each with `devicesPerBus` reporting devices.
    public var loadedBuses: Int

    public func run(rateTps: Double, shards: Int) -> HonariStudyRun? {
        runs.first { $0.rateTps == rateTps && $0.shards == shards }
    }

    /// Best committed throughput of a layout over the rates.
    public func bestCommittedTps(shards: Int) -> Double? {
        runs.filter { $0.shards == shards }.map(\.committedTps).max()
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    // MARK: - Tables

    public var tableHeader: [String] {
        var header = ["rate tx/s"]
        for shards in options.shardCounts {
            let name = shards == 1 ? "unsharded" : "\(shards) shards"
            header += ["\(name) committed tx/s", "avg ms", "p50 ms", "p99 ms", "failed"]
        }
        header += ["paper unsharded", "paper 3 shards", "voltages in limits", "min V p.u.", "min VSI"]
        return header
    }

    public var tableRows: [[String]] {
        rates.map { rate in
            var row = [Self.format(rate)]
            var layoutRuns: [HonariStudyRun] = []
            for shards in options.shardCounts {
                guard let run = run(rateTps: rate, shards: shards) else {
                    row += ["-", "-", "-", "-", "-"]
                    continue
                }
                layoutRuns.append(run)
                let latency = run.latency
                row += [
                    String(format: "%.1f", run.committedTps), Self.millis(latency?.mean), Self.millis(latency?.p50),
                    Self.millis(latency?.p99), String(run.result.counts.failed),
                ]
            }
            let inPaper = rate <= (paper.sendRatesTps.max() ?? 0)
            row += [
                inPaper ? paper.summary(rateTps: rate, shards: 1) : "-",
                inPaper ? paper.summary(rateTps: rate, shards: 3) : "-",
                layoutRuns.map { run in
                    switch run.voltagesWithinLimits {
                    case .some(true): "yes"
                    case .some(false):
                        "no (\(run.voltage?.periodsOutsideLimits ?? 0) periods"
                            + ((run.voltage?.powerFlowFailures ?? 0) > 0
                                ? ", \(run.voltage?.powerFlowFailures ?? 0) diverged)" : ")")
                    case .none: "n/a"
                    }
                }.joined(separator: " / "),
                layoutRuns.map { Self.fixed($0.lowestVoltagePU, 3) }.joined(separator: " / "),
                layoutRuns.map { Self.fixed($0.voltage?.lowestStabilityIndex, 3) }.joined(separator: " / "),
            ]
            return row
        }
    }

    /// The side-by-side table as plain text with aligned columns.
    public func table() -> String {
        let rows = [tableHeader] + tableRows
        let widths = tableHeader.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in cell.padding(toLength: widths[column], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    // MARK: - Formatting

    public static func format(_ rate: Double) -> String {
        rate == rate.rounded() ? String(Int(rate)) : String(format: "%.1f", rate)
    }

    /// A demand multiplier as written (2.25, not 2.2).
    public static func formatScale(_ scale: Double) -> String { String(format: "%g", scale) }

    static func millis(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "-"
    }
}

import ArgumentParser
import Foundation
import GridHonari

/// `gridledger study honari`: Honari et al.'s sharded voltage-stability experiment (arXiv:2206.13776) on the
/// simulator, with our figures beside the paper's.
struct StudyHonariCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honari",
        abstract: "Run Honari et al.'s sharded voltage-stability study (IEEE 30-bus, 1 vs 3 shards) on the simulator.",
        discussion: """
            The IEEE 30-bus case in one region, and split into Honari's 3 groups (3 regions of 4 validators plus a \
            global committee of 4), at send rates 50-1200 tx/s and beyond until the ledger saturates. Each bus \
            device signs a report to its region's voltage contract; the region's operator dispatches reactive \
            set-points from the margin-ratio index; a group short of reactive power asks its neighbour through the \
            global layer. Writes DIR/study.json, DIR/study.md, DIR/study.html and DIR/topologies/*.yaml.
            """)

    @Option(help: "Directory for study.json, study.md and study.html.")
    var out = "out/study-honari"

    @Flag(help: "Rates 50, 600 and 1200 with 3 s windows and no saturation search (about a minute).")
    var quick = false

    @Option(help: "Comma-separated send rates in tx/s (default 50,100,200,400,600,800,1000,1200,2400,4800).")
    var rates: String?

    @Option(help: "Measured window per run in virtual seconds (default 5; 3 with --quick).")
    var windowSeconds: Double?

    @Flag(help: "Stop after the listed rates instead of doubling until a layout saturates.")
    var noSaturationSearch = false

    @Option(
        help:
            "Share the same total number of cores among the validators of every layout (the paper's fixed hardware); default: each validator has 2 cores."
    )
    var fixedTotalCores: Double?

    @Option(help: "Multiply every bus's P and Q demand in the sweep by this factor, in (0, 10] (default 1: nominal).")
    var loadScale: Double?

    @Option(
        help:
            "Demand factor of the stress experiment that exercises the global step, in (0, 10] (default \(HonariStudyResult.formatScale(HonariStressExperiment.standard.loadScale)))."
    )
    var stressLoadScale: Double?

    @Option(help: "Send rate of the stress experiment in tx/s (default 600).")
    var stressRate: Double?

    @Flag(help: "Skip the stress experiment (scaled demand, where a group runs out of reactive headroom).")
    var noStress = false

    @Flag(
        help: ArgumentHelp(
            "No main chain: a short group asks its neighbour directly and the rest goes along the adjacency, "
                + "instead of the voltage registry on a region of its own picking the helper."))
    var noMainChain = false

    @Option(help: "Simulator runs side by side, 1...64 (default: one per core); the results do not depend on it.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if let loadScale, let problem = HonariStudyError.loadScaleProblem(loadScale, field: "--load-scale") {
            throw ValidationError(problem)
        }
        if let stressLoadScale,
            let problem = HonariStudyError.loadScaleProblem(stressLoadScale, field: "--stress-load-scale")
        {
            throw ValidationError(problem)
        }
        if let stressRate, !(stressRate > 0 && stressRate <= 1_000_000) {
            throw ValidationError("--stress-rate must lie in (0, 1000000] tx/s, got \(stressRate)")
        }
        if noStress, stressLoadScale != nil || stressRate != nil {
            throw ValidationError("--no-stress skips the stress experiment; drop --stress-load-scale and --stress-rate")
        }
        if let rates, Self.parseRates(rates) == nil {
            throw ValidationError("--rates must be comma-separated positive numbers, got '\(rates)'")
        }
        if let windowSeconds, !(0.5...600).contains(windowSeconds) {
            throw ValidationError("--window-seconds must lie in 0.5...600, got \(windowSeconds)")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must lie in 1...64, got \(jobs)") }
        if let fixedTotalCores, !(0.1...1024).contains(fixedTotalCores) {
            throw ValidationError("--fixed-total-cores must lie in 0.1...1024, got \(fixedTotalCores)")
        }
    }

    static func parseRates(_ text: String) -> [Double]? {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 && ($0 ?? 0) <= 1_000_000 }) else { return nil }
        return values.compactMap { $0 }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let stores = directory.appendingPathComponent("stores")
        var options =
            quick ? HonariStudyOptions.quick(storeDirectory: stores) : HonariStudyOptions(storeDirectory: stores)
        if let rates, let parsed = Self.parseRates(rates) { options.ratesTps = parsed }
        if let windowSeconds { options.measuredSeconds = windowSeconds }
        if noSaturationSearch { options.saturationShare = 0 }
        options.fixedTotalCores = fixedTotalCores
        if let loadScale { options.loadScale = loadScale }
        if noStress { options.stress = nil }
        if noMainChain { options.mainChain = false }
        if let stressLoadScale { options.stress?.loadScale = stressLoadScale }
        if let stressRate { options.stress?.rateTps = stressRate }
        options.concurrentRuns = jobs
        let started = Date()
        let result: HonariStudyResult
        do {
            result = try HonariStudy.run(options) { line in
                FileHandle.standardError.write(Data("honari: \(line)\n".utf8))
            }
        } catch {
            throw ValidationError("honari study: \(error)")
        }
        let wallSeconds = Date().timeIntervalSince(started)
        // Each run's stores went with the run; the folder that held them goes too.
        do { try FileManager.default.removeItem(at: stores) } catch {
            FileHandle.standardError.write(Data("honari: note: could not remove \(stores.path): \(error)\n".utf8))
        }
        do {
            let topologies = directory.appendingPathComponent("topologies")
            try FileManager.default.createDirectory(at: topologies, withIntermediateDirectories: true)
            let stressOptions = HonariStudy.stressOptions(options)
            for (run, runOptions) in result.runs.map({ ($0, options) }) + result.stressRuns.map({ ($0, stressOptions) })
            {
                let yaml = HonariStudy.topologyYAML(
                    rateTps: run.rateTps, shards: run.shards, options: runOptions, loadScale: run.loadScale)
                try Data(yaml.utf8).write(
                    to: topologies.appendingPathComponent("\(run.result.topology.name).yaml"))
            }
            try result.json().write(to: directory.appendingPathComponent("study.json"))
            try Data(result.markdown(wallSeconds: wallSeconds).utf8).write(
                to: directory.appendingPathComponent("study.md"))
            try Data(result.html(wallSeconds: wallSeconds).utf8).write(
                to: directory.appendingPathComponent("study.html"))
        } catch {
            throw ValidationError("cannot write the study to \(directory.path): \(error.localizedDescription)")
        }
        print(result.table())
        print()
        print(result.summaryLines().joined(separator: "\n"))
        print()
        print(result.globalStepLines().joined(separator: "\n"))
        print(
            String(
                format: "wall time %.0f s; wrote %@ and study.md, study.html", wallSeconds,
                directory.appendingPathComponent("study.json").path))
    }
}

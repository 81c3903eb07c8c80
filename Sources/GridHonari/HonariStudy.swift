import Foundation
import GridLoad
import GridModel
import GridSimulation
import GridTopology
import Synchronization

/// Settings of the Honari study (`gridledger study honari`).
public struct HonariStudyOptions: Sendable {
    /// Send rates (tx/s) every layout runs at, in this order.
    public var ratesTps: [Double] = [50, 100, 200, 400, 600, 800, 1000, 1200, 2400, 4800]
    /// After the listed rates, keep doubling the rate, for each layout while it still commits this share of what it
    /// is offered, up to `saturationRateMaxTps`; 0 turns the search off.
    public var saturationShare = 0.9
    public var saturationRateMaxTps: Double = 76_800
    /// Region counts to compare: 1 (the whole network in one region) and 3 (Honari's groups, plus a global
    /// committee).
    public var shardCounts = [1, 3]
    public var validatorsPerRegion = 4
    public var globalValidators = 4
    /// With more than one region, Honari et al.'s main chain: a region of `validatorsPerRegion` validators of its
    /// own (`main`) that runs their global contract, the voltage registry (`workload.voltage.registryRegion`).
    /// false: a group short of reactive power asks its neighbour directly and the rest goes along the adjacency.
    public var mainChain = true
    /// Measured window and warm-up of every run, in virtual seconds.
    public var measuredSeconds = 5.0
    public var warmupSeconds = 2.0
    public var timeoutSeconds = 10.0
    /// Each bus device reports about this often; `devicesPerBus` grows with the rate so that it holds.
    public var targetReportingPeriodSeconds = 0.5
    public var controlIntervalSeconds = 1.0
    /// Evening peak of the household load profiles that scale the buses' demand.
    public var startHour = 19.0
    /// Cores of each validator (`machine.cores`); with `fixedTotalCores` set, those are shared out instead so
    /// that every layout has the same hardware, as in the paper.
    public var coresPerValidator = 2
    public var fixedTotalCores: Double?
    public var seed: UInt64 = 1
    /// Multiplies every bus's P and Q demand in the sweep (`workload.voltage.loadScale`); 1 is the case's nominal
    /// demand, at which no group runs out of reactive headroom.
    public var loadScale = 1.0
    /// The second experiment, which exercises the global step; nil skips it.
    public var stress: HonariStressExperiment? = .standard
    /// Where the validators' LMDB stores go (emptied per run).
    public var storeDirectory: URL
    /// Simulator runs side by side (the two layouts at one rate, say); results do not depend on it.
    public var concurrentRuns = ProcessInfo.processInfo.activeProcessorCount

    public init(storeDirectory: URL) { self.storeDirectory = storeDirectory }

    /// A few rates and short windows (about a minute).
    public static func quick(storeDirectory: URL) -> HonariStudyOptions {
        var options = HonariStudyOptions(storeDirectory: storeDirectory)
        options.ratesTps = [50, 600, 1200]
        options.saturationShare = 0
        options.measuredSeconds = 3
        options.warmupSeconds = 1
        options.stress?.measuredSeconds = 3
        return options
    }
}

/// One simulator run the study is about to make.
struct PlannedRun: Sendable {
    var rateTps: Double
    var shards: Int
    var options: HonariStudyOptions
    var loadScale: Double
}

/// The study's second experiment: both layouts at one send rate with the demand scaled up until a group runs out
/// of reactive headroom, so that the 3-shard layout's global step (a `voltage.reactiveRequest` through the global
/// committee to the neighbouring group) fires. The sweep at nominal demand never exercises it.
public struct HonariStressExperiment: Codable, Sendable, Equatable {
    /// Demand multiplier (`workload.voltage.loadScale`).
    public var loadScale: Double
    public var rateTps: Double
    public var measuredSeconds: Double
    public var warmupSeconds: Double

    public init(loadScale: Double, rateTps: Double, measuredSeconds: Double, warmupSeconds: Double) {
        self.loadScale = loadScale
        self.rateTps = rateTps
        self.measuredSeconds = measuredSeconds
        self.warmupSeconds = warmupSeconds
    }

    /// 2.5 times the nominal demand at 600 tx/s (the paper's range), 10 s measured after 2 s warm-up: there group 2
    /// (bus 30's index below its 0.765, bus 8 below 0.95 p.u.) runs out of reactive headroom at every dispatch and
    /// asks group 3. At 2.0 it ran short once in 7 s, at 1.5 never; from 3.0 every group does, and past 5 Newton-
    /// Raphson finds no operating point (docs/honari-study.md has the scan).
    public static let standard = HonariStressExperiment(
        loadScale: 2.5, rateTps: 600, measuredSeconds: 10, warmupSeconds: 2)
}

public enum HonariStudyError: Error, CustomStringConvertible {
    case invalid(String)
    case run(rateTps: Double, shards: Int, reason: String)

    /// Most a demand multiplier may be (`workload.voltage.loadScale`'s limit).
    public static let loadScaleMax = Topology.VoltageWorkload.loadScaleMax

    /// Why `loadScale` is unusable, naming `field`; nil when it is fine.
    public static func loadScaleProblem(_ value: Double, field: String) -> String? {
        guard value.isFinite, value > 0, value <= loadScaleMax else {
            return "\(field) must be a number in (0, \(HonariStudyResult.format(loadScaleMax))] (times the case's "
                + "nominal demand), got \(value)"
        }
        return nil
    }

    public var description: String {
        switch self {
        case .invalid(let reason): return reason
        case .run(let rate, let shards, let reason):
            return "run at \(HonariStudyResult.format(rate)) tx/s with \(shards) region(s): \(reason)"
        }
    }
}

/// Honari et al.'s sharded voltage-stability experiment on GridLedger's simulator: the IEEE 30-bus case
/// (`feeder: ieee30`), either in one region (`zoning: honariUnsharded`) or in Honari's three groups (`zoning: honari`),
/// each a region of 4
/// validators, with a global committee that carries the groups' cross-region reactive-power requests. Every rate is
/// one simulator run (`Simulation`) of the voltage workload; nothing is taken from the paper but its figures.
public enum HonariStudy {
    /// Buses with a device on them: the PQ buses with demand.
    public static func loadedBusCount(of network: Network) -> Int {
        network.buses.filter { $0.kind == .pq && ($0.demandPMW != 0 || $0.demandQMVar != 0) }.count
    }

    /// Devices per bus and reporting period that make the bus reports about `rateTps`, within the topology's
    /// limits (devices per region, a period of at least 0.01 s).
    public static func workloadShape(rateTps: Double, loadedBuses: Int, options: HonariStudyOptions) -> (
        devicesPerBus: Int, reportingPeriodSeconds: Double
    ) {
        let devicesPerBusMax =
            Topology.VoltageWorkload.devicesPerRegionMax
            / Topology.VoltageWorkload.ZoningName.single.largestZoneBusCount
        let wanted = (rateTps * options.targetReportingPeriodSeconds / Double(loadedBuses)).rounded()
        let devicesPerBus = Int(min(Double(devicesPerBusMax), max(1, wanted)))
        let period = max(0.01, Double(devicesPerBus * loadedBuses) / rateTps)
        return (devicesPerBus, (period * 10_000).rounded() / 10_000)
    }

    /// The topology of one run, as YAML (written next to the results, and what `gridledger run` would take).
    public static func topologyYAML(rateTps: Double, shards: Int, options: HonariStudyOptions, loadScale: Double? = nil)
        -> String
    {
        let loadScale = loadScale ?? options.loadScale
        let loaded = loadedBusCount(of: Network.ieee30())
        let shape = workloadShape(rateTps: rateTps, loadedBuses: loaded, options: options)
        let names = shards == 1 ? ["grid"] : (1...shards).map { "group\($0)" }
        let registry = shards > 1 && options.mainChain ? "main" : nil
        var regions = ""
        for name in names + [registry].compactMap({ $0 }) {
            regions += "  - name: \(name)\n    validators: \(options.validatorsPerRegion)\n"
        }
        let registryLine = registry.map { "\n    registryRegion: \($0)" } ?? ""
        let global = shards > 1 ? "global:\n  validators: \(options.globalValidators)\n" : ""
        // Unsharded, the one region still holds Honari's groups: each bus acts on its own group's threshold.
        let zoning = shards == 1 ? "honariUnsharded" : "honari"
        let control = max(options.controlIntervalSeconds, shape.reportingPeriodSeconds)
        return """
            schemaVersion: 1
            name: \(runName(rateTps: rateTps, shards: shards, loadScale: loadScale))
            description: "Honari et al. voltage stability on IEEE 30-bus, \(shards) region(s), \
            \(HonariStudyResult.format(rateTps)) tx/s, \(HonariStudyResult.formatScale(loadScale)) x nominal demand (gridledger study honari)"
            seed: \(options.seed)
            machine: { profile: default, cores: \(options.coresPerValidator) }
            regions:
            \(regions)network:
              intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
              client: { latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }
              interRegion: { latencyMillis: 3, jitterMillis: 0.3, bandwidthMbps: 1000, lossRate: 0.0 }
            \(global)workload:
              kind: voltage
              voltage:
                feeder: ieee30
                zoning: \(zoning)
                devicesPerBus: \(shape.devicesPerBus)
                reportingPeriodSeconds: \(shape.reportingPeriodSeconds)
                controlIntervalSeconds: \(control)
                control: true
                startHour: \(options.startHour)
                loadScale: \(loadScale)\(registryLine)
              durationSeconds: \(options.measuredSeconds)
              warmupSeconds: \(options.warmupSeconds)
              timeoutSeconds: \(options.timeoutSeconds)
            faults: []

            """
    }

    /// The settings of the stress experiment's runs: the study's, with the experiment's windows.
    public static func stressOptions(_ options: HonariStudyOptions) -> HonariStudyOptions {
        var copy = options
        if let stress = options.stress {
            copy.measuredSeconds = stress.measuredSeconds
            copy.warmupSeconds = stress.warmupSeconds
        }
        return copy
    }

    /// The topology's name: layout and rate, and the demand multiplier when it is not 1.
    public static func runName(rateTps: Double, shards: Int, loadScale: Double) -> String {
        "honari-\(shards)shard-\(HonariStudyResult.format(rateTps))"
            + (loadScale == 1 ? "" : "-load\(HonariStudyResult.formatScale(loadScale))")
    }

    /// One simulator run.
    public static func runOnce(
        rateTps: Double, shards: Int, options: HonariStudyOptions, loadScale: Double? = nil
    ) throws(HonariStudyError) -> HonariStudyRun {
        let loadScale = loadScale ?? options.loadScale
        let yaml = topologyYAML(rateTps: rateTps, shards: shards, options: options, loadScale: loadScale)
        let file = runName(rateTps: rateTps, shards: shards, loadScale: loadScale) + ".yaml"
        let started = Date()
        let result: RunResult
        do {
            let topology = try Topology.parse(yaml: yaml, file: file)
            var simulation = SimulationOptions(
                topology: topology,
                storeDirectory: options.storeDirectory.appendingPathComponent(file))
            if let total = options.fixedTotalCores {
                simulation.coresPerNode = total / Double(topology.validatorCount)
            }
            let report = try Simulation(options: simulation).run()
            result = try report.runResult(topology: topology, topologyFile: file, cpuMode: .model, wallClock: nil)
        } catch {
            throw .run(rateTps: rateTps, shards: shards, reason: "\(error)")
        }
        return HonariStudyRun(
            rateTps: rateTps, shards: shards, loadScale: loadScale, result: result,
            wallSeconds: Date().timeIntervalSince(started))
    }

    /// Every layout at every rate, then the saturation search. `progress` gets one line per run.
    public static func run(_ options: HonariStudyOptions, progress: (String) -> Void = { _ in })
        throws(HonariStudyError) -> HonariStudyResult
    {
        guard !options.ratesTps.isEmpty, options.ratesTps.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw .invalid("rates must be positive numbers of transactions per second, got \(options.ratesTps)")
        }
        guard options.shardCounts.allSatisfy({ $0 == 1 || $0 == 3 }), !options.shardCounts.isEmpty else {
            throw .invalid("shard counts must be 1 or 3 (Honari's groups), got \(options.shardCounts)")
        }
        guard options.measuredSeconds > 0, options.warmupSeconds >= 0 else {
            throw .invalid("the measured window must be positive and the warm-up at least 0")
        }
        if let problem = HonariStudyError.loadScaleProblem(options.loadScale, field: "loadScale") {
            throw .invalid(problem)
        }
        if let stress = options.stress {
            if let problem = HonariStudyError.loadScaleProblem(stress.loadScale, field: "stress.loadScale") {
                throw .invalid(problem)
            }
            guard stress.rateTps > 0, stress.rateTps.isFinite, stress.measuredSeconds > 0, stress.warmupSeconds >= 0
            else {
                throw .invalid(
                    "stress experiment: rate and measured window must be positive and the warm-up at least 0, got "
                        + "\(stress.rateTps) tx/s, \(stress.measuredSeconds) s, \(stress.warmupSeconds) s")
            }
        }
        var runs: [HonariStudyRun] = []
        // The runs of one group go side by side (`concurrentRuns` at a time): each simulation is single-threaded,
        // deterministic and independent of the others, so this only changes the wall time. Results and progress
        // lines keep the group's order.
        func measured(_ group: [PlannedRun]) throws(HonariStudyError) -> [HonariStudyRun] {
            var done: [HonariStudyRun] = []
            for start in stride(from: 0, to: group.count, by: max(1, options.concurrentRuns)) {
                let slice = Array(group[start..<min(group.count, start + max(1, options.concurrentRuns))])
                let outcomes = Mutex([Result<HonariStudyRun, HonariStudyError>?](repeating: nil, count: slice.count))
                DispatchQueue.concurrentPerform(iterations: slice.count) { index in
                    let plan = slice[index]
                    let outcome = Result { () throws(HonariStudyError) -> HonariStudyRun in
                        try runOnce(
                            rateTps: plan.rateTps, shards: plan.shards, options: plan.options,
                            loadScale: plan.loadScale)
                    }
                    outcomes.withLock { $0[index] = outcome }
                }
                for (plan, outcome) in zip(slice, outcomes.withLock { $0 }) {
                    guard let outcome else { continue }
                    let run = try outcome.get()
                    progress(run.progressLine)
                    // The stores are only needed while the run lasts; a leftover one costs disk space, not
                    // correctness.
                    let store = options.storeDirectory.appendingPathComponent(
                        runName(rateTps: plan.rateTps, shards: plan.shards, loadScale: plan.loadScale) + ".yaml")
                    do { try FileManager.default.removeItem(at: store) } catch {
                        progress("note: could not remove \(store.path): \(error.localizedDescription)")
                    }
                    done.append(run)
                }
            }
            return done
        }
        func plan(_ rate: Double, _ shards: Int) -> PlannedRun {
            PlannedRun(rateTps: rate, shards: shards, options: options, loadScale: options.loadScale)
        }
        var rates = options.ratesTps
        runs += try measured(options.ratesTps.flatMap { rate in options.shardCounts.map { plan(rate, $0) } })
        if options.saturationShare > 0 {
            var rate = (options.ratesTps.max() ?? 0) * 2
            var keepingUp = Set(
                options.shardCounts.filter { shards in
                    runs.last { $0.shards == shards }.map { $0.keepsUp(options.saturationShare) } ?? false
                })
            while !keepingUp.isEmpty, rate <= options.saturationRateMaxTps {
                rates.append(rate)
                // Only the layouts still keeping up: one already saturated would only queue more (at 38,400 tx/s the
                // unsharded layout committed 15,218 with 48,021 failed, two minutes of wall time for nothing new).
                let group = try measured(options.shardCounts.filter { keepingUp.contains($0) }.map { plan(rate, $0) })
                for run in group where !run.keepsUp(options.saturationShare) { keepingUp.remove(run.shards) }
                runs += group
                rate *= 2
            }
        }
        var stressRuns: [HonariStudyRun] = []
        if let stress = options.stress {
            let stressOptions = Self.stressOptions(options)
            stressRuns = try measured(
                options.shardCounts.map {
                    PlannedRun(
                        rateTps: stress.rateTps, shards: $0, options: stressOptions, loadScale: stress.loadScale)
                })
        }
        return HonariStudyResult(
            options: .init(options), rates: rates, runs: runs, stressRuns: stressRuns, paper: .published,
            loadedBuses: loadedBusCount(of: Network.ieee30()))
    }
}

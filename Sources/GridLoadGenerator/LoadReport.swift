import Foundation
import GridLoad
import Histogram

/// How the transactions of one phase ended, in finer buckets than ``OutcomeCounts``. Every offered transaction
/// ends in exactly one of `committed`, `failed`, `rejected`, `busy`, `unreachable`, `notSent`, `timedOut`, `lost`;
/// `sent` is the subset that was written to a gateway connection.
public struct LoadOutcomeCounts: Sendable, Codable, Hashable {
    /// Scheduled for this generator part (the offered load).
    public var offered: UInt64 = 0
    /// Written to a gateway connection (once per transaction, even if resubmitted after a connection drop).
    public var sent: UInt64 = 0
    /// Reply `committed`.
    public var committed: UInt64 = 0
    /// Reply `failed`: in a committed block, but execution failed.
    public var failed: UInt64 = 0
    /// Reply `rejected`: refused at admission.
    public var rejected: UInt64 = 0
    /// Reply `busy`: the gateway's mempool was full.
    public var busy: UInt64 = 0
    /// No gateway of the transaction's region was connected when it was due (the simulator's "no gateway
    /// reachable" rejection).
    public var unreachable: UInt64 = 0
    /// Never written: the connection's backlog or the in-flight table was full, or it was still queued behind a
    /// full socket buffer when it timed out (the generator could not keep up).
    public var notSent: UInt64 = 0
    /// Sent, but no reply within the timeout (or before the drain ended), or the reply came too late.
    public var timedOut: UInt64 = 0
    /// Sent, then its connection dropped without a reply and it could not be resubmitted (already resubmitted
    /// once, or past its deadline), or the reply to its resubmission could not tell whether the first copy
    /// committed (`duplicate`, `stale-nonce`). Its fate is unknown.
    public var lost: UInt64 = 0

    public init() {}

    /// Transactions with an outcome.
    public var resolved: UInt64 {
        committed + failed + rejected + busy + unreachable + notSent + timedOut + lost
    }

    /// The simulator's four buckets: `failed` and `unreachable` are rejections (as the simulator records them),
    /// `busy` and `notSent` are drops (something was full), `lost` is a timeout (no usable outcome).
    public var outcomeCounts: OutcomeCounts {
        OutcomeCounts(
            offered: offered, sent: sent, committed: committed, rejected: rejected + failed + unreachable,
            dropped: busy + notSent, timedOut: timedOut + lost)
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        var sum = Self()
        sum.offered = lhs.offered + rhs.offered
        sum.sent = lhs.sent + rhs.sent
        sum.committed = lhs.committed + rhs.committed
        sum.failed = lhs.failed + rhs.failed
        sum.rejected = lhs.rejected + rhs.rejected
        sum.busy = lhs.busy + rhs.busy
        sum.unreachable = lhs.unreachable + rhs.unreachable
        sum.notSent = lhs.notSent + rhs.notSent
        sum.timedOut = lhs.timedOut + rhs.timedOut
        sum.lost = lhs.lost + rhs.lost
        return sum
    }

    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }

    func problem(_ label: String) -> String? {
        if resolved != offered { return "\(label): \(resolved) transactions have an outcome, \(offered) offered" }
        if sent > offered { return "\(label): sent \(sent) > offered \(offered)" }
        let afterSend = committed + failed + rejected + busy + timedOut + lost
        if afterSend > sent { return "\(label): \(afterSend) outcomes need a send, only \(sent) sent" }
        return nil
    }
}

/// An HDR histogram of latencies in whole microseconds (3 significant digits, the `OutcomeRecorder`'s layout),
/// stored faithfully: every non-empty bucket as `[lowest value of the bucket, count]`, plus the exact smallest and
/// largest values. ``histogram()`` rebuilds a histogram with the same bucket counts, total, min and max, so
/// percentiles of a rebuilt (or merged) histogram equal those of the original.
public struct LatencyHistogram: Sendable, Codable, Hashable {
    public var unit: String
    public var significantDigits: Int
    public var totalCount: UInt64
    /// Exact, 0 when empty.
    public var minValue: UInt64
    public var maxValue: UInt64
    /// `[lowest equivalent value, count]` per non-empty bucket, ascending.
    public var buckets: [[UInt64]]

    public init(_ histogram: Histogram<UInt64>) {
        unit = "microseconds"
        significantDigits = 3
        totalCount = histogram.totalCount
        minValue = histogram.totalCount == 0 ? 0 : histogram.min
        maxValue = histogram.totalCount == 0 ? 0 : histogram.maxRecorded
        var buckets: [[UInt64]] = []
        for item in histogram.recordedValues() where item.count > 0 {
            buckets.append([histogram.lowestEquivalentForValue(item.value), item.count])
        }
        self.buckets = buckets
    }

    public static func makeEmpty() -> Histogram<UInt64> { Histogram<UInt64>(numberOfSignificantValueDigits: .three) }

    /// The histogram this encodes; the exact min and max are recorded as themselves, in their own buckets.
    public func histogram() -> Histogram<UInt64> {
        var histogram = Self.makeEmpty()
        guard totalCount > 0 else { return histogram }
        var minPending = true
        var maxPending = true
        for bucket in buckets where bucket.count == 2 && bucket[1] > 0 {
            var count = bucket[1]
            if minPending, histogram.valuesAreEquivalent(bucket[0], minValue) {
                histogram.record(minValue)
                count -= 1
                minPending = false
            }
            if count > 0, maxPending, histogram.valuesAreEquivalent(bucket[0], maxValue) {
                histogram.record(maxValue)
                count -= 1
                maxPending = false
            }
            if count > 0 { histogram.record(bucket[0], count: count) }
        }
        return histogram
    }

    public var summary: LatencySummary { LatencySummary(histogramMicros: histogram()) }
}

/// Everything a generator part measured; the orchestrator merges the parts (``merged(_:)``) and builds the run's
/// `RunResult` from it (``runResult(topology:seed:nodes:wallClock:)``).
///
/// Definitions follow the simulator's `OutcomeRecorder`: a transaction belongs to the phase of its **scheduled**
/// time; latency is reply receipt minus scheduled time on this process's monotonic clock, recorded in whole
/// microseconds rounded up, for committed transactions scheduled in the measured window; `committedInWindow`
/// counts commits whose reply arrived inside the measured window, whenever they were scheduled.
public struct LoadReport: Sendable, Codable, Hashable {
    public static let currentVersion = 1

    public var version: Int
    /// The parts this report covers (one for a single process; all of them once merged).
    public var parts: [Int]
    public var partsTotal: Int
    public var window: LoadWindow
    /// Counts by phase of the scheduled time.
    public var warmup: LoadOutcomeCounts
    public var measured: LoadOutcomeCounts
    public var cooldown: LoadOutcomeCounts
    /// Measured-window counts per region, in topology order.
    public var regions: [RegionLoad]
    /// Commits received inside the measured window (all regions), whenever scheduled.
    public var committedInWindow: UInt64
    /// Measured-window rejections by reason: admission reasons as sent, execution failures as
    /// `execution: REASON`, and `no gateway reachable`. Sums to `measured.rejected + measured.failed +
    /// measured.unreachable` (at most 64 reasons, the rest under `other`).
    public var rejectReasons: [String: UInt64]
    /// Scheduled send -> committed reply, measured window only: one value per `measured.committed`.
    public var latencyLocalCommit: LatencyHistogram
    public var generator: GeneratorStats
    public var connections: ConnectionStats
    /// Run-wide indices of every transaction a gateway answered `committed` (all phases), when the options asked
    /// for them (`recordsCommitted`): what a soak checks against the chain. Nil otherwise.
    public var committedIndices: [Int]?
    /// The run interval by interval on the wall clock (``LoadTimeSeries``); absent in reports of generators built
    /// before it existed.
    public var timeSeries: LoadTimeSeries?
    /// What the grid contract agents achieved (the part that ran them), from the regions' committed state; nil for
    /// transfers, or when it could not be read (`workloadError` says why).
    public var workload: RunResult.WorkloadOutcome?
    public var workloadError: String?
    /// The agents' reads of committed state: sent, and those that got no answer (a gateway down, a refusal, a
    /// time-out).
    public var stateReads: StateReads?
    /// With a global committee: scheduled send -> the gateway's `.finalized` notice, for committed transactions
    /// scheduled in the measured window (``GlobalFinality``); nil without a committee.
    public var globalFinality: GlobalFinality?

    /// With a committee and grid agents: the blocks holding agent transactions and the earliest scheduled time of
    /// those, so the run can time the cross-region messages they sent (`crossRegion`).
    public var operationOrigins: [OperationOrigin]?

    public struct OperationOrigin: Sendable, Codable, Hashable {
        public var region: Int
        public var height: UInt64
        public var scheduledUnixNanos: UInt64

        public struct Key: Hashable, Sendable {
            public var region: Int
            public var height: UInt64

            public init(region: Int, height: UInt64) {
                self.region = region
                self.height = height
            }
        }

        public init(region: Int, height: UInt64, scheduledUnixNanos: UInt64) {
            self.region = region
            self.height = height
            self.scheduledUnixNanos = scheduledUnixNanos
        }
    }

    /// What the clients heard of global finality (the gateways' `.finalized` notices, `FinalityNotices`).
    public struct GlobalFinality: Sendable, Codable, Hashable {
        /// One value per committed transaction of the measured window that heard `.finalized` before the end.
        public var latency: LatencyHistogram
        /// Notices received inside the measured window, per region in topology order, whenever scheduled.
        public var finalInWindowByRegion: [UInt64]
        /// Committed transactions (all phases) that had not heard `.finalized` when the generator stopped: their
        /// block was not final yet, or the notice was lost with a gateway that crashed.
        public var notHeardAtEnd: UInt64
        /// Committed transactions not tracked because `LoadRunner.finalityAwaitedMax` already waited.
        public var notTracked: UInt64

        public init(
            latency: LatencyHistogram, finalInWindowByRegion: [UInt64], notHeardAtEnd: UInt64, notTracked: UInt64
        ) {
            self.latency = latency
            self.finalInWindowByRegion = finalInWindowByRegion
            self.notHeardAtEnd = notHeardAtEnd
            self.notTracked = notTracked
        }

        static func + (lhs: Self, rhs: Self) -> Self {
            var histogram = lhs.latency.histogram()
            histogram.add(rhs.latency.histogram())
            let count = max(lhs.finalInWindowByRegion.count, rhs.finalInWindowByRegion.count)
            return GlobalFinality(
                latency: LatencyHistogram(histogram),
                finalInWindowByRegion: (0..<count).map {
                    (lhs.finalInWindowByRegion.indices.contains($0) ? lhs.finalInWindowByRegion[$0] : 0)
                        + (rhs.finalInWindowByRegion.indices.contains($0) ? rhs.finalInWindowByRegion[$0] : 0)
                },
                notHeardAtEnd: lhs.notHeardAtEnd + rhs.notHeardAtEnd, notTracked: lhs.notTracked + rhs.notTracked)
        }
    }

    public struct StateReads: Sendable, Codable, Hashable {
        public var sent: UInt64
        public var unanswered: UInt64

        public init(sent: UInt64, unanswered: UInt64) {
            self.sent = sent
            self.unanswered = unanswered
        }
    }

    public struct RegionLoad: Sendable, Codable, Hashable {
        public var name: String
        /// Measured-window counts of the transactions of this region.
        public var measured: LoadOutcomeCounts
        public var committedInWindow: UInt64

        public init(name: String, measured: LoadOutcomeCounts = LoadOutcomeCounts(), committedInWindow: UInt64 = 0) {
            self.name = name
            self.measured = measured
            self.committedInWindow = committedInWindow
        }
    }

    public struct GeneratorStats: Sendable, Codable, Hashable {
        /// User + system CPU time of the generator process (all threads, from /proc/self/stat) while sending and
        /// draining, and during pre-signing. Summed over parts when merged.
        public var cpuSeconds: Double
        public var presignCPUSeconds: Double
        /// Wall time from the start of sending to the end of the drain (the longest part when merged), and of
        /// pre-signing.
        public var wallSeconds: Double
        public var presignSeconds: Double
        /// Unix time (ns) at which sending started (time zero of the schedule); the earliest part when merged.
        public var startedAtUnixNanos: UInt64
        /// How late the sending loop ran behind the schedule at worst, in microseconds (the largest gap between
        /// a transaction's scheduled time and the moment it was due to be written).
        public var sendLagMaxMicros: UInt64
        /// CPU time of the event loop thread that paces sends and reads replies, from the start of sending: near
        /// `wallSeconds` means the generator itself was saturated (summed over parts when merged).
        public var eventLoopCPUSeconds: Double
        /// How many times that thread was put on a CPU from the start of sending (`/proc/thread-self/schedstat`):
        /// its wake-ups, for `calibrate --from-live` to price. Nil where the kernel keeps no scheduler statistics,
        /// and in earlier builds' reports. Summed over parts when merged.
        public var eventLoopRuns: UInt64?

        public init(
            cpuSeconds: Double = 0, presignCPUSeconds: Double = 0, wallSeconds: Double = 0, presignSeconds: Double = 0,
            startedAtUnixNanos: UInt64 = 0, sendLagMaxMicros: UInt64 = 0, eventLoopCPUSeconds: Double = 0,
            eventLoopRuns: UInt64? = nil
        ) {
            self.eventLoopCPUSeconds = eventLoopCPUSeconds
            self.eventLoopRuns = eventLoopRuns
            self.cpuSeconds = cpuSeconds
            self.presignCPUSeconds = presignCPUSeconds
            self.wallSeconds = wallSeconds
            self.presignSeconds = presignSeconds
            self.startedAtUnixNanos = startedAtUnixNanos
            self.sendLagMaxMicros = sendLagMaxMicros
        }
    }

    public struct ConnectionStats: Sendable, Codable, Hashable {
        /// Transactions written to a validator other than their own gateway because it was down.
        public var failovers: UInt64 = 0
        /// Transactions sent again (through failover) after their connection dropped without a reply.
        public var resubmitted: UInt64 = 0
        /// Connection attempts that failed (refused, timed out).
        public var connectFailures: UInt64 = 0
        /// Established connections that closed or failed.
        public var connectionDrops: UInt64 = 0
        public var connectsSucceeded: UInt64 = 0
        /// Replies for transactions already resolved (timed out meanwhile) or unknown to this part.
        public var lateReplies: UInt64 = 0
        /// Frames from a gateway that were neither a reply nor a hello.
        public var protocolErrors: UInt64 = 0
        /// Transactions that had to wait in a backlog because the connection's socket buffer was full.
        public var backPressureWaits: UInt64 = 0

        public init() {}

        public static func + (lhs: Self, rhs: Self) -> Self {
            var sum = Self()
            sum.failovers = lhs.failovers + rhs.failovers
            sum.resubmitted = lhs.resubmitted + rhs.resubmitted
            sum.connectFailures = lhs.connectFailures + rhs.connectFailures
            sum.connectionDrops = lhs.connectionDrops + rhs.connectionDrops
            sum.connectsSucceeded = lhs.connectsSucceeded + rhs.connectsSucceeded
            sum.lateReplies = lhs.lateReplies + rhs.lateReplies
            sum.protocolErrors = lhs.protocolErrors + rhs.protocolErrors
            sum.backPressureWaits = lhs.backPressureWaits + rhs.backPressureWaits
            return sum
        }
    }

    public init(
        parts: [Int], partsTotal: Int, window: LoadWindow, warmup: LoadOutcomeCounts, measured: LoadOutcomeCounts,
        cooldown: LoadOutcomeCounts, regions: [RegionLoad], committedInWindow: UInt64, rejectReasons: [String: UInt64],
        latencyLocalCommit: LatencyHistogram, generator: GeneratorStats, connections: ConnectionStats
    ) {
        version = Self.currentVersion
        self.parts = parts
        self.partsTotal = partsTotal
        self.window = window
        self.warmup = warmup
        self.measured = measured
        self.cooldown = cooldown
        self.regions = regions
        self.committedInWindow = committedInWindow
        self.rejectReasons = rejectReasons
        self.latencyLocalCommit = latencyLocalCommit
        self.generator = generator
        self.connections = connections
    }

    /// All phases together.
    public var total: LoadOutcomeCounts { warmup + measured + cooldown }

    /// Throws unless every transaction has exactly one outcome in every phase, regions sum to the measured
    /// window, reasons sum to the measured rejections, the histogram holds one value per measured commit, and
    /// global finality at most one.
    public func verifyAccounting() throws {
        for (label, counts) in [("warmup", warmup), ("measured", measured), ("cooldown", cooldown)] {
            if let problem = counts.problem(label) { throw LoadGeneratorError.accounting(problem) }
        }
        let regionSum = regions.reduce(LoadOutcomeCounts()) { $0 + $1.measured }
        guard regionSum == measured else {
            throw LoadGeneratorError.accounting("regions sum to \(regionSum), measured window is \(measured)")
        }
        guard regions.reduce(0, { $0 + $1.committedInWindow }) == committedInWindow else {
            throw LoadGeneratorError.accounting("region commits in the window do not sum to \(committedInWindow)")
        }
        let reasons = rejectReasons.values.reduce(0, +)
        guard reasons == measured.rejected + measured.failed + measured.unreachable else {
            throw LoadGeneratorError.accounting("reject reasons sum to \(reasons), measured rejections differ")
        }
        guard latencyLocalCommit.totalCount == measured.committed else {
            throw LoadGeneratorError.accounting(
                "\(latencyLocalCommit.totalCount) latencies, \(measured.committed) measured commits")
        }
        // A notice follows a commit: never more finality latencies than measured commits.
        if let globalFinality, globalFinality.latency.totalCount > measured.committed {
            throw LoadGeneratorError.accounting(
                "\(globalFinality.latency.totalCount) global finality latencies, \(measured.committed) measured commits"
            )
        }
        if let timeSeries { try verifySeries(timeSeries) }
    }

    /// The series holds every transaction once as offered and once with its outcome (all phases), unless some
    /// events fell beyond its last interval; then it holds no more than the totals.
    private func verifySeries(_ series: LoadTimeSeries) throws {
        do { try series.validate() } catch { throw LoadGeneratorError.accounting("\(error)") }
        let sum = series.sum
        let total = self.total
        var pairs: [(String, UInt64, UInt64)] = [
            ("offered", sum.offered, total.offered), ("sent", sum.achieved, total.sent),
            ("committed", sum.committed, total.committed),
            ("latencies", sum.localCommitMicros.count, total.committed),
        ]
        let ended = LoadOutcomeCounts(ended: sum.ended)
        pairs += [
            ("failed", ended.failed, total.failed), ("rejected", ended.rejected, total.rejected),
            ("busy", ended.busy, total.busy), ("unreachable", ended.unreachable, total.unreachable),
            ("notSent", ended.notSent, total.notSent), ("timedOut", ended.timedOut, total.timedOut),
            ("lost", ended.lost, total.lost),
        ]
        for (name, inSeries, inTotals) in pairs {
            let fits = series.eventsBeyondLastInterval == 0 ? inSeries == inTotals : inSeries <= inTotals
            guard fits else {
                throw LoadGeneratorError.accounting(
                    "timeSeries holds \(inSeries) \(name), the report's totals \(inTotals) "
                        + "(\(series.eventsBeyondLastInterval) events beyond the last interval)")
            }
        }
    }

    /// The parts together, time series included (``LoadTimeSeries/merged(_:)``: aligned on the wall clock); throws,
    /// naming the report's source and the field, when their series cannot be aligned.
    public static func merged(_ reports: [(source: String, report: LoadReport)]) throws(LoadTimeSeriesError)
        -> LoadReport
    {
        var merged = merged(reports.map(\.report))
        merged.timeSeries = try LoadTimeSeries.merged(
            reports.map { ($0.source, $0.report.timeSeries, $0.report.parts.count) })
        return merged
    }

    /// The parts together: counts and histograms added, CPU summed, wall time the longest. Time series only for a
    /// single report: several are merged by ``merged(_:)-(source:report:)``, which can refuse them.
    public static func merged(_ reports: [LoadReport]) -> LoadReport {
        guard var merged = reports.first else {
            // Nothing to merge: an empty report over a minimal window.
            let window = try! LoadWindow(warmupNanos: 0, measuredNanos: 1)
            return LoadReport(
                parts: [], partsTotal: 0, window: window, warmup: LoadOutcomeCounts(), measured: LoadOutcomeCounts(),
                cooldown: LoadOutcomeCounts(), regions: [], committedInWindow: 0, rejectReasons: [:],
                latencyLocalCommit: LatencyHistogram(LatencyHistogram.makeEmpty()), generator: GeneratorStats(),
                connections: ConnectionStats())
        }
        var histogram = merged.latencyLocalCommit.histogram()
        for report in reports.dropFirst() {
            merged.parts.append(contentsOf: report.parts)
            merged.partsTotal = max(merged.partsTotal, report.partsTotal)
            merged.warmup += report.warmup
            merged.measured += report.measured
            merged.cooldown += report.cooldown
            for region in report.regions {
                if let index = merged.regions.firstIndex(where: { $0.name == region.name }) {
                    merged.regions[index].measured += region.measured
                    merged.regions[index].committedInWindow += region.committedInWindow
                } else {
                    merged.regions.append(region)
                }
            }
            merged.committedInWindow += report.committedInWindow
            if let indices = report.committedIndices {
                merged.committedIndices = (merged.committedIndices ?? []) + indices
            }
            for (reason, count) in report.rejectReasons.sorted(by: { $0.key < $1.key }) {
                let key =
                    merged.rejectReasons[reason] != nil || merged.rejectReasons.count < LoadAccounting.reasonsMax
                    ? reason : OutcomeRecorder.otherReason
                merged.rejectReasons[key, default: 0] += count
            }
            histogram.add(report.latencyLocalCommit.histogram())
            merged.generator.cpuSeconds += report.generator.cpuSeconds
            merged.generator.presignCPUSeconds += report.generator.presignCPUSeconds
            merged.generator.eventLoopCPUSeconds += report.generator.eventLoopCPUSeconds
            merged.generator.eventLoopRuns = report.generator.eventLoopRuns.flatMap { runs in
                merged.generator.eventLoopRuns.map { $0 + runs }
            }
            merged.generator.wallSeconds = max(merged.generator.wallSeconds, report.generator.wallSeconds)
            merged.generator.presignSeconds = max(merged.generator.presignSeconds, report.generator.presignSeconds)
            merged.generator.startedAtUnixNanos = min(
                merged.generator.startedAtUnixNanos, report.generator.startedAtUnixNanos)
            merged.generator.sendLagMaxMicros = max(
                merged.generator.sendLagMaxMicros, report.generator.sendLagMaxMicros)
            merged.connections = merged.connections + report.connections
            merged.workload = merged.workload ?? report.workload
            merged.workloadError = merged.workloadError ?? report.workloadError
            if let origins = report.operationOrigins {
                merged.operationOrigins = (merged.operationOrigins ?? []) + origins
            }
            if let finality = report.globalFinality {
                merged.globalFinality = merged.globalFinality.map { $0 + finality } ?? finality
            }
            if let reads = report.stateReads {
                let sum = merged.stateReads ?? StateReads(sent: 0, unanswered: 0)
                merged.stateReads = StateReads(
                    sent: sum.sent + reads.sent, unanswered: sum.unanswered + reads.unanswered)
            }
        }
        merged.parts.sort()
        merged.latencyLocalCommit = LatencyHistogram(histogram)
        if reports.count > 1 { merged.timeSeries = nil }
        return merged
    }

    /// The run's result, with the simulator's buckets (``LoadOutcomeCounts/outcomeCounts``) and definitions.
    /// Throws if the report does not add up.
    public func runResult(
        topology: RunResult.TopologyReference, seed: UInt64, nodes: [RunResult.NodeResult],
        wallClock: RunResult.WallClock?
    ) throws -> RunResult {
        try verifyAccounting()
        let seconds = window.measuredSeconds
        let counts = measured.outcomeCounts
        let regionResults = regions.map { region in
            let counts = region.measured.outcomeCounts
            return RunResult.RegionResult(
                name: region.name, counts: counts, offeredTps: Double(counts.offered) / seconds,
                achievedTps: Double(counts.sent) / seconds, committedTps: Double(region.committedInWindow) / seconds)
        }
        var result = RunResult(
            topology: topology, seed: seed, runtime: .live, cpuMode: .measured,
            offeredTps: Double(counts.offered) / seconds, achievedTps: Double(counts.sent) / seconds,
            committedTps: Double(committedInWindow) / seconds, counts: counts, rejectReasons: rejectReasons,
            latencyMillis: [LatencyKind.localCommit.rawValue: latencyLocalCommit.summary],
            windowSeconds: RunResult.WindowSeconds(window), regions: regionResults, nodes: nodes,
            simulation: RunResult.SimulationStats(virtualSeconds: generator.wallSeconds, eventsProcessed: 0),
            wallClock: wallClock)
        result.workload = workload
        if let globalFinality {
            result.latencyMillis[LatencyKind.globalFinality.rawValue] = globalFinality.latency.summary
        }
        // Seconds from the first interval; a live run re-bases it on its planned start and adds fault marks.
        result.timeSeries = timeSeries?.timeSeries(originUnixNanos: nil)
        return result
    }

    /// Pretty, sorted-key JSON (what `gridledger load --out` writes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> LoadReport {
        try JSONDecoder().decode(LoadReport.self, from: data)
    }
}

enum LoadAccounting {
    static let reasonsMax = 64
    static let reasonCharactersMax = 96
}

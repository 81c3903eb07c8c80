import Foundation
import Histogram

/// Counts how every transaction of a run ends and how long it took, honestly.
///
/// - Every scheduled transaction gets an id from ``scheduled(atNanos:region:)`` and then exactly one outcome:
///   ``committed(_:atNanos:)``, ``rejected(_:reason:atNanos:)``, ``dropped(_:atNanos:)`` or
///   ``timedOut(_:atNanos:)`` (or through ``expire(atNanos:timeoutNanos:)`` / ``finish()``). A second outcome, or
///   one for an id never issued, throws and counts nothing.
/// - Latency runs from the **scheduled** send time, not the actual one: if the generator or the ledger stalls, the
///   transactions that should have been sent meanwhile still show the stall (coordinated omission).
/// - A transaction belongs to the phase of its scheduled time (``LoadWindow``). Only measured-window transactions
///   enter reported figures, histograms and reject reasons; warm-up and cool-down ones are counted separately so
///   that the accounting of the whole run can be checked too.
///
/// Memory is bounded: unresolved transactions are tracked in one array from the oldest unresolved to the newest
/// (``Limits/maxTrackedTransactions``), regions, reasons and latency kinds are capped, and each HDR histogram has at
/// most about 50 buckets of 1024 counters whatever it records.
///
/// Sans-IO and single-threaded: one recorder per generator; combine recorders at the end with ``merge(_:)``.
public struct OutcomeRecorder: Sendable {
    /// Bounds on what one recorder keeps.
    public struct Limits: Sendable, Hashable {
        /// Most transactions tracked at once, counted from the oldest without an outcome to the newest scheduled.
        /// With a client timeout this needs to cover rate x timeout; 16 bytes each.
        public var maxTrackedTransactions: Int
        /// Most distinct region names.
        public var maxRegions: Int
        /// Most distinct rejection reasons; further reasons are counted under ``OutcomeRecorder/otherReason``.
        public var maxRejectReasons: Int
        /// Reasons are cut to this many characters, so a hostile reason cannot grow the result.
        public var maxReasonCharacters: Int
        /// Most distinct latency kinds (``LatencyKind``), including `localCommit`.
        public var maxLatencyKinds: Int
        /// Most intervals of the time series (``TimeSeriesRecorder``); later events are counted, not kept.
        public var maxTimeSeriesIntervals: Int

        public init(
            maxTrackedTransactions: Int = 2_000_000, maxRegions: Int = 1024, maxRejectReasons: Int = 64,
            maxReasonCharacters: Int = 96, maxLatencyKinds: Int = 8,
            maxTimeSeriesIntervals: Int = TimeSeriesRecorder.defaultIntervalsMax
        ) {
            self.maxTimeSeriesIntervals = maxTimeSeriesIntervals
            self.maxTrackedTransactions = maxTrackedTransactions
            self.maxRegions = maxRegions
            self.maxRejectReasons = maxRejectReasons
            self.maxReasonCharacters = maxReasonCharacters
            self.maxLatencyKinds = maxLatencyKinds
        }
    }

    /// The bucket for rejection reasons beyond ``Limits/maxRejectReasons``.
    public static let otherReason = "other"

    /// The reason recorded for an empty or blank rejection reason.
    public static let unspecifiedReason = "unspecified"

    public let window: LoadWindow
    public let limits: Limits

    private enum State: UInt8 {
        case scheduled
        case sent
        case resolved
    }

    private struct Entry {
        let scheduledAtNanos: UInt64
        let regionIndex: UInt16
        var state: State
    }

    private enum Outcome {
        case committed(latencyNanos: UInt64)
        case rejected(reason: String)
        case dropped
        case timedOut
    }

    /// `entries[i]` is transaction `baseID + i`. Everything before `firstOpenIndex` is resolved; the resolved
    /// prefix is cut off in large chunks so that cost stays amortised O(1) per transaction.
    private var entries: [Entry] = []
    private var baseID: UInt64 = 0
    private var firstOpenIndex = 0
    private var lastScheduledNanos: UInt64 = 0

    /// Transactions scheduled and not yet resolved (all phases).
    public private(set) var inFlightCount = 0

    /// Indexed by ``LoadPhase/index``.
    private var phaseCounts = [OutcomeCounts](repeating: OutcomeCounts(), count: LoadPhase.allCases.count)
    private var regionNames: [String] = []
    private var regionIndexByName: [String: Int] = [:]
    private var regionMeasuredCounts: [OutcomeCounts] = []

    /// Commits that happened inside the measured window, whenever they were scheduled: the rate the ledger
    /// actually sustained. (`measuredCounts.committed` counts the window's transactions however late they
    /// committed, which would hide an overloaded ledger's backlog in the drain after the window.)
    public private(set) var committedInWindowCount: UInt64 = 0
    private var regionCommittedInWindow: [UInt64] = []

    /// Measured-window rejections by (normalised) reason. Sums to `measuredCounts.rejected`.
    public private(set) var rejectReasons: [String: UInt64] = [:]

    /// Measured-window latencies in microseconds, by kind. `localCommit` always exists.
    private var latencyHistogramsMicros: [LatencyKind: Histogram<UInt64>]

    /// The whole run (every phase) interval by interval, for ``TimeSeries``.
    public private(set) var timeSeries: TimeSeriesRecorder

    /// - Parameters:
    ///   - window: Phases of the run; must match the ``LoadSchedule``'s.
    ///   - regions: Regions to list even if no transaction reaches them (in this order); others are added as seen.
    ///   - limits: Bounds on memory; the defaults suit runs of up to about a million transactions in flight.
    ///   - timeSeriesIntervalNanos: Length of one interval of the time series (1 s by default).
    public init(
        window: LoadWindow, regions: [String] = [], limits: Limits = Limits(),
        timeSeriesIntervalNanos: UInt64 = 1_000_000_000
    ) throws {
        guard limits.maxTrackedTransactions >= 1, limits.maxRegions >= 1, limits.maxRegions <= Int(UInt16.max),
            limits.maxRejectReasons >= 1, limits.maxReasonCharacters >= 1, limits.maxLatencyKinds >= 1
        else {
            throw LoadError.invalidConfiguration("recorder limits must be positive (maxRegions at most 65535)")
        }
        self.window = window
        self.limits = limits
        timeSeries = try TimeSeriesRecorder(
            intervalNanos: timeSeriesIntervalNanos, intervalsMax: limits.maxTimeSeriesIntervals)
        latencyHistogramsMicros = [.localCommit: Self.makeHistogram()]
        for region in regions { _ = try regionIndex(for: region) }
    }

    // MARK: - Lifecycle of one transaction

    /// Registers a transaction the generator scheduled at `atNanos` (its offered time) for `region`, and returns
    /// its id. Call it even if the transaction will be dropped before sending: it was offered.
    ///
    /// Scheduled times must be non-decreasing (a ``LoadSchedule`` guarantees that), so that timeouts can be
    /// found from the oldest transaction on.
    public mutating func scheduled(atNanos scheduledAtNanos: UInt64, region: String) throws -> LoadTransactionID {
        guard scheduledAtNanos >= lastScheduledNanos else {
            throw LoadError.scheduleWentBackwards(previousNanos: lastScheduledNanos, scheduledAtNanos: scheduledAtNanos)
        }
        guard entries.count - firstOpenIndex < limits.maxTrackedTransactions else {
            throw LoadError.tooManyInFlight(limit: limits.maxTrackedTransactions)
        }
        let regionIndex = try regionIndex(for: region)
        let id = LoadTransactionID(rawValue: baseID + UInt64(entries.count))
        entries.append(Entry(scheduledAtNanos: scheduledAtNanos, regionIndex: UInt16(regionIndex), state: .scheduled))
        lastScheduledNanos = scheduledAtNanos
        inFlightCount += 1
        let phase = window.phase(ofScheduledNanos: scheduledAtNanos)
        phaseCounts[phase.index].offered += 1
        if phase == .measured { regionMeasuredCounts[regionIndex].offered += 1 }
        timeSeries.offered(region: regionIndex, scheduledAtNanos: scheduledAtNanos)
        return id
    }

    /// The transaction was handed to a gateway validator at `atNanos`. This is what the achieved send rate counts.
    public mutating func sent(_ id: LoadTransactionID, atNanos: UInt64) throws {
        let index = try openIndex(of: id)
        guard entries[index].state == .scheduled else { throw LoadError.alreadySent(id) }
        try checkNotBeforeSchedule(id, index: index, atNanos: atNanos)
        entries[index].state = .sent
        let phase = window.phase(ofScheduledNanos: entries[index].scheduledAtNanos)
        phaseCounts[phase.index].sent += 1
        if phase == .measured { regionMeasuredCounts[Int(entries[index].regionIndex)].sent += 1 }
        timeSeries.achieved(
            region: Int(entries[index].regionIndex), scheduledAtNanos: entries[index].scheduledAtNanos)
    }

    /// The transaction reached local commit at `atNanos`; records `atNanos - scheduled time` as `localCommit`
    /// latency. It must have been reported ``sent(_:atNanos:)`` first.
    public mutating func committed(_ id: LoadTransactionID, atNanos: UInt64) throws {
        let index = try openIndex(of: id)
        guard entries[index].state == .sent else { throw LoadError.committedWithoutSend(id) }
        try checkNotBeforeSchedule(id, index: index, atNanos: atNanos)
        if atNanos >= window.measuredStartNanos, atNanos < window.measuredEndNanos {
            committedInWindowCount += 1
            let region = Int(entries[index].regionIndex)
            if regionCommittedInWindow.count <= region {
                regionCommittedInWindow += Array(repeating: 0, count: region + 1 - regionCommittedInWindow.count)
            }
            regionCommittedInWindow[region] += 1
        }
        timeSeries.committed(
            region: Int(entries[index].regionIndex), atNanos: atNanos,
            latencyMicros: Self.micros(roundingUp: atNanos - entries[index].scheduledAtNanos))
        resolve(index: index, outcome: .committed(latencyNanos: atNanos - entries[index].scheduledAtNanos))
    }

    /// The transaction was refused (admission or execution) for `reason`. Reasons are trimmed, cut to
    /// ``Limits/maxReasonCharacters`` and counted by name up to ``Limits/maxRejectReasons`` distinct ones.
    public mutating func rejected(_ id: LoadTransactionID, reason: String, atNanos: UInt64) throws {
        let index = try openIndex(of: id)
        try checkNotBeforeSchedule(id, index: index, atNanos: atNanos)
        resolve(index: index, outcome: .rejected(reason: reason))
    }

    /// The transaction was dropped because something was full: the ledger answered "busy" (after sending), or
    /// the generator could not send it (before sending; then it does not count as sent).
    public mutating func dropped(_ id: LoadTransactionID, atNanos: UInt64) throws {
        let index = try openIndex(of: id)
        try checkNotBeforeSchedule(id, index: index, atNanos: atNanos)
        resolve(index: index, outcome: .dropped)
    }

    /// The client gave up on the transaction at `atNanos`.
    public mutating func timedOut(_ id: LoadTransactionID, atNanos: UInt64) throws {
        let index = try openIndex(of: id)
        try checkNotBeforeSchedule(id, index: index, atNanos: atNanos)
        resolve(index: index, outcome: .timedOut)
    }

    /// Times out every unresolved transaction scheduled at or before `atNanos - timeoutNanos` (the client's
    /// deadline runs from the scheduled time) and returns their ids, oldest first, so the caller can forget them
    /// and free closed-loop slots. A late outcome for one of them then throws ``LoadError/outcomeAlreadyRecorded(_:)``.
    public mutating func expire(atNanos nowNanos: UInt64, timeoutNanos: UInt64) -> [LoadTransactionID] {
        guard nowNanos >= timeoutNanos else { return [] }
        let latestExpiredNanos = nowNanos - timeoutNanos
        var expired: [LoadTransactionID] = []
        var index = firstOpenIndex
        // Scheduled times are non-decreasing, so the first transaction inside its deadline ends the scan.
        while index < entries.count, entries[index].scheduledAtNanos <= latestExpiredNanos {
            if entries[index].state != .resolved {
                expired.append(LoadTransactionID(rawValue: baseID + UInt64(index)))
                resolve(index: index, outcome: .timedOut, compact: false)
            }
            index += 1
        }
        compactResolvedPrefix()
        return expired
    }

    /// Ends the run: every transaction still without an outcome is counted as timed out. Returns how many.
    @discardableResult
    public mutating func finish() -> Int {
        let unresolved = inFlightCount
        for index in firstOpenIndex..<entries.count where entries[index].state != .resolved {
            resolve(index: index, outcome: .timedOut, compact: false)
        }
        compactResolvedPrefix()
        return unresolved
    }

    /// Records a latency of a later kind (`globalFinality`, `crossRegion`, ...) for a transaction or operation
    /// scheduled at `scheduledAtNanos`. Returns whether it was counted (only measured-window ones are).
    /// `localCommit` is recorded by ``committed(_:atNanos:)`` and refused here, so it cannot be counted twice.
    ///
    /// With `region` (its name), a `globalFinality` latency also enters that region's time series, in the interval
    /// of `completedAtNanos`, whatever the phase.
    @discardableResult
    public mutating func recordLatency(
        _ kind: LatencyKind, scheduledAtNanos: UInt64, completedAtNanos: UInt64, region: String? = nil
    ) throws -> Bool {
        guard kind != .localCommit, !kind.rawValue.isEmpty, kind.rawValue.count <= 64 else {
            throw LoadError.invalidConfiguration(
                "latency kind \"\(kind.rawValue.prefix(64))\" is not allowed here (localCommit comes from committed)")
        }
        guard completedAtNanos >= scheduledAtNanos else {
            throw LoadError.negativeLatency(
                kind: kind.rawValue, startNanos: scheduledAtNanos, endNanos: completedAtNanos)
        }
        if latencyHistogramsMicros[kind] == nil, latencyHistogramsMicros.count >= limits.maxLatencyKinds {
            throw LoadError.tooManyLatencyKinds(limit: limits.maxLatencyKinds)
        }
        if kind == .globalFinality, let region {
            timeSeries.globalFinality(
                region: try regionIndex(for: region), atNanos: completedAtNanos,
                latencyMicros: Self.micros(roundingUp: completedAtNanos - scheduledAtNanos))
        }
        guard window.phase(ofScheduledNanos: scheduledAtNanos) == .measured else { return false }
        latencyHistogramsMicros[kind, default: Self.makeHistogram()].record(
            Self.micros(roundingUp: completedAtNanos - scheduledAtNanos))
        return true
    }

    // MARK: - Reading

    /// Counts of the transactions scheduled in `phase`.
    public func counts(for phase: LoadPhase) -> OutcomeCounts { phaseCounts[phase.index] }

    /// Counts of the measured window: the reported figures.
    public var measuredCounts: OutcomeCounts { phaseCounts[LoadPhase.measured.index] }

    /// Counts over the whole run, all phases (for progress lines).
    public var totalCounts: OutcomeCounts { phaseCounts.reduce(OutcomeCounts(), +) }

    /// Region names in the order they were declared or first seen.
    public var regions: [String] { regionNames }

    /// Measured-window counts of one region, or `nil` if the region is unknown.
    public func measuredCounts(region: String) -> OutcomeCounts? {
        regionIndexByName[region].map { regionMeasuredCounts[$0] }
    }

    /// Latency kinds with a histogram, sorted by name.
    public var latencyKinds: [LatencyKind] { latencyHistogramsMicros.keys.sorted() }

    /// The measured-window histogram of `kind`, in microseconds.
    public func latencyHistogramMicros(_ kind: LatencyKind) -> Histogram<UInt64>? { latencyHistogramsMicros[kind] }

    /// Scheduled transactions per second of the measured window.
    public var offeredTps: Double { Double(measuredCounts.offered) / window.measuredSeconds }

    /// Transactions handed to the ledger per second (drops before sending excluded).
    public var achievedTps: Double { Double(measuredCounts.sent) / window.measuredSeconds }

    /// Committed transactions (of those scheduled in the measured window) per second of the window.
    /// Commits per second that happened inside the measured window (see `committedInWindowCount`).
    public var committedTps: Double { Double(committedInWindowCount) / window.measuredSeconds }

    /// Commits inside the measured window for one region.
    public func committedInWindowCount(region: String) -> UInt64 {
        guard let index = regionIndexByName[region], index < regionCommittedInWindow.count else { return 0 }
        return regionCommittedInWindow[index]
    }

    // MARK: - Checking and combining

    /// Throws unless the run's counts add up: nothing in flight; per phase, committed + rejected + dropped +
    /// timed out = offered, committed <= sent <= offered; regions sum to the measured totals; reasons sum to the
    /// rejections; the `localCommit` histogram holds one value per measured commit.
    public func verifyAccounting() throws {
        guard inFlightCount == 0 else { throw LoadError.transactionsInFlight(count: inFlightCount) }
        for phase in LoadPhase.allCases {
            if let problem = phaseCounts[phase.index].accountingProblem(label: phase.rawValue) {
                throw LoadError.accountingMismatch(problem)
            }
        }
        let measured = measuredCounts
        let regionSum = regionMeasuredCounts.reduce(OutcomeCounts(), +)
        guard regionSum == measured else {
            throw LoadError.accountingMismatch("regions sum to \(regionSum), measured window is \(measured)")
        }
        let reasonSum = rejectReasons.values.reduce(0, +)
        guard reasonSum == measured.rejected else {
            throw LoadError.accountingMismatch("reasons sum to \(reasonSum), rejected \(measured.rejected)")
        }
        let latencyCount = latencyHistogramsMicros[.localCommit]?.totalCount ?? 0
        guard latencyCount == measured.committed else {
            throw LoadError.accountingMismatch("\(latencyCount) commit latencies, committed \(measured.committed)")
        }
    }

    /// Adds another finished recorder's counts, reasons and histograms to this one (e.g. one recorder per
    /// generator, merged at the end). `other` must have nothing in flight and the same window.
    public mutating func merge(_ other: OutcomeRecorder) throws {
        guard window == other.window else { throw LoadError.windowMismatch }
        guard timeSeries.intervalNanos == other.timeSeries.intervalNanos else {
            throw LoadError.invalidConfiguration(
                "cannot merge time series of \(other.timeSeries.intervalNanos) ns intervals into "
                    + "\(timeSeries.intervalNanos) ns ones")
        }
        guard other.inFlightCount == 0 else { throw LoadError.transactionsInFlight(count: other.inFlightCount) }
        // Check every bound before changing anything, so a failed merge leaves self as it was.
        let newRegions = Set(other.regionNames).subtracting(regionNames)
        guard regionNames.count + newRegions.count <= limits.maxRegions else {
            throw LoadError.tooManyRegions(limit: limits.maxRegions)
        }
        let newKinds = Set(other.latencyHistogramsMicros.keys).subtracting(latencyHistogramsMicros.keys)
        guard latencyHistogramsMicros.count + newKinds.count <= limits.maxLatencyKinds else {
            throw LoadError.tooManyLatencyKinds(limit: limits.maxLatencyKinds)
        }
        for phase in LoadPhase.allCases { phaseCounts[phase.index] += other.phaseCounts[phase.index] }
        committedInWindowCount += other.committedInWindowCount
        var regionMap: [Int] = []
        for (otherIndex, name) in other.regionNames.enumerated() {
            let index = try regionIndex(for: name)
            regionMap.append(index)
            regionMeasuredCounts[index] += other.regionMeasuredCounts[otherIndex]
            let inWindow = other.committedInWindowCount(region: name)
            if regionCommittedInWindow.count <= index {
                regionCommittedInWindow += Array(repeating: 0, count: index + 1 - regionCommittedInWindow.count)
            }
            regionCommittedInWindow[index] += inWindow
        }
        timeSeries.merge(other.timeSeries, regionMap: regionMap)
        for (reason, count) in other.rejectReasons.sorted(by: { $0.key < $1.key }) {
            countRejectReason(reason, count: count)
        }
        for (kind, histogram) in other.latencyHistogramsMicros {
            latencyHistogramsMicros[kind, default: Self.makeHistogram()].add(histogram)
        }
    }

    // MARK: - Internals

    private func openIndex(of id: LoadTransactionID) throws -> Int {
        guard id.rawValue < baseID + UInt64(entries.count) else { throw LoadError.unknownTransaction(id) }
        guard id.rawValue >= baseID else { throw LoadError.outcomeAlreadyRecorded(id) }
        let index = Int(id.rawValue - baseID)
        guard entries[index].state != .resolved else { throw LoadError.outcomeAlreadyRecorded(id) }
        return index
    }

    private func checkNotBeforeSchedule(_ id: LoadTransactionID, index: Int, atNanos: UInt64) throws {
        let scheduledAtNanos = entries[index].scheduledAtNanos
        guard atNanos >= scheduledAtNanos else {
            throw LoadError.eventBeforeScheduledTime(id, scheduledAtNanos: scheduledAtNanos, eventAtNanos: atNanos)
        }
    }

    /// Applies one outcome. Callers have validated everything, so this cannot fail halfway.
    private mutating func resolve(index: Int, outcome: Outcome, compact: Bool = true) {
        let entry = entries[index]
        entries[index].state = .resolved
        inFlightCount -= 1
        let phase = window.phase(ofScheduledNanos: entry.scheduledAtNanos)
        var delta = OutcomeCounts()
        switch outcome {
        case .committed(let latencyNanos):
            delta.committed = 1
            if phase == .measured {
                latencyHistogramsMicros[.localCommit, default: Self.makeHistogram()].record(
                    Self.micros(roundingUp: latencyNanos))
            }
        case .rejected(let reason):
            delta.rejected = 1
            if phase == .measured { countRejectReason(normalizedReason(reason), count: 1) }
        case .dropped:
            delta.dropped = 1
        case .timedOut:
            delta.timedOut = 1
        }
        phaseCounts[phase.index] += delta
        if phase == .measured { regionMeasuredCounts[Int(entry.regionIndex)] += delta }
        if compact { compactResolvedPrefix() }
    }

    /// Advances past resolved entries and drops the resolved prefix once it is at least half the array (and
    /// large enough to be worth a copy), or when nothing is left open. Amortised O(1) per transaction; memory
    /// stays below twice the tracked span plus one chunk.
    private mutating func compactResolvedPrefix() {
        while firstOpenIndex < entries.count, entries[firstOpenIndex].state == .resolved { firstOpenIndex += 1 }
        guard firstOpenIndex > 0 else { return }
        if firstOpenIndex == entries.count {
            entries.removeAll(keepingCapacity: true)
        } else if firstOpenIndex >= 4096, firstOpenIndex * 2 >= entries.count {
            entries.removeFirst(firstOpenIndex)
        } else {
            return
        }
        baseID += UInt64(firstOpenIndex)
        firstOpenIndex = 0
    }

    private mutating func regionIndex(for name: String) throws -> Int {
        if let index = regionIndexByName[name] { return index }
        guard regionNames.count < limits.maxRegions else { throw LoadError.tooManyRegions(limit: limits.maxRegions) }
        regionIndexByName[name] = regionNames.count
        regionNames.append(name)
        regionMeasuredCounts.append(OutcomeCounts())
        return regionNames.count - 1
    }

    private func normalizedReason(_ reason: String) -> String {
        // One line, no surrounding blanks: reasons end up in table cells.
        let oneLine = reason.split(whereSeparator: { $0.isNewline }).joined(separator: " ")
        let trimmed = oneLine.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return Self.unspecifiedReason }
        return String(trimmed.prefix(limits.maxReasonCharacters))
    }

    private mutating func countRejectReason(_ reason: String, count: UInt64) {
        let key =
            rejectReasons[reason] != nil || rejectReasons.count < limits.maxRejectReasons ? reason : Self.otherReason
        rejectReasons[key, default: 0] += count
    }

    /// Auto-resizing, 3 significant digits (0.1 % resolution). Its largest size is bounded by the value range
    /// (at most ~50 buckets for any `UInt64`), and all recorders share one layout, so `add` never traps.
    private static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    }

    /// Rounds up so that a latency is never reported smaller than it was (1 ns counts as 1 µs, not 0).
    public static func micros(roundingUp nanos: UInt64) -> UInt64 {
        nanos / 1000 + (nanos % 1000 == 0 ? 0 : 1)
    }
}

/// How the ledger carried one community day replayed on the simulator (4 validators, one region): its
/// throughput and latency, and whether the simulated ledger cleared the same energy as the harness run.
public struct CommunityLedgerFigures: Sendable, Codable, Hashable {
    public var households: Int
    public var prosumerShare: Double
    public var intervals: Int
    /// Virtual seconds one settlement interval takes on the simulated ledger (the day is compressed).
    public var virtualSecondsPerInterval: Double
    public var validators: Int
    public var offered: UInt64
    public var committed: UInt64
    public var failed: UInt64
    /// Why transactions failed (rejections by reason, timeouts, drops), as the run result counts them.
    public var failedByReason: [String: UInt64] = [:]
    public var committedTps: Double
    public var latencyP50Millis: Double?
    public var latencyP99Millis: Double?
    public var latencyMaxMillis: Double?
    public var intervalsCleared: Int
    public var peerToPeerKWh: Double
    public var fromGridKWh: Double
    public var harnessPeerToPeerKWh: Double
    public var harnessFromGridKWh: Double
    public var wallSeconds: Double

    public init(
        households: Int, prosumerShare: Double, intervals: Int, virtualSecondsPerInterval: Double, validators: Int,
        offered: UInt64, committed: UInt64, failed: UInt64, committedTps: Double, latencyP50Millis: Double?,
        latencyP99Millis: Double?, latencyMaxMillis: Double?, intervalsCleared: Int, peerToPeerKWh: Double,
        fromGridKWh: Double, harnessPeerToPeerKWh: Double, harnessFromGridKWh: Double, wallSeconds: Double
    ) {
        self.households = households
        self.prosumerShare = prosumerShare
        self.intervals = intervals
        self.virtualSecondsPerInterval = virtualSecondsPerInterval
        self.validators = validators
        self.offered = offered
        self.committed = committed
        self.failed = failed
        self.committedTps = committedTps
        self.latencyP50Millis = latencyP50Millis
        self.latencyP99Millis = latencyP99Millis
        self.latencyMaxMillis = latencyMaxMillis
        self.intervalsCleared = intervalsCleared
        self.peerToPeerKWh = peerToPeerKWh
        self.fromGridKWh = fromGridKWh
        self.harnessPeerToPeerKWh = harnessPeerToPeerKWh
        self.harnessFromGridKWh = harnessFromGridKWh
        self.wallSeconds = wallSeconds
    }

    public func markdown() -> String {
        let reasons =
            failedByReason.isEmpty
            ? ""
            : " (" + failedByReason.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                + ")"
        func millis(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "–" }
        return """
            One day of \(households) households (\(Int((prosumerShare * 100).rounded())) % generating) replayed on \
            the simulated ledger (\(validators) validators, BFT consensus, LMDB), each settlement interval \
            compressed to \(String(format: "%g", virtualSecondsPerInterval)) s of virtual time: \(offered) \
            transactions offered, \(committed) committed, \(failed) failed\(reasons); \
            \(String(format: "%.1f", committedTps)) committed transactions per second; latency from send to commit \
            p50 \(millis(latencyP50Millis)) ms, p99 \(millis(latencyP99Millis)) ms, max \(millis(latencyMaxMillis)) \
            ms; \(intervalsCleared) of \(intervals) intervals cleared. Energy cleared on the simulated ledger: \
            \(String(format: "%.1f", peerToPeerKWh)) kWh peer to peer and \(String(format: "%.1f", fromGridKWh)) \
            kWh from the grid (harness run: \(String(format: "%.1f", harnessPeerToPeerKWh)) and \
            \(String(format: "%.1f", harnessFromGridKWh)) kWh). Wall time \(String(format: "%.1f", wallSeconds)) s.
            """
    }
}

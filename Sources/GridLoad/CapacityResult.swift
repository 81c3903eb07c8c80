/// The answer of a capacity search (`gridledger capacity`, written as `capacity.json`): the highest offered rate
/// that met the SLO, with every probe that led there, so the search can be checked and charted.
public struct CapacityResult: Codable, Hashable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var topology: RunResult.TopologyReference
    public var runtime: RunResult.Runtime
    public var seed: UInt64
    /// The SLO as the user wrote it, e.g. `p99<=250ms`.
    public var slo: String
    /// The latency kind the SLO applies to (`localCommit` or `globalFinality`).
    public var latencyKind: String
    /// The bisection stops when the bracket is narrower than this share of its lower end (0.02 = 2 %).
    public var resolution: Double
    /// The highest offered rate that met the SLO (and was confirmed), transactions per second; 0 if none did.
    public var sustainableTps: Double
    /// The offered rate beyond which latency grows much faster than load (the knee of the curve); `nil` if the
    /// probes do not show one.
    public var kneeTps: Double?
    /// Suggested operating point: the sustainable rate less the headroom.
    public var recommendedTps: Double
    /// Headroom kept below the sustainable rate (0.2 = 20 %).
    public var headroom: Double
    /// What limited the rate just above the sustainable one, in plain words (e.g. "CPU of r0/v0 at 98 %").
    public var limitedBy: String
    /// One plain sentence for the planner.
    public var recommendation: String
    /// Every probe in the order it ran, the confirmation run last.
    public var probes: [CapacityProbe]

    public init(
        schemaVersion: Int = CapacityResult.currentSchemaVersion, topology: RunResult.TopologyReference,
        runtime: RunResult.Runtime, seed: UInt64, slo: String, latencyKind: String, resolution: Double,
        sustainableTps: Double, kneeTps: Double?, recommendedTps: Double, headroom: Double, limitedBy: String,
        recommendation: String, probes: [CapacityProbe]
    ) {
        self.schemaVersion = schemaVersion
        self.topology = topology
        self.runtime = runtime
        self.seed = seed
        self.slo = slo
        self.latencyKind = latencyKind
        self.resolution = resolution
        self.sustainableTps = sustainableTps
        self.kneeTps = kneeTps
        self.recommendedTps = recommendedTps
        self.headroom = headroom
        self.limitedBy = limitedBy
        self.recommendation = recommendation
        self.probes = probes
    }
}

/// One run of a capacity search.
public struct CapacityProbe: Codable, Hashable, Sendable {
    /// Why it ran: `bracket`, `bisect` or `confirm`.
    public var phase: String
    public var offeredTps: Double
    public var achievedTps: Double
    public var committedTps: Double
    /// The SLO's latency percentile of the SLO's kind, milliseconds (0 when nothing committed).
    public var latencyMillis: Double
    /// p50 and p99 of the same kind, for the latency-versus-rate curve.
    public var p50Millis: Double
    public var p99Millis: Double
    /// Rejected + dropped + timed out, as a share of offered.
    public var failureShare: Double
    public var meetsSLO: Bool
    /// Which criteria failed (`achieved`, `failures`, `latency`); empty when it met the SLO.
    public var failed: [String]
    /// The busiest node's CPU utilisation and its id, and the deepest inbox seen.
    public var busiestNode: String
    public var busiestNodeCPU: Double
    public var queuePeakMax: UInt64
    /// The probe's own result folder, relative to the capacity output folder.
    public var resultDirectory: String

    public init(
        phase: String, offeredTps: Double, achievedTps: Double, committedTps: Double, latencyMillis: Double,
        p50Millis: Double, p99Millis: Double, failureShare: Double, meetsSLO: Bool, failed: [String],
        busiestNode: String, busiestNodeCPU: Double, queuePeakMax: UInt64, resultDirectory: String
    ) {
        self.phase = phase
        self.offeredTps = offeredTps
        self.achievedTps = achievedTps
        self.committedTps = committedTps
        self.latencyMillis = latencyMillis
        self.p50Millis = p50Millis
        self.p99Millis = p99Millis
        self.failureShare = failureShare
        self.meetsSLO = meetsSLO
        self.failed = failed
        self.busiestNode = busiestNode
        self.busiestNodeCPU = busiestNodeCPU
        self.queuePeakMax = queuePeakMax
        self.resultDirectory = resultDirectory
    }
}

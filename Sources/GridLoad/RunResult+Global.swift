import Foundation

extension RunResult {
    /// Mean, median, 99th percentile and maximum of a set of values (nearest-rank percentiles); all 0 when empty.
    public struct Distribution: Codable, Hashable, Sendable {
        public var count: Int
        public var mean: Double
        public var p50: Double
        public var p99: Double
        public var max: Double

        public init(_ values: [Double]) {
            let sorted = values.sorted()
            count = sorted.count
            guard !sorted.isEmpty else {
                mean = 0
                p50 = 0
                p99 = 0
                max = 0
                return
            }
            mean = sorted.reduce(0, +) / Double(sorted.count)
            func rank(_ quantile: Double) -> Double {
                sorted[
                    Swift.min(sorted.count - 1, Swift.max(0, Int((quantile * Double(sorted.count)).rounded(.up)) - 1))]
            }
            p50 = rank(0.5)
            p99 = rank(0.99)
            max = sorted[sorted.count - 1]
        }

        func normalized(_ decimals: Int, _ field: String) throws -> Distribution {
            var copy = self
            copy.mean = try RunResult.roundForJSON(mean, decimals, field + ".mean")
            copy.p50 = try RunResult.roundForJSON(p50, decimals, field + ".p50")
            copy.p99 = try RunResult.roundForJSON(p99, decimals, field + ".p99")
            copy.max = try RunResult.roundForJSON(max, decimals, field + ".max")
            return copy
        }
    }

    /// One region as the global layer saw it.
    public struct GlobalRegionResult: Codable, Hashable, Sendable {
        public var name: String
        /// Highest block the region committed.
        public var committedHeight: UInt64
        /// Highest block a checkpoint made final that the region learned of.
        public var finalizedHeight: UInt64
        /// Transactions of the region that reached global finality inside the measured window, per second.
        public var globalFinalTps: Double
        /// Cross-region messages the region's chain emitted (nil in files from before it was counted).
        public var messagesSent: UInt64?
        /// Cross-region messages the region's chain applied as their destination (nil in files from before it was
        /// counted).
        public var messagesApplied: UInt64?

        public init(
            name: String, committedHeight: UInt64, finalizedHeight: UInt64, globalFinalTps: Double,
            messagesSent: UInt64? = nil, messagesApplied: UInt64? = nil
        ) {
            self.name = name
            self.committedHeight = committedHeight
            self.finalizedHeight = finalizedHeight
            self.globalFinalTps = globalFinalTps
            self.messagesSent = messagesSent
            self.messagesApplied = messagesApplied
        }
    }

    /// Cross-region messages from outbox to application.
    public struct CrossRegionCounts: Codable, Hashable, Sendable {
        /// Emitted by a committed region block (its outbox); nil in files from before it was counted.
        public var sent: UInt64?
        /// Ordered by a committed checkpoint.
        public var committed: UInt64
        /// Applied by their destination region's chain (counted once per region).
        public var applied: UInt64
        /// Committed messages a live destination validator had not applied when the run ended.
        public var unappliedAtEnd: UInt64
        /// Addressed to a region the global layer does not know.
        public var undeliverable: UInt64
        /// Relay transactions region validators submitted (first relays and retries).
        public var relaysSent: UInt64
        /// Relay transactions that committed but were refused, by reason code (e.g. `replay` for a duplicate).
        public var relayFailures: [String: UInt64]
        /// Applied messages whose call in the destination contract failed (a refused request still counts as
        /// applied: its sequence is used up); nil in files from before it was counted.
        public var callsFailed: UInt64?

        public init(
            committed: UInt64, applied: UInt64, unappliedAtEnd: UInt64, undeliverable: UInt64, relaysSent: UInt64,
            relayFailures: [String: UInt64], sent: UInt64? = nil, callsFailed: UInt64? = nil
        ) {
            self.sent = sent
            self.callsFailed = callsFailed
            self.committed = committed
            self.applied = applied
            self.unappliedAtEnd = unappliedAtEnd
            self.undeliverable = undeliverable
            self.relaysSent = relaysSent
            self.relayFailures = relayFailures
        }
    }

    /// `global` in `result.json` (schema version 1, optional): the global layer's figures. Absent without one.
    /// Its latencies are in `latencyMillis.globalFinality` and `latencyMillis.crossRegion`.
    public struct GlobalOutcome: Codable, Hashable, Sendable {
        public var committeeSize: Int
        /// Checkpoints committed over the run.
        public var checkpoints: UInt64
        /// Time between consecutive checkpoint commits inside the measured window.
        public var checkpointIntervalMillis: Distribution
        /// Region entries per checkpoint, and payload bytes per checkpoint, over the run.
        public var checkpointEntries: Distribution
        public var checkpointBytes: Distribution
        /// CPU utilisation of the committee members over the measured window.
        public var committeeCpuUtilization: Distribution
        /// Transactions reaching global finality inside the measured window, per second, all regions.
        public var globalFinalTps: Double
        public var regions: [GlobalRegionResult]
        public var crossRegion: CrossRegionCounts
        /// Entries the committee refused, by reason (`bad-certificate`, `does-not-extend-chain`, ...), summed over
        /// members; `resend-duplicate` / `resend-stale` count harmless resends.
        public var entryRejections: [String: UInt64]
        /// Region entries sent to the committee (each to every member), first sends and resends.
        public var entriesSent: UInt64
        /// Times a region validator asked a member for checkpoints it missed.
        public var checkpointRequests: UInt64

        public init(
            committeeSize: Int, checkpoints: UInt64, checkpointIntervalMillis: Distribution,
            checkpointEntries: Distribution, checkpointBytes: Distribution, committeeCpuUtilization: Distribution,
            globalFinalTps: Double, regions: [GlobalRegionResult], crossRegion: CrossRegionCounts,
            entryRejections: [String: UInt64], entriesSent: UInt64, checkpointRequests: UInt64
        ) {
            self.committeeSize = committeeSize
            self.checkpoints = checkpoints
            self.checkpointIntervalMillis = checkpointIntervalMillis
            self.checkpointEntries = checkpointEntries
            self.checkpointBytes = checkpointBytes
            self.committeeCpuUtilization = committeeCpuUtilization
            self.globalFinalTps = globalFinalTps
            self.regions = regions
            self.crossRegion = crossRegion
            self.entryRejections = entryRejections
            self.entriesSent = entriesSent
            self.checkpointRequests = checkpointRequests
        }

        public func normalized() throws -> GlobalOutcome {
            var copy = self
            copy.checkpointIntervalMillis = try checkpointIntervalMillis.normalized(
                3, "global.checkpointIntervalMillis")
            copy.checkpointEntries = try checkpointEntries.normalized(2, "global.checkpointEntries")
            copy.checkpointBytes = try checkpointBytes.normalized(1, "global.checkpointBytes")
            copy.committeeCpuUtilization = try committeeCpuUtilization.normalized(4, "global.committeeCpuUtilization")
            copy.globalFinalTps = try RunResult.roundForJSON(globalFinalTps, 2, "global.globalFinalTps")
            copy.regions = try regions.map { region in
                var region = region
                region.globalFinalTps = try RunResult.roundForJSON(
                    region.globalFinalTps, 2, "global.regions[\(region.name)].globalFinalTps")
                return region
            }
            return copy
        }
    }
}

import GridLoad
import Testing

@Suite struct ServiceLevelTests {
    private func result(offered: UInt64, sent: UInt64, failed: UInt64, p99Millis: Double, committed: UInt64? = nil)
        -> RunResult
    {
        let committedCount = committed ?? offered - failed
        let counts = OutcomeCounts(
            offered: offered, sent: sent, committed: committedCount, rejected: failed / 2, dropped: failed - failed / 2)
        let latency = LatencySummary(
            p50: p99Millis / 4, p90: p99Millis / 2, p99: p99Millis, p999: p99Millis * 2, max: p99Millis * 3,
            count: committedCount)
        return RunResult(
            topology: .init(name: "t", file: "t.yaml"), seed: 0, runtime: .simulator, cpuMode: .model,
            offeredTps: Double(offered), achievedTps: Double(sent), committedTps: Double(committedCount),
            counts: counts, rejectReasons: [:], latencyMillis: [LatencyKind.localCommit.rawValue: latency],
            windowSeconds: .init(warmup: 0, measured: 1, cooldown: 0), regions: [], nodes: [],
            simulation: .init(virtualSeconds: 1, eventsProcessed: 0), wallClock: nil)
    }

    /// Whether a run with these counts and a p99 of 10 ms meets "p99 <= 10 ms".
    private func meets(offered: UInt64, sent: UInt64, failed: UInt64) -> Bool {
        meetsSLO(
            result(offered: offered, sent: sent, failed: failed, p99Millis: 10), latencyPercentile: .p99,
            targetMillis: 10)
    }

    @Test func achievedRateBoundaryIsNinetyNinePercent() {
        #expect(meets(offered: 1000, sent: 990, failed: 0))
        #expect(!meets(offered: 1000, sent: 989, failed: 0))
        let evaluation = evaluateSLO(
            result(offered: 1000, sent: 989, failed: 0, p99Millis: 10), latencyPercentile: .p99, targetMillis: 10)
        #expect(evaluation == SLOEvaluation(achievedRateMet: false, failureRateMet: true, latencyMet: true))
    }

    @Test func failureBoundaryIsOneInAThousand() {
        #expect(meets(offered: 1000, sent: 1000, failed: 1))
        #expect(!meets(offered: 1000, sent: 1000, failed: 2))
        #expect(!meets(offered: 999, sent: 999, failed: 1))
    }

    @Test func latencyBoundaryIsInclusive() {
        let run = result(offered: 1000, sent: 1000, failed: 0, p99Millis: 250)
        #expect(meetsSLO(run, latencyPercentile: .p99, targetMillis: 250))
        #expect(!meetsSLO(run, latencyPercentile: .p99, targetMillis: 249.999))
        #expect(meetsSLO(run, latencyPercentile: .p50, targetMillis: 62.5))
        #expect(!meetsSLO(run, latencyPercentile: .max, targetMillis: 500))
        #expect(!meetsSLO(run, latencyPercentile: .p99, targetMillis: .nan))
        #expect(!meetsSLO(run, latencyPercentile: .p99, targetMillis: 1000, kind: .globalFinality))
    }

    @Test func emptyRunsMeetNothing() {
        #expect(!meets(offered: 0, sent: 0, failed: 0))
        let nothingCommitted = result(offered: 10, sent: 10, failed: 0, p99Millis: 0, committed: 0)
        #expect(!evaluateSLO(nothingCommitted, latencyPercentile: .p99, targetMillis: 1).latencyMet)
    }

    @Test func hugeCountsDoNotOverflow() {
        let big = UInt64.max / 10
        #expect(meets(offered: big, sent: big, failed: 0))
        #expect(!meets(offered: big, sent: big / 100 * 98, failed: 0))
    }

    @Test func percentilesByNumber() {
        #expect(LatencyPercentile(percent: 99.9) == .p999)
        #expect(LatencyPercentile(percent: 100) == .max)
        #expect(LatencyPercentile(percent: 95) == nil)
    }
}

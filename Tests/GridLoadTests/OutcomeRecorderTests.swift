import GridLoad
import Testing

@Suite struct OutcomeRecorderTests {
    @Test func accountingAddsUpAndExcludesWarmupAndCooldown() throws {
        let loadWindow = try window(warmup: 1, measured: 2, cooldown: 1)
        var schedule = try LoadSchedule(controller: .fixed(tps: 100), window: loadWindow, seed: 0)
        var recorder = try OutcomeRecorder(window: loadWindow, regions: ["r0", "r1", "idle"])
        var index = 0
        while let scheduledNanos = schedule.next() {
            let id = try recorder.scheduled(atNanos: scheduledNanos, region: index % 2 == 0 ? "r0" : "r1")
            let later = scheduledNanos + 5 * nanosPerMilli
            switch index % 6 {
            case 0: try recorder.dropped(id, atNanos: scheduledNanos)  // never sent
            case 1:
                try recorder.sent(id, atNanos: scheduledNanos)
                try recorder.rejected(id, reason: "bad signature", atNanos: later)
            case 2:
                try recorder.sent(id, atNanos: scheduledNanos)
                try recorder.dropped(id, atNanos: later)  // "busy" from the mempool
            case 3: try recorder.sent(id, atNanos: scheduledNanos)  // lost: resolved by finish()
            default:
                try recorder.sent(id, atNanos: scheduledNanos)
                try recorder.committed(id, atNanos: later)
            }
            index += 1
        }
        #expect(throws: LoadError.transactionsInFlight(count: 67)) { try recorder.verifyAccounting() }
        #expect(recorder.finish() == 67)
        try recorder.verifyAccounting()

        let measured = recorder.measuredCounts
        #expect(measured.offered == 200)
        #expect(measured.committed + measured.rejected + measured.dropped + measured.timedOut == measured.offered)
        // Indexes 100..<300: residues mod 6 start at 4, so residues 4 and 5 occur 34 times, the others 33.
        #expect(measured.committed == 68)
        #expect(measured.rejected == 33)
        #expect(measured.dropped == 66)
        #expect(measured.timedOut == 33)
        #expect(measured.sent == 200 - 33)
        #expect(recorder.counts(for: .warmup).offered == 100)
        #expect(recorder.counts(for: .cooldown).offered == 100)
        #expect(recorder.totalCounts.offered == 400)
        #expect(recorder.offeredTps == 100)
        #expect(recorder.committedTps == 34)
        #expect(recorder.rejectReasons == ["bad signature": 33])
        #expect(recorder.latencyHistogramMicros(.localCommit)?.totalCount == 68)
        #expect(recorder.regions == ["r0", "r1", "idle"])
        #expect(recorder.measuredCounts(region: "idle") == OutcomeCounts())
        let regionSum = recorder.regions.compactMap { recorder.measuredCounts(region: $0) }.reduce(OutcomeCounts(), +)
        #expect(regionSum == measured)
    }

    @Test func latencyIsMeasuredFromTheScheduledTime() throws {
        let loadWindow = try window(warmup: 1, measured: 1)
        var recorder = try OutcomeRecorder(window: loadWindow)
        let scheduledNanos = nanosPerSecond + 100
        let id = try recorder.scheduled(atNanos: scheduledNanos, region: "r0")
        // The generator stalls for 50 ms before sending; the ledger then needs 10 ms.
        try recorder.sent(id, atNanos: scheduledNanos + 50 * nanosPerMilli)
        try recorder.committed(id, atNanos: scheduledNanos + 60 * nanosPerMilli)
        let histogram = try #require(recorder.latencyHistogramMicros(.localCommit))
        #expect(histogram.maxRecorded == 60_000)
        #expect(LatencySummary(histogramMicros: histogram).max == 60)
    }

    @Test func subMicrosecondLatencyRoundsUpNotToZero() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let id = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.sent(id, atNanos: 0)
        try recorder.committed(id, atNanos: 1)
        #expect(recorder.latencyHistogramMicros(.localCommit)?.maxRecorded == 1)
    }

    @Test func percentilesOfAUniformDistribution() throws {
        // 100,000 commits with latencies 1 µs ... 100,000 µs: the p-th percentile is p * 1000 µs.
        let loadWindow = try window(warmup: 0, measured: 1)
        var recorder = try OutcomeRecorder(window: loadWindow)
        var ids: [LoadTransactionID] = []
        for _ in 0..<100_000 {
            let id = try recorder.scheduled(atNanos: 0, region: "r0")
            try recorder.sent(id, atNanos: 0)
            ids.append(id)
        }
        var random = DeterministicRandom(seed: 1)
        for (offset, id) in ids.enumerated().shuffled(using: &random) {
            try recorder.committed(id, atNanos: UInt64(offset + 1) * 1000)
        }
        try recorder.verifyAccounting()
        let summary = LatencySummary(histogramMicros: try #require(recorder.latencyHistogramMicros(.localCommit)))
        #expect(summary.count == 100_000)
        for (value, expected) in [(summary.p50, 50.0), (summary.p90, 90.0), (summary.p99, 99.0), (summary.p999, 99.9)] {
            #expect(abs(value - expected) / expected < 0.001, "\(value) vs \(expected)")
        }
        #expect(summary.max == 100)
    }

    @Test func percentilesOfAnExponentialDistributionMatchExactQuantiles() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        var random = DeterministicRandom(seed: 77)
        var latenciesMicros: [UInt64] = []
        for _ in 0..<50_000 {
            let latencyMicros = UInt64(random.nextExponential(mean: 20_000)) + 1
            latenciesMicros.append(latencyMicros)
            let id = try recorder.scheduled(atNanos: 0, region: "r0")
            try recorder.sent(id, atNanos: 0)
            try recorder.committed(id, atNanos: latencyMicros * 1000)
        }
        let histogram = try #require(recorder.latencyHistogramMicros(.localCommit))
        let sorted = latenciesMicros.sorted()
        for percentile in [50.0, 90.0, 99.0, 99.9] {
            let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up)) - 1
            let exact = Double(sorted[rank])
            let fromHistogram = Double(histogram.valueAtPercentile(percentile))
            #expect(abs(fromHistogram - exact) <= exact * 0.001 + 1, "p\(percentile): \(fromHistogram) vs \(exact)")
        }
        #expect(histogram.maxRecorded == sorted.last)
    }

    @Test func laterLatencyKindsAreKeyedByNameAndWindowed() throws {
        let loadWindow = try window(warmup: 1, measured: 1)
        var recorder = try OutcomeRecorder(window: loadWindow)
        #expect(try recorder.recordLatency(.globalFinality, scheduledAtNanos: 0, completedAtNanos: 9) == false)
        #expect(
            try recorder.recordLatency(
                .globalFinality, scheduledAtNanos: nanosPerSecond,
                completedAtNanos: nanosPerSecond + 250 * nanosPerMilli))
        #expect(recorder.latencyKinds == [.globalFinality, .localCommit])
        #expect(recorder.latencyHistogramMicros(.globalFinality)?.maxRecorded == 250_000)
        #expect(throws: LoadError.self) {
            try recorder.recordLatency(.localCommit, scheduledAtNanos: 0, completedAtNanos: 1)
        }
        #expect(throws: LoadError.negativeLatency(kind: "crossRegion", startNanos: 5, endNanos: 4)) {
            try recorder.recordLatency(.crossRegion, scheduledAtNanos: 5, completedAtNanos: 4)
        }
    }

    @Test func expireTimesOutOldTransactionsOnly() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 10))
        var ids: [LoadTransactionID] = []
        for second in 0..<5 {
            let id = try recorder.scheduled(atNanos: UInt64(second) * nanosPerSecond, region: "r0")
            try recorder.sent(id, atNanos: UInt64(second) * nanosPerSecond)
            ids.append(id)
        }
        try recorder.committed(ids[1], atNanos: nanosPerSecond + 1)
        let expired = recorder.expire(atNanos: 3 * nanosPerSecond, timeoutNanos: 2 * nanosPerSecond)
        #expect(expired == [ids[0]])
        #expect(recorder.expire(atNanos: 1, timeoutNanos: 2 * nanosPerSecond).isEmpty)
        #expect(recorder.expire(atNanos: 4 * nanosPerSecond, timeoutNanos: 2 * nanosPerSecond) == [ids[2]])
        // A commit arriving after the client gave up is refused, not double counted.
        #expect(throws: LoadError.outcomeAlreadyRecorded(ids[0])) {
            try recorder.committed(ids[0], atNanos: 5 * nanosPerSecond)
        }
        #expect(recorder.measuredCounts.timedOut == 2)
        #expect(recorder.inFlightCount == 2)
    }

    @Test func mergeAddsCountsHistogramsAndReasons() throws {
        let loadWindow = try window(warmup: 0, measured: 1)
        func recorder(region: String, reason: String, latencyMillis: UInt64) throws -> OutcomeRecorder {
            var recorder = try OutcomeRecorder(window: loadWindow)
            let committedID = try recorder.scheduled(atNanos: 0, region: region)
            try recorder.sent(committedID, atNanos: 0)
            try recorder.committed(committedID, atNanos: latencyMillis * nanosPerMilli)
            let rejectedID = try recorder.scheduled(atNanos: 0, region: region)
            try recorder.rejected(rejectedID, reason: reason, atNanos: 1)
            return recorder
        }
        var merged = try recorder(region: "a", reason: "x", latencyMillis: 10)
        try merged.merge(try recorder(region: "b", reason: "y", latencyMillis: 30))
        try merged.merge(try recorder(region: "a", reason: "x", latencyMillis: 20))
        try merged.verifyAccounting()
        #expect(merged.measuredCounts == OutcomeCounts(offered: 6, sent: 3, committed: 3, rejected: 3))
        #expect(merged.measuredCounts(region: "a")?.offered == 4)
        #expect(merged.rejectReasons == ["x": 2, "y": 1])
        #expect(merged.latencyHistogramMicros(.localCommit)?.maxRecorded == 30_000)

        var unfinished = try OutcomeRecorder(window: loadWindow)
        _ = try unfinished.scheduled(atNanos: 0, region: "a")
        #expect(throws: LoadError.transactionsInFlight(count: 1)) { try merged.merge(unfinished) }
        #expect(throws: LoadError.windowMismatch) {
            try merged.merge(try OutcomeRecorder(window: try window(warmup: 1, measured: 1)))
        }
        try merged.verifyAccounting()
    }

    @Test func manyTransactionsStayBoundedAndCounted() throws {
        // 300k transactions, at most ~1000 unresolved at a time, through several compactions.
        var recorder = try OutcomeRecorder(
            window: try window(warmup: 0, measured: 300), limits: .init(maxTrackedTransactions: 2000))
        var open: [LoadTransactionID] = []
        for index in 0..<300_000 {
            let id = try recorder.scheduled(atNanos: UInt64(index) * nanosPerMilli, region: "r0")
            try recorder.sent(id, atNanos: UInt64(index) * nanosPerMilli)
            open.append(id)
            if open.count == 1000 {
                for id in open.reversed() { try recorder.committed(id, atNanos: UInt64(index + 1) * nanosPerMilli) }
                open.removeAll()
            }
        }
        recorder.finish()
        try recorder.verifyAccounting()
        #expect(recorder.measuredCounts.committed == 300_000)
    }
}

import GridLoad
import Testing

@Suite struct LoadScheduleTests {
    // MARK: - Open loop

    @Test(arguments: [1.0, 7.5, 333.0, 1000.0, 12_345.0])
    func fixedRateGivesTheExactCountInEveryPhase(tps: Double) throws {
        let loadWindow = try window(warmup: 2, measured: 10, cooldown: 2)
        let times = try allTimes(.fixed(tps: tps), loadWindow)
        #expect(times.count == Int(tps * 14))
        #expect(times.filter { loadWindow.phase(ofScheduledNanos: $0) == .warmup }.count == Int(tps * 2))
        #expect(times.filter { loadWindow.phase(ofScheduledNanos: $0) == .measured }.count == Int(tps * 10))
        #expect(times.filter { loadWindow.phase(ofScheduledNanos: $0) == .cooldown }.count == Int(tps * 2))
        #expect(times.first == 0)
        #expect(times.last! < loadWindow.runEndNanos)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func fixedRateSpacingIsExact() throws {
        let times = try allTimes(.fixed(tps: 1000), try window(warmup: 0, measured: 1))
        #expect(times == (0..<1000).map { UInt64($0) * 1_000_000 })
    }

    @Test func poissonCountIsWithinFiveSigmaAndDeterministic() throws {
        let loadWindow = try window(warmup: 1, measured: 20)
        let tps = 500.0
        let times = try allTimes(.poisson(tps: tps), loadWindow, seed: 11)
        let measured = times.filter { loadWindow.phase(ofScheduledNanos: $0) == .measured }.count
        let expected = tps * 20
        #expect(abs(Double(measured) - expected) < 5 * expected.squareRoot())
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(try allTimes(.poisson(tps: tps), loadWindow, seed: 11) == times)
        #expect(try allTimes(.poisson(tps: tps), loadWindow, seed: 12) != times)
    }

    @Test func poissonGapsLookExponential() throws {
        let times = try allTimes(.poisson(tps: 1000), try window(warmup: 0, measured: 50), seed: 5)
        let gapsMillis = zip(times, times.dropFirst()).map { Double($1 - $0) / 1e6 }
        let mean = gapsMillis.reduce(0, +) / Double(gapsMillis.count)
        #expect(abs(mean - 1.0) < 0.03)
        // For an exponential distribution, P(gap > mean) = 1/e.
        let aboveMean = Double(gapsMillis.filter { $0 > 1.0 }.count) / Double(gapsMillis.count)
        #expect(abs(aboveMean - 0.367_879) < 0.02)
    }

    @Test func rampRateMatchesTheIntegralInEverySecond() throws {
        // 100 tx/s at t = 0 rising to 1100 tx/s at t = 10 s: rate(t) = 100 + 100 t, so second i carries
        // 150 + 100 i transactions. Cool-down holds 1100 tx/s.
        let loadWindow = try window(warmup: 2, measured: 8, cooldown: 2)
        let times = try allTimes(.ramp(fromTps: 100, toTps: 1100), loadWindow)
        for second in 0..<10 {
            let got = count(times, from: Double(second), to: Double(second + 1))
            #expect(abs(got - (150 + 100 * second)) <= 1, "second \(second): \(got)")
        }
        #expect(abs(count(times, from: 10, to: 12) - 2200) <= 1)
        #expect(abs(times.count - (6000 + 2200)) <= 1)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func rampDownToZeroAndFromZero() throws {
        let loadWindow = try window(warmup: 0, measured: 4)
        let down = try allTimes(.ramp(fromTps: 1000, toTps: 0), loadWindow)
        #expect(abs(down.count - 2000) <= 1)
        #expect(abs(count(down, from: 3, to: 4) - 125) <= 1)
        let up = try allTimes(.ramp(fromTps: 0, toTps: 1000), loadWindow)
        #expect(abs(up.count - 2000) <= 1)
        #expect(abs(count(up, from: 0, to: 1) - 125) <= 1)
    }

    @Test func stepRatesHoldInEachSubWindow() throws {
        let steps = [
            RateStep(atSeconds: 1, tps: 100), RateStep(atSeconds: 3, tps: 400), RateStep(atSeconds: 6, tps: 0),
            RateStep(atSeconds: 8, tps: 250), RateStep(atSeconds: 50, tps: 9999),
        ]
        let times = try allTimes(.step(steps), try window(warmup: 0, measured: 10))
        #expect(count(times, from: 0, to: 1) == 0)
        #expect(count(times, from: 1, to: 3) == 200)
        #expect(count(times, from: 3, to: 6) == 1200)
        #expect(count(times, from: 6, to: 8) == 0)
        #expect(count(times, from: 8, to: 10) == 500)
        #expect(times.count == 1900)
    }

    @Test func stepCarriesFractionsAcrossSteps() throws {
        // 2.5 transactions in the first step: the half carries into the second instead of being lost.
        let steps = [RateStep(atSeconds: 0, tps: 5), RateStep(atSeconds: 0.5, tps: 5)]
        let times = try allTimes(.step(steps), try window(warmup: 0, measured: 1))
        #expect(times == (0..<5).map { UInt64($0) * 200_000_000 })
    }

    @Test(arguments: [
        RateController.fixed(tps: -1), .fixed(tps: .nan), .poisson(tps: .infinity), .ramp(fromTps: 1, toTps: 2e9),
        .step([RateStep(atSeconds: 2, tps: 1), RateStep(atSeconds: 1, tps: 1)]),
        .step([RateStep(atSeconds: -1, tps: 1)]),
        .closedLoop(outstanding: 0), .closedLoop(outstanding: RateController.maxOutstanding + 1),
    ])
    func invalidControllersAreRejected(controller: RateController) throws {
        #expect(throws: LoadError.self) {
            _ = try LoadSchedule(controller: controller, window: try window(warmup: 0, measured: 1), seed: 0)
        }
    }

    @Test func emptyMeasuredWindowIsRejected() {
        #expect(throws: LoadError.self) { _ = try LoadWindow(warmupNanos: 5, measuredNanos: 0) }
        #expect(throws: LoadError.self) { _ = try LoadWindow(warmupNanos: .max, measuredNanos: 1) }
    }

    @Test func zeroRateProducesNothing() throws {
        #expect(try allTimes(.fixed(tps: 0), try window(warmup: 1, measured: 1)).isEmpty)
        #expect(try allTimes(.poisson(tps: 0), try window(warmup: 1, measured: 1)).isEmpty)
    }

    // MARK: - Closed loop

    @Test(arguments: [1, 8, 64])
    func closedLoopNeverExceedsKOutstanding(limit: Int) throws {
        let loadWindow = try window(warmup: 1, measured: 4)
        var schedule = try LoadSchedule(controller: .closedLoop(outstanding: limit), window: loadWindow, seed: 1)
        #expect(schedule.next() == nil)
        var recorder = try OutcomeRecorder(window: loadWindow)
        var random = DeterministicRandom(seed: UInt64(limit))
        // Pending completions as (time, id), kept sorted by time: a tiny event queue.
        var pending: [(nanos: UInt64, id: LoadTransactionID)] = []
        var nowNanos: UInt64 = 0
        var peak = 0
        var released = 0
        while true {
            for _ in 0..<schedule.release(atNanos: nowNanos) {
                let id = try recorder.scheduled(atNanos: nowNanos, region: "r0")
                try recorder.sent(id, atNanos: nowNanos)
                let doneNanos = nowNanos + 1_000_000 + random.next() % 20_000_000
                let index = pending.firstIndex { $0.nanos > doneNanos } ?? pending.count
                pending.insert((doneNanos, id), at: index)
                released += 1
            }
            peak = max(peak, recorder.inFlightCount)
            #expect(recorder.inFlightCount <= limit)
            #expect(schedule.outstanding <= limit)
            guard !pending.isEmpty else { break }
            let next = pending.removeFirst()
            nowNanos = next.nanos
            if random.next() % 10 == 0 {
                try recorder.rejected(next.id, reason: "busy contract", atNanos: nowNanos)
            } else {
                try recorder.committed(next.id, atNanos: nowNanos)
            }
            try schedule.complete()
        }
        #expect(peak == limit)
        #expect(UInt64(released) == schedule.scheduledCount)
        #expect(schedule.outstanding == 0)
        #expect(schedule.release(atNanos: loadWindow.runEndNanos) == 0)
        #expect(throws: LoadError.closedLoopUnderflow) { try schedule.complete() }
        try recorder.verifyAccounting()
        #expect(recorder.totalCounts.offered == UInt64(released))
    }

    @Test func openLoopReleasesNothing() throws {
        var schedule = try LoadSchedule(
            controller: .fixed(tps: 10), window: try window(warmup: 0, measured: 1), seed: 0)
        #expect(schedule.release(atNanos: 0) == 0)
    }
}

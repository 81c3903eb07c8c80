import Foundation
import GridCrypto
import Testing

/// The meter that estimates what verification costs inside a running node.
@Suite struct VerificationMeterTests {
    /// Burns at least `nanos` of this thread's CPU (not wall time), so the meter has a known least amount to see.
    static func spin(threadCPUNanos nanos: UInt64) {
        let start = Self.threadCPUNanos()
        var sink: UInt64 = 0
        while Self.threadCPUNanos() &- start < nanos { sink &+= 1 }
        _ = sink
    }

    static func threadCPUNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Every verification counts; of the small calls only the first of each `smallCallSampleEvery` is timed, and
    /// its time stands for all of them, so the others add nothing.
    @Test func smallCallsAreSampledAndWeighted() {
        let meter = VerificationMeter()
        let every = Int(VerificationMeter.smallCallSampleEvery)
        meter.measure(count: 1) { Self.spin(threadCPUNanos: 2_000_000) }
        let afterFirst = meter.totals
        #expect(afterFirst.verifications == 1)
        // At least 2 ms, counted `every` times over.
        #expect(afterFirst.cpuSeconds >= Double(every) * 0.002)
        for _ in 1..<every { meter.measure(count: 1) { Self.spin(threadCPUNanos: 2_000_000) } }
        #expect(meter.totals.verifications == UInt64(every))
        #expect(meter.totals.cpuSeconds == afterFirst.cpuSeconds)
        // The next round's first call is timed again.
        meter.measure(count: 2) { Self.spin(threadCPUNanos: 1_000_000) }
        #expect(meter.totals.verifications == UInt64(every) + 2)
        #expect(meter.totals.cpuSeconds >= afterFirst.cpuSeconds + Double(every) * 0.001)
    }

    /// A batch is always timed, once, whatever came before.
    @Test func batchesAreAlwaysTimedOnce() {
        let meter = VerificationMeter()
        let count = VerificationMeter.batchVerificationsMin
        for _ in 0..<3 { meter.measure(count: count) { Self.spin(threadCPUNanos: 1_000_000) } }
        #expect(meter.totals.verifications == UInt64(3 * count))
        #expect(meter.totals.cpuSeconds >= 0.003)
        // Not weighted: far below what `smallCallSampleEvery` times 3 ms would be (spinning 1 ms overshoots by
        // little; a loaded machine stretches wall time, not thread CPU).
        #expect(meter.totals.cpuSeconds < Double(VerificationMeter.smallCallSampleEvery) * 0.003)
    }

    /// Real checks through `BatchVerifier`, serial and spread over threads: every signature is counted once, results
    /// stay right, and the threads' CPU is seen.
    @Test(arguments: [1, 2]) func batchVerifierReportsEveryCheck(threads: Int) {
        let key = KeyPair.derived(masterSeed: 5, label: "meter-test")
        let items = (0..<BatchVerifier.parallelThreshold).map { index in
            let message = [UInt8](repeating: UInt8(index), count: 150)
            var signature = key.sign(message)
            if index == 7 { signature = key.sign([0]) }
            return SignedMessage(publicKey: key.publicKey, message: message, signature: signature)
        }
        let meter = VerificationMeter()
        let results = BatchVerifier.verify(items, threads: threads, meter: meter)
        #expect(results.count == items.count)
        #expect(results.enumerated().allSatisfy { $0.element == ($0.offset != 7) })
        #expect(meter.totals.verifications == UInt64(items.count))
        #expect(meter.totals.cpuSeconds > 0)
    }
}

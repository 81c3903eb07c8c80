import Foundation
import Testing

@testable import GridLiveRun

@Suite struct RunQueueWaitTests {
    @Test func thisProcessHasSchedulerStatisticsForEachThread() throws {
        let sample = try #require(RunQueueSample.read(pid: getpid()), "no /proc/PID/task/*/schedstat here")
        let main = try #require(sample.threads[Int(getpid())], "the main thread's id is the process id")
        #expect(main.onCPUNanos > 0)
        #expect(sample.onCPUNanos == sample.threads.values.map(\.onCPUNanos).reduce(0, +))
        #expect(sample.waitingNanos == sample.threads.values.map(\.waitingNanos).reduce(0, +))
        // Busy work shows up as time on a CPU in the next sample.
        var spin: UInt64 = 0
        let until = DispatchTime.now().uptimeNanoseconds + 20_000_000
        while DispatchTime.now().uptimeNanoseconds < until { spin &+= 1 }
        let later = try #require(RunQueueSample.read(pid: getpid()))
        #expect(later.onCPUNanos > sample.onCPUNanos, "spun \(spin) times")
    }

    @Test func aProcessThatIsGoneHasNoSample() {
        #expect(RunQueueSample.read(pid: Int32.max) == nil)
    }

    @Test func theWindowIsTheDifferenceThreadByThread() {
        typealias Thread = RunQueueSample.Thread
        let start = RunQueueSample(
            onCPUNanos: 0, waitingNanos: 0,
            threads: [
                1: Thread(name: "main", onCPUNanos: 1_000_000_000, waitingNanos: 100_000_000),
                2: Thread(name: "NIO-ELT-0-#0", onCPUNanos: 500_000_000, waitingNanos: 50_000_000, runs: 1_000),
                3: Thread(name: "ended", onCPUNanos: 9_000_000_000, waitingNanos: 9_000_000_000),
            ])
        let end = RunQueueSample(
            onCPUNanos: 0, waitingNanos: 0,
            threads: [
                1: Thread(name: "main", onCPUNanos: 1_500_000_000, waitingNanos: 400_000_000),
                2: Thread(name: "NIO-ELT-0-#0", onCPUNanos: 700_000_000, waitingNanos: 150_000_000, runs: 3_000),
                // Started in the window: counted from zero.
                4: Thread(name: "started", onCPUNanos: 100_000_000, waitingNanos: 200_000_000),
            ])
        let window = RunQueueWindow(name: "r0/v0", start: start, end: end, windowSeconds: 2)
        #expect(abs(window.onCPUSeconds - 0.8) < 1e-9)
        #expect(abs(window.waitingSeconds - 0.6) < 1e-9)
        #expect(abs(window.waitingMillisPerSecond - 300) < 1e-6)
        #expect(window.mostWaitingThread == "main (1)")
        #expect(abs(window.mostWaitingThreadSeconds - 0.3) < 1e-9)
        #expect(window.consensusWaitingSeconds == nil, "no thread is named consensus")
        let named = RunQueueWindow(
            name: "r0/v0", start: start, end: end, windowSeconds: 2, consensusThreadName: "NIO-ELT-0-#0")
        #expect(abs((named.consensusOnCPUSeconds ?? 0) - 0.2) < 1e-9)
        #expect(abs((named.consensusWaitingSeconds ?? 0) - 0.1) < 1e-9)
        #expect(named.consensusRuns == 2_000)
        #expect(abs((named.consensusMeanWaitMillis ?? 0) - 0.05) < 1e-9, "0.1 s over 2,000 runs")
    }
}

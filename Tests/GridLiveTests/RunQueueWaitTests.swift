import Foundation
import GridLive
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

    @Test func schedulerStatisticsAreThreeWholeNumbersOrNothing() {
        #expect(SchedulerStatistics("1200 34 5\n") == SchedulerStatistics("1200 34 5"))
        #expect(SchedulerStatistics("1200 34 5\n")?.runs == 5)
        #expect(SchedulerStatistics("1200 34 5")?.waitingNanos == 34)
        #expect(SchedulerStatistics("1200 34") == nil)
        #expect(SchedulerStatistics("1200 -34 5") == nil)
        #expect(SchedulerStatistics("") == nil)
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

    @Test func theMachinesCPUIsSplitByKindAndSetAgainstTheRunsProcesses() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostcpu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("stat-1")
        let second = directory.appendingPathComponent("stat-2")
        // user nice system idle iowait irq softirq steal guest guest_nice, in clock ticks; a per-core line follows.
        try "cpu  1000 0 400 5000 100 0 50 0 0 0\ncpu0 500 0 200 2500 50 0 25 0 0 0\n".write(
            to: first, atomically: true, encoding: .utf8)
        try "cpu  1600 0 580 5100 160 0 110 0 0 0\ncpu0 800 0 310 2550 80 0 55 0 0 0\n".write(
            to: second, atomically: true, encoding: .utf8)
        let start = try #require(HostCPUSample.read(path: first.path))
        let end = try #require(HostCPUSample.read(path: second.path))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let window = try #require(
            HostCPUWindow(start: start, end: end, windowSeconds: 5, runProcessesSeconds: 800 / ticks))
        // 1,000 ticks in all: 600 user, 180 system, 100 idle, 60 iowait, 60 softirq.
        #expect(abs((window.shares["user"] ?? 0) - 0.6) < 1e-9)
        #expect(abs((window.shares["idle"] ?? 0) - 0.1) < 1e-9)
        #expect(abs(window.shares.values.reduce(0, +) - 1) < 1e-9)
        #expect(abs(window.busySeconds - 840 / ticks) < 1e-9)
        #expect(abs(window.otherSeconds - 40 / ticks) < 1e-9)
        // More on our processes' clocks than the machine's (a tick apart) is not negative work.
        let over = try #require(HostCPUWindow(start: start, end: end, windowSeconds: 5, runProcessesSeconds: 1e6))
        #expect(over.otherSeconds == 0)
        // A file that is not /proc/stat gives no sample.
        try "intr 1 2 3\n".write(to: first, atomically: true, encoding: .utf8)
        #expect(HostCPUSample.read(path: first.path) == nil)
        #expect(HostCPUSample.read(path: directory.appendingPathComponent("none").path) == nil)
    }
}

import Foundation
import GridLive

/// How long a process's threads were ready to run but waited for a core, from the kernel's scheduler statistics
/// (`/proc/PID/task/TID/schedstat`: nanoseconds on a CPU, nanoseconds waiting on a run queue, time slices).
///
/// On this machine 4 to 7 processes share 2 cores, and a validator whose consensus thread waits for a core adds that
/// wait to every transaction's latency; the simulator gives each validator the cores its profile says and models no
/// such wait. Sampling every process at the start and at the end of the measured window says how much of the
/// window each one spent waiting, which is what separates "the work took long" from "the work waited".
public struct RunQueueSample: Sendable, Equatable {
    public var onCPUNanos: UInt64 = 0
    public var waitingNanos: UInt64 = 0
    /// Per thread (by thread id): time on a CPU, time waiting, and the thread's name (`comm`).
    public var threads: [Int: Thread] = [:]

    public struct Thread: Sendable, Equatable {
        public var name: String
        public var onCPUNanos: UInt64
        public var waitingNanos: UInt64
        /// Times the thread was put on a CPU: each follows one wait (possibly of zero).
        public var runs: UInt64 = 0
    }

    /// Every thread of `pid`; nil if the process is gone or `/proc` has no scheduler statistics (a kernel without
    /// `CONFIG_SCHED_INFO`).
    public static func read(pid: Int32) -> RunQueueSample? {
        let taskDirectory = "/proc/\(pid)/task"
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: taskDirectory) else { return nil }
        var sample = RunQueueSample()
        for tid in tids {
            guard let id = Int(tid),
                let text = try? String(contentsOfFile: "\(taskDirectory)/\(tid)/schedstat", encoding: .utf8)
            else { continue }  // A thread that ended between the listing and the read.
            guard let stat = SchedulerStatistics(text) else { continue }
            // A thread without a readable name still counts: its times are what matter, the name only labels it.
            let name =
                (try? String(contentsOfFile: "\(taskDirectory)/\(tid)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            sample.threads[id] = Thread(
                name: name, onCPUNanos: stat.onCPUNanos, waitingNanos: stat.waitingNanos, runs: stat.runs)
            sample.onCPUNanos += stat.onCPUNanos
            sample.waitingNanos += stat.waitingNanos
        }
        return sample.threads.isEmpty ? nil : sample
    }
}

/// One process's scheduling over the measured window: the difference of two samples of the same process.
public struct RunQueueWindow: Sendable, Equatable {
    public var name: String
    public var windowSeconds: Double
    public var onCPUSeconds: Double
    /// Summed over threads: two threads waiting for 1 ms each count 2 ms.
    public var waitingSeconds: Double
    /// The thread that waited longest in the window, and how long.
    public var mostWaitingThread: String
    public var mostWaitingThreadSeconds: Double
    /// The node's consensus thread (`LiveNode.consensusThreadName`), which every block and vote passes through:
    /// its time on a CPU and waiting; nil for a process without one (a load generator).
    public var consensusOnCPUSeconds: Double?
    public var consensusWaitingSeconds: Double?
    /// How often the consensus thread was put on a CPU in the window: its waiting time over this is the mean delay
    /// between becoming ready (a message or timer arrived) and running, which each step of a round pays.
    public var consensusRuns: UInt64?

    /// Both samples must be of the same process; threads that started in the window count from zero, and threads
    /// that ended in it are missing from the end sample, so their time is left out (it cannot be split).
    public init(
        name: String, start: RunQueueSample, end: RunQueueSample, windowSeconds: Double,
        consensusThreadName: String = LiveNode.consensusThreadName
    ) {
        self.name = name
        self.windowSeconds = windowSeconds
        var onCPU: UInt64 = 0
        var waiting: UInt64 = 0
        var worst: (name: String, nanos: UInt64) = ("", 0)
        for (id, thread) in end.threads {
            let before = start.threads[id]
            let cpu = thread.onCPUNanos - min(thread.onCPUNanos, before?.onCPUNanos ?? 0)
            let wait = thread.waitingNanos - min(thread.waitingNanos, before?.waitingNanos ?? 0)
            onCPU += cpu
            waiting += wait
            if wait > worst.nanos || (wait == worst.nanos && wait > 0 && thread.name < worst.name) {
                worst = ("\(thread.name) (\(id))", wait)
            }
            if thread.name == consensusThreadName {
                consensusOnCPUSeconds = (consensusOnCPUSeconds ?? 0) + Double(cpu) / 1e9
                consensusWaitingSeconds = (consensusWaitingSeconds ?? 0) + Double(wait) / 1e9
                consensusRuns = (consensusRuns ?? 0) + thread.runs - min(thread.runs, before?.runs ?? 0)
            }
        }
        onCPUSeconds = Double(onCPU) / 1e9
        waitingSeconds = Double(waiting) / 1e9
        mostWaitingThread = worst.name
        mostWaitingThreadSeconds = Double(worst.nanos) / 1e9
    }

    /// The consensus thread's mean wait for a core each time it became ready, in milliseconds.
    public var consensusMeanWaitMillis: Double? {
        guard let consensusWaitingSeconds, let consensusRuns, consensusRuns > 0 else { return nil }
        return consensusWaitingSeconds * 1000 / Double(consensusRuns)
    }

    /// Milliseconds of waiting per second of the window (summed over threads).
    public var waitingMillisPerSecond: Double { windowSeconds > 0 ? waitingSeconds * 1000 / windowSeconds : 0 }
}

/// Samples of every process of a run, taken together.
struct RunQueueSnapshot {
    var atSeconds: Double
    /// By process name, with the process id the sample is of.
    var samples: [String: (pid: Int32, sample: RunQueueSample)]
    var host: HostCPUSample?
}

/// The machine's CPU time by kind since boot, from the first line of `/proc/stat` (in clock ticks).
public struct HostCPUSample: Sendable, Equatable {
    /// user, nice, system, idle, iowait, irq, softirq, steal: the kinds `/proc/stat` lists first.
    public var ticks: [UInt64]
    static let kinds = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]

    /// Nil where `/proc/stat` cannot be read or has fewer kinds.
    public static func read(path: String = "/proc/stat") -> HostCPUSample? {
        // Unreadable: no host figure, which the report then leaves out.
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().prefix(kinds.count).compactMap { UInt64($0) }
        return fields.count == kinds.count ? HostCPUSample(ticks: fields) : nil
    }
}

/// The machine's CPU over the measured window, and how much of it the run's own processes account for.
public struct HostCPUWindow: Sendable, Equatable {
    public var windowSeconds: Double
    /// Share of all cores' time by kind (`HostCPUSample.kinds`), summing to 1.
    public var shares: [String: Double]
    /// Core-seconds not idle and not waiting for I/O.
    public var busySeconds: Double
    /// Core-seconds the run's processes were on a CPU (from their scheduler statistics).
    public var runProcessesSeconds: Double

    /// What else kept the cores busy: the kernel's workers (the block layer's, the flusher), interrupts and soft
    /// interrupts not charged to our threads, other processes. Negative values (the two clocks differ by a tick
    /// or so) read as 0.
    public var otherSeconds: Double { max(0, busySeconds - runProcessesSeconds) }

    public init?(start: HostCPUSample, end: HostCPUSample, windowSeconds: Double, runProcessesSeconds: Double) {
        let deltas = zip(end.ticks, start.ticks).map { $0 >= $1 ? Double($0 - $1) : 0 }
        let total = deltas.reduce(0, +)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard total > 0, ticksPerSecond > 0, windowSeconds > 0 else { return nil }
        self.windowSeconds = windowSeconds
        shares = Dictionary(uniqueKeysWithValues: zip(HostCPUSample.kinds, deltas.map { $0 / total }))
        let idle = deltas[3] + deltas[4]
        busySeconds = (total - idle) / ticksPerSecond
        self.runProcessesSeconds = runProcessesSeconds
    }
}

extension LiveRun {
    /// Every running node's and generator's scheduler statistics now.
    func sampleRunQueues(atSeconds: Double) -> RunQueueSnapshot {
        var samples: [String: (pid: Int32, sample: RunQueueSample)] = [:]
        let processes =
            nodeOrder.compactMap { name in nodes[name].map { (name, $0) } } + generators.map { ($0.name, $0) }
        for (name, child) in processes where child.isRunning {
            guard let pid = child.processIdentifier, let sample = RunQueueSample.read(pid: pid) else { continue }
            samples[name] = (pid, sample)
        }
        return RunQueueSnapshot(atSeconds: atSeconds, samples: samples, host: HostCPUSample.read())
    }

    /// The machine's CPU over the window, set against the processes of `runQueueWindows()`.
    func hostCPUWindow() -> HostCPUWindow? {
        guard let start = runQueueStart, let end = runQueueEnd, let before = start.host, let after = end.host else {
            return nil
        }
        let processes = runQueueWindows().map(\.onCPUSeconds).reduce(0, +)
        return HostCPUWindow(
            start: before, end: after, windowSeconds: end.atSeconds - start.atSeconds, runProcessesSeconds: processes)
    }

    /// The window's figures for every process sampled at both ends as the same process (one that crashed or
    /// restarted in the window has no figure: its threads' time before the crash cannot be read afterwards).
    func runQueueWindows() -> [RunQueueWindow] {
        guard let start = runQueueStart, let end = runQueueEnd, end.atSeconds > start.atSeconds else { return [] }
        let names = nodeOrder + generators.map(\.name)
        return names.compactMap { name in
            guard let before = start.samples[name], let after = end.samples[name], before.pid == after.pid else {
                return nil
            }
            return RunQueueWindow(
                name: name, start: before.sample, end: after.sample, windowSeconds: end.atSeconds - start.atSeconds)
        }
    }
}

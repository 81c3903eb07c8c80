import Foundation
import Synchronization

/// CPU time of this process's threads whose names start with a prefix (NIO's event loops), from the kernel's
/// scheduler statistics (`/proc/self/task/TID/schedstat`, nanoseconds on a CPU).
///
/// The threads are found once by name and then read by id, so a metrics snapshot reads one small file per thread
/// instead of listing the task directory: a node takes one every 50 ms.
final class ThreadGroupCPU: Sendable {
    private let namePrefix: String
    /// The matching thread ids, once found; nil until then (the group may not have started its threads yet).
    private let threadIDs = Mutex<[Int]?>(nil)
    /// A process with more threads than this is not what the reader is for; it reads the first this many.
    static let threadsMax = 64

    init(namePrefix: String) { self.namePrefix = namePrefix }

    /// The threads' time on a CPU and how many times they were put on one (each a wake-up, or a return after
    /// preemption); nil when no such thread exists or the kernel keeps no scheduler statistics.
    func usage() -> (cpuSeconds: Double, runs: UInt64)? {
        let ids = threadIDs.withLock { $0 } ?? findThreads()
        guard !ids.isEmpty else { return nil }
        var nanos: UInt64 = 0
        var runs: UInt64 = 0
        var read = 0
        for id in ids {
            // A thread that ended (a group shut down) just stops counting.
            guard let stat = Self.schedstat(path: "/proc/self/task/\(id)/schedstat") else { continue }
            nanos += stat.onCPUNanos
            runs += stat.runs
            read += 1
        }
        return read > 0 ? (Double(nanos) / 1e9, runs) : nil
    }

    private func findThreads() -> [Int] {
        // No /proc: no figure, as the doc comment says.
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        let found = tids.compactMap(Int.init).sorted().prefix(Self.threadsMax).filter { id in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8) else {
                return false  // Ended between the listing and the read.
            }
            return name.hasPrefix(namePrefix)
        }
        // Keep the list only once it found something: before the group starts there is nothing to keep.
        if !found.isEmpty { threadIDs.withLock { $0 = Array(found) } }
        return Array(found)
    }

    static func schedstat(path: String) -> SchedulerStatistics? {
        // Unreadable: the thread ended; the caller counts it out.
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return SchedulerStatistics(text)
    }
}

/// One thread's `/proc/.../task/TID/schedstat`: three numbers, nanoseconds on a CPU, nanoseconds ready but waiting
/// on a run queue, and how many times it was put on a CPU.
public struct SchedulerStatistics: Sendable, Equatable {
    public var onCPUNanos: UInt64
    public var waitingNanos: UInt64
    public var runs: UInt64

    /// Nil unless the text starts with three whole numbers.
    public init?(_ text: String) {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 3, let onCPU = UInt64(fields[0]), let waiting = UInt64(fields[1]),
            let slices = UInt64(fields[2])
        else { return nil }
        (onCPUNanos, waitingNanos, runs) = (onCPU, waiting, slices)
    }
}

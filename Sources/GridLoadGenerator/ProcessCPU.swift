import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time (user + system, all threads) this process has used so far, in seconds: from `/proc/self/stat`
/// (fields 14 and 15, in clock ticks) on Linux, from `getrusage` elsewhere or if `/proc` cannot be read.
enum ProcessCPU {
    static func seconds() -> Double {
        #if os(Linux)
            if let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let closing = text.lastIndex(of: ")")
            {
                // After "pid (comm)" the fields start at 3 (state); utime is field 14 and stime field 15.
                let fields = text[text.index(after: closing)...].split(separator: " ")
                let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
                if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticksPerSecond > 0
                {
                    return (user + system) / ticksPerSecond
                }
            }
        #endif
        var usage = rusage()
        #if os(Linux)
            let who = Int32(RUSAGE_SELF.rawValue)
        #else
            let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// CPU time of the calling thread, in seconds (`CLOCK_THREAD_CPUTIME_ID`).
enum ThreadCPU {
    static func seconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// How many times the calling thread has been put on a CPU (the third field of `/proc/thread-self/schedstat`);
    /// nil where the kernel keeps no scheduler statistics.
    static func runs() -> UInt64? {
        #if os(Linux)
            // Unreadable: no scheduler statistics here, and the report says so with nil.
            guard let text = try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8) else {
                return nil
            }
            let fields = text.split(whereSeparator: \.isWhitespace)
            return fields.count >= 3 ? UInt64(fields[2]) : nil
        #else
            return nil
        #endif
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time consumed by the calling thread, for `--cpu measured`: it excludes time the thread was descheduled,
/// so other load on a shared machine does not inflate a node's cost (it still perturbs caches; model mode does
/// not have that noise).
public enum ThreadCPUClock {
    public static func nowNanos() -> UInt64 {
        var spec = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return 0 }
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Wall-clock time, used only for the `wallClock` part of a result and for calibration, never inside a run.
public enum WallClock {
    public static func nowNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

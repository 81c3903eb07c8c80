import Foundation
import Synchronization

/// Thread CPU that signature verification really takes inside a running node, where it shares the core's caches with
/// everything else the node does; the figure measured before a live run (`VerificationCost`) verifies one signature
/// in a tight loop and is a best case.
///
/// Reading the thread CPU clock is a system call (about 0.5 µs on this VM, a hundredth of a verification), so a call
/// that verifies fewer than `batchVerificationsMin` signatures is timed only once in `smallCallSampleEvery`, and its
/// time counts that many times over: the total is an unbiased estimate whatever the mix of single checks and batches.
/// Every verification is counted, timed or not.
public final class VerificationMeter: Sendable {
    /// A call verifying at least this many signatures is always timed: two clock reads cost under 1 % of it.
    public static let batchVerificationsMin = 16
    public static let smallCallSampleEvery: UInt64 = 8

    private let verificationCount = Atomic<UInt64>(0)
    private let smallCalls = Atomic<UInt64>(0)
    private let estimatedNanos = Atomic<UInt64>(0)

    public init() {}

    /// Runs `body`, which verifies `count` signatures on the calling thread, and accounts for it.
    public func measure<Result>(count: Int, _ body: () -> Result) -> Result {
        verificationCount.add(UInt64(max(0, count)), ordering: .relaxed)
        var weight: UInt64 = 1
        if count < Self.batchVerificationsMin {
            let call = smallCalls.add(1, ordering: .relaxed).oldValue
            guard call % Self.smallCallSampleEvery == 0 else { return body() }
            weight = Self.smallCallSampleEvery
        }
        let start = Self.threadCPUNanos()
        let result = body()
        let end = Self.threadCPUNanos()
        estimatedNanos.add((end &- start) &* weight, ordering: .relaxed)
        return result
    }

    /// Signatures verified so far, and the estimated thread CPU seconds they took.
    public var totals: (verifications: UInt64, cpuSeconds: Double) {
        (verificationCount.load(ordering: .relaxed), Double(estimatedNanos.load(ordering: .relaxed)) / 1e9)
    }

    static func threadCPUNanos() -> UInt64 {
        var spec = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return 0 }
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

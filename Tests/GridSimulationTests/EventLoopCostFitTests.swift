import Foundation
import Testing

@testable import GridSimulation

/// The event-loop threads' CPU, fitted per wake-up, frame and KiB: known terms come back, none goes negative, and
/// the profile charges a wake-up only when the thread was idle.
struct EventLoopCostFitTests {
    /// Nodes at four loads, as measured on `default`: the busier the node, the more frames each wake-up finds.
    static func samples(perWakeup: Double, perFrame: Double, perKiB: Double) -> [EventLoopCostFit.Sample] {
        let runs: [(wakeups: Double, frames: Double, kibibytes: Double)] = [
            (846, 629, 194), (18_071, 18_435, 5_618), (16_516, 19_598, 14_317), (10_806, 17_442, 28_444),
        ]
        return runs.map { run in
            EventLoopCostFit.Sample(
                cpuNanos: run.wakeups * perWakeup + run.frames * perFrame + run.kibibytes * perKiB,
                wakeups: run.wakeups, frames: run.frames, kibibytes: run.kibibytes)
        }
    }

    @Test func recoversTheTermsItWasMadeWith() throws {
        let fit = try #require(EventLoopCostFit(Self.samples(perWakeup: 35_000, perFrame: 2_000, perKiB: 500)))
        #expect(abs(fit.nanosPerWakeup - 35_000) < 1)
        #expect(abs(fit.nanosPerFrame - 2_000) < 1)
        #expect(abs(fit.nanosPerKiB - 500) < 1)
        #expect(fit.relativeResidual < 1e-9)
        #expect(fit.samples == 4)
        let profile = fit.applied(to: .shippedDefault)
        #expect(profile.eventLoopNanosPerWakeup == 35_000 && profile.eventLoopNanosPerFrame == 2_000)
        #expect(profile.eventLoopNanosPerKiB == 500 && profile.pricesEventLoop)
    }

    @Test func aTermThatWouldComeOutNegativeIsLeftOut() throws {
        let fit = try #require(EventLoopCostFit(Self.samples(perWakeup: 40_000, perFrame: -3_000, perKiB: 0)))
        #expect(fit.nanosPerFrame == 0)
        #expect(fit.nanosPerWakeup > 0 && fit.nanosPerKiB >= 0)
        #expect(fit.relativeResidual > 0)
    }

    @Test func tooFewSamplesOrNoCPUGiveNoFit() {
        #expect(EventLoopCostFit(Array(Self.samples(perWakeup: 1, perFrame: 1, perKiB: 1).prefix(1))) == nil)
        #expect(EventLoopCostFit(Self.samples(perWakeup: 0, perFrame: 0, perKiB: 0)) == nil)
    }

    @Test func aWakeUpIsChargedOnlyToAnIdleThread() {
        var profile = MachineProfile.shippedDefault
        #expect(!profile.pricesEventLoop)
        profile.eventLoopNanosPerWakeup = 30_000
        profile.eventLoopNanosPerFrame = 1_000
        profile.eventLoopNanosPerKiB = 2_048
        #expect(profile.eventLoopNanos(bytes: 512, wakes: true) == 32_024)  // half a KiB: 1,024 ns
        #expect(profile.eventLoopNanos(bytes: 512, wakes: false) == 2_024)
    }
}

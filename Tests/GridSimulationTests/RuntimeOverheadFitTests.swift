import Foundation
import GridConsensus
import Testing

@testable import GridSimulation

/// The live runtime's unpriced CPU: the fit recovers known terms, never goes negative, and the profile charges what
/// it fitted.
struct RuntimeOverheadFitTests {
    /// Nodes of runs at light, medium and heavy load and one idle: priced CPU plus known terms.
    static func samples(perTransaction: Double, perBlock: Double, perSecond: Double) -> [RuntimeOverheadFit.Sample] {
        let runs: [(transactions: Double, blocks: Double, seconds: Double)] = [
            (60, 200, 14), (6_000, 3_800, 14.3), (24_000, 1_700, 14.9), (48_000, 480, 15.8),
        ]
        return runs.map { run in
            let priced = run.transactions * 52_000 + run.blocks * 200_000
            let extra = run.transactions * perTransaction + run.blocks * perBlock + run.seconds * perSecond
            return RuntimeOverheadFit.Sample(
                cpuNanos: priced + extra, pricedNanos: priced, transactions: run.transactions, blocks: run.blocks,
                uptimeSeconds: run.seconds)
        }
    }

    @Test func recoversTheTermsItWasMadeWith() throws {
        let fit = try #require(
            RuntimeOverheadFit(Self.samples(perTransaction: 48_000, perBlock: 570_000, perSecond: 15_000_000)))
        #expect(abs(fit.nanosPerTransaction - 48_000) < 1)
        #expect(abs(fit.nanosPerBlock - 570_000) < 1)
        #expect(abs(fit.nanosPerSecond - 15_000_000) < 10)
        #expect(fit.relativeResidual < 1e-9)
        #expect(fit.measuredOverPriced > 1)
        #expect(fit.samples == 4)
    }

    @Test func aTermThatWouldComeOutNegativeIsLeftOut() throws {
        // Measured below priced per block: the best fit with no negative term sets that term to zero.
        let fit = try #require(
            RuntimeOverheadFit(Self.samples(perTransaction: 40_000, perBlock: -100_000, perSecond: 0)))
        #expect(fit.nanosPerBlock == 0)
        #expect(fit.nanosPerTransaction > 0)
        #expect(fit.nanosPerSecond >= 0)
        #expect(fit.relativeResidual > 0)
    }

    @Test func tooFewSamplesOrNoCPUGiveNoFit() {
        let samples = Self.samples(perTransaction: 1, perBlock: 1, perSecond: 1)
        #expect(RuntimeOverheadFit(Array(samples.prefix(2))) == nil)
        let empty = samples.map {
            RuntimeOverheadFit.Sample(
                cpuNanos: 0, pricedNanos: 0, transactions: $0.transactions, blocks: $0.blocks,
                uptimeSeconds: $0.uptimeSeconds)
        }
        #expect(RuntimeOverheadFit(empty) == nil)
    }

    @Test func collinearTermsAreNotSolvedTogether() {
        // Blocks always twice the transactions: the pair is singular, each alone is not.
        #expect(RuntimeOverheadFit.leastSquares([[1, 2, 3], [2, 4, 6]], [1, 2, 3]) == nil)
        #expect(RuntimeOverheadFit.leastSquares([[1, 2, 3]], [2, 4, 6]) == [2])
    }

    @Test func theProfileChargesTheFittedTerms() throws {
        let base = MachineProfileTests.profile
        var work = Work()
        work.contractCalls = 3
        let fit = try #require(
            RuntimeOverheadFit(Self.samples(perTransaction: 1_000, perBlock: 10_000, perSecond: 0)))
        let fitted = fit.applied(to: base)
        #expect(fitted.runtimeNanosPerTransaction == 1_000)
        #expect(fitted.runtimeNanosPerBlock == 10_000)
        #expect(fitted.costNanos(of: work) == base.costNanos(of: work) + 3_000)
        #expect(fitted.storeCostNanos(commits: 2, bytes: 0) == base.storeCostNanos(commits: 2, bytes: 0) + 20_000)
        #expect(fitted.storeCostNanos(commits: 0, bytes: 0) == 0)
    }
}

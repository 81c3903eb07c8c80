import Testing

@testable import GridModel

/// Base case of the IEEE 33-bus feeder at the Baran & Wu peak load (3715 kW, 2300 kVAr), slack at 1.0 p.u.
///
/// Published figures: M. E. Baran and F. F. Wu, IEEE Trans. Power Delivery 4(2):1401-1407, 1989, and the many
/// reconfiguration and DG-placement studies that start from the same base case (e.g. R. S. Rao et al., "Power
/// loss minimization in distribution system using network reconfiguration in the presence of distributed
/// generation", IEEE Trans. Power Systems 28(1):317-325, 2013): real losses 202.67 kW, reactive losses
/// 135.14 kVAr, minimum voltage 0.9131 p.u. at bus 18. The per-bus profile below is the one these studies
/// tabulate and that MATPOWER's Newton solver gives for case33bw, rounded to four decimals.
@Suite struct PowerFlowTests {
    static let publishedVoltagePU: [Double] = [
        1.0000, 0.9970, 0.9829, 0.9755, 0.9681, 0.9497, 0.9462, 0.9413, 0.9351, 0.9292, 0.9284,
        0.9269, 0.9208, 0.9185, 0.9171, 0.9157, 0.9137, 0.9131, 0.9965, 0.9929, 0.9922, 0.9916,
        0.9794, 0.9727, 0.9694, 0.9477, 0.9452, 0.9337, 0.9255, 0.9220, 0.9178, 0.9169, 0.9166,
    ]

    @Test func baseCaseReproducesThePublishedProfileAndLosses() throws {
        let result = try Feeder.ieee33().solvePowerFlow()
        #expect(result.buses.map(\.bus) == Array(1...33))
        // Published voltages are rounded to 1e-4 p.u.; 5e-4 also covers sources that round Z_base to 16.03 ohm.
        for (state, published) in zip(result.buses, Self.publishedVoltagePU) {
            #expect(abs(state.voltagePU - published) < 0.0005, "bus \(state.bus)")
        }
        // Losses are quoted to 0.01 kW; 0.5 kW (0.25 %) leaves room for the same rounding differences.
        #expect(abs(result.totalLossKW - 202.67) < 0.5)
        #expect(abs(result.totalLossKVar - 135.14) < 0.5)
        #expect(result.weakestBus == 18)
        #expect(abs(result.weakestVoltagePU - 0.9131) < 0.0005)
        #expect(result.iterations < 20)
        #expect(result.finalMismatchPU < 1e-9)
    }

    @Test func powerBalancesAtTheSubstation() throws {
        let feeder = Feeder.ieee33()
        let result = try feeder.solvePowerFlow()
        #expect(abs(result.substationPKW - (feeder.totalLoadPKW + result.totalLossKW)) < 1e-6)
        #expect(abs(result.substationQKVar - (feeder.totalLoadQKVar + result.totalLossKVar)) < 1e-6)
        #expect(abs(result.branches.map(\.lossKW).reduce(0, +) - result.totalLossKW) < 1e-9)
        let first = try #require(result.branches.first)
        #expect(first.fromBus == 1 && first.toBus == 2)
        #expect(abs(first.sendingPKW - result.substationPKW) < 1e-6)
        #expect(abs(first.currentA - first.currentPU * feeder.baseCurrentA) < 1e-9)
    }

    @Test func noLoadGivesFlatVoltages() throws {
        let result = try Feeder.ieee33().solvePowerFlow(loadScale: 0, options: PowerFlowOptions(slackVoltagePU: 1.02))
        for state in result.buses {
            #expect(abs(state.voltagePU - 1.02) < 1e-12)
            #expect(abs(state.angleRad) < 1e-12)
        }
        #expect(result.totalLossKW == 0)
    }

    @Test func tenTimesTheLoadDoesNotConverge() {
        let error = #expect(throws: PowerFlowError.self) {
            try Feeder.ieee33().solvePowerFlow(loadScale: 10)
        }
        switch error {
        case .diverged(let iterations, _), .didNotConverge(let iterations, _):
            #expect(iterations >= 1)
        default:
            Issue.record("expected non-convergence, got \(String(describing: error))")
        }
        #expect(error?.description.contains("iteration") == true)
    }

    @Test func iterationLimitGivesTypedErrorWithIterationsAndMismatch() {
        let error = #expect(throws: PowerFlowError.self) {
            try Feeder.ieee33().solvePowerFlow(options: PowerFlowOptions(maxIterations: 1))
        }
        guard case .didNotConverge(let iterations, let mismatch) = error else {
            Issue.record("expected didNotConverge, got \(String(describing: error))")
            return
        }
        #expect(iterations == 1)
        // The first sweep moves bus 18 from the flat start by roughly its final drop of 0.087 p.u.
        #expect(mismatch > 0.01 && mismatch < 0.2)
        #expect(error?.description.contains("after 1 iteration") == true)
    }

    @Test func badInputsAreRejected() {
        let feeder = Feeder.ieee33()
        #expect(throws: PowerFlowError.injectionCountMismatch(expected: 33, actual: 2)) {
            try feeder.solvePowerFlow(injections: [.zero, .zero])
        }
        #expect(throws: PowerFlowError.unknownBus(40)) {
            try feeder.solvePowerFlow(adjustments: [40: .zero])
        }
        #expect(throws: PowerFlowError.self) {
            try feeder.solvePowerFlow(options: PowerFlowOptions(maxIterations: 0))
        }
    }

    @Test func generationAndReactiveSetPointsRaiseVoltages() throws {
        let feeder = Feeder.ieee33()
        let base = try feeder.solvePowerFlow()
        let withPV = try feeder.solvePowerFlow(adjustments: [18: BusInjection(pKW: 300, qKVar: 0)])
        let withVAr = try feeder.solvePowerFlow(adjustments: [18: BusInjection(pKW: 0, qKVar: 300)])
        #expect(withPV.voltagePU(atBus: 18)! > base.voltagePU(atBus: 18)!)
        #expect(withVAr.voltagePU(atBus: 18)! > base.voltagePU(atBus: 18)!)
        #expect(withPV.totalLossKW < base.totalLossKW)
        #expect(BusInjection.load(pKW: 5, qKVar: 1) == BusInjection(pKW: -5, qKVar: -1))
        #expect(BusInjection.load(pKW: 5, qKVar: 1).netLoadPKW == 5)
    }
}

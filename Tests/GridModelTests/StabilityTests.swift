import Testing

@testable import GridModel

@Suite struct StabilityTests {
    let feeder = Feeder.ieee33()

    @Test func indexFormulaLimits() {
        // No load: only |V1|^4 remains.
        let unloaded = VoltageStability.chakravortyDasIndex(
            sendingVoltagePU: 0.95, resistancePU: 0.1, reactancePU: 0.2, receivedPPU: 0, receivedQPU: 0)
        #expect(abs(unloaded - 0.95 * 0.95 * 0.95 * 0.95) < 1e-15)
        // Hand-evaluated: 1 - 4 (0.5*0.2 - 0.2*0.1)^2 - 4 (0.5*0.1 + 0.2*0.2) = 1 - 0.0256 - 0.36 = 0.6144.
        let value = VoltageStability.chakravortyDasIndex(
            sendingVoltagePU: 1, resistancePU: 0.1, reactancePU: 0.2, receivedPPU: 0.5, receivedQPU: 0.2)
        #expect(abs(value - 0.6144) < 1e-12)
    }

    @Test func endOfFeederBusesRankWeakest() throws {
        let result = try feeder.solvePowerFlow()
        let ranking = feeder.stabilityRanking(result: result)
        #expect(ranking.count == 32)
        #expect(!ranking.contains { $0.bus == 1 })
        #expect(ranking.first?.bus == 18)
        let weakestTen = ranking.prefix(10).map(\.bus)
        #expect(weakestTen.contains(18))
        #expect(weakestTen.contains(33))
        // Strong buses near the substation come last.
        #expect(Set(ranking.suffix(3).map(\.bus)).isSubset(of: [2, 3, 19, 20, 21, 22, 23]))
        for index in ranking.map(\.index) { #expect(index > 0 && index <= 1) }
        // The weakest index sits just below |V17|^4 = 0.9137^4 = 0.697, because branch 17-18 carries 90 kW only.
        #expect(abs(ranking[0].index - 0.695) < 0.005)
    }

    @Test func measurementBasedIndexIsCloseToTheExactOne() throws {
        let injections = feeder.baseInjections()
        let result = try feeder.solvePowerFlow(injections: injections)
        let exact = feeder.stabilityIndices(result: result)
        let measured = try feeder.stabilityIndices(voltagesPU: result.voltagesPU, injections: injections)
        for (a, b) in zip(exact, measured) {
            #expect(b >= a - 1e-12)  // neglecting losses can only make the index look better
            #expect(b - a < 0.02)
        }
        #expect(throws: PowerFlowError.self) { try feeder.stabilityIndices(voltagesPU: [1], injections: injections) }
    }

    @Test func heavierLoadLowersTheWeakestIndex() throws {
        let light = try feeder.solvePowerFlow(loadScale: 0.5)
        let heavy = try feeder.solvePowerFlow(loadScale: 2)
        let lightMin = feeder.stabilityRanking(result: light)[0].index
        let heavyMin = feeder.stabilityRanking(result: heavy)[0].index
        #expect(heavyMin < lightMin)
    }

    @Test func theveninIndexEqualsTheBranchIndexOnASingleBranchFeeder() throws {
        let twoBus = try Feeder(
            name: "two-bus", baseKV: 12.66, baseMVA: 10, slackBus: 1,
            buses: [Bus(number: 1, loadPKW: 0, loadQKVar: 0), Bus(number: 2, loadPKW: 2_000, loadQKVar: 1_000)],
            branches: [Branch(fromBus: 1, toBus: 2, resistanceOhm: 1.5, reactanceOhm: 2.5)])
        let injections = twoBus.baseInjections()
        let result = try twoBus.solvePowerFlow(injections: injections, options: PowerFlowOptions(slackVoltagePU: 1.03))
        let branchIndex = twoBus.stabilityIndices(result: result)[1]
        let indices = try twoBus.chakravortyDasTheveninIndices(voltagesPU: result.voltagesPU, injections: injections)
        let theveninIndex = indices[1]
        #expect(abs(branchIndex - theveninIndex) < 1e-9)
        #expect(branchIndex > 0 && branchIndex < 1)
    }

    @Test func theveninIndexFallsAsABusLoadGrows() throws {
        let indexAt30: (Double) throws -> Double = { extraKW in
            let injections = try feeder.injections(adjustments: [30: .load(pKW: extraKW, qKVar: 0)])
            let result = try feeder.solvePowerFlow(injections: injections)
            let indices = try feeder.chakravortyDasTheveninIndices(
                voltagesPU: result.voltagesPU, injections: injections)
            return indices[feeder.index(ofBus: 30)!]
        }
        let base = try indexAt30(0)
        #expect(base > 0 && base < 1)
        #expect(try indexAt30(500) < base)
        let result = try feeder.solvePowerFlow()
        let indices = try feeder.chakravortyDasTheveninIndices(
            voltagesPU: result.voltagesPU, injections: feeder.baseInjections())
        #expect(indices.allSatisfy { $0 > 0 && $0 <= 1 })
    }
}

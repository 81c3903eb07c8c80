import Testing

@testable import GridModel

@Suite struct SensitivityTests {
    let feeder = Feeder.ieee33()

    @Test func pathImpedanceOfBus18IsTheSumOfTheMainBranches() throws {
        let path = try #require(feeder.pathImpedance(toBus: 18))
        let main = feeder.branches.filter { $0.toBus >= 2 && $0.toBus <= 18 && $0.fromBus == $0.toBus - 1 }
        #expect(main.count == 17)
        #expect(abs(path.resistanceOhm - main.map(\.resistanceOhm).reduce(0, +)) < 1e-12)
        #expect(abs(path.reactanceOhm - main.map(\.reactanceOhm).reduce(0, +)) < 1e-12)
        // Hand sum of the Baran & Wu data for branches 1-2 ... 17-18.
        #expect(abs(path.resistanceOhm - 11.0628) < 1e-9)
        #expect(abs(path.reactanceOhm - 9.1422) < 1e-9)
        #expect(abs(path.reactancePU - 9.1422 / feeder.baseImpedanceOhm) < 1e-12)
        #expect(feeder.pathImpedance(toBus: 1)?.reactanceOhm == 0)
        #expect(feeder.pathImpedance(toBus: 99) == nil)
    }

    @Test func sharedReactanceIsSymmetricAndEqualsTheCommonAncestorsPathReactance() throws {
        let buses = feeder.busNumbers
        for i in buses {
            for j in buses {
                let shared = try #require(feeder.sharedReactanceOhm(i, j))
                #expect(shared == feeder.sharedReactanceOhm(j, i))
                let ancestor = try #require(feeder.commonAncestor(of: i, and: j))
                #expect(shared == feeder.pathImpedance(toBus: ancestor)?.reactanceOhm)
            }
        }
        #expect(feeder.commonAncestor(of: 18, and: 33) == 6)
        #expect(feeder.commonAncestor(of: 22, and: 25) == 2)
        #expect(feeder.commonAncestor(of: 12, and: 18) == 12)
        #expect(feeder.sharedReactanceOhm(18, 18) == feeder.pathImpedance(toBus: 18)?.reactanceOhm)
        let matrix = feeder.voltageSensitivityMatrixPUPerKVar()
        let i18 = try #require(feeder.index(ofBus: 18))
        let i33 = try #require(feeder.index(ofBus: 33))
        #expect(matrix[i18][i33] == matrix[i33][i18])
        #expect(abs(matrix[i18][i33] - feeder.voltageSensitivityPUPerKVar(bus: 18, injectionBus: 33)!) < 1e-15)
    }

    @Test func sensitivityUnitsAgree() throws {
        let perPU = try #require(feeder.voltageSensitivityPUPerPU(bus: 18, injectionBus: 18))
        let perKVar = try #require(feeder.voltageSensitivityPUPerKVar(bus: 18, injectionBus: 18))
        #expect(abs(perKVar * feeder.baseKVA - perPU) < 1e-15)
        // X_shared / V_base^2: 9.1422 ohm / (12.66 kV)^2 / 1000 = 5.704e-5 p.u. per kVAr.
        #expect(abs(perKVar - 9.1422 / (12.66 * 12.66) / 1_000) < 1e-12)
    }

    @Test func reactiveInjectionAtTheWeakestBusMatchesThePrediction() throws {
        let base = try feeder.solvePowerFlow()
        let weakest = base.weakestBus
        let injectedKVar = 200.0
        let raised = try feeder.solvePowerFlow(adjustments: [weakest: BusInjection(pKW: 0, qKVar: injectedKVar)])
        let actualRise = raised.voltagePU(atBus: weakest)! - base.weakestVoltagePU
        let predictedRise =
            feeder.voltageSensitivityPUPerKVar(bus: weakest, injectionBus: weakest, voltagePU: base.weakestVoltagePU)!
            * injectedKVar
        // The linear model ignores losses and angles; within 15 % is what it is good for at this loading.
        #expect(actualRise > 0)
        #expect(
            abs(actualRise - predictedRise) < 0.15 * predictedRise, "actual \(actualRise), predicted \(predictedRise)")

        // Injection elsewhere acts through the shared reactance only: bus 33 barely moves bus 18 beyond bus 6.
        let remote = try feeder.solvePowerFlow(adjustments: [33: BusInjection(pKW: 0, qKVar: injectedKVar)])
        let remoteRise = remote.voltagePU(atBus: 18)! - base.weakestVoltagePU
        let remotePredicted =
            feeder.voltageSensitivityPUPerKVar(bus: 18, injectionBus: 33, voltagePU: base.weakestVoltagePU)!
            * injectedKVar
        #expect(remoteRise < actualRise / 4)
        // Here the neglected loss reduction on the shared trunk 1-6 matters more relative to the small rise.
        #expect(
            abs(remoteRise - remotePredicted) < 0.2 * remotePredicted,
            "actual \(remoteRise), predicted \(remotePredicted)")
    }
}

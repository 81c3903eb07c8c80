import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// The integer index against the floating-point reference (GridModel's `chakravortyDasTheveninIndex`, restated in
/// `voltageReferenceTheveninIndex`). Tolerance: 2 micro-units (2e-6 p.u.^4), i.e. the two roundings of the fixed
/// point; the inputs themselves are exact in micro-p.u. here.
@Suite struct VoltageIndexTests {
    static let toleranceMicro = 2.0

    static func index(_ v: Int64, _ r: Int64, _ x: Int64, _ p: Int64, _ q: Int64) -> Int64? {
        VoltageStabilityIndex.chakravortyDasTheveninIndexMicro(
            busVoltageMicroPU: v, pathResistanceMicroPU: r, pathReactanceMicroPU: x, loadPMicroPU: p, loadQMicroPU: q)
    }

    static func reference(_ v: Int64, _ r: Int64, _ x: Int64, _ p: Int64, _ q: Int64) -> Double {
        let micro = 1e-6
        return voltageReferenceTheveninIndex(
            busVoltagePU: Double(v) * micro, pathResistancePU: Double(r) * micro, pathReactancePU: Double(x) * micro,
            loadPPU: Double(p) * micro, loadQPU: Double(q) * micro) * 1e6
    }

    /// Hand computation for the line feeder's stressed point (p.u.; a = P R + Q X, c = P X - Q R,
    /// |E|^2 = ((V^2 + a)^2 + c^2) / V^2, VSI = |E|^4 - 4 c^2 - 4 a |E|^2):
    ///
    ///     bus 2: V 0.985, P 0.3, Q 0.1,  R 0.01, X 0.02: a 0.005, c 0.005, |E|^2 0.980277, VSI 0.941237
    ///     bus 3: V 0.965, P 0.4, Q 0.15, R 0.02, X 0.04: a 0.014, c 0.013, |E|^2 0.959617, VSI 0.866450
    ///     bus 4: V 0.94,  P 0.5, Q 0.2,  R 0.03, X 0.06: a 0.027, c 0.024, |E|^2 0.939077, VSI 0.778141
    ///
    /// e.g. bus 4: V^2 + a = 0.8836 + 0.027 = 0.9106; (0.9106^2 + 0.024^2) / 0.8836 = 0.829768 / 0.8836 = 0.939077;
    /// 0.939077^2 - 4 * 0.024^2 - 4 * 0.027 * 0.939077 = 0.881865 - 0.002304 - 0.101420 = 0.778141.
    @Test(arguments: [
        (Int64(985_000), Int64(10_000), Int64(20_000), Int64(300_000), Int64(100_000), Int64(941_237)),
        (965_000, 20_000, 40_000, 400_000, 150_000, 866_450),
        (940_000, 30_000, 60_000, 500_000, 200_000, 778_141),
    ])
    func handComputedIndices(_ v: Int64, _ r: Int64, _ x: Int64, _ p: Int64, _ q: Int64, _ expected: Int64) throws {
        let value = try #require(Self.index(v, r, x, p, q))
        #expect(value == expected)
        #expect(abs(Double(value) - Self.reference(v, r, x, p, q)) <= Self.toleranceMicro)
    }

    @Test func noLoadGivesTheFourthPowerOfTheVoltage() throws {
        // 0.95^4 = 0.81450625, rounded to the micro-unit.
        #expect(Self.index(950_000, 30_000, 60_000, 0, 0) == 814_506)
        // The substation (zero path impedance) sees its own voltage only, whatever its load.
        #expect(Self.index(1_000_000, 0, 0, 900_000, 400_000) == 1_000_000)
    }

    @Test func heavierLoadAndLongerPathLowerTheIndex() throws {
        let base = try #require(Self.index(960_000, 30_000, 60_000, 500_000, 200_000))
        #expect(try #require(Self.index(960_000, 30_000, 60_000, 800_000, 200_000)) < base)
        #expect(try #require(Self.index(960_000, 30_000, 60_000, 500_000, 400_000)) < base)
        #expect(try #require(Self.index(960_000, 60_000, 120_000, 500_000, 200_000)) < base)
    }

    /// Seeded random operating points across a realistic range agree with the float reference.
    @Test func agreesWithTheFloatReferenceOnRandomPoints() throws {
        var generator = SeededRandom(seed: 0x5EED_0001)
        for _ in 0..<2_000 {
            let v = Int64.random(in: 850_000...1_100_000, using: &generator)
            let r = Int64.random(in: 0...700_000, using: &generator)
            let x = Int64.random(in: 0...600_000, using: &generator)
            let p = Int64.random(in: -500_000...1_000_000, using: &generator)
            let q = Int64.random(in: -500_000...800_000, using: &generator)
            let value = try #require(Self.index(v, r, x, p, q))
            let reference = Self.reference(v, r, x, p, q)
            #expect(abs(Double(value) - reference) <= Self.toleranceMicro, "v \(v) r \(r) x \(x) p \(p) q \(q)")
        }
    }

    /// The corners of the documented domain run without overflow; anything outside it is refused, not trapped.
    @Test func domainCornersDoNotOverflowAndOutsideIsNil() throws {
        let powerMax = VoltageStabilityConfiguration.measurementPowerPUMax * 1_000_000
        let impedanceMax = VoltageStabilityConfiguration.pathImpedanceMicroPUMax
        for v in [Int64(500_000), 1_500_000] {
            for p in [-powerMax, powerMax] {
                for q in [-powerMax, powerMax] {
                    let value = try #require(Self.index(v, impedanceMax, impedanceMax, p, q))
                    let reference = Self.reference(v, impedanceMax, impedanceMax, p, q)
                    #expect(abs(Double(value) - reference) <= max(Self.toleranceMicro, abs(reference) * 1e-12))
                }
            }
        }
        #expect(Self.index(499_999, 0, 0, 0, 0) == nil)
        #expect(Self.index(1_000_000, -1, 0, 0, 0) == nil)
        #expect(Self.index(1_000_000, 0, impedanceMax + 1, 0, 0) == nil)
        #expect(Self.index(1_000_000, 0, 0, powerMax + 1, 0) == nil)
        #expect(Self.index(1_000_000, 0, 0, 0, .min) == nil)
    }

    @Test func powerConversionAndSensitivity() {
        // 300 kW on a 1000 kVA base is 0.3 p.u.; 1 W on 10 MVA is 0.1 micro-p.u., rounded to 0.
        #expect(VoltageStabilityIndex.microPU(watts: 300_000, baseKVA: 1_000) == 300_000)
        #expect(VoltageStabilityIndex.microPU(watts: -300_000, baseKVA: 1_000) == -300_000)
        #expect(VoltageStabilityIndex.microPU(watts: 1, baseKVA: 10_000) == 0)
        #expect(VoltageStabilityIndex.microPU(watts: 5, baseKVA: 10_000) == 1)
        // dV = X / V * Q: 0.06 / 0.94 * 0.2 p.u. = 0.0127660 p.u. for 200 kVAr at bus 4.
        let rise = VoltageStabilityIndex.voltageChangeMicroPU(
            reactiveVAr: 200_000, sharedReactanceMicroPU: 60_000, busVoltageMicroPU: 940_000, baseKVA: 1_000)
        #expect(rise == 12_766)
        #expect(abs(Double(rise) - 0.06 / 0.94 * 0.2 * 1e6) < 1)
    }

    /// A dispatch ranks by the margin-ratio index (issue 12), not by this one: for the stressed line the margin
    /// ratios are (S margin the smallest each time) bus 4: 0.865560, bus 3: 0.931004, bus 2: 0.975372, e.g. bus 4:
    /// |E|^2 = 0.939077, S |Z| = 0.538516 * 0.067082 = 0.036125, 1 - 2 (0.036125 + 0.027) / 0.939077 = 0.865560.
    @Test func dispatchRanksTheWeakestBusesFirst() throws {
        var harness = VoltageFixture.harness(try VoltageFixture.configuration())
        VoltageFixture.reportStressedLine(&harness, sequence: 1)
        let outcome = VoltageFixture.dispatch(&harness, interval: 1)
        let decoded = try VoltageStabilityContract.decodeDispatchOutput(try #require(outcome.output))
        #expect(decoded.weakestBuses.map(\.busNumber) == [4, 3, 2])
        #expect(decoded.weakestBuses.map(\.indexMicro) == [865_560, 931_004, 975_372])
        #expect(decoded.weakestBuses.map(\.voltageMicroPU) == [940_000, 965_000, 985_000])
        let micro = 1e-6
        for entry in decoded.weakestBuses {
            let (v, r, x, p, q): (Double, Double, Double, Double, Double) =
                switch entry.busNumber {
                case 2: (985_000, 10_000, 20_000, 300_000, 100_000)
                case 3: (965_000, 20_000, 40_000, 400_000, 150_000)
                default: (940_000, 30_000, 60_000, 500_000, 200_000)
                }
            let expected = VoltageMarginRatioTests.reference(v * micro, r * micro, x * micro, p * micro, q * micro)
            #expect(abs(Double(entry.indexMicro) - expected * 1e6) <= 3)
        }
    }
}

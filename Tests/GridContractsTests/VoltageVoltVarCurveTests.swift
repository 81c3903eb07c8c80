import GridContracts
import Testing

/// IEEE 1547-2018 Category B Volt-VAR: (0.92, +0.44) (0.98, 0) (1.02, 0) (1.08, -0.44) p.u. of rated VA.
@Suite struct VoltageVoltVarCurveTests {
    let curve = VoltVarCurve.ieee1547CategoryB

    @Test(arguments: [
        (Int64(920_000), Int64(440_000)), (980_000, 0), (1_000_000, 0), (1_020_000, 0), (1_080_000, -440_000),
    ])
    func cornerPoints(voltageMicroPU: Int64, reactiveMicroPU: Int64) {
        #expect(curve.reactiveMicroPU(voltageMicroPU: voltageMicroPU) == reactiveMicroPU)
    }

    /// Linear between the corners: 0.95 is halfway down the first slope (0.22); 0.93 is 5/6 of the way up it,
    /// 0.44 * 5 / 6 = 0.366667 (rounded); 1.05 and 1.07 mirror them on the other side.
    @Test(arguments: [
        (Int64(950_000), Int64(220_000)), (930_000, 366_667), (979_999, 7), (1_050_000, -220_000),
        (1_070_000, -366_667), (1_020_001, -7),
    ])
    func betweenTheCorners(voltageMicroPU: Int64, reactiveMicroPU: Int64) {
        #expect(curve.reactiveMicroPU(voltageMicroPU: voltageMicroPU) == reactiveMicroPU)
    }

    @Test func clampedOutsideTheCorners() {
        for voltage in [Int64.min, 0, 500_000, 919_999] {
            #expect(curve.reactiveMicroPU(voltageMicroPU: voltage) == 440_000)
        }
        for voltage in [Int64.max, 1_500_000, 1_080_001] {
            #expect(curve.reactiveMicroPU(voltageMicroPU: voltage) == -440_000)
        }
    }

    /// In VAr for a 250 kVA inverter: 0.44 * 250 kVA = 110 kVAr at the ends, 55 kVAr at 0.95 p.u., and
    /// 0.366667 * 250 kVA = 91_666.7 -> 91_667 VAr at 0.93 p.u. (from the exact fraction, not the rounded p.u.).
    @Test func reactivePowerInVAr() {
        #expect(curve.reactivePowerVAr(voltageMicroPU: 900_000, ratedKVA: 250) == 110_000)
        #expect(curve.reactivePowerVAr(voltageMicroPU: 950_000, ratedKVA: 250) == 55_000)
        #expect(curve.reactivePowerVAr(voltageMicroPU: 930_000, ratedKVA: 250) == 91_667)
        #expect(curve.reactivePowerVAr(voltageMicroPU: 1_000_000, ratedKVA: 250) == 0)
        #expect(curve.reactivePowerVAr(voltageMicroPU: 1_070_000, ratedKVA: 250) == -91_667)
        #expect(curve.reactivePowerVAr(voltageMicroPU: 1_100_000, ratedKVA: 250) == -110_000)
    }

    /// Never rising with the voltage, and within +-0.44 p.u. everywhere.
    @Test func monotoneAndBounded() {
        var previous = Int64.max
        for voltage in stride(from: Int64(880_000), through: 1_120_000, by: 250) {
            let value = curve.reactiveMicroPU(voltageMicroPU: voltage)
            #expect(value <= previous)
            #expect((-440_000...440_000).contains(value))
            previous = value
        }
    }

    @Test func invalidCurvesAreRefused() {
        typealias Point = VoltVarCurve.Point
        #expect(VoltVarCurve(points: [Point(voltageMicroPU: 1_000_000, reactiveMicroPU: 0)]) == nil)
        #expect(
            VoltVarCurve(points: [
                Point(voltageMicroPU: 1_000_000, reactiveMicroPU: 0),
                Point(voltageMicroPU: 1_000_000, reactiveMicroPU: 1),
            ]) == nil)
        #expect(
            VoltVarCurve(points: [
                Point(voltageMicroPU: 900_000, reactiveMicroPU: 2_000_000),
                Point(voltageMicroPU: 1_000_000, reactiveMicroPU: 0),
            ]) == nil)
        let custom = VoltVarCurve(points: [
            Point(voltageMicroPU: 900_000, reactiveMicroPU: 300_000),
            Point(voltageMicroPU: 1_100_000, reactiveMicroPU: -300_000),
        ])
        #expect(custom?.reactiveMicroPU(voltageMicroPU: 1_000_000) == 0)
        #expect(custom?.reactiveMicroPU(voltageMicroPU: 950_000) == 150_000)
    }
}

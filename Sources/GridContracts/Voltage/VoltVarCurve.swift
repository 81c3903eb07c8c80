/// A piecewise-linear Volt-VAR characteristic in integer fixed point: reactive power as a function of the
/// device's terminal voltage, linear between the points and flat (clamped) outside them.
///
/// Devices follow `ieee1547CategoryB` between dispatches of `VoltageStabilityContract`; the workload applies it
/// off-chain, and keeping the one definition here means the contract's tests and the workload agree on it.
/// Voltages are in micro-p.u.; reactive power in micro-p.u. of the device's rated apparent power (VA), positive for
/// injection (capacitive, raising the voltage), negative for absorption.
public struct VoltVarCurve: Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var voltageMicroPU: Int64
        /// Reactive power in micro-p.u. of rated VA (440_000 = 0.44 p.u.).
        public var reactiveMicroPU: Int64

        public init(voltageMicroPU: Int64, reactiveMicroPU: Int64) {
            self.voltageMicroPU = voltageMicroPU
            self.reactiveMicroPU = reactiveMicroPU
        }
    }

    /// At least two points, strictly ascending in voltage.
    public let points: [Point]

    /// IEEE Std 1547-2018, clause 5.3.3 (voltage-reactive power mode), default settings for Category B with
    /// V_ref = 1 p.u.:
    /// (0.92, +0.44) (0.98, 0) (1.02, 0) (1.08, -0.44) in p.u. of rated VA.
    public static let ieee1547CategoryB = VoltVarCurve(
        checkedPoints: [
            Point(voltageMicroPU: 920_000, reactiveMicroPU: 440_000),
            Point(voltageMicroPU: 980_000, reactiveMicroPU: 0),
            Point(voltageMicroPU: 1_020_000, reactiveMicroPU: 0),
            Point(voltageMicroPU: 1_080_000, reactiveMicroPU: -440_000),
        ])

    /// Nil unless there are at least two points with strictly ascending voltages in 0-2 p.u. and reactive powers
    /// within +-1 p.u. (the bounds that keep the interpolation exact in Int128).
    public init?(points: [Point]) {
        guard points.count >= 2 else { return nil }
        for point in points {
            guard (0...2_000_000).contains(point.voltageMicroPU),
                (-1_000_000...1_000_000).contains(point.reactiveMicroPU)
            else { return nil }
        }
        for (lower, upper) in zip(points, points.dropFirst()) where lower.voltageMicroPU >= upper.voltageMicroPU {
            return nil
        }
        self.points = points
    }

    private init(checkedPoints: [Point]) { points = checkedPoints }

    /// Reactive power in micro-p.u. of rated VA at `voltageMicroPU`, rounded to nearest.
    public func reactiveMicroPU(voltageMicroPU: Int64) -> Int64 {
        let (numerator, denominator) = interpolation(at: voltageMicroPU)
        return Int64(VoltageFixedPoint.roundedQuotient(numerator, denominator))
    }

    /// Reactive power in VAr for a device rated `ratedKVA`, rounded to nearest (computed from the exact
    /// interpolation, not from the rounded micro-p.u. value).
    public func reactivePowerVAr(voltageMicroPU: Int64, ratedKVA: Int64) -> Int64 {
        let (numerator, denominator) = interpolation(at: voltageMicroPU)
        let ratedVA = Int128(ratedKVA) * 1_000
        return Int64(clamping: VoltageFixedPoint.roundedQuotient(numerator * ratedVA, denominator * 1_000_000))
    }

    /// The curve's value as an exact fraction (micro-p.u. of rated VA) with a positive denominator.
    private func interpolation(at voltageMicroPU: Int64) -> (numerator: Int128, denominator: Int128) {
        guard let first = points.first, let last = points.last else { return (0, 1) }
        if voltageMicroPU <= first.voltageMicroPU { return (Int128(first.reactiveMicroPU), 1) }
        if voltageMicroPU >= last.voltageMicroPU { return (Int128(last.reactiveMicroPU), 1) }
        for (lower, upper) in zip(points, points.dropFirst()) where voltageMicroPU <= upper.voltageMicroPU {
            let span = Int128(upper.voltageMicroPU - lower.voltageMicroPU)
            let numerator =
                Int128(lower.reactiveMicroPU) * Int128(upper.voltageMicroPU - voltageMicroPU)
                + Int128(upper.reactiveMicroPU) * Int128(voltageMicroPU - lower.voltageMicroPU)
            return (numerator, span)
        }
        return (Int128(last.reactiveMicroPU), 1)
    }
}

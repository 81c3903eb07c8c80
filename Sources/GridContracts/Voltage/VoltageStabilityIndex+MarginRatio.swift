extension VoltageStabilityIndex {
    /// The margin-ratio index (Gong and Schulz 2006) in micro-units (1 = 1_000_000): the smallest of
    /// 1 - P/P_max, 1 - Q/Q_max and 1 - S/S_max of the bus's Thevenin equivalent, clamped to 0...1. nil outside the
    /// domain of `chakravortyDasTheveninIndexMicro` (the same overflow proof covers |E|^2 here).
    ///
    /// With E^2 and a = P R + Q X as in the Chakravorty-Das index (GridModel's `VoltageStability.marginRatios` has
    /// the derivation), |Z| = sqrt(R^2 + X^2) and S = sqrt(P^2 + Q^2):
    ///
    ///     1 - S/S_max = 1 - 2 (S |Z| + a) / E^2
    ///     1 - P/P_max = 1 - 2 P T_P / D_P,  T_P = R (E^2 - 2 Q X) + |Z| E sqrt(E^2 - 4 Q X),
    ///                                      D_P = E^4 - 4 E^2 Q X - 4 Q^2 R^2
    ///     1 - Q/Q_max: the same with (P, R) and (Q, X) exchanged.
    ///
    /// A ratio whose D <= 0 or whose square root has a negative argument is 0 (no transfer in that direction).
    /// Fixed point (S = 10^6): e2 is |E|^2 at S^2; S |Z| = isqrt((p^2 + q^2)(r^2 + x^2)) at S^2 (at most 4e28
    /// under the root); |Z|, E and sqrt(E^2 - 4 Q X) are each an integer square root at scale S (below 1.5e7,
    /// 5.8e8 and 5.8e8), so T is at most 8e24 at S^3; T and D are rounded to S^2 before 2 P T / D is formed
    /// (2e7 * 8e18 at most), which keeps every product below 1e33, and the ratio is clamped before it leaves
    /// Int128. Integer square roots round down; the error is a few micro-units.
    public static func marginRatioIndexMicro(
        busVoltageMicroPU: Int64, pathResistanceMicroPU: Int64, pathReactanceMicroPU: Int64, loadPMicroPU: Int64,
        loadQMicroPU: Int64
    ) -> Int64? {
        guard
            inProvenDomain(
                busVoltageMicroPU: busVoltageMicroPU, pathResistanceMicroPU: pathResistanceMicroPU,
                pathReactanceMicroPU: pathReactanceMicroPU, loadPMicroPU: loadPMicroPU, loadQMicroPU: loadQMicroPU)
        else { return nil }
        let one = Int128(scale)
        let v = Int128(busVoltageMicroPU)
        let r = Int128(pathResistanceMicroPU)
        let x = Int128(pathReactanceMicroPU)
        let p = Int128(loadPMicroPU)
        let q = Int128(loadQMicroPU)
        guard r > 0 || x > 0 else { return scale }
        let inPhase = p * r + q * x  // a, scale S^2
        let cross = p * x - q * r  // c, scale S^2
        let vSquared = v * v
        let shifted = vSquared + inPhase
        let e2 = VoltageFixedPoint.roundedQuotient(shifted * shifted + cross * cross, vSquared)  // scale S^2
        guard e2 > 0 else { return 0 }
        let impedance = VoltageFixedPoint.squareRoot(r * r + x * x)  // scale S
        let source = VoltageFixedPoint.squareRoot(e2)  // scale S

        // 1 - load / limit = 1 - 2 load T / D, in micro-units.
        func ratio(load: Int128, ownR: Int128, otherX: Int128, otherLoad: Int128) -> Int128 {
            let coupling = otherLoad * otherX  // scale S^2
            let d = e2 * e2 - 4 * e2 * coupling - 4 * otherLoad * otherLoad * ownR * ownR  // scale S^4
            let under = e2 - 4 * coupling  // scale S^2
            guard d > 0, under >= 0 else { return 0 }
            let t = ownR * (e2 - 2 * coupling) + impedance * source * VoltageFixedPoint.squareRoot(under)  // S^3
            let tReduced = VoltageFixedPoint.roundedQuotient(t, one)  // S^2
            let dReduced = max(1, VoltageFixedPoint.roundedQuotient(d, one * one))  // S^2
            return one - VoltageFixedPoint.roundedQuotient(2 * load * tReduced, dReduced)
        }
        let apparentTimesImpedance = VoltageFixedPoint.squareRoot((p * p + q * q) * (r * r + x * x))  // S^2
        let apparent = one - VoltageFixedPoint.roundedQuotient(2 * (apparentTimesImpedance + inPhase) * one, e2)
        let real = ratio(load: p, ownR: r, otherX: x, otherLoad: q)
        let reactive = ratio(load: q, ownR: x, otherX: r, otherLoad: p)
        return Int64(min(one, max(0, min(real, reactive, apparent))))
    }
}

extension VoltageFixedPoint {
    /// floor(sqrt(value)) for value >= 0 (0 for negative input), by Newton's iteration from above.
    static func squareRoot(_ value: Int128) -> Int128 {
        guard value > 1 else { return max(0, value) }
        // Start above the root: 2^ceil(bits/2) >= sqrt(value).
        let bits = 128 - value.leadingZeroBitCount
        var estimate = Int128(1) << ((bits + 1) / 2)
        while true {
            let next = (estimate + value / estimate) / 2
            if next >= estimate { return estimate }
            estimate = next
        }
    }
}

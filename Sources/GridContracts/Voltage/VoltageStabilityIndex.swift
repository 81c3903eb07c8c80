/// Voltage stability indices of a bus from its Thevenin equivalent, in integer fixed point.
///
/// The contract ranks buses by the margin-ratio index (`marginRatioIndexMicro`) of Y. Gong and N. Schulz
/// ("Synchrophasor-based real-time voltage stability index," IEEE PSCE 2006), as Lee et al. (2021) and Honari et
/// al. (2022, "A Scalable Blockchain-based Smart Contract Model for Decentralized Voltage Stability Using Sharding
/// Technique", arXiv:2206.13776, their `ComputeVSI` chaincode) use it: the smallest of the P, Q and S margin
/// ratios, 1 for an unloaded bus and 0 at the nose of its P-V curve. It is the integer twin of GridModel's
/// `VoltageStability.marginRatios(busVoltagePU:theveninResistancePU:theveninReactancePU:loadPPU:loadQPU:)`,
/// where the derivation is written out.
///
/// The index used before (kept as `chakravortyDasTheveninIndexMicro`) is that of M. Chakravorty and D. Das,
/// "Voltage stability analysis of radial distribution networks," International Journal of Electrical Power &
/// Energy Systems 23(2), pp. 129-135, 2001, applied to the Thevenin equivalent seen from one bus. Algebraically it
/// equals V^4 (1 - (|Z_th|/|Z_load|)^2)^2, almost exactly V^4 away from collapse, so it ranks buses as their
/// voltages do; it is the integer twin of GridModel's `VoltageStability.chakravortyDasTheveninIndex`.
///
/// For a bus with voltage magnitude V, net load P + jQ and path impedance R + jX from the substation (p.u.), with
/// a = P R + Q X and c = P X - Q R, the Thevenin source is |E|^2 = ((V^2 + a)^2 + c^2) / V^2 and
///
///     VSI_CD = |E|^4 - 4 c^2 - 4 a |E|^2,
///
/// the discriminant of the receiving-end bi-quadratic: about V^4 when lightly loaded, 0 at voltage collapse.
///
/// Fixed point: inputs in micro-p.u. (scale S = 10^6). With v, r, x, p, q the scaled integers, everything below is
/// an exact Int128 product except two divisions, each rounded to nearest:
///
///     e2  = round(((v^2 + a)^2 + c^2) / v^2)          |E|^2 at scale S^2 (resolution 10^-12 p.u.^2)
///     VSI = round((e2^2 - 4 c^2 - 4 a e2) / S^3)      at scale S (micro-units of p.u.^4)
///
/// Overflow bound (the domain both functions check): V in 0.5-1.5 p.u., R, X in 0-10 p.u., |P|, |Q| <= 10
/// p.u. give |a|, |c| <= 200 p.u.^2, so (V^2 + a)^2 + c^2 <= 8.1e4 p.u.^4 (8.1e28 scaled), |E|^2 <= 3.3e5 p.u.^2
/// (3.3e17 scaled) and e2^2 <= 1.1e35, below Int128.max = 1.7e38; the result stays below 1.1e17, within Int64.
/// The rounding error is below 2 micro-units, far under the effect of quantising the inputs to 1 micro-p.u.
public enum VoltageStabilityIndex {
    /// Micro: 1 p.u. (or 1 p.u.^4 for the index) = 1_000_000.
    public static let scale: Int64 = 1_000_000

    /// Whether a measurement lies where both indices' fixed-point arithmetic is proven not to overflow.
    static func inProvenDomain(
        busVoltageMicroPU: Int64, pathResistanceMicroPU: Int64, pathReactanceMicroPU: Int64, loadPMicroPU: Int64,
        loadQMicroPU: Int64
    ) -> Bool {
        let powerMax = VoltageStabilityConfiguration.measurementPowerPUMax * scale
        let impedanceLimits: ClosedRange<Int64> = 0...VoltageStabilityConfiguration.pathImpedanceMicroPUMax
        return VoltageStabilityConfiguration.measurementVoltageMicroPU.contains(busVoltageMicroPU)
            && impedanceLimits.contains(pathResistanceMicroPU) && impedanceLimits.contains(pathReactanceMicroPU)
            && (-powerMax...powerMax).contains(loadPMicroPU) && (-powerMax...powerMax).contains(loadQMicroPU)
    }

    /// The index in micro-units of p.u.^4, or nil outside the domain where the arithmetic is proven not to
    /// overflow (V in 0.5-1.5 p.u., R and X in 0-10 p.u., |P| and |Q| at most 10 p.u.).
    public static func chakravortyDasTheveninIndexMicro(
        busVoltageMicroPU: Int64, pathResistanceMicroPU: Int64, pathReactanceMicroPU: Int64, loadPMicroPU: Int64,
        loadQMicroPU: Int64
    ) -> Int64? {
        guard
            inProvenDomain(
                busVoltageMicroPU: busVoltageMicroPU, pathResistanceMicroPU: pathResistanceMicroPU,
                pathReactanceMicroPU: pathReactanceMicroPU, loadPMicroPU: loadPMicroPU, loadQMicroPU: loadQMicroPU)
        else { return nil }
        let v = Int128(busVoltageMicroPU)
        let r = Int128(pathResistanceMicroPU)
        let x = Int128(pathReactanceMicroPU)
        let p = Int128(loadPMicroPU)
        let q = Int128(loadQMicroPU)
        let inPhase = p * r + q * x  // a, scale S^2
        let cross = p * x - q * r  // c, scale S^2
        let vSquared = v * v
        let shifted = vSquared + inPhase  // V * Re(E), scale S^2
        let sourceSquared = VoltageFixedPoint.roundedQuotient(shifted * shifted + cross * cross, vSquared)  // scale S^2
        let numerator = sourceSquared * sourceSquared - 4 * cross * cross - 4 * inPhase * sourceSquared  // S^4
        let scaleCubed = Int128(scale) * Int128(scale) * Int128(scale)
        return Int64(VoltageFixedPoint.roundedQuotient(numerator, scaleCubed))
    }

    /// A measured power in W (or VAr) as micro-p.u. of `baseKVA`, rounded to nearest: W * 1000 / kVA.
    public static func microPU(watts: Int64, baseKVA: Int64) -> Int64 {
        Int64(VoltageFixedPoint.roundedQuotient(Int128(watts) * 1_000, Int128(baseKVA)))
    }

    /// Voltage change (micro-p.u.) at a bus from `reactiveVAr` injected at a bus sharing `sharedReactanceMicroPU`
    /// of its path: dV = X_shared / V * Q in p.u. (linearised DistFlow, Baran and Wu 1989, the sensitivity GridModel
    /// calls `voltageSensitivityPUPerPU`), i.e. Q[VAr] * X[micro-p.u.] * 1000 / (V[micro-p.u.] * base[kVA]),
    /// rounded to nearest.
    public static func voltageChangeMicroPU(
        reactiveVAr: Int64, sharedReactanceMicroPU: Int64, busVoltageMicroPU: Int64, baseKVA: Int64
    ) -> Int64 {
        let numerator = Int128(reactiveVAr) * Int128(sharedReactanceMicroPU) * 1_000
        let denominator = Int128(busVoltageMicroPU) * Int128(baseKVA)
        guard denominator > 0 else { return 0 }
        return Int64(clamping: VoltageFixedPoint.roundedQuotient(numerator, denominator))
    }
}

/// Integer helpers shared by the voltage contract's fixed-point code.
enum VoltageFixedPoint {
    /// `numerator / denominator` rounded to nearest, halves away from zero; `denominator` must be positive.
    static func roundedQuotient(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        let half = denominator / 2
        return numerator >= 0 ? (numerator + half) / denominator : -((-numerator + half) / denominator)
    }

    /// `numerator / denominator` rounded up; both non-negative, `denominator` positive.
    static func ceilingQuotient(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        (numerator + denominator - 1) / denominator
    }
}

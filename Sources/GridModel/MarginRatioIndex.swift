/// The P, Q and S margins of one bus's Thevenin equivalent and the margin-ratio stability index they give.
public struct MarginRatios: Sendable, Hashable, Codable {
    /// 1 - P / P_max with Q held: the share of the real-power transfer limit still unused.
    public var real: Double
    /// 1 - Q / Q_max with P held.
    public var reactive: Double
    /// 1 - S / S_max at the present power factor.
    public var apparent: Double
    /// |E|, the Thevenin source voltage behind the bus (p.u.).
    public var sourceVoltagePU: Double

    /// The index: the smallest of the three ratios, clamped to 0...1 (1 unloaded, 0 at the nose of the P-V curve).
    public var index: Double { min(1, max(0, min(real, reactive, apparent))) }
}

/// The margin-ratio voltage stability index of Y. Gong and N. Schulz, "Synchrophasor-based real-time voltage
/// stability index," IEEE PES Power Systems Conference and Exposition 2006, pp. 1029-1036, as Lee et al. (IEEE
/// Systems Journal 2021) and Honari et al. (arXiv:2206.13776, their `ComputeVSI` chaincode) use it: reduce the
/// network seen from a load bus to a source E behind Z_th = R + jX, compute how far P, Q and S could grow before
/// the load flow of that two-bus system has no solution, and take the smallest margin ratio.
///
/// Derivation (load P + jQ at the bus, voltage V, all p.u.). The bus voltage is the angle reference, so the load
/// current is (P - jQ)/V and the source is E = V + Z_th (P - jQ)/V. A receiving voltage exists iff
///
///     F(P, Q) = E^4 - 4 E^2 (P R + Q X) - 4 (P X - Q R)^2 >= 0          (the Chakravorty-Das discriminant)
///
/// - P_max (Q held) is the positive root of F = 0 in P: 4 X^2 P^2 + 4 R (E^2 - 2 Q X) P - D_P = 0 with
///   D_P = E^4 - 4 E^2 Q X - 4 Q^2 R^2. Its discriminant simplifies to 16 |Z|^2 E^2 (E^2 - 4 Q X), so
///   P_max = D_P / (2 [R (E^2 - 2 Q X) + |Z| E sqrt(E^2 - 4 Q X)]) (the rationalised root, finite for X = 0).
/// - Q_max (P held), the same with (P, R) and (Q, X) exchanged:
///   Q_max = D_Q / (2 [X (E^2 - 2 P R) + |Z| E sqrt(E^2 - 4 P R)]), D_Q = E^4 - 4 E^2 P R - 4 P^2 X^2.
/// - S_max at constant power factor (P = S cos t, Q = S sin t): F = 0 gives S_max = E^2 / (2 (|Z| + R cos t +
///   X sin t)), so 1 - S / S_max = 1 - 2 (S |Z| + P R + Q X) / E^2, which needs no angle.
///
/// With R = 0 these are exactly the lossless formulas of Gong and Schulz that the DVSCode chaincode evaluates:
/// P_max = sqrt(E^4 / (4 X^2) - Q E^2 / X), Q_max = E^2 / (4 X) - P^2 X / E^2, S_max = E^2 (1 - sin t) /
/// (2 X cos^2 t). R is kept here because distribution feeders have R/X near or above 1; on the IEEE 33-bus
/// feeder the lossless form ranks 30, 32, 14, 18, 25 weakest, this one 30, 32, 25, 18, 14.
///
/// Since E is built from the measured V, the present load always satisfies F >= 0, so every ratio is at least 0
/// (up to rounding); S |Z| >= |P R + Q X| makes the S ratio at most 1, so the index lies in 0...1. A ratio whose
/// limit does not exist (D <= 0: no transfer at all in that direction) is 0.
extension VoltageStability {
    public static func marginRatios(
        busVoltagePU v: Double, theveninResistancePU r: Double, theveninReactancePU x: Double, loadPPU p: Double,
        loadQPU q: Double
    ) -> MarginRatios {
        let inPhase = v + (p * r + q * x) / v
        let quadrature = (p * x - q * r) / v
        let e2 = inPhase * inPhase + quadrature * quadrature
        let source = e2.squareRoot()
        let impedance = (r * r + x * x).squareRoot()
        guard impedance > 0, e2 > 0 else {
            return MarginRatios(real: 1, reactive: 1, apparent: 1, sourceVoltagePU: source)
        }
        // 1 - load / limit where limit = d / (2 t), i.e. 1 - 2 load t / d.
        func ratio(load: Double, ownR: Double, otherX: Double, otherLoad: Double) -> Double {
            let d = e2 * e2 - 4 * e2 * otherLoad * otherX - 4 * otherLoad * otherLoad * ownR * ownR
            let under = e2 - 4 * otherLoad * otherX
            guard d > 0, under >= 0 else { return 0 }
            let t = ownR * (e2 - 2 * otherLoad * otherX) + impedance * source * under.squareRoot()
            return 1 - 2 * load * t / d
        }
        let apparentLoad = (p * p + q * q).squareRoot()
        return MarginRatios(
            real: ratio(load: p, ownR: r, otherX: x, otherLoad: q),
            reactive: ratio(load: q, ownR: x, otherX: r, otherLoad: p),
            apparent: 1 - 2 * (apparentLoad * impedance + p * r + q * x) / e2, sourceVoltagePU: source)
    }

    /// `marginRatios(...).index`.
    public static func marginRatioIndex(
        busVoltagePU v: Double, theveninResistancePU r: Double, theveninReactancePU x: Double, loadPPU p: Double,
        loadQPU q: Double
    ) -> Double {
        marginRatios(busVoltagePU: v, theveninResistancePU: r, theveninReactancePU: x, loadPPU: p, loadQPU: q).index
    }
}

extension Feeder {
    /// `VoltageStability.marginRatioIndex` per bus (in `buses` order) from bus measurements (voltage magnitudes and
    /// net injections); the Thevenin impedance of a radial feeder with an ideal substation is the path impedance.
    /// The slack bus gets 1.
    public func marginRatioIndices(
        voltagesPU: [Double], injections: [BusInjection]
    ) throws(PowerFlowError) -> [Double] {
        for count in [voltagesPU.count, injections.count] where count != buses.count {
            throw .injectionCountMismatch(expected: buses.count, actual: count)
        }
        let paths = pathImpedances()
        return buses.indices.map { bus in
            guard bus != topology.slack else { return 1 }
            return VoltageStability.marginRatioIndex(
                busVoltagePU: voltagesPU[bus], theveninResistancePU: paths[bus].resistancePU,
                theveninReactancePU: paths[bus].reactancePU, loadPPU: injections[bus].netLoadPKW / baseKVA,
                loadQPU: injections[bus].netLoadQKVar / baseKVA)
        }
    }

    /// Non-slack buses from least to most stable by the margin-ratio index, for a solved power flow of `injections`.
    public func marginRatioRanking(
        result: PowerFlowResult, injections: [BusInjection]
    ) throws(PowerFlowError) -> [BusStabilityIndex] {
        VoltageStability.ranking(
            indices: try marginRatioIndices(voltagesPU: result.voltagesPU, injections: injections),
            busNumbers: busNumbers, excluding: [slackBus])
    }
}

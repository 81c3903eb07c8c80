/// Series impedance of the path from the substation to a bus: the Thevenin impedance seen from that bus, with
/// the substation as an ideal source (the transmission side is not modelled).
public struct PathImpedance: Sendable, Hashable, Codable {
    public var bus: Int
    public var resistanceOhm: Double
    public var reactanceOhm: Double
    public var resistancePU: Double
    public var reactancePU: Double
}

extension Feeder {
    /// Sum of the branch impedances from the slack bus to `bus`; zero for the slack bus, nil for unknown buses.
    public func pathImpedance(toBus bus: Int) -> PathImpedance? {
        guard let index = index(ofBus: bus) else { return nil }
        var resistanceOhm = 0.0
        var reactanceOhm = 0.0
        for node in topology.pathIndices(to: index).dropFirst() {
            let branch = branches[feedingBranch[node]]
            resistanceOhm += branch.resistanceOhm
            reactanceOhm += branch.reactanceOhm
        }
        return PathImpedance(
            bus: bus, resistanceOhm: resistanceOhm, reactanceOhm: reactanceOhm,
            resistancePU: resistanceOhm / baseImpedanceOhm, reactancePU: reactanceOhm / baseImpedanceOhm)
    }

    /// Path impedance of every bus, in `buses` order.
    public func pathImpedances() -> [PathImpedance] {
        buses.map { pathImpedance(toBus: $0.number)! }
    }

    /// Deepest bus common to the paths of `first` and `second` to the substation; nil if either is unknown.
    public func commonAncestor(of first: Int, and second: Int) -> Int? {
        guard let a = index(ofBus: first), let b = index(ofBus: second) else { return nil }
        return buses[topology.commonAncestor(a, b)].number
    }

    /// Reactance of the part of the feeder shared by the two buses' paths to the substation, i.e. the path
    /// reactance of their common ancestor. Symmetric; for `first == second` it is the bus's own path reactance.
    public func sharedReactanceOhm(_ first: Int, _ second: Int) -> Double? {
        guard let ancestor = commonAncestor(of: first, and: second) else { return nil }
        return pathImpedance(toBus: ancestor)?.reactanceOhm
    }

    /// Resistance counterpart of `sharedReactanceOhm`, the weight of real-power injections in the same model.
    public func sharedResistanceOhm(_ first: Int, _ second: Int) -> Double? {
        guard let ancestor = commonAncestor(of: first, and: second) else { return nil }
        return pathImpedance(toBus: ancestor)?.resistanceOhm
    }

    /// Estimated dV_bus/dQ_injectionBus in p.u. voltage per p.u. reactive power (on `baseMVA`).
    ///
    /// From the linearised DistFlow equations (Baran & Wu 1989): V_i^2 ≈ V_0^2 - 2 Σ_j (R_ij P_j + X_ij Q_j),
    /// where P_j, Q_j are net loads and R_ij, X_ij the shared path resistance and reactance. Differentiating,
    /// dV_i/dQ_inj,j = X_ij / V_i, which at V ≈ 1 p.u. is X_shared in p.u. The approximation drops the losses
    /// and the angle spread, so it under-estimates the response of heavily loaded, low-voltage buses by a few
    /// percent; pass the operating voltage as `voltagePU` to include the 1/V factor.
    public func voltageSensitivityPUPerPU(bus: Int, injectionBus: Int, voltagePU: Double = 1) -> Double? {
        guard let reactanceOhm = sharedReactanceOhm(bus, injectionBus) else { return nil }
        return reactanceOhm / baseImpedanceOhm / voltagePU
    }

    /// The same sensitivity per kVAr injected: X_shared[ohm] / (V_base[kV]^2 * 1000) at V = 1 p.u.,
    /// e.g. about 5.7e-5 p.u./kVAr at bus 18 of the IEEE 33-bus feeder.
    public func voltageSensitivityPUPerKVar(bus: Int, injectionBus: Int, voltagePU: Double = 1) -> Double? {
        voltageSensitivityPUPerPU(bus: bus, injectionBus: injectionBus, voltagePU: voltagePU).map { $0 / baseKVA }
    }

    /// Full sensitivity matrix in p.u./kVAr at V = 1 p.u.: row i, column j is dV_i/dQ_j, both in `buses` order.
    public func voltageSensitivityMatrixPUPerKVar() -> [[Double]] {
        let pathReactanceOhm = pathImpedances().map(\.reactanceOhm)
        let scale = 1 / (baseImpedanceOhm * baseKVA)
        return buses.indices.map { i in
            buses.indices.map { j in pathReactanceOhm[topology.commonAncestor(i, j)] * scale }
        }
    }
}

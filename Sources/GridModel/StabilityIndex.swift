/// Stability index of one bus, for rankings.
public struct BusStabilityIndex: Sendable, Hashable, Codable {
    public var bus: Int
    public var index: Double
}

/// The voltage stability index of Chakravorty & Das for radial feeders:
/// M. Chakravorty and D. Das, "Voltage stability analysis of radial distribution networks," International
/// Journal of Electrical Power & Energy Systems, vol. 23, no. 2, pp. 129-135, 2001.
///
/// For the branch jj (resistance r, reactance x) that feeds bus m2 from bus m1, all in p.u.:
///
///     SI(m2) = |V1|^4 - 4 (P2 x - Q2 r)^2 - 4 (P2 r + Q2 x) |V1|^2
///
/// where |V1| is the sending-end voltage magnitude and P2, Q2 the real and reactive power received at m2, i.e.
/// everything fed through m2 (its own load, the loads downstream and the downstream losses). It is the
/// discriminant of the bi-quadratic |V2|^4 + (2(P2 r + Q2 x) - |V1|^2)|V2|^2 + (P2^2 + Q2^2)(r^2 + x^2) = 0,
/// so SI > 0 while a receiving voltage exists and SI = 0 at the nose of the P-V curve; the bus with the smallest
/// SI is the one closest to voltage collapse. With no load SI = |V1|^4 (about 1 near nominal voltage).
///
/// For an integer re-implementation: every term is a degree-4 polynomial in p.u. quantities. Scaling each input
/// by 10^4 (0.0001 p.u. resolution) scales every term by 10^16, which stays far below Int64.max for voltages up
/// to 1.2 p.u. and |P2 r|, |Q2 x|, |P2 x|, |Q2 r| below 1 p.u.; divide by 10^12 at the end for a 10^4 scale.
public enum VoltageStability {
    public static func chakravortyDasIndex(
        sendingVoltagePU v1: Double, resistancePU r: Double, reactancePU x: Double, receivedPPU p2: Double,
        receivedQPU q2: Double
    ) -> Double {
        let v1Squared = v1 * v1
        let cross = p2 * x - q2 * r
        let inPhase = p2 * r + q2 * x
        return v1Squared * v1Squared - 4 * cross * cross - 4 * inPhase * v1Squared
    }

    /// The same index applied to the Thevenin equivalent seen from one bus, from that bus's own measurements:
    /// voltage magnitude |V|, net load P + jQ, and the path impedance R + jX from the substation (all p.u.).
    ///
    /// Taking the bus voltage as the angle reference, its load current is (P - jQ)/|V|, so the Thevenin source is
    /// E = |V| + (R + jX)(P - jQ)/|V|, i.e. |E|^2 = (|V| + (P R + Q X)/|V|)^2 + ((P X - Q R)/|V|)^2, and the index
    /// is `chakravortyDasIndex` with |E| as the sending voltage and the bus's own load as the received power.
    /// It measures how far this bus's own load can grow while the other loads keep their currents; no angle and
    /// no branch flow is needed, only one division, which suits an integer implementation. For a feeder with a
    /// single branch it equals the branch index exactly.
    public static func chakravortyDasTheveninIndex(
        busVoltagePU v: Double, pathResistancePU r: Double, pathReactancePU x: Double, loadPPU p: Double,
        loadQPU q: Double
    ) -> Double {
        let inPhase = v + (p * r + q * x) / v
        let quadrature = (p * x - q * r) / v
        let sourceSquared = inPhase * inPhase + quadrature * quadrature
        return chakravortyDasIndex(
            sendingVoltagePU: sourceSquared.squareRoot(), resistancePU: r, reactancePU: x, receivedPPU: p,
            receivedQPU: q)
    }

    /// Buses sorted from least to most stable (ascending index; lower bus number first on a tie).
    public static func ranking(
        indices: [Double], busNumbers: [Int], excluding excluded: Set<Int> = []
    ) -> [BusStabilityIndex] {
        zip(busNumbers, indices)
            .filter { !excluded.contains($0.0) }
            .map { BusStabilityIndex(bus: $0.0, index: $0.1) }
            .sorted { ($0.index, $0.bus) < ($1.index, $1.bus) }
    }
}

extension Feeder {
    /// Chakravorty-Das index per bus (in `buses` order) from a solved power flow, using the exact received power
    /// (downstream losses included). The slack bus has no feeding branch and gets |V_slack|^4.
    public func stabilityIndices(result: PowerFlowResult) -> [Double] {
        let voltage = result.voltagesPU
        return buses.indices.map { bus in
            guard feedingBranch[bus] >= 0 else { return pow4(voltage[bus]) }
            let branch = branches[feedingBranch[bus]]
            let flow = result.branches[feedingBranch[bus]]
            return VoltageStability.chakravortyDasIndex(
                sendingVoltagePU: voltage[topology.parent[bus]], resistancePU: branch.resistanceOhm / baseImpedanceOhm,
                reactancePU: branch.reactanceOhm / baseImpedanceOhm, receivedPPU: flow.receivingPKW / baseKVA,
                receivedQPU: flow.receivingQKVar / baseKVA)
        }
    }

    /// The same index from bus measurements only (voltage magnitudes and net injections, `buses` order), as a
    /// contract that sees no branch flows would compute it: the received power is the sum of the net loads fed
    /// through the bus, i.e. downstream losses are neglected (a few percent of the load, which makes the index
    /// slightly optimistic).
    public func stabilityIndices(
        voltagesPU: [Double], injections: [BusInjection]
    ) throws(PowerFlowError) -> [Double] {
        for count in [voltagesPU.count, injections.count] where count != buses.count {
            throw .injectionCountMismatch(expected: buses.count, actual: count)
        }
        var fedP = injections.map { $0.netLoadPKW / baseKVA }
        var fedQ = injections.map { $0.netLoadQKVar / baseKVA }
        for bus in topology.order.reversed() where bus != topology.slack {
            fedP[topology.parent[bus]] += fedP[bus]
            fedQ[topology.parent[bus]] += fedQ[bus]
        }
        return buses.indices.map { bus in
            guard feedingBranch[bus] >= 0 else { return pow4(voltagesPU[bus]) }
            let branch = branches[feedingBranch[bus]]
            return VoltageStability.chakravortyDasIndex(
                sendingVoltagePU: voltagesPU[topology.parent[bus]],
                resistancePU: branch.resistanceOhm / baseImpedanceOhm,
                reactancePU: branch.reactanceOhm / baseImpedanceOhm, receivedPPU: fedP[bus], receivedQPU: fedQ[bus])
        }
    }

    /// `VoltageStability.chakravortyDasTheveninIndex` per bus (in `buses` order) from bus measurements: voltage magnitudes,
    /// net injections and the path impedances. The slack bus gets |V_slack|^4.
    public func chakravortyDasTheveninIndices(
        voltagesPU: [Double], injections: [BusInjection]
    ) throws(PowerFlowError) -> [Double] {
        for count in [voltagesPU.count, injections.count] where count != buses.count {
            throw .injectionCountMismatch(expected: buses.count, actual: count)
        }
        let paths = pathImpedances()
        return buses.indices.map { bus in
            guard bus != topology.slack else { return pow4(voltagesPU[bus]) }
            return VoltageStability.chakravortyDasTheveninIndex(
                busVoltagePU: voltagesPU[bus], pathResistancePU: paths[bus].resistancePU,
                pathReactancePU: paths[bus].reactancePU, loadPPU: injections[bus].netLoadPKW / baseKVA,
                loadQPU: injections[bus].netLoadQKVar / baseKVA)
        }
    }

    /// Non-slack buses from least to most stable by `stabilityIndices(result:)`.
    public func stabilityRanking(result: PowerFlowResult) -> [BusStabilityIndex] {
        VoltageStability.ranking(
            indices: stabilityIndices(result: result), busNumbers: busNumbers, excluding: [slackBus])
    }
}

private func pow4(_ value: Double) -> Double {
    let squared = value * value
    return squared * squared
}

/// Thevenin impedance seen from one load bus of a meshed network.
public struct TheveninImpedance: Sendable, Hashable, Codable {
    public var bus: Int
    public var resistancePU: Double
    public var reactancePU: Double
}

extension Network {
    /// Thevenin impedance of every PQ bus, with the slack and PV buses as ideal voltage sources and the loads
    /// removed: Z_th(i) = [Y_LL^-1]_ii, where Y_LL is Y_bus restricted to the PQ buses (what Lee et al. and Honari et
    /// al. compute per group as inv(Y_LL - Y_LT Y_TT^-1 Y_TL); here over the whole network). Bus-number order.
    public func theveninImpedances() throws(NetworkError) -> [TheveninImpedance] {
        let (numbers, z) = try loadBusImpedanceMatrix()
        return numbers.enumerated().map { position, number in
            TheveninImpedance(
                bus: number, resistancePU: z[position][position].re, reactancePU: z[position][position].im)
        }
    }

    /// Transfer reactance X_ij = Im [Y_LL^-1]_ij between every pair of PQ buses (p.u., by bus number; X_ii is the
    /// Thevenin reactance): linearised, a reactive injection Q at bus j raises bus i by about X_ij * Q / V_i. The
    /// matrix of a whole network, so it holds across any grouping of its buses.
    public func transferReactances() throws(NetworkError) -> [Int: [Int: Double]] {
        let (numbers, z) = try loadBusImpedanceMatrix()
        var result: [Int: [Int: Double]] = [:]
        for (row, first) in numbers.enumerated() {
            var entries: [Int: Double] = [:]
            for (column, second) in numbers.enumerated() { entries[second] = z[row][column].im }
            result[first] = entries
        }
        return result
    }

    /// Z_LL = Y_LL^-1 over the PQ buses, with their bus numbers in bus order.
    private func loadBusImpedanceMatrix() throws(NetworkError) -> (numbers: [Int], matrix: [[Complex]]) {
        let loadBuses = buses.indices.filter { buses[$0].kind == .pq }
        let y = admittanceMatrix()
        let reduced = loadBuses.map { row in loadBuses.map { y[row][$0] } }
        guard let z = LinearSolver.inverse(reduced) else {
            throw .invalid("\(name): the load-bus admittance matrix is singular (a load island without a source)")
        }
        return (loadBuses.map { buses[$0].number }, z)
    }

    /// The margin-ratio index (`VoltageStability.marginRatios`) of every PQ bus from a solved power flow: the bus's
    /// own demand (scaled like the flow's) as the load, its solved voltage, its Thevenin impedance. Buses without
    /// demand get 1 (nothing to lose). Ascending index, then bus number.
    public func marginRatioRanking(
        result: NetworkPowerFlowResult, demandScale: Double = 1
    ) throws(NetworkError) -> [BusStabilityIndex] {
        let thevenin = try theveninImpedances()
        let entries = thevenin.map { impedance -> BusStabilityIndex in
            let index = indexByNumber[impedance.bus]!
            let bus = buses[index]
            let value = VoltageStability.marginRatioIndex(
                busVoltagePU: result.buses[index].voltagePU, theveninResistancePU: impedance.resistancePU,
                theveninReactancePU: impedance.reactancePU, loadPPU: bus.demandPMW * demandScale / baseMVA,
                loadQPU: bus.demandQMVar * demandScale / baseMVA)
            return BusStabilityIndex(bus: bus.number, index: value)
        }
        return entries.sorted { ($0.index, $0.bus) < ($1.index, $1.bus) }
    }
}

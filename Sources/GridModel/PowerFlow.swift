import Foundation

/// Net complex power a bus injects into the feeder, in generation convention: positive `pKW` is power flowing
/// *into* the grid (PV output), positive `qKVar` is reactive power supplied to the grid (an inverter or capacitor
/// raising the local voltage). A plain load is therefore a negative injection; use `load(pKW:qKVar:)` for it.
public struct BusInjection: Sendable, Hashable, Codable {
    public var pKW: Double
    public var qKVar: Double

    public init(pKW: Double, qKVar: Double) {
        self.pKW = pKW
        self.qKVar = qKVar
    }

    public static let zero = BusInjection(pKW: 0, qKVar: 0)

    /// A consumer drawing `pKW` / `qKVar` (load convention in, generation convention out).
    public static func load(pKW: Double, qKVar: Double) -> BusInjection { BusInjection(pKW: -pKW, qKVar: -qKVar) }

    /// The same injection seen as a load (positive = consumption).
    public var netLoadPKW: Double { -pKW }
    public var netLoadQKVar: Double { -qKVar }

    public static func + (lhs: BusInjection, rhs: BusInjection) -> BusInjection {
        BusInjection(pKW: lhs.pKW + rhs.pKW, qKVar: lhs.qKVar + rhs.qKVar)
    }
}

/// Solver settings for the backward/forward sweep.
public struct PowerFlowOptions: Sendable, Hashable, Codable {
    /// Sweeps allowed before giving up with `PowerFlowError.didNotConverge`.
    public var maxIterations: Int
    /// Converged when no bus voltage phasor moves by more than this between two sweeps.
    public var toleranceVoltagePU: Double
    /// Substation voltage magnitude; its angle is the reference (0 rad).
    public var slackVoltagePU: Double

    public init(maxIterations: Int = 100, toleranceVoltagePU: Double = 1e-9, slackVoltagePU: Double = 1.0) {
        self.maxIterations = maxIterations
        self.toleranceVoltagePU = toleranceVoltagePU
        self.slackVoltagePU = slackVoltagePU
    }
}

public enum PowerFlowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The iteration limit was reached while voltages were still moving by `lastMismatchPU`.
    case didNotConverge(iterations: Int, lastMismatchPU: Double)
    /// Voltages ran away (non-finite or jumping by more than 1 p.u. per sweep): the load is past the feeder's
    /// loadability limit, where a constant-power load flow has no solution.
    case diverged(iterations: Int, lastMismatchPU: Double)
    case injectionCountMismatch(expected: Int, actual: Int)
    case unknownBus(Int)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .didNotConverge(let iterations, let mismatch):
            return "power flow did not converge after \(iterations) iteration(s); "
                + "last maximum voltage change \(mismatch) p.u."
        case .diverged(let iterations, let mismatch):
            return "power flow diverged after \(iterations) iteration(s) (maximum voltage change \(mismatch) p.u.); "
                + "the load is probably beyond the feeder's loadability limit"
        case .injectionCountMismatch(let expected, let actual):
            return "expected \(expected) bus injections (one per bus), got \(actual)"
        case .unknownBus(let bus):
            return "no bus \(bus) in this feeder"
        case .invalidOptions(let reason):
            return "invalid power flow options: \(reason)"
        }
    }
}

/// Solved state of one bus.
public struct BusState: Sendable, Hashable, Codable {
    public var bus: Int
    public var voltagePU: Double
    public var angleRad: Double
    public var angleDeg: Double { angleRad * 180 / .pi }
}

/// Flow through one closed branch, measured at its sending (upstream) end.
public struct BranchFlow: Sendable, Hashable, Codable {
    public var fromBus: Int
    public var toBus: Int
    public var currentPU: Double
    public var currentA: Double
    public var sendingPKW: Double
    public var sendingQKVar: Double
    public var lossKW: Double
    public var lossKVar: Double
    /// Power arriving at `toBus`: what the downstream part of the feeder consumes, its losses included.
    public var receivingPKW: Double { sendingPKW - lossKW }
    public var receivingQKVar: Double { sendingQKVar - lossKVar }
}

public struct PowerFlowResult: Sendable, Codable {
    public let feederName: String
    /// One entry per bus, in the feeder's bus order (`Feeder.buses`).
    public let buses: [BusState]
    /// One entry per closed branch, in the feeder's branch order (`Feeder.branches`).
    public let branches: [BranchFlow]
    public let totalLossKW: Double
    public let totalLossKVar: Double
    /// Power delivered by the substation (slack bus) into the feeder.
    public let substationPKW: Double
    public let substationQKVar: Double
    public let iterations: Int
    /// Largest voltage phasor change in the last sweep.
    public let finalMismatchPU: Double
    /// Bus with the lowest voltage magnitude (lowest bus number on a tie).
    public let weakestBus: Int
    public let weakestVoltagePU: Double

    public var voltagesPU: [Double] { buses.map(\.voltagePU) }
    public var anglesRad: [Double] { buses.map(\.angleRad) }

    public func state(ofBus bus: Int) -> BusState? { buses.first { $0.bus == bus } }
    public func voltagePU(atBus bus: Int) -> Double? { state(ofBus: bus)?.voltagePU }
}

extension Feeder {
    /// Injections equal to the feeder's own loads times `loadScale`, with no generation.
    public func baseInjections(loadScale: Double = 1) -> [BusInjection] {
        buses.map { .load(pKW: $0.loadPKW * loadScale, qKVar: $0.loadQKVar * loadScale) }
    }

    /// The scaled loads plus per-bus adjustments keyed by bus number: PV output as positive `pKW`, inverter
    /// reactive set-points as `qKVar` (positive raises the voltage), extra consumption as negative values.
    public func injections(
        loadScale: Double = 1, adjustments: [Int: BusInjection] = [:]
    ) throws(PowerFlowError) -> [BusInjection] {
        var result = baseInjections(loadScale: loadScale)
        for (bus, adjustment) in adjustments {
            guard let index = index(ofBus: bus) else { throw .unknownBus(bus) }
            result[index] = result[index] + adjustment
        }
        return result
    }

    /// Solves with the feeder's loads scaled by `loadScale` plus `adjustments` (see `injections`).
    public func solvePowerFlow(
        loadScale: Double = 1, adjustments: [Int: BusInjection] = [:], options: PowerFlowOptions = .init()
    ) throws(PowerFlowError) -> PowerFlowResult {
        try solvePowerFlow(injections: injections(loadScale: loadScale, adjustments: adjustments), options: options)
    }

    /// Backward/forward sweep with current summation (Shirmohammadi et al. 1988; Baran & Wu's feeders are the
    /// classic test case). Loads are constant power; the slack bus holds `options.slackVoltagePU` at angle 0 and
    /// its own injection is supplied directly by the substation.
    ///
    /// Each sweep: (1) bus currents I_i = conj(S_load,i / V_i); (2) backward, leaves to root, each branch carries
    /// its receiving bus's current plus the currents of the branches it feeds; (3) forward, root to leaves,
    /// V_child = V_parent - Z_branch * J_branch. Stops when max |V_new - V_old| < tolerance.
    ///
    /// - Parameter injections: one per bus, in `buses` order, generation convention (see `BusInjection`).
    public func solvePowerFlow(
        injections: [BusInjection], options: PowerFlowOptions = .init()
    ) throws(PowerFlowError) -> PowerFlowResult {
        guard injections.count == buses.count else {
            throw .injectionCountMismatch(expected: buses.count, actual: injections.count)
        }
        guard options.maxIterations >= 1 else { throw .invalidOptions("maxIterations must be at least 1") }
        guard options.toleranceVoltagePU > 0 else { throw .invalidOptions("toleranceVoltagePU must be positive") }
        guard options.slackVoltagePU > 0 else { throw .invalidOptions("slackVoltagePU must be positive") }

        let count = buses.count
        let slack = topology.slack
        let loadPU = injections.map { Complex(-$0.pKW / baseKVA, -$0.qKVar / baseKVA) }
        let impedancePU = (0..<count).map { bus -> Complex in
            guard feedingBranch[bus] >= 0 else { return .zero }
            let branch = branches[feedingBranch[bus]]
            return Complex(branch.resistanceOhm / baseImpedanceOhm, branch.reactanceOhm / baseImpedanceOhm)
        }
        var voltage = [Complex](repeating: Complex(options.slackVoltagePU, 0), count: count)
        var branchCurrent = [Complex](repeating: .zero, count: count)

        func backwardSweep() {
            for bus in topology.order.reversed() where bus != slack {
                var current = (loadPU[bus] / voltage[bus]).conjugate
                for child in topology.children[bus] { current += branchCurrent[child] }
                branchCurrent[bus] = current
            }
        }

        var iterations = 0
        var mismatch = Double.infinity
        while true {
            iterations += 1
            backwardSweep()
            mismatch = 0
            for bus in topology.order where bus != slack {
                let updated = voltage[topology.parent[bus]] - impedancePU[bus] * branchCurrent[bus]
                mismatch = max(mismatch, (updated - voltage[bus]).magnitude)
                voltage[bus] = updated
            }
            if !mismatch.isFinite || mismatch > 1 {
                throw .diverged(iterations: iterations, lastMismatchPU: mismatch)
            }
            if mismatch < options.toleranceVoltagePU { break }
            if iterations >= options.maxIterations {
                throw .didNotConverge(iterations: iterations, lastMismatchPU: mismatch)
            }
        }
        // Branch currents consistent with the final voltages, so losses and flows balance exactly.
        backwardSweep()
        return makeResult(
            voltage: voltage, branchCurrent: branchCurrent, loadPU: loadPU, iterations: iterations,
            mismatch: mismatch)
    }

    private func makeResult(
        voltage: [Complex], branchCurrent: [Complex], loadPU: [Complex], iterations: Int, mismatch: Double
    ) -> PowerFlowResult {
        let states = buses.indices.map { index in
            BusState(bus: buses[index].number, voltagePU: voltage[index].magnitude, angleRad: voltage[index].angle)
        }
        var flows: [BranchFlow] = []
        flows.reserveCapacity(branches.count)
        var lossPU = Complex.zero
        for bus in topology.order.dropFirst() {
            let branch = branches[feedingBranch[bus]]
            let current = branchCurrent[bus]
            let loss = Complex(
                current.magnitudeSquared * branch.resistanceOhm / baseImpedanceOhm,
                current.magnitudeSquared * branch.reactanceOhm / baseImpedanceOhm)
            let sending = voltage[topology.parent[bus]] * current.conjugate
            lossPU += loss
            flows.append(
                BranchFlow(
                    fromBus: branch.fromBus, toBus: branch.toBus, currentPU: current.magnitude,
                    currentA: current.magnitude * baseCurrentA, sendingPKW: sending.re * baseKVA,
                    sendingQKVar: sending.im * baseKVA, lossKW: loss.re * baseKVA, lossKVar: loss.im * baseKVA))
        }
        let slack = topology.slack
        var substation = loadPU[slack]
        for child in topology.children[slack] { substation += voltage[slack] * branchCurrent[child].conjugate }
        let weakest = states.min { ($0.voltagePU, $0.bus) < ($1.voltagePU, $1.bus) }!
        return PowerFlowResult(
            feederName: name, buses: states, branches: flows, totalLossKW: lossPU.re * baseKVA,
            totalLossKVar: lossPU.im * baseKVA, substationPKW: substation.re * baseKVA,
            substationQKVar: substation.im * baseKVA, iterations: iterations, finalMismatchPU: mismatch,
            weakestBus: weakest.bus, weakestVoltagePU: weakest.voltagePU)
    }
}

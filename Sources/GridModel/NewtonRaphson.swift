import Foundation

/// Solved state of a meshed network.
public struct NetworkPowerFlowResult: Sendable, Codable {
    public let networkName: String
    /// One entry per bus, in the network's bus order.
    public let buses: [BusState]
    public let iterations: Int
    /// Largest |P| or |Q| mismatch (p.u.) after the last iteration.
    public let finalMismatchPU: Double
    /// What the slack bus supplies, net of its own demand (MW, MVAr).
    public let slackPMW: Double
    public let slackQMVar: Double
    /// Reactive output each PV bus needs to hold its voltage, net of its own demand (MVAr), by bus number.
    public let pvReactiveMVar: [Int: Double]

    public var voltagesPU: [Double] { buses.map(\.voltagePU) }
    public func state(ofBus bus: Int) -> BusState? { buses.first { $0.bus == bus } }
}

/// Settings of the Newton-Raphson solver.
public struct NewtonRaphsonOptions: Sendable, Hashable, Codable {
    public var maxIterations: Int
    /// Converged when every |P| and |Q| mismatch is below this (p.u. of the base power).
    public var toleranceMismatchPU: Double

    public init(maxIterations: Int = 20, toleranceMismatchPU: Double = 1e-10) {
        self.maxIterations = maxIterations
        self.toleranceMismatchPU = toleranceMismatchPU
    }
}

extension Network {
    /// Full Newton-Raphson in polar coordinates (Tinney and Hart 1967; the formulation of MATPOWER's `newtonpf`),
    /// flat start from the set-points. Unknowns: the angle of every non-slack bus and the magnitude of every PQ bus.
    /// With S = V .* conj(Y V) and I = Y V, the Jacobian blocks are
    ///
    ///     dS/dVa = j diag(V) conj(diag(I) - Y diag(V))
    ///     dS/dVm = diag(V) conj(Y diag(V/|V|)) + conj(diag(I)) diag(V/|V|)
    ///
    /// (real parts for the P rows, imaginary parts for the Q rows of PQ buses). Generator reactive limits are not
    /// enforced, as in pandapower's default; loads are constant power, PV buses hold their set-point.
    /// - Parameter demandScale: multiplies every bus's demand (a loadability study); generation stays as given.
    public func solveNewtonRaphson(
        demandScale: Double = 1, options: NewtonRaphsonOptions = .init()
    ) throws(NetworkError) -> NetworkPowerFlowResult {
        guard options.maxIterations >= 1, options.toleranceMismatchPU > 0 else {
            throw .invalid("Newton-Raphson options: maxIterations >= 1 and a positive tolerance are required")
        }
        let count = buses.count
        let y = admittanceMatrix()
        let scheduled = buses.map { bus -> Complex in
            let generation = bus.kind == .pv ? bus.generationPMW : 0
            return Complex(
                (generation - bus.demandPMW * demandScale) / baseMVA, -bus.demandQMVar * demandScale / baseMVA)
        }
        let angleUnknowns = buses.indices.filter { buses[$0].kind != .slack }
        let magnitudeUnknowns = buses.indices.filter { buses[$0].kind == .pq }
        var magnitude = buses.map { $0.kind == .pq ? 1.0 : $0.voltageSetpointPU }
        var angle = [Double](repeating: 0, count: count)

        func phasors() -> [Complex] {
            (0..<count).map { Complex(magnitude[$0] * cos(angle[$0]), magnitude[$0] * sin(angle[$0])) }
        }
        func currents(_ v: [Complex]) -> [Complex] {
            (0..<count).map { row in
                var sum = Complex.zero
                for column in 0..<count where y[row][column] != .zero { sum += y[row][column] * v[column] }
                return sum
            }
        }
        func mismatches(_ v: [Complex], _ current: [Complex]) -> [Double] {
            let injected = (0..<count).map { v[$0] * current[$0].conjugate }
            return angleUnknowns.map { scheduled[$0].re - injected[$0].re }
                + magnitudeUnknowns.map { scheduled[$0].im - injected[$0].im }
        }

        var v = phasors()
        var current = currents(v)
        var mismatch = mismatches(v, current)
        var iterations = 0
        while mismatch.map(abs).max() ?? 0 >= options.toleranceMismatchPU {
            guard iterations < options.maxIterations else {
                throw .didNotConverge(iterations: iterations, mismatchPU: mismatch.map(abs).max() ?? 0)
            }
            iterations += 1
            let jacobian = Self.jacobian(
                y: y, v: v, current: current, angleUnknowns: angleUnknowns, magnitudeUnknowns: magnitudeUnknowns)
            guard let step = LinearSolver.solve(jacobian, mismatch) else {
                throw .singularJacobian(iteration: iterations)
            }
            for (position, bus) in angleUnknowns.enumerated() { angle[bus] += step[position] }
            for (position, bus) in magnitudeUnknowns.enumerated() {
                magnitude[bus] += step[angleUnknowns.count + position]
            }
            v = phasors()
            current = currents(v)
            mismatch = mismatches(v, current)
            guard mismatch.allSatisfy(\.isFinite) else {
                throw .didNotConverge(iterations: iterations, mismatchPU: .infinity)
            }
        }
        let injected = (0..<count).map { v[$0] * current[$0].conjugate }
        let slack = slackIndex
        var pvReactive: [Int: Double] = [:]
        for (index, bus) in buses.enumerated() where bus.kind == .pv {
            pvReactive[bus.number] = (injected[index].im + bus.demandQMVar * demandScale / baseMVA) * baseMVA
        }
        return NetworkPowerFlowResult(
            networkName: name,
            buses: buses.indices.map { BusState(bus: buses[$0].number, voltagePU: magnitude[$0], angleRad: angle[$0]) },
            iterations: iterations, finalMismatchPU: mismatch.map(abs).max() ?? 0,
            slackPMW: (injected[slack].re + buses[slack].demandPMW * demandScale / baseMVA) * baseMVA,
            slackQMVar: (injected[slack].im + buses[slack].demandQMVar * demandScale / baseMVA) * baseMVA,
            pvReactiveMVar: pvReactive)
    }

    private static func jacobian(
        y: [[Complex]], v: [Complex], current: [Complex], angleUnknowns: [Int], magnitudeUnknowns: [Int]
    ) -> [[Double]] {
        let unit = v.map { $0 / Complex($0.magnitude, 0) }
        // dS_i/dVa_k and dS_i/dVm_k for the entries the unknowns need.
        func dAngle(_ i: Int, _ k: Int) -> Complex {
            let diagonal = i == k ? current[i] : .zero
            return Complex(0, 1) * v[i] * (diagonal - y[i][k] * v[k]).conjugate
        }
        func dMagnitude(_ i: Int, _ k: Int) -> Complex {
            var value = v[i] * (y[i][k] * unit[k]).conjugate
            if i == k { value += current[i].conjugate * unit[i] }
            return value
        }
        let size = angleUnknowns.count + magnitudeUnknowns.count
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: size), count: size)
        let rowsP = angleUnknowns
        let rowsQ = magnitudeUnknowns
        for (r, i) in (rowsP + rowsQ).enumerated() {
            let takeReal = r < rowsP.count
            for (c, k) in angleUnknowns.enumerated() where i == k || y[i][k] != .zero {
                let value = dAngle(i, k)
                matrix[r][c] = takeReal ? value.re : value.im
            }
            for (c, k) in magnitudeUnknowns.enumerated() where i == k || y[i][k] != .zero {
                let value = dMagnitude(i, k)
                matrix[r][angleUnknowns.count + c] = takeReal ? value.re : value.im
            }
        }
        return matrix
    }
}

/// Dense Gaussian elimination with partial pivoting, for the small systems of GridModel (tens of unknowns).
enum LinearSolver {
    /// x with a x = b, or nil when a pivot vanishes (singular to working precision).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        var m = a
        var rhs = b
        for column in 0..<n {
            var pivot = column
            for row in column..<n where abs(m[row][column]) > abs(m[pivot][column]) { pivot = row }
            guard abs(m[pivot][column]) > 1e-14 else { return nil }
            if pivot != column {
                m.swapAt(pivot, column)
                rhs.swapAt(pivot, column)
            }
            for row in (column + 1)..<n where m[row][column] != 0 {
                let factor = m[row][column] / m[column][column]
                for k in column..<n { m[row][k] -= factor * m[column][k] }
                rhs[row] -= factor * rhs[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = rhs[row]
            for k in (row + 1)..<n { sum -= m[row][k] * x[k] }
            x[row] = sum / m[row][row]
        }
        return x
    }

    /// The inverse of a complex matrix by Gauss-Jordan with partial pivoting, or nil if singular.
    static func inverse(_ a: [[Complex]]) -> [[Complex]]? {
        let n = a.count
        var m = a
        var inverse = (0..<n).map { row in (0..<n).map { $0 == row ? Complex(1, 0) : Complex.zero } }
        for column in 0..<n {
            var pivot = column
            for row in column..<n where m[row][column].magnitude > m[pivot][column].magnitude { pivot = row }
            guard m[pivot][column].magnitude > 1e-14 else { return nil }
            m.swapAt(pivot, column)
            inverse.swapAt(pivot, column)
            let scale = Complex(1, 0) / m[column][column]
            for k in 0..<n {
                m[column][k] = m[column][k] * scale
                inverse[column][k] = inverse[column][k] * scale
            }
            for row in 0..<n where row != column && m[row][column] != .zero {
                let factor = m[row][column]
                for k in 0..<n {
                    m[row][k] = m[row][k] - factor * m[column][k]
                    inverse[row][k] = inverse[row][k] - factor * inverse[column][k]
                }
            }
        }
        return inverse
    }
}

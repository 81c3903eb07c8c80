/// The live runtime's CPU that a microbenchmark profile does not price, fitted to live runs.
///
/// Each sample is one live node over one run: the CPU it used, what the profile prices for the work its node layer
/// reported (the same `Work` the simulator charges), and how many transactions it executed, store commits it made
/// (a block, or the blocks one event commits together) and seconds it was up. The residual (measured less priced)
/// is fitted by least squares as `perTransaction × transactions + perBlock × blocks + perSecond × seconds`, with no
/// coefficient below zero (every subset of the three terms is fitted and the best one with no negative coefficient
/// kept). The per-second term takes up start-up, timers and metrics files; the simulator charges the first two with
/// the work they follow, and the per-second one only on a shared host whose profile also prices the event loops
/// (`MachineProfile.runtimeNanosPerSecond`: each node's upkeep, competing for the cores).
public struct RuntimeOverheadFit: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var cpuNanos: Double
        public var pricedNanos: Double
        public var transactions: Double
        /// Store commits.
        public var blocks: Double
        public var uptimeSeconds: Double

        public init(cpuNanos: Double, pricedNanos: Double, transactions: Double, blocks: Double, uptimeSeconds: Double)
        {
            self.cpuNanos = cpuNanos
            self.pricedNanos = pricedNanos
            self.transactions = transactions
            self.blocks = blocks
            self.uptimeSeconds = uptimeSeconds
        }
    }

    public var nanosPerTransaction: Double
    public var nanosPerBlock: Double
    public var nanosPerSecond: Double
    /// Measured CPU over priced CPU, all samples together: how much the profile alone under-charges.
    public var measuredOverPriced: Double
    /// Root-mean-square of what the fit leaves unexplained, over the mean measured CPU per sample.
    public var relativeResidual: Double
    public var samples: Int

    /// Nil with fewer than three samples or no CPU measured.
    public init?(_ samples: [Sample]) {
        guard samples.count >= 3 else { return nil }
        let measured = samples.map(\.cpuNanos).reduce(0, +)
        let priced = samples.map(\.pricedNanos).reduce(0, +)
        guard measured > 0, priced > 0 else { return nil }
        let residuals = samples.map { $0.cpuNanos - $0.pricedNanos }
        let columns: [[Double]] = [samples.map(\.transactions), samples.map(\.blocks), samples.map(\.uptimeSeconds)]
        let best = Self.bestNonNegative(columns, residuals)
        let coefficients = best?.coefficients ?? [0, 0, 0]
        let squaredError = best?.squaredError ?? residuals.map { $0 * $0 }.reduce(0, +)
        nanosPerTransaction = coefficients[0]
        nanosPerBlock = coefficients[1]
        nanosPerSecond = coefficients[2]
        measuredOverPriced = measured / priced
        relativeResidual = (squaredError / Double(samples.count)).squareRoot() / (measured / Double(samples.count))
        self.samples = samples.count
    }

    /// `profile` with the two load terms set.
    public func applied(to profile: MachineProfile) -> MachineProfile {
        var fitted = profile
        fitted.runtimeNanosPerTransaction = nanosPerTransaction.rounded()
        fitted.runtimeNanosPerBlock = nanosPerBlock.rounded()
        return fitted
    }

    /// The least-squares fit of `target` by `columns` with no coefficient below zero: every subset of the columns is
    /// fitted (the others held at zero) and the best subset whose coefficients are all non-negative kept. Nil when
    /// no subset solves (every column zero or dependent).
    static func bestNonNegative(
        _ columns: [[Double]], _ target: [Double]
    ) -> (coefficients: [Double], squaredError: Double)? {
        var best: (coefficients: [Double], squaredError: Double)?
        for mask in 1..<(1 << columns.count) {
            let chosen = columns.indices.filter { mask & (1 << $0) != 0 }
            guard let solved = leastSquares(chosen.map { columns[$0] }, target), solved.allSatisfy({ $0 >= 0 })
            else { continue }
            var coefficients = [Double](repeating: 0, count: columns.count)
            for (index, column) in chosen.enumerated() { coefficients[column] = solved[index] }
            let error = squaredError(coefficients, columns, target)
            if best == nil || error < best!.squaredError { best = (coefficients, error) }
        }
        return best
    }

    private static func squaredError(_ coefficients: [Double], _ columns: [[Double]], _ target: [Double]) -> Double {
        var total = 0.0
        for row in target.indices {
            var predicted = 0.0
            for column in columns.indices { predicted += coefficients[column] * columns[column][row] }
            total += (target[row] - predicted) * (target[row] - predicted)
        }
        return total
    }

    /// Solves the normal equations by Gaussian elimination with partial pivoting; nil when they are singular (a
    /// term that does not vary independently of the others across the samples).
    static func leastSquares(_ columns: [[Double]], _ target: [Double]) -> [Double]? {
        let size = columns.count
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: size + 1), count: size)
        for row in 0..<size {
            for column in 0..<size {
                matrix[row][column] = zip(columns[row], columns[column]).map { $0 * $1 }.reduce(0, +)
            }
            matrix[row][size] = zip(columns[row], target).map { $0 * $1 }.reduce(0, +)
        }
        let scale = matrix.flatMap { $0.prefix(size) }.map(abs).max() ?? 0
        guard scale > 0 else { return nil }
        for pivot in 0..<size {
            let best = (pivot..<size).max { abs(matrix[$0][pivot]) < abs(matrix[$1][pivot]) }!
            guard abs(matrix[best][pivot]) > scale * 1e-12 else { return nil }
            matrix.swapAt(pivot, best)
            for row in 0..<size where row != pivot {
                let factor = matrix[row][pivot] / matrix[pivot][pivot]
                for column in pivot...size { matrix[row][column] -= factor * matrix[pivot][column] }
            }
        }
        return (0..<size).map { matrix[$0][size] / matrix[$0][$0] }
    }
}

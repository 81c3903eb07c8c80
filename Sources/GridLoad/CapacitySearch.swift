/// The strategy of a capacity search (`gridledger capacity`): proposes the next offered rate from the outcomes of
/// the probes so far. Sans-IO: it never runs anything, so it can be driven by the simulator, the live runtime or a
/// synthetic function in a test.
///
/// 1. **Bracket**: from `startTps`, multiply by `growthFactor` while probes meet the SLO (or divide while they
///    fail) until one meets and a higher one fails.
/// 2. **Bisect** between the highest rate that met and the lowest that failed above it, until they are within
///    `resolution` of each other (relative to the lower one).
/// 3. **Edge**: probe `(1 + edgeMargin)` times the candidate. Rates do not always behave monotonically (a view
///    change, a batch boundary), so a candidate only stands when the rate `edgeMargin` above it fails. If it meets,
///    it becomes the new candidate and the search goes on above it.
/// 4. **Confirm** (when `confirms`): one more run at the candidate, which the runner makes differ from the search's
///    runs (another seed in the simulator, a fresh run live). If it fails, the candidate counts as failing and the
///    search continues below it.
///
/// Bounded: at most `probesMax` probes; rates stay within `minTps...maxTps`.
public struct CapacitySearch: Sendable {
    public struct Configuration: Hashable, Sendable {
        public var startTps: Double
        /// Bisection stops when `high / low - 1 <= resolution`.
        public var resolution: Double
        /// The rate this share above the answer must fail the SLO (0.05: a run 5 % above does not meet it).
        public var edgeMargin: Double
        public var growthFactor: Double
        public var minTps: Double
        public var maxTps: Double
        public var probesMax: Int
        public var confirms: Bool

        public init(
            startTps: Double, resolution: Double = 0.02, edgeMargin: Double = 0.05, growthFactor: Double = 2,
            minTps: Double = 1, maxTps: Double = 10_000_000, probesMax: Int = 40, confirms: Bool = true
        ) {
            self.startTps = startTps
            self.resolution = resolution
            self.edgeMargin = edgeMargin
            self.growthFactor = growthFactor
            self.minTps = minTps
            self.maxTps = maxTps
            self.probesMax = probesMax
            self.confirms = confirms
        }

        /// The first problem with these settings, or nil.
        public var problem: String? {
            guard minTps.isFinite, maxTps.isFinite, minTps > 0, minTps < maxTps else {
                return "rates must satisfy 0 < minTps < maxTps, got \(minTps) and \(maxTps)"
            }
            guard startTps.isFinite, (minTps...maxTps).contains(startTps) else {
                return "start rate must be in \(minTps)...\(maxTps), got \(startTps)"
            }
            guard resolution.isFinite, resolution >= 0.001, resolution <= 0.5 else {
                return "resolution must be in 0.001...0.5, got \(resolution)"
            }
            guard edgeMargin.isFinite, edgeMargin >= resolution, edgeMargin <= 1 else {
                return "edge margin must be in resolution...1 (\(resolution)...1), got \(edgeMargin)"
            }
            guard growthFactor.isFinite, growthFactor >= 1.1, growthFactor <= 16 else {
                return "growth factor must be in 1.1...16, got \(growthFactor)"
            }
            guard (3...1000).contains(probesMax) else { return "probesMax must be in 3...1000, got \(probesMax)" }
            return nil
        }
    }

    public enum Phase: String, Codable, Hashable, Sendable {
        case bracket
        case bisect
        case edge
        case confirm
    }

    public struct Request: Hashable, Sendable {
        public var tps: Double
        public var phase: Phase
    }

    /// Why the search stopped.
    public enum Ending: String, Codable, Hashable, Sendable {
        /// A rate met the SLO, the rate `edgeMargin` above it did not, and the confirmation met it.
        case found
        /// Even `minTps` did not meet the SLO.
        case noneMet
        /// `maxTps` still met the SLO: the capacity is at least that.
        case ceiling
        /// `probesMax` probes ran before the search could settle; the answer is the best rate known to meet.
        case budget
    }

    public struct Step: Hashable, Sendable {
        public var request: Request
        public var meets: Bool
    }

    public let configuration: Configuration
    /// Highest rate known to meet the SLO in the search's own runs (the candidate).
    public private(set) var low: Double?
    /// Lowest rate above `low` known to fail.
    public private(set) var high: Double?
    public private(set) var steps: [Step] = []
    public private(set) var ending: Ending?
    private var pending: Request?
    /// The candidate whose edge probe failed, and whose confirmation met.
    private var edgeCheckedFor: Double?
    /// Candidates whose confirmation failed: never a candidate again.
    private var refuted: Set<Double> = []

    public init(_ configuration: Configuration) throws {
        if let problem = configuration.problem { throw LoadError.invalidConfiguration("capacity search: \(problem)") }
        self.configuration = configuration
    }

    /// The answer so far: the candidate when the search found one or ran out of probes, `maxTps`'s meeting
    /// candidate at the ceiling, 0 when nothing met.
    public var sustainableTps: Double { ending == .noneMet ? 0 : (low ?? 0) }

    /// The next probe to run, or nil when the search is over (see ``ending``). Asking again before
    /// ``record(meets:)`` returns the same request.
    public mutating func next() -> Request? {
        if let pending { return pending }
        guard ending == nil else { return nil }
        guard steps.count < configuration.probesMax else {
            ending = .budget
            return nil
        }
        let request = decide()
        pending = request
        return request
    }

    /// The outcome of the request ``next()`` returned last.
    public mutating func record(meets: Bool) throws {
        guard let request = pending else {
            throw LoadError.invalidConfiguration("capacity search: an outcome was recorded without a pending probe")
        }
        pending = nil
        steps.append(Step(request: request, meets: meets))
        switch request.phase {
        case .bracket, .bisect:
            if meets {
                low = request.tps
                if let high, high <= request.tps { self.high = lowestFailure(above: request.tps) }
            } else {
                high = min(high ?? request.tps, request.tps)
                if let low, low >= request.tps { self.low = highestSuccess(below: request.tps) }
            }
        case .edge:
            if meets {
                low = request.tps
                high = lowestFailure(above: request.tps)
            } else {
                high = min(high ?? request.tps, request.tps)
                edgeCheckedFor = low
            }
        case .confirm:
            if meets {
                ending = .found
            } else {
                refuted.insert(request.tps)
                high = request.tps
                low = highestSuccess(below: request.tps)
                edgeCheckedFor = nil
            }
        }
    }

    private func lowestFailure(above tps: Double) -> Double? {
        steps.filter { !$0.meets && $0.request.phase != .confirm && $0.request.tps > tps }.map(\.request.tps).min()
    }

    private func highestSuccess(below tps: Double) -> Double? {
        steps.filter {
            $0.meets && $0.request.phase != .confirm && $0.request.tps < tps && !refuted.contains($0.request.tps)
        }.map(\.request.tps).max()
    }

    private mutating func decide() -> Request? {
        let settings = configuration
        switch (low, high) {
        case (nil, nil):
            return Request(tps: settings.startTps, phase: .bracket)
        case (nil, let high?):
            guard high > settings.minTps else {
                ending = .noneMet
                return nil
            }
            return Request(tps: max(settings.minTps, Self.rounded(high / settings.growthFactor)), phase: .bracket)
        case (let low?, nil):
            guard low < settings.maxTps else {
                ending = .ceiling
                return nil
            }
            return Request(tps: min(settings.maxTps, Self.rounded(low * settings.growthFactor)), phase: .bracket)
        case (let low?, let high?):
            if high / low - 1 > settings.resolution {
                let middle = Self.rounded((low + high) / 2)
                if middle > low, middle < high { return Request(tps: middle, phase: .bisect) }
            }
            if edgeCheckedFor != low {
                // Up to the cent, rounded up: the rate typed again on a command line gives the same run.
                return Request(tps: (low * (1 + settings.edgeMargin) * 100).rounded(.up) / 100, phase: .edge)
            }
            guard settings.confirms else {
                ending = .found
                return nil
            }
            return Request(tps: low, phase: .confirm)
        }
    }

    /// Whole transactions per second above 100 tx/s, two decimals below: probe rates people can type again.
    static func rounded(_ tps: Double) -> Double {
        tps >= 100 ? tps.rounded() : (tps * 100).rounded() / 100
    }
}

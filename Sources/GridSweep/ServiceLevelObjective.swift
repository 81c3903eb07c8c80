import GridLoad

/// A latency objective as a planner writes it: `p99<=1s`, `p99.9<=250ms`, `max<=2s`. It applies to local-commit
/// latency; the rate and failure criteria of the design brief (achieved >= 99 % of offered, failures <= 0.1 %)
/// come with it (see GridLoad's `evaluateSLO`).
public struct ServiceLevelObjective: Sendable, Hashable, CustomStringConvertible {
    public var percentile: LatencyPercentile
    public var targetMillis: Double
    /// As written, e.g. `p99<=1s`; passed on to `gridledger capacity --slo` unchanged.
    public var text: String

    /// nil when `text` is not of the form `PERCENTILE<=NUMBER(ms|s)`.
    public init?(_ text: String) {
        let compact = text.filter { !$0.isWhitespace }
        let parts = compact.split(separator: "<=", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let percentileText = parts[0].lowercased()
        switch percentileText {
        case "p50": percentile = .p50
        case "p90": percentile = .p90
        case "p99": percentile = .p99
        case "p99.9", "p999": percentile = .p999
        case "max", "p100": percentile = .max
        default: return nil
        }
        var number = Substring(parts[1])
        let factor: Double
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            factor = 1
        } else if number.hasSuffix("s") {
            number = number.dropLast()
            factor = 1000
        } else {
            return nil
        }
        guard let value = Double(number), value.isFinite, value > 0, value <= 86_400_000 / factor else { return nil }
        targetMillis = value * factor
        self.text = text
    }

    public static let expectation =
        "an objective such as \"p99<=1s\" or \"p99.9<=250ms\" (p50, p90, p99, p99.9 or max; ms or s)"

    public var description: String { text }

    /// Whether the run met the objective and the brief's rate and failure criteria, and which criteria it missed
    /// (`achieved`, `failures`, `latency`).
    public func evaluate(_ result: RunResult) -> (met: Bool, failed: [String]) {
        let evaluation = evaluateSLO(result, latencyPercentile: percentile, targetMillis: targetMillis)
        var failed: [String] = []
        if !evaluation.achievedRateMet { failed.append("achieved") }
        if !evaluation.failureRateMet { failed.append("failures") }
        if !evaluation.latencyMet { failed.append("latency") }
        return (evaluation.meetsSLO, failed)
    }
}

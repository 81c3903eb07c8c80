import Foundation

/// A latency objective as written on the command line, e.g. `p99<=250ms`, `p99.9<=1s`, `p50<=20ms`, `max<=2s`.
///
/// The achieved-rate and failure parts of the SLO are fixed by the design brief (``evaluateSLO``); only the
/// percentile and its target are the user's.
public struct SLOSpecification: Hashable, Sendable, CustomStringConvertible {
    public var percentile: LatencyPercentile
    public var targetMillis: Double
    /// The text as given (trimmed).
    public var text: String

    /// Largest target accepted: one hour.
    public static let targetMillisMax = 3_600_000.0

    public init(percentile: LatencyPercentile, targetMillis: Double) {
        self.percentile = percentile
        self.targetMillis = targetMillis
        text = "\(percentile.label)<=\(Self.format(targetMillis))ms"
    }

    public var description: String { text }

    /// Parses `PERCENTILE<=NUMBER UNIT`: PERCENTILE one of p50, p90, p99, p99.9, max; UNIT one of us, ms, s.
    /// Throws ``LoadError/invalidConfiguration(_:)`` naming what is wrong and what is expected.
    public static func parse(_ input: String) throws -> SLOSpecification {
        let text = input.trimmingCharacters(in: .whitespaces)
        let expected = "expected PERCENTILE<=TARGET such as p99<=250ms, p99.9<=1s or p50<=20ms"
        func failure(_ reason: String) -> LoadError {
            LoadError.invalidConfiguration("SLO \"\(text.prefix(64))\": \(reason); \(expected)")
        }
        guard !text.isEmpty else { throw failure("empty") }
        let parts = text.components(separatedBy: "<=")
        guard parts.count == 2 else {
            throw failure(parts.count == 1 ? "no \"<=\"" : "more than one \"<=\"")
        }
        let percentileText = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        let targetText = parts[1].trimmingCharacters(in: .whitespaces).lowercased()
        let percentile: LatencyPercentile
        if percentileText == "max" {
            percentile = .max
        } else {
            guard percentileText.hasPrefix("p"), let percent = Double(percentileText.dropFirst()),
                let known = LatencyPercentile(percent: percent), known != .max
            else {
                throw failure("percentile \"\(percentileText.prefix(16))\" is not one of p50, p90, p99, p99.9, max")
            }
            percentile = known
        }
        let units: [(suffix: String, millis: Double)] = [("us", 0.001), ("ms", 1), ("s", 1000)]
        guard let unit = units.first(where: { targetText.hasSuffix($0.suffix) }) else {
            throw failure("target \"\(targetText.prefix(16))\" has no unit (us, ms or s)")
        }
        let numberText = targetText.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)
        guard let number = Double(numberText), number.isFinite, !numberText.hasPrefix("+") else {
            throw failure("target \"\(targetText.prefix(16))\" is not a number followed by us, ms or s")
        }
        let millis = number * unit.millis
        guard millis > 0, millis <= targetMillisMax else {
            throw failure("target must be above 0 and at most 1 hour, got \(Self.format(millis)) ms")
        }
        var specification = SLOSpecification(percentile: percentile, targetMillis: millis)
        specification.text = "\(percentileText)<=\(targetText.replacingOccurrences(of: " ", with: ""))"
        return specification
    }

    static func format(_ millis: Double) -> String {
        millis == millis.rounded() && abs(millis) < 1e15 ? String(Int64(millis)) : String(millis)
    }
}

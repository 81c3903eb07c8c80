import Foundation
import GridLoad

/// Two results side by side (`gridledger compare A B`): each metric's change in percent from A to B and a
/// regression flag when it moved the wrong way by more than the threshold.
public struct Comparison: Sendable {
    /// Which way is better for a metric.
    public enum Direction: String, Sendable {
        case higherIsBetter = "higher is better"
        case lowerIsBetter = "lower is better"
        /// An input or context figure (the offered rate): shown, never flagged.
        case neutral = "context"
    }

    public struct Metric: Sendable {
        public var name: String
        public var unit: String
        public var a: Double?
        public var b: Double?
        public var direction: Direction
        /// (b - a) / |a| x 100; `nil` when a side is missing or a is 0 (then ``note`` says why).
        public var changePercent: Double?
        public var regression: Bool
        public var improvement: Bool
        public var note: String?
    }

    public var labelA: String
    public var labelB: String
    /// A metric regresses when it moves the wrong way by more than this many percent.
    public var thresholdPercent: Double
    public var metrics: [Metric]
    /// Caveats: different topologies or offered rates, missing sections.
    public var notes: [String]

    public var regressions: [Metric] { metrics.filter(\.regression) }

    /// Builds one metric row and judges it against the threshold.
    static func metric(
        _ name: String, unit: String, _ a: Double?, _ b: Double?, _ direction: Direction, thresholdPercent: Double
    ) -> Metric {
        var row = Metric(
            name: name, unit: unit, a: a, b: b, direction: direction, changePercent: nil, regression: false,
            improvement: false, note: nil)
        guard let a, let b, a.isFinite, b.isFinite else {
            row.note = a == nil ? "only in B" : (b == nil ? "only in A" : "not a number")
            return row
        }
        if a == 0 {
            if b == 0 {
                row.changePercent = 0
            } else {
                // From nothing to something: no percentage, but the direction still counts.
                row.note = "was 0"
                let worse = direction == .higherIsBetter ? b < 0 : b > 0
                row.regression = direction != .neutral && worse
                row.improvement = direction != .neutral && !worse
            }
            return row
        }
        let change = (b - a) * 100 / abs(a)
        row.changePercent = change
        switch direction {
        case .higherIsBetter:
            row.regression = change < -thresholdPercent
            row.improvement = change > thresholdPercent
        case .lowerIsBetter:
            row.regression = change > thresholdPercent
            row.improvement = change < -thresholdPercent
        case .neutral: break
        }
        return row
    }
}

/// Builds and renders ``Comparison``s.
public enum ResultComparison {
    public static let defaultThresholdPercent = 5.0

    /// Parses "5%", "5 %" or "5" (percent); refuses negatives, NaN and more than 1000 %.
    public static func parseThreshold(_ text: String) -> Double? {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") { trimmed = String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) }
        guard let value = Double(trimmed), value.isFinite, value >= 0, value <= 1000 else { return nil }
        return value
    }

    public static func compare(
        _ a: RunResult, _ b: RunResult, labelA: String = "A", labelB: String = "B",
        thresholdPercent: Double = defaultThresholdPercent
    ) -> Comparison {
        var metrics: [Comparison.Metric] = []
        func add(_ name: String, _ unit: String, _ x: Double?, _ y: Double?, _ direction: Comparison.Direction) {
            metrics.append(Comparison.metric(name, unit: unit, x, y, direction, thresholdPercent: thresholdPercent))
        }
        add("offered", "tx/s", a.offeredTps, b.offeredTps, .neutral)
        add("achieved", "tx/s", a.achievedTps, b.achievedTps, .higherIsBetter)
        add("committed", "tx/s", a.committedTps, b.committedTps, .higherIsBetter)
        func failedShare(_ result: RunResult) -> Double? {
            result.counts.offered == 0 ? nil : Double(result.counts.failed) / Double(result.counts.offered) * 100
        }
        add("failed (rejected + dropped + timed out)", "% of offered", failedShare(a), failedShare(b), .lowerIsBetter)
        let kinds = Set(a.latencyMillis.keys).union(b.latencyMillis.keys).sorted {
            ($0 == LatencyKind.localCommit.rawValue ? 0 : 1, $0) < ($1 == LatencyKind.localCommit.rawValue ? 0 : 1, $1)
        }
        for kind in kinds {
            let left = a.latencyMillis[kind].flatMap { $0.count > 0 ? $0 : nil }
            let right = b.latencyMillis[kind].flatMap { $0.count > 0 ? $0 : nil }
            for percentile in LatencyPercentile.allCases {
                add(
                    "\(kind) latency \(percentile.label)", "ms", left?.value(at: percentile),
                    right?.value(at: percentile), .lowerIsBetter)
            }
        }
        for region in Set(a.regions.map(\.name)).union(b.regions.map(\.name)).sorted()
        where a.regions.count > 1 || b.regions.count > 1 {
            add(
                "region \(region) committed", "tx/s", a.regions.first { $0.name == region }?.committedTps,
                b.regions.first { $0.name == region }?.committedTps, .higherIsBetter)
        }
        func cpu(_ result: RunResult, _ pick: ([Double]) -> Double?) -> Double? {
            pick(result.nodes.map { $0.cpuUtilization * 100 })
        }
        let mean: ([Double]) -> Double? = { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) }
        add("node CPU mean", "%", cpu(a, mean), cpu(b, mean), .lowerIsBetter)
        add("node CPU max", "%", cpu(a, { $0.max() }), cpu(b, { $0.max() }), .lowerIsBetter)
        if a.global != nil || b.global != nil {
            add("globally final", "tx/s", a.global?.globalFinalTps, b.global?.globalFinalTps, .higherIsBetter)
        }
        var notes: [String] = []
        if a.topology.name != b.topology.name {
            notes.append("The results are of different topologies: \(a.topology.name) and \(b.topology.name).")
        }
        if let offered = metrics.first, let change = offered.changePercent, abs(change) > thresholdPercent {
            notes.append(
                "The offered rate differs by \(Format.fixed(change, 1)) %: throughput and latency changes partly "
                    + "reflect the different load, not only the system.")
        }
        if a.runtime != b.runtime {
            notes.append("A ran on the \(a.runtime.rawValue) runtime, B on the \(b.runtime.rawValue) runtime.")
        }
        return Comparison(
            labelA: labelA, labelB: labelB, thresholdPercent: thresholdPercent, metrics: metrics, notes: notes)
    }

    public static func compare(
        _ a: CapacityResult, _ b: CapacityResult, labelA: String = "A", labelB: String = "B",
        thresholdPercent: Double = defaultThresholdPercent
    ) -> Comparison {
        var metrics: [Comparison.Metric] = []
        func add(_ name: String, _ unit: String, _ x: Double?, _ y: Double?, _ direction: Comparison.Direction) {
            metrics.append(Comparison.metric(name, unit: unit, x, y, direction, thresholdPercent: thresholdPercent))
        }
        add("sustainable rate", "tx/s", a.sustainableTps, b.sustainableTps, .higherIsBetter)
        add("recommended rate", "tx/s", a.recommendedTps, b.recommendedTps, .higherIsBetter)
        add("knee", "tx/s", a.kneeTps, b.kneeTps, .higherIsBetter)
        let confirmA = a.probes.last { $0.phase == "confirm" }
        let confirmB = b.probes.last { $0.phase == "confirm" }
        add("confirm run p50", "ms", confirmA?.p50Millis, confirmB?.p50Millis, .lowerIsBetter)
        add("confirm run p99", "ms", confirmA?.p99Millis, confirmB?.p99Millis, .lowerIsBetter)
        add("probes", "runs", Double(a.probes.count), Double(b.probes.count), .neutral)
        var notes: [String] = []
        if a.slo != b.slo { notes.append("The searches used different SLOs: \(a.slo) and \(b.slo).") }
        if a.topology.name != b.topology.name {
            notes.append("The searches are of different topologies: \(a.topology.name) and \(b.topology.name).")
        }
        return Comparison(
            labelA: labelA, labelB: labelB, thresholdPercent: thresholdPercent, metrics: metrics, notes: notes)
    }

    // MARK: - Rendering

    static let header = ["metric", "unit", "A", "B", "change", "verdict"]

    static func rows(_ comparison: Comparison) -> [[String]] {
        comparison.metrics.map { metric in
            let change =
                metric.changePercent.map { ($0 > 0 ? "+" : "") + Format.fixed($0, 2) + " %" } ?? (metric.note ?? "-")
            let verdict: String
            if metric.regression {
                verdict = "REGRESSION"
            } else if metric.improvement {
                verdict = "better"
            } else {
                verdict = metric.direction == .neutral ? "(context)" : "within threshold"
            }
            return [metric.name, metric.unit, value(metric.a), value(metric.b), change, verdict]
        }
    }

    static func value(_ number: Double?) -> String {
        guard let number else { return "-" }
        return Format.fixed(number, abs(number) >= 100 ? 1 : 3)
    }

    static func thresholdSentence(_ comparison: Comparison) -> String {
        "A metric is flagged as a regression when it moved the wrong way by more than "
            + "\(Format.fixed(comparison.thresholdPercent, 1)) % of A (throughput down, latency, failures or CPU up); "
            + "'better' when it moved the right way by more than that."
    }

    static func verdictSentence(_ comparison: Comparison) -> String {
        let regressions = comparison.regressions
        if regressions.isEmpty { return "No regression beyond \(Format.fixed(comparison.thresholdPercent, 1)) %." }
        return "\(regressions.count) regression(s) beyond \(Format.fixed(comparison.thresholdPercent, 1)) %: "
            + regressions.map(\.name).joined(separator: ", ") + "."
    }

    /// The terminal table with A and B named, the threshold stated and the verdict.
    public static func text(_ comparison: Comparison) -> String {
        // Labels and notes may carry names from the files: no control characters reach the terminal.
        func clean(_ text: String) -> String {
            String(
                String.UnicodeScalarView(
                    text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
        }
        var lines = ["A: \(clean(comparison.labelA))", "B: \(clean(comparison.labelB))", ""]
        lines.append(PlainTable.render(header: header, rows: rows(comparison), labelColumns: 2))
        lines.append("")
        for note in comparison.notes { lines.append("note: " + clean(note)) }
        lines.append(thresholdSentence(comparison))
        lines.append(clean(verdictSentence(comparison)))
        return lines.joined(separator: "\n") + "\n"
    }

    public static func html(_ comparison: Comparison) -> String {
        var body = "<h1>GridLedger comparison</h1>\n"
        body += HTMLText.facts([("A", comparison.labelA), ("B", comparison.labelB)])
        let verdictClass = comparison.regressions.isEmpty ? "recommendation" : "warning"
        body += "<p class=\"\(verdictClass)\">\(HTMLText.escape(verdictSentence(comparison)))</p>\n"
        for note in comparison.notes { body += "<p class=\"warning\">\(HTMLText.escape(note))</p>\n" }
        body += "<h2>Change from A to B</h2>\n"
        body += changeChart(comparison)
        body += "<h2>Metrics</h2>\n"
        body += HTMLText.table(
            header: header, rows: rows(comparison), labelColumns: 2,
            rowClasses: comparison.metrics.map { $0.regression ? "regression" : ($0.improvement ? "improvement" : "") })
        body += "<p>\(HTMLText.escape(thresholdSentence(comparison)))</p>\n"
        return HTMLText.page(title: "GridLedger comparison", body: body)
    }

    /// Each metric's change as a bar: red for a regression, green for an improvement, grey otherwise.
    static func changeChart(_ comparison: Comparison) -> String {
        let bars = comparison.metrics.compactMap { metric -> BarChart.Bar? in
            guard let change = metric.changePercent else { return nil }
            let color = metric.regression ? Palette.fault : (metric.improvement ? Palette.committed : Palette.offered)
            return BarChart.Bar(
                label: metric.name, value: change, color: color,
                note: (change > 0 ? "+" : "") + Format.fixed(change, 2) + " %")
        }
        let chart = BarChart(
            id: "compare-change", title: "Change of each metric from A to B", axisTitle: "change from A to B (%)",
            bars: bars)
        return chart.svg(formatValue: { Format.fixed($0, 2) + " %" })
            ?? HTMLText.missing("No metric is present in both results.")
    }
}

extension RunReport {
    /// Most rows of the over-time table; longer series are shown in merged rows of several intervals.
    static let timeSeriesRowsMax = 40

    /// The run over time in at most ``timeSeriesRowsMax`` rows (consecutive intervals merged when longer: rates
    /// averaged, p99 the worst interval's), faults in the row they fell in. nil without a time series.
    static func timeSeriesTable(_ result: RunResult) -> TextTable? {
        guard let series = result.timeSeries, !series.total.isEmpty else { return nil }
        let group = (series.total.count + timeSeriesRowsMax - 1) / timeSeriesRowsMax
        var table = TextTable(header: [
            "from s", "offered tx/s", "achieved", "committed", "p50 ms (worst)", "p99 ms (worst)", "max ms", "faults",
        ])
        for start in stride(from: 0, to: series.total.count, by: group) {
            let points = series.total[start..<min(start + group, series.total.count)]
            let count = Double(points.count)
            let latencies = points.compactMap(\.localCommitMillis)
            let from = points.first?.startSeconds ?? 0
            let until = from + count * series.intervalSeconds
            let faults = series.faults.filter { $0.atSeconds >= from && $0.atSeconds < until }
                .map { "\($0.kind) \($0.target)" }
            table.append([
                NumberText.fixed(from, decimals: series.intervalSeconds < 1 ? 2 : 0),
                NumberText.fixed(points.map(\.offeredTps).reduce(0, +) / count, decimals: 0),
                NumberText.fixed(points.map(\.achievedTps).reduce(0, +) / count, decimals: 0),
                NumberText.fixed(points.map(\.committedTps).reduce(0, +) / count, decimals: 0),
                latencies.isEmpty ? "-" : NumberText.fixed(latencies.map(\.p50).max() ?? 0, decimals: 1),
                latencies.isEmpty ? "-" : NumberText.fixed(latencies.map(\.p99).max() ?? 0, decimals: 1),
                latencies.isEmpty ? "-" : NumberText.fixed(latencies.map(\.max).max() ?? 0, decimals: 1),
                faults.isEmpty ? "" : faults.joined(separator: "; "),
            ])
        }
        return table
    }
}

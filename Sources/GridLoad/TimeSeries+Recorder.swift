extension TimeSeries {
    /// The series a finished run's recorder kept, with the runtime's per-node figures and fault marks.
    ///
    /// - Parameters:
    ///   - runNanos: How long the run went on (warm-up, window, cool-down and drain): the series covers it all.
    ///   - withGlobal: Whether the run had a global layer (only then do points carry global-finality figures).
    public init(
        recorder: OutcomeRecorder, runNanos: UInt64, withGlobal: Bool, nodes: [NodeTimeSeries] = [],
        faults: [FaultMark] = []
    ) {
        let series = recorder.timeSeries
        let wanted = Int(min(UInt64(series.intervalsMax), (runNanos + series.intervalNanos - 1) / series.intervalNanos))
        let built = series.series(regionNames: recorder.regions, intervalCount: wanted, withGlobal: withGlobal)
        self.init(
            intervalSeconds: Double(series.intervalNanos) / 1e9, total: built.total, regions: built.regions,
            nodes: nodes,
            faults: faults.sorted { ($0.atSeconds, $0.kind, $0.target) < ($1.atSeconds, $1.kind, $1.target) })
        eventsBeyondLastInterval = series.eventsBeyondLastInterval > 0 ? series.eventsBeyondLastInterval : nil
    }

    /// A copy with every number rounded to the result's fixed decimals (``RunResult/Decimals``) and nodes sorted by
    /// id, so that identical runs give identical bytes.
    public func normalized() throws -> TimeSeries {
        typealias Decimals = RunResult.Decimals
        func round(_ value: Double, _ decimals: Int, _ field: String) throws -> Double {
            try RunResult.roundForJSON(value, decimals, "timeSeries." + field)
        }
        func latency(_ value: IntervalLatency?, _ field: String) throws -> IntervalLatency? {
            guard let value else { return nil }
            return IntervalLatency(
                p50: try round(value.p50, Decimals.millis, field + ".p50"),
                p99: try round(value.p99, Decimals.millis, field + ".p99"),
                max: try round(value.max, Decimals.millis, field + ".max"), count: value.count)
        }
        func points(_ points: [TimeSeriesPoint], _ field: String) throws -> [TimeSeriesPoint] {
            try points.enumerated().map { index, point in
                let at = "\(field)[\(index)]"
                return TimeSeriesPoint(
                    startSeconds: try round(point.startSeconds, Decimals.seconds, at + ".startSeconds"),
                    offeredTps: try round(point.offeredTps, Decimals.tps, at + ".offeredTps"),
                    achievedTps: try round(point.achievedTps, Decimals.tps, at + ".achievedTps"),
                    committedTps: try round(point.committedTps, Decimals.tps, at + ".committedTps"),
                    localCommitMillis: try latency(point.localCommitMillis, at + ".localCommitMillis"),
                    globalFinalityMillis: try latency(point.globalFinalityMillis, at + ".globalFinalityMillis"),
                    rejectedTps: try point.rejectedTps.map { try round($0, Decimals.tps, at + ".rejectedTps") },
                    droppedTps: try point.droppedTps.map { try round($0, Decimals.tps, at + ".droppedTps") },
                    timedOutTps: try point.timedOutTps.map { try round($0, Decimals.tps, at + ".timedOutTps") })
            }
        }
        var copy = self
        copy.intervalSeconds = try round(intervalSeconds, Decimals.seconds, "intervalSeconds")
        copy.total = try points(total, "total")
        for (name, series) in regions { copy.regions[name] = try points(series, "regions[\(name)]") }
        copy.nodes = try nodes.sorted { ($0.id, $0.region) < ($1.id, $1.region) }.map { node in
            var node = node
            node.cpuUtilization = try node.cpuUtilization.enumerated().map {
                try round($0.element, Decimals.utilization, "nodes[\(node.id)].cpuUtilization[\($0.offset)]")
            }
            return node
        }
        copy.faults = try faults.map {
            FaultMark(
                atSeconds: try round($0.atSeconds, Decimals.seconds, "faults.atSeconds"), kind: $0.kind,
                target: $0.target)
        }
        return copy
    }
}

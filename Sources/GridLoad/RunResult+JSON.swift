import Foundation

extension RunResult {
    /// Decimal places written for each kind of number. Fixed so that output is stable and diffs are meaningful:
    /// milliseconds to the microsecond, utilisation to 0.01 %, rates to 0.001 tx/s, seconds to the microsecond.
    public enum Decimals {
        public static let millis = 3
        public static let utilization = 4
        public static let tps = 3
        public static let seconds = 6
    }

    /// `result.json`: sorted keys, pretty-printed, numbers rounded to ``Decimals``, regions sorted by name and
    /// nodes by id. Without the wall clock, identical inputs give identical bytes.
    ///
    /// Throws ``LoadError/nonFiniteValue(field:)`` for a NaN or infinite number rather than writing invalid JSON.
    public func jsonData(includeWallClock: Bool = true) throws -> Data {
        var result = try normalized()
        if !includeWallClock { result.wallClock = nil }
        return try Self.encoder.encode(result)
    }

    /// Reads a `result.json`, refusing schema versions this code does not know.
    public static func decode(jsonData data: Data) throws -> RunResult {
        struct VersionOnly: Decodable { var schemaVersion: Int }
        let version = try JSONDecoder().decode(VersionOnly.self, from: data).schemaVersion
        guard version == currentSchemaVersion else {
            throw LoadError.invalidConfiguration(
                "result.json has schemaVersion \(version); this build reads \(currentSchemaVersion)")
        }
        return try JSONDecoder().decode(RunResult.self, from: data)
    }

    /// A copy with every number rounded to its fixed decimals and every list in a canonical order.
    public func normalized() throws -> RunResult {
        var copy = self
        copy.offeredTps = try Self.round(offeredTps, Decimals.tps, "offeredTps")
        copy.achievedTps = try Self.round(achievedTps, Decimals.tps, "achievedTps")
        copy.committedTps = try Self.round(committedTps, Decimals.tps, "committedTps")
        for (kind, summary) in latencyMillis {
            let field = "latencyMillis.\(kind)"
            copy.latencyMillis[kind] = LatencySummary(
                p50: try Self.round(summary.p50, Decimals.millis, field + ".p50"),
                p90: try Self.round(summary.p90, Decimals.millis, field + ".p90"),
                p99: try Self.round(summary.p99, Decimals.millis, field + ".p99"),
                p999: try Self.round(summary.p999, Decimals.millis, field + ".p999"),
                max: try Self.round(summary.max, Decimals.millis, field + ".max"), count: summary.count)
        }
        copy.windowSeconds = WindowSeconds(
            warmup: try Self.round(windowSeconds.warmup, Decimals.seconds, "windowSeconds.warmup"),
            measured: try Self.round(windowSeconds.measured, Decimals.seconds, "windowSeconds.measured"),
            cooldown: try Self.round(windowSeconds.cooldown, Decimals.seconds, "windowSeconds.cooldown"))
        copy.regions = try regions.sorted { $0.name < $1.name }.map { region in
            var region = region
            let field = "regions[\(region.name)]"
            region.offeredTps = try Self.round(region.offeredTps, Decimals.tps, field + ".offeredTps")
            region.achievedTps = try Self.round(region.achievedTps, Decimals.tps, field + ".achievedTps")
            region.committedTps = try Self.round(region.committedTps, Decimals.tps, field + ".committedTps")
            return region
        }
        copy.nodes = try nodes.sorted { ($0.id, $0.region) < ($1.id, $1.region) }.map { node in
            var node = node
            node.cpuUtilization = try Self.round(
                node.cpuUtilization, Decimals.utilization, "nodes[\(node.id)].cpuUtilization")
            return node
        }
        copy.simulation.virtualSeconds = try Self.round(
            simulation.virtualSeconds, Decimals.seconds, "simulation.virtualSeconds")
        copy.workload = try workload?.normalized()
        copy.global = try global?.normalized()
        copy.timeSeries = try timeSeries?.normalized()
        if var wallClock {
            wallClock.elapsedSeconds = try Self.round(wallClock.elapsedSeconds, 3, "wallClock.elapsedSeconds")
            wallClock.virtualSecondsPerWallSecond = try Self.round(
                wallClock.virtualSecondsPerWallSecond, 3, "wallClock.virtualSecondsPerWallSecond")
            copy.wallClock = wallClock
        }
        return copy
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    static func roundForJSON(_ value: Double, _ decimals: Int, _ field: String) throws -> Double {
        try round(value, decimals, field)
    }

    private static func round(_ value: Double, _ decimals: Int, _ field: String) throws -> Double {
        guard value.isFinite else { throw LoadError.nonFiniteValue(field: field) }
        // Exact powers of ten from a table: the rounding must not depend on how `pow` rounds.
        let scales: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
        let scale = scales[min(max(decimals, 0), scales.count - 1)]
        let rounded = (value * scale).rounded() / scale
        // -0 would print as "-0": same value, different bytes.
        return rounded == 0 ? 0 : rounded
    }
}

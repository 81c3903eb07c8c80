import Foundation

extension CapacityResult {
    /// `capacity.json`: sorted keys, numbers rounded like `result.json` (``RunResult/Decimals``), so the same
    /// search gives the same bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(try normalized())
    }

    public static func decode(jsonData data: Data) throws -> CapacityResult {
        struct VersionOnly: Decodable { var schemaVersion: Int }
        let version = try JSONDecoder().decode(VersionOnly.self, from: data).schemaVersion
        guard version == currentSchemaVersion else {
            throw LoadError.invalidConfiguration(
                "capacity.json has schemaVersion \(version); this build reads \(currentSchemaVersion)")
        }
        return try JSONDecoder().decode(CapacityResult.self, from: data)
    }

    public func normalized() throws -> CapacityResult {
        typealias Decimals = RunResult.Decimals
        func round(_ value: Double, _ decimals: Int, _ field: String) throws -> Double {
            try RunResult.roundForJSON(value, decimals, field)
        }
        var copy = self
        copy.resolution = try round(resolution, 6, "resolution")
        copy.headroom = try round(headroom, 6, "headroom")
        copy.sustainableTps = try round(sustainableTps, Decimals.tps, "sustainableTps")
        copy.recommendedTps = try round(recommendedTps, Decimals.tps, "recommendedTps")
        copy.kneeTps = try kneeTps.map { try round($0, Decimals.tps, "kneeTps") }
        copy.probes = try probes.enumerated().map { index, probe in
            var probe = probe
            let field = "probes[\(index)]"
            probe.offeredTps = try round(probe.offeredTps, Decimals.tps, field + ".offeredTps")
            probe.achievedTps = try round(probe.achievedTps, Decimals.tps, field + ".achievedTps")
            probe.committedTps = try round(probe.committedTps, Decimals.tps, field + ".committedTps")
            probe.latencyMillis = try round(probe.latencyMillis, Decimals.millis, field + ".latencyMillis")
            probe.p50Millis = try round(probe.p50Millis, Decimals.millis, field + ".p50Millis")
            probe.p99Millis = try round(probe.p99Millis, Decimals.millis, field + ".p99Millis")
            probe.failureShare = try round(probe.failureShare, 6, field + ".failureShare")
            probe.busiestNodeCPU = try round(probe.busiestNodeCPU, Decimals.utilization, field + ".busiestNodeCPU")
            return probe
        }
        return copy
    }

    /// `capacity.md`: the answer, the probes in the order they ran, and the latency-versus-rate curve.
    public func markdown() -> String {
        func tps(_ value: Double) -> String { NumberText.fixed(value, decimals: value >= 100 ? 0 : 2) }
        func millis(_ value: Double) -> String { NumberText.fixed(value, decimals: 3) }
        var lines: [String] = []
        lines.append("# Capacity of \(topology.name) under \(slo) (\(latencyKind))")
        lines.append("")
        lines.append(recommendation)
        lines.append("")
        var summary = TextTable(header: ["", "value"])
        summary.append(["topology", "\(topology.name) (\(topology.file))"])
        summary.append(["runtime, seed", "\(runtime.rawValue), \(seed)"])
        summary.append(["SLO", "\(slo) on \(latencyKind); achieved >= 99 % of offered; failures <= 0.1 %"])
        summary.append(["sustainable rate", "\(tps(sustainableTps)) tx/s"])
        summary.append(["knee", kneeTps.map { "\(tps($0)) tx/s" } ?? "not seen within the probes"])
        summary.append([
            "recommended (headroom \(NumberText.fixed(headroom * 100, decimals: 0)) %)", "\(tps(recommendedTps)) tx/s",
        ])
        summary.append(["limited by", limitedBy])
        summary.append(["resolution", "\(NumberText.fixed(resolution * 100, decimals: 1)) %"])
        lines.append(summary.markdown())
        lines.append("")
        lines.append("## Probes, in the order they ran")
        lines.append("")
        var table = TextTable(header: [
            "#", "phase", "offered tx/s", "achieved", "committed", "SLO latency ms", "p50 ms", "p99 ms", "failures",
            "meets", "failed", "busiest node (CPU)", "inbox peak", "result",
        ])
        for (index, probe) in probes.enumerated() {
            table.append([
                "\(index + 1)", probe.phase, tps(probe.offeredTps), tps(probe.achievedTps), tps(probe.committedTps),
                millis(probe.latencyMillis), millis(probe.p50Millis), millis(probe.p99Millis),
                NumberText.fixed(probe.failureShare * 100, decimals: 3) + " %", probe.meetsSLO ? "yes" : "no",
                probe.failed.isEmpty ? "-" : probe.failed.joined(separator: ", "),
                "\(probe.busiestNode) (\(NumberText.fixed(probe.busiestNodeCPU * 100, decimals: 1)) %)",
                "\(probe.queuePeakMax)", "\(probe.resultDirectory)/result.json",
            ])
        }
        lines.append(table.markdown())
        lines.append("")
        lines.append("## Latency versus offered rate")
        lines.append("")
        var curve = TextTable(header: ["offered tx/s", "committed tx/s", "p50 ms", "p99 ms", "SLO latency ms", "meets"])
        let sorted = probes.filter { $0.phase != CapacitySearch.Phase.confirm.rawValue }
            .sorted { $0.offeredTps < $1.offeredTps }
        for probe in sorted {
            curve.append([
                tps(probe.offeredTps), tps(probe.committedTps), millis(probe.p50Millis), millis(probe.p99Millis),
                millis(probe.latencyMillis), probe.meetsSLO ? "yes" : "no",
            ])
        }
        lines.append(curve.markdown())
        lines.append("")
        return lines.joined(separator: "\n")
    }
}

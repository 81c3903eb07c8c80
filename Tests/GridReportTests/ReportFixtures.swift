import Foundation
import GridLoad

/// A name that would break out of HTML if it were not escaped.
let hostileName = "<script>alert('x')</script>&\"r"

/// A constructed run: two regions, a 1 s time series with a latency spike after a crash fault, per-node series.
func constructedRun(
    name: String = "two-regions", region: String = "north", committedTps: Double = 950, p99: Double = 40,
    withTimeSeries: Bool = true, rejectReason: String = "nonce replay"
) -> RunResult {
    let latency = LatencySummary(p50: 12.5, p90: 25, p99: p99, p999: p99 * 2, max: p99 * 5, count: 9_500)
    var result = RunResult(
        topology: RunResult.TopologyReference(name: name, file: "topologies/\(name).yaml"), seed: 7,
        runtime: .simulator, cpuMode: .model, offeredTps: 1000, achievedTps: 990, committedTps: committedTps,
        counts: OutcomeCounts(
            offered: 10_000, sent: 9_900, committed: 9_500, rejected: 300, dropped: 100, timedOut: 100),
        rejectReasons: [rejectReason: 300], latencyMillis: [LatencyKind.localCommit.rawValue: latency],
        windowSeconds: RunResult.WindowSeconds(warmup: 2, measured: 10, cooldown: 1),
        regions: [
            RunResult.RegionResult(
                name: region, counts: OutcomeCounts(offered: 5_000), offeredTps: 500, achievedTps: 495,
                committedTps: committedTps / 2),
            RunResult.RegionResult(
                name: "south", counts: OutcomeCounts(offered: 5_000), offeredTps: 500, achievedTps: 495,
                committedTps: committedTps / 2),
        ],
        nodes: [
            RunResult.NodeResult(
                id: "\(region)/v0", region: region, cpuUtilization: 0.62, queuePeak: 40, bytesSent: 1 << 20,
                lmdbBytesWritten: nil, committedHeight: 120),
            RunResult.NodeResult(
                id: "south/v0", region: "south", cpuUtilization: 0.31, queuePeak: 12, bytesSent: 1 << 19,
                lmdbBytesWritten: nil, committedHeight: 118),
        ],
        simulation: RunResult.SimulationStats(virtualSeconds: 14, eventsProcessed: 123_456), wallClock: nil)
    guard withTimeSeries else { return result }
    var total: [TimeSeriesPoint] = []
    var regionPoints: [String: [TimeSeriesPoint]] = [region: [], "south": []]
    for second in 0..<13 {
        let stalled = second == 6 || second == 7
        let committed = stalled ? 100.0 : 1000
        let latency = IntervalLatency(
            p50: stalled ? 400 : 12, p99: stalled ? 1800 : 38, max: stalled ? 2100 : 60, count: UInt64(committed))
        total.append(
            TimeSeriesPoint(
                startSeconds: Double(second), offeredTps: 1000, achievedTps: 990, committedTps: committed,
                localCommitMillis: latency))
        for name in [region, "south"] {
            regionPoints[name, default: []].append(
                TimeSeriesPoint(
                    startSeconds: Double(second), offeredTps: 500, achievedTps: 495, committedTps: committed / 2,
                    localCommitMillis: latency))
        }
    }
    result.timeSeries = TimeSeries(
        intervalSeconds: 1, total: total, regions: regionPoints,
        nodes: [
            NodeTimeSeries(
                id: "\(region)/v0", region: region, cpuUtilization: (0..<13).map { $0 == 6 ? 0 : 0.6 },
                queueDepthMax: (0..<13).map { UInt64($0 * 3) }),
            NodeTimeSeries(
                id: "south/v0", region: "south", cpuUtilization: Array(repeating: 0.3, count: 13),
                queueDepthMax: Array(repeating: 4, count: 13)),
        ],
        faults: [
            FaultMark(atSeconds: 6, kind: "crash", target: "\(region)/v0"),
            FaultMark(atSeconds: 8, kind: "restart", target: "\(region)/v0"),
        ])
    return result
}

func constructedCapacity(name: String = "default", recommendation: String? = nil) -> CapacityResult {
    func probe(_ phase: String, _ offered: Double, p99: Double, meets: Bool) -> CapacityProbe {
        CapacityProbe(
            phase: phase, offeredTps: offered, achievedTps: offered, committedTps: meets ? offered : offered * 0.8,
            latencyMillis: p99, p50Millis: p99 / 3, p99Millis: p99, failureShare: meets ? 0 : 0.02, meetsSLO: meets,
            failed: meets ? [] : ["latency"], busiestNode: "r0/v0", busiestNodeCPU: min(1, offered / 12_000),
            queuePeakMax: UInt64(offered / 100), resultDirectory: "probes/\(phase)-\(Int(offered))")
    }
    let probes = [
        probe("bracket", 2_000, p99: 30, meets: true), probe("bracket", 4_000, p99: 45, meets: true),
        probe("bracket", 8_000, p99: 70, meets: true), probe("bracket", 16_000, p99: 2_500, meets: false),
        probe("bisect", 12_000, p99: 400, meets: false), probe("bisect", 10_000, p99: 95, meets: true),
        probe("bisect", 11_000, p99: 160, meets: false), probe("confirm", 10_000, p99: 96, meets: true),
    ]
    return CapacityResult(
        topology: RunResult.TopologyReference(name: name, file: "topologies/\(name).yaml"), runtime: .simulator,
        seed: 1, slo: "p99<=100ms", latencyKind: "localCommit", resolution: 0.02, sustainableTps: 10_000,
        kneeTps: 9_000, recommendedTps: 8_000, headroom: 0.2, limitedBy: "CPU of r0/v0 at 92 %",
        recommendation: recommendation
            ?? "Run default at up to 8,000 tx/s: it sustains 10,000 tx/s with p99 <= 100 ms, limited by CPU of r0/v0.",
        probes: probes)
}

func constructedSweep(cellName: String = "regions=2") -> SweepSummary {
    SweepSummary(
        spec: "sweeps/example.yaml",
        cells: [
            SweepCell(
                name: cellName, parameters: ["regions": "2", "validators": "4"], mode: .capacity, status: "done",
                sustainableTps: 9_000, recommendedTps: 7_200, offeredTps: 9_000, committedTps: 8_990, p99Millis: 88,
                resultDirectory: "cells/regions-2"),
            SweepCell(
                name: "regions=4", parameters: ["regions": "4", "validators": "4"], mode: .capacity, status: "done",
                sustainableTps: 17_500, recommendedTps: 14_000, resultDirectory: "cells/regions-4"),
            SweepCell(
                name: "rate=5000", parameters: ["rate": "5000"], mode: .run, status: "done", offeredTps: 5_000,
                committedTps: 4_990, p99Millis: 42, resultDirectory: "cells/rate-5000"),
            SweepCell(
                name: "regions=8", parameters: ["regions": "8"], mode: .capacity, status: "failed: out of memory",
                resultDirectory: "cells/regions-8"),
        ])
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gridledger-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

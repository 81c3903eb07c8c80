import Foundation
import GridLoad
import GridLoadGenerator
import Testing

extension LiveRunTests {
    /// A live run's result carries the simulator's time series: per-interval load from the generator (keyed on the
    /// planned start, the fault marks' time axis too) and per-node figures from the nodes' metrics files; its
    /// intervals add up to the generator's totals and, over the measured window, to the result's.
    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aLiveRunHasATimeSeriesThatAddsUpToItsTotals() throws {
        let faults = """

              - { atSeconds: 2, kind: crash, node: r0/v1 }
              - { atSeconds: 3, kind: restart, node: r0/v1 }
            """
        let outcome = try run(Self.topology(name: "live-series", faults: faults))
        defer { try? FileManager.default.removeItem(at: outcome.directory.deletingLastPathComponent()) }
        let result = try JSONDecoder().decode(
            RunResult.self, from: Data(contentsOf: outcome.directory.appendingPathComponent("result.json")))
        let series = try #require(result.timeSeries, "a live result has a time series")
        #expect(series.intervalSeconds == 1)
        // Warm-up 1 s + 3 s measured, then the drain: at least 4 intervals, from second 0 on the run's clock.
        #expect(series.total.count >= 4)
        #expect(series.total.first?.startSeconds == 0)
        #expect(series.total.contains { $0.committedTps > 0 })
        #expect(series.total.contains { ($0.localCommitMillis?.count ?? 0) > 0 })

        // Every phase: the generator's raw series holds each of its transactions once, with its outcome.
        let report = try LoadReport.decode(
            Data(contentsOf: outcome.directory.appendingPathComponent("deployment/load/part0.report.json")))
        let raw = try #require(report.timeSeries)
        #expect(raw.eventsBeyondLastInterval == 0)
        #expect(raw.sum.offered == report.total.offered && raw.sum.committed == report.total.committed)
        #expect(raw.sum.achieved == report.total.sent)
        #expect(raw.sum.localCommitMicros.count == report.total.committed)
        #expect(UInt64(series.total.map(\.committedTps).reduce(0, +)) == report.total.committed)
        #expect(UInt64(series.total.map(\.offeredTps).reduce(0, +)) == report.total.offered)

        // Over the measured window [1 s, 4 s): the result's offered and sent. The series is on the wall clock, the
        // window on the generator's schedule, which began `late` after the planned start (it woke from its
        // sleep then): transactions scheduled within `late` before a window edge land in the next interval.
        let late = Double(report.generator.startedAtUnixNanos / 1000 - raw.firstIntervalStartUnixMicros) / 1e6
        #expect(late >= 0 && late < 0.05, "the generator started \(late) s after the planned start")
        let slop = 2 * (500 * late + 1)
        let window = series.total.filter { $0.startSeconds >= 1 && $0.startSeconds < 4 }
        #expect(window.count == 3)
        #expect(abs(window.map(\.offeredTps).reduce(0, +) - Double(result.counts.offered)) <= slop)
        #expect(abs(window.map(\.achievedTps).reduce(0, +) - Double(result.counts.sent)) <= slop)

        // Faults on the same axis, named as the simulator names them.
        #expect(series.faults.map(\.kind) == ["crash", "restart"])
        #expect(series.faults.allSatisfy { $0.target == "r0/v1" })
        #expect(abs((series.faults.first?.atSeconds ?? 0) - 2) < 0.5)

        // Nodes: one series each, as long as the load's; the crashed node used no CPU while it was down.
        #expect(series.nodes.map(\.id).sorted() == ["r0/v0", "r0/v1", "r0/v2", "r0/v3"])
        for node in series.nodes {
            #expect(node.cpuUtilization.count == series.total.count)
            let heights = try #require(node.committedHeight)
            #expect(heights == heights.sorted(), "\(node.id) heights \(heights)")
            #expect((heights.last ?? 0) > 0)
        }
        let survivor = try #require(series.nodes.first { $0.id == "r0/v0" })
        #expect(survivor.cpuUtilization.contains { $0 > 0 })
        let victim = try #require(series.nodes.first { $0.id == "r0/v1" })
        #expect(victim.cpuUtilization[2] < 0.05, "r0/v1 was down during [2 s, 3 s): \(victim.cpuUtilization)")
        #expect(outcome.report.contains("Time series:"))
    }
}

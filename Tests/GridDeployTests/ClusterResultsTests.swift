import Foundation
import GridLoad
import GridLoadGenerator
import GridTopology
import Histogram
import Testing

@testable import GridDeploy

/// `collect`: reports of generators that ran apart, read from report files and from pod logs, merge into the
/// result one generator would have written for all the transactions. The reports here are built from recorded
/// latencies; the multi-host namespace test collects the reports of real generators.
struct ClusterResultsTests {
    static let window = try! LoadWindow(warmupNanos: 1_000_000_000, measuredNanos: 4_000_000_000)

    /// A part whose measured commits have these latencies (microseconds), plus `rejected` admission refusals.
    static func report(part: Int, parts: Int, latencies: [UInt64], rejected: UInt64, startedAt: UInt64) -> LoadReport {
        var histogram = LatencyHistogram.makeEmpty()
        for value in latencies { histogram.record(value) }
        var measured = LoadOutcomeCounts()
        measured.committed = UInt64(latencies.count)
        measured.rejected = rejected
        measured.sent = measured.committed + rejected
        measured.offered = measured.sent
        var generator = LoadReport.GeneratorStats()
        generator.startedAtUnixNanos = startedAt
        generator.wallSeconds = 5
        return LoadReport(
            parts: [part], partsTotal: parts, window: window, warmup: LoadOutcomeCounts(), measured: measured,
            cooldown: LoadOutcomeCounts(),
            regions: [LoadReport.RegionLoad(name: "r0", measured: measured, committedInWindow: measured.committed)],
            committedInWindow: measured.committed, rejectReasons: rejected > 0 ? ["stale-nonce": rejected] : [:],
            latencyLocalCommit: LatencyHistogram(histogram), generator: generator, connections: .init())
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func reports_from_files_and_pod_logs_merge_into_one_histogram_and_summed_counts() throws {
        var random = SystemRandomNumberGenerator()
        let latencies = (0..<3).map { part in
            (0..<(200 + part * 50)).map { _ in UInt64.random(in: 800...(40_000 * UInt64(part + 1)), using: &random) }
        }
        let reports = (0..<3).map {
            Self.report(
                part: $0, parts: 3, latencies: latencies[$0], rejected: UInt64($0),
                startedAt: 1_700_000_000_000_000_000 + UInt64($0) * 250_000_000)
        }
        let first = try Self.folder()
        let second = try Self.folder()
        try reports[0].jsonData().write(to: first.appendingPathComponent("part-0.report.json"))
        // `kubectl logs` of two load pods: progress lines around the framed report.
        for part in 1...2 {
            let log =
                "load part \(part)/3: measured offered 12 ...\n\(KubernetesManifests.reportBegin)\n"
                + String(decoding: try reports[part].jsonData(), as: UTF8.self)
                + "\n\(KubernetesManifests.reportEnd)\n"
            try Data(log.utf8).write(to: second.appendingPathComponent("gridledger-load-\(part)-x.log"))
        }
        try Data("unrelated".utf8).write(to: second.appendingPathComponent("notes.md"))
        let found = try ClusterResults.gather([first, second])
        #expect(found.count == 3)
        let merged = try ClusterResults.merge(found)
        #expect(merged.parts == [0, 1, 2])
        #expect(merged.measured.committed == UInt64(latencies.joined().count))
        #expect(merged.measured.rejected == 3)
        #expect(merged.rejectReasons == ["stale-nonce": 3])
        var all = LatencyHistogram.makeEmpty()
        for value in latencies.joined() { all.record(value) }
        let expected = LatencySummary(histogramMicros: all)
        #expect(merged.latencyLocalCommit.summary == expected)
        #expect(merged.latencyLocalCommit.maxValue == latencies.joined().max())
        let topology = Topology(
            name: "collect-test", regions: [Topology.Region(name: "r0", validators: 4)],
            workload: Topology.Workload(rate: .fixed(tps: 100), durationSeconds: 4))
        let result = try ClusterResults.runResult(merged, topology: topology, topologyFile: "t.yaml")
        #expect(result.runtime == .kubernetes)
        #expect(result.counts.committed == merged.measured.committed)
        #expect(abs(result.committedTps - Double(merged.committedInWindow) / 4) < 1e-9)
        #expect(abs(ClusterResults.startSpreadSeconds(found) - 0.5) < 1e-9)
        // The result reads back with the schema every other command reads.
        let decoded = try JSONDecoder().decode(RunResult.self, from: result.jsonData())
        #expect(decoded.runtime == .kubernetes)
    }

    @Test func missing_duplicate_and_foreign_parts_are_refused_by_file() throws {
        let folder = try Self.folder()
        let zero = Self.report(part: 0, parts: 2, latencies: [1000], rejected: 0, startedAt: 1)
        try zero.jsonData().write(to: folder.appendingPathComponent("a.report.json"))
        #expect(throws: CollectError.self) { try ClusterResults.merge(ClusterResults.gather([folder])) }
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
        } catch {
            #expect(error.reason.contains("lack part(s) 1 of 2"))
        }
        try zero.jsonData().write(to: folder.appendingPathComponent("b.report.json"))
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
            Issue.record("merged part 0 twice")
        } catch {
            #expect(error.reason.contains("holds part 0"))
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("b.report.json"))
        var other = Self.report(part: 1, parts: 2, latencies: [1000], rejected: 0, startedAt: 1)
        other.window = try LoadWindow(warmupNanos: 0, measuredNanos: 9_000_000_000)
        try other.jsonData().write(to: folder.appendingPathComponent("c.report.json"))
        do {
            _ = try ClusterResults.merge(ClusterResults.gather([folder]))
            Issue.record("merged two windows")
        } catch {
            #expect(error.file.hasSuffix("c.report.json") && error.reason.contains("window"))
        }
        try Data("{\"version\": 1}".utf8).write(to: folder.appendingPathComponent("c.report.json"))
        do {
            _ = try ClusterResults.gather([folder])
            Issue.record("read a broken report")
        } catch {
            #expect(error.file.hasSuffix("c.report.json") && error.reason.contains("not a load report"))
        }
        var lying = Self.report(part: 1, parts: 2, latencies: [1000, 2000], rejected: 0, startedAt: 1)
        lying.measured.committed = 5
        try lying.jsonData().write(to: folder.appendingPathComponent("c.report.json"))
        do {
            _ = try ClusterResults.gather([folder])
            Issue.record("read a report that does not add up")
        } catch {
            #expect(error.reason.contains("does not add up"))
        }
        let empty = try Self.folder()
        #expect(throws: CollectError.self) { try ClusterResults.gather([empty]) }
    }
}

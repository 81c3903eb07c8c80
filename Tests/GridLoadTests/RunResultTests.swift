import Foundation
import GridLoad
import Testing

@Suite struct RunResultTests {
    private let wallClockA = RunResult.WallClock(
        startedAt: Date(timeIntervalSince1970: 1_700_000_000), elapsedSeconds: 2.5, virtualSeconds: 6.2,
        machine: "ci-runner, 2 cores", gitCommit: "abc123")
    private let wallClockB = RunResult.WallClock(
        startedAt: Date(timeIntervalSince1970: 1_800_000_000), elapsedSeconds: 3.25, virtualSeconds: 6.2,
        machine: "laptop, 8 cores", gitCommit: "def456")

    @Test func sameSeedGivesByteIdenticalJSONWithoutWallClock() throws {
        let first = try syntheticRun(seed: 42, wallClock: wallClockA)
        let second = try syntheticRun(seed: 42, wallClock: wallClockB)
        let firstBytes = try first.jsonData(includeWallClock: false)
        #expect(firstBytes == (try second.jsonData(includeWallClock: false)))
        #expect(try first.jsonData() != (try second.jsonData()))
        let text = try #require(String(data: firstBytes, encoding: .utf8))
        #expect(!text.contains("wallClock"))
        #expect(
            try String(data: first.jsonData(), encoding: .utf8)!.contains("\"startedAt\" : \"2023-11-14T22:13:20Z\""))
        #expect(try syntheticRun(seed: 43).jsonData(includeWallClock: false) != firstBytes)
    }

    @Test func nodeAndRegionOrderDoNotChangeTheBytes() throws {
        let result = try syntheticRun(seed: 5)
        var shuffled = result
        shuffled.nodes.reverse()
        shuffled.regions.reverse()
        #expect(try result.jsonData() == (try shuffled.jsonData()))
    }

    @Test func jsonHasTheSchemaFieldsRoundedAndSorted() throws {
        let result = try syntheticRun(seed: 7, wallClock: wallClockA)
        let data = try result.jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let expectedKeys: Set<String> = [
            "schemaVersion", "topology", "seed", "runtime", "cpuMode", "offeredTps", "achievedTps", "committedTps",
            "counts", "rejectReasons", "latencyMillis", "windowSeconds", "regions", "nodes", "simulation", "wallClock",
        ]
        #expect(Set(object.keys) == expectedKeys)
        #expect(object["schemaVersion"] as? Int == 1)
        #expect(object["runtime"] as? String == "simulator")
        #expect(object["cpuMode"] as? String == "model")
        let counts = try #require(object["counts"] as? [String: Any])
        #expect(Set(counts.keys) == ["offered", "sent", "committed", "rejected", "dropped", "timedOut"])
        let latency = try #require((object["latencyMillis"] as? [String: Any])?["localCommit"] as? [String: Any])
        #expect(Set(latency.keys) == ["p50", "p90", "p99", "p999", "max", "count"])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["id"] as? String } == ["north-0", "south-0"])
        #expect(nodes.map { $0["cpuUtilization"] as? Double } == [0.3333, 0.5123])
        #expect(nodes.allSatisfy { $0["peakMemoryBytes"] == nil })

        // Keys are written sorted, so "achievedTps" comes before "committedTps" and "wallClock" is last.
        let text = try #require(String(data: data, encoding: .utf8))
        let achieved = try #require(text.range(of: "\"achievedTps\""))
        let committed = try #require(text.range(of: "\"committedTps\""))
        #expect(achieved.lowerBound < committed.lowerBound)
        #expect(text.hasSuffix("}"))

        let decoded = try RunResult.decode(jsonData: data)
        #expect(decoded == (try result.normalized()))
    }

    @Test func resultCountsAddUpAndMatchTheRecorder() throws {
        let result = try syntheticRun(seed: 9)
        let counts = result.counts
        #expect(counts.committed + counts.rejected + counts.dropped + counts.timedOut == counts.offered)
        #expect(result.rejectReasons.values.reduce(0, +) == counts.rejected)
        #expect(result.regions.map(\.counts).reduce(OutcomeCounts(), +) == counts)
        #expect(result.latency(.localCommit)?.count == counts.committed)
        #expect(result.windowSeconds == .init(warmup: 1, measured: 4, cooldown: 1))
        #expect(result.offeredTps == Double(counts.offered) / 4)
    }

    @Test func resultRefusesUnfinishedRecorders() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        _ = try recorder.scheduled(atNanos: 0, region: "r0")
        #expect(throws: LoadError.transactionsInFlight(count: 1)) {
            _ = try RunResult(
                recorder: recorder, topology: .init(name: "t", file: "t.yaml"), seed: 1, cpuMode: .model, nodes: [],
                simulation: .init(virtualSeconds: 1, eventsProcessed: 1))
        }
    }

    @Test func nonFiniteNumbersAreAnErrorNotInvalidJSON() throws {
        var result = try syntheticRun(seed: 1)
        result.nodes[0].cpuUtilization = .nan
        #expect(throws: LoadError.nonFiniteValue(field: "nodes[south-0].cpuUtilization")) {
            _ = try result.jsonData()
        }
    }

    @Test func unknownSchemaVersionIsRefused() throws {
        var result = try syntheticRun(seed: 1)
        result.schemaVersion = 2
        let data = try result.jsonData()
        #expect(throws: LoadError.self) { _ = try RunResult.decode(jsonData: data) }
    }
}

@Suite struct RunReportTests {
    @Test func terminalSummaryHasAlignedTables() throws {
        let result = try syntheticRun(seed: 3)
        let text = RunReport.terminalSummary(result)
        for heading in ["throughput (tx/s)", "latency (ms)", "outcome", "rejection reason", "node"] {
            #expect(text.contains(heading))
        }
        #expect(text.contains("p99.9"))
        #expect(text.contains("bad signature"))
        #expect(text.contains("dropped (busy)"))
        #expect(text.contains("51.23"))  // south-0 CPU utilisation in percent
        // In every table, the header rule and each row end in the same column (right-aligned numbers).
        for table in text.components(separatedBy: "\n\n").dropFirst() {
            let lines = table.split(separator: "\n")
            let width = lines[1].count
            #expect(lines.dropFirst(2).allSatisfy { $0.count == width }, "\(table)")
        }
        #expect(RunReport.terminalSummary(result) == text)
    }

    @Test func markdownHasHeaderTablesDefinitionsAndReproduction() throws {
        let result = try syntheticRun(seed: 3)
        let markdown = RunReport.markdown(
            result, reproduceCommand: "gridledger run topologies/two-regions.yaml --seed 3")
        #expect(markdown.hasPrefix("# GridLedger run: two-regions\n"))
        for section in [
            "## Throughput", "## Latency", "## Outcomes", "## Rejections by reason", "## Nodes",
            "## Definitions", "## Reproduce",
        ] {
            #expect(markdown.contains("\n\(section)\n"), "missing \(section)")
        }
        #expect(markdown.contains("| Seed | 3 |"))
        #expect(markdown.contains(RunReport.definitionsParagraph))
        #expect(markdown.contains("```sh\ngridledger run topologies/two-regions.yaml --seed 3\n```"))
        #expect(markdown.contains("| latency (ms) | p50 | p90 | p99 | p99.9 | max | count |"))
        let fallback = RunReport.markdown(result)
        #expect(fallback.contains("with seed 3 in model CPU mode"))
    }

    @Test func emptyLatencyShowsDashesNotZeros() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let id = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.dropped(id, atNanos: 0)
        let result = try RunResult(
            recorder: recorder, topology: .init(name: "t", file: "t.yaml"), seed: 1, cpuMode: .measured, nodes: [],
            simulation: .init(virtualSeconds: 1, eventsProcessed: 1))
        #expect(RunReport.terminalSummary(result).contains("localCommit     -    -    -      -    -      0"))
    }

    @Test func progressLine() {
        #expect(
            ProgressLine.format(virtualNanos: 12_500_000_000, committedTotal: 12_345, currentTps: 987.64)
                == "t=   12.500 s  committed       12345  rate      987.6 tx/s")
        var progress = ProgressLine()
        _ = progress.update(virtualNanos: 0, committedTotal: 0)
        #expect(progress.update(virtualNanos: 2 * nanosPerSecond, committedTotal: 500).hasSuffix("250.0 tx/s"))
        #expect(progress.update(virtualNanos: 2 * nanosPerSecond, committedTotal: 600).hasSuffix("0.0 tx/s"))
    }
}

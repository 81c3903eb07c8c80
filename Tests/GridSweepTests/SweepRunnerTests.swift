import Foundation
import GridLoad
import GridSweep
import Synchronization
import Testing

/// The sweep runner with the real `gridledger` executable (built next to the test bundle) and the shipped tiny
/// spec: two cells of about a second each.
@Suite(.serialized) struct SweepRunnerTests {
    static let executable = BuiltExecutable.named()

    func tinyPlan() throws -> SweepPlan {
        try SweepPlan.make(try SweepSpecReader.load(contentsOf: sweepsDirectory.appendingPathComponent("tiny.yaml")))
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func run(
        _ plan: SweepPlan, into directory: URL, stopAfterFirstCell: Bool = false
    ) throws -> SweepRunner.Outcome {
        let executable = try #require(Self.executable)
        let cells = directory.appendingPathComponent("cells")
        let stop: @Sendable () -> Bool = {
            guard stopAfterFirstCell else { return false }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: cells.path)) ?? []
            return names.contains {
                FileManager.default.fileExists(
                    atPath: cells.appendingPathComponent($0).appendingPathComponent("cell.json").path)
            }
        }
        let options = SweepRunner.Options(
            executable: executable, outDirectory: directory, jobs: 1, shouldStop: stop, output: { _ in })
        return try SweepRunner(plan: plan, options: options).run()
    }

    func summary(_ directory: URL) throws -> SweepSummary {
        try JSONDecoder().decode(
            SweepSummary.self, from: Data(contentsOf: directory.appendingPathComponent("sweep.json")))
    }

    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func anInterruptedSweepResumesWithoutRepeatingFinishedCells() throws {
        let plan = try tinyPlan()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let first = try run(plan, into: directory, stopAfterFirstCell: true)
        #expect(first.interrupted && first.ran == 1 && first.failed == 0)
        #expect(try summary(directory).cells.map(\.status) == ["done", "pending"])
        let firstResult = directory.appendingPathComponent("cells/validatorsPerRegion1/result.json")
        let firstWritten =
            try FileManager.default.attributesOfItem(atPath: firstResult.path)[.modificationDate] as? Date

        let second = try run(plan, into: directory)
        #expect(!second.interrupted && second.skipped == 1 && second.ran == 1 && second.failed == 0)
        // The finished cell was not run again: its result is the same file.
        let again = try FileManager.default.attributesOfItem(atPath: firstResult.path)[.modificationDate] as? Date
        #expect(firstWritten != nil && again == firstWritten)

        let written = try summary(directory)
        #expect(written.spec == plan.spec.file)
        #expect(written.cells.map(\.status) == ["done", "done"])
        #expect(written.cells.map(\.parameters) == [["validatorsPerRegion": "1"], ["validatorsPerRegion": "4"]])
        for cell in written.cells {
            let result = try RunResult.decode(
                jsonData: Data(contentsOf: directory.appendingPathComponent(cell.resultDirectory + "/result.json")))
            #expect(cell.offeredTps == result.offeredTps && cell.committedTps == result.committedTps)
            #expect(cell.p99Millis == result.latency(.localCommit)?.p99)
            #expect(cell.sustainableTps == nil && cell.mode == .run)
            // Stores are removed once the result is read; logs stay.
            #expect(
                !FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent(cell.resultDirectory + "/stores").path))
            #expect(
                FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent(cell.resultDirectory + "/log.txt").path))
        }
        let markdown = try String(contentsOf: directory.appendingPathComponent("sweep.md"), encoding: .utf8)
        #expect(markdown.contains("| validatorsPerRegion1 | 1 | 1 | 1 |"))
        #expect(markdown.contains("## Answer"))

        // A result cut short (as by a crash while writing) makes the cell run again; the other stays.
        let cut = directory.appendingPathComponent("cells/validatorsPerRegion4/result.json")
        try Data(try Data(contentsOf: cut).prefix(100)).write(to: cut)
        let third = try run(plan, into: directory)
        #expect(third.skipped == 1 && third.ran == 1)
        #expect(try summary(directory).cells.map(\.status) == ["done", "done"])
    }

    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aFailedCellIsReportedAndTheSweepGoesOn() throws {
        var plan = try tinyPlan()
        // A command the executable refuses stands for a cell whose process fails.
        plan.cells[0].arguments = ["run", "cells/validatorsPerRegion1/topology.yaml", "--rate", "-1"]
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = Mutex<[String]>([])
        let options = SweepRunner.Options(
            executable: try #require(Self.executable), outDirectory: directory, jobs: 2,
            output: { line in lines.withLock { $0.append(line) } })
        let outcome = try SweepRunner(plan: plan, options: options).run()
        #expect(outcome.failed == 1 && outcome.ran == 2)
        #expect(try summary(directory).cells.map(\.status) == ["failed", "done"])
        let failure = lines.withLock { $0.first { $0.contains("FAILED") } }
        #expect(failure?.contains("cells/validatorsPerRegion1/log.txt") == true)
    }

    @Test func capacityCellsReadTheirCapacityResult() throws {
        let plan = try SweepPlan.make(
            try parse(
                header + """
                    mode: capacity
                    slo: "p99<=250ms"
                    targetTps: 5000
                    matrix:
                      validatorsPerRegion: [4, 7]
                    """))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let probe = CapacityProbe(
            phase: "confirm", offeredTps: 8000, achievedTps: 8000, committedTps: 7990, latencyMillis: 210,
            p50Millis: 40, p99Millis: 210, failureShare: 0, meetsSLO: true, failed: [], busiestNode: "r0/v0",
            busiestNodeCPU: 0.8, queuePeakMax: 12, resultDirectory: "probes/3")
        let result = CapacityResult(
            topology: RunResult.TopologyReference(name: "validatorsPerRegion4", file: "topology.yaml"),
            runtime: .simulator, seed: 1, slo: "p99<=250ms", latencyKind: "localCommit", resolution: 0.02,
            sustainableTps: 8000, kneeTps: 9000, recommendedTps: 6400, headroom: 0.2, limitedBy: "CPU of r0/v0",
            recommendation: "Run at 6400 tx/s.", probes: [probe])
        let folder = directory.appendingPathComponent(plan.cells[0].directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(result).write(to: folder.appendingPathComponent("capacity.json"))

        let outcome = try CellOutcome.read(directory: folder, mode: .capacity)
        guard case .capacity(let read) = outcome else {
            Issue.record("expected a capacity outcome")
            return
        }
        #expect(read == result)
        var summary = SweepSummary(
            spec: plan.spec.file,
            cells: plan.cells.map {
                SweepCell(
                    name: $0.name, parameters: [:], mode: .capacity, status: "pending", resultDirectory: $0.directory)
            })
        summary.cells[0].status = "done"
        summary.cells[0].sustainableTps = 8000
        summary.cells[0].recommendedTps = 6400
        let report = SweepReport(plan: plan, summary: summary, outcomes: [plan.cells[0].name: outcome])
        #expect(
            report.answer().hasPrefix(
                "The smallest deployment that sustains 5000 tx/s under p99<=250ms is validatorsPerRegion4"))
        #expect(report.terminalTable().contains("8000.0"))

        // Another schema version is refused, not misread.
        var newer = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as! [String: Any]
        newer["schemaVersion"] = 2
        try JSONSerialization.data(withJSONObject: newer).write(to: folder.appendingPathComponent("capacity.json"))
        #expect(throws: (any Error).self) { try CellOutcome.read(directory: folder, mode: .capacity) }
    }

    @Test func summaryRoundTripsThroughJSON() throws {
        let summary = SweepSummary(
            spec: "sweeps/tiny.yaml",
            cells: [
                SweepCell(
                    name: "a", parameters: ["regions": "2"], mode: .run, status: "done", offeredTps: 100,
                    committedTps: 99.5, p99Millis: 12.5, resultDirectory: "cells/a"),
                SweepCell(name: "b", parameters: [:], mode: .capacity, status: "pending", resultDirectory: "cells/b"),
            ])
        let data = try JSONEncoder().encode(summary)
        #expect(try JSONDecoder().decode(SweepSummary.self, from: data) == summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schemaVersion", "spec", "cells"])
    }
}

import Foundation
import GridLoad
import GridReport
import Testing

@Suite struct ReportInputTests {
    @Test func detectsWhatAFolderHolds() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ReportInputError.nothingToReport(directory: directory.path)) {
            try ReportInput.contents(of: directory)
        }
        try constructedRun().jsonData().write(to: directory.appendingPathComponent("result.json"))
        try JSONEncoder().encode(constructedCapacity()).write(to: directory.appendingPathComponent("capacity.json"))
        let contents = try ReportInput.contents(of: directory)
        #expect(contents.map(\.file.lastPathComponent) == ["capacity.json", "result.json"])
        let run = try ReportInput.loadRun(directory.appendingPathComponent("result.json"))
        #expect(run.timeSeries?.faults.count == 2)
        #expect(try ReportInput.loadCapacity(directory.appendingPathComponent("capacity.json")).probes.count == 8)
        let missing = directory.appendingPathComponent("nope")
        #expect(throws: ReportInputError.missing(file: missing.path)) { try ReportInput.contents(of: missing) }
    }

    @Test func badJSONNamesTheFileAndTheField() throws {
        let file = "out/x/result.json"
        func error(_ json: String) -> String {
            do {
                _ = try ReportInput.decode(
                    RunResult.self, from: Data(json.utf8), file: file, supported: RunResult.currentSchemaVersion)
                return "no error"
            } catch {
                return String(describing: error)
            }
        }
        #expect(error("{not json").hasPrefix("out/x/result.json: not valid JSON"))
        #expect(error("{}") == "out/x/result.json: field 'schemaVersion': missing")
        #expect(
            error("{\"schemaVersion\": 9}")
                == "out/x/result.json: field 'schemaVersion' is 9; this build reads version 1")
        var object = try #require(
            try JSONSerialization.jsonObject(with: constructedRun().jsonData()) as? [String: Any])
        object["offeredTps"] = "fast"
        let typeError = error(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        #expect(typeError == "out/x/result.json: field 'offeredTps': expected a number")
        var nodes = try #require(object["nodes"] as? [[String: Any]])
        object["offeredTps"] = 1
        nodes[1].removeValue(forKey: "queuePeak")
        object["nodes"] = nodes
        let keyError = error(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        #expect(keyError == "out/x/result.json: field 'nodes[1].queuePeak': missing")
    }

    @Test func sweepSummaryRoundTripsAndFeedsTheReport() throws {
        let sweep = constructedSweep()
        let data = try JSONEncoder().encode(sweep)
        let decoded = try ReportInput.decode(
            SweepSummary.self, from: data, file: "sweep.json", supported: SweepSummary.currentSchemaVersion)
        #expect(decoded == sweep)
        #expect(throws: ReportInputError.self) {
            try ReportInput.decode(
                SweepSummary.self, from: Data("{\"schemaVersion\":1,\"spec\":\"s\",\"cells\":[{\"name\":1}]}".utf8),
                file: "sweep.json", supported: 1)
        }
    }

    @Test func compareAcceptsFilesAndFolders() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("result.json")
        try constructedRun().jsonData().write(to: file)
        #expect(
            try ReportInput.resolveComparable(directory.path) == .run(directory.appendingPathComponent("result.json")))
        #expect(try ReportInput.resolveComparable(file.path) == .run(file))
        #expect(throws: ReportInputError.missing(file: "/no/such/result.json")) {
            try ReportInput.resolveComparable("/no/such/result.json")
        }
    }
}

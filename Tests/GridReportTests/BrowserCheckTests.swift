import Foundation
import GridLoad
import GridReport
import GridSimulation
import GridTopology
import Testing

/// Where `chromium` is, if it is installed (scripts/setup.sh installs it).
private let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// The repository's root, for scripts/check-report-html.sh.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Renders the report of a real small simulated run and has headless Chromium load it through
/// scripts/check-report-html.sh (and a page without charts, which the check must refuse).
@Suite(
    .enabled(
        if: chromiumPath != nil,
        "chromium is not installed: the headless-browser check of report.html is skipped (apt-get install chromium)"))
struct BrowserCheckTests {
    private func smallRun(seed: UInt64, tps: Double) throws -> RunResult {
        let yaml = """
            schemaVersion: 1
            name: report-check
            seed: \(seed)
            regions:
              - name: r0
                validators: 4
            consensus:
              blockTransactionsMax: 2000
              blockIntervalMillis: 20
              viewTimeoutMillis: 300
            workload:
              accounts: 200
              rate: { controller: fixed, tps: \(tps) }
              durationSeconds: 1
              warmupSeconds: 0.5
              timeoutSeconds: 3
            """
        let topology = try Topology.parse(yaml: yaml, file: "report-check.yaml")
        let stores = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: stores) }
        let report = try Simulation(
            options: SimulationOptions(topology: topology, storeDirectory: stores, cpuMode: .model)
        )
        .run()
        return try report.runResult(
            topology: topology, topologyFile: "report-check.yaml", cpuMode: .model, wallClock: nil)
    }

    private func check(_ html: String, name: String, in directory: URL, screenshot: Bool) throws -> (
        status: Int32, output: String
    ) {
        let file = directory.appendingPathComponent("\(name).html")
        try Data(html.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments =
            [repositoryRoot.appendingPathComponent("scripts/check-report-html.sh").path, file.path]
            + (screenshot ? [directory.appendingPathComponent("\(name).png").path] : [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func reportsOfARealRunRenderInChromium() throws {
        let result = try smallRun(seed: 3, tps: 300)
        #expect(result.counts.committed > 0)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = RunHTMLReport.html(result)
        // Every chart the page holds must render: the time series (throughput, latency, CPU, inbox depth) and
        // the percentile distribution.
        let charts = html.components(separatedBy: "<svg").count - 1
        #expect(charts >= 5)
        let run = try check(html, name: "run", in: directory, screenshot: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("renders: \(charts) SVG charts"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run.png").path))

        // The check must be able to fail: a page without any chart.
        let broken = try check(
            "<html><body><p>no chart</p></body></html>", name: "broken", in: directory, screenshot: false)
        #expect(broken.status == 1, "\(broken.output)")
    }
}

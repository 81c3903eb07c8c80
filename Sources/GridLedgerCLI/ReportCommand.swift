import ArgumentParser
import Foundation
import GridLoad
import GridReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render report.html (and report.md where missing) from saved results.",
        discussion: """
            For each DIR: a result.json (a run) gives a run report, a capacity.json a capacity-search report, a \
            sweep.json a sweep report. Writes DIR/report.html, a self-contained page (inline SVG charts and CSS, \
            no scripts, opens without network access), and DIR/report.md when there is none. A folder with more \
            than one of these files gets the sweep's, else the capacity search's report.
            """
    )

    @Argument(help: "Folders holding result.json, capacity.json or sweep.json.")
    var directories: [String]

    @Flag(name: .long, help: "Rewrite report.md even when one exists.")
    var overwriteMarkdown = false

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one folder") }
    }

    func run() throws {
        var failures = 0
        for path in directories {
            do {
                try render(URL(fileURLWithPath: path))
            } catch let error as ReportInputError {
                printError("gridledger report: \(error)")
                failures += 1
            } catch {
                printError("gridledger report: \(path): \(error.localizedDescription)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    private func render(_ directory: URL) throws {
        guard let content = try ReportInput.contents(of: directory).first else { return }
        let html: String
        let markdown: () -> String
        switch content {
        case .sweep(let url):
            let sweep = try ReportInput.loadSweep(url)
            html = SweepReport.html(sweep)
            markdown = { SweepReport.markdown(sweep) }
        case .capacity(let url):
            let capacity = try ReportInput.loadCapacity(url)
            html = CapacityReport.html(capacity)
            markdown = { CapacityReport.markdown(capacity) }
        case .run(let url):
            let result = try ReportInput.loadRun(url)
            html = RunHTMLReport.html(result)
            markdown = { RunReport.markdown(result) }
        }
        let htmlURL = directory.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: htmlURL)
        var written = [htmlURL.relativePath]
        let markdownURL = directory.appendingPathComponent("report.md")
        if overwriteMarkdown || !FileManager.default.fileExists(atPath: markdownURL.path) {
            try Data(markdown().utf8).write(to: markdownURL)
            written.append(markdownURL.relativePath)
        }
        print("\(content.file.relativePath): wrote " + written.joined(separator: " and "))
    }
}

/// `report.html` next to a run's `report.md` (`gridledger run` writes both).
func writeHTMLReport(_ result: RunResult, to directory: URL) throws {
    try Data(RunHTMLReport.html(result).utf8).write(to: directory.appendingPathComponent("report.html"))
}

import ArgumentParser
import Foundation
import GridLoad
import GridReport

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Two results side by side: each metric's change in percent and regressions beyond a threshold.",
        discussion: """
            A and B are result.json files (runs) or capacity.json files (capacity searches), or folders holding \
            one; both must be of the same kind. The change is (B - A) / A. A metric is flagged REGRESSION when it \
            moved the wrong way by more than the threshold: throughput down, or latency, failures or node CPU up. \
            The offered rate is shown for context and never flagged. Exit status 0 whatever the verdict, unless \
            --fail-on-regression is given.
            """
    )

    @Argument(help: "The baseline: result.json, capacity.json, or a folder holding one.")
    var a: String

    @Argument(help: "The result compared with the baseline.")
    var b: String

    @Option(name: .long, help: "Change beyond which a metric moving the wrong way is a regression, in percent.")
    var threshold: String = "5%"

    @Option(name: .long, help: "Also write the comparison as a self-contained HTML page to this file.")
    var html: String?

    @Flag(name: .long, help: "Exit with status 1 when any metric regressed beyond the threshold.")
    var failOnRegression = false

    func validate() throws {
        guard ResultComparison.parseThreshold(threshold) != nil else {
            throw ValidationError("--threshold must be a percentage in [0, 1000], such as 5%, got '\(threshold)'")
        }
    }

    func run() throws {
        let thresholdPercent = ResultComparison.parseThreshold(threshold) ?? ResultComparison.defaultThresholdPercent
        let comparison: Comparison
        do {
            let left = try ReportInput.resolveComparable(a)
            let right = try ReportInput.resolveComparable(b)
            switch (left, right) {
            case (.run(let x), .run(let y)):
                comparison = ResultComparison.compare(
                    try ReportInput.loadRun(x), try ReportInput.loadRun(y), labelA: x.relativePath,
                    labelB: y.relativePath, thresholdPercent: thresholdPercent)
            case (.capacity(let x), .capacity(let y)):
                comparison = ResultComparison.compare(
                    try ReportInput.loadCapacity(x), try ReportInput.loadCapacity(y), labelA: x.relativePath,
                    labelB: y.relativePath, thresholdPercent: thresholdPercent)
            default:
                printError(
                    "gridledger compare: \(left.file.relativePath) and \(right.file.relativePath) are not of the same "
                        + "kind (a run's result.json against a capacity search's capacity.json)")
                throw ExitCode.failure
            }
        } catch let error as ReportInputError {
            printError("gridledger compare: \(error)")
            throw ExitCode.failure
        }
        print(ResultComparison.text(comparison), terminator: "")
        if let html {
            let url = URL(fileURLWithPath: html)
            do {
                try Data(ResultComparison.html(comparison).utf8).write(to: url)
            } catch {
                printError("gridledger compare: cannot write \(html): \(error.localizedDescription)")
                throw ExitCode.failure
            }
            print("wrote \(html)")
        }
        if failOnRegression && !comparison.regressions.isEmpty { throw ExitCode.failure }
    }
}

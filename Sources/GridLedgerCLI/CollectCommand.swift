import ArgumentParser
import Foundation
import GridDeploy
import GridLoad
import GridTopology

struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Merge the reports of load generators that ran apart (cluster pods, hosts) into one result.",
        discussion: """
            Reads every *.report.json (a 'gridledger load --out' file) and every *.log or *.txt holding a report \
            between the load Job's marker lines ('kubectl logs' of a pod of 60-load-job.yaml) in the DIRs, checks \
            that they are all the parts of one run (each part once, the same window), merges them (counts summed, \
            latency histograms merged; each latency was measured on its own generator's clock), lines up their \
            time series by interval start on the generators' wall clocks (counts summed, per-interval latency \
            histograms merged; intervals only some parts covered are listed; a different interval length or grid \
            is refused naming the file and field) and writes \
            OUT/result.json (runtime: kubernetes) and OUT/report.md, which 'capacity' and 'compare' read like any \
            other run's.
            """
    )

    @Argument(help: "Folders (or files) holding the generators' reports.")
    var directories: [String]

    @Option(name: .long, help: "The topology the run used (file or shipped name), for the result.")
    var topology: String

    @Option(name: .long, help: "Seed for the topology, if the deployment overrode it.")
    var seed: UInt64?

    @Option(name: .long, help: "Directory for result.json and report.md.")
    var out: String

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one folder of reports") }
    }

    func run() throws {
        let loaded = try loadTopology(topology, overrides: TopologyOverrides(seed: seed))
        let outDirectory = URL(fileURLWithPath: out)
        do {
            let found = try ClusterResults.gather(directories.map { URL(fileURLWithPath: $0) })
            let merged = try ClusterResults.merge(found)
            let result = try ClusterResults.runResult(merged, topology: loaded.topology, topologyFile: loaded.file)
            try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
            let resultURL = outDirectory.appendingPathComponent("result.json")
            let reportURL = outDirectory.appendingPathComponent("report.md")
            try result.jsonData().write(to: resultURL)
            let markdown = RunReport.markdown(result) + ClusterResults.markdownAppendix(found, merged: merged)
            try Data(markdown.utf8).write(to: reportURL)
            print(RunReport.terminalSummary(result))
            print(
                "merged \(found.count) report(s), parts \(merged.parts.map(String.init).joined(separator: ",")) of "
                    + "\(merged.partsTotal); wrote \(resultURL.relativePath) and \(reportURL.relativePath)")
            if let series = merged.timeSeries {
                let partial = ClusterResults.partialIntervalLines(merged)
                print(
                    "time series: \(series.intervalCount) intervals of \(Double(series.intervalMicros) / 1e6) s aligned "
                        + "on the generators' wall clocks; "
                        + (partial.isEmpty
                            ? "every interval had every part reporting"
                            : "\(series.partialIntervals(partsTotal: merged.partsTotal).count) interval(s) with only "
                                + "some parts reporting:"))
                for line in partial { print("  " + line) }
                if series.eventsBeyondLastInterval > 0 {
                    print(
                        "  \(series.eventsBeyondLastInterval) events fell after the generators' last interval: in the "
                            + "totals only")
                }
            } else {
                print("time series: none (the reports were written by generators without one)")
            }
        } catch {
            printError("gridledger collect: \(error)")
            throw ExitCode.failure
        }
    }
}

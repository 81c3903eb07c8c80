import ArgumentParser
import Foundation
import GridLoadGenerator

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Offer a topology's transfer workload to running validators over TCP and report what happened.",
        discussion: """
            CONFIG is a JSON file (LoadGeneratorConfigFile): topology, chainID, gateways (region, index, host, \
            port of every validator), part and parts (this process sends transactions i with i % parts == part), \
            drainSeconds, timeoutSeconds and an optional startAtUnixNanos (start sending at that wall time, so \
            several parts start together), and optionally intervalSeconds, intervalsMax and intervalOriginUnixNanos for the \
            report's time series (per-interval counts and latency histograms keyed by wall-clock interval start, so \
            'gridledger collect' can line up parts that ran apart). Pre-signs its transactions, sends each at its scheduled time (open \
            loop), and writes the LoadReport JSON to REPORT. Progress goes to stderr once a second.
            """
    )

    @Option(name: .long, help: "Load generator config file (JSON).")
    var config: String

    @Option(name: .long, help: "Where to write the load report (JSON).")
    var out: String

    @Flag(name: .long, help: "No progress lines.")
    var quiet = false

    @Option(
        name: .long,
        help: "This process's part, in place of the config's (one config for all parts: a Kubernetes Job's index).")
    var part: Int?

    @Option(
        name: .long,
        help: "Length of one interval of the report's time series, in seconds, in place of the config's (default 1).")
    var intervalSeconds: Double?

    @Option(name: .long, help: "Most time series intervals kept, in place of the config's (default 7200).")
    var intervalsMax: Int?

    func run() async throws {
        var file = try LoadGeneratorConfigFile.read(from: URL(fileURLWithPath: config))
        if let part {
            guard (0..<file.parts).contains(part) else {
                throw ValidationError(
                    "--part must be 0...\(file.parts - 1) (the config's parts is \(file.parts)), got \(part)")
            }
            file.part = part
        }
        if let intervalSeconds { file.intervalSeconds = intervalSeconds }
        if let intervalsMax { file.intervalsMax = intervalsMax }
        let quiet = self.quiet
        let report = try await LoadGenerator.run(file.options) { progress in
            guard !quiet else { return }
            FileHandle.standardError.write(Data((progress.line + "\n").utf8))
        }
        let url = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try report.jsonData().write(to: url, options: .atomic)
        let measured = report.measured
        let latency = report.latencyLocalCommit.summary
        let summary = String(
            format:
                "load part %d/%d: measured offered %llu sent %llu committed %llu (busy %llu, rejected %llu, failed "
                + "%llu, unreachable %llu, not sent %llu, timed out %llu, lost %llu); p50 %.3f ms p99 %.3f ms; "
                + "failovers %llu, resubmitted %llu, connection drops %llu",
            file.part, file.parts, measured.offered, measured.sent, measured.committed, measured.busy,
            measured.rejected, measured.failed, measured.unreachable, measured.notSent, measured.timedOut,
            measured.lost, latency.p50, latency.p99, report.connections.failovers, report.connections.resubmitted,
            report.connections.connectionDrops)
        FileHandle.standardError.write(Data((summary + "; report " + out + "\n").utf8))
        if let series = report.timeSeries {
            var line =
                "time series: \(series.intervalCount) intervals of \(Double(series.intervalMicros) / 1e6) s from Unix "
                + "\(series.firstIntervalStartUnixMicros) µs"
            if series.eventsBeyondLastInterval > 0 {
                line +=
                    "; \(series.eventsBeyondLastInterval) events fell after the last of \(series.intervalsMax) intervals "
                    + "and are in the totals only (raise --intervals-max or --interval-seconds)"
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

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
            several parts start together). Pre-signs its transactions, sends each at its scheduled time (open \
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

    func run() async throws {
        var file = try LoadGeneratorConfigFile.read(from: URL(fileURLWithPath: config))
        if let part {
            guard (0..<file.parts).contains(part) else {
                throw ValidationError(
                    "--part must be 0...\(file.parts - 1) (the config's parts is \(file.parts)), got \(part)")
            }
            file.part = part
        }
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
    }
}

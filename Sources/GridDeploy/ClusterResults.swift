import Foundation
import GridLoad
import GridLoadGenerator
import GridTopology

/// The reports of load generators that ran apart (pods of a cluster, hosts), found in folders and merged into one
/// run result: counts summed, latency histograms merged bucket by bucket.
///
/// Clocks: every latency was measured by one generator on its own monotonic clock, from a transaction's scheduled
/// time to the reply it received; no timestamp of one machine is ever subtracted from another's, so clock skew
/// between hosts cannot enter a latency. Each report's window (warm-up, measured, cool-down) is relative to that
/// generator's own start. The generators' start times (Unix time, their own wall clocks) are only reported, as
/// the spread between the first and the last start.
public enum ClusterResults {
    public struct Found: Sendable {
        /// The file the report came from.
        public var source: String
        public var report: LoadReport
    }

    /// A generator's `--out` file, or a log (`kubectl logs`) holding the report between the load Job's markers.
    static let logBytesMax = 256 << 20

    /// Every report in the folders: `*.report.json` files, and reports between the load Job's marker lines in any
    /// other `*.log` or `*.txt` file. Errors name the file.
    public static func gather(_ directories: [URL]) throws(CollectError) -> [Found] {
        var found: [Found] = []
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
                throw CollectError(file: directory.path, reason: "does not exist")
            }
            let files: [URL]
            if isDirectory.boolValue {
                do {
                    files = try FileManager.default.contentsOfDirectory(
                        at: directory, includingPropertiesForKeys: nil
                    ).sorted { $0.path < $1.path }
                } catch {
                    throw CollectError(file: directory.path, reason: "cannot be listed: \(error.localizedDescription)")
                }
            } else {
                files = [directory]
            }
            for file in files {
                let name = file.lastPathComponent
                if name.hasSuffix(".report.json") {
                    found.append(Found(source: file.path, report: try decode(readFile(file), source: file.path)))
                } else if name.hasSuffix(".log") || name.hasSuffix(".txt") {
                    let text = String(decoding: try readFile(file), as: UTF8.self)
                    for (position, json) in framedReports(text).enumerated() {
                        let source = "\(file.path) (report \(position + 1))"
                        found.append(Found(source: source, report: try decode(Data(json.utf8), source: source)))
                    }
                }
            }
        }
        guard !found.isEmpty else {
            throw CollectError(
                file: directories.map(\.path).joined(separator: ", "),
                reason: "hold no load report (*.report.json, or a *.log with the load Job's report markers)")
        }
        return found
    }

    /// The texts between `reportBegin` and `reportEnd` lines (a log may hold a restarted pod's output twice).
    static func framedReports(_ text: String) -> [String] {
        var reports: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == KubernetesManifests.reportBegin {
                current = []
            } else if trimmed == KubernetesManifests.reportEnd, let lines = current {
                reports.append(lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return reports
    }

    static func readFile(_ url: URL) throws(CollectError) -> Data {
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            guard size <= logBytesMax else {
                throw CollectError(file: url.path, reason: "is \(size) bytes, more than \(logBytesMax) a report needs")
            }
            return try Data(contentsOf: url)
        } catch let error as CollectError {
            throw error
        } catch {
            throw CollectError(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
    }

    static func decode(_ data: Data, source: String) throws(CollectError) -> LoadReport {
        let report: LoadReport
        do { report = try LoadReport.decode(data) } catch {
            throw CollectError(file: source, reason: "is not a load report: \(error)")
        }
        guard report.version == LoadReport.currentVersion else {
            throw CollectError(
                file: source,
                reason: "is a version \(report.version) report; this build reads \(LoadReport.currentVersion)")
        }
        do { try report.verifyAccounting() } catch {
            throw CollectError(file: source, reason: "does not add up: \(error)")
        }
        return report
    }

    /// The reports merged, once they are shown to be the parts of one run: each part once, all of them, and the
    /// same window everywhere.
    public static func merge(_ found: [Found]) throws(CollectError) -> LoadReport {
        guard let first = found.first else { throw CollectError(file: "", reason: "no reports to merge") }
        var owner: [Int: String] = [:]
        for item in found {
            guard item.report.partsTotal == first.report.partsTotal else {
                throw CollectError(
                    file: item.source,
                    reason:
                        "is one of \(item.report.partsTotal) parts, \(first.source) one of \(first.report.partsTotal)")
            }
            guard item.report.window == first.report.window else {
                throw CollectError(
                    file: item.source, reason: "has another measurement window than \(first.source): not the same run")
            }
            for part in item.report.parts {
                if let other = owner[part] {
                    throw CollectError(file: item.source, reason: "holds part \(part), which \(other) holds too")
                }
                owner[part] = item.source
            }
        }
        let missing = (0..<first.report.partsTotal).filter { owner[$0] == nil }
        guard missing.isEmpty else {
            throw CollectError(
                file: found.map(\.source).joined(separator: ", "),
                reason: "lack part(s) \(missing.map(String.init).joined(separator: ", ")) of \(first.report.partsTotal)"
                    + "; collect every generator's report")
        }
        let merged: LoadReport
        do { merged = try LoadReport.merged(found.map { ($0.source, $0.report) }) } catch {
            throw CollectError(file: error.source ?? "merged report", reason: "\(error.field) \(error.reason)")
        }
        do { try merged.verifyAccounting() } catch {
            throw CollectError(file: "merged report", reason: "does not add up: \(error)")
        }
        return merged
    }

    /// Seconds between the first and the last generator start, each by its own host's wall clock: how well the
    /// parts started together, never used in a latency.
    public static func startSpreadSeconds(_ found: [Found]) -> Double {
        let starts = found.map(\.report.generator.startedAtUnixNanos).filter { $0 > 0 }
        guard let first = starts.min(), let last = starts.max() else { return 0 }
        return Double(last - first) / 1e9
    }

    /// The run's result with `runtime: kubernetes`. The nodes' figures are not in the generators' reports; the
    /// result lists no nodes (their /metrics endpoints hold them while the run lasts).
    public static func runResult(_ merged: LoadReport, topology: Topology, topologyFile: String) throws -> RunResult {
        var result = try merged.runResult(
            topology: RunResult.TopologyReference(name: topology.name, file: topologyFile), seed: topology.seed,
            nodes: [], wallClock: nil)
        result.runtime = .kubernetes
        result.cpuMode = .measured
        return result
    }

    /// The merged time series' intervals that only some parts covered, one line each (at most `linesMax`, then a
    /// count of the rest), seconds from the first interval; empty when every interval had every part.
    public static func partialIntervalLines(_ merged: LoadReport, linesMax: Int = 20) -> [String] {
        guard let series = merged.timeSeries else { return [] }
        let partial = series.partialIntervals(partsTotal: merged.partsTotal)
        var lines = partial.prefix(linesMax).map { interval in
            String(
                format: "t=%.3fs (Unix %llu µs): %d of %d parts reporting",
                Double(interval.startUnixMicros - series.firstIntervalStartUnixMicros) / 1e6, interval.startUnixMicros,
                interval.partsReporting, merged.partsTotal)
        }
        if partial.count > linesMax { lines.append("... and \(partial.count - linesMax) more such intervals") }
        return lines
    }

    /// What the report adds: where each part came from, how far apart the parts started, and (given the merged
    /// report) how their time series lined up.
    public static func markdownAppendix(_ found: [Found], merged: LoadReport? = nil) -> String {
        var text = "\n## Load generators\n\n"
        text += "| Part | Offered | Committed | Wall s | Started (own clock, Unix ns) | Report |\n"
        text += "|---|---:|---:|---:|---:|---|\n"
        for item in found.sorted(by: { ($0.report.parts.first ?? 0) < ($1.report.parts.first ?? 0) }) {
            let parts = item.report.parts.map(String.init).joined(separator: ",")
            text +=
                "| \(parts) | \(item.report.total.offered) | \(item.report.total.committed) | "
                + String(format: "%.1f", item.report.generator.wallSeconds)
                + " | \(item.report.generator.startedAtUnixNanos) | `\(item.source.replacingOccurrences(of: "|", with: "\\|"))` |\n"
        }
        text +=
            "\nLatencies were measured by each generator on its own monotonic clock (scheduled send to reply) and "
            + "merged as histograms; no two hosts' clocks are compared. The parts started "
            + String(format: "%.3f", startSpreadSeconds(found))
            + " s apart by their own wall clocks (this includes any skew between those clocks).\n"
        if let merged {
            if let series = merged.timeSeries {
                text +=
                    "\nThe time series lines the parts up by interval start on their wall clocks ("
                    + "\(series.intervalCount) intervals of \(Double(series.intervalMicros) / 1e6) s): counts summed, "
                    + "latency histograms merged.\n"
                let partial = partialIntervalLines(merged)
                if partial.isEmpty {
                    text += "Every interval had every part reporting.\n"
                } else {
                    text += "Intervals with only some parts reporting (a partial view of the load):\n\n"
                    text += partial.map { "- \($0)\n" }.joined()
                }
            } else {
                text += "\nThe reports hold no time series (generators built before it existed).\n"
            }
        }
        return text
    }
}

/// A report that cannot be collected, naming the file.
public struct CollectError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var reason: String

    public var description: String { "\(file): \(reason)" }
}

import Foundation
import GridLive
import GridLoad
import GridLoadGenerator
import GridNode
import GridTopology

/// A node's figures as its process last wrote them.
public typealias LiveNodeFigures = LiveNodeMetrics

extension LiveRun {
    /// Every node's metrics file, read after the nodes stopped (a clean stop writes it last; a node that was
    /// killed and not restarted leaves the figures of its last second).
    /// A node without a readable file keeps a nil entry, which the report shows as "no metrics file".
    func readNodeMetrics() -> [(name: String, figures: LiveNodeFigures?)] {
        nodeOrder.map { name in
            let data = try? Data(contentsOf: metricsURL(name))
            return (name, data.flatMap { try? JSONDecoder().decode(LiveNodeMetrics.self, from: $0) })
        }
    }
}

extension LiveRunOutcome {
    /// The versioned result (`docs/result-schema.md`) of a live run, with `runtime: live`.
    public func runResult(topology: Topology, topologyFile: String, wallClock: RunResult.WallClock?) throws
        -> RunResult
    {
        let nodeResults = nodes.map { entry -> RunResult.NodeResult in
            let figures = entry.figures ?? LiveNodeMetrics()
            let region = String(entry.name.split(separator: "/").first ?? "")
            let dropped = figures.framesDropped.values.reduce(0, +)
            var result = RunResult.NodeResult(
                id: entry.name, region: region,
                cpuUtilization: figures.uptimeSeconds > 0
                    ? figures.cpuSeconds / figures.uptimeSeconds / Double(cores) : 0,
                queuePeak: UInt64(figures.inboxDepthPeak), bytesSent: figures.bytesSent,
                lmdbBytesWritten: figures.storeBytesWritten, committedHeight: figures.committedHeight,
                peakMemoryBytes: figures.residentBytes, framesSent: figures.framesSent, framesLost: dropped,
                inboxOverflows: figures.inboxOverflows, losses: figures.losses, rejections: figures.rejections,
                viewChanges: figures.viewChanges)
            result.consensusWaitSeconds = runQueue.first { $0.name == entry.name }?.consensusWaitingSeconds
            return result
        }
        var result = try load.runResult(
            topology: RunResult.TopologyReference(name: topology.name, file: topologyFile), seed: topology.seed,
            nodes: nodeResults, wallClock: wallClock)
        result.runtime = .live
        result.simulation.eventsProcessed = nodes.compactMap(\.figures).map(\.inputsHandled).reduce(0, +)
        result.cpuMode = .measured
        if !leaderFaults.isEmpty { result.leaderFaults = leaderFaults }
        result.global = globalOutcome(topology: topology)
        if let crossRegion = crossRegionLatency(topology: topology) {
            result.latencyMillis[LatencyKind.crossRegion.rawValue] = crossRegion
        }
        // Second 0 is the planned start, as for the fault marks (the generators' grid starts there too).
        if let series = load.timeSeries {
            // The generators' grid starts at the planned start; a late start moves their first interval on by
            // whole intervals, and the nodes' series are cut to the same intervals.
            let offsetMicros = Int64(series.firstIntervalStartUnixMicros) - Int64(runStartUnixNanos / 1000)
            let firstInterval = Int(
                (Double(offsetMicros) / Double(series.intervalMicros)).rounded(.down))
            let nodes =
                nodeSeries?.series(
                    order: self.nodes.map(\.name), firstInterval: firstInterval, intervalCount: series.intervalCount)
                ?? []
            result.timeSeries = series.timeSeries(originUnixNanos: runStartUnixNanos, faults: faultMarks, nodes: nodes)
        }
        return result
    }

    var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The nodes' CPU per committed transaction in verifications, nil without a measured verification or commits.
    public var verificationFloor: VerificationFloor? {
        guard let verificationNanos else { return nil }
        let figures = nodes.compactMap(\.figures)
        var measured: (verifications: UInt64, cpuSeconds: Double)? = (0, 0)
        for node in figures {
            guard let count = node.verifications, let seconds = node.verificationCPUSeconds else {
                measured = nil
                break
            }
            measured?.verifications += count
            measured?.cpuSeconds += seconds
        }
        return VerificationFloor(
            nodes: nodes.compactMap { node in
                node.figures.map { (node.name, $0.cpuSeconds, $0.committedTransactions) }
            }, verificationNanos: verificationNanos, cores: cores, measured: measured)
    }

    /// What a live report adds: faults as applied, node processes, the generator's own cost, the transport's drops.
    public func markdownAppendix() -> String {
        var lines = ["", "## Live run", ""]
        lines.append("Every node ran as its own process on this machine; the deployment (genesis, logs, stores,")
        lines.append("metrics) is in `\(deploymentDirectory.path)`.")
        lines.append("")
        lines.append(
            String(
                format: "Load generator: %.2f CPU s sending (%.2f CPU s pre-signing), worst send lag %.1f ms, "
                    + "%llu failovers, %llu resubmitted, %llu connection drops.",
                load.generator.cpuSeconds, load.generator.presignCPUSeconds,
                Double(load.generator.sendLagMaxMicros) / 1000, load.connections.failovers,
                load.connections.resubmitted, load.connections.connectionDrops))
        if let floor = verificationFloor {
            lines.append("")
            lines.append(floor.summary)
        }
        if let series = load.timeSeries {
            var line =
                "Time series: \(series.intervalCount) intervals of \(Double(series.intervalMicros) / 1e6) s from the "
                + "generators (counts and per-interval latency histograms) and from each node's metrics file"
            if let nodeSeries, nodeSeries.unreadableSamples > 0 || nodeSeries.samplesBeyondLastInterval > 0 {
                line +=
                    " (\(nodeSeries.unreadableSamples) unreadable metrics files, \(nodeSeries.samplesBeyondLastInterval) "
                    + "samples after the last interval, left out)"
            }
            if series.eventsBeyondLastInterval > 0 {
                line += "; \(series.eventsBeyondLastInterval) load events fell after the last interval (totals only)"
            }
            lines += ["", line + "."]
        }
        if !faultNotes.isEmpty {
            lines += ["", "### Faults as applied", ""]
            lines += faultNotes.map { "- \($0)" }
        }
        if let reason = load.workloadError {
            lines += ["", "### Grid workload outcome", "", "Not read from the regions' committed state: \(reason)."]
        }
        if let reads = load.stateReads, reads.unanswered > 0 {
            lines += [
                "",
                "The grid agents' reads of committed state: \(reads.sent) sent, \(reads.unanswered) unanswered (those "
                    + "devices kept their set-points for the period).",
            ]
        }
        if let finality = load.globalFinality {
            let givenUp = nodes.compactMap(\.figures).reduce(UInt64(0)) {
                $0 + ($1.finalityRoutesEvicted ?? 0) + ($1.losses[NodeLoss.finalityNoticesFull.description] ?? 0)
            }
            var line =
                "Global finality as the clients heard it (their gateways' `finalized` notices): "
                + "\(finality.latency.totalCount) measured; \(finality.notHeardAtEnd) committed transactions had heard "
                + "none when the generators stopped (their block not final yet, or their gateway restarted)"
            if finality.notTracked > 0 { line += "; \(finality.notTracked) not tracked (generator bound)" }
            if givenUp > 0 { line += "; gateways gave up \(givenUp) notices at their bounds" }
            lines += ["", line + "."]
        }
        if !unexpectedExits.isEmpty {
            lines += ["", "### Nodes that exited on their own", ""]
            lines += unexpectedExits.sorted { $0.key < $1.key }.map { "- \($0.key): status \($0.value)" }
        }
        lines += ["", "### Node processes", ""]
        lines.append(
            "| node | CPU s | RSS MiB | height | sent MiB | received MiB | dropped | refused | LMDB MiB | fsyncs |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for entry in nodes {
            guard let f = entry.figures else {
                lines.append("| \(entry.name) | no metrics file | | | | | | | | |")
                continue
            }
            let drops = f.framesDropped.values.reduce(0, +)
            let refused = f.handshakeRefusals.values.reduce(0, +)
            lines.append(
                "| \(entry.name) | \(String(format: "%.1f", f.cpuSeconds)) | "
                    + "\(String(format: "%.0f", Double(f.residentBytes) / 1_048_576)) | \(f.committedHeight) | "
                    + "\(String(format: "%.1f", Double(f.bytesSent) / 1_048_576)) | "
                    + "\(String(format: "%.1f", Double(f.bytesReceived) / 1_048_576)) | \(drops) | \(refused) | "
                    + "\(f.storeBytesWritten.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-") | "
                    + "\(f.storeSyncs) |")
        }
        lines += runQueueSection()
        return lines.joined(separator: "\n") + "\n"
    }

    /// The processes' time on a CPU and waiting for one over the measured window (`RunQueueWait`).
    func runQueueSection() -> [String] {
        guard let window = runQueue.first?.windowSeconds else { return [] }
        var lines = ["", "### Waiting for a core (measured window, \(String(format: "%.1f", window)) s)", ""]
        lines.append(
            "From each process's `/proc/PID/task/*/schedstat` at the start and the end of the window: time on a "
                + "CPU, time ready but waiting on a run queue (summed over threads), the same for a node's consensus "
                + "thread (every block and vote passes through it) with its mean wait each time it became ready, "
                + "and the thread that waited longest. The simulator models such a wait only with `--host-cores` "
                + "(`nodes[].consensusWaitSeconds` in result.json, here and there).")
        lines.append("")
        lines.append(
            "| process | on CPU s | waiting s | waiting ms per s | consensus thread on CPU / waiting s "
                + "| its mean wait ms | longest-waiting thread | its wait s |")
        lines.append("|---|---|---|---|---|---|---|---|")
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        for entry in runQueue {
            lines.append(
                "| \(entry.name) | \(seconds(entry.onCPUSeconds)) | \(seconds(entry.waitingSeconds)) | "
                    + "\(String(format: "%.0f", entry.waitingMillisPerSecond)) | "
                    + "\(seconds(entry.consensusOnCPUSeconds)) / \(seconds(entry.consensusWaitingSeconds)) | "
                    + "\(entry.consensusMeanWaitMillis.map { String(format: "%.3f", $0) } ?? "-") | "
                    + "\(entry.mostWaitingThread) | \(seconds(entry.mostWaitingThreadSeconds)) |")
        }
        if let host = hostCPU {
            let share = { (kind: String) in String(format: "%.1f %%", (host.shares[kind] ?? 0) * 100) }
            lines.append("")
            lines.append(
                "The whole machine over the window (`/proc/stat`): \(share("user")) user, \(share("system")) system, "
                    + "\(share("softirq")) soft interrupts, \(share("iowait")) waiting for I/O, \(share("idle")) idle; "
                    + String(
                        format: "%.2f core-seconds busy, of which the processes above %.2f and everything else (the "
                            + "kernel's workers, interrupts outside them, other processes) %.2f.",
                        host.busySeconds, host.runProcessesSeconds, host.otherSeconds))
        }
        return lines
    }
}

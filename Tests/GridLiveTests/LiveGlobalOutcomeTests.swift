import Foundation
import GridLedger
import GridLive
import GridLoad
import GridLoadGenerator
import GridNode
import GridTopology
import Testing

@testable import GridLiveRun

/// How a live run builds `global` and `latencyMillis.crossRegion` from the nodes' metrics and the generator's
/// report: checkpoints joined by height at the first member's commit, a region's figures from its validator
/// furthest ahead, and each applied message timed from its operation's scheduled time to its first application.
struct LiveGlobalOutcomeTests {
    static let secondNanos: UInt64 = 1_000_000_000
    static let startUnixNanos: UInt64 = 1_800_000_000 * secondNanos

    static func topology() -> Topology {
        var topology = Topology(
            name: "global-test", seed: 1,
            regions: [Topology.Region(name: "r0", validators: 2), Topology.Region(name: "r1", validators: 2)],
            workload: Topology.Workload(
                kind: .transfer, accounts: 8, rate: .fixed(tps: 10), durationSeconds: 4, warmupSeconds: 1,
                timeoutSeconds: 1))
        topology.global = Topology.GlobalLayer(validators: 2, placement: ["r0", "r1"])
        return topology
    }

    static func report() throws -> LoadReport {
        var report = LoadReport(
            parts: [0], partsTotal: 1, window: try LoadWindow(warmupNanos: secondNanos, measuredNanos: 4 * secondNanos),
            warmup: LoadOutcomeCounts(), measured: LoadOutcomeCounts(), cooldown: LoadOutcomeCounts(),
            regions: [.init(name: "r0"), .init(name: "r1")], committedInWindow: 0, rejectReasons: [:],
            latencyLocalCommit: LatencyHistogram(LatencyHistogram.makeEmpty()),
            generator: LoadReport.GeneratorStats(startedAtUnixNanos: startUnixNanos),
            connections: LoadReport.ConnectionStats())
        // Block 7 of r0 held an operation scheduled at 2 s (in the window), block 9 one at 0.5 s (warm-up).
        report.operationOrigins = [
            .init(region: 0, height: 7, scheduledUnixNanos: startUnixNanos + 2 * secondNanos),
            .init(region: 0, height: 9, scheduledUnixNanos: startUnixNanos + secondNanos / 2),
        ]
        report.globalFinality = LoadReport.GlobalFinality(
            latency: LatencyHistogram(LatencyHistogram.makeEmpty()), finalInWindowByRegion: [40, 8],
            notHeardAtEnd: 0, notTracked: 0)
        return report
    }

    static func figures(_ body: (inout LiveGlobalFigures, inout LiveNodeMetrics) -> Void) -> LiveNodeMetrics {
        var metrics = LiveNodeMetrics()
        var global = LiveGlobalFigures()
        body(&global, &metrics)
        metrics.global = global
        return metrics
    }

    static func checkpoint(_ height: UInt64, atMillis: UInt64, messages: Int = 0) -> CheckpointRecord {
        CheckpointRecord(
            height: height, committedAtUnixNanos: startUnixNanos + atMillis * 1_000_000, entries: Int(height),
            payloadBytes: 100, messagesCommitted: messages, undeliverable: 0)
    }

    static func applied(source height: UInt64, sequence: UInt64, atMillis: UInt64) -> AppliedMessageRecord {
        AppliedMessageRecord(
            message: .init(sourceRegion: 0, sourceHeight: height, destinationSequence: sequence),
            appliedAtUnixNanos: startUnixNanos + atMillis * 1_000_000)
    }

    static func outcome() throws -> LiveRunOutcome {
        let members = [
            // Member 1 was killed after height 2: its log stops there; member 0's covers the rest.
            figures { global, _ in
                global.checkpoints = [checkpoint(1, atMillis: 1_500), checkpoint(2, atMillis: 2_000, messages: 2)]
                global.entryRejections = ["bad-certificate": 3]
                global.entrySubmissions = ["accepted": 40, "duplicate": 5, "stale": 2, "held-back": 1]
            },
            figures { global, _ in
                global.checkpoints = [
                    checkpoint(1, atMillis: 1_400), checkpoint(2, atMillis: 2_100, messages: 2),
                    checkpoint(3, atMillis: 2_600),
                ]
                global.entryRejections = ["bad-certificate": 1, "does-not-extend-chain": 2]
            },
        ]
        let r0 = [
            figures { global, metrics in
                metrics.committedHeight = 12
                global.messagesSent = 2
                global.entriesSent = 10
            },
            figures { global, metrics in
                metrics.committedHeight = 11
                global.messagesSent = 1
                global.entriesSent = 9
            },
        ]
        let r1 = [
            figures { global, metrics in
                metrics.committedHeight = 20
                metrics.finalizedHeight = 18
                global.messagesApplied = 2
                global.relaysSent = 1
                global.applied = [
                    applied(source: 7, sequence: 0, atMillis: 2_300), applied(source: 9, sequence: 1, atMillis: 2_400),
                ]
            },
            figures { global, metrics in
                metrics.committedHeight = 19
                global.applied = [applied(source: 7, sequence: 0, atMillis: 2_250)]
            },
        ]
        return LiveRunOutcome(
            load: try report(),
            nodes: [
                ("global/v0", members[0]), ("global/v1", members[1]), ("r0/v0", r0[0]), ("r0/v1", r0[1]),
                ("r1/v0", r1[0]), ("r1/v1", r1[1]),
            ], leaderFaults: [], faultNotes: [], unexpectedExits: [:], elapsedSeconds: 6,
            deploymentDirectory: URL(fileURLWithPath: "/nonexistent"))
    }

    @Test func theGlobalSectionJoinsTheNodesFigures() throws {
        let global = try #require(try Self.outcome().globalOutcome(topology: Self.topology()))
        #expect(global.committeeSize == 2)
        #expect(global.checkpoints == 3)
        // Heights 1-3 at 1.4, 2.0 and 2.6 s: the intervals inside the window [1 s, 5 s) after the first.
        #expect(global.checkpointIntervalMillis.count == 2)
        #expect(abs(global.checkpointIntervalMillis.p50 - 600) < 1e-6)
        #expect(global.checkpointEntries.max == 3)
        // Refusals by code, and the harmless resends under the simulator's names (accepted entries are not refusals).
        #expect(
            global.entryRejections == [
                "bad-certificate": 4, "does-not-extend-chain": 2, "resend-duplicate": 5, "resend-stale": 2,
            ])
        #expect(global.crossRegion.committed == 2 && global.crossRegion.applied == 2)
        #expect(global.crossRegion.sent == 2 && global.crossRegion.unappliedAtEnd == 0)
        #expect(global.crossRegion.relaysSent == 1 && global.entriesSent == 19)
        #expect(global.regions.map(\.committedHeight) == [12, 20])
        #expect(global.regions.map(\.finalizedHeight) == [0, 18])
        // 48 notices in the 4 s window.
        #expect(abs(global.globalFinalTps - 12) < 1e-9)
        #expect(abs(global.regions[0].globalFinalTps - 10) < 1e-9)
    }

    @Test func crossRegionLatencyRunsFromTheOperationToTheFirstApplication() throws {
        let latency = try #require(try Self.outcome().crossRegionLatency(topology: Self.topology()))
        // Only block 7's operation was scheduled in the window: 2.0 s to its first application at 2.25 s.
        #expect(latency.count == 1)
        #expect(abs(latency.max - 250) < 0.01)
        var noOrigins = try Self.outcome()
        noOrigins.load.operationOrigins = nil
        #expect(noOrigins.crossRegionLatency(topology: Self.topology()) == nil)
    }
}

import Foundation
import GridLoad
import Testing

/// `gridledger run --runtime live` end to end: every validator its own process on loopback, the load generator
/// another, the result written in the simulator's schema. Short on purpose; longer live runs are scripts
/// (`scripts/soak-live.sh`, `scripts/fidelity.sh`).
@Suite(.serialized) struct LiveRunTests {
    static let executable = BuiltExecutable.named()

    static func topology(name: String, faults: String, durationSeconds: Int = 3) -> String {
        """
        schemaVersion: 1
        name: \(name)
        seed: 3
        machine: { profile: default, cores: 2, durability: sync }
        regions:
          - name: r0
            validators: 4
        network:
          intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
        consensus: { viewTimeoutMillis: 500 }
        workload:
          kind: transfer
          accounts: 500
          rate: { controller: fixed, tps: 500 }
          durationSeconds: \(durationSeconds)
          warmupSeconds: 1
          timeoutSeconds: 4
        faults: \(faults)
        """
    }

    struct Outcome {
        var result: [String: Any]
        var report: String
        var directory: URL
    }

    func run(_ yaml: String, runtime: String = "live") throws -> Outcome {
        let executable = try #require(Self.executable)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("live-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let topologyURL = directory.appendingPathComponent("topology.yaml")
        try yaml.write(to: topologyURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "run", topologyURL.path, "--runtime", runtime, "--out", directory.appendingPathComponent("out").path,
            "--quiet",
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "gridledger run --runtime \(runtime) failed: \(String(decoding: stderr, as: UTF8.self).suffix(3000))")
        let out = directory.appendingPathComponent("out")
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("result.json")))
                as? [String: Any])
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        return Outcome(result: result, report: report, directory: out)
    }

    static func firstNumber(in text: String, after marker: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    func inspect(_ stores: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try #require(Self.executable)
        process.arguments =
            ["inspect", stores.appendingPathComponent("r0-v0").path, "--compare"]
            + (1..<4).map { stores.appendingPathComponent("r0-v\($0)").path }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The CE-SDT auction live: households bid, the operator closes each interval at its deadline and clears it once
    /// the close committed, and the outcome is read back from the gateways' committed state. The bids depend only
    /// on time and seed, so a region that commits everything clears exactly as the simulated one does.
    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aLiveAuctionClearsAsTheSimulatorDoes() throws {
        let yaml = """
            schemaVersion: 1
            name: live-auction
            seed: 5
            machine: { profile: default, cores: 2, durability: sync }
            regions:
              - name: community
                validators: 4
            network:
              intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
            workload:
              kind: auction
              auction: { participantsPerRegion: 16, prosumerShare: 0.5, intervalSeconds: 1, startHour: 12 }
              durationSeconds: 2
              warmupSeconds: 1
              timeoutSeconds: 2
            faults: []
            """
        let live = try run(yaml)
        defer { try? FileManager.default.removeItem(at: live.directory.deletingLastPathComponent()) }
        let simulated = try run(yaml, runtime: "sim")
        defer { try? FileManager.default.removeItem(at: simulated.directory.deletingLastPathComponent()) }
        let counts = try #require(live.result["counts"] as? [String: Any])
        #expect((counts["offered"] as? Int ?? 0) > 0 && counts["committed"] as? Int == counts["offered"] as? Int)
        let workload = try #require(live.result["workload"] as? [String: Any], "no workload section")
        let auction = try #require(workload["auction"] as? [String: Any])
        #expect(auction["intervalsCleared"] as? Int == 3)
        #expect(auction["balanceResidualMicros"] as? Int == 0)
        #expect((auction["bidsSent"] as? Int ?? 0) > 0)
        let simulatedAuction = try #require(
            (simulated.result["workload"] as? [String: Any])?["auction"] as? [String: Any])
        #expect(
            NSDictionary(dictionary: auction).isEqual(to: simulatedAuction), "live \(auction), sim \(simulatedAuction)")
        #expect(live.report.contains("energy auction"))
    }

    /// A Byzantine region, live: its validators rewrite the entries they send the committee (forged certificate
    /// signatures), the members refuse every one by reason, and the honest region's entries still go through.
    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aByzantineRegionsForgedEntriesAreRefusedByTheCommittee() throws {
        let yaml = """
            schemaVersion: 1
            name: live-byzantine
            seed: 3
            machine: { profile: default, cores: 2, durability: sync }
            regions:
              - { name: r0, validators: 4 }
              - { name: r1, validators: 4 }
            network:
              intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
            global:
              validators: 4
              placement: [r0, r1, r0, r1]
            workload:
              kind: transfer
              accounts: 400
              rate: { controller: fixed, tps: 200 }
              durationSeconds: 4
              warmupSeconds: 1
              timeoutSeconds: 4
            faults:
              - { atSeconds: 1.5, kind: byzantineRegion, region: r1, behavior: forgedCertificate, durationSeconds: 2 }
            """
        let outcome = try run(yaml)
        defer { try? FileManager.default.removeItem(at: outcome.directory.deletingLastPathComponent()) }
        let counts = try #require(outcome.result["counts"] as? [String: Any])
        #expect(counts["committed"] as? Int == counts["offered"] as? Int, "\(counts)")
        let nodes = try #require(outcome.result["nodes"] as? [[String: Any]])
        let members = nodes.filter { $0["region"] as? String == "global" }
        #expect(members.count == 4)
        let badCertificates = members.map { ($0["rejections"] as? [String: Int])?["bad-certificate"] ?? 0 }
        #expect(
            badCertificates.allSatisfy { $0 > 0 }, "members' rejections: \(members.map { $0["rejections"] ?? [:] })")
        #expect(outcome.report.contains("byzantineRegion r1 (forgedCertificate)"))
        #expect(outcome.report.contains("byzantineRegion r1 honest again"))
        // Only the Byzantine region's validators rewrote anything.
        func rewritten(_ name: String) throws -> Int {
            let file = outcome.directory.appendingPathComponent("deployment/metrics/\(name).json")
            let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            return metrics["byzantineFramesRewritten"] as? Int ?? -1
        }
        for index in 0..<4 {
            #expect(try rewritten("r1-v\(index)") > 0)
            #expect(try rewritten("r0-v\(index)") == 0)
        }
        // The global section, as the simulator writes it: the members' refusals summed, checkpoints from their logs,
        // and global finality as the clients heard it from their gateways, never before local commit.
        let global = try #require(outcome.result["global"] as? [String: Any])
        let refused = try #require(global["entryRejections"] as? [String: Int])
        #expect(refused["bad-certificate"] == badCertificates.reduce(0, +))
        let checkpoints = try #require(global["checkpoints"] as? Int)
        let memberHeights = members.compactMap { $0["committedHeight"] as? Int }
        #expect(checkpoints > 0 && checkpoints == memberHeights.max(), "\(checkpoints) against \(memberHeights)")
        let regions = try #require(global["regions"] as? [[String: Any]])
        #expect(regions.count == 2 && regions.allSatisfy { ($0["finalizedHeight"] as? Int ?? 0) > 0 })
        let latency = try #require(outcome.result["latencyMillis"] as? [String: [String: Any]])
        let local = try #require(latency["localCommit"])
        let final = try #require(latency["globalFinality"])
        let finalCount = try #require(final["count"] as? Int)
        #expect(finalCount > 0 && finalCount <= local["count"] as? Int ?? 0)
        #expect((final["p50"] as? Double ?? 0) > (local["p50"] as? Double ?? .infinity))
        // And per interval, as the simulator's series has it.
        let series = try #require(outcome.result["timeSeries"] as? [String: Any])
        let points = try #require(series["total"] as? [[String: Any]])
        let perInterval = points.compactMap { ($0["globalFinalityMillis"] as? [String: Any])?["count"] as? Int }
        #expect(perInterval.reduce(0, +) >= finalCount, "\(perInterval)")
    }

    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aLiveRegionCommitsItsLoadAndItsStoresAgree() throws {
        let outcome = try run(Self.topology(name: "live-small", faults: "[]"))
        defer { try? FileManager.default.removeItem(at: outcome.directory.deletingLastPathComponent()) }
        #expect(outcome.result["runtime"] as? String == "live")
        let counts = try #require(outcome.result["counts"] as? [String: Any])
        let offered = try #require(counts["offered"] as? Int)
        let committed = try #require(counts["committed"] as? Int)
        #expect(offered == 1500)
        #expect(committed == offered, "every transaction of an unloaded region commits: \(counts)")
        let nodes = try #require(outcome.result["nodes"] as? [[String: Any]])
        #expect(nodes.count == 4)
        let heights = nodes.compactMap { $0["committedHeight"] as? Int }
        #expect(heights.count == 4 && heights.min()! > 10)
        #expect(nodes.allSatisfy { ($0["lmdbBytesWritten"] as? Int ?? 0) > 0 })
        #expect(!outcome.report.contains("exited on their own"))
        let inspected = try inspect(outcome.directory.appendingPathComponent("deployment/stores"))
        #expect(inspected.status == 0, "\(inspected.output)")
        #expect(inspected.output.contains("0 committed more than once"))
    }

    @Test(.enabled(if: executable != nil, "gridledger is not built next to the test bundle"))
    func aKilledLeaderIsReplacedAndCatchesUpAfterItsRestart() throws {
        let faults = """

              - { atSeconds: 1.5, kind: crash, node: r0/leader }
              - { atSeconds: 5.5, kind: restart, node: r0/leader }
            """
        // Seven seconds of load, so the victim has time to catch up after its restart before the run ends.
        let outcome = try run(Self.topology(name: "live-leader-crash", faults: faults, durationSeconds: 7))
        defer { try? FileManager.default.removeItem(at: outcome.directory.deletingLastPathComponent()) }
        let leaderFaults = try #require(outcome.result["leaderFaults"] as? [[String: Any]])
        #expect(leaderFaults.count == 1)
        let victim = try #require(leaderFaults.first?["node"] as? String)
        #expect((leaderFaults.first?["awaitedBy"] as? Int ?? 0) >= 1)
        #expect(outcome.report.contains("SIGKILL \(victim)"))
        #expect(outcome.report.contains("\(victim) caught up"), "\(outcome.report.suffix(2500))")
        // The survivors went on without the victim: the region was higher when the victim restarted than when it
        // was killed. Four seconds apart: the survivors move on after two view timeouts (500 + 750 ms; the simulator
        // shows the same 1.5 s gap for this topology), and a debug build on a 2-core machine that also runs the rest
        // of the suite adds to that (with three seconds, one CI run saw no commit in between). (Whether that took a view change depends on where in its turn the victim died; the run's
        // figures count view changes, and `leader-crash.yaml` shows one.)
        let crashHeight = try #require(
            Self.firstNumber(in: outcome.report, after: "SIGKILL \(victim) (region at height "))
        let restartHeight = try #require(Self.firstNumber(in: outcome.report, after: "on its store (peers at height "))
        #expect(restartHeight > crashHeight, "heights \(crashHeight) at the crash, \(restartHeight) at the restart")
        let counts = try #require(outcome.result["counts"] as? [String: Any])
        #expect((counts["committed"] as? Int ?? 0) > 0)
        let inspected = try inspect(outcome.directory.appendingPathComponent("deployment/stores"))
        #expect(inspected.status == 0, "\(inspected.output)")
    }
}

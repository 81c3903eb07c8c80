import ArgumentParser
import Foundation
import GridLive
import GridSimulation

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this machine's per-operation costs and write a machine profile for --cpu model.",
        discussion: "Build in release mode first (swift build -c release); a debug build measures the debug code."
    )

    @Option(name: .long, help: "Where to write the profile JSON.")
    var out: String

    @Option(name: .long, help: "Timed batches per figure (the median is kept).")
    var batches = 7

    @Option(
        name: .customLong("store-dir"),
        help: ArgumentHelp(
            "Directory for the LMDB stores timed, on the disk the profile describes (default: a temporary "
                + "directory in the current directory, which is removed; /tmp may be a RAM file system).",
            valueName: "DIR"))
    var storeDirectory: String?

    @Option(name: .long, help: "Durable commits timed for storeSyncNanos (the median is kept).")
    var syncCommits = 200

    @Option(
        name: .customLong("from-live"),
        help: ArgumentHelp(
            "A live run's output directory (gridledger run --runtime live --out DIR) on this machine; repeat for "
                + "runs at other loads. Fits runtimeNanosPerTransaction and runtimeNanosPerBlock: the nodes' "
                + "measured CPU beyond what the measured profile prices for their work; and, from their "
                + "event-loop threads' CPU, eventLoopNanosPerFrame and eventLoopNanosPerKiB (charged with "
                + "--host-cores).",
            valueName: "DIR"))
    var fromLive: [String] = []

    func validate() throws {
        guard (3...101).contains(batches) else { throw ValidationError("--batches must be 3...101, got \(batches)") }
        guard (11...100_000).contains(syncCommits) else {
            throw ValidationError("--sync-commits must be 11...100000, got \(syncCommits)")
        }
    }

    func run() throws {
        let live: [LiveNodeMetrics]
        do { live = fromLive.isEmpty ? [] : try loadLiveMetrics() } catch {
            printError("gridledger calibrate: \(error)")
            throw ExitCode.failure
        }
        #if DEBUG
            printError("warning: this is a debug build; its costs are not this machine's release costs")
        #endif
        let storeURL: URL
        if let storeDirectory {
            storeURL = URL(fileURLWithPath: storeDirectory)
        } else {
            storeURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                .appendingPathComponent(".gridledger-calibrate-\(UUID().uuidString)")
        }
        try createDirectory(storeURL)
        defer {
            // Scratch space only: one left behind loses nothing.
            if storeDirectory == nil { try? FileManager.default.removeItem(at: storeURL) }
        }
        var options = Calibration.Options(storeDirectory: storeURL)
        options.batches = batches
        options.syncCommits = syncCommits
        printError(
            "measuring (median of \(batches) batches, thread CPU time; durable commits: median of \(syncCommits), "
                + "wall time, in \(storeURL.path))...")
        var profile = try Calibration.measure(options) { printError($0) }
        if !live.isEmpty {
            do { profile = try fitRuntimeOverhead(profile, live: live) } catch {
                printError("gridledger calibrate: \(error)")
                throw ExitCode.failure
            }
        }
        let url = URL(fileURLWithPath: out)
        try createDirectory(url.deletingLastPathComponent())
        try profile.jsonData().write(to: url)
        print("wrote \(url.path)")
    }
}

import ArgumentParser
import Foundation
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

    func validate() throws {
        guard (3...101).contains(batches) else { throw ValidationError("--batches must be 3...101, got \(batches)") }
    }

    func run() throws {
        #if DEBUG
            printError("warning: this is a debug build; its costs are not this machine's release costs")
        #endif
        var options = Calibration.Options(scratchDirectory: FileManager.default.temporaryDirectory)
        options.batches = batches
        printError("measuring (median of \(batches) batches, thread CPU time)...")
        let profile = try Calibration.measure(options) { printError($0) }
        let url = URL(fileURLWithPath: out)
        try createDirectory(url.deletingLastPathComponent())
        try profile.jsonData().write(to: url)
        print("wrote \(url.path)")
    }
}

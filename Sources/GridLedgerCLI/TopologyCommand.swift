import ArgumentParser
import Foundation
import GridTopology

/// `gridledger topology ...`: work with topology files without running them.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check topology files.",
        subcommands: [ValidateTopologyCommand.self]
    )
}

/// `gridledger topology validate FILE...`: reads every file, prints one line per good file and every problem of
/// every bad one, and fails if any file is bad.
struct ValidateTopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check topology files and report every problem with its line.",
        discussion: """
            A bare name such as 'region-7' means topologies/region-7.yaml in the current directory; 'default' falls \
            back to the built-in copy when there is no such file.
            """
    )

    @Argument(help: "Topology files, or names of shipped topologies.")
    var files: [String]

    func run() throws {
        let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        var anyBad = false
        for file in files {
            do {
                let topology = try Topology.load(argument: file, currentDirectory: currentDirectory)
                // Unbuffered like standard error, so that lines keep their order when both go to a terminal.
                FileHandle.standardOutput.write(Data("ok  \(file) (\(topology.summary))\n".utf8))
            } catch {
                anyBad = true
                let report = error.errors.map(\.description).joined(separator: "\n") + "\n"
                FileHandle.standardError.write(Data(report.utf8))
            }
        }
        if anyBad { throw ExitCode.failure }
    }
}

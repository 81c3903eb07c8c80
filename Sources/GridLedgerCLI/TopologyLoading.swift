import ArgumentParser
import Foundation
import GridTopology

/// A topology named on the command line, with the overrides applied, and where it came from.
struct LoadedTopology {
    var topology: Topology
    var location: Topology.Location
    /// The file as the user named it, or the built-in default's name.
    var file: String
}

/// Finds and parses the topology (a file, a shipped name, or the default), applies the overrides, and prints the
/// error (naming file, line and field) before failing.
func loadTopology(_ name: String?, overrides: TopologyOverrides) throws -> LoadedTopology {
    let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    do {
        let location = try Topology.locate(name, currentDirectory: currentDirectory)
        var topology: Topology
        let file: String
        switch location {
        case .file(let url):
            topology = try Topology.load(contentsOf: url)
            file = url.relativePath
        case .builtInDefault:
            topology = try Topology.parse(yaml: Topology.defaultYAML, file: Topology.builtInDefaultFile)
            file = Topology.builtInDefaultFile
        }
        topology = try topology.applying(overrides)
        return LoadedTopology(topology: topology, location: location, file: file)
    } catch {
        printError(String(describing: error))
        throw ExitCode.failure
    }
}

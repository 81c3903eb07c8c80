import Foundation

extension Topology {
    /// Directory of the shipped topologies, relative to the directory commands run in (the repository).
    public static let shippedDirectoryName = "topologies"
    /// How errors name the built-in copy of `topologies/default.yaml`.
    public static let builtInDefaultFile = "(built-in) topologies/default.yaml"

    /// Where the topology a command names comes from.
    public enum Location: Sendable, Equatable {
        case file(URL)
        /// `defaultYAML`.
        case builtInDefault
    }

    /// Resolves a command's topology argument, relative to `currentDirectory`:
    /// - none: `topologies/default.yaml` if it exists (so edits to it apply), else the built-in default;
    /// - a path (containing `/` or ending in `.yaml` or `.yml`): that file;
    /// - a bare name such as `region-7`: `topologies/region-7.yaml`; `default` falls back to the built-in copy.
    public static func locate(_ argument: String?, currentDirectory: URL) throws(TopologyErrors) -> Location {
        let shippedDirectory = currentDirectory.appendingPathComponent(shippedDirectoryName, isDirectory: true)
        let name = argument ?? defaultName
        let isPath = name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
        if isPath { return .file(URL(fileURLWithPath: name, relativeTo: currentDirectory)) }
        let shipped = URL(fileURLWithPath: "\(shippedDirectoryName)/\(name).yaml", relativeTo: currentDirectory)
        if FileManager.default.fileExists(atPath: shipped.path) { return .file(shipped) }
        if name == defaultName { return .builtInDefault }
        let available = shippedNames(in: shippedDirectory)
        var message = "no topology named \(NodeReader.quote(name)): \(shipped.relativePath) does not exist"
        if let suggestion = Suggestions.closest(to: name, among: available) {
            message += "; did you mean \(suggestion)?"
        } else if !available.isEmpty {
            message += " (shipped: \(available.joined(separator: ", ")))"
        }
        throw TopologyErrors([TopologyError(file: name, line: 0, column: 0, field: "", message: message)])
    }

    /// `locate`, then read and check what it found.
    public static func load(argument: String?, currentDirectory: URL) throws(TopologyErrors) -> Topology {
        switch try locate(argument, currentDirectory: currentDirectory) {
        case .file(let url): try load(contentsOf: url)
        case .builtInDefault: try parse(yaml: defaultYAML, file: builtInDefaultFile)
        }
    }

    /// Names of the `.yaml` files in `directory`, sorted.
    public static func shippedNames(in directory: URL) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) }.sorted()
    }
}

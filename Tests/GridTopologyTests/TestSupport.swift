import Foundation
import Testing

@testable import GridTopology

/// The smallest valid topology; tests append to it or replace lines of it.
let minimalYAML = """
    schemaVersion: 1
    regions:
      - name: r0
        validators: 4
    workload:
      rate:
        controller: fixed
        tps: 1000

    """

/// The repository's root, found from this file so that tests do not depend on the working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

let shippedDirectory = repositoryRoot.appendingPathComponent("topologies", isDirectory: true)

/// The errors of a file that must not parse; records an issue when it parses.
func errors(of yaml: String, file: String = "bad.yaml", sourceLocation: SourceLocation = #_sourceLocation)
    -> [TopologyError]
{
    do {
        let topology = try Topology.parse(yaml: yaml, file: file)
        Issue.record("expected errors, got a topology named \(topology.name)", sourceLocation: sourceLocation)
        return []
    } catch {
        #expect(!error.errors.isEmpty, sourceLocation: sourceLocation)
        return error.errors
    }
}

/// Expects exactly one error with this field and line (and the message containing `message`), and returns it.
@discardableResult
func expectError(
    in yaml: String, field: String, line: Int, column: Int? = nil, message: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> TopologyError? {
    let all = errors(of: yaml, sourceLocation: sourceLocation)
    let matching = all.filter { $0.field == field }
    #expect(matching.count == 1, "errors: \(all.map(\.description))", sourceLocation: sourceLocation)
    guard let error = matching.first else { return nil }
    #expect(error.file == "bad.yaml", sourceLocation: sourceLocation)
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    if let column { #expect(error.column == column, "\(error)", sourceLocation: sourceLocation) }
    if !message.isEmpty { #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation) }
    return error
}

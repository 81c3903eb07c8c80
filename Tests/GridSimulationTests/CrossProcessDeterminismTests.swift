import Foundation
import GridLoad
import Testing

/// Determinism must hold across processes, not just within one: two separate `gridledger run` processes with
/// the same topology and seed must write the same result.json apart from `wallClock` (the one object that holds
/// every wall-clock fact, see `RunResult`). A second process catches what an in-process rerun cannot: hash
/// seeds, address-dependent ordering, uninitialised state, anything read from the environment.
@Suite struct CrossProcessDeterminismTests {
    /// The `gridledger` executable next to the test bundle (both live in `.build/<config>/`), if it is built.
    static let executable = BuiltExecutable.named()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs one short simulation in its own process and returns the parsed result.json.
    private func run(into directory: URL) throws -> [String: Any] {
        let executable = try #require(Self.executable)
        let process = Process()
        process.executableURL = executable
        process.currentDirectoryURL = Self.repositoryRoot
        // A low fixed rate and a 1 s measured window (after the topology's 2 s warm-up) keep each run to seconds.
        process.arguments = [
            "run", Self.repositoryRoot.appendingPathComponent("topologies/default.yaml").path, "--duration", "1",
            "--rate", "400", "--seed", "7", "--out", directory.path, "--quiet",
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(
            process.terminationStatus == 0,
            "gridledger run failed: \(String(decoding: stderr, as: UTF8.self).suffix(2000))")
        let data = try Data(contentsOf: directory.appendingPathComponent("result.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(
        .enabled(
            if: executable != nil,
            "gridledger is not built next to the test bundle: run 'swift build' (or 'swift build --build-tests') first"),
        .timeLimit(.minutes(1)))
    func twoProcessesWithTheSameSeedWriteTheSameResult() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gridledger-xproc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        var first = try run(into: base.appendingPathComponent("a"))
        var second = try run(into: base.appendingPathComponent("b"))
        // The wall-clock object is present in both (so the comparison below really drops something) and differs
        // legitimately; everything else is simulated and must match.
        #expect(first["wallClock"] != nil && second["wallClock"] != nil)
        first["wallClock"] = nil
        second["wallClock"] = nil
        #expect(NSDictionary(dictionary: first).isEqual(to: second), "result.json differs between two processes")
        // Guard against comparing two empty runs.
        let counts = try #require(first["counts"] as? [String: Any])
        let committed = try #require(counts["committed"] as? Int)
        #expect(committed > 0, "the run committed nothing: \(counts)")
    }
}

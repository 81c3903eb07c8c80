import Foundation

/// Where the `gridledger` executable of this build is, for whatever must start it as a child process: tests that
/// run it end to end, and tools built next to it. SwiftPM puts executables and the test bundle in one build
/// directory, and the bundle may itself be a directory (`GridLedgerPackageTests.xctest`) inside it.
public enum BuiltExecutable {
    /// The executable named `name` next to the running program or its bundle, or nil if there is none.
    public static func named(_ name: String = "gridledger") -> URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for directory in candidates {
            for base in [directory, directory.deletingLastPathComponent()] {
                let url = base.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }
}

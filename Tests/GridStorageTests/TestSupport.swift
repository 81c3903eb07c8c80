import Foundation
import GridStorage
import Synchronization

/// Runs `body` with a fresh directory that is removed afterwards, so tests never share LMDB files.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("GridStorageTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

/// Opens an environment in a subdirectory of a fresh temporary directory (exercising directory creation), closing
/// it before the directory is removed.
func withEnvironment<Result>(
    options: Environment.Options = Environment.Options(),
    _ body: (Environment, String) throws -> Result
) throws -> Result {
    try withTemporaryDirectory { directory in
        let path = directory + "/shard/env"
        let environment = try Environment(path: path, options: options)
        defer { environment.close() }
        return try body(environment, path)
    }
}

/// The key layout the ledger uses: heights as 8-byte big-endian integers, so byte order is numeric order.
func heightKey(_ height: UInt64) -> [UInt8] {
    withUnsafeBytes(of: height.bigEndian) { [UInt8]($0) }
}

func height(of key: [UInt8]) -> UInt64? {
    guard key.count == 8 else {
        return nil
    }
    return key.reduce(0) { $0 << 8 | UInt64($1) }
}

struct ThreadFailures: Error, CustomStringConvertible {
    var messages: [String]
    var description: String { messages.joined(separator: "; ") }
}

/// Runs `body` on `count` real threads (not the cooperative pool, since LMDB calls block) and waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (_ index: Int) throws -> Void) throws {
    let group = DispatchGroup()
    let failures = FailureLog()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            do {
                try body(index)
            } catch {
                failures.record("thread \(index): \(error)")
            }
        }
        thread.start()
    }
    group.wait()
    let messages = failures.messages
    if !messages.isEmpty {
        throw ThreadFailures(messages: messages)
    }
}

private final class FailureLog: Sendable {
    private let storage = Mutex<[String]>([])

    func record(_ message: String) {
        storage.withLock { $0.append(message) }
    }

    var messages: [String] {
        storage.withLock { $0 }
    }
}

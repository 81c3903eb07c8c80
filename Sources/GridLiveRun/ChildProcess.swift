import Foundation

/// A program the run started (a node or a load generator part), its output appended to its log file. Crashes are
/// real: `kill()` sends SIGKILL, so the process gets no chance to flush or close anything.
final class ChildProcess {
    let name: String
    let executable: URL
    let arguments: [String]
    let logFile: URL
    private var process: Process?
    /// Incarnations started so far: a restart is the next one.
    private(set) var starts = 0

    init(name: String, executable: URL, arguments: [String], logFile: URL) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.logFile = logFile
    }

    var isRunning: Bool { process?.isRunning ?? false }
    var processIdentifier: Int32? { process?.processIdentifier }

    func start() throws(LiveRunError) {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: logFile.path) {
            fileManager.createFile(atPath: logFile.path, contents: nil)
        }
        let log: FileHandle
        do {
            log = try FileHandle(forWritingTo: logFile)
            try log.seekToEnd()
        } catch {
            throw LiveRunError("cannot open the log \(logFile.path) of \(name): \(error.localizedDescription)")
        }
        starts += 1
        log.write(Data("--- start \(starts) of \(name) at \(Date())\n".utf8))
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LiveRunError("cannot start \(name) (\(executable.path)): \(error.localizedDescription)")
        }
        self.process = process
    }

    /// SIGKILL: the crash a topology's `crash` fault means.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL after `graceSeconds`. Returns the exit status, or nil when it had to be killed.
    @discardableResult
    func terminate(graceSeconds: Double) -> Int32? {
        guard let process else { return nil }
        guard process.isRunning else { return process.terminationStatus }
        Foundation.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard process.isRunning else { return process.terminationStatus }
        kill()
        return nil
    }

    /// SIGTERM to every one at once, then SIGKILL to those still running after `graceSeconds`: stopping n
    /// processes takes one grace period, not n of them.
    static func terminateAll(_ children: [ChildProcess], graceSeconds: Double) {
        let running = children.compactMap { child in child.process.flatMap { $0.isRunning ? (child, $0) : nil } }
        for (_, process) in running { Foundation.kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while running.contains(where: { $0.1.isRunning }), Date() < deadline { usleep(10_000) }
        for (child, _) in running { child.kill() }
    }

    /// Waits for the process to end on its own; false if it is still running after `timeoutSeconds`.
    func wait(timeoutSeconds: Double) -> Bool {
        guard let process else { return true }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    var terminationStatus: Int32? {
        guard let process, !process.isRunning else { return nil }
        return process.terminationStatus
    }

    /// The last lines of the log, for an error message.
    func logTail(lines: Int = 8) -> String {
        guard let data = try? Data(contentsOf: logFile) else { return "" }
        let text = String(decoding: data.suffix(8192), as: UTF8.self)
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

public struct LiveRunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Whether something accepts TCP connections at host:port now.
func isListening(host: String, port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return result == 0
}

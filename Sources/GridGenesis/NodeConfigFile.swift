import Foundation
import GridCrypto
import GridTopology

/// `nodes/NAME.json`: what one node process needs beyond genesis. Paths are relative to this file's folder, so a
/// deployment folder can be moved or copied to another host as a whole.
public struct NodeConfigFile: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The node's name in the genesis file (`r0/v1`).
    public var name: String
    public var genesisFile: String
    /// The node's private key (its Ed25519 seed, hexadecimal), readable by its owner only.
    public var keyFile: String
    public var storeDirectory: String
    /// Where the node writes its figures (JSON, refreshed every second and at exit).
    public var metricsFile: String
    /// Where a run's orchestrator writes transport faults (partition, loss) for this node.
    public var controlFile: String
    /// The address to listen on; the genesis entry's host and port when nil.
    public var listenHost: String?
    /// Inputs the node may have queued; past this, clients are answered busy and peer frames dropped.
    public var inboxEventsMax: Int

    public init(
        name: String, genesisFile: String, keyFile: String, storeDirectory: String, metricsFile: String,
        controlFile: String, listenHost: String? = nil, inboxEventsMax: Int = 100_000
    ) {
        schemaVersion = Self.currentSchemaVersion
        self.name = name
        self.genesisFile = genesisFile
        self.keyFile = keyFile
        self.storeDirectory = storeDirectory
        self.metricsFile = metricsFile
        self.controlFile = controlFile
        self.listenHost = listenHost
        self.inboxEventsMax = inboxEventsMax
    }
}

/// Private key files: a seed in hexadecimal, created with mode 0600 and refused when anyone else may read them
/// (as ssh refuses such a key).
public enum KeyFile {
    public static func write(_ seed: [UInt8], to url: URL) throws(GenesisError) {
        let path = url.path
        let text = seed.hexString + "\n"
        // Create with 0600 before any byte is written, so the key is never readable by others, even briefly.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw GenesisError(file: path, reason: "cannot be created: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw GenesisError(file: path, reason: "cannot be made private: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw GenesisError(file: path, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    public static func read(_ url: URL) throws(GenesisError) -> KeyPair {
        let path = url.path
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw GenesisError(file: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw GenesisError(
                file: path,
                reason: "is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); "
                    + "a private key must be mode 0600: chmod 600 \(path)")
        }
        guard status.st_size <= 1024, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw GenesisError(file: path, reason: "is not a key file (64 hexadecimal digits)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seed = [UInt8](hex: trimmed), seed.count == KeyPair.seedByteCount, let key = try? KeyPair(seed: seed)
        else {
            throw GenesisError(file: path, reason: "is not a key file (64 hexadecimal digits)")
        }
        return key
    }
}

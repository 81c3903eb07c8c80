import Foundation
import GridNode
import Logging

/// The control channel an orchestrator uses to inject transport faults into a running node: a file of JSON
/// lines, one command a line, that the node polls (every `controlPollMillis`) and reads from where it stopped.
/// Lines are only taken once complete (ending in a newline); a file that shrank is read again from the start.
///
/// - `{"partition":["r0/v1","global/v0"]}`: drop every frame to and from those peers (`setPartition`).
/// - `{"loss":0.2}`: add that loss rate to every link this node sends on (`setExtraLoss`).
/// - `{"heal":true}`: end both.
/// - `{"byzantine":"forgedCertificate","colluders":[{"index":0,"keyFile":"..."}]}`: rewrite the entries this
///   validator sends the committee (a `byzantineRegion` fault; `nonExtendingHeader` signs with the colluders'
///   keys); `{"byzantine":"honest"}` stops it.
///
/// A line may combine keys (`heal` is applied first). Lines that do not parse are logged and skipped.
public struct LiveControlCommand: Codable, Sendable, Equatable {
    public var partition: [String]?
    public var loss: Double?
    public var heal: Bool?
    /// A `byzantineRegion` fault's behaviour (`Topology.ByzantineRegionBehavior`'s raw value) for the entries this
    /// validator sends the committee, or `honest` to stop.
    public var byzantine: String?
    /// The colluding quorum of the region, by validator index and key file (`nonExtendingHeader` signs with them).
    public var colluders: [Colluder]?

    public struct Colluder: Codable, Sendable, Equatable {
        public var index: Int
        public var keyFile: String

        public init(index: Int, keyFile: String) {
            self.index = index
            self.keyFile = keyFile
        }
    }

    public init(
        partition: [String]? = nil, loss: Double? = nil, heal: Bool? = nil, byzantine: String? = nil,
        colluders: [Colluder]? = nil
    ) {
        self.partition = partition
        self.loss = loss
        self.heal = heal
        self.byzantine = byzantine
        self.colluders = colluders
    }

    /// The command as one line of the control file, newline included.
    public func line() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding optionals, strings, lists and numbers into JSON cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Reads new complete lines of the control file.
struct ControlFileReader {
    let path: String
    /// Bytes of the file already taken; a line longer than this bound is skipped whole.
    private(set) var offset = 0
    static let lineBytesMax = 64 << 10

    init(path: String) { self.path = path }

    mutating func newCommands(logger: Logger) -> [LiveControlCommand] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        if data.count < offset { offset = 0 }
        let bytes = [UInt8](data[offset...])
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        offset += lastNewline + 1
        var commands: [LiveControlCommand] = []
        for line in bytes[..<lastNewline].split(separator: UInt8(ascii: "\n")) {
            guard line.count <= Self.lineBytesMax else {
                logger.warning("control line of \(line.count) bytes skipped")
                continue
            }
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            do { commands.append(try JSONDecoder().decode(LiveControlCommand.self, from: Data(line))) } catch {
                logger.warning("control line not understood: \(text.prefix(200))")
            }
        }
        return commands
    }
}

import Foundation

/// Whom a node waits on, as one fixed-width line a live run reads when a fault names `REGION/leader`.
///
/// The metrics file says the same but is rewritten every 50 ms, and since blocks commit without rewriting the
/// state's pages a round of `default` takes about 11 ms live: a leader read from it was often four rounds old, and
/// the crash hit a validator that no longer led (a fault must hit what it names). The consensus thread rewrites this
/// line in place whenever its round or the leader it awaits changes (a `pwrite` of 68 bytes, a few µs, about a
/// hundred times a second). The line ends with a check value, so a reader that catches a write half done sees a
/// line that does not add up, and reads again or falls back to the metrics file.
public struct LeaderStatus: Equatable, Sendable {
    /// Appended to the metrics file's path.
    public static let fileSuffix = ".leader"
    public static let lineBytes = 68

    public var round: UInt64
    public var progress: Int
    public var awaitedLeader: Int
    public var writtenAtUnixNanos: UInt64

    public init(round: UInt64, progress: Int, awaitedLeader: Int, writtenAtUnixNanos: UInt64) {
        self.round = round
        self.progress = progress
        self.awaitedLeader = awaitedLeader
        self.writtenAtUnixNanos = writtenAtUnixNanos
    }

    private var check: UInt64 {
        (round &+ UInt64(progress) &* 31 &+ UInt64(awaitedLeader) &* 1_009 &+ writtenAtUnixNanos) % 1_000_000_007
    }

    /// `round progress leader nanos check`, zero-padded to fixed widths so a rewrite covers the whole line.
    public var line: String {
        String(
            format: "%020llu %08ld %05ld %020llu %010llu\n", round, min(max(progress, 0), 99_999_999),
            min(max(awaitedLeader, 0), 99_999), writtenAtUnixNanos, check)
    }

    /// Nil for anything but a whole, consistent line.
    public init?(line: String) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard line.utf8.count == Self.lineBytes, line.hasSuffix("\n"), fields.count == 5,
            let round = UInt64(fields[0]), let progress = Int(fields[1]), let leader = Int(fields[2]),
            let nanos = UInt64(fields[3]), let check = UInt64(fields[4].dropLast())
        else { return nil }
        self.init(round: round, progress: progress, awaitedLeader: leader, writtenAtUnixNanos: nanos)
        guard self.check == check else { return nil }
    }

    /// Reads the file next to `metricsFile`; nil if it is missing or a write was caught half done three times.
    public static func read(metricsFile path: String) -> LeaderStatus? {
        for _ in 0..<3 {
            guard let data = FileManager.default.contents(atPath: path + fileSuffix) else { return nil }
            if let status = LeaderStatus(line: String(decoding: data, as: UTF8.self)) { return status }
        }
        return nil
    }
}

/// The writing side, owned by the consensus thread.
final class LeaderStatusFile {
    private let descriptor: Int32
    private var last: (round: UInt64, leader: Int)?

    /// Nil if the file cannot be opened: the run then reads the metrics file, as before.
    init?(metricsFile path: String) {
        let descriptor = open(path + LeaderStatus.fileSuffix, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func update(round: UInt64, progress: Int, awaitedLeader: Int) {
        guard last.map({ $0.round != round || $0.leader != awaitedLeader }) ?? true else { return }
        last = (round, awaitedLeader)
        let status = LeaderStatus(
            round: round, progress: progress, awaitedLeader: awaitedLeader,
            writtenAtUnixNanos: UInt64(Date().timeIntervalSince1970 * 1e9))
        let bytes = Array(status.line.utf8)
        // A status file that cannot be written leaves the metrics file to say the same, 50 ms later.
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }
}

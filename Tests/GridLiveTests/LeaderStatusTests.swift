import Foundation
import Testing

@testable import GridLive

/// The line a live node rewrites at every round change, read when a fault names `REGION/leader`.
struct LeaderStatusTests {
    @Test func aLineReadsBackAndADamagedOneDoesNot() throws {
        let status = LeaderStatus(round: 406, progress: 2, awaitedLeader: 3, writtenAtUnixNanos: 1_780_000_000_123)
        let line = status.line
        #expect(line.utf8.count == LeaderStatus.lineBytes)
        #expect(LeaderStatus(line: line) == status)
        // A write caught half done mixes two lines: the check value no longer adds up.
        let next = LeaderStatus(round: 407, progress: 0, awaitedLeader: 0, writtenAtUnixNanos: 1_780_000_011_456)
        let torn = String(next.line.prefix(30)) + String(line.dropFirst(30))
        #expect(torn.utf8.count == LeaderStatus.lineBytes && LeaderStatus(line: torn) == nil)
        for bad in ["", "406 2 3 1 1\n", String(line.dropLast()), line.replacingOccurrences(of: "3 ", with: "x ")] {
            #expect(LeaderStatus(line: bad) == nil, "\(bad)")
        }
    }

    /// The file is rewritten in place only when the round or the awaited leader changes.
    @Test func theFileFollowsRoundsAndLeaders() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("leader-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path + LeaderStatus.fileSuffix) }
        #expect(LeaderStatus.read(metricsFile: path) == nil)
        let file = try #require(LeaderStatusFile(metricsFile: path))
        #expect(LeaderStatus.read(metricsFile: path) == nil)  // opened, nothing written yet
        file.update(round: 5, progress: 1, awaitedLeader: 2)
        let first = try #require(LeaderStatus.read(metricsFile: path))
        #expect(first.round == 5 && first.progress == 1 && first.awaitedLeader == 2)
        file.update(round: 5, progress: 3, awaitedLeader: 2)  // same round and leader: not rewritten
        #expect(LeaderStatus.read(metricsFile: path) == first)
        file.update(round: 6, progress: 0, awaitedLeader: 3)
        let second = try #require(LeaderStatus.read(metricsFile: path))
        #expect(second.round == 6 && second.awaitedLeader == 3 && second.writtenAtUnixNanos >= first.writtenAtUnixNanos)
    }
}

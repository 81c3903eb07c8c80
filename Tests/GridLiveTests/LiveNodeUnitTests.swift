import Foundation
import GridConsensus
import GridNode
import GridRegion
import Logging
import Testing

@testable import GridLive

/// The runtime's small parts on their own: the timer heap, the control file reader, address parsing, the link
/// model's figures.
@Suite struct LiveNodeUnitTests {
    @Test func timersFireInDeadlineOrderAndEqualDeadlinesInArmingOrder() {
        var heap = TimerHeap()
        heap.push(.duties, atNanos: 300)
        heap.push(.region(.gossip), atNanos: 100)
        heap.push(.global(.round(7)), atNanos: 200)
        heap.push(.region(.consensus(.round(1))), atNanos: 100)
        // The same timer armed twice keeps both deadlines, as the simulator does.
        heap.push(.duties, atNanos: 150)
        #expect(heap.popDue(nowNanos: 99) == nil)
        var fired: [NodeTimer] = []
        while let timer = heap.popDue(nowNanos: 1_000) { fired.append(timer) }
        #expect(
            fired == [
                .region(.gossip), .region(.consensus(.round(1))), .duties, .global(.round(7)), .duties,
            ])
        #expect(heap.nextDeadlineNanos == nil)
    }

    @Test func theControlFileIsReadLineByLineFromWhereItStopped() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logger = Logger(label: "test")
        var reader = ControlFileReader(path: path)
        #expect(reader.newCommands(logger: logger).isEmpty)  // no file yet
        try Data((#"{"partition":["r0/v1","global/v2"]}"# + "\n" + #"{"loss":0.2"#).utf8).write(
            to: URL(fileURLWithPath: path))
        #expect(reader.newCommands(logger: logger) == [LiveControlCommand(partition: ["r0/v1", "global/v2"])])
        // The unfinished line is taken once its newline arrives; a line that does not parse is skipped.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("}\nnot json\n" + LiveControlCommand(heal: true).line()).utf8))
        try handle.close()
        #expect(reader.newCommands(logger: logger) == [LiveControlCommand(loss: 0.2), LiveControlCommand(heal: true)])
        #expect(reader.newCommands(logger: logger).isEmpty)
        // A file written anew (shorter) is read from its start.
        try Data(LiveControlCommand(loss: 0).line().utf8).write(to: URL(fileURLWithPath: path))
        #expect(reader.newCommands(logger: logger) == [LiveControlCommand(loss: 0)])
    }

    @Test(arguments: [
        NodeAddress.validator(region: 0, index: 0), .validator(region: 12, index: 3), .member(0), .member(6),
    ])
    func addressesParseBackFromTheirNames(_ address: NodeAddress) {
        #expect(NodeAddress(parsing: address.description) == address)
        #expect(NodeAddress(identity: address.identity) == address)
    }

    @Test(arguments: ["", "r0", "r0/v", "r-1/v0", "rx/v1", "global/1", "r0/v1/x", "member/v1"])
    func malformedAddressesDoNotParse(_ text: String) {
        #expect(NodeAddress(parsing: text) == nil)
    }

    @Test func linkFiguresBecomeNanoseconds() {
        let model = LinkModel(.init(latencyMillis: 2.5, jitterMillis: 0.5, bandwidthMbps: 100, lossRate: 0.1))
        #expect(model.latencyNanos == 2_500_000 && model.jitterNanos == 500_000)
        #expect(model.nanosPerByte == 80)
        #expect(!model.isImmediate)
        #expect(LinkModel(.init(latencyMillis: 0, jitterMillis: 0, bandwidthMbps: 0)).isImmediate)
    }
}

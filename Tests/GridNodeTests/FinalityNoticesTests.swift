import GridRegion
import Testing

@testable import GridNode

/// The gateway's list of clients waiting for finality: answered in commit order when a checkpoint covers their
/// block, at once when it already does, and bounded, the oldest given up and counted.
struct FinalityNoticesTests {
    static func finalized(_ output: NodeOutput) -> [(ClientRequestID, UInt64)] {
        output.replies.compactMap { entry in
            if case .finalized(let height) = entry.reply { return (entry.id, height) }
            return nil
        }
    }

    static func losses(_ output: NodeOutput) -> Int {
        output.observations.filter {
            if case .lost(.finalityNoticesFull) = $0 { return true }
            return false
        }.count
    }

    @Test func noticesLeaveWhenTheirBlockIsFinalAndNotBefore() {
        var notices = FinalityNotices()
        var output = NodeOutput()
        notices.committed(1, height: 5, finalizedHeight: 3, &output)
        notices.committed(2, height: 5, finalizedHeight: 3, &output)
        notices.committed(3, height: 7, finalizedHeight: 3, &output)
        // Block 2 is final already: that client hears at once.
        notices.committed(4, height: 2, finalizedHeight: 3, &output)
        #expect(Self.finalized(output).map(\.0) == [4])
        output = NodeOutput()
        notices.finalized(upTo: 6, &output)
        #expect(Self.finalized(output).map(\.0) == [1, 2])
        #expect(Self.finalized(output).map(\.1) == [5, 5])
        #expect(notices.count == 1)
        output = NodeOutput()
        notices.finalized(upTo: 6, &output)
        #expect(output.replies.isEmpty)
        notices.finalized(upTo: 9, &output)
        #expect(Self.finalized(output).map(\.0) == [3])
        #expect(notices.count == 0)
    }

    @Test func pastTheBoundTheOldestIsGivenUpAndCounted() {
        var notices = FinalityNotices(awaitingLimit: 3)
        var output = NodeOutput()
        for id: ClientRequestID in 1...5 { notices.committed(id, height: id, finalizedHeight: 0, &output) }
        #expect(Self.losses(output) == 2)
        #expect(notices.count == 3)
        output = NodeOutput()
        notices.finalized(upTo: 10, &output)
        #expect(Self.finalized(output).map(\.0) == [3, 4, 5])
    }
}

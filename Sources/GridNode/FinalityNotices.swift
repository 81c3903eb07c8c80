import GridRegion

/// A gateway's clients whose transactions committed and whose blocks no checkpoint has made final yet. Each gets a
/// `.finalized` reply once the gateway holds a committed checkpoint covering its block, so a live client measures
/// global finality on its own clock, as it measures local commit. (The simulator does not ask for these: it
/// measures global finality at the first validator of the region to learn, `regionFinalityAdvanced`.)
struct FinalityNotices {
    /// Committed replies waiting for their block to become final. Past it the oldest is given up, counted as
    /// `finality-notices-full`: a committee that stops checkpointing must not grow a gateway's memory.
    static let awaitingMax = 100_000
    /// `awaitingMax` unless a test asks for a smaller bound.
    let awaitingLimit: Int

    init(awaitingLimit: Int = FinalityNotices.awaitingMax) { self.awaitingLimit = max(1, awaitingLimit) }

    /// In commit order, so heights never decrease; `head` is the first still waiting.
    private var awaiting: [(height: UInt64, id: ClientRequestID)] = []
    private var head = 0

    var count: Int { awaiting.count - head }

    /// A client heard `committed` or `failed` for block `height`: answered at once when that block is already
    /// final, else kept.
    mutating func committed(
        _ id: ClientRequestID, height: UInt64, finalizedHeight: UInt64, _ output: inout NodeOutput
    ) {
        guard height > finalizedHeight else {
            output.replies.append((id, .finalized(height: height)))
            return
        }
        if count >= awaitingLimit {
            head += 1
            output.observations.append(.lost(.finalityNoticesFull))
        }
        awaiting.append((height, id))
    }

    /// Blocks up to `height` are final: every client waiting on one of them hears so.
    mutating func finalized(upTo height: UInt64, _ output: inout NodeOutput) {
        while head < awaiting.count, awaiting[head].height <= height {
            output.replies.append((awaiting[head].id, .finalized(height: awaiting[head].height)))
            head += 1
        }
        // Drop the answered prefix once it is at least half the array, so each entry is moved O(1) times.
        if head > 0, head * 2 >= awaiting.count {
            awaiting.removeFirst(head)
            head = 0
        }
    }
}

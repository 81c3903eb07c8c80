import GridCrypto
import GridLedger

/// A broken safety property of the global layer, with enough context to find the event that broke it.
public struct GlobalInvariantViolation: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let detail: String

    public init(_ code: String, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}

/// Safety checks the simulator runs as members commit checkpoints and destination validators apply messages:
/// - no two different checkpoints at one global height (across all members);
/// - each member commits global heights 1, 2, 3, ... and finalizes each region's heights contiguously;
/// - every cross-region message is applied at most once by each applier, only if committed, and (`unapplied`)
///   eventually exactly once.
///
/// It keeps every checkpoint hash and committed message for the run: a checker, not a node, so the cost is the
/// run's own size.
public struct GlobalInvariantChecker: Sendable {
    /// A destination's message stream position: unique per message in a correct run.
    public struct MessageKey: Hashable, Sendable, Comparable {
        public var destination: RegionID
        public var sequence: UInt64

        public init(destination: RegionID, sequence: UInt64) {
            self.destination = destination
            self.sequence = sequence
        }

        public static func < (lhs: MessageKey, rhs: MessageKey) -> Bool {
            (lhs.destination, lhs.sequence) < (rhs.destination, rhs.sequence)
        }
    }

    private var checkpointHashes: [UInt64: Hash256] = [:]
    private var memberHeights: [Int: UInt64] = [:]
    private var memberRegionHeights: [Int: [RegionID: UInt64]] = [:]
    private var committedMessages: [MessageKey: Hash256] = [:]
    private var applied: [Int: Set<MessageKey>] = [:]

    public init() {}

    /// Records that `member` committed `output`; returns what it broke.
    public mutating func recordCommit(member: Int, output: CheckpointOutput) -> [GlobalInvariantViolation] {
        var violations: [GlobalInvariantViolation] = []
        if let known = checkpointHashes[output.height], known != output.checkpointHash {
            violations.append(
                GlobalInvariantViolation(
                    "conflicting-checkpoints",
                    "height \(output.height): \(known) and \(output.checkpointHash) (member \(member))"))
        } else {
            checkpointHashes[output.height] = output.checkpointHash
        }
        let expectedHeight = memberHeights[member, default: 0] + 1
        if output.height != expectedHeight {
            violations.append(
                GlobalInvariantViolation(
                    "checkpoint-gap", "member \(member) committed \(output.height), expected \(expectedHeight)"))
        }
        memberHeights[member] = max(memberHeights[member, default: 0], output.height)
        for entry in output.finalized {
            let expected = memberRegionHeights[member, default: [:]][entry.region, default: 0] + 1
            if entry.height != expected {
                violations.append(
                    GlobalInvariantViolation(
                        "region-heights-not-contiguous",
                        "member \(member), region \(entry.region): finalized \(entry.height), expected \(expected)"))
            }
            memberRegionHeights[member, default: [:]][entry.region] = entry.height
        }
        for delivery in output.deliveries {
            for message in delivery.messages {
                let key = MessageKey(destination: message.destinationRegion, sequence: message.destinationSequence)
                if let known = committedMessages[key], known != message.hash {
                    violations.append(
                        GlobalInvariantViolation(
                            "conflicting-messages",
                            "region \(key.destination) sequence \(key.sequence) (member \(member))"))
                } else {
                    committedMessages[key] = message.hash
                }
            }
        }
        return violations
    }

    /// Records that `applier` (a destination validator) applied `messages`; returns what it broke.
    public mutating func recordApplied(applier: Int, messages: [CrossRegionMessage]) -> [GlobalInvariantViolation] {
        var violations: [GlobalInvariantViolation] = []
        for message in messages {
            let key = MessageKey(destination: message.destinationRegion, sequence: message.destinationSequence)
            guard committedMessages[key] == message.hash else {
                violations.append(
                    GlobalInvariantViolation(
                        "uncommitted-message-applied",
                        "applier \(applier), region \(key.destination) sequence \(key.sequence)"))
                continue
            }
            if !applied[applier, default: []].insert(key).inserted {
                violations.append(
                    GlobalInvariantViolation(
                        "message-applied-twice",
                        "applier \(applier), region \(key.destination) sequence \(key.sequence)"))
            }
        }
        return violations
    }

    /// Committed messages for `destination` that `applier` has not applied, in order (empty at the end of a
    /// correct run once every delivery arrived).
    public func unapplied(applier: Int, destination: RegionID) -> [MessageKey] {
        let done = applied[applier] ?? []
        return committedMessages.keys.filter { $0.destination == destination && !done.contains($0) }.sorted()
    }

    public var committedCheckpointCount: Int { checkpointHashes.count }
    public var committedMessageCount: Int { committedMessages.count }
}

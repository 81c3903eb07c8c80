/// The single error type of GridLoad.
///
/// Every misuse (an outcome for a transaction that was never scheduled, a second outcome for the same one, time
/// running backwards, a limit reached) is reported with one of these cases instead of trapping, so a simulator
/// bug shows up as a failed run with a message rather than a crash or, worse, a silently wrong count.
public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A rate controller, window or limit was rejected; the string says which value and why.
    case invalidConfiguration(String)

    /// An outcome was reported for an id this recorder never handed out.
    case unknownTransaction(LoadTransactionID)

    /// An outcome was reported for a transaction that already has one. Nothing was counted.
    case outcomeAlreadyRecorded(LoadTransactionID)

    /// `sent` was reported twice for the same transaction.
    case alreadySent(LoadTransactionID)

    /// A commit was reported for a transaction that was never handed to the ledger.
    case committedWithoutSend(LoadTransactionID)

    /// An event for a transaction carried a time before the transaction's scheduled send time.
    case eventBeforeScheduledTime(LoadTransactionID, scheduledAtNanos: UInt64, eventAtNanos: UInt64)

    /// A latency of the named kind ended before it started.
    case negativeLatency(kind: String, startNanos: UInt64, endNanos: UInt64)

    /// `scheduled(atNanos:region:)` was called with a time before the previous one. Scheduled times are
    /// non-decreasing so that timeouts can be found from the oldest transaction without a scan.
    case scheduleWentBackwards(previousNanos: UInt64, scheduledAtNanos: UInt64)

    /// More transactions are unresolved than the recorder's bound allows.
    case tooManyInFlight(limit: Int)

    /// More distinct regions than the recorder's bound allows.
    case tooManyRegions(limit: Int)

    /// More distinct latency kinds than the recorder's bound allows.
    case tooManyLatencyKinds(limit: Int)

    /// A closed-loop completion was reported while nothing was outstanding.
    case closedLoopUnderflow

    /// Recorders with different windows cannot be merged: their counts mean different things.
    case windowMismatch

    /// Transactions are still unresolved; call `finish(atNanos:)` (or report their outcomes) first.
    case transactionsInFlight(count: Int)

    /// The counts do not add up; the string names the two sides that differ.
    case accountingMismatch(String)

    /// A number in a result is NaN or infinite and cannot be written as JSON; the string names the field.
    case nonFiniteValue(field: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid load configuration: \(message)"
        case .unknownTransaction(let id):
            return "outcome for unknown transaction \(id): it was never scheduled by this recorder"
        case .outcomeAlreadyRecorded(let id):
            return "transaction \(id) already has an outcome; the second one was not counted"
        case .alreadySent(let id):
            return "transaction \(id) was already reported as sent"
        case .committedWithoutSend(let id):
            return "transaction \(id) was reported committed but never reported sent"
        case .eventBeforeScheduledTime(let id, let scheduledAtNanos, let eventAtNanos):
            return
                "event for transaction \(id) at \(eventAtNanos) ns is before its scheduled time \(scheduledAtNanos) ns"
        case .negativeLatency(let kind, let startNanos, let endNanos):
            return "\(kind) latency ends at \(endNanos) ns, before it starts at \(startNanos) ns"
        case .scheduleWentBackwards(let previousNanos, let scheduledAtNanos):
            return "scheduled time \(scheduledAtNanos) ns is before the previous scheduled time \(previousNanos) ns"
        case .tooManyInFlight(let limit):
            return "more than \(limit) unresolved transactions are tracked; report outcomes or timeouts sooner"
        case .tooManyRegions(let limit):
            return "more than \(limit) distinct regions"
        case .tooManyLatencyKinds(let limit):
            return "more than \(limit) distinct latency kinds"
        case .closedLoopUnderflow:
            return "closed-loop completion reported while no transaction was outstanding"
        case .windowMismatch:
            return "recorders with different load windows cannot be merged"
        case .transactionsInFlight(let count):
            return "\(count) transactions have no outcome yet; call finish(atNanos:) before reporting"
        case .accountingMismatch(let message):
            return "accounting does not add up: \(message)"
        case .nonFiniteValue(let field):
            return "\(field) is not a finite number"
        }
    }
}

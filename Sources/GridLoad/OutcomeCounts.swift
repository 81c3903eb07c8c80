/// Identifies one transaction within one ``OutcomeRecorder``. Ids are handed out by the recorder in scheduling
/// order, starting at 0, so an id the recorder never issued, or one that already has an outcome, is detected in
/// constant time and without remembering every finished transaction.
public struct LoadTransactionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "#\(rawValue)" }
}

/// How many transactions were offered, how many were handed to the ledger, and how each one ended.
///
/// Every offered transaction ends in exactly one of `committed`, `rejected`, `dropped`, `timedOut`. Once a run is
/// finished, `committed + rejected + dropped + timedOut == offered`; `sent` is a subset of `offered` (a drop before
/// sending, or a timeout before a slot was free, is offered but not sent).
public struct OutcomeCounts: Codable, Hashable, Sendable {
    /// Scheduled by the load generator (the offered load).
    public var offered: UInt64 = 0
    /// Actually handed to a gateway validator.
    public var sent: UInt64 = 0
    /// Reached local commit.
    public var committed: UInt64 = 0
    /// Refused by admission or execution, with a reason.
    public var rejected: UInt64 = 0
    /// Not accepted because something was full ("busy"), before or after sending.
    public var dropped: UInt64 = 0
    /// No outcome before the client's deadline, or still unresolved when the run finished.
    public var timedOut: UInt64 = 0

    public init(
        offered: UInt64 = 0, sent: UInt64 = 0, committed: UInt64 = 0, rejected: UInt64 = 0, dropped: UInt64 = 0,
        timedOut: UInt64 = 0
    ) {
        self.offered = offered
        self.sent = sent
        self.committed = committed
        self.rejected = rejected
        self.dropped = dropped
        self.timedOut = timedOut
    }

    /// Transactions that ended without committing.
    public var failed: UInt64 { rejected + dropped + timedOut }

    /// Transactions that have an outcome.
    public var resolved: UInt64 { committed + failed }

    /// Offered transactions without an outcome yet (0 once the run is finished).
    public var inFlight: UInt64 { offered > resolved ? offered - resolved : 0 }

    public static func + (lhs: Self, rhs: Self) -> Self {
        Self(
            offered: lhs.offered + rhs.offered, sent: lhs.sent + rhs.sent, committed: lhs.committed + rhs.committed,
            rejected: lhs.rejected + rhs.rejected, dropped: lhs.dropped + rhs.dropped,
            timedOut: lhs.timedOut + rhs.timedOut)
    }

    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }

    /// Why these counts do not add up, or `nil` if they do. `label` names them in the message.
    func accountingProblem(label: String) -> String? {
        if resolved != offered {
            return "\(label): committed \(committed) + rejected \(rejected) + dropped \(dropped) + timed out "
                + "\(timedOut) = \(resolved), offered \(offered)"
        }
        if sent > offered { return "\(label): sent \(sent) > offered \(offered)" }
        if committed > sent { return "\(label): committed \(committed) > sent \(sent)" }
        return nil
    }
}

/// The name of a latency measured by an ``OutcomeRecorder``: from a transaction's scheduled send time to an event.
public struct LatencyKind: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Scheduled send -> local commit in the transaction's region (recorded by `committed`).
    public static let localCommit = LatencyKind(rawValue: "localCommit")
    /// Scheduled send -> the checkpoint containing the transaction's block is final.
    public static let globalFinality = LatencyKind(rawValue: "globalFinality")
    /// Start -> end of a cross-region operation (request applied in the destination region).
    public static let crossRegion = LatencyKind(rawValue: "crossRegion")

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}

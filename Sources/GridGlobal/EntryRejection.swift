import GridCrypto
import GridLedger

/// Why the global layer refused a region entry. Each reason has a stable code for counting and traces.
public struct EntryRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The region is not in the global layer's genesis configuration.
        case unknownRegion
        case wrongChain(ChainID)
        /// The certificate failed against the region's genesis validator keys.
        case badCertificate(QuorumCertificate.VerificationFailure)
        /// A valid-looking certificate that certifies a different block, height or region than the header.
        case certificateForAnotherBlock
        /// The outbox does not hash to the header's `outboxRoot`.
        case outboxMismatch
        case oversizedOutbox(count: Int)
        /// The entry alone exceeds a checkpoint's byte bound, so no checkpoint could ever carry it.
        case oversizedEntry(bytes: Int)
        /// A certified header whose parent is not the block the global layer already holds at the height below:
        /// two conflicting certified chains, which only a region with more than f Byzantine validators produces.
        case doesNotExtendChain(expectedParent: Hash256)
        /// A certified header at a height where the global layer already holds a different one.
        case conflictingHeader(known: Hash256)
        /// Too many verified entries of this region await a checkpoint; the region should send it again later.
        case backlogFull
        /// Too many entries of this region wait ahead of a gap.
        case gapBufferFull
    }

    public let region: RegionID
    public let height: UInt64
    public let reason: Reason

    public init(region: RegionID, height: UInt64, reason: Reason) {
        self.region = region
        self.height = height
        self.reason = reason
    }

    public var code: String {
        switch reason {
        case .unknownRegion: return "unknown-region"
        case .wrongChain: return "wrong-chain"
        case .badCertificate: return "bad-certificate"
        case .certificateForAnotherBlock: return "certificate-for-another-block"
        case .outboxMismatch: return "outbox-mismatch"
        case .oversizedOutbox: return "oversized-outbox"
        case .oversizedEntry: return "oversized-entry"
        case .doesNotExtendChain: return "does-not-extend-chain"
        case .conflictingHeader: return "conflicting-header"
        case .backlogFull: return "backlog-full"
        case .gapBufferFull: return "gap-buffer-full"
        }
    }

    public var description: String {
        let detail: String
        switch reason {
        case .wrongChain(let chain): detail = "chain \(chain)"
        case .badCertificate(let failure): detail = failure.description
        case .oversizedOutbox(let count): detail = "\(count) messages"
        case .oversizedEntry(let bytes): detail = "\(bytes) bytes"
        case .doesNotExtendChain(let expected): detail = "expected parent \(expected)"
        case .conflictingHeader(let known): detail = "already holds \(known)"
        default: detail = ""
        }
        let position = "region \(region) height \(height)"
        return detail.isEmpty ? "\(code) (\(position))" : "\(code) (\(position)): \(detail)"
    }
}

/// What became of one submitted entry.
public enum SubmissionOutcome: Equatable, Sendable {
    /// Verified and queued for a checkpoint. `released` counts held-back successors that it let through;
    /// `discarded` lists held-back entries that turned out not to extend it.
    case accepted(released: Int, discarded: [EntryRejection])
    /// Already pending, held back or finalized (a region runtime may resend); nothing changed.
    case duplicate
    /// Below the region's finalized tip, where the layer no longer keeps hashes to compare with: either a late
    /// resend or a conflicting header that can no longer matter, since the finalized chain cannot change.
    case stale
    /// Verified, but a gap lies below it; it waits until the missing heights arrive.
    case heldBack
    case rejected(EntryRejection)
}

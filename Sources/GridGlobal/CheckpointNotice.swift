import GridConsensus
import GridLedger

/// A committed checkpoint as one region receives it: the header and global QC (checked by the receiver against
/// the committee's genesis keys), the region's finalized height after it, and the region's messages, if any.
public struct CheckpointNotice: Hashable, Sendable {
    public let header: BlockHeader
    public let certificate: QuorumCertificate
    /// The receiving region's highest block the checkpoint (or an earlier one) made final.
    public let finalizedHeight: UInt64
    public let delivery: CheckpointDelivery?

    public init(
        header: BlockHeader, certificate: QuorumCertificate, finalizedHeight: UInt64, delivery: CheckpointDelivery?
    ) {
        self.header = header
        self.certificate = certificate
        self.finalizedHeight = finalizedHeight
        self.delivery = delivery
    }
}

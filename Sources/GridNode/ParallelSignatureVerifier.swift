import GridConsensus
import GridCrypto

/// Checks batches on all cores with `BatchVerifier`, for live runtimes. (The simulator's measured mode times
/// one thread, so it uses `DirectSignatureVerifier`, which checks a batch on the calling thread.)
public struct ParallelSignatureVerifier: SignatureVerifying {
    public let threads: Int
    /// Accounts for every check's CPU, for the node's metrics; nil checks unmetered.
    public let meter: VerificationMeter?

    public init(threads: Int = BatchVerifier.defaultThreadCount, meter: VerificationMeter? = nil) {
        self.threads = threads
        self.meter = meter
    }

    public func verify(_ signature: Signature, by key: PublicKey, of message: [UInt8]) -> Bool {
        guard let meter else { return key.verify(signature, for: message) }
        return meter.measure(count: 1) { key.verify(signature, for: message) }
    }

    public func verifyBatch(_ items: [SignedMessage]) -> [Bool] {
        BatchVerifier.verify(items, threads: threads, meter: meter)
    }
}

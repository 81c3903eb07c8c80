import GridConsensus
import GridCrypto

/// Checks batches on all cores with `BatchVerifier`, for live runtimes. (The simulator's measured mode times
/// one thread, so it uses `DirectSignatureVerifier`, which checks a batch on the calling thread.)
public struct ParallelSignatureVerifier: SignatureVerifying {
    public let threads: Int

    public init(threads: Int = BatchVerifier.defaultThreadCount) { self.threads = threads }

    public func verify(_ signature: Signature, by key: PublicKey, of message: [UInt8]) -> Bool {
        key.verify(signature, for: message)
    }

    public func verifyBatch(_ items: [SignedMessage]) -> [Bool] {
        BatchVerifier.verify(items, threads: threads)
    }
}

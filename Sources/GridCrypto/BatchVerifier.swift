import Dispatch
import Foundation

/// One signature to check: who signed, what, and the signature.
public struct SignedMessage: Sendable {
    public let publicKey: PublicKey
    public let message: [UInt8]
    public let signature: Signature

    public init(publicKey: PublicKey, message: [UInt8], signature: Signature) {
        self.publicKey = publicKey
        self.message = message
        self.signature = signature
    }
}

/// Verifies many signatures on all cores. Ed25519 batch verification proper is not in libsodium, so this spreads
/// independent checks over threads; each result says exactly which signature failed.
public enum BatchVerifier {
    /// Below this many signatures a thread hand-off costs more than it saves.
    public static let parallelThreshold = 64

    /// `meter`, if given, accounts for the checks of each thread (see `VerificationMeter`).
    public static func verify(
        _ items: [SignedMessage], threads: Int = defaultThreadCount, meter: VerificationMeter? = nil
    ) -> [Bool] {
        Sodium.ensureInitialised()
        guard items.count >= parallelThreshold, threads > 1 else {
            let check = { items.map { $0.publicKey.verify($0.signature, for: $0.message) } }
            return meter?.measure(count: items.count, check) ?? check()
        }
        var results = [Bool](repeating: false, count: items.count)
        let chunkCount = min(threads, items.count)
        results.withUnsafeMutableBufferPointer { out in
            // Each chunk writes a disjoint range of `out`, so no synchronisation is needed beyond the join.
            nonisolated(unsafe) let output = out
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let start = items.count * chunk / chunkCount
                let end = items.count * (chunk + 1) / chunkCount
                let check = {
                    for index in start..<end {
                        let item = items[index]
                        output[index] = item.publicKey.verify(item.signature, for: item.message)
                    }
                }
                if let meter { meter.measure(count: end - start, check) } else { check() }
            }
        }
        return results
    }

    public static var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

import GridConsensus
import GridCrypto

/// Model mode only: each distinct (key, signature, message) is verified with libsodium once per process and the
/// answer remembered, while every node that asks is still charged a full verification by the cost model.
/// Measured mode must not use this, since it times the real work.
final class VerificationCache: SignatureVerifying, @unchecked Sendable {
    // The simulator is single-threaded; nothing else holds this object.
    private var answers: [Hash256: Bool] = [:]
    private let entriesMax: Int
    private(set) var realVerifications = 0

    init(entriesMax: Int = 4_000_000) { self.entriesMax = entriesMax }

    func verify(_ signature: Signature, by key: PublicKey, of message: [UInt8]) -> Bool {
        var hasher = Blake2bHasher()
        hasher.update(key.bytes)
        hasher.update(signature.bytes)
        hasher.update(message)
        let entry = hasher.finalize()
        if let known = answers[entry] { return known }
        realVerifications += 1
        let valid = key.verify(signature, for: message)
        if answers.count >= entriesMax { answers.removeAll(keepingCapacity: true) }
        answers[entry] = valid
        return valid
    }
}

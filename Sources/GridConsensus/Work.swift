import GridCrypto
import GridLedger

/// Operations a state machine performed while handling one event. The simulator's model mode prices these with a
/// machine profile; measured mode ignores them and times the thread instead. Counting lives in the core (not
/// the runtime) because only the core knows, for example, how many signatures a certificate really needed.
public struct Work: Sendable, Equatable {
    public var signatureVerifications = 0
    /// Signature checks done as one batch (`SignatureVerifying.verifyBatch`): a live node spreads these over all
    /// its cores, while everything else an event does runs on its one consensus thread.
    public var batchedSignatureVerifications = 0
    public var signatures = 0
    public var hashedBytes = 0
    public var contractCalls = 0
    public var storeCommits = 0
    public var storeCommitBytes = 0
    public var encodedBytes = 0
    public var decodedBytes = 0

    public init() {}

    public static func += (lhs: inout Work, rhs: Work) {
        lhs.signatureVerifications += rhs.signatureVerifications
        lhs.batchedSignatureVerifications += rhs.batchedSignatureVerifications
        lhs.signatures += rhs.signatures
        lhs.hashedBytes += rhs.hashedBytes
        lhs.contractCalls += rhs.contractCalls
        lhs.storeCommits += rhs.storeCommits
        lhs.storeCommitBytes += rhs.storeCommitBytes
        lhs.encodedBytes += rhs.encodedBytes
        lhs.decodedBytes += rhs.decodedBytes
    }
}

/// How signatures get checked. The simulator may share one cache across all simulated nodes so that a signature
/// is verified for real once per process, while every node is still charged for verifying it.
public protocol SignatureVerifying: Sendable {
    func verify(_ signature: Signature, by key: PublicKey, of message: [UInt8]) -> Bool
    /// Checks many signatures at once; a runtime may spread them over cores. Results are in input order.
    func verifyBatch(_ items: [SignedMessage]) -> [Bool]
}

extension SignatureVerifying {
    public func verifyBatch(_ items: [SignedMessage]) -> [Bool] {
        items.map { verify($0.signature, by: $0.publicKey, of: $0.message) }
    }
}

/// Checks every signature with libsodium.
public struct DirectSignatureVerifier: SignatureVerifying {
    public init() {}
    public func verify(_ signature: Signature, by key: PublicKey, of message: [UInt8]) -> Bool {
        key.verify(signature, for: message)
    }
}

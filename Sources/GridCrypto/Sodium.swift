import CSodium

/// Errors from the crypto layer. Secret material never appears in a description.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// A byte string had the wrong length for what it claims to be.
    case invalidLength(what: String, expectedBytes: Int, actualBytes: Int)
    /// libsodium returned a failure code where the API documents success.
    case sodiumFailure(operation: String, code: Int32)

    public var description: String {
        switch self {
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .sodiumFailure(let operation, let code):
            return "libsodium \(operation) failed with code \(code)"
        }
    }
}

/// libsodium must be initialised once per process before use; `sodium_init` is itself idempotent, and a Swift
/// global `let` gives us thread-safe once-only evaluation for free.
enum Sodium {
    private static let initialisation: Int32 = sodium_init()

    @inline(__always)
    static func ensureInitialised() {
        // sodium_init returns 0 on first success, 1 if already initialised, -1 only if the system has no usable
        // entropy source: then no key can be generated safely and continuing would be wrong.
        precondition(initialisation >= 0, "libsodium could not be initialised (sodium_init returned -1)")
    }

    /// Every libsodium call that returns a status goes through here, so no return code is ever ignored.
    @inline(__always)
    static func check(_ code: Int32, _ operation: String) throws(CryptoError) {
        guard code == 0 else { throw .sodiumFailure(operation: operation, code: code) }
    }
}

/// Fills a new array with `count` bytes from libsodium's CSPRNG.
public func randomBytes(count: Int) -> [UInt8] {
    Sodium.ensureInitialised()
    var bytes = [UInt8](repeating: 0, count: count)
    guard count > 0 else { return [] }
    bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
    return bytes
}

/// libsodium's headers mark message pointers non-null even when the length is zero; this gives an empty buffer
/// a valid address to pass.
@inline(__always)
func withMessagePointer<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) -> R) -> R {
    if let base = message.baseAddress {
        return body(base.assumingMemoryBound(to: UInt8.self))
    }
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { body($0) }
}

import Foundation

/// Equality of byte arrays by one `memcmp`. The synthesized equality of a struct holding `[UInt8]` compares element
/// by element, and dictionaries and sets of hashes, keys and state keys call it on every probe: it was 3 to 4 % of a
/// live validator's CPU (perf, `default` at 3,000 tx/s, 2026-12-06).
@inlinable
public func bytesEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard !lhs.isEmpty else { return true }
    return lhs.withUnsafeBufferPointer { left in
        rhs.withUnsafeBufferPointer { right in
            left.baseAddress == right.baseAddress || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
        }
    }
}

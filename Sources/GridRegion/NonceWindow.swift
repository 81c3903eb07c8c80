/// Per-sender replay protection: the highest nonce used and which of the `width` nonces below it were used too.
///
/// Every nonce is usable exactly once, but not necessarily in order: a block that consensus abandons hands its
/// transactions back to the mempool after later nonces of the same sender may already have committed, and a
/// strictly increasing rule would turn those into failures. Nonces more than `width` below the highest are
/// refused as stale.
public struct NonceWindow: Hashable, Sendable {
    public static let width: UInt64 = 64

    public private(set) var highest: UInt64 = 0
    /// Bit i set: nonce `highest - 1 - i` was used.
    public private(set) var usedBelow: UInt64 = 0

    public init() {}

    public init(decoding bytes: [UInt8]?) {
        guard let bytes, bytes.count == 16 else { return }
        highest = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        usedBelow = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func encoded() -> [UInt8] {
        withUnsafeBytes(of: highest.bigEndian) { Array($0) } + withUnsafeBytes(of: usedBelow.bigEndian) { Array($0) }
    }

    public func canUse(_ nonce: UInt64) -> Bool {
        guard nonce > 0 else { return false }
        if nonce > highest { return true }
        let distance = highest - nonce
        guard distance >= 1, distance <= Self.width else { return false }
        return usedBelow & (1 << (distance - 1)) == 0
    }

    /// Marks `nonce` used; call only after `canUse` said yes.
    public mutating func use(_ nonce: UInt64) {
        if nonce > highest {
            let shift = nonce - highest
            // Smart shifts: shifting by 64 or more gives 0, which drops what left the window.
            var bits = usedBelow << shift
            if highest > 0 { bits |= 1 << (shift - 1) }
            usedBelow = bits
            highest = nonce
        } else {
            usedBelow |= 1 << (highest - nonce - 1)
        }
    }
}

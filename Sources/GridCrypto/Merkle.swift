/// Binary Merkle tree over BLAKE2b-256 leaf hashes.
///
/// Leaves and inner nodes are hashed with different one-byte prefixes (0x00, 0x01) so an inner node can never be
/// passed off as a leaf (second-preimage attack). An odd node at the end of a level is promoted unchanged rather
/// than paired with itself: duplicating it would let two different leaf lists share a root (CVE-2012-2459).
public enum Merkle {
    /// Root of an empty list: a fixed domain-separated constant, distinct from any real root.
    public static let emptyRoot = Hash256.blake2b([0x02] as [UInt8])

    public static func leafHash(_ leaf: Hash256) -> Hash256 {
        var hasher = Blake2bHasher()
        hasher.update([0x00] as [UInt8])
        hasher.update(leaf)
        return hasher.finalize()
    }

    static func nodeHash(_ left: Hash256, _ right: Hash256) -> Hash256 {
        var hasher = Blake2bHasher()
        hasher.update([0x01] as [UInt8])
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }

    public static func root(of leaves: [Hash256]) -> Hash256 {
        guard !leaves.isEmpty else { return emptyRoot }
        var level = leaves.map(leafHash)
        while level.count > 1 { level = nextLevel(level) }
        return level[0]
    }

    private static func nextLevel(_ level: [Hash256]) -> [Hash256] {
        var next: [Hash256] = []
        next.reserveCapacity((level.count + 1) / 2)
        var index = 0
        while index + 1 < level.count {
            next.append(nodeHash(level[index], level[index + 1]))
            index += 2
        }
        if index < level.count { next.append(level[index]) }
        return next
    }

    /// One step of an inclusion proof: the sibling and which side it sits on.
    public struct ProofStep: Hashable, Sendable {
        public let sibling: Hash256
        public let siblingIsLeft: Bool

        public init(sibling: Hash256, siblingIsLeft: Bool) {
            self.sibling = sibling
            self.siblingIsLeft = siblingIsLeft
        }
    }

    /// The inclusion proof of `leaves[index]`; nil if the index is out of range.
    public static func proof(of index: Int, in leaves: [Hash256]) -> [ProofStep]? {
        guard leaves.indices.contains(index) else { return nil }
        var steps: [ProofStep] = []
        var level = leaves.map(leafHash)
        var position = index
        while level.count > 1 {
            let siblingPosition = position ^ 1
            if siblingPosition < level.count {
                steps.append(ProofStep(sibling: level[siblingPosition], siblingIsLeft: siblingPosition < position))
            }
            level = nextLevel(level)
            position /= 2
        }
        return steps
    }

    /// The inclusion proofs of several leaves, building the tree once (what `proof(of:in:)` would rebuild for
    /// each); nil if an index is out of range.
    public static func proofs(of indices: [Int], in leaves: [Hash256]) -> [[ProofStep]]? {
        guard indices.allSatisfy({ leaves.indices.contains($0) }) else { return nil }
        var levels = [leaves.map(leafHash)]
        while levels[levels.count - 1].count > 1 { levels.append(nextLevel(levels[levels.count - 1])) }
        return indices.map { index in
            var steps: [ProofStep] = []
            var position = index
            for level in levels.dropLast() {
                let siblingPosition = position ^ 1
                if siblingPosition < level.count {
                    steps.append(ProofStep(sibling: level[siblingPosition], siblingIsLeft: siblingPosition < position))
                }
                position /= 2
            }
            return steps
        }
    }

    /// Whether `leaf` with `proof` hashes up to `root`.
    public static func verify(leaf: Hash256, proof: [ProofStep], root: Hash256) -> Bool {
        var current = leafHash(leaf)
        for step in proof {
            current = step.siblingIsLeft ? nodeHash(step.sibling, current) : nodeHash(current, step.sibling)
        }
        return current == root
    }
}

import GridCrypto
import Testing

@Suite struct HashTests {
    /// Reference values from Python's hashlib.blake2b(digest_size=32), an independent implementation.
    @Test func blake2b256KnownAnswers() {
        #expect(
            Hash256.blake2b(Array("abc".utf8)).hex == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        )
        #expect(Hash256.blake2b([UInt8]()).hex == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = Blake2bHasher()
        hasher.update(data[0..<333])
        hasher.update(data[333...])
        #expect(hasher.finalize() == Hash256.blake2b(data))
    }

    @Test func hexRoundTripAndRejects() {
        #expect([UInt8](hex: "00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
        #expect([UInt8](hex: "abc") == nil)
        #expect([UInt8](hex: "zz") == nil)
        #expect([0x01, 0xfe].hexString == "01fe")
    }
}

@Suite struct MerkleTests {
    private func leaves(_ count: Int) -> [Hash256] {
        (0..<count).map { Hash256.blake2b(Array("tx \($0)".utf8)) }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 13, 64, 100])
    func everyProofVerifiesAndFailsForAChangedLeaf(count: Int) throws {
        let list = leaves(count)
        let root = Merkle.root(of: list)
        for index in 0..<count {
            let proof = try #require(Merkle.proof(of: index, in: list))
            #expect(Merkle.verify(leaf: list[index], proof: proof, root: root))
            let changed = Hash256.blake2b(Array("forged \(index)".utf8))
            #expect(!Merkle.verify(leaf: changed, proof: proof, root: root))
            if count > 1 {
                let other = list[(index + 1) % count]
                #expect(!Merkle.verify(leaf: other, proof: proof, root: root))
            }
        }
    }

    @Test func rootDependsOnOrderAndContent() {
        let list = leaves(6)
        #expect(Merkle.root(of: list) != Merkle.root(of: list.reversed()))
        #expect(Merkle.root(of: list) != Merkle.root(of: Array(list.dropLast())))
        #expect(Merkle.root(of: []) == Merkle.emptyRoot)
        // Duplicating the last leaf must not give the same root (the CVE-2012-2459 shape).
        #expect(Merkle.root(of: leaves(3)) != Merkle.root(of: leaves(3) + [leaves(3)[2]]))
        // A single leaf's root is its leaf hash, never the raw leaf (no leaf/node confusion).
        #expect(Merkle.root(of: [list[0]]) != list[0])
    }

    @Test func proofOutOfRangeIsNil() {
        #expect(Merkle.proof(of: 3, in: leaves(3)) == nil)
        #expect(Merkle.proof(of: -1, in: leaves(3)) == nil)
    }

    /// The one-`memcmp` equality that state keys use agrees with element-wise equality.
    @Test func bytesEqualAgreesWithElementwiseEquality() throws {
        let cases: [([UInt8], [UInt8])] = [
            ([], []), ([1], []), ([1, 2, 3], [1, 2, 3]), ([1, 2, 3], [1, 2, 4]), ([0, 2, 3], [1, 2, 3]),
            ([1, 2], [1, 2, 3]), (Array(repeating: 7, count: 33), Array(repeating: 7, count: 33)),
        ]
        for (lhs, rhs) in cases {
            #expect(bytesEqual(lhs, rhs) == (lhs == rhs), "\(lhs) vs \(rhs)")
            #expect(bytesEqual(rhs, lhs) == (lhs == rhs), "\(rhs) vs \(lhs)")
        }
        let a = Hash256.blake2b([1, 2, 3])
        var flipped = a.bytes
        flipped[31] ^= 1
        let other = try Hash256(bytes: flipped)
        #expect(a == Hash256.blake2b([1, 2, 3]) && a != other)
        #expect(Set([a, other, Hash256.blake2b([1, 2, 3])]).count == 2)
    }

    /// The `memcmp` order that state keys sort by is the element-wise lexicographic one, bytes
    /// above 127 included (`memcmp` compares them unsigned) and a prefix before what extends it.
    @Test func bytesPrecedeAgreesWithLexicographicOrder() {
        let cases: [[UInt8]] = [
            [], [0], [1], [0x7f], [0x80], [0xff], [1, 2], [1, 2, 3], [1, 2, 4], [1, 0xff], [0xff, 0], [0x80, 0x7f],
            Array(repeating: 7, count: 33), Array(repeating: 7, count: 32) + [8],
        ]
        for lhs in cases {
            for rhs in cases {
                #expect(
                    bytesPrecede(lhs, rhs) == lhs.lexicographicallyPrecedes(rhs), "\(lhs) vs \(rhs)")
            }
        }
        let hashes = (0..<64).map { Hash256.blake2b([UInt8($0)]) }
        #expect(hashes.sorted().map(\.bytes) == hashes.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// Hashes, keys and signatures hold their bytes inline as words: every byte position counts for equality (a
    /// difference in any one, in any word, makes them unequal, even where the dictionary hash reads only two
    /// words), the bytes come back as they went in, and the order is the bytes' lexicographic one, across word
    /// boundaries and bytes above 127.
    @Test func inlineValuesKeepEveryByteAndTheByteOrder() throws {
        let base = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let hash = try Hash256(bytes: Array(base[0..<32]))
        let key = try PublicKey(bytes: Array(base[32..<64]))
        let signature = try Signature(bytes: base)
        #expect(hash.bytes == Array(base[0..<32]) && key.bytes == Array(base[32..<64]) && signature.bytes == base)

        var hashes: Set<Hash256> = [hash]
        var keys: Set<PublicKey> = [key]
        var signatures: Set<Signature> = [signature]
        for position in 0..<64 {
            var changed = base
            changed[position] ^= 0x80
            let other = try Signature(bytes: changed)
            #expect(other != signature, "signature byte \(position)")
            signatures.insert(other)
            guard position < 32 else { continue }
            let otherHash = try Hash256(bytes: Array(changed[0..<32]))
            let otherKey = try PublicKey(bytes: Array(changed[0..<32]))
            #expect(otherHash != hash, "hash byte \(position)")
            hashes.insert(otherHash)
            keys.insert(otherKey)
            #expect((otherHash < hash) == changed[0..<32].lexicographicallyPrecedes(base[0..<32]), "byte \(position)")
        }
        #expect(hashes.count == 33 && signatures.count == 65 && keys.count == 33)

        // Pairs that differ in one byte of each word, on either side of 0x80.
        let patterns: [[UInt8]] = (0..<32).flatMap { position in
            ([0x00, 0x7f, 0x80, 0xff] as [UInt8]).map { value in
                var bytes = [UInt8](repeating: 0x80, count: 32)
                bytes[position] = value
                return bytes
            }
        }
        let sorted = try patterns.map { try PublicKey(bytes: $0) }.sorted().map(\.bytes)
        #expect(sorted == patterns.sorted { $0.lexicographicallyPrecedes($1) })
    }
}

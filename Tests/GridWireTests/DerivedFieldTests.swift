import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire
import Testing

/// Hashes and sizes are derived from what was received, never taken from the sender.
@Suite struct DerivedFieldTests {
    /// Frame version and tag, batch count, the transaction's length, then its version, chain, region and sender.
    private static let firstNonceOffset = 1 + 1 + 4 + 4 + 1 + 4 + 2 + PublicKey.byteCount

    @Test func aMutatedGossipTransactionGetsItsOwnHash() throws {
        let batch = Fixture.pooled(3)
        var bytes = WireCodec.encode(.gossip(batch))
        bytes[Self.firstNonceOffset + 7] ^= 0x01
        guard case .gossip(let decoded) = try WireCodec.decode(bytes) else {
            Issue.record("not a gossip batch")
            return
        }
        #expect(decoded[0].transaction.nonce == batch[0].transaction.nonce ^ 1)
        #expect(decoded[0].hash != batch[0].hash)
        #expect(decoded[0].hash == Hash256.blake2b(decoded[0].transaction.encoded()))
        #expect(decoded[0].encodedBytes == decoded[0].transaction.encoded().count)
        #expect(!decoded[0].transaction.verifySignature())
        #expect(Array(decoded[1...]) == Array(batch[1...]))
    }

    /// A sender's cached hash and size are not even sent: a lying `PooledTransaction` arrives corrected, equal
    /// to what the mempool would make of the same bytes.
    @Test func senderSuppliedHashAndSizeAreIgnored() throws {
        let transaction = Fixture.transaction(5)
        let lying = PooledTransaction(transaction: transaction, hash: .zero, encodedBytes: 1)
        let decoded = try WireCodec.decode(WireCodec.encode(.gossip([lying])))
        #expect(decoded == .gossip([PooledTransaction(transaction)]))
        let bytes = transaction.encoded()
        #expect(
            decoded
                == .gossip([
                    PooledTransaction(transaction: transaction, hash: Hash256.blake2b(bytes), encodedBytes: bytes.count)
                ]))
    }

    @Test func aMutatedProposalHeaderGetsItsOwnBlockHash() throws {
        let block = Fixture.regionBlocks(count: 2, transactionsPerBlock: 2)[1]
        let proposal = Fixture.proposal(block, timeoutCertificate: nil, keys: Fixture.validatorKeys)
        var bytes = WireCodec.encode(.regionConsensus(.proposal(proposal)))
        // Frame version and tag, consensus kind, then the header: version, chain, region, height.
        let heightLastByte = 3 + 1 + 4 + 2 + 7
        bytes[heightLastByte] ^= 0x80
        guard case .regionConsensus(.proposal(let decoded)) = try WireCodec.decode(bytes) else {
            Issue.record("not a proposal")
            return
        }
        #expect(decoded.block.height == block.height ^ 0x80)
        #expect(decoded.block.hash == decoded.block.header.hash)
        #expect(decoded.block.hash != block.hash)
        // The leader's signature covers the old hash, so the receiver can tell.
        let leader = Fixture.validatorKeys[Int(block.round) % 4].publicKey
        #expect(!leader.verify(decoded.signature, for: Proposal<RegionPayload>.signingBytes(decoded.block.hash)))
        #expect(leader.verify(proposal.signature, for: Proposal<RegionPayload>.signingBytes(block.hash)))
    }

    @Test func entryHashesAndDigestsAreRecomputed() throws {
        let entries = Fixture.entries(count: 2)
        var bytes = WireCodec.encode(.entries(entries))
        // Frame version and tag, count, entry version, then the header's version byte and chain: mutate the
        // header's stateRoot (after region, height, view, parent and transactions roots).
        let stateRoot = 2 + 4 + 1 + 1 + 4 + 2 + 8 + 8 + 32 + 32
        bytes[stateRoot] ^= 0xff
        guard case .entries(let decoded) = try WireCodec.decode(bytes) else {
            Issue.record("not entries")
            return
        }
        #expect(decoded[0].blockHash == decoded[0].header.hash)
        #expect(decoded[0].blockHash != entries[0].blockHash)
        #expect(decoded[0].digest != entries[0].digest)
        #expect(decoded[1] == entries[1])
    }
}

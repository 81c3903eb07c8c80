// Real values for the seed corpora, the same as the wire tests' fixture (Tests/GridWireTests/WireTestSupport.swift):
// Ed25519 keys derived from a seed, signed transactions, blocks whose roots match, certificates signed by 3 of 4.
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire

/// SplitMix64, so every randomised case replays from its seed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// Real data for every message: Ed25519 keys derived from a seed, signed transactions, blocks whose roots match
/// their transactions, certificates signed by 3 of 4 genesis keys, timeout certificates and checkpoint notices
/// with deliveries.
public enum Fixture {
    public static let chainID: ChainID = 7
    public static let region: RegionID = 3
    public static let globalRegion = GlobalConfiguration.globalRegion
    public static let validatorKeys = (0..<4).map { KeyPair.derived(masterSeed: 41, label: "wire-test/region/\($0)") }
    public static let committeeKeys = (0..<4).map {
        KeyPair.derived(masterSeed: 41, label: "wire-test/committee/\($0)")
    }
    public static let clientKeys = (0..<8).map { KeyPair.derived(masterSeed: 41, label: "wire-test/client/\($0)") }

    public static func transaction(_ index: Int, argumentsBytes: Int = 24) -> Transaction {
        Transaction(
            chainID: chainID, region: region, signer: clientKeys[index % clientKeys.count], nonce: UInt64(index),
            contract: "energy.auction", method: "bid",
            arguments: (0..<argumentsBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
    }

    public static func pooled(_ count: Int, argumentsBytes: Int = 24) -> [PooledTransaction] {
        (0..<count).map { PooledTransaction(transaction($0, argumentsBytes: argumentsBytes)) }
    }

    public static func genesisHeader(region: RegionID, keys: [KeyPair]) -> BlockHeader {
        BlockHeader(
            chainID: chainID, region: region, height: 0, view: 0, parentHash: .zero,
            transactionsRoot: Merkle.emptyRoot, stateRoot: .zero, receiptsRoot: Merkle.emptyRoot,
            outboxRoot: Merkle.emptyRoot, proposer: keys[0].publicKey)
    }

    public static func header(
        after parent: BlockHeader, transactionsRoot: Hash256, outboxRoot: Hash256 = Merkle.emptyRoot,
        keys: [KeyPair]
    ) -> BlockHeader {
        BlockHeader(
            chainID: chainID, region: parent.region, height: parent.height + 1, view: parent.view + 1,
            parentHash: parent.hash, transactionsRoot: transactionsRoot,
            stateRoot: Hash256.blake2b(Array("state-\(parent.height + 1)".utf8)), receiptsRoot: Merkle.emptyRoot,
            outboxRoot: outboxRoot, proposer: keys[Int(parent.height + 1) % keys.count].publicKey)
    }

    /// Votes of `signers` over the header, each signed over `VoteData.signingBytes()`.
    public static func certificate(for header: BlockHeader, keys: [KeyPair], signers: [Int] = [0, 1, 2])
        -> QuorumCertificate
    {
        let data = VoteData(
            chainID: header.chainID, region: header.region, height: header.height, view: header.view,
            blockHash: header.hash)
        return QuorumCertificate(
            data: data,
            votes: signers.map {
                CertificateVote(validatorIndex: UInt16($0), signature: keys[$0].sign(data.signingBytes()))
            })
    }

    /// A region chain of `count` blocks after genesis, each holding `transactionsPerBlock` transactions and
    /// justified by a real QC over its parent.
    public static func regionBlocks(count: Int, transactionsPerBlock: Int) -> [ProposedBlock<RegionPayload>] {
        var parent = genesisHeader(region: region, keys: validatorKeys)
        var justify = QuorumCertificate.genesis(chainID: chainID, region: region, genesisHash: parent.hash)
        var blocks: [ProposedBlock<RegionPayload>] = []
        for height in 0..<count {
            let transactions = (0..<transactionsPerBlock).map {
                PooledTransaction(transaction(height * transactionsPerBlock + $0))
            }
            let header = header(
                after: parent, transactionsRoot: Block.transactionsRoot(of: transactions.map(\.transaction)),
                keys: validatorKeys)
            blocks.append(
                ProposedBlock(header: header, payload: RegionPayload(transactions: transactions), justify: justify))
            justify = certificate(for: header, keys: validatorKeys)
            parent = header
        }
        return blocks
    }

    public static func timeoutCertificate(round: UInt64, highQC: QuorumCertificate, region: RegionID, keys: [KeyPair])
        -> TimeoutCertificate
    {
        let votes = (0..<3).map { index in
            let highQCRound = highQC.view - UInt64(index % 2)
            return TimeoutVote(
                round: round, highQCRound: highQCRound, voter: UInt16(index),
                signature: keys[index].sign(
                    TimeoutVote.signingBytes(
                        chainID: chainID, region: region, round: round, highQCRound: highQCRound)))
        }
        return TimeoutCertificate(round: round, votes: votes, highQC: highQC)
    }

    public static func proposal<Payload: ConsensusPayload>(
        _ block: ProposedBlock<Payload>, timeoutCertificate: TimeoutCertificate?, keys: [KeyPair]
    ) -> Proposal<Payload> {
        let leader = keys[Int(block.round) % keys.count]
        return Proposal(
            block: block, timeoutCertificate: timeoutCertificate,
            signature: leader.sign(Proposal<Payload>.signingBytes(block.hash)))
    }

    public static func vote(for header: BlockHeader, voter: Int, keys: [KeyPair]) -> Vote {
        let data = VoteData(
            chainID: header.chainID, region: header.region, height: header.height, view: header.view,
            blockHash: header.hash)
        return Vote(data: data, voter: UInt16(voter), signature: keys[voter].sign(data.signingBytes()))
    }

    public static func timeout(
        round: UInt64, highQC: QuorumCertificate, region: RegionID, keys: [KeyPair],
        lastTimeoutCertificate: TimeoutCertificate? = nil
    ) -> TimeoutMessage {
        let vote = TimeoutVote(
            round: round, highQCRound: highQC.view, voter: 1,
            signature: keys[1].sign(
                TimeoutVote.signingBytes(chainID: chainID, region: region, round: round, highQCRound: highQC.view)))
        return TimeoutMessage(vote: vote, highQC: highQC, lastTimeoutCertificate: lastTimeoutCertificate)
    }

    public static func outbox(_ seed: Int) -> [OutboxMessage] {
        [
            OutboxMessage(destinationRegion: 4, contract: "test", method: "note", payload: Array("hello \(seed)".utf8)),
            OutboxMessage(destinationRegion: 5, contract: "", method: "Ωmega", payload: []),
        ]
    }

    /// Committed entries of the region chain, some with outboxes (pinned by the header's outbox root).
    public static func entries(count: Int) -> [RegionCommitEntry] {
        var parent = genesisHeader(region: region, keys: validatorKeys)
        var entries: [RegionCommitEntry] = []
        for index in 0..<count {
            let outbox = index % 2 == 0 ? outbox(index) : []
            let header = header(
                after: parent, transactionsRoot: Hash256.blake2b([UInt8(index)]),
                outboxRoot: RegionCommitEntry.outboxRoot(of: outbox), keys: validatorKeys)
            entries.append(
                RegionCommitEntry(
                    header: header, certificate: certificate(for: header, keys: validatorKeys), outbox: outbox))
            parent = header
        }
        return entries
    }

    /// A global chain of checkpoints over region entries, justified by committee QCs.
    public static func globalBlocks(count: Int, entriesPerBlock: Int) -> [ProposedBlock<CheckpointPayload>] {
        let allEntries = entries(count: count * entriesPerBlock)
        var parent = genesisHeader(region: globalRegion, keys: committeeKeys)
        var justify = QuorumCertificate.genesis(chainID: chainID, region: globalRegion, genesisHash: parent.hash)
        var blocks: [ProposedBlock<CheckpointPayload>] = []
        for index in 0..<count {
            let payload = CheckpointPayload(
                entries: Array(allEntries[(index * entriesPerBlock)..<((index + 1) * entriesPerBlock)]))
            let header = header(
                after: parent, transactionsRoot: Merkle.root(of: payload.entries.map(\.digest)), keys: committeeKeys)
            blocks.append(ProposedBlock(header: header, payload: payload, justify: justify))
            justify = certificate(for: header, keys: committeeKeys)
            parent = header
        }
        return blocks
    }

    /// A committed checkpoint as region 4 hears of it, with the messages sent to it.
    public static func notice(withDelivery: Bool) -> CheckpointNotice {
        let block = globalBlocks(count: 1, entriesPerBlock: 2)[0]
        let certificate = certificate(for: block.header, keys: committeeKeys)
        let messages: [CrossRegionMessage] = (0..<3).map { (index: Int) -> CrossRegionMessage in
            CrossRegionMessage(
                sourceRegion: region, sourceHeight: UInt64(index + 1), outboxIndex: UInt32(index),
                destinationSequence: UInt64(index), pairSequence: UInt64(index),
                message: OutboxMessage(
                    destinationRegion: 4, contract: "test", method: "note", payload: Array("note \(index)".utf8)))
        }
        let delivery = CheckpointDelivery(
            destination: 4, header: block.header, certificate: certificate,
            messageLeaves: messages.map { $0.hash } + [Hash256.blake2b([UInt8(9)])], messages: messages)
        return CheckpointNotice(
            header: block.header, certificate: certificate, finalizedHeight: 12,
            delivery: withDelivery ? delivery : nil)
    }

    public static var challenge: HandshakeChallenge {
        var random = SplitMix64(seed: 99)
        return HandshakeChallenge.random(using: &random)
    }

    public static func hello(identity: NodeIdentity = .validator(region: region, index: 2)) -> Hello {
        var random = SplitMix64(seed: 5)
        return Hello(
            chainID: chainID, identity: identity, publicKey: validatorKeys[2].publicKey,
            challenge: HandshakeChallenge.random(using: &random))
    }

    /// Every peer message case, each consensus message kind for both payloads, with small bodies so that every
    /// prefix and many mutations can be tried.
    public static func peerMessages() -> [(name: String, message: PeerMessage)] {
        let regionBlocks = regionBlocks(count: 3, transactionsPerBlock: 2)
        let regionQC = certificate(for: regionBlocks[2].header, keys: validatorKeys)
        let regionTC = timeoutCertificate(
            round: regionBlocks[2].round + 1, highQC: regionQC, region: region, keys: validatorKeys)
        let globalBlocks = globalBlocks(count: 2, entriesPerBlock: 2)
        let globalQC = certificate(for: globalBlocks[1].header, keys: committeeKeys)
        let globalTC = timeoutCertificate(
            round: globalBlocks[1].round + 1, highQC: globalQC, region: globalRegion, keys: committeeKeys)
        let emptyRegionBlock = ProposedBlock(
            header: regionBlocks[0].header, payload: RegionPayload(transactions: []), justify: regionBlocks[0].justify)
        let region: [(String, ConsensusMessage<RegionPayload>)] = [
            ("proposal", .proposal(proposal(regionBlocks[2], timeoutCertificate: nil, keys: validatorKeys))),
            ("proposal+tc", .proposal(proposal(regionBlocks[2], timeoutCertificate: regionTC, keys: validatorKeys))),
            ("proposal-empty", .proposal(proposal(emptyRegionBlock, timeoutCertificate: nil, keys: validatorKeys))),
            ("vote", .vote(vote(for: regionBlocks[1].header, voter: 3, keys: validatorKeys))),
            ("timeout", .timeout(timeout(round: 9, highQC: regionQC, region: Fixture.region, keys: validatorKeys))),
            (
                "timeout+tc",
                .timeout(
                    timeout(
                        round: regionTC.round + 1, highQC: regionQC, region: Fixture.region, keys: validatorKeys,
                        lastTimeoutCertificate: regionTC))
            ),
            ("syncRequest", .syncRequest(fromHeight: 17)),
            ("syncResponse", .syncResponse(SyncResponse(blocks: regionBlocks, highQC: regionQC))),
            ("syncResponse-empty", .syncResponse(SyncResponse(blocks: [], highQC: regionQC))),
        ]
        let global: [(String, ConsensusMessage<CheckpointPayload>)] = [
            ("proposal", .proposal(proposal(globalBlocks[1], timeoutCertificate: nil, keys: committeeKeys))),
            ("proposal+tc", .proposal(proposal(globalBlocks[1], timeoutCertificate: globalTC, keys: committeeKeys))),
            ("vote", .vote(vote(for: globalBlocks[0].header, voter: 0, keys: committeeKeys))),
            ("timeout", .timeout(timeout(round: 4, highQC: globalQC, region: globalRegion, keys: committeeKeys))),
            ("syncRequest", .syncRequest(fromHeight: .max)),
            ("syncResponse", .syncResponse(SyncResponse(blocks: globalBlocks, highQC: globalQC))),
        ]
        let hello = hello()
        var messages: [(name: String, message: PeerMessage)] = []
        messages += region.map { ("regionConsensus.\($0.0)", .regionConsensus($0.1)) }
        messages += global.map { ("globalConsensus.\($0.0)", .globalConsensus($0.1)) }
        messages += [
            ("gossip", .gossip(pooled(3))),
            ("gossip-empty", .gossip([])),
            ("entries", .entries(entries(count: 3))),
            ("entries-empty", .entries([])),
            ("missingEntries", .missingEntries(region: 513, fromHeight: 1 << 40)),
            ("checkpoint+delivery", .checkpoint(notice(withDelivery: true), forwarded: false)),
            ("checkpoint-forwarded", .checkpoint(notice(withDelivery: false), forwarded: true)),
            ("checkpointRequest", .checkpointRequest(fromHeight: 3)),
            ("hello.validator", .hello(hello)),
            ("hello.member", .hello(Fixture.hello(identity: .member(index: 3)))),
            ("hello.client", .hello(Fixture.hello(identity: .client))),
            (
                "helloProof",
                .helloProof(
                    HelloProof.make(
                        key: validatorKeys[2], chainID: chainID, peerChallenge: challenge, identity: hello.identity))
            ),
        ]
        return messages
    }

    public static func clientMessages() -> [(name: String, message: ClientMessage)] {
        [
            ("submit", .submit(requestID: 42, transaction: transaction(1).encoded())),
            ("submit-empty", .submit(requestID: 0, transaction: [])),
            ("reply.rejected", .reply(requestID: 42, .rejected(reason: "bad-signature"))),
            ("reply.rejected-unicode", .reply(requestID: 1, .rejected(reason: "Ωmega ⚡️ refusé"))),
            ("reply.busy", .reply(requestID: .max, .busy)),
            ("reply.committed", .reply(requestID: 7, .committed(height: 1234))),
            ("reply.failed", .reply(requestID: 8, .failed(height: 99, reason: "insufficient balance"))),
            ("reply.failed-empty", .reply(requestID: 9, .failed(height: 0, reason: ""))),
            ("reply.finalized", .reply(requestID: 13, .finalized(height: 4321))),
            ("read", .read(requestID: 10, contract: "voltage_stability", keys: [[0x73, 1, 2], []])),
            ("values", .values(requestID: 10, height: 77, values: [[1, 2, 3], nil, []])),
        ]
    }
}

import GridCrypto
import GridLedger
import GridWire
import Testing

@Suite struct HandshakeTests {
    private let key = Fixture.validatorKeys[2]
    private let identity = NodeIdentity.validator(region: Fixture.region, index: 2)

    private func challenge(_ seed: UInt64) -> HandshakeChallenge {
        var random = SplitMix64(seed: seed)
        return HandshakeChallenge.random(using: &random)
    }

    @Test func aProofVerifiesOnlyForItsKeyChallengeIdentityAndChain() {
        let challenge = challenge(1)
        let proof = HelloProof.make(key: key, chainID: Fixture.chainID, peerChallenge: challenge, identity: identity)
        #expect(
            proof.verify(publicKey: key.publicKey, chainID: Fixture.chainID, challenge: challenge, identity: identity))

        let otherKey = Fixture.validatorKeys[3].publicKey
        #expect(!proof.verify(publicKey: otherKey, chainID: Fixture.chainID, challenge: challenge, identity: identity))
        #expect(
            !proof.verify(
                publicKey: key.publicKey, chainID: Fixture.chainID, challenge: self.challenge(2), identity: identity))
        for other in [
            NodeIdentity.validator(region: Fixture.region, index: 3), .validator(region: 4, index: 2),
            .member(index: 2), .client,
        ] {
            #expect(
                !proof.verify(publicKey: key.publicKey, chainID: Fixture.chainID, challenge: challenge, identity: other)
            )
        }
        #expect(
            !proof.verify(
                publicKey: key.publicKey, chainID: Fixture.chainID + 1, challenge: challenge, identity: identity))
    }

    /// The exchange as two peers run it: each sends a hello with its own challenge, each answers the other's.
    @Test func bothSidesOfAHandshakeProveTheirIdentity() throws {
        let memberKey = Fixture.committeeKeys[1]
        let memberIdentity = NodeIdentity.member(index: 1)
        let validatorHello = Hello(
            chainID: Fixture.chainID, identity: identity, publicKey: key.publicKey, challenge: challenge(3))
        let memberHello = Hello(
            chainID: Fixture.chainID, identity: memberIdentity, publicKey: memberKey.publicKey, challenge: challenge(4))

        // Both travel through the codec, as they would on a connection.
        guard case .hello(let receivedByMember) = try WireCodec.decode(WireCodec.encode(.hello(validatorHello))),
            case .hello(let receivedByValidator) = try WireCodec.decode(WireCodec.encode(.hello(memberHello)))
        else {
            Issue.record("hellos did not decode as hellos")
            return
        }
        let validatorProof = HelloProof.make(
            key: key, chainID: Fixture.chainID, peerChallenge: receivedByValidator.challenge, identity: identity)
        let memberProof = HelloProof.make(
            key: memberKey, chainID: Fixture.chainID, peerChallenge: receivedByMember.challenge,
            identity: memberIdentity)
        guard case .helloProof(let proofAtMember) = try WireCodec.decode(WireCodec.encode(.helloProof(validatorProof)))
        else {
            Issue.record("proof did not decode as a proof")
            return
        }
        #expect(
            proofAtMember.verify(
                answering: receivedByMember, challenge: memberHello.challenge, chainID: Fixture.chainID))
        #expect(
            memberProof.verify(
                answering: receivedByValidator, challenge: validatorHello.challenge, chainID: Fixture.chainID))
        // A proof replayed back to its maker, or against the wrong challenge, fails.
        #expect(
            !validatorProof.verify(
                answering: receivedByMember, challenge: validatorHello.challenge, chainID: Fixture.chainID))
        #expect(
            !memberProof.verify(answering: receivedByMember, challenge: memberHello.challenge, chainID: Fixture.chainID)
        )
        // A hello from another chain is refused even with a valid signature for that chain.
        let foreign = Hello(
            chainID: Fixture.chainID + 1, identity: identity, publicKey: key.publicKey, challenge: challenge(5))
        let foreignProof = HelloProof.make(
            key: key, chainID: Fixture.chainID + 1, peerChallenge: memberHello.challenge, identity: identity)
        #expect(!foreignProof.verify(answering: foreign, challenge: memberHello.challenge, chainID: Fixture.chainID))
    }

    @Test func signingBytesAreDomainSeparatedAndCoverEveryInput() {
        let challenge = challenge(6)
        let bytes = HelloProof.signingBytes(chainID: Fixture.chainID, peerChallenge: challenge, identity: identity)
        #expect(bytes.starts(with: Array("GridLedger/hello/v1".utf8)))
        #expect(bytes.count == "GridLedger/hello/v1".utf8.count + 4 + HandshakeChallenge.byteCount + 5)
        #expect(Array(bytes.suffix(5)) == identity.encoded())
        #expect(
            bytes
                != HelloProof.signingBytes(
                    chainID: Fixture.chainID, peerChallenge: self.challenge(7), identity: identity))
    }

    @Test func challengesHaveExactlyTheirSizeAndDiffer() {
        #expect(HandshakeChallenge(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(HandshakeChallenge(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(HandshakeChallenge(bytes: [UInt8](repeating: 1, count: 32)) != nil)
        #expect(HandshakeChallenge.random() != HandshakeChallenge.random())
        #expect(challenge(8) == challenge(8))
        #expect(challenge(8).bytes.count == HandshakeChallenge.byteCount)
    }

    @Test func identitiesEncodeDistinctly() {
        let identities: [NodeIdentity] = [
            .validator(region: 0, index: 0), .validator(region: 0, index: 1), .validator(region: 1, index: 0),
            .member(index: 0), .member(index: 1), .client,
        ]
        #expect(Set(identities.map { $0.encoded() }).count == identities.count)
    }
}

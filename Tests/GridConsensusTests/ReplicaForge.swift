import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

typealias RegionReplica = Replica<RegionApplication>
typealias RegionReplicaAction = ReplicaAction<RegionApplication>

/// Crafts correctly signed consensus messages for one 4-validator region (f = 1, quorum 3) so that a single
/// replica can be driven by hand: blocks with the roots their payload really produces, proposals signed by the
/// leader's real Ed25519 key, certificates built from real votes. Tests then bend one thing at a time.
final class Forge {
    static let chainID: ChainID = 1
    static let region: RegionID = 0
    let keys = (0..<4).map { KeyPair.derived(masterSeed: 21, label: "replica-rules/\($0)") }
    let validators: ValidatorSet
    let genesis: ProposedBlock<RegionPayload>
    let genesisQC: QuorumCertificate
    /// The forge's own application, only used to compute the roots a payload yields on top of its ancestors.
    private var app: RegionApplication
    private var executions: [Hash256: RegionExecution] = [:]
    private var parents: [Hash256: Hash256] = [:]

    static func application() -> RegionApplication {
        RegionApplication(
            configuration: MempoolConfiguration(chainID: chainID, region: region, capacityTransactions: 100),
            contracts: [TransferContract()], verifier: DirectSignatureVerifier())
    }

    init() {
        validators = ValidatorSet(keys: keys.map(\.publicKey))
        app = Self.application()
        genesis = RegionReplica.genesisBlock(
            chainID: Self.chainID, region: Self.region, validators: validators, roots: app.genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        genesisQC = .genesis(chainID: Self.chainID, region: Self.region, genesisHash: genesis.hash)
    }

    /// Validator `index` starting from genesis (or from a saved safety state after a "restart").
    func replica(
        _ index: Int, timing: ConsensusTiming = ConsensusTiming(), safety: SafetyState? = nil
    ) -> RegionReplica {
        let configuration = ReplicaConfiguration(
            chainID: Self.chainID, region: Self.region, validators: validators, selfIndex: index, timing: timing,
            genesisHash: genesis.hash)
        return RegionReplica(
            configuration: configuration, key: keys[index], app: Self.application(),
            verifier: DirectSignatureVerifier(), committedTip: genesis, certificate: genesisQC, safety: safety)
    }

    /// A well-formed block of `round` on top of `parent`, with the roots executing `transactions` really gives.
    func block(
        round: UInt64, parent: ProposedBlock<RegionPayload>, justify: QuorumCertificate, proposer: Int,
        transactions: [PooledTransaction] = []
    ) throws -> ProposedBlock<RegionPayload> {
        var ancestors: [RegionExecution] = []
        var cursor = parent.hash
        while let execution = executions[cursor] {
            ancestors.append(execution)
            cursor = parents[cursor] ?? genesis.hash
        }
        let payload = RegionPayload(transactions: transactions)
        var work = Work()
        let execution = try app.execute(
            payload: payload, height: parent.height + 1, ancestors: ancestors, work: &work
        ).get()
        let roots = app.roots(of: execution)
        let header = BlockHeader(
            chainID: Self.chainID, region: Self.region, height: parent.height + 1, view: round,
            parentHash: parent.hash, transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot,
            receiptsRoot: roots.receiptsRoot, outboxRoot: roots.outboxRoot, proposer: keys[proposer].publicKey)
        let block = ProposedBlock(header: header, payload: payload, justify: justify)
        executions[block.hash] = execution
        parents[block.hash] = parent.hash
        return block
    }

    func proposal(
        _ block: ProposedBlock<RegionPayload>, by proposer: Int, tc: TimeoutCertificate? = nil
    ) -> Proposal<RegionPayload> {
        Proposal(
            block: block, timeoutCertificate: tc,
            signature: keys[proposer].sign(Proposal<RegionPayload>.signingBytes(block.hash)))
    }

    func voteData(_ block: ProposedBlock<RegionPayload>) -> VoteData {
        VoteData(
            chainID: Self.chainID, region: Self.region, height: block.height, view: block.round, blockHash: block.hash)
    }

    func vote(_ block: ProposedBlock<RegionPayload>, by voter: Int) -> Vote {
        let data = voteData(block)
        return Vote(data: data, voter: UInt16(voter), signature: keys[voter].sign(data.signingBytes()))
    }

    /// A certificate over `data` with one real vote per entry of `voters` (duplicates and bad indices allowed,
    /// so tests can forge broken certificates; an index beyond the set signs with validator 0's key).
    func qc(_ data: VoteData, voters: [Int]) -> QuorumCertificate {
        QuorumCertificate(
            data: data,
            votes: voters.map {
                CertificateVote(
                    validatorIndex: UInt16($0), signature: keys[$0 < keys.count ? $0 : 0].sign(data.signingBytes()))
            })
    }

    func qc(_ block: ProposedBlock<RegionPayload>, voters: [Int] = [0, 1, 2]) -> QuorumCertificate {
        qc(voteData(block), voters: voters)
    }

    func timeoutVote(round: UInt64, voter: Int, highQCRound: UInt64) -> TimeoutVote {
        TimeoutVote(
            round: round, highQCRound: highQCRound, voter: UInt16(voter),
            signature: keys[voter].sign(
                TimeoutVote.signingBytes(
                    chainID: Self.chainID, region: Self.region, round: round, highQCRound: highQCRound)))
    }

    func timeout(
        round: UInt64, voter: Int, highQC: QuorumCertificate, lastTimeoutCertificate: TimeoutCertificate? = nil
    ) -> TimeoutMessage {
        TimeoutMessage(
            vote: timeoutVote(round: round, voter: voter, highQCRound: highQC.view), highQC: highQC,
            lastTimeoutCertificate: lastTimeoutCertificate)
    }

    func tc(round: UInt64, voters: [Int] = [0, 1, 2], highQC: QuorumCertificate) -> TimeoutCertificate {
        TimeoutCertificate(
            round: round, votes: voters.map { timeoutVote(round: round, voter: $0, highQCRound: highQC.view) },
            highQC: highQC)
    }

    /// A signed transfer, so two blocks of one round can differ in payload.
    func transfer(nonce: UInt64) -> PooledTransaction {
        let device = KeyPair.derived(masterSeed: 21, label: "replica-rules/device")
        return PooledTransaction(
            Transaction(
                chainID: Self.chainID, region: Self.region, signer: device, nonce: nonce,
                contract: TransferContract.contractName, method: "transfer",
                arguments: TransferContract.transferArguments(to: device.publicKey, amountMicros: 1, energyWh: 0)))
    }
}

/// Reading a replica's action list.
extension Array where Element == RegionReplicaAction {
    var votes: [(to: Int, vote: Vote)] {
        compactMap {
            if case .send(let to, .vote(let vote)) = $0 { return (to, vote) }
            return nil
        }
    }

    var rejections: [String] {
        compactMap {
            if case .rejected(_, let rejection) = $0 { return rejection.code }
            return nil
        }
    }

    var committed: [ProposedBlock<RegionPayload>] {
        compactMap {
            if case .committed(let block, _, _) = $0 { return block }
            return nil
        }
    }

    var roundTimers: [(round: UInt64, nanos: UInt64)] {
        compactMap {
            if case .setTimer(.round(let round), let nanos) = $0 { return (round, nanos) }
            return nil
        }
    }

    var broadcastTimeouts: [TimeoutMessage] {
        compactMap {
            if case .broadcast(.timeout(let message)) = $0 { return message }
            return nil
        }
    }

    var proposeTimers: [UInt64] {
        compactMap {
            if case .setTimer(.propose(let round), _) = $0 { return round }
            return nil
        }
    }

    var syncResponses: [(to: Int, response: SyncResponse<RegionPayload>)] {
        compactMap {
            if case .send(let to, .syncResponse(let response)) = $0 { return (to, response) }
            return nil
        }
    }

    var syncRequests: [(to: Int, fromHeight: UInt64)] {
        compactMap {
            if case .send(let to, .syncRequest(let fromHeight)) = $0 { return (to, fromHeight) }
            return nil
        }
    }
}

extension Replica where App == RegionApplication {
    /// Handles `event` with an empty mempool: these tests drive consensus rules, not proposals of client work.
    mutating func handle(_ event: ReplicaEvent<RegionPayload>) -> [RegionReplicaAction] {
        var work = Work()
        var pool = Mempool(configuration: app.configuration)
        return handle(event, pool: &pool, work: &work)
    }

    mutating func receive(_ message: ConsensusMessage<RegionPayload>, from sender: Int) -> [RegionReplicaAction] {
        handle(.message(from: sender, message))
    }
}

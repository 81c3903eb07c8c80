import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion

/// Region chains built by hand: headers linked by parent hash, certified by 3 of a region's 4 genesis keys.
struct RegionFixture {
    static let chainID: ChainID = 7
    let region: RegionID
    let keys: [KeyPair]
    let genesisHeader: BlockHeader
    var genesisHash: Hash256 { genesisHeader.hash }
    /// The last header built, so `next` extends it.
    private(set) var tip: BlockHeader

    init(region: RegionID) {
        self.region = region
        keys = (0..<4).map { KeyPair.derived(masterSeed: 31, label: "global-test/region-\(region)/\($0)") }
        let genesis = BlockHeader(
            chainID: Self.chainID, region: region, height: 0, view: 0, parentHash: .zero,
            transactionsRoot: Merkle.emptyRoot, stateRoot: .zero, receiptsRoot: Merkle.emptyRoot,
            outboxRoot: Merkle.emptyRoot, proposer: keys[0].publicKey)
        genesisHeader = genesis
        tip = genesis
    }

    var genesis: RegionGenesis {
        RegionGenesis(region: region, validators: keys.map(\.publicKey), genesisHash: genesisHash)
    }

    /// A header on top of `parent` (default: the tip), without moving the tip.
    func header(after parent: BlockHeader? = nil, outbox: [OutboxMessage] = [], salt: UInt8 = 0) -> BlockHeader {
        let parent = parent ?? tip
        return BlockHeader(
            chainID: Self.chainID, region: region, height: parent.height + 1, view: parent.view + 1,
            parentHash: parent.hash, transactionsRoot: Hash256.blake2b([salt]), stateRoot: .zero,
            receiptsRoot: Merkle.emptyRoot, outboxRoot: RegionCommitEntry.outboxRoot(of: outbox),
            proposer: keys[Int(parent.height + 1) % 4].publicKey)
    }

    /// A certificate over `header` signed by `signers` (indices into `keys`, or into `signingKeys` if given).
    func certificate(for header: BlockHeader, signers: [Int] = [0, 1, 2], signingKeys: [KeyPair]? = nil)
        -> QuorumCertificate
    {
        let data = VoteData(
            chainID: header.chainID, region: header.region, height: header.height, view: header.view,
            blockHash: header.hash)
        let keys = signingKeys ?? self.keys
        return QuorumCertificate(
            data: data,
            votes: signers.map {
                CertificateVote(validatorIndex: UInt16($0), signature: keys[$0].sign(data.signingBytes()))
            })
    }

    /// The next entry of this region's chain, moving the tip.
    mutating func next(outbox: [OutboxMessage] = []) -> RegionCommitEntry {
        let header = header(outbox: outbox)
        tip = header
        return RegionCommitEntry(header: header, certificate: certificate(for: header), outbox: outbox)
    }
}

func message(to destination: RegionID, _ text: String) -> OutboxMessage {
    OutboxMessage(destinationRegion: destination, contract: "test", method: "note", payload: Array(text.utf8))
}

func globalConfiguration(_ regions: [RegionFixture], limits: CheckpointLimits = CheckpointLimits())
    -> GlobalConfiguration
{
    GlobalConfiguration(chainID: RegionFixture.chainID, regions: regions.map(\.genesis), limits: limits)
}

extension SubmissionOutcome {
    var rejectionCode: String? {
        if case .rejected(let rejection) = self { return rejection.code }
        return nil
    }
}

/// Four global committee members wired by hand, like the region `Cluster` in GridConsensusTests.
struct Committee {
    static let region = GlobalConfiguration.globalRegion
    let keys = (0..<4).map { KeyPair.derived(masterSeed: 31, label: "global-test/committee/\($0)") }
    var members: [TestMember] = []
    let genesis: ProposedBlock<CheckpointPayload>
    var validators: ValidatorSet { ValidatorSet(keys: keys.map(\.publicKey)) }
    /// Commit outputs per member, in commit order.
    var outputs: [[CheckpointOutput]] = Array(repeating: [], count: 4)
    /// Rejections any member reported, by code.
    var rejections: [String] = []

    init(configuration: GlobalConfiguration) {
        let validators = ValidatorSet(keys: keys.map(\.publicKey))
        let app = GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier())
        genesis = Replica<GlobalApplication>.genesisBlock(
            chainID: configuration.chainID, region: Self.region, validators: validators, roots: app.genesisRoots,
            emptyPayload: CheckpointPayload(entries: []))
        for (index, key) in keys.enumerated() {
            let replicaConfiguration = ReplicaConfiguration(
                chainID: configuration.chainID, region: Self.region, validators: validators, selfIndex: index,
                timing: ConsensusTiming(), genesisHash: genesis.hash)
            members.append(
                TestMember(
                    Replica(
                        configuration: replicaConfiguration, key: key, app: app, verifier: DirectSignatureVerifier(),
                        committedTip: genesis,
                        certificate: .genesis(
                            chainID: configuration.chainID, region: Self.region, genesisHash: genesis.hash),
                        safety: nil)))
        }
    }

    /// Every member verifies the entry, as every member hears from every region's runtime.
    mutating func submit(_ entry: RegionCommitEntry) -> [SubmissionOutcome] {
        (0..<4).map { index in
            var work = Work()
            return members[index].pool.submit(entry, work: &work)
        }
    }

    /// Delivers events breadth-first until nothing is left, firing propose timers (never round timers, so no view
    /// changes) until `rounds` proposals were made.
    mutating func run(proposals rounds: Int) {
        var queue: [(to: Int, event: ReplicaEvent<CheckpointPayload>)] = (0..<4).map { ($0, .start) }
        var proposals = 0
        var proposeTimers: [(Int, UInt64)] = []
        while proposals < rounds {
            while !queue.isEmpty {
                let (to, event) = queue.removeFirst()
                var work = Work()
                for action in members[to].handle(event, work: &work) {
                    switch action {
                    case .send(let peer, let message): queue.append((peer, .message(from: to, message)))
                    case .broadcast(let message):
                        if case .proposal = message { proposals += 1 }
                        for peer in 0..<4 where peer != to { queue.append((peer, .message(from: to, message))) }
                    case .setTimer(.propose(let round), _): proposeTimers.append((to, round))
                    case .committed(_, _, let output): outputs[to].append(output)
                    case .rejected(_, let rejection): rejections.append(rejection.code)
                    case .setTimer(.round, _), .persistSafety, .loadCommittedBlocks: break
                    }
                }
            }
            guard !proposeTimers.isEmpty else { return }
            let (member, round) = proposeTimers.removeFirst()
            queue.append((member, .timer(.propose(round))))
        }
    }
}

/// A committee member as unit tests drive it: the replica and the entry pool its `GlobalNode` would own.
struct TestMember {
    var replica: Replica<GlobalApplication>
    var pool: EntryPool

    init(_ replica: Replica<GlobalApplication>) {
        self.replica = replica
        self.pool = EntryPool(application: replica.app)
    }

    var app: GlobalApplication { replica.app }

    mutating func handle(
        _ event: ReplicaEvent<CheckpointPayload>, work: inout Work
    ) -> [ReplicaAction<GlobalApplication>] {
        replica.handle(event, pool: &pool, work: &work)
    }

    mutating func answerSync(
        peer: Int, committed: [ProposedBlock<CheckpointPayload>]
    ) -> [ReplicaAction<GlobalApplication>] {
        replica.answerSync(peer: peer, committed: committed)
    }
}

/// An entry pool and an application without consensus, driven the way a replica drives them: admission,
/// payloads, execution and commit can be tested one step at a time.
struct StandaloneMember {
    var pool: EntryPool
    var app: GlobalApplication

    init(_ app: GlobalApplication) {
        self.app = app
        self.pool = EntryPool(application: app)
    }

    mutating func submit(_ entry: RegionCommitEntry, work: inout Work) -> SubmissionOutcome {
        pool.submit(entry, work: &work)
    }

    func knownTip(of region: RegionID) -> RegionTip? { pool.knownTip(of: region) }
    func finalizedTip(of region: RegionID) -> RegionTip? { app.finalizedTip(of: region) }
    func pendingCount(of region: RegionID) -> Int { pool.pendingCount(of: region) }
    func heldBackHeights(of region: RegionID) -> [UInt64] { pool.heldBackHeights(of: region) }
    var rejectionCounts: [String: Int] { pool.rejectionCounts }
    var hasFullBlock: Bool { pool.pendingWork == .fullBlock }
    var committedState: GlobalState { app.committedState }
    var committedStateRoot: Hash256 { app.committedStateRoot }
    var committedCheckpointHeight: UInt64 { app.committedCheckpointHeight }
    var genesisRoots: ExecutionRoots { app.genesisRoots }

    mutating func makePayload(ancestors: [ProposedBlock<CheckpointPayload>], work: inout Work) -> CheckpointPayload {
        pool.nextPayload(ancestors: ancestors, work: &work)
    }

    mutating func execute(
        payload: CheckpointPayload, height: UInt64, ancestors: [CheckpointExecution], work: inout Work
    ) -> Result<CheckpointExecution, ConsensusRejection> {
        let result = app.execute(
            payload: payload, height: height, ancestors: ancestors, itemsChecked: pool.itemsChecked(in: payload),
            work: &work)
        if case .success = result { pool.executed(payload, height: height) }
        return result
    }

    func roots(of execution: CheckpointExecution) -> ExecutionRoots { app.roots(of: execution) }

    mutating func commit(
        block: ProposedBlock<CheckpointPayload>, execution: CheckpointExecution, certificate: QuorumCertificate,
        work: inout Work
    ) -> CheckpointOutput {
        let output = app.commit(block: block, execution: execution, certificate: certificate, work: &work)
        pool.committed(block.payload, height: block.height)
        return output
    }
}

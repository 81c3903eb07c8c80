import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// Four region validators wired directly together, for driving the sans-IO core by hand.
struct Cluster {
    static let chainID: ChainID = 1
    let keys = (0..<4).map { KeyPair.derived(masterSeed: 9, label: "consensus-test/\($0)") }
    var nodes: [RegionNode] = []
    let genesis: ProposedBlock<RegionPayload>
    var validators: ValidatorSet { ValidatorSet(keys: keys.map(\.publicKey)) }

    static func application() -> RegionApplication {
        RegionApplication(
            configuration: MempoolConfiguration(chainID: chainID, region: 0, capacityTransactions: 100),
            contracts: [TransferContract()], verifier: DirectSignatureVerifier())
    }

    init() {
        let validators = ValidatorSet(keys: keys.map(\.publicKey))
        genesis = Replica<RegionApplication>.genesisBlock(
            chainID: Self.chainID, region: 0, validators: validators, roots: Self.application().genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        for (index, key) in keys.enumerated() {
            let configuration = ReplicaConfiguration(
                chainID: Self.chainID, region: 0, validators: validators, selfIndex: index, timing: ConsensusTiming(),
                genesisHash: genesis.hash)
            nodes.append(
                RegionNode(
                    replica: Replica(
                        configuration: configuration, key: key, app: Self.application(),
                        verifier: DirectSignatureVerifier(), committedTip: genesis,
                        certificate: .genesis(chainID: Self.chainID, region: 0, genesisHash: genesis.hash),
                        safety: nil)))
        }
    }

    mutating func handle(_ node: Int, _ event: RegionEvent) -> [RegionAction] {
        var work = Work()
        return nodes[node].handle(event, work: &work)
    }

    /// The proposal node `leader` broadcasts when its propose timer for `round` fires.
    mutating func propose(_ leader: Int, round: UInt64) -> Proposal<RegionPayload>? {
        for action in handle(leader, .timer(.consensus(.propose(round)))) {
            if case .broadcast(.consensus(.proposal(let proposal))) = action { return proposal }
        }
        return nil
    }

    static func rejections(_ actions: [RegionAction]) -> [String] {
        actions.compactMap {
            if case .rejected(_, let rejection) = $0 { return rejection.code }
            return nil
        }
    }

    static func votes(_ actions: [RegionAction]) -> [(to: Int, vote: Vote)] {
        actions.compactMap {
            if case .send(let to, .consensus(.vote(let vote))) = $0 { return (to, vote) }
            return nil
        }
    }
}

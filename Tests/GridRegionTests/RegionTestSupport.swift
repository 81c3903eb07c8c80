import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// Four region validators built the way `Tests/GridConsensusTests/ClusterSupport.swift` builds them, plus a
/// deterministic in-process message pump so that client transactions can be driven all the way to commit.
struct RegionCluster {
    static let chainID: ChainID = 1
    static let region: RegionID = 0
    let keys = (0..<4).map { KeyPair.derived(masterSeed: 13, label: "region-test/\($0)") }
    let device = KeyPair.derived(masterSeed: 13, label: "region-test/device")
    var nodes: [RegionNode] = []
    let genesis: ProposedBlock<RegionPayload>

    init(mempool: MempoolConfiguration = MempoolConfiguration(chainID: chainID, region: region)) {
        let validators = ValidatorSet(keys: keys.map(\.publicKey))
        func application() -> RegionApplication {
            RegionApplication(
                configuration: mempool, contracts: [TransferContract()], verifier: DirectSignatureVerifier())
        }
        genesis = Replica<RegionApplication>.genesisBlock(
            chainID: Self.chainID, region: Self.region, validators: validators, roots: application().genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        for (index, key) in keys.enumerated() {
            let configuration = ReplicaConfiguration(
                chainID: Self.chainID, region: Self.region, validators: validators, selfIndex: index,
                timing: ConsensusTiming(), genesisHash: genesis.hash)
            nodes.append(
                RegionNode(
                    replica: Replica(
                        configuration: configuration, key: key, app: application(),
                        verifier: DirectSignatureVerifier(), committedTip: genesis,
                        certificate: .genesis(chainID: Self.chainID, region: Self.region, genesisHash: genesis.hash),
                        safety: nil)))
        }
    }

    func transfer(
        nonce: UInt64, amountMicros: UInt64 = 1, region: RegionID = region, chainID: ChainID = chainID
    ) -> Transaction {
        Transaction(
            chainID: chainID, region: region, signer: device, nonce: nonce, contract: TransferContract.contractName,
            method: "transfer",
            arguments: TransferContract.transferArguments(
                to: keys[0].publicKey, amountMicros: amountMicros, energyWh: 0))
    }

    mutating func handle(_ node: Int, _ event: RegionEvent) -> [RegionAction] {
        var work = Work()
        return nodes[node].handle(event, work: &work)
    }

    /// Messages and timer firings not yet handled, in FIFO order, and every client reply seen so far.
    private var queue: [(node: Int, event: RegionEvent)] = []
    private(set) var replies: [(node: Int, id: ClientRequestID, reply: ClientReply)] = []

    /// Takes `actions` of `node` into the pump: messages are queued for delivery, propose and gossip timers fire
    /// at once (queued like messages); round timers never fire (no faults here, so no view changes).
    mutating func absorb(_ node: Int, _ actions: [RegionAction]) {
        for action in actions {
            switch action {
            case .send(let to, let message): queue.append((to, .peer(from: node, message)))
            case .broadcast(let message):
                for peer in nodes.indices where peer != node { queue.append((peer, .peer(from: node, message))) }
            case .setTimer(.consensus(.propose(let round)), _):
                queue.append((node, .timer(.consensus(.propose(round)))))
            case .setTimer(.gossip, _): queue.append((node, .timer(.gossip)))
            case .reply(let id, let reply): replies.append((node, id, reply))
            default: break
            }
        }
    }

    /// Starts all four validators (their first actions are queued, not yet handled).
    mutating func start() {
        for node in nodes.indices { absorb(node, handle(node, .start)) }
    }

    /// A client hands `bytes` to gateway `node` as request `id`; returns the gateway's immediate actions.
    @discardableResult
    mutating func submit(_ id: ClientRequestID, _ bytes: [UInt8], to node: Int) -> [RegionAction] {
        let actions = handle(node, .client(id, bytes: bytes))
        absorb(node, actions)
        return actions
    }

    /// Handles queued events until `done` holds for the replies seen so far, the queue is empty, or `maxEvents`
    /// were handled (empty heartbeat blocks keep the region busy forever otherwise). Returns whether `done` held.
    @discardableResult
    mutating func run(
        maxEvents: Int = 5000, until done: ([(node: Int, id: ClientRequestID, reply: ClientReply)]) -> Bool
    ) -> Bool {
        var handled = 0
        while !done(replies), !queue.isEmpty, handled < maxEvents {
            let (node, event) = queue.removeFirst()
            absorb(node, handle(node, event))
            handled += 1
        }
        return done(replies)
    }

    static func replies(_ actions: [RegionAction]) -> [(id: ClientRequestID, reply: ClientReply)] {
        actions.compactMap {
            if case .reply(let id, let reply) = $0 { return (id, reply) }
            return nil
        }
    }

    static func gossipBatches(_ actions: [RegionAction]) -> [[PooledTransaction]] {
        actions.compactMap {
            if case .broadcast(.gossip(let batch)) = $0 { return batch }
            return nil
        }
    }

    static func gossipTimers(_ actions: [RegionAction]) -> Int {
        actions.count(where: {
            if case .setTimer(.gossip, _) = $0 { return true }
            return false
        })
    }
}

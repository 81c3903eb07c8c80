import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion

/// A real contract that takes cross-region messages (contract "test", method "note", as `message(to:_:)` builds
/// them): only from the global layer, records each payload with the region that sent it, fails on "fail", and
/// answers "echo" with an outbox message back to the sender.
struct NoteContract: Contract {
    var name: String { "test" }

    static func countKey() -> [UInt8] { [0x63] }
    static func noteKey(_ index: UInt64) -> [UInt8] { [0x6e] + withUnsafeBytes(of: index.bigEndian) { Array($0) } }

    func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError) -> [UInt8] {
        guard method == "note" else { throw ContractError("unknown method \(method)") }
        guard context.sender == RegionApplication.globalLayerSender, let source = context.inboundSource else {
            throw ContractError("only the global layer may note")
        }
        guard arguments != Array("fail".utf8) else { throw ContractError("the note says fail") }
        let count = context.get(Self.countKey()).map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } ?? 0
        context.set(Self.noteKey(count), [UInt8(source >> 8), UInt8(source & 0xff)] + arguments)
        context.set(Self.countKey(), withUnsafeBytes(of: (count + 1).bigEndian) { Array($0) })
        if arguments == Array("echo".utf8) {
            context.send(
                OutboxMessage(destinationRegion: source, contract: "test", method: "note", payload: Array("ack".utf8)))
        }
        return []
    }
}

/// A contract that tries to make the application deliver a message without being `sys.inbound`.
struct RogueDeliveryContract: Contract {
    var name: String { "rogue" }

    func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError) -> [UInt8] {
        context.deliverInbound(InboundCall(sourceRegion: 9, contract: "test", method: "note", arguments: arguments))
        context.set([1], [1])
        return []
    }
}

/// One region's ledger driven block by block: real `RegionApplication`, real contracts, real signatures;
/// blocks are executed and committed directly (consensus is tested elsewhere).
struct RegionLedger {
    let region: RegionID
    let committee: Committee
    var app: RegionApplication
    var height: UInt64 = 0
    var parentHash: Hash256 = .zero
    let relay: KeyPair
    var nonce: UInt64 = 1
    /// The roots of every block, in order.
    var roots: [ExecutionRoots] = []
    var lastWork = Work()

    init(region: RegionID, committee: Committee, limits: CheckpointLimits = CheckpointLimits()) {
        self.region = region
        self.committee = committee
        relay = KeyPair.derived(masterSeed: 31, label: "inbound-test/relay/\(region)")
        app = RegionApplication(
            configuration: MempoolConfiguration(chainID: RegionFixture.chainID, region: region),
            contracts: [
                InboundContract(
                    chainID: RegionFixture.chainID, region: region, committee: committee.keys.map(\.publicKey),
                    limits: limits, verifier: DirectSignatureVerifier()),
                NoteContract(), RogueDeliveryContract(), TransferContract(),
            ],
            verifier: DirectSignatureVerifier())
    }

    /// Admits a client's transaction as the region node's gateway would, into a fresh mempool over the
    /// committed state.
    func admit(bytes: [UInt8], work: inout Work) -> AdmissionOutcome {
        var mempool = Mempool(configuration: app.configuration)
        let app = self.app
        return mempool.admit(bytes: bytes, verifier: app.verifier, nonces: { app.committedNonces($0) }, work: &work).0
    }

    /// Executes and commits one block of `transactions`; returns its receipts and outbox.
    @discardableResult
    mutating func block(_ transactions: [Transaction]) throws -> RegionCommitOutput {
        height += 1
        var work = Work()
        let payload = RegionPayload(transactions: transactions.map(PooledTransaction.init))
        let execution = try app.execute(payload: payload, height: height, ancestors: [], work: &work).get()
        let header = BlockHeader(
            chainID: RegionFixture.chainID, region: region, height: height, view: height, parentHash: parentHash,
            transactionsRoot: execution.roots.transactionsRoot, stateRoot: execution.roots.stateRoot,
            receiptsRoot: execution.roots.receiptsRoot, outboxRoot: execution.roots.outboxRoot,
            proposer: relay.publicKey)
        let certificate = QuorumCertificate.genesis(chainID: RegionFixture.chainID, region: region, genesisHash: .zero)
        let proposed = ProposedBlock(header: header, payload: payload, justify: certificate)
        let output = app.commit(block: proposed, execution: execution, certificate: certificate, work: &work)
        parentHash = header.hash
        roots.append(execution.roots)
        lastWork = work
        return output
    }

    /// Relays `delivery` in a block of its own; returns its receipt.
    mutating func relay(_ delivery: CheckpointDelivery) throws -> Receipt {
        let transaction = InboundContract.relayTransaction(
            chainID: RegionFixture.chainID, region: region, delivery: delivery, signer: relay, nonce: nonce)
        nonce += 1
        return try block([transaction]).commit.receipts[0]
    }

    /// Every table but the relay's nonces (a refused relay still consumes its nonce).
    var contractState: [String: [StateKey: [UInt8]]] {
        app.committedState.filter { $0.key != RegionApplication.nonceTable }
    }

    var notes: [String] {
        let table = app.committedState["test"] ?? [:]
        let count = table[StateKey(NoteContract.countKey())].map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } ?? 0
        return (0..<count).map { index in
            let bytes = table[StateKey(NoteContract.noteKey(index))] ?? []
            return "\(Int(bytes[0]) << 8 | Int(bytes[1])):" + String(decoding: bytes.dropFirst(2), as: UTF8.self)
        }
    }

    var nextDestinationSequence: UInt64? {
        InboundContract.nextDestinationSequence(reading: { app.committedState["sys.inbound"]?[StateKey($0)] })
    }
}

/// Regions 0, 1 and 2 send each other messages over two heights; a real committee (4 derived keys) finalizes
/// them in checkpoints of at most `entriesMax` entries, so each destination's messages span several checkpoints.
/// `payload(source, destination, height)` chooses each message's text.
func inboundCheckpoints(
    entriesMax: Int = 2,
    payload: (Int, Int, Int) -> String = { source, destination, height in "\(source)->\(destination)@\(height)" }
) -> (Committee, [CheckpointOutput]) {
    var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
    var committee = Committee(
        configuration: globalConfiguration(regions, limits: CheckpointLimits(entriesMax: entriesMax)))
    for height in 1...2 {
        for index in regions.indices {
            let outbox = (0..<3).filter { $0 != index }.map {
                message(to: RegionID($0), payload(index, $0, height))
            }
            _ = committee.submit(regions[index].next(outbox: outbox))
        }
    }
    committee.run(proposals: 12)
    return (committee, committee.outputs[0])
}

func inboundDeliveries(_ outputs: [CheckpointOutput], to region: RegionID) -> [CheckpointDelivery] {
    outputs.compactMap { output in output.deliveries.first { $0.destination == region } }
}

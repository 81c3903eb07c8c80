import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridRegion
import GridStorage
import Testing

/// The node layer's own deterministic runtime for tests, like `NIOEmbedded` for swift-nio: manual time, a FIFO
/// network with a fixed latency, real LMDB stores in a temporary directory. It carries out `NodeOutput` exactly as
/// the simulator and a live process do (frames to peers, timers, replies) and keeps what the nodes observed.
final class EmbeddedRuntime {
    struct Pending {
        let atNanos: UInt64
        let sequence: Int
        let to: NodeAddress
        let input: NodeInput
    }

    static let chainID: ChainID = 1
    let directory: URL
    var nowNanos: UInt64 = 0
    let latencyNanos: UInt64 = 1_000_000
    var hosts: [NodeAddress: any NodeHost] = [:]
    private var pending: [Pending] = []
    private var sequence = 0
    var replies: [ClientRequestID: ClientReply] = [:]
    var readAnswers: [ClientRequestID: ClientReadAnswer] = [:]
    var observations: [NodeAddress: [NodeObservation]] = [:]
    /// Every event's output as the node returned it, for tests about what one event does.
    var onOutput: (NodeAddress, NodeOutput) -> Void = { _, _ in }
    /// `RegionValidatorConfiguration.proposeWithinWriteNanos` of every validator.
    let proposeWithinWriteNanos: UInt64
    /// Frames dropped on purpose, to model a partition or a crashed peer.
    var isCut: (NodeAddress, NodeAddress) -> Bool = { _, _ in false }

    let regionKeys: [KeyPair]
    let memberKeys: [KeyPair]
    let regionGenesis: ProposedBlock<RegionPayload>
    let global: GlobalConfiguration?
    let globalGenesis: ProposedBlock<CheckpointPayload>?
    let committee: ValidatorSet?

    /// `RegionValidatorConfiguration.finalityNotices` of every validator.
    let finalityNotices: Bool
    /// Every reply in the order the nodes gave them, by request (`replies` keeps the last).
    var replyLog: [ClientRequestID: [(atNanos: UInt64, reply: ClientReply)]] = [:]

    /// Checkpoints each member keeps in memory (`CommitteeMemberConfiguration.recentCheckpointsMax`).
    let recentCheckpointsMax: Int

    init(
        validators: Int = 4, members: Int = 0, recentCheckpointsMax: Int = CommitteeMember.recentCheckpointsMax,
        proposeWithinWriteNanos: UInt64 = 0, finalityNotices: Bool = false
    ) throws {
        self.finalityNotices = finalityNotices
        self.recentCheckpointsMax = recentCheckpointsMax
        self.proposeWithinWriteNanos = proposeWithinWriteNanos
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gridnode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        regionKeys = (0..<validators).map { KeyPair.derived(masterSeed: 21, label: "node-test/r0/\($0)") }
        memberKeys = (0..<members).map { KeyPair.derived(masterSeed: 21, label: "node-test/global/\($0)") }
        let set = ValidatorSet(keys: regionKeys.map(\.publicKey))
        let app = RegionApplication(
            configuration: MempoolConfiguration(chainID: Self.chainID, region: 0), contracts: [TransferContract()],
            verifier: DirectSignatureVerifier())
        regionGenesis = Replica<RegionApplication>.genesisBlock(
            chainID: Self.chainID, region: 0, validators: set, roots: app.genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        if members > 0 {
            let committee = ValidatorSet(keys: memberKeys.map(\.publicKey))
            let configuration = GlobalConfiguration(
                chainID: Self.chainID,
                regions: [RegionGenesis(region: 0, validators: set.keys, genesisHash: regionGenesis.hash)])
            let empty = GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier())
            self.committee = committee
            global = configuration
            globalGenesis = Replica<GlobalApplication>.genesisBlock(
                chainID: Self.chainID, region: GlobalConfiguration.globalRegion, validators: committee,
                roots: empty.genesisRoots, emptyPayload: CheckpointPayload(entries: []))
        } else {
            committee = nil
            global = nil
            globalGenesis = nil
        }
        for index in 0..<validators { try start(.validator(region: 0, index: index), fresh: true) }
        for index in 0..<members { try start(.member(index), fresh: true) }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func validatorConfiguration(_ index: Int) -> RegionValidatorConfiguration {
        let link = committee.map {
            GlobalLink(
                committeeGenesis: RegionGenesis(
                    region: GlobalConfiguration.globalRegion, validators: $0.keys, genesisHash: .zero),
                resendIntervalNanos: 200_000_000)
        }
        var configuration = RegionValidatorConfiguration(
            chainID: Self.chainID, region: 0, validatorIndex: index,
            validators: ValidatorSet(keys: regionKeys.map(\.publicKey)), key: regionKeys[index],
            timing: ConsensusTiming(blockIntervalNanos: 10_000_000, viewTimeoutNanos: 200_000_000),
            mempool: MempoolConfiguration(chainID: Self.chainID, region: 0), contracts: regionContracts,
            verifier: DirectSignatureVerifier(), genesis: regionGenesis, global: link)
        configuration.proposeWithinWriteNanos = proposeWithinWriteNanos
        configuration.finalityNotices = finalityNotices
        return configuration
    }

    /// Transfers, and with a committee the inbound contract through which cross-region messages arrive (as
    /// `Deployment` configures a region).
    var regionContracts: [any Contract] {
        guard committee != nil else { return [TransferContract()] }
        return [
            TransferContract(),
            InboundContract(
                chainID: Self.chainID, region: 0, committee: memberKeys.map(\.publicKey),
                verifier: DirectSignatureVerifier()),
        ]
    }

    func storeURL(_ address: NodeAddress) -> URL {
        directory.appendingPathComponent("\(address)".replacingOccurrences(of: "/", with: "-"))
    }

    /// Builds a node from its store (fresh: writes genesis first) and hands it `.start`.
    func start(_ address: NodeAddress, fresh: Bool) throws {
        var options = Environment.Options()
        options.durability = .noSync
        options.mapSizeBytes = 16 << 20
        switch address {
        case .validator(_, let index):
            let store = try ChainStore(directory: storeURL(address), options: options)
            hosts[address] = try RegionValidator(
                configuration: validatorConfiguration(index), store: store, fresh: fresh)
        case .member(let index):
            guard let global, let globalGenesis, let committee else { return }
            let store = try CheckpointStore(directory: storeURL(address), options: options)
            let configuration = CommitteeMemberConfiguration(
                chainID: Self.chainID, index: index, committee: committee, key: memberKeys[index],
                timing: ConsensusTiming(blockIntervalNanos: 20_000_000, viewTimeoutNanos: 300_000_000),
                global: global, genesis: globalGenesis, regionSizes: [regionKeys.count],
                verifier: DirectSignatureVerifier(), recentCheckpointsMax: recentCheckpointsMax)
            hosts[address] = try CommitteeMember(configuration: configuration, store: store, fresh: fresh)
        }
        schedule(.start, to: address, afterNanos: 0)
    }

    /// Drops the node and its state; its store stays on disk for `start(_:fresh: false)`.
    func crash(_ address: NodeAddress) {
        hosts.removeValue(forKey: address)?.close()
        pending.removeAll { $0.to == address }
    }

    func validator(_ index: Int) -> RegionValidator? {
        hosts[.validator(region: 0, index: index)] as? RegionValidator
    }

    func schedule(_ input: NodeInput, to address: NodeAddress, afterNanos: UInt64) {
        sequence += 1
        let entry = Pending(atNanos: nowNanos + afterNanos, sequence: sequence, to: address, input: input)
        let position = pending.firstIndex { ($0.atNanos, $0.sequence) > (entry.atNanos, entry.sequence) }
        pending.insert(entry, at: position ?? pending.endIndex)
    }

    func submit(_ transaction: Transaction, id: ClientRequestID, to index: Int) {
        schedule(.client(id, transaction.encoded()), to: .validator(region: 0, index: index), afterNanos: 0)
    }

    /// Runs until `untilNanos` of manual time, carrying out every output.
    func run(untilNanos: UInt64) throws {
        while let next = pending.first, next.atNanos <= untilNanos {
            pending.removeFirst()
            nowNanos = next.atNanos
            guard let host = hosts[next.to] else { continue }
            let output = try host.handle(next.input)
            onOutput(next.to, output)
            observations[next.to, default: []] += output.observations
            for (timer, after) in output.timers { schedule(.timer(timer), to: next.to, afterNanos: after) }
            for (id, reply) in output.replies {
                replies[id] = reply
                replyLog[id, default: []].append((nowNanos, reply))
            }
            for (id, answer) in output.readAnswers { readAnswers[id] = answer }
            // A live node connects only to the peers `sendsTo` names: a frame to any other would be dropped.
            for outgoing in output.sends + output.sendsAfterWrite where !next.to.sendsTo(outgoing.to) {
                Issue.record("\(next.to) sent a frame to \(outgoing.to), which it does not dial")
            }
            for outgoing in output.sends + output.sendsAfterWrite where !isCut(next.to, outgoing.to) {
                schedule(.frame(from: next.to, outgoing.frame), to: outgoing.to, afterNanos: latencyNanos)
            }
        }
        nowNanos = untilNanos
    }

    func transfer(from device: KeyPair, nonce: UInt64, region: RegionID = 0) -> Transaction {
        Transaction(
            chainID: Self.chainID, region: region, signer: device, nonce: nonce,
            contract: TransferContract.contractName, method: "transfer",
            arguments: TransferContract.transferArguments(
                to: regionKeys[0].publicKey, amountMicros: 5, energyWh: 1))
    }
}

import Benchmark
import BenchmarkSupport
import Foundation
import GridCrypto
import GridLedger
import GridStorage

private let chainID: UInt32 = 7
private let region: UInt16 = 3
private let blockSize = 1_000
private let contract = "grid.dispatch"

/// A chain being extended one 1,000-transaction block per benchmark iteration. The transactions, receipts and
/// validator keys are made once; each iteration only needs a new header, certificate and state changes, and those
/// are built before `startMeasurement()`.
private final class CommitRun: @unchecked Sendable {
    // Only ever used from the one thread that runs the benchmark's iterations.
    let store: ChainStore
    let transactions: [Transaction]
    let receipts: [Receipt]
    let transactionsRoot: Hash256
    let receiptsRoot: Hash256
    let validators: [KeyPair]
    var parent: BlockHeader

    /// Opens a fresh store in `directory` (removing what an interrupted run left there) and commits genesis.
    init(directory: URL, durability: GridStorage.Environment.Durability) throws {
        try? FileManager.default.removeItem(at: directory)
        var options = GridStorage.Environment.Options()
        options.durability = durability
        store = try ChainStore(directory: directory, options: options)
        transactions = (0..<blockSize).map { index in
            Transaction(
                chainID: chainID, region: region,
                signer: KeyPair.derived(masterSeed: 42, label: "bench/sender/\(index % 50)"),
                nonce: UInt64(index), contract: contract, method: "set_point",
                arguments: (0..<64).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
        receipts = transactions.map { Receipt(transactionHash: $0.hash, status: .success, output: [1, 2, 3, 4]) }
        transactionsRoot = Block.transactionsRoot(of: transactions)
        receiptsRoot = Receipt.receiptsRoot(of: receipts)
        validators = (0..<4).map { KeyPair.derived(masterSeed: 42, label: "bench/validator/\($0)") }

        // Genesis: an empty block at height 0, so that every measured commit extends a stored parent.
        let genesis = BlockHeader(
            chainID: chainID, region: region, height: 0, view: 0, parentHash: .zero,
            transactionsRoot: Block.transactionsRoot(of: []), stateRoot: .zero,
            receiptsRoot: Receipt.receiptsRoot(of: []), outboxRoot: Merkle.emptyRoot,
            proposer: validators[0].publicKey)
        try store.commit(
            BlockCommit(
                block: Block(header: genesis, transactions: []), certificate: nil, receipts: [],
                stateChanges: StateChanges()))
        parent = genesis
    }

    /// The next block: every transaction writes one 32-byte value, 1,000 keys in all, overwritten block by block.
    func nextCommit() -> BlockCommit {
        let height = parent.height + 1
        var changes = StateChanges()
        for index in 0..<blockSize {
            var value = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 24)
            withUnsafeBytes(of: height.bigEndian) { value.append(contentsOf: $0) }
            changes.set(contract: contract, key: Array("feeder/\(index)/setpoint".utf8), value: value)
        }
        let header = BlockHeader(
            chainID: chainID, region: region, height: height, view: height, parentHash: parent.hash,
            transactionsRoot: transactionsRoot, stateRoot: changes.stateRoot(after: parent.stateRoot),
            receiptsRoot: receiptsRoot, outboxRoot: Merkle.emptyRoot,
            proposer: validators[Int(height % 4)].publicKey)
        let vote = VoteData(chainID: chainID, region: region, height: height, view: height, blockHash: header.hash)
        let message = vote.signingBytes()
        let votes = (0..<3).map { CertificateVote(validatorIndex: UInt16($0), signature: validators[$0].sign(message)) }
        return BlockCommit(
            block: Block(header: header, transactions: transactions),
            certificate: QuorumCertificate(data: vote, votes: votes), receipts: receipts, stateChanges: changes)
    }
}

/// Where the LMDB environments go: `GRIDLEDGER_BENCH_DIR` if set, else the system temporary directory. It must be
/// on a real disk (not tmpfs) for the `sync` figures to mean anything.
private func storeDirectory(_ name: String) -> URL {
    let base =
        ProcessInfo.processInfo.environment["GRIDLEDGER_BENCH_DIR"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory
    return base.appendingPathComponent("gridledger-bench-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
}

let benchmarks: @Sendable () -> Void = {
    let durabilities: [(name: String, durability: GridStorage.Environment.Durability)] = [
        ("sync", .sync), ("noSync", .noSync),
    ]
    for (name, durability) in durabilities {
        let directory = storeDirectory(name)
        Benchmark(
            "ChainStore commit, 1,000-transaction block, \(name)",
            configuration: GridBenchmark.configuration(maxDuration: .seconds(3), maxIterations: 200)
        ) { benchmark, run in
            let commit = run.nextCommit()
            benchmark.startMeasurement()
            try run.store.commit(commit)
            benchmark.stopMeasurement()
            run.parent = commit.block.header
        } setup: {
            try CommitRun(directory: directory, durability: durability)
        } teardown: {
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

import Foundation
import GridNode
import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import GridStorage

/// Measures this machine's per-operation costs with the real components (libsodium, BLAKE2b, LMDB, the transfer
/// contract, the ledger encoding) and returns a profile for `--cpu model`. Each figure is the median of several
/// timed batches, on one thread, using thread CPU time, so a busy machine disturbs it less.
public enum Calibration {
    public struct Options: Sendable {
        public var batches = 7
        public var scratchDirectory: URL
        public init(scratchDirectory: URL) { self.scratchDirectory = scratchDirectory }
    }

    /// Median thread-CPU nanoseconds per operation over `batches` batches of `operations` each.
    static func medianNanos(batches: Int, operations: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<batches {
            let start = ThreadCPUClock.nowNanos()
            for _ in 0..<operations { try body() }
            samples.append(Double(ThreadCPUClock.nowNanos() - start) / Double(operations))
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    public static func measure(_ options: Options, log: (String) -> Void = { _ in }) throws -> MachineProfile {
        let key = KeyPair.derived(masterSeed: 1, label: "calibration")
        let message = [UInt8](repeating: 0x5a, count: 150)
        let signature = key.sign(message)
        var sink = 0

        let verifyNanos = measureLogged("signature verify", log) {
            medianNanos(batches: options.batches, operations: 400) {
                if key.publicKey.verify(signature, for: message) { sink &+= 1 }
            }
        }
        let signNanos = measureLogged("sign", log) {
            medianNanos(batches: options.batches, operations: 400) { sink &+= Int(key.sign(message).bytes[0]) }
        }
        let block64KiB = [UInt8](repeating: 7, count: 64 << 10)
        let hashPerKiB = measureLogged("BLAKE2b per KiB", log) {
            medianNanos(batches: options.batches, operations: 50) {
                sink &+= Int(Hash256.blake2b(block64KiB).bytes[0])
            } / 64
        }

        // Encoding: encode + decode a 500-transaction block, per KiB of encoding.
        let transactions = (0..<500).map { index in
            Transaction(
                chainID: 1, region: 0, signer: key, nonce: UInt64(index + 1), contract: TransferContract.contractName,
                method: "transfer",
                arguments: TransferContract.transferArguments(to: key.publicKey, amountMicros: 1, energyWh: 1))
        }
        let header = BlockHeader(
            chainID: 1, region: 0, height: 1, view: 1, parentHash: .zero,
            transactionsRoot: Block.transactionsRoot(of: transactions), stateRoot: .zero, receiptsRoot: .zero,
            outboxRoot: .zero, proposer: key.publicKey)
        let block = Block(header: header, transactions: transactions)
        let blockKiB = Double(block.encoded().count) / 1024
        let codecPerKiB = try measureLogged("encode+decode per KiB", log) {
            try medianNanos(batches: options.batches, operations: 5) {
                let decoded = try Block(decoding: block.encoded())
                sink &+= decoded.transactions.count
            } / blockKiB / 2
        }

        // Execution: a 500-transaction block through the region application, per transaction. The transactions
        // are admitted first, so execution does not verify their signatures again (as on a validator).
        let contractNanos = try measureLogged("execution per transaction", log) {
            try measureExecution(transactions: transactions, batches: options.batches)
        }

        // LMDB: commits of an empty block and of a 500-transaction block give fixed and per-KiB costs.
        let (fixedNanos, perKiBNanos) = try measureLogged("LMDB commit", log) {
            try measureStore(block: block, key: key, options: options)
        }

        // Event overhead: a replica handling a timer for a round it has left does no work beyond dispatch.
        let eventNanos = measureLogged("event dispatch", log) {
            measureEventOverhead(key: key, batches: options.batches)
        }

        if sink == 42 { log("") }  // keeps the measured work observable
        let host = ProcessInfo.processInfo.hostName
        let date = ISO8601DateFormatter().string(from: Date())
        return MachineProfile(
            source: "gridledger calibrate on \(host), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(date)",
            signatureVerifyNanos: verifyNanos.rounded(), signNanos: signNanos.rounded(),
            hashNanosPerKiB: hashPerKiB.rounded(), storeCommitNanos: fixedNanos.rounded(),
            storeCommitNanosPerKiB: perKiBNanos.rounded(), contractCallNanos: contractNanos.rounded(),
            codecNanosPerKiB: codecPerKiB.rounded(), eventNanos: eventNanos.rounded())
    }

    private static func measureLogged<T>(_ what: String, _ log: (String) -> Void, _ body: () throws -> T) rethrows -> T
    {
        let value = try body()
        log("  \(what): \(value)")
        return value
    }

    private static func measureExecution(transactions: [Transaction], batches: Int) throws -> Double {
        var app = RegionApplication(
            configuration: MempoolConfiguration(chainID: 1, region: 0, blockTransactionsMax: transactions.count),
            contracts: [TransferContract()], verifier: DirectSignatureVerifier())
        var work = Work()
        for transaction in transactions { _ = app.admitClientTransaction(bytes: transaction.encoded(), work: &work) }
        let payload = RegionPayload(transactions: transactions.map(PooledTransaction.init))
        var failures = 0
        let perBlock = medianNanos(batches: batches, operations: 3) {
            if case .failure = app.execute(payload: payload, height: 1, ancestors: [], work: &work) { failures += 1 }
        }
        guard failures == 0 else { throw SimulationError.setup("calibration block did not execute") }
        return perBlock / Double(transactions.count)
    }

    private static func measureStore(block: Block, key: KeyPair, options: Options) throws -> (Double, Double) {
        let directory = options.scratchDirectory.appendingPathComponent("calibration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var storeOptions = Environment.Options()
        storeOptions.durability = .noSync
        let store = try ChainStore(directory: directory, options: storeOptions)
        defer { store.close() }
        var parent = Hash256.zero
        var height: UInt64 = 0
        func commit(_ transactions: [Transaction]) throws {
            var header = block.header
            header.height = height
            header.parentHash = parent
            header.transactionsRoot = Block.transactionsRoot(of: transactions)
            let receipts = transactions.map { Receipt(transactionHash: $0.hash, status: .success) }
            header.receiptsRoot = Receipt.receiptsRoot(of: receipts)
            var changes = StateChanges()
            for (index, transaction) in transactions.enumerated() {
                changes.set(
                    contract: "transfer", key: transaction.sender.bytes + [UInt8(index & 0xff)], value: [1, 2, 3])
            }
            let full = Block(header: header, transactions: transactions)
            try store.commit(BlockCommit(block: full, certificate: nil, receipts: receipts, stateChanges: changes))
            parent = full.hash
            height += 1
        }
        let empty = try medianNanos(batches: options.batches, operations: 40) { try commit([]) }
        let full = try medianNanos(batches: options.batches, operations: 4) { try commit(block.transactions) }
        let kib = Double(block.encoded().count) / 1024
        return (empty, max(0, (full - empty) / kib))
    }

    private static func measureEventOverhead(key: KeyPair, batches: Int) -> Double {
        let validators = ValidatorSet(keys: [key.publicKey])
        let app = RegionApplication(
            configuration: MempoolConfiguration(chainID: 1, region: 0), contracts: [],
            verifier: DirectSignatureVerifier())
        let genesis = Replica<RegionApplication>.genesisBlock(
            chainID: 1, region: 0, validators: validators, roots: app.genesisRoots,
            emptyPayload: RegionPayload(transactions: []))
        var node = RegionNode(
            replica: Replica(
                configuration: ReplicaConfiguration(
                    chainID: 1, region: 0, validators: validators, selfIndex: 0, timing: ConsensusTiming(),
                    genesisHash: genesis.hash),
                key: key, app: app, verifier: DirectSignatureVerifier(), committedTip: genesis,
                certificate: .genesis(chainID: 1, region: 0, genesisHash: genesis.hash), safety: nil))
        var work = Work()
        return medianNanos(batches: batches, operations: 5000) {
            _ = node.handle(.timer(.consensus(.round(UInt64.max))), work: &work)
        }
    }
}

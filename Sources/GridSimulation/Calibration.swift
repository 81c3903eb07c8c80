import Foundation
import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridStorage

/// Measures this machine's per-operation costs with the real components (libsodium, BLAKE2b, LMDB, the transfer
/// contract, the ledger encoding) and returns a profile for `--cpu model`. Each CPU figure is the median of several
/// timed batches, on one thread, using thread CPU time, so a busy machine disturbs it less. The durable-commit wait
/// is wall time, since the thread sleeps while the disk flushes.
public enum Calibration {
    public struct Options: Sendable {
        public var batches = 7
        /// Where the LMDB stores of the measurement live (in a fresh subdirectory, removed afterwards). The flush
        /// time is that of this directory's file system and device, so put it on the disk being described; a tmpfs
        /// flushes nothing.
        public var storeDirectory: URL
        /// Synced commits timed for ``MachineProfile/storeSyncNanos``, each paired with an unsynced one.
        public var syncCommits = 200
        public init(storeDirectory: URL) { self.storeDirectory = storeDirectory }
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
        let block = sampleBlock(key: key, transactionCount: 500)
        let transactions = block.transactions
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

        // Durable commits: the wall-time wait of a synced commit of a small block beyond the same commit unsynced.
        let syncNanos = try measureLogged("LMDB durable commit wait (wall)", log) {
            try measureStoreSync(directory: options.storeDirectory, commits: options.syncCommits)
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
            codecNanosPerKiB: codecPerKiB.rounded(), eventNanos: eventNanos.rounded(),
            storeSyncNanos: syncNanos.rounded())
    }

    /// A block of `transactionCount` transfers signed by `key`, as the calibration commits and encodes.
    static func sampleBlock(key: KeyPair, transactionCount: Int) -> Block {
        let transactions = (0..<transactionCount).map { index in
            Transaction(
                chainID: 1, region: 0, signer: key, nonce: UInt64(index + 1), contract: TransferContract.contractName,
                method: "transfer",
                arguments: TransferContract.transferArguments(to: key.publicKey, amountMicros: 1, energyWh: 1))
        }
        let header = BlockHeader(
            chainID: 1, region: 0, height: 1, view: 1, parentHash: .zero,
            transactionsRoot: Block.transactionsRoot(of: transactions), stateRoot: .zero, receiptsRoot: .zero,
            outboxRoot: .zero, proposer: key.publicKey)
        return Block(header: header, transactions: transactions)
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
        let payload = RegionPayload(transactions: transactions.map(PooledTransaction.init))
        // Signatures are priced apart (`signatureVerifications`): as at a validator that admitted every
        // transaction, execution checks none of them again.
        let checked = Array(repeating: true, count: transactions.count)
        var failures = 0
        let perBlock = medianNanos(batches: batches, operations: 3) {
            if case .failure = app.execute(
                payload: payload, height: 1, ancestors: [], itemsChecked: checked, work: &work)
            {
                failures += 1
            }
        }
        guard failures == 0 else { throw SimulationError.setup("calibration block did not execute") }
        return perBlock / Double(transactions.count)
    }

    /// A chain store that commits blocks shaped like `template`, each the next height on top of the last.
    private final class BlockWriter {
        let store: ChainStore
        let template: Block
        var parent = Hash256.zero
        var height: UInt64 = 0

        init(directory: URL, durability: Environment.Durability, template: Block) throws {
            var storeOptions = Environment.Options()
            storeOptions.durability = durability
            store = try ChainStore(directory: directory, options: storeOptions)
            self.template = template
        }

        func commit(_ transactions: [Transaction]) throws {
            var header = template.header
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
    }

    private static func measureStore(block: Block, key: KeyPair, options: Options) throws -> (Double, Double) {
        let directory = options.storeDirectory.appendingPathComponent("calibration-\(UUID().uuidString)")
        // Scratch space only: one left behind loses nothing.
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try BlockWriter(directory: directory, durability: .noSync, template: block)
        defer { writer.store.close() }
        let empty = try medianNanos(batches: options.batches, operations: 40) { try writer.commit([]) }
        let full = try medianNanos(batches: options.batches, operations: 4) { try writer.commit(block.transactions) }
        let kib = Double(block.encoded().count) / 1024
        return (empty, max(0, (full - empty) / kib))
    }

    /// Wall nanoseconds a synced commit of a small block (20 transactions, a few KiB) takes beyond the same commit
    /// unsynced: median of `commits` synced commits minus median of as many unsynced ones, alternated so that
    /// background load hits both alike. Both stores live in `directory`, so both write to the same file system.
    public static func measureStoreSync(directory: URL, commits: Int) throws -> Double {
        guard commits > 0 else {
            throw SimulationError.setup("calibration: syncCommits must be positive, got \(commits)")
        }
        let block = sampleBlock(key: KeyPair.derived(masterSeed: 1, label: "calibration"), transactionCount: 20)
        let root = directory.appendingPathComponent("calibration-sync-\(UUID().uuidString)")
        // Scratch space only: one left behind loses nothing.
        defer { try? FileManager.default.removeItem(at: root) }
        let synced = try BlockWriter(
            directory: root.appendingPathComponent("sync"), durability: .sync, template: block)
        defer { synced.store.close() }
        let unsynced = try BlockWriter(
            directory: root.appendingPathComponent("nosync"), durability: .noSync, template: block)
        defer { unsynced.store.close() }
        let transactions = block.transactions
        // The first commits grow the files; later ones reuse freed pages, as a long-running node does.
        for _ in 0..<10 {
            try synced.commit(transactions)
            try unsynced.commit(transactions)
        }
        let syncsBefore = synced.store.writeStatistics.syncs
        var syncedNanos: [UInt64] = []
        var unsyncedNanos: [UInt64] = []
        for _ in 0..<commits {
            var start = WallClock.nowNanos()
            try synced.commit(transactions)
            syncedNanos.append(WallClock.nowNanos() - start)
            start = WallClock.nowNanos()
            try unsynced.commit(transactions)
            unsyncedNanos.append(WallClock.nowNanos() - start)
        }
        // A store that silently did not flush would calibrate the page cache, not the disk.
        let syncs = synced.store.writeStatistics.syncs - syncsBefore
        guard syncs == UInt64(commits) else {
            throw SimulationError.setup(
                "calibration: \(commits) durable commits in \(root.path) flushed \(syncs) times, expected one each")
        }
        return max(0, median(syncedNanos) - median(unsyncedNanos))
    }

    private static func median(_ samples: [UInt64]) -> Double {
        let sorted = samples.sorted()
        return Double(sorted[sorted.count / 2])
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

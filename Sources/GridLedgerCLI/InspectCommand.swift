import ArgumentParser
import Foundation
import GridCrypto
import GridGlobal
import GridLedger
import GridNode

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a store's latest height and verify its hash chain and transaction roots.",
        discussion: """
            Exits with status 1 and names the first bad height if the stored chain does not verify. A committee \
            member's checkpoint store (`global-vN` under a run's stores) is recognised by its name or with \
            --checkpoints.
            """
    )

    @Argument(help: "A validator's store directory (an LMDB environment written by gridledger).")
    var storeDirectory: String

    @Flag(help: "The directory is a global committee member's checkpoint store.")
    var checkpoints = false

    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Other validator stores of the same region: each must hold the same block at every height both have.")
    var compare: [String] = []

    @Option(
        name: .long,
        help: "A file of transaction hashes (hex, one a line) that clients saw committed: each must be in the chain.")
    var committedList: String?

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: storeDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw ValidationError("STORE_DIR '\(storeDirectory)' is not a directory") }
        guard FileManager.default.fileExists(atPath: storeDirectory + "/data.mdb") else {
            throw ValidationError("STORE_DIR '\(storeDirectory)' holds no LMDB store (no data.mdb)")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: storeDirectory)
        if checkpoints || url.lastPathComponent.hasPrefix("global-") {
            try inspectCheckpoints(url)
            return
        }
        let store = try ChainStore(directory: url)
        defer { store.close() }
        guard let latest = try store.latestHeight else {
            print("\(storeDirectory): empty store (no blocks)")
            return
        }
        let tip = try store.block(atHeight: latest)
        print("store:          \(storeDirectory)")
        print("latest height:  \(latest)")
        if let tip {
            print("region:         \(tip.header.region)")
            print("tip hash:       \(tip.hash.hex)")
            print("state root:     \(tip.header.stateRoot.hex)")
        }
        if let failure = try store.verifyChain() {
            print("chain:          BAD at height \(failure.height): \(failure.reason)")
            throw ExitCode.failure
        }
        print("chain:          ok (heights 0...\(latest): parent links, transaction roots, receipt roots, index)")
        print(
            "state:          \(try store.contractTables().count) contract tables, \(try store.pendingStateBlocks) "
                + "blocks' changes pending (folded into the tables every \(store.stateFoldBlocks) blocks)")
        let duplicates = try duplicateTransactions(store, through: latest)
        print("transactions:   \(duplicates.total) committed, \(duplicates.repeated) committed more than once")
        var mismatch = duplicates.repeated > 0
        for other in compare {
            let otherStore = try ChainStore(directory: URL(fileURLWithPath: other))
            defer { otherStore.close() }
            let otherLatest = try otherStore.latestHeight ?? 0
            let common = min(latest, otherLatest)
            var firstDifference: UInt64?
            for height in stride(from: UInt64(0), through: common, by: 1) {
                if try store.block(atHeight: height)?.hash != otherStore.block(atHeight: height)?.hash {
                    firstDifference = height
                    break
                }
            }
            if let firstDifference {
                print("compare:        \(other): DIFFERENT block at height \(firstDifference)")
                mismatch = true
            } else {
                print("compare:        \(other): same blocks at heights 0...\(common) (it ends at \(otherLatest))")
            }
        }
        if let committedList {
            let text = try String(contentsOfFile: committedList, encoding: .utf8)
            let wanted = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            let inChain = try transactionHashes(store, through: latest)
            let missing = wanted.filter { !inChain.contains($0) }
            print("client commits: \(wanted.count) listed in \(committedList), \(missing.count) missing from the chain")
            for hash in missing.prefix(5) { print("  missing: \(hash)") }
            if !missing.isEmpty { mismatch = true }
        }
        if mismatch { throw ExitCode.failure }
    }

    private func transactionHashes(_ store: ChainStore, through latest: UInt64) throws -> Set<String> {
        var hashes = Set<String>()
        for height in stride(from: UInt64(1), through: latest, by: 1) {
            for transaction in try store.block(atHeight: height)?.transactions ?? [] {
                hashes.insert(transaction.hash.hex)
            }
        }
        return hashes
    }

    /// Transactions in the chain, and how many of them appear again at a later height (applied twice).
    private func duplicateTransactions(_ store: ChainStore, through latest: UInt64) throws -> (
        total: Int, repeated: Int
    ) {
        var seen = Set<Hash256>()
        var total = 0
        var repeated = 0
        for height in stride(from: UInt64(1), through: latest, by: 1) {
            for transaction in try store.block(atHeight: height)?.transactions ?? [] {
                total += 1
                if !seen.insert(transaction.hash).inserted { repeated += 1 }
            }
        }
        return (total, repeated)
    }

    /// A checkpoint store: latest checkpoint, its state root, and every stored checkpoint's parent link and
    /// certificate (the store itself checks the state snapshot against the tip's root when reading it).
    private func inspectCheckpoints(_ url: URL) throws {
        // Limits as loose as a topology may set, so any stored checkpoint can be read.
        let store = try CheckpointStore(
            directory: url, limits: CheckpointLimits(entriesMax: 100_000, bytesMax: 64 << 20))
        defer { store.close() }
        guard let latest = try store.latestHeight else {
            print("\(storeDirectory): empty checkpoint store")
            return
        }
        print("store:          \(storeDirectory) (global checkpoints)")
        print("latest height:  \(latest)")
        var parent = try store.block(atHeight: 0)?.hash
        var entries = 0
        for height in stride(from: UInt64(1), through: latest, by: 1) {
            guard let block = try store.block(atHeight: height) else {
                print("chain:          BAD at height \(height): checkpoint missing")
                throw ExitCode.failure
            }
            guard block.header.parentHash == parent else {
                print("chain:          BAD at height \(height): parent hash does not link")
                throw ExitCode.failure
            }
            guard let certificate = try store.certificate(atHeight: height), certificate.data.blockHash == block.hash
            else {
                print("chain:          BAD at height \(height): certificate missing or for another checkpoint")
                throw ExitCode.failure
            }
            entries += block.payload.entries.count
            parent = block.hash
        }
        if let (_, stateRoot) = try store.latestState() { print("state root:     \(stateRoot.hex)") }
        print("tip hash:       \(parent?.hex ?? "-")")
        print("region blocks:  \(entries) finalized by these checkpoints")
        print("chain:          ok (heights 0...\(latest): parent links, certificates name their checkpoint)")
    }
}

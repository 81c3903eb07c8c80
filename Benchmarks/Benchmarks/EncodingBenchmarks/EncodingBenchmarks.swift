import Benchmark
import BenchmarkSupport
import GridCrypto
import GridLedger

private let chainID: UInt32 = 7
private let region: UInt16 = 3

/// A set-point style call with 64 bytes of arguments, signed by one of 50 senders.
private func transaction(_ index: Int) -> Transaction {
    Transaction(
        chainID: chainID, region: region,
        signer: KeyPair.derived(masterSeed: 42, label: "bench/sender/\(index % 50)"),
        nonce: UInt64(index), contract: "grid.dispatch", method: "set_point",
        arguments: (0..<64).map { UInt8(truncatingIfNeeded: $0 &+ index) })
}

/// A block of `count` transactions whose header commits to them.
private func block(transactionCount count: Int) -> Block {
    let transactions = (0..<count).map(transaction)
    let header = BlockHeader(
        chainID: chainID, region: region, height: 1, view: 1, parentHash: .zero,
        transactionsRoot: Block.transactionsRoot(of: transactions), stateRoot: Hash256.blake2b([1] as [UInt8]),
        receiptsRoot: Hash256.blake2b([2] as [UInt8]), outboxRoot: Hash256.blake2b([3] as [UInt8]),
        proposer: KeyPair.derived(masterSeed: 42, label: "bench/proposer").publicKey)
    return Block(header: header, transactions: transactions)
}

let benchmarks: @Sendable () -> Void = {
    let blockSize = 1_000

    // MARK: - One transaction (the scaling factor makes the figures per transaction)

    Benchmark(
        "Transaction encode",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, transaction in
        for _ in benchmark.scaledIterations {
            blackHole(transaction.encoded())
        }
    } setup: {
        transaction(0)
    }

    Benchmark(
        "Transaction decode",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, bytes in
        for _ in benchmark.scaledIterations {
            blackHole(try Transaction(decoding: bytes))
        }
    } setup: {
        transaction(0).encoded()
    }

    // MARK: - A 1,000-transaction block (figures per block)

    Benchmark(
        "Block encode, 1,000 transactions",
        configuration: GridBenchmark.configuration()
    ) { benchmark, block in
        blackHole(block.encoded())
    } setup: {
        block(transactionCount: blockSize)
    }

    Benchmark(
        "Block decode, 1,000 transactions",
        configuration: GridBenchmark.configuration()
    ) { benchmark, bytes in
        blackHole(try Block(decoding: bytes))
    } setup: {
        block(transactionCount: blockSize).encoded()
    }

    // MARK: - A block's state changes (figures per block)

    Benchmark(
        "State digest, 1,000 transfers",
        configuration: GridBenchmark.configuration()
    ) { benchmark, changes in
        blackHole(changes.digest)
    } setup: {
        transferChanges(transfers: blockSize)
    }
}

/// What `transfers` transfers between 10,000 accounts write: the sender's and the recipient's balance and the
/// recipient's energy, each a 33-byte key and an 8-byte value, as `TransferContract` keys them. Accounts are hashes
/// of their index and pairs are spread by two primes, so every run digests the same changes.
private func transferChanges(transfers: Int) -> StateChanges {
    let accountCount = 10_000
    let accounts = (0..<accountCount).map { Hash256.blake2b(withUnsafeBytes(of: UInt64($0)) { Array($0) }).bytes }
    var changes = StateChanges()
    for index in 0..<transfers {
        let sender = accounts[(index &* 7_919) % accountCount]
        let recipient = accounts[(index &* 104_729 &+ 1) % accountCount]
        let value = withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) }
        changes.set(contract: "transfer", key: [0x62] + sender, value: value)
        changes.set(contract: "transfer", key: [0x62] + recipient, value: value)
        changes.set(contract: "transfer", key: [0x65] + recipient, value: value)
    }
    return changes
}

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
}

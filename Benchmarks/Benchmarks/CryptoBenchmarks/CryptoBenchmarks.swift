import Benchmark
import BenchmarkSupport
import GridCrypto

/// A deterministic 150-byte message, about the size of a signed transaction's signing bytes.
private func message(_ index: Int = 0, byteCount: Int = 150) -> [UInt8] {
    (0..<byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 131 &+ 7) }
}

/// `count` messages signed by `count` different keys, as in a block of transactions from different senders.
private func signedMessages(count: Int) -> [SignedMessage] {
    (0..<count).map { index in
        let signer = KeyPair.derived(masterSeed: 42, label: "bench/batch/\(index)")
        let bytes = message(index)
        return SignedMessage(publicKey: signer.publicKey, message: bytes, signature: signer.sign(bytes))
    }
}

let benchmarks: @Sendable () -> Void = {
    let batchSize = 1_000

    // MARK: - Ed25519 (libsodium)

    Benchmark(
        "Ed25519 sign, 150 B message",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, signer in
        let bytes = message()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(signer.sign(bytes))
        }
    } setup: {
        KeyPair.derived(masterSeed: 42, label: "bench/signer")
    }

    Benchmark(
        "Ed25519 verify, 150 B message",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, item in
        for _ in benchmark.scaledIterations {
            blackHole(item.publicKey.verify(item.signature, for: item.message))
        }
    } setup: {
        signedMessages(count: 1)[0]
    }

    // One iteration checks the whole batch; the scaling factor (1,000) makes the figures per signature.
    Benchmark(
        "BatchVerifier 1,000 signatures, all cores (per signature)",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, items in
        let results = BatchVerifier.verify(items, threads: BatchVerifier.defaultThreadCount)
        precondition(results.count == items.count && results.allSatisfy { $0 }, "batch verification failed")
        blackHole(results)
    } setup: {
        signedMessages(count: batchSize)
    }

    // The same batch on one thread, to show what the thread fan-out buys on this machine.
    Benchmark(
        "BatchVerifier 1,000 signatures, 1 thread (per signature)",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, items in
        blackHole(BatchVerifier.verify(items, threads: 1))
    } setup: {
        signedMessages(count: batchSize)
    }

    // MARK: - BLAKE2b-256 and Merkle roots

    Benchmark(
        "BLAKE2b-256, 64 B",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, bytes in
        for _ in benchmark.scaledIterations {
            blackHole(Hash256.blake2b(bytes))
        }
    } setup: {
        message(byteCount: 64)
    }

    Benchmark(
        "BLAKE2b-256, 4 KiB",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, bytes in
        for _ in benchmark.scaledIterations {
            blackHole(Hash256.blake2b(bytes))
        }
    } setup: {
        message(byteCount: 4_096)
    }

    Benchmark(
        "Merkle root of 1,000 hashes",
        configuration: GridBenchmark.configuration()
    ) { benchmark, leaves in
        blackHole(Merkle.root(of: leaves))
    } setup: {
        (0..<batchSize).map { Hash256.blake2b(message($0, byteCount: 32)) }
    }
}

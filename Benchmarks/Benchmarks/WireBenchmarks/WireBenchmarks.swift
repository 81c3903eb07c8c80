import Benchmark
import BenchmarkSupport
import GridConsensus
import GridCrypto
import GridLedger
import GridRegion
import GridWire

// What every simulated or live link now costs: a frame is encoded once per broadcast and decoded by every
// receiver, with transaction hashes recomputed from the bytes.

private let chainID: UInt32 = 7
private let region: UInt16 = 0
private let signers = (0..<50).map { KeyPair.derived(masterSeed: 42, label: "bench/wire/\($0)") }

private func pooled(_ index: Int) -> PooledTransaction {
    PooledTransaction(
        Transaction(
            chainID: chainID, region: region, signer: signers[index % signers.count], nonce: UInt64(index),
            contract: TransferContract.contractName, method: "transfer",
            arguments: TransferContract.transferArguments(
                to: signers[(index + 1) % signers.count].publicKey, amountMicros: 5, energyWh: 1)))
}

/// A proposal of `count` transfers on top of genesis, signed by validator 0.
private func proposal(transactions count: Int) -> PeerMessage {
    let payload = RegionPayload(transactions: (0..<count).map(pooled))
    let header = BlockHeader(
        chainID: chainID, region: region, height: 1, view: 1, parentHash: .zero,
        transactionsRoot: Hash256.blake2b([1] as [UInt8]), stateRoot: Hash256.blake2b([2] as [UInt8]),
        receiptsRoot: Hash256.blake2b([3] as [UInt8]), outboxRoot: Hash256.blake2b([4] as [UInt8]),
        proposer: signers[0].publicKey)
    let block = ProposedBlock(
        header: header, payload: payload, justify: .genesis(chainID: chainID, region: region, genesisHash: .zero))
    let signature = signers[0].sign(Proposal<RegionPayload>.signingBytes(block.hash))
    return .regionConsensus(.proposal(Proposal(block: block, timeoutCertificate: nil, signature: signature)))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("Gossip batch encode, 64 transfers", configuration: GridBenchmark.configuration()) {
        benchmark, message in
        blackHole(WireCodec.encode(message))
    } setup: {
        PeerMessage.gossip((0..<64).map(pooled))
    }

    Benchmark("Gossip batch decode, 64 transfers", configuration: GridBenchmark.configuration()) {
        benchmark, frame in
        blackHole(try WireCodec.decode(frame))
    } setup: {
        WireCodec.encode(.gossip((0..<64).map(pooled)))
    }

    Benchmark("Proposal encode, 2,000 transfers", configuration: GridBenchmark.configuration()) {
        benchmark, message in
        blackHole(WireCodec.encode(message))
    } setup: {
        proposal(transactions: 2_000)
    }

    Benchmark("Proposal decode, 2,000 transfers", configuration: GridBenchmark.configuration()) {
        benchmark, frame in
        blackHole(try WireCodec.decode(frame))
    } setup: {
        WireCodec.encode(proposal(transactions: 2_000))
    }
}

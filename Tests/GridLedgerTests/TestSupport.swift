import Foundation
import GridCrypto
import GridLedger
import GridLoad

/// Randomised tests draw from the project's own seeded generator, so every failure replays from its seed.
typealias TestRandom = DeterministicRandom

extension DeterministicRandom {
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

let testKeys = (0..<4).map { KeyPair.derived(masterSeed: 1, label: "test/\($0)") }

func randomTransaction(_ random: inout TestRandom) -> Transaction {
    let identifiers = ["transfer", "voltage", "auction", "a", "x.y-z_0"]
    return Transaction(
        chainID: UInt32.random(in: 0...UInt32.max, using: &random),
        region: UInt16.random(in: 0...UInt16.max, using: &random),
        signer: testKeys[Int.random(in: 0..<testKeys.count, using: &random)],
        nonce: UInt64.random(in: 0...UInt64.max, using: &random),
        contract: identifiers.randomElement(using: &random)!,
        method: identifiers.randomElement(using: &random)!,
        arguments: random.bytes(Int.random(in: 0...300, using: &random)))
}

func randomHash(_ random: inout TestRandom) -> Hash256 { try! Hash256(bytes: random.bytes(32)) }

func randomBlock(_ random: inout TestRandom, transactionCount: Int? = nil) -> Block {
    let count = transactionCount ?? Int.random(in: 0...20, using: &random)
    let transactions = (0..<count).map { _ in randomTransaction(&random) }
    let header = BlockHeader(
        chainID: 7, region: UInt16.random(in: 0...9, using: &random),
        height: UInt64.random(in: 0...1_000_000, using: &random), view: UInt64.random(in: 0...1000, using: &random),
        parentHash: randomHash(&random), transactionsRoot: Block.transactionsRoot(of: transactions),
        stateRoot: randomHash(&random), receiptsRoot: randomHash(&random), outboxRoot: randomHash(&random),
        proposer: testKeys[0].publicKey)
    return Block(header: header, transactions: transactions)
}

/// Runs `body` with a fresh directory that is removed afterwards, so tests never share files.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gridledger-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

import GridCrypto
import GridLedger

/// What the global chain has decided so far: each region's finalized tip and the next sequence numbers of the
/// cross-region message streams. Small (regions and region pairs), so executions copy it per block.
public struct GlobalState: Hashable, Sendable {
    public internal(set) var tips: [RegionID: RegionTip]
    /// Next `destinationSequence` per destination region.
    public internal(set) var nextDestinationSequence: [RegionID: UInt64] = [:]
    /// Next `pairSequence` per source→destination pair.
    public internal(set) var nextPairSequence: [RegionPair: UInt64] = [:]

    init(regions: [RegionGenesis]) {
        tips = Dictionary(
            regions.map { ($0.region, RegionTip(height: 0, blockHash: $0.genesisHash)) },
            uniquingKeysWith: { first, _ in first })
    }

    /// Numbers one message for `pair` and advances both streams.
    mutating func assignSequences(_ pair: RegionPair) -> (destination: UInt64, pair: UInt64) {
        let destination = nextDestinationSequence[pair.destination, default: 0]
        let pairSequence = nextPairSequence[pair, default: 0]
        nextDestinationSequence[pair.destination] = destination + 1
        nextPairSequence[pair] = pairSequence + 1
        return (destination, pairSequence)
    }

    /// `H(domain || parent root || every tip and counter in sorted order)`: a hash chain, like the region's state
    /// root, so members that ever disagree about a region's finalized chain or a stream's numbering disagree from
    /// then on. The state is small enough to hash whole each block.
    func root(after parent: Hash256) -> Hash256 {
        var writer = ByteWriter(capacity: 64 + tips.count * 42 + nextPairSequence.count * 12)
        writer.writeFixed(Array("GridGlobal/state/v1".utf8))
        writer.writeFixed(parent.bytes)
        for region in tips.keys.sorted() {
            let tip = tips[region]!
            writer.write(region)
            writer.write(tip.height)
            writer.writeFixed(tip.blockHash.bytes)
        }
        for destination in nextDestinationSequence.keys.sorted() {
            writer.write(destination)
            writer.write(nextDestinationSequence[destination]!)
        }
        for pair in nextPairSequence.keys.sorted() {
            writer.write(pair.source)
            writer.write(pair.destination)
            writer.write(nextPairSequence[pair]!)
        }
        return Hash256.blake2b(writer.bytes)
    }
}

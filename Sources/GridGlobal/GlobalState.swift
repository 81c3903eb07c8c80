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
    public func root(after parent: Hash256) -> Hash256 {
        var writer = ByteWriter(capacity: 64 + tips.count * 42 + nextPairSequence.count * 12)
        writer.writeFixed(Array("GridGlobal/state/v1".utf8))
        writer.write(parent)
        for region in tips.keys.sorted() {
            let tip = tips[region]!
            writer.write(region)
            writer.write(tip.height)
            writer.write(tip.blockHash)
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

// MARK: - Restoring and storage encoding

extension GlobalState {
    /// A state as read back from storage (see `CheckpointStore` in GridNode). No checks: decoding does them.
    public init(
        tips: [RegionID: RegionTip], nextDestinationSequence: [RegionID: UInt64] = [:],
        nextPairSequence: [RegionPair: UInt64] = [:]
    ) {
        self.tips = tips
        self.nextDestinationSequence = nextDestinationSequence
        self.nextPairSequence = nextPairSequence
    }

    public static let encodingVersion: UInt8 = 1
    /// Default bound on decoded source→destination pairs (every pair of 1024 regions).
    public static let pairsMaxDefault = 1 << 20

    private static let tipBytes = 2 + 8 + Hash256.byteCount
    private static let destinationBytes = 2 + 8
    private static let pairBytes = 2 + 2 + 8

    /// Size of `encoded()`.
    public var encodedBytes: Int {
        1 + 4 + tips.count * Self.tipBytes + 4 + nextDestinationSequence.count * Self.destinationBytes + 4
            + nextPairSequence.count * Self.pairBytes
    }

    /// Canonical bytes: a version, then tips, destination counters and pair counters, each as a count and entries
    /// in ascending key order. Equal states encode identically.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: encodedBytes)
        writer.write(Self.encodingVersion)
        writer.write(UInt32(tips.count))
        for region in tips.keys.sorted() {
            let tip = tips[region]!
            writer.write(region)
            writer.write(tip.height)
            writer.write(tip.blockHash)
        }
        writer.write(UInt32(nextDestinationSequence.count))
        for destination in nextDestinationSequence.keys.sorted() {
            writer.write(destination)
            writer.write(nextDestinationSequence[destination]!)
        }
        writer.write(UInt32(nextPairSequence.count))
        for pair in nextPairSequence.keys.sorted() {
            writer.write(pair.source)
            writer.write(pair.destination)
            writer.write(nextPairSequence[pair]!)
        }
        return writer.bytes
    }

    /// Decodes what `encoded()` wrote, refusing anything execution could not have produced: keys out of order or
    /// repeated, zero counters, counters of regions without a tip, and destination counters that are not the sum
    /// of their pair counters (both advance together, one message at a time).
    public init(decoding bytes: [UInt8], pairsMax: Int = GlobalState.pairsMaxDefault) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "globalState.version")

        var offset = reader.offset
        let tipCount = Int(try reader.readUInt32("globalState.tips.count"))
        try reader.checkCount(
            tipCount, limit: Int(RegionID.max) + 1, minimumElementBytes: Self.tipBytes,
            field: "globalState.tips.count", at: offset)
        var tips: [RegionID: RegionTip] = [:]
        tips.reserveCapacity(tipCount)
        var previousRegion: RegionID?
        for index in 0..<tipCount {
            let field = "globalState.tips[\(index)]"
            offset = reader.offset
            let region = try reader.readUInt16("\(field).region")
            if let previousRegion, region <= previousRegion {
                throw DecodingError(
                    field: "\(field).region", offset: offset, kind: .invalidValue("regions not in ascending order"))
            }
            previousRegion = region
            let height = try reader.readUInt64("\(field).height")
            let hash = try reader.readHash("\(field).blockHash")
            tips[region] = RegionTip(height: height, blockHash: hash)
        }

        offset = reader.offset
        let destinationCount = Int(try reader.readUInt32("globalState.destinations.count"))
        try reader.checkCount(
            destinationCount, limit: tipCount, minimumElementBytes: Self.destinationBytes,
            field: "globalState.destinations.count", at: offset)
        var destinations: [RegionID: UInt64] = [:]
        destinations.reserveCapacity(destinationCount)
        var previousDestination: RegionID?
        for index in 0..<destinationCount {
            let field = "globalState.destinations[\(index)]"
            offset = reader.offset
            let destination = try reader.readUInt16("\(field).region")
            if let previousDestination, destination <= previousDestination {
                throw DecodingError(
                    field: "\(field).region", offset: offset, kind: .invalidValue("regions not in ascending order"))
            }
            guard tips[destination] != nil else {
                throw DecodingError(
                    field: "\(field).region", offset: offset, kind: .invalidValue("region \(destination) has no tip"))
            }
            previousDestination = destination
            offset = reader.offset
            let next = try reader.readUInt64("\(field).next")
            guard next > 0 else {
                throw DecodingError(field: "\(field).next", offset: offset, kind: .invalidValue("zero counter"))
            }
            destinations[destination] = next
        }

        offset = reader.offset
        let pairCount = Int(try reader.readUInt32("globalState.pairs.count"))
        try reader.checkCount(
            pairCount, limit: pairsMax, minimumElementBytes: Self.pairBytes, field: "globalState.pairs.count",
            at: offset)
        var pairs: [RegionPair: UInt64] = [:]
        pairs.reserveCapacity(pairCount)
        var sums: [RegionID: UInt64] = [:]
        var previousPair: RegionPair?
        for index in 0..<pairCount {
            let field = "globalState.pairs[\(index)]"
            offset = reader.offset
            let pair = RegionPair(
                source: try reader.readUInt16("\(field).source"),
                destination: try reader.readUInt16("\(field).destination"))
            if let previousPair, pair <= previousPair {
                throw DecodingError(field: field, offset: offset, kind: .invalidValue("pairs not in ascending order"))
            }
            guard tips[pair.source] != nil, destinations[pair.destination] != nil else {
                throw DecodingError(
                    field: field, offset: offset,
                    kind: .invalidValue("pair \(pair.source)->\(pair.destination) names a region without a counter"))
            }
            previousPair = pair
            offset = reader.offset
            let next = try reader.readUInt64("\(field).next")
            guard next > 0 else {
                throw DecodingError(field: "\(field).next", offset: offset, kind: .invalidValue("zero counter"))
            }
            let (sum, overflow) = sums[pair.destination, default: 0].addingReportingOverflow(next)
            guard !overflow else {
                throw DecodingError(field: "\(field).next", offset: offset, kind: .invalidValue("counter overflow"))
            }
            sums[pair.destination] = sum
            pairs[pair] = next
        }
        try reader.expectEnd("globalState")
        for destination in destinations.keys.sorted() where sums[destination] != destinations[destination] {
            throw DecodingError(
                field: "globalState.destinations", offset: reader.offset,
                kind: .invalidValue(
                    "destination \(destination) counter \(destinations[destination]!) is not the sum of its pair "
                        + "counters (\(sums[destination] ?? 0))"))
        }
        self.init(tips: tips, nextDestinationSequence: destinations, nextPairSequence: pairs)
    }
}

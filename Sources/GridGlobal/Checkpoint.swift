import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// What a region's runtime sends the global layer for one committed block: the header, the region QC that
/// certifies it, and the block's outbox (which the header pins through `outboxRoot`).
public struct RegionCommitEntry: Hashable, Sendable {
    public let header: BlockHeader
    public let certificate: QuorumCertificate
    public let outbox: [OutboxMessage]
    /// Cached `header.hash`: every check and lookup needs it.
    public let blockHash: Hash256
    /// Identifies the entry *with its certificate*: a leader that pairs a known header with a forged QC makes a
    /// different digest, so the verified-entry cache cannot be used to smuggle it past `execute`.
    public let digest: Hash256

    public init(header: BlockHeader, certificate: QuorumCertificate, outbox: [OutboxMessage]) {
        self.header = header
        self.certificate = certificate
        self.outbox = outbox
        self.blockHash = header.hash
        var hasher = Blake2bHasher()
        hasher.update(Array("GridGlobal/entry/v1".utf8))
        hasher.update(blockHash)
        hasher.update(certificate.encoded())
        self.digest = hasher.finalize()
    }

    public var region: RegionID { header.region }
    public var height: UInt64 { header.height }

    /// Size of `encoded()`, computed without encoding: it bounds checkpoints and prices the network.
    public var wireBytes: Int {
        let certificateBytes = 1 + 4 + 2 + 8 + 8 + 32 + 2 + certificate.votes.count * (2 + Signature.byteCount)
        let outboxBytes = outbox.reduce(4) { total, message in
            total + 2 + 1 + message.contract.utf8.count + 1 + message.method.utf8.count + 4 + message.payload.count
        }
        return 1 + BlockHeader.encodedBytes + certificateBytes + outboxBytes
    }

    /// The outbox root a region block with this outbox carries (the rule `RegionApplication.execute` uses).
    public static func outboxRoot(of outbox: [OutboxMessage]) -> Hash256 {
        outbox.isEmpty ? Merkle.emptyRoot : Merkle.root(of: outbox.map(\.hash))
    }
}

/// The payload of a global block: verified region entries in the order the checkpoint finalizes them.
public struct CheckpointPayload: ConsensusPayload {
    public var entries: [RegionCommitEntry]

    public init(entries: [RegionCommitEntry]) { self.entries = entries }

    public var wireBytes: Int { entries.reduce(4) { $0 + $1.wireBytes } }
    public var isEmpty: Bool { entries.isEmpty }
    public var itemCount: Int { entries.count }
}

/// Bounds of the global layer: every buffer it keeps for a region, and every checkpoint it builds or accepts.
public struct CheckpointLimits: Hashable, Sendable {
    /// Entries in one checkpoint.
    public var entriesMax: Int
    /// Encoded bytes of one checkpoint's payload.
    public var bytesMax: Int
    /// Outbox messages one region block may carry to the global layer.
    public var outboxMessagesPerEntryMax: Int
    /// Verified entries per region waiting for a checkpoint; past this the region is told to retry later.
    public var pendingEntriesPerRegionMax: Int
    /// Entries per region that arrived ahead of a gap and wait for it to fill.
    public var heldBackEntriesPerRegionMax: Int
    /// Entry digests whose certificates this member already checked (cleared when full).
    public var verifiedEntriesMax: Int

    public init(
        entriesMax: Int = 64, bytesMax: Int = 1 << 20, outboxMessagesPerEntryMax: Int = 1024,
        pendingEntriesPerRegionMax: Int = 256, heldBackEntriesPerRegionMax: Int = 32, verifiedEntriesMax: Int = 8192
    ) {
        precondition(entriesMax > 0 && bytesMax > 0, "a checkpoint must be able to hold an entry")
        self.entriesMax = entriesMax
        self.bytesMax = bytesMax
        self.outboxMessagesPerEntryMax = outboxMessagesPerEntryMax
        self.pendingEntriesPerRegionMax = pendingEntriesPerRegionMax
        self.heldBackEntriesPerRegionMax = heldBackEntriesPerRegionMax
        self.verifiedEntriesMax = verifiedEntriesMax
    }
}

/// A region as the global layer knows it from genesis: who may certify its blocks and where its chain starts.
public struct RegionGenesis: Hashable, Sendable {
    public var region: RegionID
    public var validators: [PublicKey]
    public var genesisHash: Hash256

    public init(region: RegionID, validators: [PublicKey], genesisHash: Hash256) {
        self.region = region
        self.validators = validators
        self.genesisHash = genesisHash
    }
}

/// The last block of a region's chain that the global layer knows of (finalized, or verified and pending).
public struct RegionTip: Hashable, Sendable {
    public var height: UInt64
    public var blockHash: Hash256

    public init(height: UInt64, blockHash: Hash256) {
        self.height = height
        self.blockHash = blockHash
    }
}

/// A source and destination region; cross-region messages are numbered per pair as well as per destination.
public struct RegionPair: Hashable, Sendable, Comparable {
    public var source: RegionID
    public var destination: RegionID

    public init(source: RegionID, destination: RegionID) {
        self.source = source
        self.destination = destination
    }

    public static func < (lhs: RegionPair, rhs: RegionPair) -> Bool {
        (lhs.source, lhs.destination) < (rhs.source, rhs.destination)
    }
}

/// An outbox message as a checkpoint orders it: where it came from and its place in the destination's stream.
public struct CrossRegionMessage: Hashable, Sendable {
    public let sourceRegion: RegionID
    public let sourceHeight: UInt64
    /// Position in the source block's outbox.
    public let outboxIndex: UInt32
    /// Position among all messages ever ordered for the destination, from 0: fixes checkpoint order across
    /// sources, so a destination that sees a higher number knows it missed something.
    public let destinationSequence: UInt64
    /// Position among the messages from this source to this destination, from 0.
    public let pairSequence: UInt64
    public let message: OutboxMessage

    public init(
        sourceRegion: RegionID, sourceHeight: UInt64, outboxIndex: UInt32, destinationSequence: UInt64,
        pairSequence: UInt64, message: OutboxMessage
    ) {
        self.sourceRegion = sourceRegion
        self.sourceHeight = sourceHeight
        self.outboxIndex = outboxIndex
        self.destinationSequence = destinationSequence
        self.pairSequence = pairSequence
        self.message = message
    }

    public var destinationRegion: RegionID { message.destinationRegion }
    public var pair: RegionPair { RegionPair(source: sourceRegion, destination: destinationRegion) }

    /// The leaf under a checkpoint's `outboxRoot`. It covers the sequence numbers, so the global QC vouches for
    /// them and a relay cannot renumber messages.
    public var hash: Hash256 {
        var writer = ByteWriter(capacity: 96)
        writer.writeFixed(Array("GridGlobal/message/v1".utf8))
        writer.write(sourceRegion)
        writer.write(sourceHeight)
        writer.write(outboxIndex)
        writer.write(destinationSequence)
        writer.write(pairSequence)
        writer.write(message.hash)
        return Hash256.blake2b(writer.bytes)
    }
}

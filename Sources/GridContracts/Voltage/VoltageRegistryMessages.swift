import GridCrypto
import GridLedger

// What groups and the voltage registry (`VoltageRegistryContract`) send each other across regions, and what the
// registry keeps. Canonical big-endian encodings; decoders reject trailing bytes, so hostile bytes give a
// `DecodingError`, never a trap.

/// A group's reactive headroom as it stands after one of its calls (Honari et al.'s `UpdateResources`): what its
/// devices could still inject and absorb, and whether its last dispatch was short.
public struct VoltageHeadroomUpdate: Sendable, Hashable {
    public static let encodedByteCount = 2 + 8 + 8 + 8 + 8 + 8

    /// The group the update is about; the registry checks it against the region that sent the message.
    public var region: RegionID
    /// Grows by one per update from the group, so a replayed or reordered update is refused.
    public var sequence: UInt64
    /// The group's last dispatch interval (0 before its first).
    public var intervalIndex: UInt64
    /// Sum over the group's devices of what each could still inject (>= 0), in VAr.
    public var injectVAr: Int64
    /// Sum over the group's devices of what each could still absorb (>= 0), in VAr.
    public var absorbVAr: Int64
    /// What the group's last dispatch could not cover (signed like a request); 0 when it covered its own need,
    /// which is when a standing merge with a helper splits again.
    public var deficitVAr: Int64

    public init(
        region: RegionID, sequence: UInt64, intervalIndex: UInt64, injectVAr: Int64, absorbVAr: Int64,
        deficitVAr: Int64
    ) {
        self.region = region
        self.sequence = sequence
        self.intervalIndex = intervalIndex
        self.injectVAr = injectVAr
        self.absorbVAr = absorbVAr
        self.deficitVAr = deficitVAr
    }

    /// Headroom in the direction of a request: injecting for a positive deficit, absorbing for a negative one.
    public func headroomVAr(forDeficit deficitVAr: Int64) -> Int64 { deficitVAr > 0 ? injectVAr : absorbVAr }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedByteCount)
        writer.write(region)
        writer.write(sequence)
        writer.write(intervalIndex)
        writer.write(injectVAr)
        writer.write(absorbVAr)
        writer.write(deficitVAr)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        region = try reader.readUInt16("headroom.region")
        sequence = try reader.readUInt64("headroom.sequence")
        intervalIndex = try reader.readUInt64("headroom.intervalIndex")
        injectVAr = try reader.readInt64("headroom.injectVAr")
        absorbVAr = try reader.readInt64("headroom.absorbVAr")
        deficitVAr = try reader.readInt64("headroom.deficitVAr")
        try reader.expectEnd("headroom")
    }
}

/// What a `search` returns: the group picked for a request, if any, and what the registry booked against it.
public struct VoltageRegistryDecision: Sendable, Hashable {
    public static let encodingVersion: UInt8 = 1

    public var request: VoltageReactiveRequest
    /// The adjacent group the request went on to; nil when no adjacent group had recorded headroom in the
    /// request's direction (the requester asks again at its next dispatch).
    public var chosenRegion: RegionID?
    /// The VAr of the chosen group's recorded headroom that this request took (at most |deficit|), so that a
    /// second search before the group's next update does not count on them.
    public var bookedVAr: Int64
    /// True when the requester was already merged with the chosen group (a standing merge), false when this
    /// search merged them or picked nobody.
    public var standingMerge: Bool

    public init(request: VoltageReactiveRequest, chosenRegion: RegionID?, bookedVAr: Int64, standingMerge: Bool) {
        self.request = request
        self.chosenRegion = chosenRegion
        self.bookedVAr = bookedVAr
        self.standingMerge = standingMerge
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 1 + VoltageReactiveRequest.encodedByteCount + 2 + 8 + 1)
        writer.write(Self.encodingVersion)
        writer.writeFixed(request.encoded())
        writer.write(chosenRegion ?? VoltageReactiveSupport.notForwarded)
        writer.write(bookedVAr)
        writer.write(standingMerge)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "registryDecision.version")
        request = try VoltageReactiveRequest(
            decoding: reader.readFixed(VoltageReactiveRequest.encodedByteCount, "registryDecision.request"))
        let chosen = try reader.readUInt16("registryDecision.chosenRegion")
        chosenRegion = chosen == VoltageReactiveSupport.notForwarded ? nil : chosen
        bookedVAr = try reader.readInt64("registryDecision.bookedVAr")
        standingMerge = try reader.readBool("registryDecision.standingMerge")
        try reader.expectEnd("registryDecision")
    }
}

/// The registry's running totals, one record in its state (`VoltageRegistryContract.countersKey`), so a run can
/// report what the global contract did.
public struct VoltageRegistryCounters: Sendable, Hashable, Codable {
    public static let encodedByteCount = 6 * 8

    /// Headroom updates accepted.
    public var updates: UInt64 = 0
    /// Searches accepted, and of them those that found a group with headroom and those that found none.
    public var searches: UInt64 = 0
    public var matched: UInt64 = 0
    public var unmatched: UInt64 = 0
    /// Times a group was merged with a helper it was not already merged with, and times a merge split again (the
    /// group's update showed its own dispatch covered its need).
    public var merges: UInt64 = 0
    public var splits: UInt64 = 0

    public init() {}

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedByteCount)
        for value in [updates, searches, matched, unmatched, merges, splits] { writer.write(value) }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        updates = try reader.readUInt64("registryCounters.updates")
        searches = try reader.readUInt64("registryCounters.searches")
        matched = try reader.readUInt64("registryCounters.matched")
        unmatched = try reader.readUInt64("registryCounters.unmatched")
        merges = try reader.readUInt64("registryCounters.merges")
        splits = try reader.readUInt64("registryCounters.splits")
        try reader.expectEnd("registryCounters")
    }
}

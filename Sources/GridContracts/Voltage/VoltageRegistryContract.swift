import GridCrypto
import GridLedger
import GridRegion

/// Genesis configuration of the voltage registry: the region that runs it, the key its calls must come from and
/// the groups it serves, each with its adjacent groups.
public struct VoltageRegistryConfiguration: Sendable, Equatable {
    /// A group (one region running `VoltageStabilityContract`) and the groups it shares lines with, most lines
    /// first: the only groups a search for it may pick, in the order that breaks ties.
    public struct Group: Sendable, Hashable {
        public var region: RegionID
        public var adjacentRegions: [RegionID]

        public init(region: RegionID, adjacentRegions: [RegionID]) {
            self.region = region
            self.adjacentRegions = adjacentRegions
        }
    }

    /// At most this many groups, and adjacent groups per group; bounds genesis and one search.
    public static let groupsMax = 1_024
    public static let adjacentRegionsMax = VoltageStabilityConfiguration.forwardRegionsMax

    /// The region whose chain runs the registry (Honari et al.'s main chain).
    public let region: RegionID
    /// The only key allowed to call the registry: the identity under which the global layer delivers
    /// cross-region messages (`RegionApplication.globalLayerSender`).
    public let relayKey: PublicKey
    /// Sorted by region.
    public let groups: [Group]
    let groupIndexByRegion: [RegionID: Int]

    public init(region: RegionID, relayKey: PublicKey, groups: [Group]) throws(VoltageStabilityConfigurationError) {
        typealias Failure = VoltageStabilityConfigurationError
        guard region != .max else { throw Failure("region \(RegionID.max) is the global chain's") }
        guard !groups.isEmpty, groups.count <= Self.groupsMax else {
            throw Failure("a registry serves 1 to \(Self.groupsMax) groups, not \(groups.count)")
        }
        let sorted = groups.sorted { $0.region < $1.region }
        var index: [RegionID: Int] = [:]
        for (position, group) in sorted.enumerated() {
            guard group.region != region else { throw Failure("the registry's region \(region) cannot be a group") }
            guard group.region != .max else { throw Failure("region \(RegionID.max) is the global chain's") }
            guard index.updateValue(position, forKey: group.region) == nil else {
                throw Failure("group \(group.region) is listed twice")
            }
        }
        for group in sorted {
            guard group.adjacentRegions.count <= Self.adjacentRegionsMax else {
                throw Failure(
                    "group \(group.region): at most \(Self.adjacentRegionsMax) adjacent groups, not "
                        + "\(group.adjacentRegions.count)")
            }
            guard Set(group.adjacentRegions).count == group.adjacentRegions.count else {
                throw Failure("group \(group.region): adjacent groups \(group.adjacentRegions) name a group twice")
            }
            for adjacent in group.adjacentRegions {
                guard adjacent != group.region else { throw Failure("group \(group.region) is adjacent to itself") }
                guard index[adjacent] != nil else {
                    throw Failure("group \(group.region): adjacent group \(adjacent) is not a group of the registry")
                }
            }
        }
        self.region = region
        self.relayKey = relayKey
        self.groups = sorted
        self.groupIndexByRegion = index
    }

    public func group(_ region: RegionID) -> Group? { groupIndexByRegion[region].map { groups[$0] } }
}

/// Honari et al.'s global contract (DVSCode's `GlobalContract`) as a contract of its own chain: a registry of the
/// groups' reactive headroom that picks, for a group that runs short, an adjacent group to help it.
///
/// Methods, each callable only through the global layer's relay (`relayKey`) and checked against the region that
/// sent the message (`ContractContext.inboundSource`):
/// - `resources(VoltageHeadroomUpdate)`: a group's headroom after its latest call (their `UpdateResources`); the
///   sequence must grow per group. An update whose `deficitVAr` is 0 from a group merged with a helper splits them
///   again. Output: one byte, 1 when the update split a merge.
/// - `search(VoltageReactiveRequest)`: a group's unmet deficit (their `SearchForAvailableGroup`, with the
///   candidate's resources rather than the requester's). Among the requester's adjacent groups it picks the one
///   it is merged with while that one still has headroom in the request's direction, else the one with the most
///   recorded headroom (ties in adjacency order); books min(|deficit|, headroom) against that group's record; and
///   sends the request on to it (`voltage.reactiveRequest`, sender this region). The chosen group meets it as a
///   joint re-dispatch of both groups (its transfer reactances to the requesting bus), which is how their
///   `ComputeVSI` over several group ids merges the groups' models. Intervals must grow per requester.
///   Output: `VoltageRegistryDecision`.
///
/// The booked VAr are the chosen group's device VAr, an upper bound on what the request can take there (a joint
/// re-dispatch may move more VAr than the deficit when the transfer reactance is below the bus's own); the group's
/// next update replaces the record with what it really has left.
public struct VoltageRegistryContract: Contract {
    public static let contractName = "voltage_registry"
    public static let resourcesMethod = "resources"
    public static let searchMethod = "search"

    public let configuration: VoltageRegistryConfiguration
    public var name: String { Self.contractName }

    public init(configuration: VoltageRegistryConfiguration) {
        self.configuration = configuration
    }

    // MARK: - State layout

    private static let headroomPrefix: UInt8 = 0x68  // "h" + region: latest VoltageHeadroomUpdate, booked down
    private static let mergePrefix: UInt8 = 0x67  // "g" + region: partner region and the interval it merged at
    private static let searchPrefix: UInt8 = 0x73  // "s" + region: last searched interval
    public static let countersKey: [UInt8] = [0x63]  // "c": VoltageRegistryCounters

    static func headroomKey(_ region: RegionID) -> [UInt8] {
        [headroomPrefix, UInt8(region >> 8), UInt8(region & 0xFF)]
    }
    static func mergeKey(_ region: RegionID) -> [UInt8] { [mergePrefix, UInt8(region >> 8), UInt8(region & 0xFF)] }
    static func searchKey(_ region: RegionID) -> [UInt8] { [searchPrefix, UInt8(region >> 8), UInt8(region & 0xFF)] }

    // The read helpers take any view of the registry's table (`read` returns a key's stored value). A record that
    // is absent reads as nothing; one that is stored but does not decode is an error, never silently nothing.

    /// The registry's totals; zero when none are stored.
    public static func counters(read: ([UInt8]) -> [UInt8]?) throws(DecodingError) -> VoltageRegistryCounters {
        guard let stored = read(countersKey) else { return VoltageRegistryCounters() }
        return try VoltageRegistryCounters(decoding: stored)
    }

    /// The helper a group is merged with, if any (the record holds it and the interval it merged at).
    public static func mergedPartner(of region: RegionID, read: ([UInt8]) -> [UInt8]?) throws(DecodingError)
        -> RegionID?
    {
        guard let stored = read(mergeKey(region)) else { return nil }
        var reader = ByteReader(stored)
        let partner = try reader.readUInt16("merge.partner")
        _ = try reader.readUInt64("merge.intervalIndex")
        try reader.expectEnd("merge")
        return partner
    }

    /// A group's recorded headroom, as last updated and booked down since.
    public static func headroom(of region: RegionID, read: ([UInt8]) -> [UInt8]?) throws(DecodingError)
        -> VoltageHeadroomUpdate?
    {
        guard let stored = read(headroomKey(region)) else { return nil }
        return try VoltageHeadroomUpdate(decoding: stored)
    }

    /// `headroom(of:read:)` inside a call: an unreadable record fails the call, naming it.
    private static func headroom(of region: RegionID, in context: ContractContext) throws(ContractError)
        -> VoltageHeadroomUpdate?
    {
        do { return try headroom(of: region) { context.get($0) } } catch {
            throw ContractError("corrupt state: headroom of region \(region): \(error)")
        }
    }

    // MARK: - Calls

    public func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        guard context.region == configuration.region else {
            throw ContractError(
                "voltage registry configured for region \(configuration.region) called in region \(context.region)")
        }
        guard context.sender == configuration.relayKey else {
            throw ContractError("unauthorised: only the cross-region relay may call the voltage registry")
        }
        switch method {
        case Self.resourcesMethod: return try resources(arguments, &context)
        case Self.searchMethod: return try search(arguments, &context)
        default: throw ContractError("unknown method \(method.prefix(32))")
        }
    }

    /// Refuses a message whose claimed group is not the region the global layer says sent it, or no group.
    private func checkSource(_ claimed: RegionID, _ context: ContractContext, _ what: String) throws(ContractError) {
        if let source = context.inboundSource, source != claimed {
            throw ContractError("\(what) names region \(claimed) but was sent by region \(source)")
        }
        guard configuration.group(claimed) != nil else {
            throw ContractError("\(what) from region \(claimed), which is not a group of the registry")
        }
    }

    private func loadCounters(_ context: ContractContext) throws(ContractError) -> VoltageRegistryCounters {
        do { return try Self.counters { context.get($0) } } catch {
            throw ContractError("corrupt state: counters: \(error)")
        }
    }

    private func resources(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        let update: VoltageHeadroomUpdate
        do { update = try VoltageHeadroomUpdate(decoding: arguments) } catch {
            throw ContractError("malformed arguments: \(error)")
        }
        try checkSource(update.region, context, "headroom update")
        let limit = VoltageStabilityContract.reactiveRequestVArMax
        guard (0...limit).contains(update.injectVAr), (0...limit).contains(update.absorbVAr),
            (-limit...limit).contains(update.deficitVAr)
        else {
            throw ContractError(
                "out of range: injectVAr and absorbVAr must be in 0...\(limit) and |deficitVAr| at most \(limit)")
        }
        if let last = try Self.headroom(of: update.region, in: context) {
            guard update.sequence > last.sequence else {
                throw ContractError(
                    "stale headroom update \(update.sequence) from region \(update.region): last accepted is "
                        + "\(last.sequence)")
            }
        }
        context.set(Self.headroomKey(update.region), update.encoded())
        var counters = try loadCounters(context)
        counters.updates += 1
        var split = false
        if update.deficitVAr == 0, context.get(Self.mergeKey(update.region)) != nil {
            context.delete(Self.mergeKey(update.region))
            counters.splits += 1
            split = true
        }
        context.set(Self.countersKey, counters.encoded())
        return [split ? 1 : 0]
    }

    private func search(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        let request: VoltageReactiveRequest
        do { request = try VoltageReactiveRequest(decoding: arguments) } catch {
            throw ContractError("malformed arguments: \(error)")
        }
        guard !request.isForwarded else {
            throw ContractError(
                "search for region \(request.requestingRegion) sent by region \(request.senderRegion): a group "
                    + "searches for itself only")
        }
        try checkSource(request.requestingRegion, context, "search")
        let limit = VoltageStabilityContract.reactiveRequestVArMax
        guard request.deficitVAr != 0, (-limit...limit).contains(request.deficitVAr) else {
            throw ContractError(
                "out of range: deficitVAr \(request.deficitVAr) must be non-zero with |value| <= \(limit)")
        }
        let searchKey = Self.searchKey(request.requestingRegion)
        if let stored = context.get(searchKey) {
            guard stored.count == 8 else { throw ContractError("corrupt state: search record") }
            let last = stored.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard request.intervalIndex > last else {
                throw ContractError(
                    "stale search interval \(request.intervalIndex) from region \(request.requestingRegion): last "
                        + "searched is \(last)")
            }
        }
        var interval = ByteWriter(capacity: 8)
        interval.write(request.intervalIndex)
        context.set(searchKey, interval.bytes)

        // Recorded headroom of every adjacent group in the request's direction (0 for a group not yet heard from).
        let adjacent = configuration.group(request.requestingRegion)?.adjacentRegions ?? []
        var records: [RegionID: VoltageHeadroomUpdate] = [:]
        for region in adjacent {
            records[region] = try Self.headroom(of: region, in: context)
        }
        func available(_ region: RegionID) -> Int64 {
            records[region]?.headroomVAr(forDeficit: request.deficitVAr) ?? 0
        }
        let partner: RegionID?
        do { partner = try Self.mergedPartner(of: request.requestingRegion) { context.get($0) } } catch {
            throw ContractError("corrupt state: merge record of region \(request.requestingRegion): \(error)")
        }
        var chosen: RegionID?
        if let partner, adjacent.contains(partner), available(partner) > 0 {
            chosen = partner
        } else {
            // The most headroom; `max` keeps the first of equals only with a strict comparison, so walk by hand.
            var best: Int64 = 0
            for region in adjacent where available(region) > best {
                best = available(region)
                chosen = region
            }
        }

        var counters = try loadCounters(context)
        counters.searches += 1
        guard let chosen, var record = records[chosen] else {
            counters.unmatched += 1
            context.set(Self.countersKey, counters.encoded())
            return VoltageRegistryDecision(request: request, chosenRegion: nil, bookedVAr: 0, standingMerge: false)
                .encoded()
        }
        counters.matched += 1
        let booked = min(Int64(request.deficitVAr.magnitude), available(chosen))
        if request.deficitVAr > 0 { record.injectVAr -= booked } else { record.absorbVAr -= booked }
        context.set(Self.headroomKey(chosen), record.encoded())
        let standing = partner == chosen
        if !standing {
            var merge = ByteWriter(capacity: 10)
            merge.write(chosen)
            merge.write(request.intervalIndex)
            context.set(Self.mergeKey(request.requestingRegion), merge.bytes)
            counters.merges += 1
        }
        context.set(Self.countersKey, counters.encoded())
        var onward = request
        onward.senderRegion = configuration.region
        context.send(
            OutboxMessage(
                destinationRegion: chosen, contract: VoltageStabilityContract.contractName,
                method: VoltageStabilityContract.reactiveRequestMethod, payload: onward.encoded()))
        return VoltageRegistryDecision(
            request: request, chosenRegion: chosen, bookedVAr: request.deficitVAr > 0 ? booked : -booked,
            standingMerge: standing
        ).encoded()
    }
}

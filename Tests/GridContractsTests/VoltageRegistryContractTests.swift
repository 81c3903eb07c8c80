import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// The voltage registry (Honari et al.'s global contract on its own chain): groups' headroom updates, the search
/// for an adjacent group with headroom, booking, standing merges and splits, and every refusal.
@Suite struct VoltageRegistryContractTests {
    static let registryRegion: RegionID = 9
    static let relay = VoltageFixture.relayKey
    static let contract = VoltageRegistryContract.contractName

    /// Groups 1, 2, 3 all adjacent to each other (1 lists 2 first, 2 lists 3 first, 3 lists 2 first); group 4 has
    /// no adjacent group.
    static func configuration() throws -> VoltageRegistryConfiguration {
        try VoltageRegistryConfiguration(
            region: registryRegion, relayKey: relay,
            groups: [
                .init(region: 2, adjacentRegions: [3, 1]), .init(region: 1, adjacentRegions: [2, 3]),
                .init(region: 3, adjacentRegions: [2, 1]), .init(region: 4, adjacentRegions: []),
            ])
    }

    static func harness() throws -> ContractHarness {
        ContractHarness(
            contracts: [VoltageRegistryContract(configuration: try configuration())], region: registryRegion)
    }

    @discardableResult
    static func update(
        _ harness: inout ContractHarness, region: RegionID, sequence: UInt64, inject: Int64, absorb: Int64 = 0,
        deficit: Int64 = 0, source: RegionID? = nil, sender: PublicKey = relay
    ) -> ContractHarness.Outcome {
        let update = VoltageHeadroomUpdate(
            region: region, sequence: sequence, intervalIndex: sequence, injectVAr: inject, absorbVAr: absorb,
            deficitVAr: deficit)
        return harness.call(
            contract, VoltageRegistryContract.resourcesMethod, arguments: update.encoded(), sender: sender,
            inboundSource: source ?? region)
    }

    static func search(
        _ harness: inout ContractHarness, from region: RegionID, deficit: Int64, interval: UInt64,
        source: RegionID? = nil, sender: RegionID? = nil
    ) -> ContractHarness.Outcome {
        let request = VoltageReactiveRequest(
            requestingRegion: region, busNumber: 30, deficitVAr: deficit, intervalIndex: interval,
            senderRegion: sender ?? region)
        return harness.call(
            contract, VoltageRegistryContract.searchMethod, arguments: request.encoded(), sender: relay,
            inboundSource: source ?? region)
    }

    static func decision(_ outcome: ContractHarness.Outcome) throws -> VoltageRegistryDecision {
        try VoltageRegistryDecision(decoding: try #require(outcome.output, "\(outcome.failureReason ?? "")"))
    }

    static func counters(_ harness: ContractHarness) throws -> VoltageRegistryCounters {
        try VoltageRegistryContract.counters { harness.value(contract, $0) }
    }

    @Test func aSearchPicksTheAdjacentGroupWithTheMostHeadroomAndPassesTheRequestOn() throws {
        var registry = try Self.harness()
        #expect(Self.update(&registry, region: 1, sequence: 1, inject: 400_000).failureReason == nil)
        #expect(Self.update(&registry, region: 3, sequence: 1, inject: 900_000).failureReason == nil)
        // Group 4 has more than either, but is not adjacent to group 2.
        #expect(Self.update(&registry, region: 4, sequence: 1, inject: 5_000_000).failureReason == nil)

        let outcome = Self.search(&registry, from: 2, deficit: 600_000, interval: 5)
        let decision = try Self.decision(outcome)
        #expect(decision.chosenRegion == 3)
        #expect(decision.bookedVAr == 600_000)
        #expect(!decision.standingMerge)
        let message = try #require(outcome.outbox.first)
        #expect(outcome.outbox.count == 1)
        #expect(message.destinationRegion == 3)
        #expect(message.contract == VoltageStabilityContract.contractName)
        #expect(message.method == VoltageStabilityContract.reactiveRequestMethod)
        let onward = try VoltageReactiveRequest(decoding: message.payload)
        #expect(
            onward
                == VoltageReactiveRequest(
                    requestingRegion: 2, busNumber: 30, deficitVAr: 600_000, intervalIndex: 5,
                    senderRegion: Self.registryRegion))
        // Booked: group 3's record is down by what the request took, so a second search does not count on it.
        let record = try #require(try VoltageRegistryContract.headroom(of: 3) { registry.value(Self.contract, $0) })
        #expect(record.injectVAr == 300_000)
        #expect(try VoltageRegistryContract.mergedPartner(of: 2) { registry.value(Self.contract, $0) } == 3)

        // Group 1 searches before group 3's next update: 2 (not heard from) has none, 3 has 300,000 left.
        let second = try Self.decision(Self.search(&registry, from: 1, deficit: 500_000, interval: 1))
        #expect(second.chosenRegion == 3)
        #expect(second.bookedVAr == 300_000)
        let third = Self.search(&registry, from: 1, deficit: 500_000, interval: 2)
        #expect(try Self.decision(third).chosenRegion == nil)
        #expect(third.outbox.isEmpty)

        let counters = try Self.counters(registry)
        #expect(counters.updates == 3 && counters.searches == 3)
        #expect(counters.matched == 2 && counters.unmatched == 1 && counters.merges == 2 && counters.splits == 0)
    }

    @Test func tiesGoInAdjacencyOrderAndAbsorbingUsesAbsorbHeadroom() throws {
        var registry = try Self.harness()
        Self.update(&registry, region: 1, sequence: 1, inject: 500_000, absorb: 100_000)
        Self.update(&registry, region: 3, sequence: 1, inject: 500_000, absorb: 700_000)
        // Group 2 lists 3 before 1: with equal injection headroom, 3.
        #expect(try Self.decision(Self.search(&registry, from: 2, deficit: 200_000, interval: 1)).chosenRegion == 3)
        // Over-voltage: group 4 has no adjacent group at all.
        #expect(try Self.decision(Self.search(&registry, from: 4, deficit: -200_000, interval: 1)).chosenRegion == nil)
        // Absorbing: group 3 has 700,000 to absorb; it is booked in that direction, with the sign of the request.
        let absorbing = try Self.decision(Self.search(&registry, from: 1, deficit: -900_000, interval: 1))
        #expect(absorbing.chosenRegion == 3)
        #expect(absorbing.bookedVAr == -700_000)
        let record = try #require(try VoltageRegistryContract.headroom(of: 3) { registry.value(Self.contract, $0) })
        #expect(record.absorbVAr == 0 && record.injectVAr == 300_000)
    }

    @Test func aStandingMergeIsKeptWhileTheHelperHasHeadroomAndSplitsWhenTheGroupCoversItself() throws {
        var registry = try Self.harness()
        Self.update(&registry, region: 1, sequence: 1, inject: 2_000_000)
        Self.update(&registry, region: 3, sequence: 1, inject: 1_000_000)
        #expect(try Self.decision(Self.search(&registry, from: 2, deficit: 100_000, interval: 1)).chosenRegion == 1)
        // Group 3 now has more than group 1 has left, but group 2 stays with group 1 while it has headroom.
        Self.update(&registry, region: 3, sequence: 2, inject: 5_000_000)
        let standing = try Self.decision(Self.search(&registry, from: 2, deficit: 100_000, interval: 2))
        #expect(standing.chosenRegion == 1 && standing.standingMerge)
        // Group 1 runs out: the next search merges group 2 with group 3 instead.
        Self.update(&registry, region: 1, sequence: 2, inject: 0)
        let moved = try Self.decision(Self.search(&registry, from: 2, deficit: 100_000, interval: 3))
        #expect(moved.chosenRegion == 3 && !moved.standingMerge)
        // Still short: the merge stands. Covered by its own dispatch: it splits.
        #expect(Self.update(&registry, region: 2, sequence: 1, inject: 0, deficit: 50_000).output == [0])
        #expect(try VoltageRegistryContract.mergedPartner(of: 2) { registry.value(Self.contract, $0) } == 3)
        #expect(Self.update(&registry, region: 2, sequence: 2, inject: 0, deficit: 0).output == [1])
        #expect(try VoltageRegistryContract.mergedPartner(of: 2) { registry.value(Self.contract, $0) } == nil)
        let counters = try Self.counters(registry)
        #expect(counters.merges == 2 && counters.splits == 1 && counters.matched == 3)
    }

    @Test func refusalsNameTheirReason() throws {
        var registry = try Self.harness()
        func refused(_ outcome: ContractHarness.Outcome, _ fragment: String) {
            #expect(outcome.failureReason?.contains(fragment) == true, "\(outcome.failureReason ?? "accepted")")
            #expect(outcome.outbox.isEmpty)
        }
        refused(
            Self.update(&registry, region: 1, sequence: 1, inject: 1, sender: VoltageFixture.outsider),
            "only the cross-region relay")
        refused(Self.update(&registry, region: 1, sequence: 1, inject: 1, source: 3), "was sent by region 3")
        refused(Self.update(&registry, region: 7, sequence: 1, inject: 1), "not a group of the registry")
        refused(Self.update(&registry, region: 1, sequence: 1, inject: -1), "out of range")
        #expect(Self.update(&registry, region: 1, sequence: 4, inject: 10).failureReason == nil)
        refused(Self.update(&registry, region: 1, sequence: 4, inject: 10), "stale headroom update 4")
        refused(Self.update(&registry, region: 1, sequence: 3, inject: 10), "last accepted is 4")

        refused(Self.search(&registry, from: 2, deficit: 10, interval: 1, source: 3), "was sent by region 3")
        refused(Self.search(&registry, from: 2, deficit: 10, interval: 1, source: 3, sender: 3), "searches for itself")
        refused(Self.search(&registry, from: 2, deficit: 0, interval: 1), "must be non-zero")
        refused(Self.search(&registry, from: 8, deficit: 10, interval: 1), "not a group of the registry")
        #expect(Self.search(&registry, from: 2, deficit: 10, interval: 6).failureReason == nil)
        refused(Self.search(&registry, from: 2, deficit: 10, interval: 6), "stale search interval 6")

        refused(
            registry.call(Self.contract, "merge", arguments: [], sender: Self.relay, inboundSource: 1),
            "unknown method")
        refused(
            registry.call(
                Self.contract, VoltageRegistryContract.searchMethod, arguments: [1, 2, 3], sender: Self.relay,
                inboundSource: 1), "malformed arguments")
        // A registry called in another region refuses everything.
        var elsewhere = ContractHarness(
            contracts: [VoltageRegistryContract(configuration: try Self.configuration())], region: 3)
        refused(Self.update(&elsewhere, region: 1, sequence: 1, inject: 1), "configured for region 9")
        // Refused calls changed nothing: one update and one search were accepted.
        let counters = try Self.counters(registry)
        #expect(counters.updates == 1 && counters.searches == 1)
    }

    @Test func configurationRefusesWhatCouldNotWork() {
        func refused(_ groups: [VoltageRegistryConfiguration.Group], region: RegionID = 9, _ fragment: String) {
            #expect {
                _ = try VoltageRegistryConfiguration(region: region, relayKey: Self.relay, groups: groups)
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
        refused([], "1 to")
        refused([.init(region: 1, adjacentRegions: [])], region: .max, "global chain")
        refused([.init(region: 9, adjacentRegions: [])], "cannot be a group")
        refused([.init(region: 1, adjacentRegions: []), .init(region: 1, adjacentRegions: [])], "listed twice")
        refused([.init(region: 1, adjacentRegions: [1])], "adjacent to itself")
        refused([.init(region: 1, adjacentRegions: [2])], "not a group of the registry")
        refused(
            [.init(region: 1, adjacentRegions: [2, 2]), .init(region: 2, adjacentRegions: [])], "name a group twice")
    }

    /// A stored record that does not decode is an error for every reader, not an empty record (absent is).
    @Test func unreadableRecordsAreErrorsAndAbsentOnesAreNothing() throws {
        let garbage: ([UInt8]) -> [UInt8]? = { _ in [1, 2, 3] }
        let empty: ([UInt8]) -> [UInt8]? = { _ in nil }
        #expect(throws: DecodingError.self) { _ = try VoltageRegistryContract.counters(read: garbage) }
        #expect(throws: DecodingError.self) { _ = try VoltageRegistryContract.headroom(of: 1, read: garbage) }
        #expect(throws: DecodingError.self) { _ = try VoltageRegistryContract.mergedPartner(of: 1, read: garbage) }
        #expect(try VoltageRegistryContract.counters(read: empty) == VoltageRegistryCounters())
        #expect(try VoltageRegistryContract.headroom(of: 1, read: empty) == nil)
        #expect(try VoltageRegistryContract.mergedPartner(of: 1, read: empty) == nil)
    }

    @Test func messagesRoundTripAndRefuseHostileBytes() throws {
        let update = VoltageHeadroomUpdate(
            region: 3, sequence: 7, intervalIndex: 12, injectVAr: 5, absorbVAr: 6, deficitVAr: -7)
        #expect(try VoltageHeadroomUpdate(decoding: update.encoded()) == update)
        let request = VoltageReactiveRequest(requestingRegion: 2, busNumber: 30, deficitVAr: 9, intervalIndex: 4)
        let decision = VoltageRegistryDecision(request: request, chosenRegion: 3, bookedVAr: 9, standingMerge: true)
        #expect(try VoltageRegistryDecision(decoding: decision.encoded()) == decision)
        let none = VoltageRegistryDecision(request: request, chosenRegion: nil, bookedVAr: 0, standingMerge: false)
        #expect(try VoltageRegistryDecision(decoding: none.encoded()) == none)
        var counters = VoltageRegistryCounters()
        counters.merges = 3
        #expect(try VoltageRegistryCounters(decoding: counters.encoded()) == counters)
        for bytes in [update.encoded(), decision.encoded(), counters.encoded()] {
            for cut in [0, 1, bytes.count - 1] {
                let truncated = Array(bytes.prefix(cut))
                #expect(throws: DecodingError.self) { _ = try VoltageHeadroomUpdate(decoding: truncated) }
                #expect(throws: DecodingError.self) { _ = try VoltageRegistryDecision(decoding: truncated) }
                #expect(throws: DecodingError.self) { _ = try VoltageRegistryCounters(decoding: truncated) }
            }
        }
        #expect(throws: DecodingError.self) { _ = try VoltageHeadroomUpdate(decoding: update.encoded() + [0]) }
        #expect(throws: DecodingError.self) { _ = try VoltageRegistryDecision(decoding: decision.encoded() + [0]) }
    }
}

/// A group with a registry: its dispatch sends the unmet deficit to the registry's search and its headroom to
/// `resources` when that changes; a request the registry passes on is applied, never passed on again, and is
/// followed by an update even when nothing moved.
@Suite struct VoltageGroupWithRegistryTests {
    typealias Fixture = VoltageFixture

    static func group(forwardRegions: [RegionID] = []) throws -> ContractHarness {
        Fixture.harness(
            try VoltageStabilityConfiguration(
                region: Fixture.region, baseKVA: Fixture.baseKVA, buses: Fixture.lineBuses,
                devices: [
                    .init(key: Fixture.deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 200),
                    .init(key: Fixture.deviceB, busNumber: 3, ratedKVA: 600, reactiveCapabilityKVAr: 500),
                    .init(key: Fixture.deviceC, busNumber: 2, ratedKVA: 400, reactiveCapabilityKVAr: 300),
                ],
                operatorKey: Fixture.operatorKey, relayKey: Fixture.relayKey, vsiThresholdMicro: 800_000,
                neighbour: .init(region: 8, couplingBusNumber: 4), forwardRegions: forwardRegions,
                registryRegion: VoltageRegistryContractTests.registryRegion))
    }

    @Test func aShortDispatchSearchesTheRegistryAndReportsItsHeadroom() throws {
        var group = try Self.group()
        // Bus 4 far below the band: the devices cannot lift it alone.
        Fixture.reportStressedLine(&group, sequence: 1, bus4VoltageMicroPU: 700_000)
        let dispatched = Fixture.dispatch(&group, interval: 1)
        let outcome = try VoltageStabilityContract.decodeDispatchOutput(try #require(dispatched.output))
        #expect(outcome.deficitVAr > 0)
        #expect(outcome.requestedRegion == VoltageRegistryContractTests.registryRegion)
        #expect(dispatched.outbox.count == 2)
        let search = try #require(dispatched.outbox.first)
        #expect(search.destinationRegion == VoltageRegistryContractTests.registryRegion)
        #expect(search.contract == VoltageRegistryContract.contractName)
        #expect(search.method == VoltageRegistryContract.searchMethod)
        let request = try VoltageReactiveRequest(decoding: search.payload)
        #expect(request.requestingRegion == Fixture.region && !request.isForwarded)
        #expect(request.deficitVAr == outcome.deficitVAr && request.intervalIndex == 1)
        let resources = try #require(dispatched.outbox.last)
        #expect(resources.method == VoltageRegistryContract.resourcesMethod)
        let update = try VoltageHeadroomUpdate(decoding: resources.payload)
        // Every device is at full injection: nothing left to inject, twice the capability to absorb.
        #expect(update.region == Fixture.region && update.sequence == 1 && update.intervalIndex == 1)
        #expect(update.injectVAr == 0 && update.absorbVAr == 2_000_000)
        #expect(update.deficitVAr == outcome.deficitVAr)

        // Still short, by another amount, with the same headroom: only the search goes out.
        Fixture.reportStressedLine(&group, sequence: 2, bus4VoltageMicroPU: 720_000)
        let again = Fixture.dispatch(&group, interval: 2)
        let secondOutcome = try VoltageStabilityContract.decodeDispatchOutput(try #require(again.output))
        #expect(secondOutcome.deficitVAr > 0 && secondOutcome.deficitVAr != outcome.deficitVAr)
        #expect(again.outbox.map(\.method) == [VoltageRegistryContract.searchMethod])

        // The registry hands a request from group 3 to this group: applied, not passed on, and reported.
        let passed = VoltageReactiveRequest(
            requestingRegion: 3, busNumber: 30, deficitVAr: -300_000, intervalIndex: 2,
            senderRegion: VoltageRegistryContractTests.registryRegion)
        let applied = group.call(
            Fixture.contract, VoltageStabilityContract.reactiveRequestMethod, arguments: passed.encoded(),
            sender: Fixture.relayKey, inboundSource: VoltageRegistryContractTests.registryRegion)
        let support = try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(applied.output))
        #expect(support.suppliedVAr == -300_000 && support.forwardedTo == nil)
        let after = try VoltageHeadroomUpdate(decoding: try #require(applied.outbox.only).payload)
        #expect(after.sequence == 2 && after.injectVAr == 300_000 && after.absorbVAr == 1_700_000)
        #expect(after.deficitVAr == outcome.deficitVAr && after.intervalIndex == 1)
    }

    @Test func anUnchangedHeadroomIsNotSentAgain() throws {
        var group = try Self.group()
        // In the band and strong: nothing to do, but the first dispatch tells the registry what the group has.
        Fixture.report(&group, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 1_000_000)
        let first = Fixture.dispatch(&group, interval: 1)
        let update = try VoltageHeadroomUpdate(decoding: try #require(first.outbox.only).payload)
        #expect(update.injectVAr == 1_000_000 && update.absorbVAr == 1_000_000 && update.deficitVAr == 0)
        #expect(Fixture.dispatch(&group, interval: 2).outbox.isEmpty)
        // A request from the registry that this group cannot help with still gets an update (the registry booked).
        let passed = VoltageReactiveRequest(
            requestingRegion: 3, busNumber: 77, deficitVAr: 100, intervalIndex: 1,
            senderRegion: VoltageRegistryContractTests.registryRegion)
        let applied = group.call(
            Fixture.contract, VoltageStabilityContract.reactiveRequestMethod, arguments: passed.encoded(),
            sender: Fixture.relayKey, inboundSource: VoltageRegistryContractTests.registryRegion)
        #expect(applied.failureReason == nil)
        #expect(applied.outbox.map(\.method) == [VoltageRegistryContract.resourcesMethod])
    }

    @Test func aGroupCannotBeItsOwnRegistry() {
        #expect {
            _ = try VoltageStabilityConfiguration(
                region: 7, baseKVA: 1_000, buses: VoltageFixture.lineBuses, devices: [],
                operatorKey: VoltageFixture.operatorKey, vsiThresholdMicro: 800_000, registryRegion: 7)
        } throws: { "\($0)".contains("its own registry") }
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}

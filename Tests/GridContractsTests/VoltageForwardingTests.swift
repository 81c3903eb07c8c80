import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// A region that cannot meet a request passes the rest on to the next region of its adjacency
/// (`VoltageStabilityConfiguration.forwardRegions`), as Honari et al.'s global contract looks for another adjacent
/// group with resources left; a passed-on request is never passed on again.
@Suite struct VoltageForwardingTests {
    typealias Fixture = VoltageFixture

    /// Region `region` on the fixture's line feeder, 1000 kVAr of headroom (A 200, B 500, C 300), coupled to 7.
    static func region(_ region: RegionID, forwardRegions: [RegionID]) throws -> ContractHarness {
        Fixture.harness(
            try VoltageStabilityConfiguration(
                region: region, baseKVA: Fixture.baseKVA, buses: Fixture.lineBuses,
                devices: [
                    .init(key: Fixture.deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 200),
                    .init(key: Fixture.deviceB, busNumber: 3, ratedKVA: 600, reactiveCapabilityKVAr: 500),
                    .init(key: Fixture.deviceC, busNumber: 2, ratedKVA: 400, reactiveCapabilityKVAr: 300),
                ],
                operatorKey: Fixture.operatorKey, relayKey: Fixture.relayKey, vsiThresholdMicro: 800_000,
                neighbour: .init(region: 7, couplingBusNumber: 4), forwardRegions: forwardRegions))
    }

    static func apply(_ harness: inout ContractHarness, _ request: VoltageReactiveRequest) -> ContractHarness.Outcome {
        harness.call(
            Fixture.contract, VoltageStabilityContract.reactiveRequestMethod,
            arguments: VoltageStabilityContract.reactiveRequestArguments(request), sender: Fixture.relayKey)
    }

    @Test func theRestGoesToTheNextAdjacentRegionThatIsNotTheRequester() throws {
        // Region 8's adjacency lists the requester 7 first: it is skipped, 9 gets the rest.
        var helper = try Self.region(8, forwardRegions: [7, 9])
        let asked = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 2_400_000, intervalIndex: 3)
        let outcome = Self.apply(&helper, asked)
        #expect(outcome.failureReason == nil)
        let support = try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(outcome.output))
        #expect(support.suppliedVAr == 1_000_000)
        #expect(support.forwardedTo == 9)
        #expect(outcome.outbox.count == 1)
        let message = try #require(outcome.outbox.first)
        #expect(message.destinationRegion == 9)
        #expect(message.method == VoltageStabilityContract.reactiveRequestMethod)
        let onward = try VoltageReactiveRequest(decoding: message.payload)
        #expect(
            onward
                == VoltageReactiveRequest(
                    requestingRegion: 7, busNumber: 4, deficitVAr: 1_400_000, intervalIndex: 3, senderRegion: 8))
        #expect(onward.isForwarded)

        // Region 9 meets what it can of the rest and passes nothing on, though its adjacency has room.
        var third = try Self.region(9, forwardRegions: [8, 10])
        let applied = third.call(message.contract, message.method, arguments: message.payload, sender: Fixture.relayKey)
        let thirdSupport = try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(applied.output))
        #expect(thirdSupport.suppliedVAr == 1_000_000)
        #expect(thirdSupport.unmetVAr == 400_000)
        #expect(thirdSupport.forwardedTo == nil)
        #expect(applied.outbox.isEmpty)
    }

    @Test func nothingGoesOnWhenAllIsMetOrThereIsNowhereToGo() throws {
        var helper = try Self.region(8, forwardRegions: [7, 9])
        let small = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 600_000, intervalIndex: 1)
        let met = Self.apply(&helper, small)
        #expect(met.outbox.isEmpty)
        #expect(try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(met.output)).forwardedTo == nil)
        // Only the requester is adjacent: the rest stays unmet.
        var alone = try Self.region(8, forwardRegions: [7])
        let large = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 3_000_000, intervalIndex: 1)
        let short = Self.apply(&alone, large)
        #expect(short.outbox.isEmpty)
        #expect(
            try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(short.output)).unmetVAr == 2_000_000)
    }

    @Test func directAndPassedOnRequestsKeepTheirOwnIntervals() throws {
        var helper = try Self.region(9, forwardRegions: [])
        let direct = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 100_000, intervalIndex: 5)
        var passedOn = direct
        passedOn.senderRegion = 8
        #expect(Self.apply(&helper, direct).failureReason == nil)
        #expect(Self.apply(&helper, passedOn).failureReason == nil)
        let replay = Self.apply(&helper, passedOn)
        #expect(replay.failureReason?.contains("stale request interval 5 from region 7 via region 8") == true)
        #expect(Self.apply(&helper, direct).failureReason?.contains("stale request interval 5 from region 7:") == true)
    }

    @Test func aRegionCannotPassARequestToItselfOrIntoALoop() throws {
        var helper = try Self.region(8, forwardRegions: [9])
        var selfSent = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 1_000, intervalIndex: 1)
        selfSent.senderRegion = 8
        #expect(Self.apply(&helper, selfSent).failureReason?.contains("from itself") == true)
        for (list, reason) in [
            ([RegionID(8)], "to itself"), ([9, 9], "twice"), ([RegionID.max], "global chain"),
            (Array(repeating: RegionID(1), count: VoltageStabilityConfiguration.forwardRegionsMax + 1), "at most"),
        ] {
            let error = #expect(throws: VoltageStabilityConfigurationError.self) {
                _ = try Self.region(8, forwardRegions: list)
            }
            #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
        }
    }

    @Test func theEncodingsRoundTripAndRefuseTruncation() throws {
        let request = VoltageReactiveRequest(
            requestingRegion: 7, busNumber: 4, deficitVAr: -5, intervalIndex: 9, senderRegion: 8)
        #expect(try VoltageReactiveRequest(decoding: request.encoded()) == request)
        #expect(request.encoded().count == VoltageReactiveRequest.encodedByteCount)
        #expect(throws: DecodingError.self) {
            try VoltageReactiveRequest(decoding: Array(request.encoded().dropLast()))
        }
        for forwardedTo in [RegionID?.none, 3] {
            let support = VoltageReactiveSupport(
                request: request, suppliedVAr: -2, setpoints: [], forwardedTo: forwardedTo)
            #expect(try VoltageReactiveSupport(decoding: support.encoded()) == support)
        }
    }
}

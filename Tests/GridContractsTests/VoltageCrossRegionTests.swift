import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// `reactiveRequest`: a region takes on a neighbour's deficit VAr for VAr from its own headroom, devices in order
/// of their shared path reactance with the coupling bus (highest first, then key).
@Suite struct VoltageCrossRegionTests {
    typealias Fixture = VoltageFixture

    /// Region 8, the same line feeder and device keys, coupled to region 7 at `couplingBus`.
    static func helper(couplingBus: UInt16) throws -> ContractHarness {
        Fixture.harness(
            try Fixture.configuration(region: 8, neighbour: .init(region: 7, couplingBusNumber: couplingBus)))
    }

    static func request(
        _ harness: inout ContractHarness, _ request: VoltageReactiveRequest, sender: PublicKey = Fixture.relayKey
    ) -> ContractHarness.Outcome {
        harness.call(
            Fixture.contract, VoltageStabilityContract.reactiveRequestMethod,
            arguments: VoltageStabilityContract.reactiveRequestArguments(request), sender: sender)
    }

    static func support(_ outcome: ContractHarness.Outcome) throws -> VoltageReactiveSupport {
        #expect(outcome.failureReason == nil)
        return try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(outcome.output))
    }

    /// Coupled at bus 4: shared reactances A 0.06, B 0.04, C 0.02 p.u., so 600 kVAr comes from A (200) then B (400).
    @Test func theMostSensitiveDevicesHelpFirst() throws {
        var harness = try Self.helper(couplingBus: 4)
        let asked = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 600_000, intervalIndex: 1)
        let support = try Self.support(Self.request(&harness, asked))
        #expect(support.request == asked)
        #expect(support.suppliedVAr == 600_000)
        #expect(support.unmetVAr == 0)
        #expect(support.setpoints.map(\.qSetpointVAr) == [0, 400_000, 200_000])
        #expect(Fixture.setpoint(harness, Fixture.deviceB) == 400_000)
    }

    /// Coupled at bus 2, every device shares the same 0.02 p.u. with it, so the key order decides: C, B, A.
    @Test func equalSensitivitiesGoInKeyOrder() throws {
        var harness = try Self.helper(couplingBus: 2)
        let asked = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 600_000, intervalIndex: 1)
        let support = try Self.support(Self.request(&harness, asked))
        #expect(support.setpoints.map(\.qSetpointVAr) == [300_000, 300_000, 0])
    }

    /// More than the region has: it gives all its 1000 kVAr, reports the rest unmet and forwards nothing.
    @Test func aRequestBeyondTheHeadroomIsPartlyMet() throws {
        var harness = try Self.helper(couplingBus: 4)
        let asked = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 2_000_000, intervalIndex: 1)
        let outcome = Self.request(&harness, asked)
        let support = try Self.support(outcome)
        #expect(support.suppliedVAr == 1_000_000)
        #expect(support.unmetVAr == 1_000_000)
        #expect(outcome.outbox.isEmpty)
        // Absorbing first undoes the injection, then uses the capability on the other side.
        let absorb = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: -1_500_000, intervalIndex: 2)
        let second = try Self.support(Self.request(&harness, absorb))
        #expect(second.suppliedVAr == -1_500_000)
        #expect(second.setpoints.map(\.qSetpointVAr) == [200_000, -500_000, -200_000])
    }

    /// The message a short region sends is exactly what its neighbour applies.
    @Test func anOutboxMessageAppliesAtTheNeighbour() throws {
        var requester = Fixture.harness(try Fixture.configuration(capabilityCKVAr: 100))
        Fixture.reportStressedLine(&requester, sequence: 1)
        let message = try #require(Fixture.dispatch(&requester, interval: 3).outbox.first)
        var helper = try Self.helper(couplingBus: 4)
        let outcome = helper.call(
            message.contract, message.method, arguments: message.payload, sender: Fixture.relayKey)
        let support = try Self.support(outcome)
        #expect(support.request.requestingRegion == 7)
        #expect(support.request.deficitVAr == 60_000)
        #expect(support.suppliedVAr == 60_000)
        #expect(Fixture.setpoint(helper, Fixture.deviceA) == 60_000)
        // Delivered twice (a replay): applied once.
        let replay = helper.call(message.contract, message.method, arguments: message.payload, sender: Fixture.relayKey)
        #expect(replay.failureReason?.contains("stale request interval 3 from region 7") == true)
        #expect(Fixture.setpoint(helper, Fixture.deviceA) == 60_000)
    }

    @Test func badRequestsAreReceiptErrors() throws {
        var harness = try Self.helper(couplingBus: 4)
        let valid = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 1_000, intervalIndex: 1)
        for sender in [Fixture.operatorKey, Fixture.deviceA, Fixture.outsider] {
            let outcome = Self.request(&harness, valid, sender: sender)
            #expect(outcome.failureReason?.contains("unauthorised: only the cross-region relay") == true)
        }
        var own = valid
        own.requestingRegion = 8
        #expect(Self.request(&harness, own).failureReason?.contains("from itself") == true)
        for deficit in [Int64(0), .min, .max, VoltageStabilityContract.reactiveRequestVArMax + 1] {
            var bad = valid
            bad.deficitVAr = deficit
            #expect(Self.request(&harness, bad).failureReason?.contains("out of range: deficitVAr") == true)
        }
        #expect(harness.state.isEmpty)
        #expect(Self.request(&harness, valid).failureReason == nil)
        #expect(Self.request(&harness, valid).failureReason?.contains("stale request interval 1") == true)
        // Requests from different regions are tracked separately.
        var other = valid
        other.requestingRegion = 9
        #expect(Self.request(&harness, other).failureReason == nil)
    }
}

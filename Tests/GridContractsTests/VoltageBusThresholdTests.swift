import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// One region that holds buses of groups with different thresholds (Honari et al.'s three groups on one unsharded
/// chain): each bus acts on its own threshold, and the region's applies only to buses without one. The operating
/// point is `VoltageDispatchTests.aWeakIndexAloneTriggersADispatch`'s: every voltage in the band, bus 4 at 0.955 p.u.
/// with margin-ratio index 0.869504, the weakest.
@Suite struct VoltageBusThresholdTests {
    typealias Fixture = VoltageFixture

    static func configuration(
        regionThresholdMicro: Int64, busThresholdsMicro: [UInt16: Int64]
    ) throws -> VoltageStabilityConfiguration {
        let buses = Fixture.lineBuses.map { bus in
            var bus = bus
            bus.vsiThresholdMicro = busThresholdsMicro[bus.number]
            return bus
        }
        let base = try Fixture.configuration()
        return try VoltageStabilityConfiguration(
            region: base.region, baseKVA: base.baseKVA, buses: buses, devices: base.devices,
            operatorKey: base.operatorKey, relayKey: base.relayKey, vsiThresholdMicro: regionThresholdMicro,
            neighbour: base.neighbour)
    }

    static func dispatch(_ configuration: VoltageStabilityConfiguration) throws -> VoltageDispatchOutcome {
        var harness = Fixture.harness(configuration)
        Fixture.reportStressedLine(&harness, sequence: 1, bus4VoltageMicroPU: 955_000)
        let outcome = Fixture.dispatch(&harness, interval: 1)
        #expect(outcome.failureReason == nil)
        return try VoltageStabilityContract.decodeDispatchOutput(try #require(outcome.output))
    }

    /// The region's 0.80 would let bus 4 be; its own 0.88 does not. The dispatch is the one the region-wide 0.88
    /// gives (hand-computed in `VoltageDispatchTests`): raise bus 4 by 0.025 p.u., B 296,875 VAr and A 200,000.
    @Test func aBusBelowItsOwnThresholdTriggersUnderALaxerRegionThreshold() throws {
        let decoded = try Self.dispatch(
            try Self.configuration(regionThresholdMicro: 800_000, busThresholdsMicro: [4: 880_000]))
        #expect(decoded.action == .raise)
        #expect(decoded.focusBusNumber == 4)
        #expect(decoded.voltageChangeMicroPU == 25_000)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [0, 296_875, 200_000])
    }

    /// The region's 0.88 would act on bus 4; its own 0.85 does not, and the other buses are above 0.88.
    @Test func aBusAboveItsOwnThresholdDoesNotTriggerUnderAStricterRegionThreshold() throws {
        let decoded = try Self.dispatch(
            try Self.configuration(regionThresholdMicro: 880_000, busThresholdsMicro: [4: 850_000]))
        #expect(decoded.weakestBuses.first?.busNumber == 4)
        #expect(decoded.weakestBuses.dropFirst().allSatisfy { $0.indexMicro >= 880_000 }, "\(decoded.weakestBuses)")
        #expect(decoded.action == .none)
        #expect(decoded.setpoints.allSatisfy { $0.qSetpointVAr == 0 })
    }

    /// Bus 4 is the weakest but within its own threshold; bus 3 is stronger but below its own: bus 3 is the focus.
    @Test func theFocusIsTheWeakestBusBelowItsOwnThresholdNotTheWeakestOverall() throws {
        let decoded = try Self.dispatch(
            try Self.configuration(regionThresholdMicro: 0, busThresholdsMicro: [4: 850_000, 3: 999_000]))
        let ranking = decoded.weakestBuses.map(\.busNumber)
        #expect(ranking.first == 4)
        #expect(decoded.action == .raise)
        #expect(decoded.focusBusNumber == 3)
        // Bus 3 sits at 0.965 p.u.: steered to the bottom of the target, 0.98.
        #expect(decoded.voltageChangeMicroPU == 15_000)
    }

    @Test func aBusThresholdOutOfRangeIsRefusedNamingTheBus() throws {
        #expect {
            _ = try Self.configuration(regionThresholdMicro: 800_000, busThresholdsMicro: [3: 1_000_001])
        } throws: { error in
            "\(error)".contains("bus 3") && "\(error)".contains("1000001")
        }
        #expect {
            _ = try Self.configuration(regionThresholdMicro: 800_000, busThresholdsMicro: [2: -1])
        } throws: { error in
            "\(error)".contains("bus 2")
        }
    }
}

import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Dispatch sizes against hand computations on the line feeder of `VoltageFixture` (base 1000 kVA).
///
/// The contract keeps the need as remaining = |dV| * V_f * base (micro-p.u. * micro-p.u. * kVA); device j with
/// shared reactance X_fj takes ceil(remaining / (X_fj * 1000)) VAr up to its headroom. In p.u. that is
/// Q_j = dV * V_f / X_fj, the inverse of the sensitivity dV/dQ = X_shared / V.
@Suite struct VoltageDispatchTests {
    typealias Fixture = VoltageFixture

    static func decode(_ outcome: ContractHarness.Outcome) throws -> VoltageDispatchOutcome {
        #expect(outcome.failureReason == nil)
        return try VoltageStabilityContract.decodeDispatchOutput(try #require(outcome.output))
    }

    /// Bus 4 at 0.94 p.u. is below the band (and its index 0.778 below the 0.8 threshold): raise it to 0.98.
    ///
    ///     remaining = 0.04 * 0.94 * 1000 kVA            = 3.76e13 (scaled)
    ///     A (bus 4, X_44 = 0.06): ceil(3.76e13 / 6e7) = 626_667 VAr > 200 kVAr  -> 200_000, remaining 2.56e13
    ///     B (bus 3, X_43 = 0.04): ceil(2.56e13 / 4e7) = 640_000 VAr > 500 kVAr  -> 500_000, remaining 5.6e12
    ///     C (bus 2, X_42 = 0.02): ceil(5.6e12 / 2e7)  = 280_000 VAr <= 300 kVAr -> 280_000, remaining 0
    ///
    /// Check in p.u.: (0.2 * 0.06 + 0.5 * 0.04 + 0.28 * 0.02) / 0.94 = 0.0376 / 0.94 = 0.04.
    @Test func raisesTheWeakestBusWithTheMostSensitiveDevicesFirst() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Fixture.reportStressedLine(&harness, sequence: 1)
        let outcome = Fixture.dispatch(&harness, interval: 1)
        let decoded = try Self.decode(outcome)
        #expect(decoded.intervalIndex == 1)
        #expect(decoded.action == .raise)
        #expect(decoded.focusBusNumber == 4)
        #expect(decoded.voltageChangeMicroPU == 40_000)
        #expect(decoded.deficitVAr == 0)
        #expect(decoded.requestedRegion == nil)
        #expect(outcome.outbox.isEmpty)
        // Sorted by key: C (0x02...), B (0x03...), A (0x04...).
        #expect(
            decoded.setpoints == [
                VoltageSetpoint(device: Fixture.deviceC, qSetpointVAr: 280_000),
                VoltageSetpoint(device: Fixture.deviceB, qSetpointVAr: 500_000),
                VoltageSetpoint(device: Fixture.deviceA, qSetpointVAr: 200_000),
            ])
        #expect(Fixture.setpoint(harness, Fixture.deviceA) == 200_000)
        #expect(Fixture.setpoint(harness, Fixture.deviceB) == 500_000)
        #expect(Fixture.setpoint(harness, Fixture.deviceC) == 280_000)

        // The linear model agrees: the predicted rise at bus 4 is the requested 0.04 p.u. (to a micro-p.u.).
        let predictedRise = decoded.setpoints.reduce(Int64(0)) { sum, setpoint in
            let bus: Int64 =
                setpoint.device == Fixture.deviceA ? 60_000 : setpoint.device == Fixture.deviceB ? 40_000 : 20_000
            return sum
                + VoltageStabilityIndex.voltageChangeMicroPU(
                    reactiveVAr: setpoint.qSetpointVAr, sharedReactanceMicroPU: bus, busVoltageMicroPU: 940_000,
                    baseKVA: Fixture.baseKVA)
        }
        #expect(abs(predictedRise - 40_000) <= 1)

        // The query method returns the same set-point.
        let query = harness.call(
            Fixture.contract, VoltageStabilityContract.setpointMethod,
            arguments: VoltageStabilityContract.setpointArguments(device: Fixture.deviceA), sender: Fixture.outsider)
        #expect(try VoltageStabilityContract.decodeSetpointOutput(try #require(query.output)) == 200_000)
    }

    /// With C limited to 100 kVAr the region falls short and asks its neighbour (region 8) for the rest:
    /// after A and B as above, C takes 100_000 (remaining 5.6e12 - 100_000 * 2e7 = 3.6e12), and the deficit as an
    /// injection at bus 4 is ceil(3.6e12 / 6e7) = 60_000 VAr (0.0038298 p.u. of voltage * 0.94 / 0.06 = 0.06 p.u.).
    @Test func noHeadroomLeftSendsAReactiveRequestToTheNeighbour() throws {
        var harness = Fixture.harness(try Fixture.configuration(capabilityCKVAr: 100))
        Fixture.reportStressedLine(&harness, sequence: 1)
        let outcome = Fixture.dispatch(&harness, interval: 5)
        let decoded = try Self.decode(outcome)
        #expect(decoded.deficitVAr == 60_000)
        #expect(decoded.requestedRegion == 8)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [100_000, 500_000, 200_000])
        let message = try #require(outcome.outbox.first)
        #expect(outcome.outbox.count == 1)
        #expect(message.destinationRegion == 8)
        #expect(message.contract == "voltage")
        #expect(message.method == "reactiveRequest")
        let request = try VoltageReactiveRequest(decoding: message.payload)
        #expect(
            request == VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 60_000, intervalIndex: 5))
    }

    /// Set-points accumulate: the next interval with the same reports finds A and B at their limits and C with
    /// 20 kVAr left, so remaining = 3.76e13 - 20_000 * 2e7 = 3.72e13 and the deficit is ceil(3.72e13 / 6e7) = 620_000.
    @Test func aSecondDispatchUsesOnlyTheRemainingHeadroom() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Fixture.reportStressedLine(&harness, sequence: 1)
        _ = try Self.decode(Fixture.dispatch(&harness, interval: 1))
        let outcome = Fixture.dispatch(&harness, interval: 2)
        let decoded = try Self.decode(outcome)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [300_000, 500_000, 200_000])
        #expect(decoded.deficitVAr == 620_000)
        #expect(outcome.outbox.count == 1)
    }

    /// Without a neighbour the deficit is reported but nothing is sent.
    @Test func withoutANeighbourTheDeficitIsOnlyReported() throws {
        var harness = Fixture.harness(try Fixture.configuration(capabilityCKVAr: 100, neighbour: nil))
        Fixture.reportStressedLine(&harness, sequence: 1)
        let outcome = Fixture.dispatch(&harness, interval: 1)
        let decoded = try Self.decode(outcome)
        #expect(decoded.deficitVAr == 60_000)
        #expect(decoded.requestedRegion == nil)
        #expect(outcome.outbox.isEmpty)
    }

    /// Every voltage in the band, but the threshold is 0.88 and bus 4 (0.955 p.u.) has margin-ratio index 0.869504
    /// (|E|^2 = 0.967456, S |Z| = 0.036125, P R + Q X = 0.027: 1 - 2 * 0.063125 / 0.967456): raise it to 0.98. remaining = 0.025 * 0.955 * 1000 = 2.3875e13; A: ceil(2.3875e13 / 6e7) = 397_917 -> 200_000
    /// (remaining 1.1875e13); B: ceil(1.1875e13 / 4e7) = 296_875, within its 500 kVAr; C untouched.
    @Test func aWeakIndexAloneTriggersADispatch() throws {
        var harness = Fixture.harness(try Fixture.configuration(vsiThresholdMicro: 880_000))
        Fixture.reportStressedLine(&harness, sequence: 1, bus4VoltageMicroPU: 955_000)
        let decoded = try Self.decode(Fixture.dispatch(&harness, interval: 1))
        #expect(
            decoded.weakestBuses.first == VoltageRankedBus(busNumber: 4, indexMicro: 869_504, voltageMicroPU: 955_000))
        #expect(decoded.action == .raise)
        #expect(decoded.focusBusNumber == 4)
        #expect(decoded.voltageChangeMicroPU == 25_000)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [0, 296_875, 200_000])
        #expect(decoded.deficitVAr == 0)
    }

    /// Bus 4 at 1.06 p.u. is above the band: lower it to 1.00 by absorbing. remaining = 0.06 * 1.06 * 1000 =
    /// 6.36e13; A: 1_060_000 needed -> -200_000 (remaining 5.16e13); B: 1_290_000 -> -500_000 (3.16e13);
    /// C: 1_580_000 -> -300_000 (2.56e13); deficit -ceil(2.56e13 / 6e7) = -426_667, asked of the neighbour.
    @Test func overVoltageAbsorbsReactivePower() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Fixture.report(&harness, Fixture.deviceC, bus: 2, sequence: 1, voltageMicroPU: 1_020_000, pWatts: -200_000)
        Fixture.report(&harness, Fixture.deviceB, bus: 3, sequence: 1, voltageMicroPU: 1_040_000, pWatts: -300_000)
        Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 1_060_000, pWatts: -400_000)
        let outcome = Fixture.dispatch(&harness, interval: 1)
        let decoded = try Self.decode(outcome)
        #expect(decoded.action == .lower)
        #expect(decoded.focusBusNumber == 4)
        #expect(decoded.voltageChangeMicroPU == -60_000)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [-300_000, -500_000, -200_000])
        #expect(decoded.deficitVAr == -426_667)
        let request = try VoltageReactiveRequest(decoding: try #require(outcome.outbox.first).payload)
        #expect(request.deficitVAr == -426_667)
    }

    /// Equal over-voltages at buses 3 and 4: the lower bus number is the focus. Seen from bus 3, A (bus 4) and
    /// B (bus 3) share X = 0.04 and go in key order (B, then A), C shares 0.02. remaining = 6.36e13; B -500_000
    /// (4.36e13), A -200_000 (3.56e13), C -300_000 (2.96e13); deficit -ceil(2.96e13 / (40_000 * 1000)) = -740_000.
    @Test func equalVoltagesFocusOnTheLowerBusNumber() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Fixture.report(&harness, Fixture.deviceC, bus: 2, sequence: 1, voltageMicroPU: 1_030_000)
        Fixture.report(&harness, Fixture.deviceB, bus: 3, sequence: 1, voltageMicroPU: 1_060_000)
        Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 1_060_000)
        let decoded = try Self.decode(Fixture.dispatch(&harness, interval: 1))
        #expect(decoded.action == .lower)
        #expect(decoded.focusBusNumber == 3)
        #expect(decoded.setpoints.map(\.qSetpointVAr) == [-300_000, -500_000, -200_000])
        #expect(decoded.deficitVAr == -740_000)
    }

    /// A weak index while the weakest bus already sits at the top of the target (threshold 1.0 p.u.^4, every
    /// voltage at or above 1.00 p.u.): reactive power cannot usefully raise it further, so nothing moves.
    @Test func aWeakIndexAtTheTopOfTheTargetMovesNothing() throws {
        var harness = Fixture.harness(try Fixture.configuration(vsiThresholdMicro: 1_000_000))
        Fixture.report(&harness, Fixture.deviceC, bus: 2, sequence: 1, voltageMicroPU: 1_020_000, pWatts: 100_000)
        Fixture.report(&harness, Fixture.deviceB, bus: 3, sequence: 1, voltageMicroPU: 1_010_000, pWatts: 100_000)
        Fixture.report(
            &harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 1_000_000, pWatts: 500_000, qVAr: 200_000)
        let outcome = Fixture.dispatch(&harness, interval: 1)
        let decoded = try Self.decode(outcome)
        #expect(decoded.weakestBuses.first?.busNumber == 4)
        #expect(try #require(decoded.weakestBuses.first?.indexMicro) < 1_000_000)
        #expect(decoded.action == .raise)
        #expect(decoded.voltageChangeMicroPU == 0)
        #expect(decoded.setpoints.allSatisfy { $0.qSetpointVAr == 0 })
        #expect(outcome.outbox.isEmpty)
    }

    /// Healthy voltages and indices: nothing moves, and only the interval is written.
    @Test func aHealthyRegionKeepsItsSetpoints() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Fixture.report(&harness, Fixture.deviceC, bus: 2, sequence: 1, voltageMicroPU: 995_000, pWatts: 100_000)
        Fixture.report(&harness, Fixture.deviceB, bus: 3, sequence: 1, voltageMicroPU: 990_000, pWatts: 100_000)
        Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 985_000, pWatts: 100_000)
        let before = harness.state[Fixture.contract]?.count ?? 0
        let outcome = Fixture.dispatch(&harness, interval: 1)
        let decoded = try Self.decode(outcome)
        #expect(decoded.action == .none)
        #expect(decoded.focusBusNumber == 0)
        #expect(decoded.setpoints.allSatisfy { $0.qSetpointVAr == 0 })
        #expect(decoded.weakestBuses.map(\.busNumber) == [4, 3, 2])
        #expect(outcome.outbox.isEmpty)
        #expect((harness.state[Fixture.contract]?.count ?? 0) == before + 1)
    }

    @Test func aDispatchWithoutReportsDoesNothing() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        let decoded = try Self.decode(Fixture.dispatch(&harness, interval: 0))
        #expect(decoded.action == .none)
        #expect(decoded.weakestBuses.isEmpty)
        #expect(decoded.setpoints.count == 3)
    }

    /// The largest output (64 set-points listed, 16 ranked buses) still fits a receipt.
    @Test func theLargestOutputFitsAReceipt() throws {
        let devices = (0..<VoltageStabilityConfiguration.setpointsOutputMax).map {
            VoltageSetpoint(device: Fixture.key(UInt8($0)), qSetpointVAr: .min)
        }
        let ranking = (0..<VoltageStabilityConfiguration.rankingOutputCountMax).map {
            VoltageRankedBus(busNumber: UInt16($0), indexMicro: .max, voltageMicroPU: .max)
        }
        let outcome = VoltageDispatchOutcome(
            intervalIndex: .max, action: .lower, focusBusNumber: .max, voltageChangeMicroPU: .min, deficitVAr: .min,
            requestedRegion: .max, weakestBuses: ranking, setpoints: devices)
        let bytes = outcome.encoded()
        #expect(bytes.count <= Receipt.outputBytesMax)
        #expect(try VoltageDispatchOutcome(decoding: bytes) == outcome)
        let support = VoltageReactiveSupport(
            request: VoltageReactiveRequest(requestingRegion: 1, busNumber: 2, deficitVAr: -3, intervalIndex: 4),
            suppliedVAr: -3, setpoints: devices)
        #expect(support.encoded().count <= Receipt.outputBytesMax)
        #expect(try VoltageReactiveSupport(decoding: support.encoded()) == support)
    }
}

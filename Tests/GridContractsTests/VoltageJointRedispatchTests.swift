import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// `reactiveRequest` with the network's transfer reactances (`VoltageStabilityConfiguration.RemoteBus`): a region
/// meets a neighbour's deficit as a joint re-dispatch of both would, by the voltage change at the requesting bus,
/// not VAr for VAr.
///
/// Region 8 is the fixture's line feeder (devices A at bus 4, 200 kVAr; B at bus 3, 500 kVAr; C at bus 2, 300 kVAr).
/// Region 7's bus 40 has X_ff = 0.10 p.u. and transfer reactances 0.05 (bus 4), 0.04 (bus 3), 0.02 (bus 2) to it;
/// bus 41 has X_ff = 0.08 and reaches only bus 3 (0.04).
@Suite struct VoltageJointRedispatchTests {
    typealias Fixture = VoltageFixture

    static let remoteBuses: [VoltageStabilityConfiguration.RemoteBus] = [
        .init(number: 40, reactanceMicroPU: 100_000, transferReactanceMicroPU: [4: 50_000, 3: 40_000, 2: 20_000]),
        .init(number: 41, reactanceMicroPU: 80_000, transferReactanceMicroPU: [3: 40_000]),
    ]

    static func helper(remoteBuses: [VoltageStabilityConfiguration.RemoteBus] = remoteBuses) throws
        -> ContractHarness
    {
        let base = try Fixture.configuration(region: 8, neighbour: .init(region: 7, couplingBusNumber: 4))
        let configuration = try VoltageStabilityConfiguration(
            region: 8, baseKVA: base.baseKVA, buses: base.buses, devices: base.devices,
            operatorKey: base.operatorKey, relayKey: base.relayKey, vsiThresholdMicro: base.vsiThresholdMicro,
            neighbour: base.neighbour, remoteBuses: remoteBuses)
        return Fixture.harness(configuration)
    }

    static func support(_ harness: inout ContractHarness, bus: UInt16, deficitVAr: Int64, interval: UInt64 = 1)
        throws -> VoltageReactiveSupport
    {
        let request = VoltageReactiveRequest(
            requestingRegion: 7, busNumber: bus, deficitVAr: deficitVAr, intervalIndex: interval)
        let outcome = harness.call(
            Fixture.contract, VoltageStabilityContract.reactiveRequestMethod,
            arguments: VoltageStabilityContract.reactiveRequestArguments(request), sender: Fixture.relayKey)
        #expect(outcome.failureReason == nil)
        return try VoltageStabilityContract.decodeReactiveSupportOutput(try #require(outcome.output))
    }

    /// 100 kVAr at bus 40 is 0.10 x 100 kVAr of effect; A gives 0.05 per VAr, so it moves 200 kVAr (all it has),
    /// twice what VAr for VAr would have moved.
    @Test func theHelpIsSizedByTheEffectAtTheRequestingBus() throws {
        var harness = try Self.helper()
        let support = try Self.support(&harness, bus: 40, deficitVAr: 100_000)
        #expect(support.suppliedVAr == 100_000)
        #expect(support.unmetVAr == 0)
        // Sorted by key: C (0x02), B (0x03), A (0x04).
        #expect(support.setpoints.map(\.qSetpointVAr) == [0, 0, 200_000])
    }

    /// 200 kVAr: A's 200 kVAr cover half (0.05 x 200 = 10 kVAr.p.u. of 20), B covers the rest with
    /// ceil(10,000,000,000 / 40,000) = 250 kVAr.
    @Test func theMostEffectiveDevicesGoFirst() throws {
        var harness = try Self.helper()
        let support = try Self.support(&harness, bus: 40, deficitVAr: 200_000)
        #expect(support.suppliedVAr == 200_000)
        #expect(support.setpoints.map(\.qSetpointVAr) == [0, 250_000, 200_000])
    }

    /// 1,000 kVAr asks for 0.10 x 1,000; everything the region has, 0.05 x 200 + 0.04 x 500 + 0.02 x 300 = 36, is
    /// worth 360 kVAr at bus 40: the rest is unmet, where VAr for VAr would have called the request met.
    @Test func beyondTheHeadroomTheUnmetPartIsWhatTheBusStillMisses() throws {
        var harness = try Self.helper()
        let support = try Self.support(&harness, bus: 40, deficitVAr: 1_000_000)
        #expect(support.suppliedVAr == 360_000)
        #expect(support.unmetVAr == 640_000)
        #expect(support.setpoints.map(\.qSetpointVAr) == [300_000, 500_000, 200_000])
        // Absorbing goes the same way, with the other sign.
        let absorb = try Self.support(&harness, bus: 40, deficitVAr: -100_000, interval: 2)
        #expect(absorb.suppliedVAr == -100_000)
        #expect(absorb.setpoints.map(\.qSetpointVAr) == [300_000, 500_000, 0])
    }

    /// A device without a transfer reactance to the bus cannot help it: at bus 41 only B moves.
    @Test func devicesWithoutATransferReactanceStayPut() throws {
        var harness = try Self.helper()
        let support = try Self.support(&harness, bus: 41, deficitVAr: 100_000)
        // 0.08 x 100 kVAr / 0.04 = 200 kVAr from B.
        #expect(support.suppliedVAr == 100_000)
        #expect(support.setpoints.map(\.qSetpointVAr) == [0, 200_000, 0])
    }

    /// A bus the table does not hold is met VAr for VAr from the coupling bus, as without a table.
    @Test func aBusOutsideTheTableIsMetVArForVAr() throws {
        var joint = try Self.helper()
        var plain = try Self.helper(remoteBuses: [])
        let withTable = try Self.support(&joint, bus: 39, deficitVAr: 600_000)
        let withoutTable = try Self.support(&plain, bus: 39, deficitVAr: 600_000)
        #expect(withTable == withoutTable)
        #expect(withTable.suppliedVAr == 600_000)
        #expect(withTable.setpoints.map(\.qSetpointVAr) == [0, 400_000, 200_000])
    }

    @Test func aBadTableIsRefusedNamingTheBus() throws {
        let base = try Fixture.configuration(region: 8, neighbour: .init(region: 7, couplingBusNumber: 4))
        func build(_ remote: [VoltageStabilityConfiguration.RemoteBus]) -> String? {
            do {
                _ = try VoltageStabilityConfiguration(
                    region: 8, baseKVA: base.baseKVA, buses: base.buses, devices: base.devices,
                    operatorKey: base.operatorKey, vsiThresholdMicro: base.vsiThresholdMicro, remoteBuses: remote)
                return nil
            } catch { return error.reason }
        }
        #expect(
            build([.init(number: 3, reactanceMicroPU: 1, transferReactanceMicroPU: [:])])
                == "remote bus 3 is a bus of this region")
        #expect(
            build([.init(number: 40, reactanceMicroPU: 1, transferReactanceMicroPU: [9: 1])])
                == "remote bus 40: transfer reactance to bus 9, not in the region")
        #expect(
            build([.init(number: 40, reactanceMicroPU: 1, transferReactanceMicroPU: [2: -1])])
                == "remote bus 40: transfer reactance to bus 2 (-1) out of range")
        #expect(
            build([.init(number: 40, reactanceMicroPU: 10_000_001, transferReactanceMicroPU: [:])])
                == "remote bus 40: reactance 10000001 out of range")
        let twice = VoltageStabilityConfiguration.RemoteBus(
            number: 40, reactanceMicroPU: 1, transferReactanceMicroPU: [:])
        #expect(build([twice, twice]) == "remote bus 40 is listed twice")
        #expect(
            build(Array(repeating: twice, count: VoltageStabilityConfiguration.remoteBusesMax + 1))
                == "at most 2048 remote buses, not 2049")
        #expect(build(Self.remoteBuses) == nil)
    }
}

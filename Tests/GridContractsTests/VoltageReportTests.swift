import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Every bad call becomes a receipt error with a reason, and leaves the state as it was.
@Suite struct VoltageReportTests {
    typealias Fixture = VoltageFixture

    static func expectFailure(
        _ outcome: ContractHarness.Outcome, containing fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let reason = outcome.failureReason ?? "<success>"
        #expect(reason.contains(fragment), "reason: \(reason)", sourceLocation: sourceLocation)
        #expect(outcome.outbox.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func anAcceptedReportIsStoredForItsBus() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        let outcome = Fixture.report(
            &harness, Fixture.deviceA, bus: 4, sequence: 3, voltageMicroPU: 962_500, pWatts: 410_000, qVAr: -20_000,
            angleMicroRad: -52_000)
        #expect(outcome.failureReason == nil)
        #expect(outcome.output == [])
        let stored = VoltageStabilityContract.measurement(busNumber: 4) { harness.value(Fixture.contract, $0) }
        #expect(
            stored
                == VoltageMeasurement(
                    voltageMicroPU: 962_500, angleMicroRad: -52_000, pWatts: 410_000, qVAr: -20_000, height: 1))
        #expect(VoltageStabilityContract.measurement(busNumber: 3) { harness.value(Fixture.contract, $0) } == nil)
    }

    @Test func aReportFromAnUnregisteredKeyIsRejected() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        for sender in [Fixture.outsider, Fixture.operatorKey, Fixture.relayKey] {
            let outcome = Fixture.report(&harness, sender, bus: 4, sequence: 1, voltageMicroPU: 1_000_000)
            Self.expectFailure(outcome, containing: "unauthorised: sender is not a registered device")
        }
        #expect(harness.state.isEmpty)
    }

    @Test func aDeviceCannotReportAnotherBus() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        let outcome = Fixture.report(&harness, Fixture.deviceA, bus: 3, sequence: 1, voltageMicroPU: 1_000_000)
        Self.expectFailure(outcome, containing: "unauthorised: device is bound to bus 4, not bus 3")
        let unknownBus = Fixture.report(&harness, Fixture.deviceA, bus: 99, sequence: 1, voltageMicroPU: 1_000_000)
        Self.expectFailure(unknownBus, containing: "not bus 99")
        #expect(harness.state.isEmpty)
    }

    @Test func staleSequencesAreRejectedPerDevice() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        #expect(
            Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 10, voltageMicroPU: 990_000).failureReason
                == nil)
        Self.expectFailure(
            Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 10, voltageMicroPU: 900_000),
            containing: "stale sequence 10: last accepted is 10")
        Self.expectFailure(
            Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 9, voltageMicroPU: 900_000),
            containing: "stale sequence 9")
        // The rejected reports left the stored measurement alone.
        let stored = VoltageStabilityContract.measurement(busNumber: 4) { harness.value(Fixture.contract, $0) }
        #expect(stored?.voltageMicroPU == 990_000)
        // Sequences are per device: B may start anywhere.
        #expect(
            Fixture.report(&harness, Fixture.deviceB, bus: 3, sequence: 1, voltageMicroPU: 990_000).failureReason == nil
        )
        #expect(
            Fixture.report(&harness, Fixture.deviceA, bus: 4, sequence: 11, voltageMicroPU: 980_000).failureReason
                == nil)
    }

    @Test(arguments: [
        (Int64(499_999), Int64(0), Int64(0), Int64(0), "voltageMicroPU"),
        (1_500_001, 0, 0, 0, "voltageMicroPU"),
        (-1_000_000, 0, 0, 0, "voltageMicroPU"),
        (Int64.min, 0, 0, 0, "voltageMicroPU"),
        (1_000_000, 3_141_594, 0, 0, "angleMicroRad"),
        (1_000_000, Int64.min, 0, 0, "angleMicroRad"),
        (1_000_000, 0, 10_000_001, 0, "pWatts"),
        (1_000_000, 0, Int64.min, 0, "pWatts"),
        (1_000_000, 0, 0, -10_000_001, "qVAr"),
    ])
    func outOfRangeValuesAreRejected(
        voltageMicroPU: Int64, angleMicroRad: Int64, pWatts: Int64, qVAr: Int64, field: String
    ) throws {
        var harness = Fixture.harness(try Fixture.configuration())
        let outcome = Fixture.report(
            &harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: voltageMicroPU, pWatts: pWatts, qVAr: qVAr,
            angleMicroRad: angleMicroRad)
        Self.expectFailure(outcome, containing: "out of range")
        Self.expectFailure(outcome, containing: field)
        #expect(harness.state.isEmpty)
        // The limits themselves are accepted (10 p.u. of 1000 kVA is 10 MW).
        let edge = Fixture.report(
            &harness, Fixture.deviceA, bus: 4, sequence: 1, voltageMicroPU: 500_000, pWatts: -10_000_000,
            qVAr: 10_000_000, angleMicroRad: -3_141_593)
        #expect(edge.failureReason == nil)
    }

    @Test func malformedArgumentsAreRejected() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        let valid = VoltageStabilityContract.reportArguments(
            busNumber: 4, sequence: 1, voltageMicroPU: 1_000_000, angleMicroRad: 0, pWatts: 0, qVAr: 0)
        #expect(valid.count == 42)
        for length in [0, 1, 2, 9, 41] {
            let outcome = harness.call(
                Fixture.contract, "report", arguments: Array(valid.prefix(length)), sender: Fixture.deviceA)
            Self.expectFailure(outcome, containing: "malformed arguments")
            Self.expectFailure(outcome, containing: "truncated")
        }
        let trailing = harness.call(Fixture.contract, "report", arguments: valid + [0], sender: Fixture.deviceA)
        Self.expectFailure(trailing, containing: "malformed arguments")
        Self.expectFailure(trailing, containing: "trailing")
        for (method, arguments) in [
            ("dispatch", [UInt8](repeating: 0, count: 7)), ("dispatch", [UInt8](repeating: 0, count: 9)),
            ("reactiveRequest", [UInt8](repeating: 1, count: 19)),
            ("reactiveRequest", [UInt8](repeating: 1, count: 21)),
            ("setpoint", [UInt8](repeating: 4, count: 31)), ("setpoint", [UInt8](repeating: 4, count: 33)),
        ] {
            Self.expectFailure(
                harness.call(Fixture.contract, method, arguments: arguments, sender: Fixture.operatorKey),
                containing: "malformed arguments")
        }
        #expect(harness.state.isEmpty)
    }

    @Test func onlyTheOperatorMayDispatch() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        for sender in [Fixture.deviceA, Fixture.relayKey, Fixture.outsider] {
            Self.expectFailure(
                Fixture.dispatch(&harness, interval: 1, sender: sender),
                containing: "unauthorised: only the operator of region 7 may dispatch")
        }
        #expect(harness.state.isEmpty)
    }

    @Test func intervalsMustStrictlyIncrease() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        #expect(Fixture.dispatch(&harness, interval: 4).failureReason == nil)
        Self.expectFailure(
            Fixture.dispatch(&harness, interval: 4), containing: "stale interval 4: last dispatched is 4")
        Self.expectFailure(Fixture.dispatch(&harness, interval: 3), containing: "stale interval 3")
        #expect(Fixture.dispatch(&harness, interval: 5).failureReason == nil)
    }

    @Test func unknownMethodsDevicesAndRegionsAreRejected() throws {
        var harness = Fixture.harness(try Fixture.configuration())
        Self.expectFailure(
            harness.call(Fixture.contract, "transfer", arguments: [], sender: Fixture.operatorKey),
            containing: "unknown method transfer")
        Self.expectFailure(
            harness.call(
                Fixture.contract, "setpoint",
                arguments: VoltageStabilityContract.setpointArguments(device: Fixture.outsider),
                sender: Fixture.operatorKey),
            containing: "unknown device")
        // A contract configured for region 7 refuses to run in region 9's ledger.
        var elsewhere = ContractHarness(
            contracts: [VoltageStabilityContract(configuration: try Fixture.configuration())], region: 9)
        Self.expectFailure(
            Fixture.dispatch(&elsewhere, interval: 1), containing: "configured for region 7 called in region 9")
    }
}

import GridContracts
import GridCrypto
import GridLedger
import Testing

@Suite struct VoltageConfigurationTests {
    typealias Fixture = VoltageFixture
    typealias Configuration = VoltageStabilityConfiguration
    typealias Bus = VoltageStabilityConfiguration.Bus

    /// The first IEEE 33-bus branches (Baran and Wu 1989) at 12.66 kV / 10 MVA, Z_base = 16.027556 ohm:
    /// bus 4's path is 0.0922 + 0.4930 + 0.3660 = 0.9512 ohm and 0.0470 + 0.2511 + 0.1864 = 0.4845 ohm, i.e.
    /// 0.059348 + j0.030229 p.u.; the region {3, 4} is entered at bus 3 (its parent 2 lies outside).
    @Test func theBuilderSumsPathsFromTheSubstation() throws {
        var builder = Configuration.Builder(
            region: 1, baseVoltageVolts: 12_660, baseKVA: 10_000, operatorKey: Fixture.operatorKey,
            vsiThresholdMicro: 700_000)
        try builder.addBranch(fromBus: 1, toBus: 2, resistanceOhm: 0.0922, reactanceOhm: 0.0470)
        try builder.addBranch(fromBus: 2, toBus: 3, resistanceOhm: 0.4930, reactanceOhm: 0.2511)
        try builder.addBranch(fromBus: 3, toBus: 4, resistanceOhm: 0.3660, reactanceOhm: 0.1864)
        try builder.addBranch(fromBus: 2, toBus: 19, resistanceMicroOhm: 164_000, reactanceMicroOhm: 156_500)
        let substationBuilder = builder
        builder.addDevice(key: Fixture.deviceA, busNumber: 4, ratedKVA: 500, reactiveCapabilityKVAr: 300)
        builder.neighbour = .init(region: 0, couplingBusNumber: 3)
        let configuration = try builder.build(regionBuses: [4, 3])
        #expect(configuration.buses.map(\.number) == [3, 4])
        #expect(configuration.rootBusNumber == 3)
        #expect(configuration.bus(number: 3)?.parentNumber == 2)
        let bus4 = try #require(configuration.bus(number: 4))
        #expect(bus4.parentNumber == 3)
        #expect(bus4.pathResistanceMicroPU == 59_348)
        #expect(bus4.pathReactanceMicroPU == 30_229)
        let baseImpedanceOhm = 12.66 * 12.66 / 10
        #expect(abs(Double(bus4.pathReactanceMicroPU) - 0.4845 / baseImpedanceOhm * 1e6) < 1)
        #expect(configuration.relayKey == Fixture.operatorKey)
        #expect(configuration.device(key: Fixture.deviceA)?.reactiveCapabilityVAr == 300_000)

        // The substation region holds the slack bus with a zero path.
        let substation = try substationBuilder.build(regionBuses: [1, 2, 19])
        #expect(substation.rootBusNumber == 1)
        #expect(substation.bus(number: 1)?.pathReactanceMicroPU == 0)
        #expect(substation.bus(number: 2)?.pathReactanceMicroPU == 2_932)
    }

    /// The summed main 1-18 of the IEEE 33-bus feeder (11.0628 + j9.1422 ohm) gives 0.690236 + j0.570405 p.u., the
    /// X that makes GridModel's 5.704e-5 p.u. per kVAr at bus 18.
    @Test func unitsMatchTheFeederModel() throws {
        var builder = Configuration.Builder(
            region: 3, baseVoltageVolts: 12_660, baseKVA: 10_000, operatorKey: Fixture.operatorKey,
            vsiThresholdMicro: 700_000)
        try builder.addBranch(fromBus: 1, toBus: 18, resistanceOhm: 11.0628, reactanceOhm: 9.1422)
        let bus18 = try #require(try builder.build(regionBuses: [18]).bus(number: 18))
        #expect(bus18.pathResistanceMicroPU == 690_236)
        #expect(bus18.pathReactanceMicroPU == 570_405)
        // 1 kVAr at bus 18: 570_405 * 1000 * 1000 / (1_000_000 * 10_000) = 57 micro-p.u. (5.704e-5 p.u.).
        #expect(
            VoltageStabilityIndex.voltageChangeMicroPU(
                reactiveVAr: 1_000, sharedReactanceMicroPU: 570_405, busVoltageMicroPU: 1_000_000, baseKVA: 10_000)
                == 57)
    }

    /// A branched feeder: 1-2-3-4 with the lateral 2-5-6. Buses 4 and 6 share the path up to bus 2 only.
    @Test func sharedReactanceIsThatOfTheDeepestCommonAncestor() throws {
        let buses: [Bus] = [
            .init(number: 1, parentNumber: nil, pathResistanceMicroPU: 0, pathReactanceMicroPU: 0),
            .init(number: 2, parentNumber: 1, pathResistanceMicroPU: 1, pathReactanceMicroPU: 20_000),
            .init(number: 3, parentNumber: 2, pathResistanceMicroPU: 2, pathReactanceMicroPU: 40_000),
            .init(number: 4, parentNumber: 3, pathResistanceMicroPU: 3, pathReactanceMicroPU: 60_000),
            .init(number: 5, parentNumber: 2, pathResistanceMicroPU: 4, pathReactanceMicroPU: 50_000),
            .init(number: 6, parentNumber: 5, pathResistanceMicroPU: 5, pathReactanceMicroPU: 90_000),
        ]
        let configuration = try Configuration(
            region: 0, baseKVA: 1_000, buses: buses.reversed(), devices: [], operatorKey: Fixture.operatorKey,
            vsiThresholdMicro: 800_000)
        #expect(configuration.commonAncestor(of: 4, and: 6) == 2)
        #expect(configuration.commonAncestor(of: 6, and: 5) == 5)
        #expect(configuration.commonAncestor(of: 1, and: 6) == 1)
        #expect(configuration.sharedReactanceMicroPU(4, 6) == 20_000)
        #expect(configuration.sharedReactanceMicroPU(6, 4) == 20_000)
        #expect(configuration.sharedReactanceMicroPU(4, 3) == 40_000)
        #expect(configuration.sharedReactanceMicroPU(6, 6) == 90_000)
        #expect(configuration.sharedReactanceMicroPU(6, 7) == nil)
    }

    static let line = Fixture.lineBuses

    static func make(
        buses: [Bus] = line, devices: [Configuration.Device] = [], region: RegionID = 1,
        band: ClosedRange<Int64> = 950_000...1_050_000, target: ClosedRange<Int64> = 980_000...1_000_000,
        neighbour: Configuration.Neighbour? = nil, threshold: Int64 = 800_000, baseKVA: Int64 = 1_000
    ) throws(VoltageStabilityConfigurationError) -> Configuration {
        try Configuration(
            region: region, baseKVA: baseKVA, buses: buses, devices: devices, operatorKey: Fixture.operatorKey,
            vsiThresholdMicro: threshold, voltageBandMicroPU: band, dispatchTargetMicroPU: target, neighbour: neighbour)
    }

    static func expectRejected(
        _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Configuration
    ) {
        do {
            _ = try body()
            Issue.record("accepted a configuration that should fail with \(fragment)", sourceLocation: sourceLocation)
        } catch let error as VoltageStabilityConfigurationError {
            #expect(error.reason.contains(fragment), "reason: \(error.reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func invalidConfigurationsAreRejected() {
        let device = Configuration.Device(
            key: Fixture.deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 200)
        Self.expectRejected("roots") {
            try Self.make(buses: Self.line.filter { $0.number != 2 })
        }
        Self.expectRejected("listed twice") { try Self.make(buses: Self.line + [Self.line[3]]) }
        Self.expectRejected("reserved") {
            try Self.make(
                buses: Self.line + [Bus(number: 0, parentNumber: 4, pathResistanceMicroPU: 0, pathReactanceMicroPU: 0)])
        }
        Self.expectRejected("cycle") {
            try Self.make(buses: [
                Self.line[0], Bus(number: 2, parentNumber: 3, pathResistanceMicroPU: 1, pathReactanceMicroPU: 1),
                Bus(number: 3, parentNumber: 2, pathResistanceMicroPU: 1, pathReactanceMicroPU: 1),
            ])
        }
        Self.expectRejected("path impedance") {
            try Self.make(buses: [Bus(number: 1, parentNumber: nil, pathResistanceMicroPU: -1, pathReactanceMicroPU: 0)]
            )
        }
        Self.expectRejected("not in the region") {
            try Self.make(devices: [.init(key: Fixture.deviceA, busNumber: 9, ratedKVA: 250, reactiveCapabilityKVAr: 1)]
            )
        }
        Self.expectRejected("listed twice") { try Self.make(devices: [device, device]) }
        Self.expectRejected("reactive capability") {
            try Self.make(devices: [
                .init(key: Fixture.deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 251)
            ])
        }
        Self.expectRejected("at most 4096 devices") {
            try Self.make(
                devices: (0...VoltageStabilityConfiguration.devicesMax).map {
                    .init(key: Fixture.key(UInt8($0 % 256)), busNumber: 4, ratedKVA: 1, reactiveCapabilityKVAr: 1)
                })
        }
        Self.expectRejected("own neighbour") { try Self.make(neighbour: .init(region: 1, couplingBusNumber: 4)) }
        Self.expectRejected("coupling bus") { try Self.make(neighbour: .init(region: 2, couplingBusNumber: 9)) }
        Self.expectRejected("dispatch target") { try Self.make(target: 940_000...1_000_000) }
        Self.expectRejected("dispatch target") { try Self.make(band: 400_000...1_050_000) }
        Self.expectRejected("threshold") { try Self.make(threshold: -1) }
        Self.expectRejected("base kVA") { try Self.make(baseKVA: 0) }
        Self.expectRejected("1 to 512 buses") { try Self.make(buses: []) }
    }

    @Test func invalidFeedersAreRejectedByTheBuilder() throws {
        func builder() -> Configuration.Builder {
            Configuration.Builder(
                region: 1, baseVoltageVolts: 12_660, baseKVA: 10_000, operatorKey: Fixture.operatorKey,
                vsiThresholdMicro: 700_000)
        }
        var twice = builder()
        try twice.addBranch(fromBus: 1, toBus: 2, resistanceMicroOhm: 1, reactanceMicroOhm: 1)
        #expect(throws: VoltageStabilityConfigurationError.self) {
            try twice.addBranch(fromBus: 3, toBus: 2, resistanceMicroOhm: 1, reactanceMicroOhm: 1)
        }
        #expect(throws: VoltageStabilityConfigurationError.self) {
            try twice.addBranch(fromBus: 1, toBus: 3, resistanceOhm: .nan, reactanceOhm: 1)
        }
        #expect(throws: VoltageStabilityConfigurationError.self) {
            try twice.addBranch(fromBus: 1, toBus: 3, resistanceMicroOhm: -1, reactanceMicroOhm: 1)
        }
        #expect(throws: VoltageStabilityConfigurationError.self) { try twice.build(regionBuses: [7]) }
        var loop = builder()
        try loop.addBranch(fromBus: 2, toBus: 3, resistanceMicroOhm: 1, reactanceMicroOhm: 1)
        try loop.addBranch(fromBus: 3, toBus: 2, resistanceMicroOhm: 1, reactanceMicroOhm: 1)
        #expect(throws: VoltageStabilityConfigurationError.self) { try loop.build(regionBuses: [2]) }
        var badBase = builder()
        badBase.baseVoltageVolts = 0
        #expect(throws: VoltageStabilityConfigurationError.self) { try badBase.build(regionBuses: [1]) }
    }
}

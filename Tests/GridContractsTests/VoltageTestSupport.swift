import GridContracts
import GridCrypto
import GridLedger
import GridRegion

/// A hand-sized feeder for the voltage contract tests: four buses in a line, 1 (substation) - 2 - 3 - 4, each
/// branch r = 0.01 p.u., x = 0.02 p.u. on a 1000 kVA base, so the path impedances from the substation are
///
///     bus 1: 0 + j0,  bus 2: 0.01 + j0.02,  bus 3: 0.02 + j0.04,  bus 4: 0.03 + j0.06 p.u.
///
/// Devices: A at bus 4 (200 kVAr), B at bus 3 (500 kVAr), C at bus 2 (300 kVAr by default). Region 7.
enum VoltageFixture {
    static let region: RegionID = 7
    static let baseKVA: Int64 = 1_000

    static func key(_ byte: UInt8) -> PublicKey { try! PublicKey(bytes: [UInt8](repeating: byte, count: 32)) }

    static let operatorKey = key(0xA0)
    static let relayKey = key(0xB0)
    static let outsider = key(0xEE)
    static let deviceA = key(0x04)
    static let deviceB = key(0x03)
    static let deviceC = key(0x02)

    static let lineBuses: [VoltageStabilityConfiguration.Bus] = [
        .init(number: 1, parentNumber: nil, pathResistanceMicroPU: 0, pathReactanceMicroPU: 0),
        .init(number: 2, parentNumber: 1, pathResistanceMicroPU: 10_000, pathReactanceMicroPU: 20_000),
        .init(number: 3, parentNumber: 2, pathResistanceMicroPU: 20_000, pathReactanceMicroPU: 40_000),
        .init(number: 4, parentNumber: 3, pathResistanceMicroPU: 30_000, pathReactanceMicroPU: 60_000),
    ]

    static func configuration(
        region: RegionID = region, capabilityCKVAr: Int64 = 300, vsiThresholdMicro: Int64 = 800_000,
        neighbour: VoltageStabilityConfiguration.Neighbour? = .init(region: 8, couplingBusNumber: 4)
    ) throws -> VoltageStabilityConfiguration {
        try VoltageStabilityConfiguration(
            region: region, baseKVA: baseKVA, buses: lineBuses,
            devices: [
                .init(key: deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 200),
                .init(key: deviceB, busNumber: 3, ratedKVA: 600, reactiveCapabilityKVAr: 500),
                .init(key: deviceC, busNumber: 2, ratedKVA: 400, reactiveCapabilityKVAr: capabilityCKVAr),
            ],
            operatorKey: operatorKey, relayKey: relayKey, vsiThresholdMicro: vsiThresholdMicro, neighbour: neighbour)
    }

    static func harness(_ configuration: VoltageStabilityConfiguration) -> ContractHarness {
        ContractHarness(
            contracts: [VoltageStabilityContract(configuration: configuration)], region: configuration.region)
    }

    static let contract = VoltageStabilityContract.contractName

    @discardableResult
    static func report(
        _ harness: inout ContractHarness, _ device: PublicKey, bus: UInt16, sequence: UInt64, voltageMicroPU: Int64,
        pWatts: Int64 = 0, qVAr: Int64 = 0, angleMicroRad: Int64 = 0
    ) -> ContractHarness.Outcome {
        harness.call(
            contract, VoltageStabilityContract.reportMethod,
            arguments: VoltageStabilityContract.reportArguments(
                busNumber: bus, sequence: sequence, voltageMicroPU: voltageMicroPU, angleMicroRad: angleMicroRad,
                pWatts: pWatts, qVAr: qVAr),
            sender: device)
    }

    static func dispatch(
        _ harness: inout ContractHarness, interval: UInt64, sender: PublicKey = operatorKey
    ) -> ContractHarness.Outcome {
        harness.call(
            contract, VoltageStabilityContract.dispatchMethod,
            arguments: VoltageStabilityContract.dispatchArguments(intervalIndex: interval), sender: sender)
    }

    /// The stressed operating point of the hand computations: bus 2 at 0.985 p.u. with 300 kW + j100 kVAr,
    /// bus 3 at 0.965 p.u. with 400 kW + j150 kVAr, bus 4 at 0.94 p.u. with 500 kW + j200 kVAr.
    static func reportStressedLine(
        _ harness: inout ContractHarness, sequence: UInt64, bus4VoltageMicroPU: Int64 = 940_000
    ) {
        report(&harness, deviceC, bus: 2, sequence: sequence, voltageMicroPU: 985_000, pWatts: 300_000, qVAr: 100_000)
        report(&harness, deviceB, bus: 3, sequence: sequence, voltageMicroPU: 965_000, pWatts: 400_000, qVAr: 150_000)
        report(
            &harness, deviceA, bus: 4, sequence: sequence, voltageMicroPU: bus4VoltageMicroPU, pWatts: 500_000,
            qVAr: 200_000)
    }

    static func setpoint(_ harness: ContractHarness, _ device: PublicKey) -> Int64 {
        VoltageStabilityContract.setpointVAr(of: device) { harness.value(contract, $0) }
    }
}

/// The floating-point reference, written out exactly as GridModel's
/// `VoltageStability.chakravortyDasTheveninIndex(busVoltagePU:pathResistancePU:pathReactancePU:loadPPU:loadQPU:)` computes it
/// (the test target does not depend on GridModel).
func voltageReferenceTheveninIndex(
    busVoltagePU v: Double, pathResistancePU r: Double, pathReactancePU x: Double, loadPPU p: Double, loadQPU q: Double
) -> Double {
    let inPhase = v + (p * r + q * x) / v
    let quadrature = (p * x - q * r) / v
    let sourceSquared = inPhase * inPhase + quadrature * quadrature
    let cross = p * x - q * r
    let inPhasePower = p * r + q * x
    return sourceSquared * sourceSquared - 4 * cross * cross - 4 * inPhasePower * sourceSquared
}

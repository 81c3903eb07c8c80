import GridCrypto
import GridLedger

extension VoltageStabilityConfiguration {
    /// Makes a region's configuration from plain feeder numbers: the base voltage and power, every branch of the
    /// feeder in ohms, the region's bus numbers and its devices. It sums the branch impedances from the substation
    /// to each region bus and converts them to micro-p.u., so a workload can derive the configuration from an
    /// off-chain feeder model and zoning (for example GridModel's IEEE 33-bus feeder with
    /// `Zoning.ieee33FourZones`) while this module stays independent of that model.
    ///
    /// Branch impedances are kept in micro-ohms and summed exactly; the only rounding is the final conversion
    /// `microOhm * baseVA / baseVolts^2` to micro-p.u. (to nearest), so every validator derives identical numbers.
    public struct Builder: Sendable {
        public var region: RegionID
        /// Line-to-line base voltage, e.g. 12_660 V for the IEEE 33-bus feeder.
        public var baseVoltageVolts: Int64
        public var baseKVA: Int64
        public var operatorKey: PublicKey
        public var relayKey: PublicKey?
        public var vsiThresholdMicro: Int64
        public var voltageBandMicroPU: ClosedRange<Int64> = 950_000...1_050_000
        public var dispatchTargetMicroPU: ClosedRange<Int64> = 980_000...1_000_000
        public var neighbour: Neighbour?
        public var rankingOutputCount = 5

        private struct FeederBranch: Sendable {
            var fromBus: UInt16
            var resistanceMicroOhm: Int64
            var reactanceMicroOhm: Int64
        }

        /// Feeding branch of each bus, by receiving bus.
        private var feedingBranch: [UInt16: FeederBranch] = [:]
        private var branchCount = 0
        private var devices: [Device] = []

        /// Largest accepted branch impedance: 1 MOhm.
        public static let branchImpedanceMicroOhmMax: Int64 = 1_000_000_000_000
        public static let baseVoltageVoltsMax: Int64 = 1_000_000

        public init(
            region: RegionID, baseVoltageVolts: Int64, baseKVA: Int64, operatorKey: PublicKey, vsiThresholdMicro: Int64
        ) {
            self.region = region
            self.baseVoltageVolts = baseVoltageVolts
            self.baseKVA = baseKVA
            self.operatorKey = operatorKey
            self.vsiThresholdMicro = vsiThresholdMicro
        }

        /// Adds a feeder branch (the whole feeder, not only the region: paths start at the substation).
        public mutating func addBranch(
            fromBus: UInt16, toBus: UInt16, resistanceMicroOhm: Int64, reactanceMicroOhm: Int64
        ) throws(VoltageStabilityConfigurationError) {
            let limits: ClosedRange<Int64> = 0...Self.branchImpedanceMicroOhmMax
            guard limits.contains(resistanceMicroOhm), limits.contains(reactanceMicroOhm) else {
                throw VoltageStabilityConfigurationError("branch \(fromBus)-\(toBus): impedance out of range")
            }
            guard fromBus != toBus, feedingBranch[toBus] == nil else {
                throw VoltageStabilityConfigurationError("bus \(toBus) is fed by more than one branch (not radial)")
            }
            feedingBranch[toBus] = FeederBranch(
                fromBus: fromBus, resistanceMicroOhm: resistanceMicroOhm, reactanceMicroOhm: reactanceMicroOhm)
            branchCount += 1
        }

        /// The same from ohms as a feeder file gives them; rounded to the micro-ohm, the only place a
        /// floating-point number enters, before anything is summed.
        public mutating func addBranch(
            fromBus: UInt16, toBus: UInt16, resistanceOhm: Double, reactanceOhm: Double
        ) throws(VoltageStabilityConfigurationError) {
            let limitOhm = Double(Self.branchImpedanceMicroOhmMax) / 1_000_000
            guard resistanceOhm.isFinite, reactanceOhm.isFinite, (0...limitOhm).contains(resistanceOhm),
                (0...limitOhm).contains(reactanceOhm)
            else { throw VoltageStabilityConfigurationError("branch \(fromBus)-\(toBus): impedance out of range") }
            try addBranch(
                fromBus: fromBus, toBus: toBus, resistanceMicroOhm: Int64((resistanceOhm * 1_000_000).rounded()),
                reactanceMicroOhm: Int64((reactanceOhm * 1_000_000).rounded()))
        }

        public mutating func addDevice(
            key: PublicKey, busNumber: UInt16, ratedKVA: Int64, reactiveCapabilityKVAr: Int64
        ) {
            devices.append(
                Device(
                    key: key, busNumber: busNumber, ratedKVA: ratedKVA, reactiveCapabilityKVAr: reactiveCapabilityKVAr))
        }

        /// The configuration of the region made of `regionBuses`.
        public func build(regionBuses: [UInt16]) throws(VoltageStabilityConfigurationError)
            -> VoltageStabilityConfiguration
        {
            typealias Failure = VoltageStabilityConfigurationError
            guard (1...Self.baseVoltageVoltsMax).contains(baseVoltageVolts),
                (1...VoltageStabilityConfiguration.baseKVAMax).contains(baseKVA)
            else { throw Failure("base voltage or base power out of range") }
            // Z_base = V_base^2 / S_base, so micro-p.u. = micro-ohm * S_base[VA] / V_base[V]^2.
            let baseVA = Int128(baseKVA) * 1_000
            let baseVoltsSquared = Int128(baseVoltageVolts) * Int128(baseVoltageVolts)
            let impedanceMax = Int128(VoltageStabilityConfiguration.pathImpedanceMicroPUMax)
            var buses: [Bus] = []
            buses.reserveCapacity(regionBuses.count)
            for number in regionBuses {
                var resistanceMicroOhm: Int128 = 0
                var reactanceMicroOhm: Int128 = 0
                var node = number
                var steps = 0
                while let branch = feedingBranch[node] {
                    resistanceMicroOhm += Int128(branch.resistanceMicroOhm)
                    reactanceMicroOhm += Int128(branch.reactanceMicroOhm)
                    node = branch.fromBus
                    steps += 1
                    guard steps <= branchCount else { throw Failure("bus \(number): branches form a cycle") }
                }
                guard steps > 0 || feedingBranch.values.contains(where: { $0.fromBus == number }) else {
                    throw Failure("bus \(number) is not on the feeder")
                }
                let resistanceMicroPU = Self.roundedQuotient(resistanceMicroOhm * baseVA, baseVoltsSquared)
                let reactanceMicroPU = Self.roundedQuotient(reactanceMicroOhm * baseVA, baseVoltsSquared)
                guard resistanceMicroPU <= impedanceMax, reactanceMicroPU <= impedanceMax else {
                    throw Failure("bus \(number): path impedance above 10 p.u.")
                }
                buses.append(
                    Bus(
                        number: number, parentNumber: feedingBranch[number]?.fromBus,
                        pathResistanceMicroPU: Int64(resistanceMicroPU), pathReactanceMicroPU: Int64(reactanceMicroPU)))
            }
            return try VoltageStabilityConfiguration(
                region: region, baseKVA: baseKVA, buses: buses, devices: devices, operatorKey: operatorKey,
                relayKey: relayKey, vsiThresholdMicro: vsiThresholdMicro, voltageBandMicroPU: voltageBandMicroPU,
                dispatchTargetMicroPU: dispatchTargetMicroPU, neighbour: neighbour,
                rankingOutputCount: rankingOutputCount)
        }

        /// Non-negative numerator, positive denominator: round half up.
        private static func roundedQuotient(_ numerator: Int128, _ denominator: Int128) -> Int128 {
            (numerator + denominator / 2) / denominator
        }
    }
}

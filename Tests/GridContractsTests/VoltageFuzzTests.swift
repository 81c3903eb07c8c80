import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Hostile input, seeded so that any failure replays: random bytes to every method from every kind of sender,
/// well-formed calls with extreme values, and random bytes to the decoders. Nothing may trap; every failure must
/// carry a reason; set-points must stay within the devices' capabilities.
@Suite struct VoltageFuzzTests {
    typealias Fixture = VoltageFixture

    static let methods = ["report", "dispatch", "reactiveRequest", "setpoint", "", "Report", "dispatch\u{0}"]
    static let senders = [
        Fixture.operatorKey, Fixture.relayKey, Fixture.outsider, Fixture.deviceA, Fixture.deviceB, Fixture.deviceC,
    ]

    static func checkInvariants(
        _ harness: ContractHarness, _ configuration: VoltageStabilityConfiguration, _ outcome: ContractHarness.Outcome,
        method: String
    ) throws {
        if let reason = outcome.failureReason {
            #expect(!reason.isEmpty)
            #expect(outcome.outbox.isEmpty)
        } else if let output = outcome.output {
            switch method {
            case "dispatch": _ = try VoltageStabilityContract.decodeDispatchOutput(output)
            case "reactiveRequest": _ = try VoltageStabilityContract.decodeReactiveSupportOutput(output)
            case "setpoint": _ = try VoltageStabilityContract.decodeSetpointOutput(output)
            default: #expect(output.isEmpty)
            }
            #expect(output.count <= Receipt.outputBytesMax)
        }
        for message in outcome.outbox {
            #expect(message.destinationRegion == configuration.neighbour?.region)
            let request = try VoltageReactiveRequest(decoding: message.payload)
            #expect(request.deficitVAr != 0)
        }
        for device in configuration.devices {
            let setpoint = Fixture.setpoint(harness, device.key)
            #expect((-device.reactiveCapabilityVAr...device.reactiveCapabilityVAr).contains(setpoint))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomBytesToEveryMethod(seed: UInt64) throws {
        var generator = SeededRandom(seed: seed)
        let configuration = try Fixture.configuration()
        var harness = Fixture.harness(configuration)
        for _ in 0..<3_000 {
            let method = Self.methods.randomElement(using: &generator)!
            let sender = Self.senders.randomElement(using: &generator)!
            // Mostly the lengths the methods expect (8, 20, 32, 42), so the bytes get past the length checks.
            let length =
                Bool.random(using: &generator)
                ? [0, 8, 20, 32, 42].randomElement(using: &generator)!
                : Int.random(in: 0...96, using: &generator)
            let arguments = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let outcome = harness.call(
                Fixture.contract, method, arguments: arguments, sender: sender,
                height: UInt64.random(in: 1...1_000, using: &generator))
            try Self.checkInvariants(harness, configuration, outcome, method: method)
        }
    }

    /// Well-formed calls with values drawn around and beyond every limit, interleaved the way a busy region would
    /// see them: reports, dispatches and cross-region requests.
    @Test(arguments: [UInt64(11), 12, 13])
    func wellFormedCallsWithExtremeValues(seed: UInt64) throws {
        var generator = SeededRandom(seed: seed)
        let configuration = try Fixture.configuration(capabilityCKVAr: 150)
        var harness = Fixture.harness(configuration)
        let devices = [(Fixture.deviceA, UInt16(4)), (Fixture.deviceB, 3), (Fixture.deviceC, 2)]
        let voltages: [Int64] = [
            .min, -1, 0, 499_999, 500_000, 900_000, 949_999, 1_000_000, 1_050_001, 1_500_000, .max,
        ]
        let powers: [Int64] = [.min, -10_000_001, -10_000_000, -1, 0, 1, 750_000, 10_000_000, 10_000_001, .max]
        var successes = 0
        for step in 0..<3_000 {
            let method: String
            let arguments: [UInt8]
            var sender = Fixture.operatorKey
            switch UInt8.random(in: 0...9, using: &generator) {
            case 0...5:
                method = "report"
                let (device, bus) = devices.randomElement(using: &generator)!
                sender = Bool.random(using: &generator) ? device : Self.senders.randomElement(using: &generator)!
                let voltage =
                    Bool.random(using: &generator)
                    ? voltages.randomElement(using: &generator)!
                    : Int64.random(in: 500_000...1_500_000, using: &generator)
                arguments = VoltageStabilityContract.reportArguments(
                    busNumber: Bool.random(using: &generator) ? bus : UInt16.random(in: 0...5, using: &generator),
                    sequence: UInt64(step) &+ UInt64.random(in: 0...3, using: &generator) &- 1,
                    voltageMicroPU: voltage,
                    angleMicroRad: Int64.random(in: -4_000_000...4_000_000, using: &generator),
                    pWatts: powers.randomElement(using: &generator)!, qVAr: powers.randomElement(using: &generator)!)
            case 6...7:
                method = "dispatch"
                arguments = VoltageStabilityContract.dispatchArguments(
                    intervalIndex: UInt64(step / 2) &+ UInt64.random(in: 0...2, using: &generator))
            case 8:
                method = "reactiveRequest"
                sender = Bool.random(using: &generator) ? Fixture.relayKey : Fixture.outsider
                let deficits: [Int64] = [.min, -1_000_000, -1, 0, 1, 123_456, 1_000_000_000_000, .max]
                arguments = VoltageStabilityContract.reactiveRequestArguments(
                    VoltageReactiveRequest(
                        requestingRegion: UInt16.random(in: 6...9, using: &generator),
                        busNumber: UInt16.random(in: 0...9, using: &generator),
                        deficitVAr: deficits.randomElement(using: &generator)!,
                        intervalIndex: UInt64(step) &+ UInt64.random(in: 0...1, using: &generator)))
            default:
                method = "setpoint"
                let key = (devices.map(\.0) + [Fixture.outsider]).randomElement(using: &generator)!
                arguments = VoltageStabilityContract.setpointArguments(device: key)
            }
            let outcome = harness.call(Fixture.contract, method, arguments: arguments, sender: sender)
            if outcome.failureReason == nil { successes += 1 }
            try Self.checkInvariants(harness, configuration, outcome, method: method)
        }
        // The mix exercises the accepting paths too, not only the rejections.
        #expect(successes > 300)
    }

    @Test func randomBytesToTheDecoders() throws {
        var generator = SeededRandom(seed: 21)
        let sample = VoltageDispatchOutcome(
            intervalIndex: 9, action: .raise, focusBusNumber: 4, voltageChangeMicroPU: 40_000, deficitVAr: 1,
            requestedRegion: 8,
            weakestBuses: [VoltageRankedBus(busNumber: 4, indexMicro: 778_141, voltageMicroPU: 940_000)],
            setpoints: [VoltageSetpoint(device: Fixture.deviceA, qSetpointVAr: 200_000)]
        ).encoded()
        for _ in 0..<5_000 {
            var bytes: [UInt8]
            if Bool.random(using: &generator) {
                bytes = (0..<Int.random(in: 0...160, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                // A valid encoding with a few bytes flipped, cut short or extended.
                bytes = sample
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...(bytes.count + 4), using: &generator)))
            }
            _ = try? VoltageStabilityContract.decodeDispatchOutput(bytes)
            _ = try? VoltageStabilityContract.decodeReactiveSupportOutput(bytes)
            _ = try? VoltageStabilityContract.decodeSetpointOutput(bytes)
            _ = try? VoltageReactiveRequest(decoding: bytes)
            _ = try? VoltageMeasurement(decoding: bytes)
        }
        #expect(try VoltageStabilityContract.decodeDispatchOutput(sample).focusBusNumber == 4)
    }
}

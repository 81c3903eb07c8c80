import Benchmark
import BenchmarkSupport
import GridContracts
import GridCrypto
import GridRegion

/// Every contract call below goes through `ContractHarness.call`, as a block executes it: a fresh
/// `ContractContext` over the harness's state, the contract's `call`, then the written keys copied into the state.
/// One benchmark iteration is one call (scaling factor one) or 1,000 calls (`.kilo`), so the figures are per call.
///
/// A call that writes also pays for the harness copying the contract's whole table (see README.md), so every
/// fixture below keeps its table at a fixed, stated size from one iteration to the next.
private let callsPerIteration = 1_000

private func key(_ label: String) -> PublicKey {
    KeyPair.derived(masterSeed: 42, label: "bench/contracts/\(label)").publicKey
}

/// A harness carried from one iteration to the next, with a counter for sequence numbers and intervals.
private final class HarnessRun: @unchecked Sendable {
    // Only ever used from the one thread that runs the benchmark's iterations.
    var harness: ContractHarness
    var counter: UInt64 = 0

    init(_ harness: ContractHarness) {
        self.harness = harness
    }

    /// The next sequence number or interval: 1, 2, 3, ...
    func next() -> UInt64 {
        counter += 1
        return counter
    }
}

// MARK: - Transfer

/// Accounts whose balances and delivered energy are all in state; up to 100 of them send.
private enum TransferLedger {
    static let name = TransferContract.contractName

    /// One call: sender and arguments.
    struct Call {
        var sender: PublicKey
        var arguments: [UInt8]
    }

    static func arguments(to recipient: PublicKey) -> [UInt8] {
        TransferContract.transferArguments(to: recipient, amountMicros: 1_000, energyWh: 1)
    }

    /// A ledger of `accountCount` accounts where every account has sent once and received once (two keys per
    /// account), and the calls of one iteration: sender `i % 100` pays account `(7 i + 1) % accountCount`.
    static func make(accountCount: Int) -> (run: HarnessRun, calls: [Call]) {
        let accounts = (0..<accountCount).map { key("transfer/account/\($0)") }
        var harness = ContractHarness(contracts: [TransferContract()], region: 0)
        for (index, account) in accounts.enumerated() {
            let outcome = harness.call(
                name, "transfer", arguments: arguments(to: accounts[(index + 1) % accountCount]), sender: account)
            precondition(outcome.failureReason == nil, "transfer setup failed: \(outcome.failureReason ?? "")")
        }
        let calls = (0..<callsPerIteration).map { index in
            Call(
                sender: accounts[index % min(100, accountCount)],
                arguments: arguments(to: accounts[(7 * index + 1) % accountCount]))
        }
        return (HarnessRun(harness), calls)
    }
}

// MARK: - Voltage stability

/// Zone D of the IEEE 33-bus feeder (Baran and Wu 1989; GridModel's `Zoning.ieee33FourZones`): the main 7-18, fed
/// from bus 6 of zone C (region 2). One smart inverter per bus reports it and can inject or absorb 100 kVAr.
private enum VoltageRegion {
    static let region: UInt16 = 3
    static let name = VoltageStabilityContract.contractName
    static let operatorKey = key("voltage/operator")
    static let buses = Array(UInt16(7)...18)
    static let deviceKeys = buses.map { key("voltage/device/\($0)") }

    /// Branches 1-2 ... 17-18 of the feeder in ohms: the substation paths of buses 7-18.
    static let mainBranchesOhm: [(resistance: Double, reactance: Double)] = [
        (0.0922, 0.0470), (0.4930, 0.2511), (0.3660, 0.1864), (0.3811, 0.1941), (0.8190, 0.7070),
        (0.1872, 0.6188), (0.7114, 0.2351), (1.0300, 0.7400), (1.0440, 0.7400), (0.1966, 0.0650),
        (0.3744, 0.1238), (1.4680, 1.1550), (0.5416, 0.7129), (0.5910, 0.5260), (0.7463, 0.5450),
        (1.2890, 1.7210), (0.7320, 0.5740),
    ]

    /// Peak load (W, VAr) of buses 7-18, and the voltage (micro-p.u.) of the base-case power flow.
    static let peak: [(pWatts: Int64, qVAr: Int64, voltageMicroPU: Int64)] = [
        (200_000, 100_000, 946_200), (200_000, 100_000, 941_300), (60_000, 20_000, 935_100),
        (60_000, 20_000, 929_200), (45_000, 30_000, 928_400), (60_000, 35_000, 926_900),
        (60_000, 35_000, 920_800), (120_000, 80_000, 918_500), (60_000, 10_000, 917_100),
        (60_000, 20_000, 915_700), (60_000, 20_000, 913_700), (90_000, 40_000, 913_100),
    ]

    static func configuration() throws -> VoltageStabilityConfiguration {
        var builder = VoltageStabilityConfiguration.Builder(
            region: region, baseVoltageVolts: 12_660, baseKVA: 10_000, operatorKey: operatorKey,
            vsiThresholdMicro: 700_000)
        for (index, branch) in mainBranchesOhm.enumerated() {
            try builder.addBranch(
                fromBus: UInt16(index + 1), toBus: UInt16(index + 2), resistanceOhm: branch.resistance,
                reactanceOhm: branch.reactance)
        }
        for (bus, device) in zip(buses, deviceKeys) {
            builder.addDevice(key: device, busNumber: bus, ratedKVA: 150, reactiveCapabilityKVAr: 100)
        }
        builder.neighbour = .init(region: 2, couplingBusNumber: 7)
        return try builder.build(regionBuses: buses)
    }

    /// Bus `index`'s report: at peak (under-voltage, so a dispatch raises) or at midday with rooftop solar
    /// exporting (over-voltage up to 1.049 + 0.0005 x 12 p.u. at bus 18, so a dispatch lowers).
    static func reportArguments(index: Int, sequence: UInt64, peakLoad: Bool) -> [UInt8] {
        let load = peak[index]
        return VoltageStabilityContract.reportArguments(
            busNumber: buses[index], sequence: sequence,
            voltageMicroPU: peakLoad ? load.voltageMicroPU : 1_049_000 + 500 * Int64(index),
            angleMicroRad: -2_000 * Int64(index + 1), pWatts: peakLoad ? load.pWatts : -2 * load.pWatts,
            qVAr: load.qVAr)
    }

    /// Every device reports its bus once.
    static func reportAll(_ harness: inout ContractHarness, sequence: UInt64, peakLoad: Bool) {
        for (index, device) in deviceKeys.enumerated() {
            let outcome = harness.call(
                name, VoltageStabilityContract.reportMethod,
                arguments: reportArguments(index: index, sequence: sequence, peakLoad: peakLoad), sender: device)
            precondition(outcome.failureReason == nil, "report failed: \(outcome.failureReason ?? "")")
        }
    }

    @discardableResult
    static func dispatch(_ harness: inout ContractHarness, interval: UInt64) -> ContractHarness.Outcome {
        harness.call(
            name, VoltageStabilityContract.dispatchMethod,
            arguments: VoltageStabilityContract.dispatchArguments(intervalIndex: interval), sender: operatorKey)
    }

    /// The region after one interval: every bus reported at peak and dispatched once, so set-points are stored.
    static func make() throws -> HarnessRun {
        let run = HarnessRun(
            ContractHarness(contracts: [VoltageStabilityContract(configuration: try configuration())], region: region))
        let sequence = run.next()
        reportAll(&run.harness, sequence: sequence, peakLoad: true)
        let outcome = dispatch(&run.harness, interval: sequence)
        precondition(outcome.failureReason == nil, "dispatch failed: \(outcome.failureReason ?? "")")
        return run
    }
}

// MARK: - Energy auction

/// A community of 50 prosumers and 50 consumers in region 3, pay-as-offer, 96 quarter-hour tariff slots, residuals
/// exported to region 2.
private enum Community {
    static let region: UInt16 = 3
    static let name = EnergyAuctionContract.contractName
    static let operatorKey = key("auction/operator")
    static let prosumers = (0..<50).map { key("auction/prosumer/\($0)") }
    static let consumers = (0..<50).map { key("auction/consumer/\($0)") }
    /// The interval every iteration books and clears; intervals 1-4 are cleared in the snapshot.
    static let interval: UInt64 = 5

    /// Bid `index`: 0.8-3.2 kWh asked at limits from 0.25 down to 0.103 per kWh; 1-3 kWh offered at 0.06 up to
    /// 0.158 per kWh. Clearing the 50 + 50 book gives 76 trades, 11 grid purchases and 13 feed-ins.
    static func requestArguments(_ index: Int, interval: UInt64 = interval) -> [UInt8] {
        EnergyAuctionContract.requestArguments(
            interval: interval, energyWh: 800 + Int64(index * 211 % 2_400),
            limitPriceMicrosPerKWh: 250_000 - 3_000 * Int64(index % 50))
    }

    static func offerArguments(_ index: Int, interval: UInt64 = interval) -> [UInt8] {
        EnergyAuctionContract.offerArguments(
            interval: interval, energyWh: 1_000 + Int64(index * 373 % 2_000),
            priceMicrosPerKWh: 60_000 + 2_000 * Int64(index % 50))
    }

    static func call(
        _ harness: inout ContractHarness, _ method: EnergyAuctionContract.Method, _ arguments: [UInt8],
        from sender: PublicKey
    ) -> ContractHarness.Outcome {
        harness.call(name, method.rawValue, arguments: arguments, sender: sender)
    }

    /// 50 requests and 50 offers for `interval`, one per household.
    static func book(_ harness: inout ContractHarness, interval: UInt64 = interval) {
        for index in 0..<50 {
            let requested = call(
                &harness, .request, requestArguments(index, interval: interval), from: consumers[index])
            let offered = call(&harness, .offer, offerArguments(index, interval: interval), from: prosumers[index])
            precondition(requested.failureReason == nil && offered.failureReason == nil, "bid failed")
        }
    }

    static func close(_ harness: inout ContractHarness, interval: UInt64 = interval) {
        let closed = call(&harness, .close, EnergyAuctionContract.intervalArguments(interval), from: operatorKey)
        precondition(closed.failureReason == nil, "close failed: \(closed.failureReason ?? "")")
    }

    static func clear(_ harness: inout ContractHarness, interval: UInt64 = interval) -> ContractHarness.Outcome {
        call(&harness, .clear, EnergyAuctionContract.intervalArguments(interval), from: operatorKey)
    }

    /// The community after four cleared intervals: every balance, the price window and the suggested price are in
    /// state (about 110 keys), and interval 5 is open and empty.
    static func snapshot() throws -> ContractHarness {
        var participants: [PublicKey: EnergyAuctionConfiguration.Participant] = [:]
        for prosumer in prosumers { participants[prosumer] = .init(.prosumer, initialBalanceMicros: 100_000_000) }
        for consumer in consumers { participants[consumer] = .init(.consumer, initialBalanceMicros: 100_000_000) }
        let configuration = EnergyAuctionConfiguration(
            region: region, operatorKey: operatorKey, participants: participants,
            // 0.15/kWh at night, 0.30/kWh from 07:00 to 22:00.
            gridTariffMicrosPerKWhBySlot: (0..<96).map { (28..<88).contains($0) ? 300_000 : 150_000 },
            feedInTariffMicrosPerKWh: 50_000, clearingRule: .payAsOffer, neighbourRegion: 2)
        var harness = ContractHarness(
            contracts: [try EnergyAuctionContract(configuration: configuration)], region: region)
        for earlier in 1..<interval {
            book(&harness, interval: earlier)
            close(&harness, interval: earlier)
            let cleared = clear(&harness, interval: earlier)
            precondition(cleared.failureReason == nil, "clear failed: \(cleared.failureReason ?? "")")
        }
        return harness
    }
}

/// Every iteration starts again from the same community snapshot, so that state does not grow with the cleared
/// results of earlier iterations.
private final class AuctionRun: @unchecked Sendable {
    // Only ever used from the one thread that runs the benchmark's iterations.
    let snapshot: ContractHarness
    var harness: ContractHarness

    init() throws {
        snapshot = try Community.snapshot()
        harness = snapshot
    }

    /// Back to the snapshot, then interval 5 booked with 50 requests and 50 offers (about 210 keys in all).
    func resetWithBook() {
        harness = snapshot
        Community.book(&harness)
    }
}

let benchmarks: @Sendable () -> Void = {
    // MARK: - Harness overhead and transfer

    // An unknown method fails before touching state: context, call, error and outcome only, and no writes, so no
    // table copy either.
    Benchmark(
        "Harness baseline: unknown method",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, setup in
        let (run, calls) = setup
        for index in benchmark.scaledIterations {
            blackHole(
                run.harness.call(TransferLedger.name, "noSuchMethod", arguments: [], sender: calls[index].sender))
        }
    } setup: {
        TransferLedger.make(accountCount: 1_000)
    }

    // 1,000 accounts (a 2,000-key table), and 10 accounts (20 keys) to show the harness's table copy: the
    // difference between the two is almost all copy.
    for (label, accountCount) in [("1,000", 1_000), ("10", 10)] {
        Benchmark(
            "TransferContract transfer, \(label) accounts",
            configuration: GridBenchmark.configuration(scalingFactor: .kilo)
        ) { benchmark, setup in
            let (run, calls) = setup
            for index in benchmark.scaledIterations {
                let call = calls[index]
                blackHole(
                    run.harness.call(TransferLedger.name, "transfer", arguments: call.arguments, sender: call.sender))
            }
        } setup: {
            TransferLedger.make(accountCount: accountCount)
        }
    }

    // MARK: - Voltage stability, 12-bus region

    // The device at bus 18 reports its bus, sequence numbers increasing from call to call.
    Benchmark(
        "VoltageStabilityContract report",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, run in
        let arguments = benchmark.scaledIterations.map { _ in
            VoltageRegion.reportArguments(index: 11, sequence: run.next(), peakLoad: true)
        }
        let device = VoltageRegion.deviceKeys[11]
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(
                run.harness.call(
                    VoltageRegion.name, VoltageStabilityContract.reportMethod, arguments: arguments[index],
                    sender: device))
        }
    } setup: {
        try VoltageRegion.make()
    }

    // Each interval all 12 buses report first (not measured), alternately at peak load and at midday export, so
    // every dispatch assesses 12 buses and swings 8 set-points: at peak it raises all 12 to +100 kVAr and sends the
    // 63 kVAr still missing to region 2 as an outbox message; at midday it lowers 8 of them (7 to -100 kVAr).
    Benchmark(
        "VoltageStabilityContract dispatch, 12 buses",
        configuration: GridBenchmark.configuration()
    ) { benchmark, run in
        let interval = run.next()
        VoltageRegion.reportAll(&run.harness, sequence: interval, peakLoad: interval % 2 == 1)
        benchmark.startMeasurement()
        let outcome = VoltageRegion.dispatch(&run.harness, interval: interval)
        benchmark.stopMeasurement()
        precondition(outcome.failureReason == nil, "dispatch failed: \(outcome.failureReason ?? "")")
        blackHole(outcome)
    } setup: {
        try VoltageRegion.make()
    }

    Benchmark(
        "VoltageStabilityContract setpoint",
        configuration: GridBenchmark.configuration(scalingFactor: .kilo)
    ) { benchmark, run in
        let arguments = VoltageStabilityContract.setpointArguments(device: VoltageRegion.deviceKeys[11])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(
                run.harness.call(
                    VoltageRegion.name, VoltageStabilityContract.setpointMethod, arguments: arguments,
                    sender: VoltageRegion.operatorKey))
        }
    } setup: {
        try VoltageRegion.make()
    }

    // MARK: - Energy auction, 100 households

    // One more bid into the booked interval (its 101st); the book is rebuilt from the snapshot before each
    // iteration, not measured, so it never reaches the 1,024-bid limit.
    Benchmark(
        "EnergyAuctionContract request",
        configuration: GridBenchmark.configuration()
    ) { benchmark, run in
        run.resetWithBook()
        let arguments = Community.requestArguments(50)
        benchmark.startMeasurement()
        let outcome = Community.call(&run.harness, .request, arguments, from: Community.consumers[0])
        benchmark.stopMeasurement()
        precondition(outcome.failureReason == nil, "request failed: \(outcome.failureReason ?? "")")
        blackHole(outcome)
    } setup: {
        try AuctionRun()
    }

    Benchmark(
        "EnergyAuctionContract offer",
        configuration: GridBenchmark.configuration()
    ) { benchmark, run in
        run.resetWithBook()
        let arguments = Community.offerArguments(50)
        benchmark.startMeasurement()
        let outcome = Community.call(&run.harness, .offer, arguments, from: Community.prosumers[0])
        benchmark.stopMeasurement()
        precondition(outcome.failureReason == nil, "offer failed: \(outcome.failureReason ?? "")")
        blackHole(outcome)
    } setup: {
        try AuctionRun()
    }

    // The 50 requests and 50 offers are placed and the interval closed before `startMeasurement()`.
    Benchmark(
        "EnergyAuctionContract clear, 50 requests + 50 offers",
        configuration: GridBenchmark.configuration()
    ) { benchmark, run in
        run.resetWithBook()
        Community.close(&run.harness)
        benchmark.startMeasurement()
        let outcome = Community.clear(&run.harness)
        benchmark.stopMeasurement()
        precondition(outcome.failureReason == nil, "clear failed: \(outcome.failureReason ?? "")")
        blackHole(outcome)
    } setup: {
        try AuctionRun()
    }
}

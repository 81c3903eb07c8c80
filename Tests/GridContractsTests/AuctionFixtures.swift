import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Keys and a small community shared by the auction tests: three prosumers (P1-P3), three consumers (C1-C3) and
/// an operator, each account starting with 10 units (10,000,000 micros).
enum AuctionFixture {
    static func key(_ byte: UInt8) -> PublicKey { try! PublicKey(bytes: [UInt8](repeating: byte, count: 32)) }

    static let operatorKey = key(0xEE)
    static let prosumer1 = key(0x01)
    static let prosumer2 = key(0x02)
    static let prosumer3 = key(0x03)
    static let consumer1 = key(0x11)
    static let consumer2 = key(0x12)
    static let consumer3 = key(0x13)
    static let outsider = key(0x99)
    static let prosumers = [prosumer1, prosumer2, prosumer3]
    static let consumers = [consumer1, consumer2, consumer3]
    static let participants = prosumers + consumers

    static let initialBalanceMicros: Int64 = 10_000_000
    /// Two time-of-use slots: even intervals 0.20/kWh, odd intervals 0.25/kWh.
    static let gridTariffBySlot: [Int64] = [200_000, 250_000]
    static let feedInTariffMicrosPerKWh: Int64 = 50_000

    static func configuration(
        rule: EnergyAuctionConfiguration.ClearingRule, region: RegionID = 0, neighbour: RegionID? = nil,
        initialBalanceMicros: Int64 = initialBalanceMicros, bidEnergyWhMax: Int64 = 1_000_000_000,
        priceMicrosPerKWhMax: Int64 = 1_000_000_000, bidsPerIntervalMax: Int = 1024, interRegionBidsMax: Int = 64
    ) -> EnergyAuctionConfiguration {
        var registry: [PublicKey: EnergyAuctionConfiguration.Participant] = [:]
        for prosumer in prosumers { registry[prosumer] = .init(.prosumer, initialBalanceMicros: initialBalanceMicros) }
        for consumer in consumers { registry[consumer] = .init(.consumer, initialBalanceMicros: initialBalanceMicros) }
        return EnergyAuctionConfiguration(
            region: region, operatorKey: operatorKey, participants: registry,
            gridTariffMicrosPerKWhBySlot: gridTariffBySlot, feedInTariffMicrosPerKWh: feedInTariffMicrosPerKWh,
            clearingRule: rule, neighbourRegion: neighbour, bidsPerIntervalMax: bidsPerIntervalMax,
            interRegionBidsMax: interRegionBidsMax, bidEnergyWhMax: bidEnergyWhMax,
            priceMicrosPerKWhMax: priceMicrosPerKWhMax)
    }
}

/// A harness with one auction contract and short-hands for its methods.
struct AuctionDriver {
    var harness: ContractHarness
    let contract: EnergyAuctionContract
    static let name = EnergyAuctionContract.contractName

    init(_ configuration: EnergyAuctionConfiguration) {
        contract = try! EnergyAuctionContract(configuration: configuration)
        harness = ContractHarness(contracts: [contract], region: configuration.region)
    }

    init(rule: EnergyAuctionConfiguration.ClearingRule, neighbour: RegionID? = nil) {
        self.init(AuctionFixture.configuration(rule: rule, neighbour: neighbour))
    }

    @discardableResult
    mutating func call(_ method: EnergyAuctionContract.Method, _ arguments: [UInt8], from sender: PublicKey)
        -> ContractHarness.Outcome
    {
        harness.call(Self.name, method.rawValue, arguments: arguments, sender: sender)
    }

    @discardableResult
    mutating func request(_ sender: PublicKey, interval: UInt64, energyWh: Int64, limit: Int64)
        -> ContractHarness.Outcome
    {
        call(
            .request,
            EnergyAuctionContract.requestArguments(
                interval: interval, energyWh: energyWh, limitPriceMicrosPerKWh: limit),
            from: sender)
    }

    @discardableResult
    mutating func offer(_ sender: PublicKey, interval: UInt64, energyWh: Int64, price: Int64) -> ContractHarness.Outcome
    {
        call(
            .offer,
            EnergyAuctionContract.offerArguments(interval: interval, energyWh: energyWh, priceMicrosPerKWh: price),
            from: sender)
    }

    @discardableResult
    mutating func close(_ interval: UInt64, from sender: PublicKey = AuctionFixture.operatorKey)
        -> ContractHarness.Outcome
    {
        call(.close, EnergyAuctionContract.intervalArguments(interval), from: sender)
    }

    @discardableResult
    mutating func clear(_ interval: UInt64, from sender: PublicKey = AuctionFixture.operatorKey)
        -> ContractHarness.Outcome
    {
        call(.clear, EnergyAuctionContract.intervalArguments(interval), from: sender)
    }

    /// Closes and clears `interval`, decoding the result.
    mutating func closeAndClear(_ interval: UInt64) throws -> EnergyAuctionContract.ClearingResult {
        let closed = close(interval)
        #expect(closed.failureReason == nil)
        let cleared = clear(interval)
        let output = try #require(cleared.output, "clear failed: \(cleared.failureReason ?? "")")
        return try EnergyAuctionContract.decodeClearingResult(output)
    }

    /// A stored balance that does not decode is recorded as a test failure (and read as nil / 0).
    func balance(_ account: PublicKey) -> Int64? {
        do {
            return try contract.balanceMicros(of: account, reading: { harness.value(Self.name, $0) })
        } catch {
            Issue.record("balance of \(account): \(error)")
            return nil
        }
    }

    func regionBalance(_ region: RegionID) -> Int64 {
        do {
            return try contract.interRegionBalanceMicros(of: region, reading: { harness.value(Self.name, $0) })
        } catch {
            Issue.record("balance of region \(region): \(error)")
            return 0
        }
    }

    /// Σ over every registered account of (balance − initial balance).
    func totalAccountChangeMicros() -> Int64 {
        AuctionFixture.participants.reduce(0) { $0 + (balance($1) ?? 0) - AuctionFixture.initialBalanceMicros }
    }
}

func expectAuctionFailure(
    _ outcome: ContractHarness.Outcome, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(outcome.output == nil, "expected a failure containing \"\(fragment)\"", sourceLocation: sourceLocation)
    #expect(
        outcome.failureReason?.contains(fragment) == true,
        "reason \"\(outcome.failureReason ?? "none")\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
    #expect(outcome.outbox.isEmpty, sourceLocation: sourceLocation)
}

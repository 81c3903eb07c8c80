import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Settlement against metered delivery (You et al.), hand-computed. Interval 7: grid 250,000, feed-in 50,000
/// micros/kWh. P1 offers 2,000 Wh at 100,000; C1 requests 1,000 Wh (limit 220,000). Pay-as-offer: C1 buys 1,000 Wh
/// for 100,000; P1 feeds in 1,000 Wh for 50,000. Margin 300,000 micros/kWh offered: 2,000 Wh -> 600,000.
@Suite struct AuctionMeteredSettlementTests {
    typealias Contract = EnergyAuctionContract
    static let meter1 = KeyPair.derived(masterSeed: 7, label: "meter/p1")
    static let meter2 = KeyPair.derived(masterSeed: 7, label: "meter/p2")

    private func driver(marginPerKWh: Int64 = 300_000, penaltyPerKWh: Int64 = 100_000) -> AuctionDriver {
        var configuration = AuctionFixture.configuration(rule: .payAsOffer)
        configuration.metering = .init(
            meterKeys: [
                AuctionFixture.prosumer1: Self.meter1.publicKey, AuctionFixture.prosumer2: Self.meter2.publicKey,
            ],
            marginMicrosPerKWh: marginPerKWh, penaltyMicrosPerKWh: penaltyPerKWh)
        return AuctionDriver(configuration)
    }

    private func trade(_ driver: inout AuctionDriver, interval: UInt64 = 7) throws {
        driver.offer(AuctionFixture.prosumer1, interval: interval, energyWh: 2000, price: 100_000)
        driver.request(AuctionFixture.consumer1, interval: interval, energyWh: 1000, limit: 220_000)
        _ = try driver.closeAndClear(interval)
    }

    private func reading(
        _ driver: inout AuctionDriver, interval: UInt64 = 7, exportedWh: Int64, meter: KeyPair = meter1,
        account: PublicKey = AuctionFixture.prosumer1
    ) -> ContractHarness.Outcome {
        driver.call(
            .meterReading,
            Contract.meterReadingArguments(
                region: 0, interval: interval, account: account, exportedWh: exportedWh, meter: meter),
            from: AuctionFixture.operatorKey)
    }

    private func escrow(_ driver: AuctionDriver) throws -> Int64 {
        try driver.contract.escrowedMarginMicros { driver.harness.value(AuctionDriver.name, $0) }
    }

    @Test func theMarginIsTakenWhenTheTradeIsAccepted() throws {
        var driver = driver()
        try trade(&driver)
        // 10,000,000 + 100,000 (sold) + 50,000 (fed in) − 600,000 (margin).
        #expect(driver.balance(AuctionFixture.prosumer1) == 9_550_000)
        #expect(driver.balance(AuctionFixture.consumer1) == 9_900_000)
        #expect(try escrow(driver) == 600_000)
    }

    @Test func aShortfallOnTheFeedInPartReturnsTheFeedInPayment() throws {
        var driver = driver()
        try trade(&driver)
        // 1,200 Wh delivered of 2,000: the 800 Wh shortfall falls on the feed-in part: 800 × 50,000 / 1000 = 40,000.
        let settlement = try Contract.decodeMeteredSettlement(
            #require(reading(&driver, exportedWh: 1200).output))
        #expect(settlement.shortfallFeedInWh == 800 && settlement.shortfallCommunityWh == 0)
        #expect(settlement.gridChargeMicros == 40_000 && settlement.penaltyMicros == 0)
        #expect(settlement.refundMicros == 560_000 && settlement.beyondMarginMicros == 0)
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_110_000)
        #expect(try escrow(driver) == 0)
    }

    @Test func aCommunityShortfallPaysTheGridAndAPenalty() throws {
        var driver = driver()
        try trade(&driver)
        // 500 Wh delivered: 1,000 Wh feed-in short (50,000) and 500 Wh community short at the grid tariff
        // (500 × 250,000 / 1000 = 125,000) plus the penalty 500 × 100,000 / 1000 = 50,000: 225,000 from the margin.
        let settlement = try Contract.decodeMeteredSettlement(
            #require(reading(&driver, exportedWh: 500).output))
        #expect(settlement.shortfallFeedInWh == 1000 && settlement.shortfallCommunityWh == 500)
        #expect(settlement.gridChargeMicros == 175_000 && settlement.penaltyMicros == 50_000)
        #expect(settlement.refundMicros == 375_000)
        #expect(driver.balance(AuctionFixture.prosumer1) == 9_925_000)
        // The buyer's bill stands; the penalty is in the community fund.
        #expect(driver.balance(AuctionFixture.consumer1) == 9_900_000)
        #expect(try driver.contract.communityFundMicros { driver.harness.value(AuctionDriver.name, $0) } == 50_000)
    }

    @Test func aChargeBeyondTheMarginComesFromTheBalance() throws {
        var driver = driver(marginPerKWh: 50_000)
        try trade(&driver)
        // Margin 100,000. Nothing delivered: 50,000 (feed-in) + 250,000 (grid) + 100,000 (penalty) = 400,000.
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_050_000)
        let settlement = try Contract.decodeMeteredSettlement(#require(reading(&driver, exportedWh: 0).output))
        #expect(settlement.refundMicros == 0 && settlement.beyondMarginMicros == 300_000)
        #expect(driver.balance(AuctionFixture.prosumer1) == 9_750_000)
    }

    @Test func fullDeliveryRefundsTheWholeMargin() throws {
        var driver = driver()
        try trade(&driver)
        let settlement = try Contract.decodeMeteredSettlement(#require(reading(&driver, exportedWh: 5000).output))
        #expect(settlement.refundMicros == 600_000 && settlement.gridChargeMicros == 0)
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_150_000)
    }

    @Test func readingsAreRefusedWithAReason() throws {
        var driver = driver()
        try trade(&driver)
        // Wrong meter: P2's meter signs for P1.
        expectAuctionFailure(
            reading(&driver, exportedWh: 1200, meter: Self.meter2), "not signed by the account's meter")
        // A reading signed for interval 9 presented as interval 7's.
        let signature = Self.meter1.sign(
            Contract.meterReadingSigningBytes(
                region: 0, interval: 9, account: AuctionFixture.prosumer1, exportedWh: 1200))
        let moved = driver.call(
            .meterReading,
            Contract.meterReadingArguments(
                interval: 7, account: AuctionFixture.prosumer1, exportedWh: 1200, signature: signature),
            from: AuctionFixture.operatorKey)
        expectAuctionFailure(moved, "a reading for another interval")
        // A correctly signed reading for an interval where the account sold nothing.
        expectAuctionFailure(reading(&driver, interval: 9, exportedWh: 1200), "no margin of this account in interval 9")
        // An account without a meter.
        expectAuctionFailure(
            reading(&driver, exportedWh: 10, meter: Self.meter1, account: AuctionFixture.prosumer3),
            "account has no registered meter")
        // Malformed bytes.
        expectAuctionFailure(driver.call(.meterReading, [1, 2, 3], from: AuctionFixture.operatorKey), "malformed")
        // The margin is untouched by all of that; the real reading settles once, its replay is refused.
        #expect(try escrow(driver) == 600_000)
        #expect(reading(&driver, exportedWh: 1200).output != nil)
        expectAuctionFailure(reading(&driver, exportedWh: 1200), "replayed reading")
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_110_000)
    }

    @Test func withoutMeteringReadingsAreRefused() throws {
        var plain = AuctionDriver(rule: .payAsOffer)
        try trade(&plain)
        expectAuctionFailure(reading(&plain, exportedWh: 1200), "metering is not configured")
        #expect(plain.balance(AuctionFixture.prosumer1) == 10_150_000)
    }

    @Test func metersMustBelongToProsumers() {
        var configuration = AuctionFixture.configuration(rule: .payAsOffer)
        configuration.metering = .init(
            meterKeys: [AuctionFixture.consumer1: Self.meter1.publicKey], marginMicrosPerKWh: 1, penaltyMicrosPerKWh: 1)
        #expect(throws: ContractError.self) { try EnergyAuctionContract(configuration: configuration) }
    }
}

import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Textbook pay-as-bid against the same hand-computed book as `AuctionClearingTests` (interval 7: grid 250,000,
/// feed-in 50,000 micros/kWh). The matched quantities are those of every rule:
///     C1<-P1 1000 Wh (limit 220,000, offer 100,000)
///     C2<-P1 1000 Wh (limit 160,000, offer 100,000)
///     C2<-P2 1000 Wh (limit 160,000, offer 140,000)
/// Buyers pay their limits, sellers receive their offers, the spread goes to the community fund.
@Suite struct AuctionClearingRuleTests {
    typealias Contract = EnergyAuctionContract

    private func submitBook(_ driver: inout AuctionDriver, interval: UInt64 = 7) {
        driver.request(AuctionFixture.consumer2, interval: interval, energyWh: 2000, limit: 160_000)
        driver.offer(AuctionFixture.prosumer3, interval: interval, energyWh: 3000, price: 200_000)
        driver.offer(AuctionFixture.prosumer1, interval: interval, energyWh: 2000, price: 100_000)
        driver.request(AuctionFixture.consumer3, interval: interval, energyWh: 2000, limit: 120_000)
        driver.offer(AuctionFixture.prosumer2, interval: interval, energyWh: 1500, price: 140_000)
        driver.request(AuctionFixture.consumer1, interval: interval, energyWh: 1000, limit: 220_000)
    }

    @Test func payAsBidEachSideSettlesAtItsOwnPriceAndTheSpreadGoesToTheFund() throws {
        var driver = AuctionDriver(rule: .payAsBid)
        submitBook(&driver)
        let result = try driver.closeAndClear(7)

        #expect(result.clearingRule == .payAsBid)
        #expect(result.trades.map(\.priceMicrosPerKWh) == [100_000, 100_000, 140_000])
        #expect(result.trades.map(\.buyerPriceMicrosPerKWh) == [220_000, 160_000, 160_000])
        #expect(result.trades.map(\.amountMicros) == [100_000, 100_000, 140_000])
        #expect(result.trades.map(\.buyerAmountMicros) == [220_000, 160_000, 160_000])
        // Spreads: 120,000 + 60,000 + 20,000 = 200,000.
        #expect(result.communityFundMicros == 200_000)
        #expect(result.uniformPriceMicrosPerKWh == nil)

        // C1 -220,000; C2 -320,000; C3 -500,000 (grid); P1 +200,000; P2 +140,000 +25,000; P3 +150,000 (feed-in).
        let expected: [PublicKey: Int64] = [
            AuctionFixture.consumer1: 9_780_000, AuctionFixture.consumer2: 9_680_000,
            AuctionFixture.consumer3: 9_500_000, AuctionFixture.prosumer1: 10_200_000,
            AuctionFixture.prosumer2: 10_165_000, AuctionFixture.prosumer3: 10_150_000,
        ]
        for (key, balance) in expected { #expect(driver.balance(key) == balance, "\(key)") }
        let fund = try driver.contract.communityFundMicros { driver.harness.value(AuctionDriver.name, $0) }
        #expect(fund == 200_000)
        // Σ changes = -1,040,000 + 515,000 = -525,000 = feed-in 175,000 - grid 500,000 - fund 200,000.
        #expect(driver.totalAccountChangeMicros() + fund == 175_000 - 500_000)

        // The fund is readable through the contract and accumulates over clearings.
        let read = driver.call(.communityFund, [], from: AuctionFixture.consumer1)
        #expect(try Contract.decodeBalanceMicros(#require(read.output)) == 200_000)
        submitBook(&driver, interval: 9)
        _ = try driver.closeAndClear(9)
        #expect(try driver.contract.communityFundMicros { driver.harness.value(AuctionDriver.name, $0) } == 400_000)
    }

    @Test func payAsOfferAndUniformPricePayNothingIntoTheFund() throws {
        for rule in [EnergyAuctionConfiguration.ClearingRule.payAsOffer, .uniformPrice] {
            var driver = AuctionDriver(rule: rule)
            submitBook(&driver)
            let result = try driver.closeAndClear(7)
            #expect(result.communityFundMicros == 0)
            #expect(result.trades.allSatisfy { $0.buyerAmountMicros == $0.amountMicros })
            #expect(try driver.contract.communityFundMicros { driver.harness.value(AuctionDriver.name, $0) } == 0)
        }
    }

    @Test func theOldRuleKeepsItsEncodedValue() {
        // Results stored while the rule was called payAsBid carry raw value 1, which still means pay-as-offer.
        #expect(EnergyAuctionConfiguration.ClearingRule(rawValue: 1) == .payAsOffer)
        #expect(EnergyAuctionConfiguration.ClearingRule(rawValue: 3) == .payAsBid)
    }

    @Test func payAsBidResultsRoundTripThroughTheEncoding() throws {
        var driver = AuctionDriver(rule: .payAsBid)
        submitBook(&driver)
        let result = try driver.closeAndClear(7)
        #expect(try Contract.decodeClearingResult(Contract.encode(result)) == result)
        // A truncated encoding is an error, not a crash.
        let bytes = Contract.encode(result)
        #expect(throws: DecodingError.self) { try Contract.decodeClearingResult(Array(bytes.dropLast(3))) }
    }
}

import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Hand-computed clearings. The book used by both rules (interval 7, an odd interval, so the grid tariff is
/// 250,000 micros/kWh; feed-in 50,000 micros/kWh):
///
///     offers (sorted ascending)          requests (sorted descending)
///     O1 P1 2000 Wh @ 100,000            R1 C1 1000 Wh limit 220,000
///     O2 P2 1500 Wh @ 140,000            R2 C2 2000 Wh limit 160,000
///     O3 P3 3000 Wh @ 200,000            R3 C3 2000 Wh limit 120,000
///
/// Ordered acceptance:
///     R1/O1: 220k >= 100k, q = min(1000, 2000) = 1000 -> R1 done, O1 has 1000 left
///     R2/O1: 160k >= 100k, q = min(2000, 1000) = 1000 -> O1 done, R2 has 1000 left
///     R2/O2: 160k >= 140k, q = min(1000, 1500) = 1000 -> R2 done, O2 has 500 left (the partial fill)
///     R3/O2: 120k <  140k -> stop. Break-even pair: (O2 140,000, R2 160,000).
/// Residual: C3 buys 2000 Wh from the grid; P2 feeds in 500 Wh, P3 feeds in 3000 Wh.
@Suite struct AuctionClearingTests {
    typealias Contract = EnergyAuctionContract

    private func submitBook(_ driver: inout AuctionDriver, interval: UInt64 = 7) throws {
        // Interleaved submission order; the clearing sorts by price, so the order only breaks ties.
        let outcomes = [
            driver.request(AuctionFixture.consumer2, interval: interval, energyWh: 2000, limit: 160_000),
            driver.offer(AuctionFixture.prosumer3, interval: interval, energyWh: 3000, price: 200_000),
            driver.offer(AuctionFixture.prosumer1, interval: interval, energyWh: 2000, price: 100_000),
            driver.request(AuctionFixture.consumer3, interval: interval, energyWh: 2000, limit: 120_000),
            driver.offer(AuctionFixture.prosumer2, interval: interval, energyWh: 1500, price: 140_000),
            driver.request(AuctionFixture.consumer1, interval: interval, energyWh: 1000, limit: 220_000),
        ]
        for (index, outcome) in outcomes.enumerated() {
            #expect(try Contract.decodeBidIndex(#require(outcome.output)) == UInt32(index))
        }
    }

    private func account(_ key: PublicKey) -> Contract.Party { .account(key) }

    @Test func payAsOfferHandComputed() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        try submitBook(&driver)
        let result = try driver.closeAndClear(7)

        // Pay-as-offer trades at the offer price; amount = energyWh × price / 1000:
        //   C1<-P1 1000 Wh @ 100,000 = 100,000   C2<-P1 1000 Wh @ 100,000 = 100,000   C2<-P2 1000 Wh @ 140,000 = 140,000
        #expect(
            result.trades == [
                .init(
                    buyer: account(AuctionFixture.consumer1), seller: account(AuctionFixture.prosumer1), energyWh: 1000,
                    priceMicrosPerKWh: 100_000, amountMicros: 100_000),
                .init(
                    buyer: account(AuctionFixture.consumer2), seller: account(AuctionFixture.prosumer1), energyWh: 1000,
                    priceMicrosPerKWh: 100_000, amountMicros: 100_000),
                .init(
                    buyer: account(AuctionFixture.consumer2), seller: account(AuctionFixture.prosumer2), energyWh: 1000,
                    priceMicrosPerKWh: 140_000, amountMicros: 140_000),
            ])
        #expect(result.breakEven == .init(offerPriceMicrosPerKWh: 140_000, requestLimitMicrosPerKWh: 160_000))
        #expect(result.uniformPriceMicrosPerKWh == nil)
        // Grid: C3 2000 Wh × 250,000 / 1000 = 500,000. Feed-in: P2 500 × 50,000 / 1000 = 25,000; P3 3000 Wh = 150,000.
        #expect(result.gridTariffMicrosPerKWh == 250_000)
        #expect(
            result.gridPurchases == [.init(account: AuctionFixture.consumer3, energyWh: 2000, amountMicros: 500_000)])
        #expect(
            result.feedIns == [
                .init(account: AuctionFixture.prosumer2, energyWh: 500, amountMicros: 25_000),
                .init(account: AuctionFixture.prosumer3, energyWh: 3000, amountMicros: 150_000),
            ])
        #expect(result.residualDemandWh == 2000 && result.residualSupplyWh == 3500)
        #expect(result.exportedToRegion == nil && result.expiredInterRegionWh == 0)

        // Balances from 10,000,000: C1 -100,000; C2 -240,000; C3 -500,000; P1 +200,000; P2 +140,000 +25,000;
        // P3 +150,000.
        let expected: [PublicKey: Int64] = [
            AuctionFixture.consumer1: 9_900_000, AuctionFixture.consumer2: 9_760_000,
            AuctionFixture.consumer3: 9_500_000, AuctionFixture.prosumer1: 10_200_000,
            AuctionFixture.prosumer2: 10_165_000, AuctionFixture.prosumer3: 10_150_000,
        ]
        for (key, balance) in expected { #expect(driver.balance(key) == balance, "\(key)") }
        // Conservation: Σ changes = -100k - 240k - 500k + 200k + 165k + 150k = -325,000 = feed-in 175,000 - grid 500,000.
        #expect(driver.totalAccountChangeMicros() == -325_000)
        #expect(driver.totalAccountChangeMicros() == 175_000 - 500_000)
    }

    @Test func uniformPriceHandComputed() throws {
        var driver = AuctionDriver(rule: .uniformPrice)
        try submitBook(&driver)
        let result = try driver.closeAndClear(7)

        // Same quantities; every trade at the break-even pair's mid-price (140,000 + 160,000) / 2 = 150,000:
        //   C1<-P1 1000 Wh = 150,000   C2<-P1 1000 Wh = 150,000   C2<-P2 1000 Wh = 150,000
        #expect(result.uniformPriceMicrosPerKWh == 150_000)
        #expect(
            result.trades == [
                .init(
                    buyer: account(AuctionFixture.consumer1), seller: account(AuctionFixture.prosumer1), energyWh: 1000,
                    priceMicrosPerKWh: 150_000, amountMicros: 150_000),
                .init(
                    buyer: account(AuctionFixture.consumer2), seller: account(AuctionFixture.prosumer1), energyWh: 1000,
                    priceMicrosPerKWh: 150_000, amountMicros: 150_000),
                .init(
                    buyer: account(AuctionFixture.consumer2), seller: account(AuctionFixture.prosumer2), energyWh: 1000,
                    priceMicrosPerKWh: 150_000, amountMicros: 150_000),
            ])
        #expect(
            result.gridPurchases == [.init(account: AuctionFixture.consumer3, energyWh: 2000, amountMicros: 500_000)])
        #expect(result.feedIns.map(\.amountMicros) == [25_000, 150_000])

        // C1 -150,000; C2 -300,000; C3 -500,000; P1 +300,000; P2 +150,000 +25,000; P3 +150,000.
        let expected: [PublicKey: Int64] = [
            AuctionFixture.consumer1: 9_850_000, AuctionFixture.consumer2: 9_700_000,
            AuctionFixture.consumer3: 9_500_000, AuctionFixture.prosumer1: 10_300_000,
            AuctionFixture.prosumer2: 10_175_000, AuctionFixture.prosumer3: 10_150_000,
        ]
        for (key, balance) in expected { #expect(driver.balance(key) == balance, "\(key)") }
        // Σ changes = -150k - 300k - 500k + 300k + 175k + 150k = -325,000 = feed-in 175,000 - grid 500,000.
        #expect(driver.totalAccountChangeMicros() == 175_000 - 500_000)
    }

    @Test func uniformMidPriceRoundsDownAndAmountsRoundDownOncePerTrade() throws {
        var driver = AuctionDriver(rule: .uniformPrice)
        driver.offer(AuctionFixture.prosumer1, interval: 2, energyWh: 333, price: 100_000)
        driver.request(AuctionFixture.consumer1, interval: 2, energyWh: 333, limit: 100_003)
        let result = try driver.closeAndClear(2)
        // Mid = 100,000 + (100,003 - 100,000) / 2 = 100,001; amount = 333 × 100,001 / 1000 = 33,300.333 -> 33,300.
        #expect(result.uniformPriceMicrosPerKWh == 100_001)
        #expect(result.trades.map(\.amountMicros) == [33_300])
        // The buyer pays exactly what the seller receives: the rounding loses nothing between them.
        #expect(driver.balance(AuctionFixture.consumer1) == 9_966_700)
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_033_300)
    }

    @Test func equalPricesAreServedInSubmissionOrder() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        driver.offer(AuctionFixture.prosumer3, interval: 4, energyWh: 500, price: 90_000)
        driver.offer(AuctionFixture.prosumer1, interval: 4, energyWh: 500, price: 90_000)
        driver.request(AuctionFixture.consumer1, interval: 4, energyWh: 700, limit: 90_000)
        let result = try driver.closeAndClear(4)
        // P3 came first, so it sells all 500 Wh; P1 sells the remaining 200 Wh and feeds in 300 Wh.
        #expect(
            result.trades.map(\.seller) == [.account(AuctionFixture.prosumer3), .account(AuctionFixture.prosumer1)])
        #expect(result.trades.map(\.energyWh) == [500, 200])
        #expect(result.feedIns == [.init(account: AuctionFixture.prosumer1, energyWh: 300, amountMicros: 15_000)])
    }

    @Test func noCrossingMeansEverythingGoesToTheGrid() throws {
        var driver = AuctionDriver(rule: .uniformPrice)
        driver.offer(AuctionFixture.prosumer1, interval: 8, energyWh: 1000, price: 300_000)
        driver.request(AuctionFixture.consumer1, interval: 8, energyWh: 1000, limit: 100_000)
        let result = try driver.closeAndClear(8)
        // Interval 8 is even: grid 200,000 micros/kWh -> C1 pays 200,000; P1 gets 1000 × 50,000 / 1000 = 50,000.
        #expect(result.trades.isEmpty && result.breakEven == nil && result.uniformPriceMicrosPerKWh == nil)
        #expect(driver.balance(AuctionFixture.consumer1) == 9_800_000)
        #expect(driver.balance(AuctionFixture.prosumer1) == 10_050_000)
        #expect(result.suggestedPriceMicrosPerKWh == nil)
    }

    @Test func suggestedPriceAfterTwoIntervals() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        // Before any trade: midpoint of feed-in and the interval's grid tariff, 50,000 + (250,000 - 50,000) / 2.
        let before = try Contract.decodeSuggestedPrice(
            #require(driver.call(.suggestPrice, Contract.intervalArguments(7), from: AuctionFixture.consumer1).output))
        #expect(before == .init(priceMicrosPerKWh: 150_000, fromRecentTrades: false, volumeWh: 0))

        try submitBook(&driver, interval: 7)
        let first = try driver.closeAndClear(7)
        // (1000 × 100,000 + 1000 × 100,000 + 1000 × 140,000) / 3000 = 340,000,000 / 3000 = 113,333 (rounded down).
        #expect(first.suggestedPriceMicrosPerKWh == 113_333)

        driver.offer(AuctionFixture.prosumer3, interval: 8, energyWh: 1000, price: 180_000)
        driver.request(AuctionFixture.consumer1, interval: 8, energyWh: 1000, limit: 190_000)
        let second = try driver.closeAndClear(8)
        // (340,000,000 + 1000 × 180,000) / (3000 + 1000) = 520,000,000 / 4000 = 130,000.
        #expect(second.suggestedPriceMicrosPerKWh == 130_000)
        let after = try Contract.decodeSuggestedPrice(
            #require(driver.call(.suggestPrice, Contract.intervalArguments(9), from: AuctionFixture.prosumer1).output))
        #expect(after == .init(priceMicrosPerKWh: 130_000, fromRecentTrades: true, volumeWh: 4000))
    }

    @Test func suggestedPriceWindowForgetsOldIntervals() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        // The default window is 4 cleared intervals: interval 0 trades at 100,000, then four at 200,000.
        for interval in UInt64(0)...4 {
            let price: Int64 = interval == 0 ? 100_000 : 200_000
            driver.offer(AuctionFixture.prosumer1, interval: interval, energyWh: 1000, price: price)
            driver.request(AuctionFixture.consumer1, interval: interval, energyWh: 1000, limit: 240_000)
            _ = try driver.closeAndClear(interval)
        }
        let suggestion = try Contract.decodeSuggestedPrice(
            #require(driver.call(.suggestPrice, Contract.intervalArguments(5), from: AuctionFixture.consumer1).output))
        #expect(suggestion == .init(priceMicrosPerKWh: 200_000, fromRecentTrades: true, volumeWh: 4000))
    }

    @Test func storedResultAndReadMethodsAgreeWithTheReceipt() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        try submitBook(&driver)
        driver.close(7)
        let output = try #require(driver.clear(7).output)
        let stored = try #require(
            driver.call(.clearedResult, Contract.intervalArguments(7), from: AuctionFixture.outsider).output)
        #expect(stored == output)
        #expect(
            driver.contract.clearedResult(interval: 7, reading: { driver.harness.value(AuctionDriver.name, $0) })
                == (try Contract.decodeClearingResult(output)))
        #expect(Contract.encode(try Contract.decodeClearingResult(output)) == output)
        let balanceArguments = Contract.balanceArguments(account: AuctionFixture.consumer1)
        let balance = try #require(driver.call(.balance, balanceArguments, from: AuctionFixture.outsider).output)
        #expect(try Contract.decodeBalanceMicros(balance) == 9_900_000)
        // The book is gone once cleared: only the result, phase, balances and price window remain.
        #expect(driver.harness.state[AuctionDriver.name]?.keys.contains { $0.bytes.first == 0x71 } == false)
    }
}

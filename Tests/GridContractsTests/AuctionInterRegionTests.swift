import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Residuals leave through the outbox; inbound residuals are pooled and matched in the receiving region's next
/// clearing against the origin region's settlement account.
@Suite struct AuctionInterRegionTests {
    typealias Contract = EnergyAuctionContract

    /// Region 0's interval 7 from the hand-computed book leaves 2000 Wh of demand and 3500 Wh of supply unmatched.
    private func regionZeroClearing() throws -> (result: Contract.ClearingResult, outbox: [OutboxMessage]) {
        var driver = AuctionDriver(rule: .payAsOffer, neighbour: 1)
        driver.request(AuctionFixture.consumer2, interval: 7, energyWh: 2000, limit: 160_000)
        driver.offer(AuctionFixture.prosumer3, interval: 7, energyWh: 3000, price: 200_000)
        driver.offer(AuctionFixture.prosumer1, interval: 7, energyWh: 2000, price: 100_000)
        driver.request(AuctionFixture.consumer3, interval: 7, energyWh: 2000, limit: 120_000)
        driver.offer(AuctionFixture.prosumer2, interval: 7, energyWh: 1500, price: 140_000)
        driver.request(AuctionFixture.consumer1, interval: 7, energyWh: 1000, limit: 220_000)
        driver.close(7)
        let cleared = driver.clear(7)
        let output = try #require(cleared.output)
        return (try Contract.decodeClearingResult(output), cleared.outbox)
    }

    @Test func netResidualSupplyGoesToTheNeighbour() throws {
        let (result, outbox) = try regionZeroClearing()
        // Net residual = 2000 Wh demand - 3500 Wh supply = -1500 Wh: one offer of 1500 Wh at the feed-in tariff.
        #expect(result.exportedToRegion == 1)
        #expect(outbox.count == 1)
        let message = try #require(outbox.first)
        #expect(message.destinationRegion == 1 && message.contract == "auction" && message.method == "interRegionOffer")
        #expect(
            try Contract.decodeInterRegionBid(message.payload)
                == .init(originRegion: 0, originInterval: 7, energyWh: 1500, priceMicrosPerKWh: 50_000))
        // Local billing is final regardless of the export.
        #expect(result.gridPurchases.map(\.amountMicros) == [500_000])
    }

    @Test func netResidualDemandGoesToTheNeighbourAtTheGridTariff() throws {
        var driver = AuctionDriver(rule: .uniformPrice, neighbour: 5)
        driver.request(AuctionFixture.consumer1, interval: 8, energyWh: 1000, limit: 100_000)
        driver.offer(AuctionFixture.prosumer1, interval: 8, energyWh: 200, price: 150_000)
        driver.close(8)
        let cleared = driver.clear(8)
        // 1000 Wh - 200 Wh = 800 Wh net demand, limit = interval 8's grid tariff 200,000.
        let message = try #require(cleared.outbox.first)
        #expect(cleared.outbox.count == 1 && message.destinationRegion == 5 && message.method == "interRegionRequest")
        #expect(
            try Contract.decodeInterRegionBid(message.payload)
                == .init(originRegion: 0, originInterval: 8, energyWh: 800, priceMicrosPerKWh: 200_000))
    }

    @Test func nothingIsSentWithoutNeighbourOrNetResidual() throws {
        var alone = AuctionDriver(rule: .payAsOffer)
        alone.request(AuctionFixture.consumer1, interval: 1, energyWh: 1000, limit: 1)
        alone.close(1)
        let lonely = alone.clear(1)
        #expect(lonely.outbox.isEmpty && lonely.output != nil)

        var balanced = AuctionDriver(rule: .payAsOffer, neighbour: 1)
        balanced.request(AuctionFixture.consumer1, interval: 1, energyWh: 700, limit: 10_000)
        balanced.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 700, price: 90_000)
        balanced.close(1)
        let cleared = balanced.clear(1)
        #expect(cleared.outbox.isEmpty)
        #expect(try Contract.decodeClearingResult(#require(cleared.output)).exportedToRegion == nil)
    }

    @Test func inboundOfferIsMatchedInTheNextRound() throws {
        let (_, outbox) = try regionZeroClearing()
        let message = try #require(outbox.first)

        var regionOne = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, region: 1, neighbour: 2))
        let applied = regionOne.harness.call(
            message.contract, message.method, arguments: message.payload, sender: AuctionFixture.operatorKey)
        #expect(try Contract.decodeBidIndex(#require(applied.output)) == 0)

        regionOne.request(AuctionFixture.consumer1, interval: 3, energyWh: 1000, limit: 200_000)
        regionOne.offer(AuctionFixture.prosumer1, interval: 3, energyWh: 1000, price: 120_000)
        regionOne.close(3)
        let cleared = regionOne.clear(3)
        let result = try Contract.decodeClearingResult(#require(cleared.output))
        // Offers ascending: region 0's 1500 Wh @ 50,000, then P1 @ 120,000. C1 takes 1000 Wh from region 0:
        // 1000 × 50,000 / 1000 = 50,000. P1 feeds in 1000 Wh (50,000); region 0's other 500 Wh lapse.
        #expect(
            result.trades == [
                .init(
                    buyer: .account(AuctionFixture.consumer1), seller: .region(0), energyWh: 1000,
                    priceMicrosPerKWh: 50_000, amountMicros: 50_000)
            ])
        #expect(result.expiredInterRegionWh == 500)
        #expect(regionOne.balance(AuctionFixture.consumer1) == 9_950_000)
        #expect(regionOne.balance(AuctionFixture.prosumer1) == 10_050_000)
        #expect(regionOne.regionBalance(0) == 50_000)
        // Only region 1's own residual (P1's 1000 Wh) goes on to its neighbour; the lapsed 500 Wh are not re-sent.
        let onward = try #require(cleared.outbox.first)
        #expect(onward.destinationRegion == 2 && onward.method == "interRegionOffer")
        #expect(try Contract.decodeInterRegionBid(onward.payload).energyWh == 1000)
        #expect(try Contract.decodeInterRegionBid(onward.payload).originRegion == 1)

        // The pool was consumed by that round: the next interval sees local bids only.
        regionOne.request(AuctionFixture.consumer2, interval: 4, energyWh: 100, limit: 200_000)
        #expect(try regionOne.closeAndClear(4).trades.isEmpty)
        let settlementArguments = Contract.interRegionBalanceArguments(region: 0)
        let settlement = try #require(
            regionOne.call(.interRegionBalance, settlementArguments, from: AuctionFixture.outsider).output)
        #expect(try Contract.decodeBalanceMicros(settlement) == 50_000)
    }

    @Test func inboundRequestBuysLocalSurplus() throws {
        var driver = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, region: 1))
        let inbound = Contract.interRegionArguments(
            .init(originRegion: 0, originInterval: 8, energyWh: 1000, priceMicrosPerKWh: 200_000))
        #expect(driver.call(.interRegionRequest, inbound, from: AuctionFixture.operatorKey).output != nil)
        driver.offer(AuctionFixture.prosumer2, interval: 3, energyWh: 600, price: 80_000)
        driver.request(AuctionFixture.consumer1, interval: 3, energyWh: 300, limit: 150_000)
        let result = try driver.closeAndClear(3)
        // Requests descending: region 0 @ 200,000, then C1 @ 150,000. Region 0 buys P2's 600 Wh at 80,000 =
        // 48,000; C1 buys 300 Wh from the grid at 250,000 = 75,000; region 0's other 400 Wh lapse.
        #expect(result.trades.map(\.buyer) == [.region(0)])
        #expect(result.trades.map(\.amountMicros) == [48_000])
        #expect(result.gridPurchases == [.init(account: AuctionFixture.consumer1, energyWh: 300, amountMicros: 75_000)])
        #expect(result.expiredInterRegionWh == 400)
        #expect(driver.regionBalance(0) == -48_000)
        #expect(driver.balance(AuctionFixture.prosumer2) == 10_048_000)
        // Money is conserved inside the region: Σ account changes + region balances = -grid + feed-in.
        #expect(driver.totalAccountChangeMicros() + driver.regionBalance(0) == -75_000)
    }

    @Test func localBidsGoFirstAtEqualPrices() throws {
        var driver = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, region: 1))
        let inbound = Contract.interRegionArguments(
            .init(originRegion: 0, originInterval: 1, energyWh: 1000, priceMicrosPerKWh: 120_000))
        driver.call(.interRegionOffer, inbound, from: AuctionFixture.operatorKey)
        driver.offer(AuctionFixture.prosumer1, interval: 2, energyWh: 1000, price: 120_000)
        driver.request(AuctionFixture.consumer1, interval: 2, energyWh: 1000, limit: 120_000)
        let result = try driver.closeAndClear(2)
        #expect(result.trades.map(\.seller) == [.account(AuctionFixture.prosumer1)])
        #expect(result.expiredInterRegionWh == 1000)
    }

    @Test func inboundMessagesAreCheckedAndAppliedOnce() {
        var driver = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, region: 1, interRegionBidsMax: 2))
        let bid = Contract.InterRegionBid(originRegion: 0, originInterval: 9, energyWh: 100, priceMicrosPerKWh: 1)
        let arguments = Contract.interRegionArguments(bid)
        expectAuctionFailure(
            driver.call(.interRegionOffer, arguments, from: AuctionFixture.prosumer1),
            "only the operator or the relay may apply")
        #expect(driver.call(.interRegionOffer, arguments, from: AuctionFixture.operatorKey).output != nil)
        expectAuctionFailure(
            driver.call(.interRegionOffer, arguments, from: AuctionFixture.operatorKey),
            "duplicate inter-region message")
        // The same origin interval on the other side is a different message.
        #expect(driver.call(.interRegionRequest, arguments, from: AuctionFixture.operatorKey).output != nil)
        var another = bid
        another.originInterval = 10
        expectAuctionFailure(
            driver.call(.interRegionOffer, Contract.interRegionArguments(another), from: AuctionFixture.operatorKey),
            "pool is full")
        var own = bid
        own.originRegion = 1
        expectAuctionFailure(
            driver.call(.interRegionOffer, Contract.interRegionArguments(own), from: AuctionFixture.operatorKey),
            "must come from another region")
        var empty = bid
        empty.energyWh = 0
        expectAuctionFailure(
            driver.call(.interRegionRequest, Contract.interRegionArguments(empty), from: AuctionFixture.operatorKey),
            "energy must be positive")
        var negative = bid
        negative.priceMicrosPerKWh = -5
        expectAuctionFailure(
            driver.call(.interRegionRequest, Contract.interRegionArguments(negative), from: AuctionFixture.operatorKey),
            "price must not be negative")
    }
}

import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Random books, checked against the properties every clearing must have whatever the numbers: energy balance per
/// bid (CE-SDT eq. 5/6: community energy + grid energy = the bid), prices within every trader's bid, no crossing
/// pair left unmatched, and money conserved apart from grid and feed-in flows (the community fund counted).
@Suite struct AuctionPropertyTests {
    typealias Contract = EnergyAuctionContract

    @Test(arguments: EnergyAuctionConfiguration.ClearingRule.allCases)
    func randomBooksKeepTheClearingProperties(rule: EnergyAuctionConfiguration.ClearingRule) throws {
        var random = SeededRandom(seed: UInt64(rule.rawValue) * 7919)
        var driver = AuctionDriver(rule: rule)
        var gridMicros: Int64 = 0
        var feedInMicros: Int64 = 0
        for interval in UInt64(0)..<200 {
            // At most one bid per participant, so trades map back to bids by account. Prices on a coarse grid make
            // ties common.
            var offered: [PublicKey: (energyWh: Int64, priceMicrosPerKWh: Int64)] = [:]
            var requested: [PublicKey: (energyWh: Int64, priceMicrosPerKWh: Int64)] = [:]
            for key in AuctionFixture.participants.shuffled(using: &random) where Bool.random(using: &random) {
                let energyWh = Int64.random(in: 1...5_000, using: &random)
                let price = Int64.random(in: 0...30, using: &random) * 10_000
                if AuctionFixture.prosumers.contains(key) {
                    #expect(driver.offer(key, interval: interval, energyWh: energyWh, price: price).output != nil)
                    offered[key] = (energyWh, price)
                } else {
                    #expect(driver.request(key, interval: interval, energyWh: energyWh, limit: price).output != nil)
                    requested[key] = (energyWh, price)
                }
            }
            let result = try driver.closeAndClear(interval)
            gridMicros += result.gridPurchases.reduce(0) { $0 + $1.amountMicros }
            feedInMicros += result.feedIns.reduce(0) { $0 + $1.amountMicros }

            var boughtWh: [PublicKey: Int64] = [:]
            var soldWh: [PublicKey: Int64] = [:]
            for trade in result.trades {
                guard case .account(let buyer) = trade.buyer, case .account(let seller) = trade.seller,
                    let request = requested[buyer], let offer = offered[seller]
                else {
                    Issue.record("trade between unknown parties: \(trade)")
                    continue
                }
                #expect(trade.priceMicrosPerKWh <= trade.buyerPriceMicrosPerKWh)
                #expect(trade.buyerPriceMicrosPerKWh <= request.priceMicrosPerKWh)
                #expect(trade.priceMicrosPerKWh >= offer.priceMicrosPerKWh)
                if rule == .payAsOffer { #expect(trade.priceMicrosPerKWh == offer.priceMicrosPerKWh) }
                if rule == .uniformPrice { #expect(trade.priceMicrosPerKWh == result.uniformPriceMicrosPerKWh) }
                if rule == .payAsBid {
                    #expect(trade.priceMicrosPerKWh == offer.priceMicrosPerKWh)
                    #expect(trade.buyerPriceMicrosPerKWh == request.priceMicrosPerKWh)
                } else {
                    #expect(trade.buyerPriceMicrosPerKWh == trade.priceMicrosPerKWh)
                }
                #expect(trade.amountMicros == trade.energyWh * trade.priceMicrosPerKWh / 1000)
                #expect(trade.buyerAmountMicros == trade.energyWh * trade.buyerPriceMicrosPerKWh / 1000)
                boughtWh[buyer, default: 0] += trade.energyWh
                soldWh[seller, default: 0] += trade.energyWh
            }
            let gridWh = Dictionary(uniqueKeysWithValues: result.gridPurchases.map { ($0.account, $0.energyWh) })
            let feedInWh = Dictionary(uniqueKeysWithValues: result.feedIns.map { ($0.account, $0.energyWh) })
            for (key, request) in requested {
                #expect(boughtWh[key, default: 0] + gridWh[key, default: 0] == request.energyWh)
            }
            for (key, offer) in offered {
                #expect(soldWh[key, default: 0] + feedInWh[key, default: 0] == offer.energyWh)
            }
            // Nothing that could still trade was sent to the grid.
            let unmatchedLimits = requested.filter { gridWh[$0.key] != nil }.map(\.value.priceMicrosPerKWh)
            let unmatchedPrices = offered.filter { feedInWh[$0.key] != nil }.map(\.value.priceMicrosPerKWh)
            if let bestLimit = unmatchedLimits.max(), let bestPrice = unmatchedPrices.min() {
                #expect(bestLimit < bestPrice)
            }
        }
        // The community fund holds the pay-as-bid spreads; with it, money is conserved apart from the grid flows.
        let fundMicros = try driver.contract.communityFundMicros { driver.harness.value(AuctionDriver.name, $0) }
        #expect((rule == .payAsBid) == (fundMicros > 0))
        #expect(driver.totalAccountChangeMicros() + fundMicros == feedInMicros - gridMicros)
    }
}

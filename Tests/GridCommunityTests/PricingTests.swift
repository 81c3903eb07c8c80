import Testing

@testable import GridCommunity

/// CE-SDT eqs. 5-6 as band positions between feed-in (100,000) and grid (450,000 micros/kWh): a band of 350,000.
@Suite struct PricingTests {
    let pricing = PriceSuggestion()

    @Test func sellingPriceFollowsEquationFive() {
        // λ·E + μ·avg = −0.02 × 2 + 1 × (0.6 + 0.4) / 2 = 0.46 -> 100,000 + 0.46 × 350,000 = 261,000.
        #expect(abs(pricing.sellingPosition(surplusKWh: 2, recentPositions: [0.6, 0.4]) - 0.46) < 1e-12)
        #expect(
            pricing.sellingPrice(surplusKWh: 2, recentPositions: [0.6, 0.4], feedIn: 100_000, grid: 450_000) == 261_000)
    }

    @Test func buyingPriceFollowsEquationSix() {
        // β·E + ν·avg = 0.02 × 3 + 0.5 = 0.56 -> 100,000 + 196,000 = 296,000.
        #expect(
            pricing.buyingPrice(needKWh: 3, recentPositions: [0.6, 0.4], feedIn: 100_000, grid: 450_000) == 296_000)
    }

    @Test func withoutHistoryTheBandMidpointIsUsed() {
        // 0.02 × 0 + 0.5 -> 275,000.
        #expect(pricing.buyingPrice(needKWh: 0, recentPositions: [], feedIn: 100_000, grid: 450_000) == 275_000)
    }

    @Test func onlyTheLastPricesCount() {
        // historyLength 4: [1, 1, 1, 1, 0] -> the last four [1, 1, 1, 0] average 0.75; 0.02 × 5 + 0.75 = 0.85.
        #expect(abs(pricing.buyingPosition(needKWh: 5, recentPositions: [1, 1, 1, 1, 0]) - 0.85) < 1e-12)
    }

    @Test func pricesStayWithinFeedInAndGrid() {
        // −0.02 × 40 + 0.5 = −0.3 -> clamped to the feed-in tariff; 0.02 × 40 + 0.5 = 1.3 -> the grid tariff.
        #expect(pricing.sellingPrice(surplusKWh: 40, recentPositions: [], feedIn: 100_000, grid: 450_000) == 100_000)
        #expect(pricing.buyingPrice(needKWh: 40, recentPositions: [], feedIn: 100_000, grid: 450_000) == 450_000)
    }

    @Test func bandPositionsRoundTrip() {
        #expect(PriceSuggestion.bandPosition(275_000, feedIn: 100_000, grid: 450_000) == 0.5)
        #expect(PriceSuggestion.bandPosition(50_000, feedIn: 100_000, grid: 450_000) == 0)
        #expect(PriceSuggestion.price(atBandPosition: .nan, feedIn: 100_000, grid: 450_000) == 275_000)
    }

    @Test func timeOfUseTariffSlots() {
        let tariff = CommunityTariff.nswTimeOfUse
        let hourly = tariff.contractSlots(intervalMinutes: 60)
        #expect(hourly.count == 24)
        #expect(hourly[6] == 120_000 && hourly[7] == 200_000 && hourly[13] == 200_000)
        #expect(hourly[14] == 450_000 && hourly[19] == 450_000 && hourly[20] == 200_000 && hourly[22] == 120_000)
        let quarter = tariff.contractSlots(intervalMinutes: 15)
        #expect(quarter.count == 96 && quarter[55] == 200_000 && quarter[56] == 450_000)
        #expect(tariff.feedInMicrosPerKWh == 100_000)
        #expect(tariff.problem == nil)
    }
}

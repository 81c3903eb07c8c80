import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Hostile arguments over every method, from every kind of sender, interleaved with real closes and clears. The
/// loop passing means no call trapped; afterwards every cleared result decodes and money is conserved.
@Suite struct AuctionFuzzTests {
    typealias Contract = EnergyAuctionContract

    private static let extremes: [Int64] = [.min, -1, 0, 1, 999, 1000, 1_000_000_000, 1_000_000_001, .max]

    /// Mostly plausible values, so bids really enter books, with extremes and raw bit patterns mixed in.
    private func integer(_ random: inout SeededRandom) -> Int64 {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return Self.extremes.randomElement(using: &random)!
        case 1: return Int64(bitPattern: random.next())
        default: return Int64.random(in: 1...3_000, using: &random) * 100
        }
    }

    /// Intervals move forward with the loop (`step / 150`), so books fill, close and clear as the run goes on;
    /// a few calls aim at old intervals to provoke late bids and repeated clears.
    private func arguments(for method: String, step: Int, _ random: inout SeededRandom) -> [UInt8] {
        let current = UInt64(step / 150)
        let interval =
            Int.random(in: 0..<8, using: &random) == 0
            ? UInt64.random(in: 0...current, using: &random) : current + UInt64.random(in: 0...1, using: &random)
        var valid: [UInt8]
        switch method {
        case "request", "offer":
            valid = Contract.requestArguments(
                interval: interval, energyWh: integer(&random), limitPriceMicrosPerKWh: integer(&random))
        case "balance":
            valid = Contract.balanceArguments(
                account: (AuctionFixture.participants + [AuctionFixture.outsider]).randomElement(using: &random)!)
        case "interRegionBalance":
            valid = Contract.interRegionBalanceArguments(region: UInt16.random(in: 0...3, using: &random))
        case "interRegionOffer", "interRegionRequest":
            valid = Contract.interRegionArguments(
                .init(
                    originRegion: UInt16.random(in: 0...3, using: &random), originInterval: interval,
                    energyWh: integer(&random), priceMicrosPerKWh: integer(&random)))
        default:
            valid = Contract.intervalArguments(interval)
        }
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return random.bytes(Int.random(in: 0...80, using: &random))
        case 1: return Array(valid.prefix(Int.random(in: 0...valid.count, using: &random)))
        case 2: return valid + random.bytes(Int.random(in: 1...8, using: &random))
        case 3:
            if !valid.isEmpty {
                valid[Int.random(in: 0..<valid.count, using: &random)] ^=
                    UInt8(1) << UInt8.random(in: 0...7, using: &random)
            }
            return valid
        default: return valid
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func hostileCallsNeverCrashAndConserveMoney(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let rule: EnergyAuctionConfiguration.ClearingRule = seed % 2 == 0 ? .payAsOffer : .uniformPrice
        var driver = AuctionDriver(AuctionFixture.configuration(rule: rule, region: 0, neighbour: 1))
        // close and clear twice: the method list grew (fund, metering), and the run must still clear intervals.
        let methods = Contract.Method.allCases.map(\.rawValue) + ["close", "clear", "", "Request", "clear ", "\u{0}"]
        let senders = AuctionFixture.participants + [AuctionFixture.operatorKey, AuctionFixture.outsider]
        var gridMicros: Int64 = 0
        var feedInMicros: Int64 = 0
        var clearedIntervals: Set<UInt64> = []
        var acceptedCalls: [String: Int] = [:]
        var tradeCount = 0
        var tradingRegions: Set<RegionID> = []

        for step in 0..<6000 {
            // Bids dominate, as in a real interval; operator methods come mostly from the operator.
            let method =
                Int.random(in: 0..<3, using: &random) == 0
                ? methods.randomElement(using: &random)! : ["request", "offer"].randomElement(using: &random)!
            let operatorMethods = ["close", "clear", "interRegionOffer", "interRegionRequest"]
            let sender =
                operatorMethods.contains(method) && Int.random(in: 0..<4, using: &random) > 0
                ? AuctionFixture.operatorKey : senders.randomElement(using: &random)!
            let outcome = driver.harness.call(
                AuctionDriver.name, method, arguments: arguments(for: method, step: step, &random), sender: sender)
            if outcome.output != nil { acceptedCalls[method, default: 0] += 1 }
            guard method == "clear", let output = outcome.output else {
                if outcome.output == nil { #expect(outcome.outbox.isEmpty) }
                continue
            }
            let result = try Contract.decodeClearingResult(output)
            #expect(clearedIntervals.insert(result.interval).inserted, "interval \(result.interval) cleared twice")
            gridMicros += result.gridPurchases.reduce(0) { $0 + $1.amountMicros }
            feedInMicros += result.feedIns.reduce(0) { $0 + $1.amountMicros }
            #expect(outcome.outbox.count <= 1)
            tradeCount += result.trades.count
            for trade in result.trades {
                // Bit flips reach any region number, so collect the settlement accounts that really moved.
                for case .region(let region) in [trade.buyer, trade.seller] { tradingRegions.insert(region) }
                #expect(trade.energyWh > 0)
                #expect(trade.priceMicrosPerKWh >= 0)
            }
        }
        // The run must have exercised the real paths, not only the rejections.
        #expect(clearedIntervals.count >= 10 && tradeCount >= 10)
        #expect(acceptedCalls["request", default: 0] >= 100 && acceptedCalls["offer", default: 0] >= 50)
        let regions = tradingRegions.reduce(Int64(0)) { $0 + driver.regionBalance($1) }
        #expect(driver.totalAccountChangeMicros() + regions == feedInMicros - gridMicros)
    }
}

import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// Every bad call is a receipt error that leaves the state untouched, never a crash.
@Suite struct AuctionRejectionTests {
    typealias Contract = EnergyAuctionContract

    @Test func bidsAfterCloseAreLate() {
        var driver = AuctionDriver(rule: .payAsOffer)
        #expect(driver.request(AuctionFixture.consumer1, interval: 3, energyWh: 100, limit: 1).output != nil)
        driver.close(3)
        let before = driver.harness.state
        expectAuctionFailure(driver.request(AuctionFixture.consumer1, interval: 3, energyWh: 100, limit: 1), "late bid")
        expectAuctionFailure(driver.offer(AuctionFixture.prosumer1, interval: 3, energyWh: 100, price: 1), "late bid")
        driver.clear(3)
        expectAuctionFailure(driver.offer(AuctionFixture.prosumer1, interval: 3, energyWh: 100, price: 1), "late bid")
        #expect(before.count == driver.harness.state.count)
        // Other intervals stay open.
        #expect(driver.offer(AuctionFixture.prosumer1, interval: 4, energyWh: 100, price: 1).output != nil)
    }

    @Test func whoMayBid() {
        var driver = AuctionDriver(rule: .payAsOffer)
        expectAuctionFailure(
            driver.request(AuctionFixture.outsider, interval: 1, energyWh: 100, limit: 1), "unregistered participant")
        expectAuctionFailure(
            driver.offer(AuctionFixture.outsider, interval: 1, energyWh: 100, price: 1), "unregistered participant")
        expectAuctionFailure(
            driver.offer(AuctionFixture.operatorKey, interval: 1, energyWh: 100, price: 1), "unregistered participant")
        expectAuctionFailure(
            driver.offer(AuctionFixture.consumer1, interval: 1, energyWh: 100, price: 1), "only prosumers may offer")
        // Prosumers may also buy.
        #expect(driver.request(AuctionFixture.prosumer1, interval: 1, energyWh: 100, limit: 1).output != nil)
        #expect(driver.harness.state[AuctionDriver.name]?.count == 2)  // one bid and the bid count
    }

    @Test(arguments: [Int64(0), -1, -1_000, Int64.min])
    func nonPositiveEnergyIsRejected(energyWh: Int64) {
        var driver = AuctionDriver(rule: .payAsOffer)
        expectAuctionFailure(
            driver.request(AuctionFixture.consumer1, interval: 1, energyWh: energyWh, limit: 1),
            "energy must be positive")
        expectAuctionFailure(
            driver.offer(AuctionFixture.prosumer1, interval: 1, energyWh: energyWh, price: 1), "energy must be positive"
        )
        #expect(driver.harness.state.isEmpty)
    }

    @Test func negativeAndExcessivePricesAreRejected() {
        var driver = AuctionDriver(rule: .payAsOffer)
        expectAuctionFailure(
            driver.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 10, price: -1), "price must not be negative")
        expectAuctionFailure(
            driver.request(AuctionFixture.consumer1, interval: 1, energyWh: 10, limit: Int64.min),
            "price must not be negative")
        expectAuctionFailure(
            driver.request(AuctionFixture.consumer1, interval: 1, energyWh: 10, limit: 1_000_000_001), "price exceeds")
        // A zero price is a legitimate offer (free surplus).
        #expect(driver.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 10, price: 0).output != nil)
    }

    @Test func malformedAndTruncatedArguments() {
        var driver = AuctionDriver(rule: .payAsOffer)
        let bid = Contract.requestArguments(interval: 1, energyWh: 100, limitPriceMicrosPerKWh: 5)
        for length in 0..<bid.count {
            let truncated = Array(bid[0..<length])
            expectAuctionFailure(
                driver.call(.request, truncated, from: AuctionFixture.consumer1), "malformed arguments")
            expectAuctionFailure(driver.call(.offer, truncated, from: AuctionFixture.prosumer1), "malformed arguments")
        }
        expectAuctionFailure(driver.call(.request, bid + [0], from: AuctionFixture.consumer1), "malformed arguments")
        for method in [Contract.Method.close, .clear, .suggestPrice, .clearedResult] {
            expectAuctionFailure(
                driver.call(method, [1, 2, 3], from: AuctionFixture.operatorKey), "malformed arguments")
            expectAuctionFailure(
                driver.call(method, Contract.intervalArguments(1) + [9], from: AuctionFixture.operatorKey),
                "malformed arguments")
        }
        expectAuctionFailure(driver.call(.balance, [0xAB], from: AuctionFixture.consumer1), "malformed arguments")
        expectAuctionFailure(
            driver.call(.interRegionBalance, [], from: AuctionFixture.consumer1), "malformed arguments")
        let inbound = Contract.interRegionArguments(
            .init(originRegion: 1, originInterval: 2, energyWh: 3, priceMicrosPerKWh: 4))
        expectAuctionFailure(
            driver.call(.interRegionOffer, Array(inbound.dropLast()), from: AuctionFixture.operatorKey),
            "malformed arguments")
        expectAuctionFailure(
            driver.harness.call(AuctionDriver.name, "steal", arguments: [], sender: AuctionFixture.consumer1),
            "unknown method")
        #expect(driver.harness.state.isEmpty)
    }

    @Test func onlyTheOperatorClosesAndClears() {
        var driver = AuctionDriver(rule: .uniformPrice)
        driver.request(AuctionFixture.consumer1, interval: 5, energyWh: 100, limit: 1)
        for sender in [AuctionFixture.consumer1, AuctionFixture.prosumer1, AuctionFixture.outsider] {
            expectAuctionFailure(driver.close(5, from: sender), "only the operator may close")
            expectAuctionFailure(driver.clear(5, from: sender), "only the operator may clear")
        }
        driver.close(5)
        expectAuctionFailure(driver.clear(5, from: AuctionFixture.prosumer2), "only the operator may clear")
    }

    @Test func intervalLifecycleIsEnforced() throws {
        var driver = AuctionDriver(rule: .payAsOffer)
        expectAuctionFailure(driver.clear(6), "not closed")
        #expect(driver.close(6).output == [])
        expectAuctionFailure(driver.close(6), "already closed")
        let first = try #require(driver.clear(6).output)
        let state = driver.harness.state
        expectAuctionFailure(driver.clear(6), "already cleared")
        expectAuctionFailure(driver.close(6), "already cleared")
        #expect(driver.harness.state == state)
        #expect(try Contract.decodeClearingResult(first).trades.isEmpty)
        expectAuctionFailure(
            driver.call(.clearedResult, Contract.intervalArguments(7), from: AuctionFixture.consumer1), "not cleared")
    }

    @Test func wrongRegionIsRejected() {
        let contract = try! EnergyAuctionContract(
            configuration: AuctionFixture.configuration(rule: .payAsOffer, region: 2))
        var harness = ContractHarness(contracts: [contract], region: 3)
        expectAuctionFailure(
            harness.call(
                AuctionDriver.name, "request",
                arguments: Contract.requestArguments(interval: 1, energyWh: 1, limitPriceMicrosPerKWh: 1),
                sender: AuctionFixture.consumer1),
            "wrong region")
    }

    @Test func hugeEnergyTimesPriceIsACleanError() {
        // With the default bounds the bid is refused before any multiplication.
        var bounded = AuctionDriver(rule: .payAsOffer)
        expectAuctionFailure(
            bounded.request(AuctionFixture.consumer1, interval: 1, energyWh: Int64.max, limit: Int64.max),
            "energy exceeds")
        // With the bounds lifted, the product itself is what fails: Int64.max × Int64.max / 1000 > Int64.max.
        var unbounded = AuctionDriver(
            AuctionFixture.configuration(rule: .payAsOffer, bidEnergyWhMax: .max, priceMicrosPerKWhMax: .max))
        expectAuctionFailure(
            unbounded.request(AuctionFixture.consumer1, interval: 1, energyWh: Int64.max, limit: Int64.max),
            "arithmetic overflow")
        expectAuctionFailure(
            unbounded.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 1 << 40, price: 1 << 40),
            "arithmetic overflow")
        // Just inside: (2^53 Wh × 1000 micros/kWh) / 1000 = 2^53 micros fits.
        #expect(unbounded.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 1 << 53, price: 1000).output != nil)
        #expect(unbounded.harness.state[AuctionDriver.name]?.count == 2)
    }

    @Test func balanceOverflowAtBillingIsACleanErrorAndChangesNothing() {
        // Every account starts next to Int64.max, so the first credit overflows during billing.
        var driver = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, initialBalanceMicros: .max - 10))
        driver.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 1000, price: 100_000)
        driver.request(AuctionFixture.consumer1, interval: 1, energyWh: 1000, limit: 100_000)
        driver.close(1)
        let state = driver.harness.state
        expectAuctionFailure(driver.clear(1), "arithmetic overflow")
        #expect(driver.harness.state == state)
        let untouched: Int64 = .max - 10
        #expect(driver.balance(AuctionFixture.prosumer1) == untouched)
    }

    @Test func fullBookIsRejected() {
        var driver = AuctionDriver(AuctionFixture.configuration(rule: .payAsOffer, bidsPerIntervalMax: 2))
        driver.request(AuctionFixture.consumer1, interval: 1, energyWh: 1, limit: 1)
        driver.request(AuctionFixture.consumer2, interval: 1, energyWh: 1, limit: 1)
        expectAuctionFailure(driver.request(AuctionFixture.consumer3, interval: 1, energyWh: 1, limit: 1), "is full")
        #expect(driver.request(AuctionFixture.consumer3, interval: 2, energyWh: 1, limit: 1).output != nil)
    }

    @Test func invalidConfigurationsAreRefusedAtStart() {
        var configurations: [EnergyAuctionConfiguration] = []
        var empty = AuctionFixture.configuration(rule: .payAsOffer)
        empty.gridTariffMicrosPerKWhBySlot = []
        configurations.append(empty)
        var negative = AuctionFixture.configuration(rule: .payAsOffer)
        negative.feedInTariffMicrosPerKWh = -1
        configurations.append(negative)
        configurations.append(AuctionFixture.configuration(rule: .payAsOffer, region: 4, neighbour: 4))
        var noWindow = AuctionFixture.configuration(rule: .payAsOffer)
        noWindow.priceHistoryIntervals = 0
        configurations.append(noWindow)
        for configuration in configurations {
            #expect(throws: ContractError.self) { try EnergyAuctionContract(configuration: configuration) }
        }
    }

    @Test func hostileResultBytesOnlyThrowDecodingErrors() throws {
        var driver = AuctionDriver(rule: .uniformPrice)
        driver.offer(AuctionFixture.prosumer1, interval: 1, energyWh: 1000, price: 100_000)
        driver.request(AuctionFixture.consumer1, interval: 1, energyWh: 400, limit: 120_000)
        driver.request(AuctionFixture.consumer2, interval: 1, energyWh: 900, limit: 110_000)
        driver.close(1)
        let output = try #require(driver.clear(1).output)
        for length in 0..<output.count {
            #expect(throws: DecodingError.self) { try Contract.decodeClearingResult(Array(output[0..<length])) }
        }
        var lying = output
        // version 1 + interval 8 + rule 1 + tariffs 16 + break-even 1 + 16 + uniform price 1 + 8 = 52: the trade count.
        lying.replaceSubrange(52..<56, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: DecodingError.self) { try Contract.decodeClearingResult(lying) }
    }

    /// A stored amount that does not decode is an error, never read as zero: a corrupt fund or escrow total
    /// would otherwise quietly mint or burn money.
    @Test func corruptStoredAmountsAreErrorsNotZero() {
        let driver = AuctionDriver(rule: .payAsBid)
        let corrupt: ([UInt8]) -> [UInt8]? = { _ in [1, 2, 3] }
        #expect(throws: ContractError.self) { try driver.contract.communityFundMicros(reading: corrupt) }
        #expect(throws: ContractError.self) { try driver.contract.escrowedMarginMicros(reading: corrupt) }
        #expect(throws: ContractError.self) { try driver.contract.interRegionBalanceMicros(of: 1, reading: corrupt) }
        #expect(throws: ContractError.self) {
            try driver.contract.balanceMicros(of: AuctionFixture.consumer1, reading: corrupt)
        }
        #expect((try? driver.contract.communityFundMicros(reading: { _ in nil })) == 0)
    }
}

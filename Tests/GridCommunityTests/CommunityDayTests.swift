import Foundation
import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

@testable import GridCommunity

/// A small community day through the auction contract with signed transactions (hourly steps, 12 households).
@Suite struct CommunityDayTests {
    private func options(share: Double = 0.5, rule: EnergyAuctionConfiguration.ClearingRule = .payAsOffer)
        -> CommunityDayOptions
    {
        var parameters = CommunityParameters(households: 12, prosumerShare: share)
        parameters.stepMinutes = 60
        parameters.settlementMinutesChoices = [60, 120]
        var options = CommunityDayOptions(parameters: parameters)
        options.clearingRule = rule
        return options
    }

    @Test func everyTransactionIsSignedAndExecutedAndMoneyIsConserved() throws {
        let day = try CommunityDay(options: options(), profiles: .shipped)
        let result = try day.run()
        #expect(result.transactionsRefused.isEmpty, "\(result.transactionsRefused)")
        #expect(result.transactionsCommitted == result.transactionsSigned)
        #expect(result.transactionsSigned > 48)  // 24 closes + 24 clears + bids
        #expect(result.moneyResidualMicros == 0)
        #expect(result.peerToPeerWh > 0)
        // Every request was met by the community or the grid: Σ needs = P2P + grid.
        #expect(result.userNeedWhByInterval.reduce(0, +) == result.peerToPeerWh + result.fromGridWh)
        // Prosumers pay less than their load would cost from the grid; consumers never pay more.
        #expect(result.prosumerTotals.costMicros < result.prosumerTotals.gridOnlyCostMicros)
        #expect(result.consumers.costMicros <= result.consumers.gridOnlyCostMicros)
        #expect(result.batteriesBelowEndOfDaySOC == 0)
        #expect(result.lowestStateOfCharge >= 0.1 - 1e-9 && result.highestStateOfCharge <= 0.95 + 1e-9)
    }

    @Test func theDayIsDeterministic() throws {
        let first = try CommunityDay(options: options(share: 0.3), profiles: .shipped).run()
        let second = try CommunityDay(options: options(share: 0.3), profiles: .shipped).run()
        #expect(first == second)
    }

    @Test func payAsBidSendsTheSpreadToTheFund() throws {
        let result = try CommunityDay(options: options(rule: .payAsBid), profiles: .shipped).run()
        #expect(result.communityFundMicros > 0)
        #expect(result.moneyResidualMicros == 0)
    }

    @Test func meteredSettlementSettlesEveryMarginAndConservesMoney() throws {
        var metered = options()
        metered.metering = CommunityMetering()
        let result = try CommunityDay(options: metered, profiles: .shipped).run()
        #expect(result.transactionsRefused.isEmpty, "\(result.transactionsRefused)")
        #expect(result.meterReadings > 0)
        // Forecasts up to 15 % too high leave shortfalls, settled from the margins; none is left held.
        #expect(result.shortfallWh > 0 && result.shortfallChargeMicros > 0)
        #expect(result.marginsHeldAtEndMicros == 0)
        #expect(result.moneyResidualMicros == 0)
        let bidBased = try CommunityDay(options: options(), profiles: .shipped).run()
        #expect(result.meterReadings > 0 && bidBased.meterReadings == 0)
    }

    @Test func settlementIntervalsFollowEquationFourteen() throws {
        // A household with a 120-minute settlement interval bids every other hour, for two hours' energy.
        let day = try CommunityDay(options: options(), profiles: .shipped)
        var intervals: [CommunityInterval] = []
        var keeping = day.options
        keeping.keepTransactions = true
        let kept = try CommunityDay(options: keeping, profiles: .shipped)
        _ = try kept.run(intervals: &intervals)
        #expect(intervals.count == 24)
        for (index, household) in day.households.enumerated() where household.settlementMinutes == 120 {
            let key = day.householdKeys[index].publicKey
            let bidHours = intervals.filter { $0.bids.contains { $0.sender == key } }.map(\.interval)
            #expect(bidHours.allSatisfy { $0 % 2 == 0 })
            let netWh = day.flows[index].netWh(steps: 12..<14, stepMinutes: 60)
            // 2 steps of an hour: (export − import) W × 1 h each.
            let byHand =
                (day.flows[index].exportW[12] - day.flows[index].importW[12])
                + (day.flows[index].exportW[13] - day.flows[index].importW[13])
            #expect(abs(netWh - byHand) < 1e-9)
        }
    }

    @Test func forgedAndReplayedTransactionsAreRefused() throws {
        let day = try CommunityDay(options: options(), profiles: .shipped)
        var harness = ContractHarness(contracts: [day.contract])
        var ledger = SignedLedger(chainID: day.options.chainID, region: 0)
        let signer = day.householdKeys[0]
        let good = Transaction(
            chainID: day.options.chainID, region: 0, signer: signer, nonce: 1, contract: "auction", method: "request",
            arguments: EnergyAuctionContract.requestArguments(interval: 0, energyWh: 100, limitPriceMicrosPerKWh: 1))
        var forged = good
        forged.arguments = EnergyAuctionContract.requestArguments(
            interval: 0, energyWh: 100_000, limitPriceMicrosPerKWh: 1)
        ledger.execute(forged, in: &harness)
        ledger.execute(good, in: &harness)
        ledger.execute(good, in: &harness)
        #expect(ledger.committed == 1)
        #expect(ledger.refusedByReason["bad signature"] == 1)
        #expect(ledger.refusedByReason["nonce 1, expected 2"] == 1)
    }

    @Test func shippedProfilesMatchTheCommittedData() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/ce-sdt/profiles.json")
        let decoded = try JSONDecoder().decode(CommunityProfiles.self, from: Data(contentsOf: url))
        #expect(decoded == CommunityProfiles.shipped)
        #expect(CommunityProfiles.shipped.problem == nil)
        #expect(CommunityProfiles.shipped.loadTypesW.count == 15)
        #expect(CommunityProfiles.shipped.irradianceTypesWPerM2.count == 3)
    }

    @Test func badParametersAreRefusedWithTheField() {
        var parameters = CommunityParameters(households: 10, prosumerShare: 1.5)
        #expect(parameters.problem?.contains("prosumerShare") == true)
        parameters = CommunityParameters(households: 10, prosumerShare: 0.5)
        parameters.settlementMinutesChoices = [7]
        #expect(throws: CommunityDayError.self) {
            try CommunityDay(options: CommunityDayOptions(parameters: parameters), profiles: .shipped)
        }
    }
}

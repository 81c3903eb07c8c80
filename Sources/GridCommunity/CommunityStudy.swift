import GridContracts

/// The experiment of CE-SDT's Figures 5-10 (Wang et al. 2023, section 4.2) on our ledger: one 24-hour day per
/// setting, the share of generating households from 10 % to 70 % at a fixed community size, and the community
/// size from 15 to 1,000 households at 50 %. Each day runs through the auction contract with signed transactions
/// (`CommunityDay`).
public struct CommunityStudyOptions: Sendable {
    public var shareSweepHouseholds = 1000
    public var prosumerShares: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    public var householdCounts: [Int] = [15, 50, 100, 200, 500, 1000]
    public var householdSweepShare = 0.5
    public var stepMinutes = 15
    public var settlementMinutesChoices = [15, 30, 60]
    public var clearingRule: EnergyAuctionConfiguration.ClearingRule = .payAsOffer
    /// `nil`: bid-based settlement; set: settlement against metered delivery.
    public var metering: CommunityMetering?
    public var seed: UInt64 = 2023

    public init() {}

    /// A small, coarse set-up for tests and smoke runs.
    public static var quick: CommunityStudyOptions {
        var options = CommunityStudyOptions()
        options.shareSweepHouseholds = 20
        options.prosumerShares = [0.1, 0.5, 0.7]
        options.householdCounts = [15, 30]
        options.stepMinutes = 60
        options.settlementMinutesChoices = [60]
        return options
    }

    public func dayOptions(households: Int, share: Double) -> CommunityDayOptions {
        var parameters = CommunityParameters(households: households, prosumerShare: share)
        parameters.stepMinutes = stepMinutes
        parameters.settlementMinutesChoices = settlementMinutesChoices
        parameters.seed = seed
        var options = CommunityDayOptions(parameters: parameters)
        options.clearingRule = clearingRule
        options.metering = metering
        return options
    }
}

/// The paper's figures the study prints beside ours (CE-SDT section 4.2, the text on Figure 10).
public struct CommunityPaperFigures: Sendable, Codable, Hashable {
    public var prosumerShare: Double
    public var consumersPercent: Double?
    public var prosumersPercent: Double?
    public var allPercent: Double?
    public var note: String

    public static let ceSdt: [CommunityPaperFigures] = [
        .init(
            prosumerShare: 0.3, consumersPercent: 68.3, prosumersPercent: nil, allPercent: nil,
            note: "over 30 %: Ω1 pays less than Ω2 would with the grid alone, 68.3 % of the original cost"),
        .init(prosumerShare: 0.5, consumersPercent: 60.2, prosumersPercent: 19.6, allPercent: 43.1, note: ""),
        .init(
            prosumerShare: 0.7, consumersPercent: 44.7, prosumersPercent: nil, allPercent: nil,
            note: "Ω2 earns money (cost below 0 %)"),
    ]
}

public struct CommunityStudyResult: Sendable, Codable, Hashable {
    public struct ShareRow: Sendable, Codable, Hashable {
        public var prosumerShare: Double
        public var households: Int
        public var prosumers: Int
        /// Daily cost as a percentage of the same households' grid-only cost (load bought from the grid at the
        /// time-of-use tariff, no PV, battery, shifting or trading).
        public var consumersPercent: Double
        public var prosumersPercent: Double?
        public var allPercent: Double
        /// Prosumers with PV, battery and shifting but no community trading (surplus at the feed-in tariff).
        public var prosumersWithoutTradingPercent: Double?
        public var consumersAverageCost: Double
        public var prosumersAverageCost: Double?
        public var peerToPeerKWh: Double
        public var fromGridKWh: Double
        public var feedInKWh: Double
        public var loadKWh: Double
        public var pvKWh: Double
        public var communityFund: Double
        public var transactions: Int
        public var refused: [String: Int]
        public var moneyResidualMicros: Int64
        public var batteriesBelowEndOfDaySOC: Int
        /// Metered settlement only: readings settled, offered energy not delivered, its grid charge and penalty.
        public var meterReadings: Int
        public var shortfallKWh: Double
        public var shortfallCharge: Double
        public var penalties: Double
        public var peerToPeerKWhByHour: [Double]
        public var fromGridKWhByHour: [Double]
        public var userNeedKWhByHour: [Double]
    }

    public struct SizeRow: Sendable, Codable, Hashable {
        public var households: Int
        public var prosumerShare: Double
        public var peerToPeerKWhPerHousehold: Double
        public var fromGridKWhPerHousehold: Double
        public var userNeedKWhPerHousehold: Double
        /// 10:00-14:00, where Figure 7 shows the grid's share falling with community size.
        public var middayFromGridKWhPerHousehold: Double
        public var allPercent: Double
        public var transactions: Int
    }

    public var stepMinutes: Int
    public var settlementMinutesChoices: [Int]
    public var clearingRule: String
    /// "bid" or "metered".
    public var settlement: String
    public var tariff: CommunityTariff
    public var shares: [ShareRow]
    public var sizes: [SizeRow]
    public var paper: [CommunityPaperFigures]
    public var transactionsTotal: Int
    /// The simulator replay of one day, when it was run.
    public var ledger: CommunityLedgerFigures?
}

public enum CommunityStudy {
    public static func run(
        _ options: CommunityStudyOptions, profiles: CommunityProfiles = .shipped,
        progress: (String) -> Void = { _ in }
    ) throws(CommunityDayError) -> CommunityStudyResult {
        var shares: [CommunityStudyResult.ShareRow] = []
        var total = 0
        for share in options.prosumerShares {
            let day = try CommunityDay(
                options: options.dayOptions(households: options.shareSweepHouseholds, share: share), profiles: profiles)
            let result = try day.run()
            total += result.transactionsSigned
            shares.append(shareRow(result, share: share))
            progress("share \(Int((share * 100).rounded())) %: \(result.transactionsSigned) transactions")
        }
        var sizes: [CommunityStudyResult.SizeRow] = []
        for households in options.householdCounts {
            let day = try CommunityDay(
                options: options.dayOptions(households: households, share: options.householdSweepShare),
                profiles: profiles)
            let result = try day.run()
            total += result.transactionsSigned
            sizes.append(sizeRow(result, share: options.householdSweepShare))
            progress("\(households) households: \(result.transactionsSigned) transactions")
        }
        return CommunityStudyResult(
            stepMinutes: options.stepMinutes, settlementMinutesChoices: options.settlementMinutesChoices,
            clearingRule: "\(options.clearingRule)", settlement: options.metering == nil ? "bid" : "metered",
            tariff: .nswTimeOfUse, shares: shares, sizes: sizes,
            paper: CommunityPaperFigures.ceSdt, transactionsTotal: total)
    }

    static func percent(_ cost: Int64, of base: Int64) -> Double {
        base == 0 ? 0 : Double(cost) / Double(base) * 100
    }

    static func byHour(_ values: [Int64], stepMinutes: Int) -> [Double] {
        let perHour = 60 / stepMinutes
        return (0..<24).map { hour in
            Double(values[(hour * perHour)..<((hour + 1) * perHour)].reduce(0, +)) / 1000
        }
    }

    static func shareRow(_ result: CommunityDayResult, share: Double) -> CommunityStudyResult.ShareRow {
        let consumers = result.consumers
        let prosumers = result.prosumerTotals
        let hasProsumers = prosumers.households > 0
        return .init(
            prosumerShare: share, households: result.households, prosumers: prosumers.households,
            consumersPercent: percent(consumers.costMicros, of: consumers.gridOnlyCostMicros),
            prosumersPercent: hasProsumers ? percent(prosumers.costMicros, of: prosumers.gridOnlyCostMicros) : nil,
            allPercent: percent(
                consumers.costMicros + prosumers.costMicros,
                of: consumers.gridOnlyCostMicros + prosumers.gridOnlyCostMicros),
            prosumersWithoutTradingPercent: hasProsumers
                ? percent(prosumers.withoutTradingCostMicros, of: prosumers.gridOnlyCostMicros) : nil,
            consumersAverageCost: consumers.households == 0
                ? 0 : Double(consumers.costMicros) / Double(consumers.households) / 1e6,
            prosumersAverageCost: hasProsumers
                ? Double(prosumers.costMicros) / Double(prosumers.households) / 1e6 : nil,
            peerToPeerKWh: Double(result.peerToPeerWh) / 1000, fromGridKWh: Double(result.fromGridWh) / 1000,
            feedInKWh: Double(result.feedInWh) / 1000, loadKWh: result.loadWh / 1000, pvKWh: result.pvWh / 1000,
            communityFund: Double(result.communityFundMicros) / 1e6, transactions: result.transactionsSigned,
            refused: result.transactionsRefused, moneyResidualMicros: result.moneyResidualMicros,
            batteriesBelowEndOfDaySOC: result.batteriesBelowEndOfDaySOC, meterReadings: result.meterReadings,
            shortfallKWh: Double(result.shortfallWh) / 1000,
            shortfallCharge: Double(result.shortfallChargeMicros) / 1e6,
            penalties: Double(result.penaltyMicros) / 1e6,
            peerToPeerKWhByHour: byHour(result.peerToPeerWhByInterval, stepMinutes: result.stepMinutes),
            fromGridKWhByHour: byHour(result.fromGridWhByInterval, stepMinutes: result.stepMinutes),
            userNeedKWhByHour: byHour(result.userNeedWhByInterval, stepMinutes: result.stepMinutes))
    }

    static func sizeRow(_ result: CommunityDayResult, share: Double) -> CommunityStudyResult.SizeRow {
        let count = Double(result.households)
        let middayGrid = byHour(result.fromGridWhByInterval, stepMinutes: result.stepMinutes)[10..<14].reduce(0, +)
        let all = result.consumers.costMicros + result.prosumerTotals.costMicros
        let allBase = result.consumers.gridOnlyCostMicros + result.prosumerTotals.gridOnlyCostMicros
        return .init(
            households: result.households, prosumerShare: share,
            peerToPeerKWhPerHousehold: Double(result.peerToPeerWh) / 1000 / count,
            fromGridKWhPerHousehold: Double(result.fromGridWh) / 1000 / count,
            userNeedKWhPerHousehold: Double(result.userNeedWhByInterval.reduce(0, +)) / 1000 / count,
            middayFromGridKWhPerHousehold: middayGrid / count, allPercent: percent(all, of: allBase),
            transactions: result.transactionsSigned)
    }
}

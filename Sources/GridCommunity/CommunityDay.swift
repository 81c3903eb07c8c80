import GridContracts
import GridCrypto
import GridLedger
import GridRegion

/// One day of a CE-SDT community run through the real auction contract: every request, offer, deadline and
/// settlement is an Ed25519-signed `Transaction`, checked (signature, chain, nonce) before the contract harness
/// executes it exactly as a block would. Deterministic: the same options give the same ledger state.
///
/// The flow per settlement interval k (CE-SDT section 2): households whose own settlement interval (eq. 14)
/// starts at k read the recent traded prices from the ledger, compute their suggested price (eqs. 5-6) and send
/// an offer (surplus) or a request (need); a household that does not bid sends its request with limit 0, which no
/// offer (all priced at or above the feed-in tariff, > 0) can meet, so the contract serves it from the grid
/// (step 3.1). The operator's `close` is the deadline, its `clear` ranks offers and requests (eqs. 12-13),
/// prices the pairs by the configured rule and bills everyone: the settlement.
public struct CommunityDayOptions: Sendable {
    public var parameters: CommunityParameters
    public var tariff: CommunityTariff = .nswTimeOfUse
    public var pricing = PriceSuggestion()
    public var clearingRule: EnergyAuctionConfiguration.ClearingRule = .payAsOffer
    public var chainID: ChainID = 0xCE5D
    public var region: RegionID = 0
    /// Keep every signed transaction, per interval, for a replay on the simulator.
    public var keepTransactions = false
    /// Bid-based settlement (`nil`: a household's bid is what it delivers) or settlement against metered delivery
    /// (You et al.): offers come from a forecast, sellers prepay a margin, their meters sign what they exported.
    public var metering: CommunityMetering?

    public init(parameters: CommunityParameters) { self.parameters = parameters }
}

/// Settlement against metered delivery in the community study. Offers are made on a forecast of the household's
/// export, off by a factor 1 + ε with ε drawn per household and interval from ±`forecastErrorHalfWidth`; after
/// the clearing, each seller's meter signs its real export and the household sends it as `meterReading`.
public struct CommunityMetering: Sendable, Hashable {
    /// Covers the dearest shortfall: the peak grid tariff plus the penalty.
    public var marginMicrosPerKWh: Int64 = 550_000
    public var penaltyMicrosPerKWh: Int64 = 100_000
    public var forecastErrorHalfWidth = 0.15

    public init() {}
}

public struct CommunityDayError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a day produced. Money in micro-units, energy in Wh.
public struct CommunityDayResult: Sendable, Codable, Hashable {
    public struct ClassTotals: Sendable, Codable, Hashable {
        public var households = 0
        /// What the class paid over the day on the ledger (balance decrease; negative means it earned).
        public var costMicros: Int64 = 0
        /// The same load bought entirely from the grid, without PV, battery, shifting or trading.
        public var gridOnlyCostMicros: Int64 = 0
        /// With PV, battery and shifting but no community trading: needs at the grid tariff, surplus at feed-in.
        public var withoutTradingCostMicros: Int64 = 0
    }

    public var households: Int
    public var prosumers: Int
    public var stepMinutes: Int
    public var clearingRule: String
    public var consumers = ClassTotals()
    public var prosumerTotals = ClassTotals()
    public var loadWh: Double = 0
    public var pvWh: Double = 0
    public var peerToPeerWh: Int64 = 0
    public var fromGridWh: Int64 = 0
    public var feedInWh: Int64 = 0
    /// Energy requested by households that did not bid (step 3.1), all served by the grid.
    public var unbidRequestWh: Int64 = 0
    public var communityFundMicros: Int64 = 0
    /// Per interval: energy traded peer to peer, bought from the grid and fed in (Figures 5, 7, 9), Wh.
    public var peerToPeerWhByInterval: [Int64] = []
    public var fromGridWhByInterval: [Int64] = []
    public var feedInWhByInterval: [Int64] = []
    /// Per interval: the energy the households needed from the system after their own PV and battery (the
    /// paper's "user usage", Figures 5, 6, 8), Wh.
    public var userNeedWhByInterval: [Int64] = []
    public var batteryChargedWh: Double = 0
    public var batteryDischargedWh: Double = 0
    /// Batteries that ended the day below SOC_dsr (eq. 11; only possible on a day with too little sun).
    public var batteriesBelowEndOfDaySOC = 0
    public var lowestStateOfCharge: Double = 1
    public var highestStateOfCharge: Double = 0
    /// Ledger side: transactions signed, verified and executed, and those refused, by reason.
    public var transactionsSigned = 0
    public var transactionsCommitted = 0
    public var transactionsRefused: [String: Int] = [:]
    /// Conservation check: Σ balance changes + community fund + margins held − feed-in paid + grid paid
    /// + metered shortfall charges (must be 0).
    public var moneyResidualMicros: Int64 = 0
    /// Metered settlement: readings settled, offered energy not delivered, and what it cost the sellers.
    public var meterReadings = 0
    public var shortfallWh: Int64 = 0
    public var shortfallChargeMicros: Int64 = 0
    public var penaltyMicros: Int64 = 0
    public var marginsHeldAtEndMicros: Int64 = 0
}

/// The signed transactions of one interval, in submission order: bids first, then the operator's close and clear.
public struct CommunityInterval: Sendable {
    public var interval: UInt64
    public var bids: [Transaction]
    public var close: Transaction
    public var clear: Transaction
    /// Metered settlement: the sellers' meter readings, sent once `clear` has run.
    public var readings: [Transaction] = []
}

public struct CommunityDay {
    public let options: CommunityDayOptions
    public let households: [Household]
    public let flows: [HouseholdFlows]
    public let contract: EnergyAuctionContract
    public let operatorKey: KeyPair
    public let householdKeys: [KeyPair]
    /// Each household's meter (used under metered settlement; prosumers' meters are registered with the contract).
    public let meterKeys: [KeyPair]
    /// The meters' head-end system, which forwards the meter-signed readings as its own transactions (any sender
    /// may: the meter's signature is what the contract trusts), so readings never race a household's own nonces.
    public let meterHeadEndKey: KeyPair
    public static let initialBalanceMicros: Int64 = 1_000_000_000

    public init(options: CommunityDayOptions, profiles: CommunityProfiles) throws(CommunityDayError) {
        let parameters = options.parameters
        if let problem = parameters.problem ?? options.tariff.problem ?? options.pricing.problem {
            throw CommunityDayError("invalid community: \(problem)")
        }
        if let problem = profiles.problem { throw CommunityDayError("invalid profiles: \(problem)") }
        guard parameters.stepMinutes % profiles.stepMinutes == 0 else {
            throw CommunityDayError(
                "stepMinutes \(parameters.stepMinutes) is not a multiple of the profiles' \(profiles.stepMinutes)")
        }
        let resampled = profiles.resampled(toStepMinutes: parameters.stepMinutes)
        self.options = options
        households = Household.community(parameters, profiles: resampled)
        flows = households.map {
            HouseholdFlows(household: $0, stepMinutes: parameters.stepMinutes, tariff: options.tariff)
        }
        operatorKey = KeyPair.derived(masterSeed: parameters.seed, label: "ce-sdt/operator")
        householdKeys = households.map {
            KeyPair.derived(masterSeed: parameters.seed, label: "ce-sdt/household/\($0.index)")
        }
        meterKeys = households.map { KeyPair.derived(masterSeed: parameters.seed, label: "ce-sdt/meter/\($0.index)") }
        meterHeadEndKey = KeyPair.derived(masterSeed: parameters.seed, label: "ce-sdt/meter-head-end")
        var registry: [PublicKey: EnergyAuctionConfiguration.Participant] = [:]
        var meters: [PublicKey: PublicKey] = [:]
        for (index, household) in households.enumerated() {
            let key = householdKeys[index].publicKey
            registry[key] = .init(
                household.kind == .prosumer ? .prosumer : .consumer, initialBalanceMicros: Self.initialBalanceMicros)
            if household.kind == .prosumer { meters[key] = meterKeys[index].publicKey }
        }
        let configuration = EnergyAuctionConfiguration(
            region: options.region, operatorKey: operatorKey.publicKey, participants: registry,
            gridTariffMicrosPerKWhBySlot: options.tariff.contractSlots(intervalMinutes: parameters.stepMinutes),
            feedInTariffMicrosPerKWh: options.tariff.feedInMicrosPerKWh, clearingRule: options.clearingRule,
            priceHistoryIntervals: options.pricing.historyLength,
            bidsPerIntervalMax: max(1024, parameters.households + 16),
            metering: options.metering.map {
                .init(
                    meterKeys: meters, marginMicrosPerKWh: $0.marginMicrosPerKWh,
                    penaltyMicrosPerKWh: $0.penaltyMicrosPerKWh)
            })
        do { contract = try EnergyAuctionContract(configuration: configuration) } catch {
            throw CommunityDayError("auction configuration: \(error)")
        }
    }

    /// Runs the day; `intervals` receives each interval's signed transactions when `keepTransactions` is set.
    public func run(intervals: inout [CommunityInterval]) throws(CommunityDayError) -> CommunityDayResult {
        let parameters = options.parameters
        let stepMinutes = parameters.stepMinutes
        let steps = 24 * 60 / stepMinutes
        let hours = Double(stepMinutes) / 60
        let feedIn = options.tariff.feedInMicrosPerKWh
        var harness = ContractHarness(contracts: [contract], region: options.region)
        var ledger = SignedLedger(chainID: options.chainID, region: options.region)
        var nonces = Array(repeating: UInt64(0), count: households.count)
        var operatorNonce: UInt64 = 0
        var headEndNonce: UInt64 = 0
        var recentPositions: [Double] = []
        var result = CommunityDayResult(
            households: households.count, prosumers: parameters.prosumerCount, stepMinutes: stepMinutes,
            clearingRule: "\(options.clearingRule)")
        var withoutTrading = Array(repeating: Int64(0), count: households.count)
        var exportedWh: [Int: Int64] = [:]
        let read: ([UInt8]) -> [UInt8]? = { harness.value(EnergyAuctionContract.contractName, $0) }

        for step in 0..<steps {
            let interval = UInt64(step)
            let grid = options.tariff.gridMicrosPerKWh(hour: step * stepMinutes / 60)
            var bids: [Transaction] = []
            var needWh: Int64 = 0
            exportedWh.removeAll(keepingCapacity: true)
            for (index, household) in households.enumerated()
            where (step * stepMinutes) % household.settlementMinutes == 0 {
                let periodSteps = household.settlementMinutes / stepMinutes
                let netWh = flows[index].netWh(steps: step..<min(steps, step + periodSteps), stepMinutes: stepMinutes)
                let actualWh = Int64(netWh.magnitude.rounded())
                var energyWh = actualWh
                if let metering = options.metering, netWh > 0 {
                    // The offer is a forecast; the meter will tell what was really exported.
                    var random = CommunityRandom(seed: parameters.seed ^ (UInt64(index) << 20) ^ UInt64(step))
                    let error = (random.unit() * 2 - 1) * metering.forecastErrorHalfWidth
                    exportedWh[index] = actualWh
                    energyWh = Int64((netWh * (1 + error)).rounded())
                }
                guard energyWh > 0 else { continue }
                let arguments: [UInt8]
                let method: EnergyAuctionContract.Method
                if netWh > 0 {
                    let position =
                        options.pricing.sellingPosition(
                            surplusKWh: Double(energyWh) / 1000, recentPositions: recentPositions)
                        + household.priceMargin
                    let price = PriceSuggestion.price(atBandPosition: position, feedIn: feedIn, grid: grid)
                    method = .offer
                    arguments = EnergyAuctionContract.offerArguments(
                        interval: interval, energyWh: energyWh, priceMicrosPerKWh: price)
                    withoutTrading[index] -= actualWh * feedIn / 1000
                } else {
                    needWh += energyWh
                    var limit: Int64 = 0
                    if household.bids {
                        let position =
                            options.pricing.buyingPosition(
                                needKWh: Double(energyWh) / 1000, recentPositions: recentPositions)
                            + household.priceMargin
                        limit = PriceSuggestion.price(atBandPosition: position, feedIn: feedIn, grid: grid)
                    } else {
                        result.unbidRequestWh += energyWh
                    }
                    method = .request
                    arguments = EnergyAuctionContract.requestArguments(
                        interval: interval, energyWh: energyWh, limitPriceMicrosPerKWh: limit)
                    withoutTrading[index] += energyWh * grid / 1000
                }
                nonces[index] += 1
                bids.append(
                    Transaction(
                        chainID: options.chainID, region: options.region, signer: householdKeys[index],
                        nonce: nonces[index], contract: EnergyAuctionContract.contractName, method: method.rawValue,
                        arguments: arguments))
            }
            operatorNonce += 1
            let close = Transaction(
                chainID: options.chainID, region: options.region, signer: operatorKey, nonce: operatorNonce,
                contract: EnergyAuctionContract.contractName, method: EnergyAuctionContract.Method.close.rawValue,
                arguments: EnergyAuctionContract.intervalArguments(interval))
            operatorNonce += 1
            let clear = Transaction(
                chainID: options.chainID, region: options.region, signer: operatorKey, nonce: operatorNonce,
                contract: EnergyAuctionContract.contractName, method: EnergyAuctionContract.Method.clear.rawValue,
                arguments: EnergyAuctionContract.intervalArguments(interval))
            for transaction in bids + [close, clear] {
                result.transactionsSigned += 1
                ledger.execute(transaction, in: &harness)
            }
            var readings: [Transaction] = []
            if options.metering != nil {
                for index in exportedWh.keys.sorted() {
                    let meterArguments = EnergyAuctionContract.meterReadingArguments(
                        region: options.region, interval: interval, account: householdKeys[index].publicKey,
                        exportedWh: exportedWh[index]!, meter: meterKeys[index])
                    headEndNonce += 1
                    readings.append(
                        Transaction(
                            chainID: options.chainID, region: options.region, signer: meterHeadEndKey,
                            nonce: headEndNonce, contract: EnergyAuctionContract.contractName,
                            method: EnergyAuctionContract.Method.meterReading.rawValue, arguments: meterArguments))
                }
                for transaction in readings {
                    result.transactionsSigned += 1
                    guard let output = ledger.execute(transaction, in: &harness)?.output else { continue }
                    guard let settlement = try? EnergyAuctionContract.decodeMeteredSettlement(output) else {
                        // Executed, yet its receipt does not read: counted, so the figures below cannot hide it.
                        ledger.refusedByReason["settlement receipt undecodable", default: 0] += 1
                        continue
                    }
                    result.meterReadings += 1
                    result.shortfallWh += settlement.shortfallCommunityWh + settlement.shortfallFeedInWh
                    result.shortfallChargeMicros += settlement.gridChargeMicros
                    result.penaltyMicros += settlement.penaltyMicros
                    result.moneyResidualMicros += settlement.gridChargeMicros
                }
            }
            if options.keepTransactions {
                intervals.append(
                    CommunityInterval(interval: interval, bids: bids, close: close, clear: clear, readings: readings))
            }
            result.userNeedWhByInterval.append(needWh)

            let cleared = contract.clearedResult(interval: interval, reading: read)
            var p2pWh: Int64 = 0
            var gridWh: Int64 = 0
            var feedInWh: Int64 = 0
            if let cleared {
                p2pWh = cleared.trades.reduce(0) { $0 + $1.energyWh }
                gridWh = cleared.gridPurchases.reduce(0) { $0 + $1.energyWh }
                feedInWh = cleared.feedIns.reduce(0) { $0 + $1.energyWh }
                if let pair = cleared.breakEven {
                    let mid =
                        pair.offerPriceMicrosPerKWh
                        + (pair.requestLimitMicrosPerKWh - pair.offerPriceMicrosPerKWh) / 2
                    recentPositions.append(PriceSuggestion.bandPosition(mid, feedIn: feedIn, grid: grid))
                    if recentPositions.count > options.pricing.historyLength { recentPositions.removeFirst() }
                }
                result.moneyResidualMicros -= cleared.feedIns.reduce(0) { $0 + $1.amountMicros }
                result.moneyResidualMicros += cleared.gridPurchases.reduce(0) { $0 + $1.amountMicros }
            }
            result.peerToPeerWhByInterval.append(p2pWh)
            result.fromGridWhByInterval.append(gridWh)
            result.feedInWhByInterval.append(feedInWh)
            result.peerToPeerWh += p2pWh
            result.fromGridWh += gridWh
            result.feedInWh += feedInWh
        }
        result.transactionsCommitted = ledger.committed
        result.transactionsRefused = ledger.refusedByReason
        result.marginsHeldAtEndMicros = try Self.stored { () throws(ContractError) in
            try contract.escrowedMarginMicros(reading: read)
        }
        let fundHeld = try Self.stored { () throws(ContractError) in try contract.communityFundMicros(reading: read) }
        result.communityFundMicros = fundHeld
        result.moneyResidualMicros += fundHeld + result.marginsHeldAtEndMicros

        for (index, household) in households.enumerated() {
            let balance =
                try Self.stored { () throws(ContractError) in
                    try contract.balanceMicros(of: householdKeys[index].publicKey, reading: read)
                } ?? Self.initialBalanceMicros
            let cost = Self.initialBalanceMicros - balance
            result.moneyResidualMicros -= cost
            var gridOnly = 0.0
            for step in 0..<steps {
                let grid = options.tariff.gridMicrosPerKWh(hour: step * stepMinutes / 60)
                gridOnly += household.profileLoadW[step] * hours * Double(grid) / 1000
            }
            let flow = flows[index]
            result.loadWh += flow.loadW.reduce(0, +) * hours
            result.pvWh += flow.pvW.reduce(0, +) * hours
            result.batteryChargedWh += flow.batteryChargedWh
            result.batteryDischargedWh += flow.batteryDischargedWh
            if let last = flow.stateOfCharge.last, let parameters = household.battery?.parameters {
                if last < parameters.socEndOfDayMin - 1e-9 { result.batteriesBelowEndOfDaySOC += 1 }
                result.lowestStateOfCharge = min(result.lowestStateOfCharge, flow.stateOfCharge.min() ?? 1)
                result.highestStateOfCharge = max(result.highestStateOfCharge, flow.stateOfCharge.max() ?? 0)
            }
            func add(_ totals: inout CommunityDayResult.ClassTotals) {
                totals.households += 1
                totals.costMicros += cost
                totals.gridOnlyCostMicros += Int64(gridOnly.rounded())
                totals.withoutTradingCostMicros += withoutTrading[index]
            }
            if household.kind == .prosumer { add(&result.prosumerTotals) } else { add(&result.consumers) }
        }
        return result
    }

    /// A value read back from the contract's table; one that does not decode ends the day with an error.
    private static func stored<Value>(_ read: () throws(ContractError) -> Value) throws(CommunityDayError) -> Value {
        do { return try read() } catch { throw CommunityDayError("the auction's table: \(error)") }
    }

    public func run() throws(CommunityDayError) -> CommunityDayResult {
        var ignored: [CommunityInterval] = []
        return try run(intervals: &ignored)
    }
}

/// The admission checks a validator makes before executing a transaction (signature, chain, region, nonce in
/// order), then execution through the contract harness. Every refusal is counted by reason.
struct SignedLedger {
    let chainID: ChainID
    let region: RegionID
    var nextNonce: [PublicKey: UInt64] = [:]
    var committed = 0
    var refusedByReason: [String: Int] = [:]

    init(chainID: ChainID, region: RegionID) {
        self.chainID = chainID
        self.region = region
    }

    /// Returns the contract's outcome, or `nil` when admission refused the transaction.
    @discardableResult
    mutating func execute(_ transaction: Transaction, in harness: inout ContractHarness) -> ContractHarness.Outcome? {
        // What a validator decodes from the wire: names, sizes and limits as the mempool checks them.
        guard (try? Transaction(decoding: transaction.encoded())) == transaction else {
            refusedByReason["malformed", default: 0] += 1
            return nil
        }
        guard transaction.chainID == chainID, transaction.region == region else {
            refusedByReason["wrong chain or region", default: 0] += 1
            return nil
        }
        guard transaction.verifySignature() else {
            refusedByReason["bad signature", default: 0] += 1
            return nil
        }
        let expected = nextNonce[transaction.sender, default: 1]
        guard transaction.nonce == expected else {
            refusedByReason["nonce \(transaction.nonce), expected \(expected)", default: 0] += 1
            return nil
        }
        nextNonce[transaction.sender] = expected + 1
        let outcome = harness.call(
            transaction.contract, transaction.method, arguments: transaction.arguments, sender: transaction.sender)
        if let reason = outcome.failureReason {
            refusedByReason[reason, default: 0] += 1
        } else {
            committed += 1
        }
        return outcome
    }
}

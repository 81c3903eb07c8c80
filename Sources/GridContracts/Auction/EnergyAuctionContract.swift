import GridCrypto
import GridLedger
import GridRegion

/// A community energy auction per settlement interval, after CE-SDT (Wang et al., "CE-SDT: A new blockchain-based
/// distributed community energy trading mechanism", Front. Energy Res. 10:1091350, 2023, section 2).
///
/// The flow of one interval `k`:
/// 1. Registered consumers and prosumers send `request(k, energyWh, limitPriceMicrosPerKWh)`; prosumers (with
///    generation or storage) send `offer(k, energyWh, priceMicrosPerKWh)`. A participant may place several bids.
/// 2. The operator's `close(k)` is the deadline; any later bid for `k` fails with "late bid".
/// 3. The operator's `clear(k)` sorts offers ascending by price and requests descending by limit, accepts them in
///    order while limit >= price (partial fills allowed), prices the matches by the configured rule, buys the
///    unmatched demand from the grid at the time-of-use tariff of `k`, sells the unsold surplus at the feed-in
///    tariff, bills every account, updates the suggested price and returns the `ClearingResult`.
///
/// Our reading of CE-SDT's equations 5, 6, 12 and 13: we could retrieve the paper's abstract but not its equation
/// text, so the following is the flow of its section 2 as our design brief states it, written as balances, not a
/// quotation. Energy (our eq. 5/6): for every request, energy bought in the community + energy bought from the grid
/// = the requested energy; for every offer, energy sold in the community + energy fed in = the offered energy; a
/// matched pair moves min(remaining request, remaining offer). Money (our eq. 12/13): a buyer's bill is
/// Σ trade amounts + grid energy × time-of-use tariff; a seller's income is Σ trade amounts + surplus × feed-in
/// tariff. Under `.payAsOffer` a pair trades at the offer price (CE-SDT's flow: sellers post prices and the
/// contract accepts them in order for the requester); under `.uniformPrice` every trade is at the mid-price of the
/// break-even pair (the average mechanism of the uniform-price double auction); under `.payAsBid` each side settles
/// at its own price and the spread goes to the community fund (`communityFundMicros`). Amounts are
/// `floor(energyWh × price / 1000)` micro-units, computed once per trade and side, so money is conserved except
/// for the grid and feed-in flows (participants + community fund + inter-region accounts).
///
/// Balances are signed: a negative balance is debt to the grid operator, because residual demand must be served
/// whatever the household holds (billing never fails for lack of funds).
///
/// Inter-region rounds: with a neighbour configured, the region's *net* residual after local matching (residual
/// demand minus residual supply, which is what actually crosses the substation) is sent to the neighbour as one
/// `interRegionRequest` (limit = this interval's grid tariff) or `interRegionOffer` (price = feed-in tariff); the
/// local bills are final either way, the region's grid side standing behind the export. The receiving region applies
/// the message (`interRegionOffer` / `interRegionRequest`, each applied at most once) when the global layer
/// delivers it (sender `configuration.relayKey`, normally `RegionApplication.globalLayerSender`; the operator may
/// also apply one by hand), which pools it for the region's next clearing: there it competes with local bids,
/// trades against the origin region's settlement account (`interRegionBalance`), and lapses if unmatched — it is
/// never re-exported.
public struct EnergyAuctionContract: Contract {
    public static let contractName = "auction"

    public enum Method: String, CaseIterable, Sendable {
        case request, offer, close, clear, suggestPrice, balance, interRegionBalance, clearedResult, communityFund
        case interRegionOffer, interRegionRequest
        /// Transaction method names are lower case on the wire (`Transaction.isValidIdentifier`).
        case meterReading = "meter_reading"
        case escrowedMargins
    }

    public let configuration: EnergyAuctionConfiguration
    public var name: String { Self.contractName }

    public init(configuration: EnergyAuctionConfiguration) throws(ContractError) {
        try configuration.validate()
        self.configuration = configuration
    }

    public func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        guard context.region == configuration.region else {
            throw ContractError("wrong region: the auction runs in region \(configuration.region)")
        }
        guard let known = Method(rawValue: method) else {
            throw ContractError("unknown method \(method.prefix(64))")
        }
        switch known {
        case .request: return try submitBid(.request, arguments, &context)
        case .offer: return try submitBid(.offer, arguments, &context)
        case .close: return try close(arguments, &context)
        case .clear: return try clear(arguments, &context)
        case .suggestPrice: return Self.encode(try suggestPrice(interval: Self.readInterval(arguments), context))
        case .balance: return try balance(arguments, context)
        case .interRegionBalance: return try interRegionBalance(arguments, context)
        case .clearedResult: return try clearedResult(arguments, context)
        case .communityFund:
            try ArgumentReader(arguments).end()
            return AuctionStore.encodeInt64(try communityFundMicros(reading: { context.get($0) }))
        case .interRegionOffer: return try applyInbound(.offer, arguments, &context)
        case .interRegionRequest: return try applyInbound(.request, arguments, &context)
        case .meterReading: return try applyMeterReading(arguments, &context)
        case .escrowedMargins:
            try ArgumentReader(arguments).end()
            return AuctionStore.encodeInt64(try escrowedMarginMicros(reading: { context.get($0) }))
        }
    }

    // MARK: - Read helpers

    /// An account's balance, reading the auction's table through `read` (for example
    /// `{ harness.value(EnergyAuctionContract.contractName, $0) }`); `nil` for an unregistered key.
    public func balanceMicros(of account: PublicKey, reading read: ([UInt8]) -> [UInt8]?) throws(ContractError)
        -> Int64?
    {
        guard let participant = configuration.participants[account] else { return nil }
        guard let bytes = read(AuctionStore.balanceKey(account)) else { return participant.initialBalanceMicros }
        return try AuctionStore.decodeInt64(bytes, "balance")
    }

    /// What this region's participants owe (negative) or are owed by (positive) `region` from inter-region trades.
    public func interRegionBalanceMicros(of region: RegionID, reading read: ([UInt8]) -> [UInt8]?)
        throws(ContractError) -> Int64
    {
        guard let bytes = read(AuctionStore.regionBalanceKey(region)) else { return 0 }
        return try AuctionStore.decodeInt64(bytes, "regionBalance")
    }

    /// What the community fund holds: the spreads of every pay-as-bid trade so far (0 under the other rules).
    public func communityFundMicros(reading read: ([UInt8]) -> [UInt8]?) throws(ContractError) -> Int64 {
        guard let bytes = read(AuctionStore.communityFundKey) else { return 0 }
        return try AuctionStore.decodeInt64(bytes, "communityFund")
    }

    /// The stored result of a cleared interval, or `nil` if it was not cleared.
    public func clearedResult(interval: UInt64, reading read: ([UInt8]) -> [UInt8]?) -> ClearingResult? {
        guard let bytes = read(AuctionStore.resultKey(interval)) else { return nil }
        return try? Self.decodeClearingResult(bytes)
    }

    // MARK: - Bids

    private func submitBid(
        _ side: AuctionSide, _ arguments: [UInt8], _ context: inout ContractContext
    ) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let interval = try reader.uint64("interval")
        let energyWh = try reader.int64("energyWh")
        let priceMicrosPerKWh = try reader.int64(side == .offer ? "priceMicrosPerKWh" : "limitPriceMicrosPerKWh")
        try reader.end()

        guard let participant = configuration.participants[context.sender] else {
            throw ContractError("unregistered participant")
        }
        guard side == .request || participant.participantClass == .prosumer else {
            throw ContractError("only prosumers may offer energy")
        }
        try validate(energyWh: energyWh, priceMicrosPerKWh: priceMicrosPerKWh)
        guard try AuctionStore.phase(context.get(AuctionStore.phaseKey(interval))) == .open else {
            throw ContractError("late bid: interval \(interval) is closed")
        }
        let count = try bidCount(interval, context)
        guard count < configuration.bidsPerIntervalMax else {
            throw ContractError("interval \(interval) is full (\(configuration.bidsPerIntervalMax) bids)")
        }
        let index = UInt32(count)
        let bid = AuctionStoredBid(
            side: side, account: context.sender, energyWh: energyWh, priceMicrosPerKWh: priceMicrosPerKWh)
        context.set(AuctionStore.bidKey(interval, index), AuctionStore.encode(bid))
        context.set(AuctionStore.bidCountKey(interval), AuctionStore.encodeUInt32(index + 1))
        return AuctionStore.encodeUInt32(index)
    }

    /// The bounds every bid obeys, local or inter-region; they keep every amount of a clearing inside `Int64`.
    private func validate(energyWh: Int64, priceMicrosPerKWh: Int64, energyWhMax: Int64? = nil) throws(ContractError) {
        let limitWh = energyWhMax ?? configuration.bidEnergyWhMax
        guard energyWh > 0 else { throw ContractError("energy must be positive") }
        guard energyWh <= limitWh else { throw ContractError("energy exceeds the limit of \(limitWh) Wh") }
        guard priceMicrosPerKWh >= 0 else { throw ContractError("price must not be negative") }
        guard priceMicrosPerKWh <= configuration.priceMicrosPerKWhMax else {
            throw ContractError("price exceeds the limit of \(configuration.priceMicrosPerKWhMax) micros/kWh")
        }
        _ = try AuctionArithmetic.amountMicros(energyWh: energyWh, priceMicrosPerKWh: priceMicrosPerKWh)
    }

    private func bidCount(_ interval: UInt64, _ context: ContractContext) throws(ContractError) -> Int {
        guard let bytes = context.get(AuctionStore.bidCountKey(interval)) else { return 0 }
        return Int(try AuctionStore.decodeUInt32(bytes, "bidCount"))
    }

    // MARK: - Operator

    private func requireOperator(_ context: ContractContext, _ action: String) throws(ContractError) {
        guard context.sender == configuration.operatorKey else {
            throw ContractError("only the operator may \(action)")
        }
    }

    private static func readInterval(_ arguments: [UInt8]) throws(ContractError) -> UInt64 {
        var reader = ArgumentReader(arguments)
        let interval = try reader.uint64("interval")
        try reader.end()
        return interval
    }

    private func close(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        let interval = try Self.readInterval(arguments)
        try requireOperator(context, "close an interval")
        switch try AuctionStore.phase(context.get(AuctionStore.phaseKey(interval))) {
        case .open: context.set(AuctionStore.phaseKey(interval), [AuctionIntervalPhase.closed.rawValue])
        case .closed: throw ContractError("interval \(interval) is already closed")
        case .cleared: throw ContractError("interval \(interval) is already cleared")
        }
        return []
    }

    private func clear(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        let interval = try Self.readInterval(arguments)
        try requireOperator(context, "clear an interval")
        switch try AuctionStore.phase(context.get(AuctionStore.phaseKey(interval))) {
        case .open: throw ContractError("interval \(interval) is not closed")
        case .cleared: throw ContractError("interval \(interval) is already cleared")
        case .closed: break
        }

        var (offers, requests) = try takeLocalBids(interval, &context)
        try takePooledBids(after: offers.count + requests.count, into: &offers, &requests, &context)
        let outcome = try AuctionClearing.clear(offers: offers, requests: requests, rule: configuration.clearingRule)

        let gridTariff = configuration.gridTariffMicrosPerKWh(interval: interval)
        let feedInTariff = configuration.feedInTariffMicrosPerKWh
        let residual = try Residual(outcome)
        let gridPurchases = try residual.flows(residual.gridWhByAccount, priceMicrosPerKWh: gridTariff)
        let feedIns = try residual.flows(residual.feedInWhByAccount, priceMicrosPerKWh: feedInTariff)
        let fundMicros = try bill(trades: outcome.trades, gridPurchases: gridPurchases, feedIns: feedIns, &context)
        if configuration.metering != nil {
            var soldWh: [PublicKey: Int64] = [:]
            for trade in outcome.trades {
                if case .account(let seller) = trade.seller {
                    soldWh[seller] = try AuctionArithmetic.add(
                        soldWh[seller, default: 0], trade.energyWh, "sold energy")
                }
            }
            let fedInWh = Dictionary(uniqueKeysWithValues: feedIns.map { ($0.account, $0.energyWh) })
            try takeMargins(interval: interval, soldWh: soldWh, fedInWh: fedInWh, &context)
        }
        let suggested = try recordPriceWindow(outcome.trades, &context)
        let exportedTo = try exportResidual(interval, residual, gridTariff: gridTariff, &context)

        let result = ClearingResult(
            interval: interval, clearingRule: configuration.clearingRule, gridTariffMicrosPerKWh: gridTariff,
            feedInTariffMicrosPerKWh: feedInTariff, breakEven: outcome.breakEven,
            uniformPriceMicrosPerKWh: outcome.uniformPriceMicrosPerKWh, trades: outcome.trades,
            gridPurchases: gridPurchases, feedIns: feedIns, residualDemandWh: residual.demandWh,
            residualSupplyWh: residual.supplyWh, exportedToRegion: exportedTo,
            expiredInterRegionWh: residual.expiredInterRegionWh, suggestedPriceMicrosPerKWh: suggested,
            communityFundMicros: fundMicros)
        let output = Self.encode(result)
        context.set(AuctionStore.resultKey(interval), output)
        context.set(AuctionStore.phaseKey(interval), [AuctionIntervalPhase.cleared.rawValue])
        return output
    }

    /// Reads the interval's book and deletes it: the result replaces it, so state does not grow with bids.
    private func takeLocalBids(
        _ interval: UInt64, _ context: inout ContractContext
    ) throws(ContractError) -> (offers: [AuctionBid], requests: [AuctionBid]) {
        var offers: [AuctionBid] = []
        var requests: [AuctionBid] = []
        for index in 0..<UInt32(try bidCount(interval, context)) {
            let key = AuctionStore.bidKey(interval, index)
            guard let bytes = context.get(key) else { throw ContractError("corrupt auction state: missing bid") }
            let stored = try AuctionStore.decodeBid(bytes)
            let bid = AuctionBid(
                party: .account(stored.account), energyWh: stored.energyWh, priceMicrosPerKWh: stored.priceMicrosPerKWh,
                order: Int(index))
            if stored.side == .offer { offers.append(bid) } else { requests.append(bid) }
            context.delete(key)
        }
        context.delete(AuctionStore.bidCountKey(interval))
        return (offers, requests)
    }

    /// Moves the inter-region pool into this clearing (the "next round" after the messages arrived), ordered after
    /// every local bid so that at equal prices the community's own bids are served first.
    private func takePooledBids(
        after localCount: Int, into offers: inout [AuctionBid], _ requests: inout [AuctionBid],
        _ context: inout ContractContext
    ) throws(ContractError) {
        for index in 0..<UInt32(try poolCount(context)) {
            let key = AuctionStore.poolKey(index)
            guard let bytes = context.get(key) else { throw ContractError("corrupt auction state: missing pool entry") }
            let pooled = try AuctionStore.decodePooled(bytes)
            let bid = AuctionBid(
                party: .region(pooled.bid.originRegion), energyWh: pooled.bid.energyWh,
                priceMicrosPerKWh: pooled.bid.priceMicrosPerKWh, order: localCount + Int(index))
            if pooled.side == .offer { offers.append(bid) } else { requests.append(bid) }
            context.delete(key)
        }
        context.delete(AuctionStore.poolCountKey)
    }

    /// What the ordered acceptance left: local remainders go to the grid, inter-region remainders lapse.
    private struct Residual {
        var gridWhByAccount: [PublicKey: Int64] = [:]
        var feedInWhByAccount: [PublicKey: Int64] = [:]
        var demandWh: Int64 = 0
        var supplyWh: Int64 = 0
        var expiredInterRegionWh: Int64 = 0

        init(_ outcome: AuctionClearing.Outcome) throws(ContractError) {
            for request in outcome.requests where request.remainingWh > 0 {
                switch request.party {
                case .account(let account):
                    gridWhByAccount[account] = try AuctionArithmetic.add(
                        gridWhByAccount[account, default: 0], request.remainingWh, "grid energy")
                    demandWh = try AuctionArithmetic.add(demandWh, request.remainingWh, "residual demand")
                case .region:
                    expiredInterRegionWh = try AuctionArithmetic.add(
                        expiredInterRegionWh, request.remainingWh, "expired energy")
                }
            }
            for offer in outcome.offers where offer.remainingWh > 0 {
                switch offer.party {
                case .account(let account):
                    feedInWhByAccount[account] = try AuctionArithmetic.add(
                        feedInWhByAccount[account, default: 0], offer.remainingWh, "feed-in energy")
                    supplyWh = try AuctionArithmetic.add(supplyWh, offer.remainingWh, "residual supply")
                case .region:
                    expiredInterRegionWh = try AuctionArithmetic.add(
                        expiredInterRegionWh, offer.remainingWh, "expired energy")
                }
            }
        }

        /// One flow per account, sorted by key bytes; rounding is applied once to each account's total energy.
        func flows(_ energyByAccount: [PublicKey: Int64], priceMicrosPerKWh: Int64) throws(ContractError)
            -> [AccountFlow]
        {
            var flows: [AccountFlow] = []
            for account in energyByAccount.keys.sorted() {
                let energyWh = energyByAccount[account]!
                let amount = try AuctionArithmetic.amountMicros(
                    energyWh: energyWh, priceMicrosPerKWh: priceMicrosPerKWh)
                flows.append(AccountFlow(account: account, energyWh: energyWh, amountMicros: amount))
            }
            return flows
        }
    }

    /// Billing: buyers pay their trades and grid energy, sellers receive their trades and feed-in, the spreads
    /// go to the community fund. Deltas are summed per party first and applied in key order, so the writes do not
    /// depend on dictionary order. Returns what the fund received.
    private func bill(
        trades: [Trade], gridPurchases: [AccountFlow], feedIns: [AccountFlow], _ context: inout ContractContext
    ) throws(ContractError) -> Int64 {
        var accountDeltas: [PublicKey: Int64] = [:]
        var regionDeltas: [RegionID: Int64] = [:]
        func apply(_ party: Party, _ deltaMicros: Int64) throws(ContractError) {
            switch party {
            case .account(let key):
                accountDeltas[key] = try AuctionArithmetic.add(accountDeltas[key, default: 0], deltaMicros, "bill")
            case .region(let region):
                regionDeltas[region] = try AuctionArithmetic.add(regionDeltas[region, default: 0], deltaMicros, "bill")
            }
        }
        var fundMicros: Int64 = 0
        for trade in trades {
            try apply(trade.buyer, -trade.buyerAmountMicros)
            try apply(trade.seller, trade.amountMicros)
            fundMicros = try AuctionArithmetic.add(fundMicros, trade.spreadMicros, "community fund")
        }
        for flow in gridPurchases { try apply(.account(flow.account), -flow.amountMicros) }
        for flow in feedIns { try apply(.account(flow.account), flow.amountMicros) }

        for account in accountDeltas.keys.sorted() {
            // Only registered accounts can have bids, so the participant is always there.
            let initial = configuration.participants[account]?.initialBalanceMicros ?? 0
            let key = AuctionStore.balanceKey(account)
            let current = try context.get(key).map { bytes throws(ContractError) in
                try AuctionStore.decodeInt64(bytes, "balance")
            }
            let updated = try AuctionArithmetic.add(current ?? initial, accountDeltas[account]!, "balance")
            context.set(key, AuctionStore.encodeInt64(updated))
        }
        for region in regionDeltas.keys.sorted() {
            let key = AuctionStore.regionBalanceKey(region)
            let current = try context.get(key).map { bytes throws(ContractError) in
                try AuctionStore.decodeInt64(bytes, "regionBalance")
            }
            let updated = try AuctionArithmetic.add(current ?? 0, regionDeltas[region]!, "region balance")
            context.set(key, AuctionStore.encodeInt64(updated))
        }
        if fundMicros != 0 {
            let held = try communityFundMicros(reading: { context.get($0) })
            let updated = try AuctionArithmetic.add(held, fundMicros, "community fund")
            context.set(AuctionStore.communityFundKey, AuctionStore.encodeInt64(updated))
        }
        return fundMicros
    }

    // MARK: - Suggested price

    /// Appends this clearing to the window of the last `priceHistoryIntervals` cleared intervals and stores the
    /// volume-weighted average price over it: Σ energy × price / Σ energy, rounded down. CE-SDT shows participants
    /// a suggested price drawn from recent trades before they bid.
    private func recordPriceWindow(_ trades: [Trade], _ context: inout ContractContext) throws(ContractError) -> Int64?
    {
        var entry = AuctionHistoryEntry(volumeWh: 0, valueWhMicrosPerKWh: 0)
        for trade in trades {
            entry.volumeWh = try AuctionArithmetic.add(entry.volumeWh, trade.energyWh, "traded volume")
            entry.valueWhMicrosPerKWh = try AuctionArithmetic.addValue(
                entry.valueWhMicrosPerKWh, Int128(trade.energyWh) * Int128(trade.priceMicrosPerKWh))
        }
        var window = try AuctionStore.decodeHistory(context.get(AuctionStore.historyKey))
        window.append(entry)
        if window.count > configuration.priceHistoryIntervals {
            window.removeFirst(window.count - configuration.priceHistoryIntervals)
        }
        context.set(AuctionStore.historyKey, AuctionStore.encode(window))

        var volumeWh: Int64 = 0
        var value: Int128 = 0
        for cleared in window {
            volumeWh = try AuctionArithmetic.add(volumeWh, cleared.volumeWh, "window volume")
            value = try AuctionArithmetic.addValue(value, cleared.valueWhMicrosPerKWh)
        }
        guard volumeWh > 0 else {
            context.delete(AuctionStore.suggestedPriceKey)
            return nil
        }
        // A weighted average of Int64 prices is itself an Int64 price.
        guard let price = Int64(exactly: value / Int128(volumeWh)) else { throw AuctionArithmetic.overflow("price") }
        context.set(
            AuctionStore.suggestedPriceKey, AuctionStore.encodeInt64(price) + AuctionStore.encodeInt64(volumeWh))
        return price
    }

    private func suggestPrice(interval: UInt64, _ context: ContractContext) throws(ContractError) -> SuggestedPrice {
        if let bytes = context.get(AuctionStore.suggestedPriceKey) {
            guard bytes.count == 16 else { throw ContractError("corrupt auction state: suggested price") }
            return SuggestedPrice(
                priceMicrosPerKWh: try AuctionStore.decodeInt64(Array(bytes[0..<8]), "suggestedPrice"),
                fromRecentTrades: true, volumeWh: try AuctionStore.decodeInt64(Array(bytes[8..<16]), "suggestedVolume"))
        }
        // No recent trades: any price between the feed-in and the grid tariff beats the grid for both sides, so
        // suggest the middle. Both tariffs lie in 0...priceMax, so a + (b - a) / 2 cannot overflow.
        let feedIn = configuration.feedInTariffMicrosPerKWh
        let grid = configuration.gridTariffMicrosPerKWh(interval: interval)
        return SuggestedPrice(priceMicrosPerKWh: feedIn + (grid - feedIn) / 2, fromRecentTrades: false, volumeWh: 0)
    }

    // MARK: - Reads

    private func balance(_ arguments: [UInt8], _ context: ContractContext) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let account = try reader.publicKey("account")
        try reader.end()
        guard let balance = try balanceMicros(of: account, reading: { context.get($0) }) else {
            throw ContractError("unregistered participant")
        }
        return AuctionStore.encodeInt64(balance)
    }

    private func interRegionBalance(_ arguments: [UInt8], _ context: ContractContext) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let region = try reader.uint16("region")
        try reader.end()
        return AuctionStore.encodeInt64(try interRegionBalanceMicros(of: region, reading: { context.get($0) }))
    }

    private func clearedResult(_ arguments: [UInt8], _ context: ContractContext) throws(ContractError) -> [UInt8] {
        let interval = try Self.readInterval(arguments)
        guard let bytes = context.get(AuctionStore.resultKey(interval)) else {
            throw ContractError("interval \(interval) is not cleared")
        }
        return bytes
    }

    // MARK: - Inter-region round

    /// Sends the net residual to the neighbour; returns the neighbour if a message went out.
    private func exportResidual(
        _ interval: UInt64, _ residual: Residual, gridTariff: Int64, _ context: inout ContractContext
    ) throws(ContractError) -> RegionID? {
        guard let neighbour = configuration.neighbourRegion else { return nil }
        let netDemandWh = try AuctionArithmetic.subtract(residual.demandWh, residual.supplyWh, "net residual")
        guard netDemandWh != 0 else { return nil }
        let method: Method = netDemandWh > 0 ? .interRegionRequest : .interRegionOffer
        let bid = InterRegionBid(
            // Both residuals lie in 0...Int64.max, so their difference can be negated without overflow.
            originRegion: configuration.region, originInterval: interval,
            energyWh: netDemandWh > 0 ? netDemandWh : -netDemandWh,
            priceMicrosPerKWh: netDemandWh > 0 ? gridTariff : configuration.feedInTariffMicrosPerKWh)
        context.send(
            OutboxMessage(
                destinationRegion: neighbour, contract: Self.contractName, method: method.rawValue,
                payload: Self.interRegionArguments(bid)))
        return neighbour
    }

    private func poolCount(_ context: ContractContext) throws(ContractError) -> Int {
        guard let bytes = context.get(AuctionStore.poolCountKey) else { return 0 }
        return Int(try AuctionStore.decodeUInt32(bytes, "poolCount"))
    }

    /// Applies an inbound residual from another region. Only the relay key (the global layer, which delivers
    /// messages from certified checkpoints) or the operator (by hand, e.g. in runs without a global layer) may:
    /// anyone else could otherwise create debts for a foreign region. When the global layer delivers, the bid's
    /// origin must be the region that really sent the message (`ContractContext.inboundSource`, covered by the
    /// global QC), so one region cannot pose as another.
    private func applyInbound(
        _ side: AuctionSide, _ arguments: [UInt8], _ context: inout ContractContext
    ) throws(ContractError) -> [UInt8] {
        let bid: InterRegionBid
        do { bid = try Self.decodeInterRegionBid(arguments) } catch {
            throw ContractError("malformed arguments: \(error)")
        }
        guard context.sender == configuration.relayKey || context.sender == configuration.operatorKey else {
            throw ContractError("only the operator or the relay may apply inter-region messages")
        }
        if let source = context.inboundSource, source != bid.originRegion {
            throw ContractError("inter-region bid claims origin \(bid.originRegion) but came from region \(source)")
        }
        guard bid.originRegion != configuration.region else {
            throw ContractError("an inter-region bid must come from another region")
        }
        try validate(
            energyWh: bid.energyWh, priceMicrosPerKWh: bid.priceMicrosPerKWh,
            energyWhMax: configuration.interRegionEnergyWhMax)
        let marker = AuctionStore.inboundMarkerKey(side, bid.originRegion, bid.originInterval)
        guard context.get(marker) == nil else { throw ContractError("duplicate inter-region message") }
        let count = try poolCount(context)
        guard count < configuration.interRegionBidsMax else {
            throw ContractError("inter-region pool is full (\(configuration.interRegionBidsMax) bids)")
        }
        let index = UInt32(count)
        context.set(AuctionStore.poolKey(index), AuctionStore.encode(AuctionPooledBid(side: side, bid: bid)))
        context.set(AuctionStore.poolCountKey, AuctionStore.encodeUInt32(index + 1))
        context.set(marker, [1])
        return AuctionStore.encodeUInt32(index)
    }
}

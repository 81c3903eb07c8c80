import GridCrypto
import GridLedger
import GridRegion

extension EnergyAuctionContract {
    /// Who is on one side of a trade: a registered account of this region, or another region taking part through
    /// an inter-region round (its money is kept in a settlement account per region, see `interRegionBalanceMicros`).
    public enum Party: Hashable, Sendable, CustomStringConvertible {
        case account(PublicKey)
        case region(RegionID)

        public var description: String {
            switch self {
            case .account(let key): "account \(key)"
            case .region(let region): "region \(region)"
            }
        }
    }

    /// One matched quantity. `amountMicros` is what the seller received at `priceMicrosPerKWh`; the buyer paid
    /// `buyerAmountMicros` at `buyerPriceMicrosPerKWh`. Under pay-as-offer and uniform price the two are equal;
    /// under pay-as-bid the buyer pays its limit and the difference (the spread, never negative because a pair only
    /// matches when limit >= offer) goes to the community fund. Each amount is computed once per trade.
    public struct Trade: Hashable, Sendable {
        public var buyer: Party
        public var seller: Party
        public var energyWh: Int64
        public var priceMicrosPerKWh: Int64
        public var amountMicros: Int64
        public var buyerPriceMicrosPerKWh: Int64
        public var buyerAmountMicros: Int64

        /// The spread this trade paid into the community fund.
        public var spreadMicros: Int64 { buyerAmountMicros - amountMicros }

        public init(
            buyer: Party, seller: Party, energyWh: Int64, priceMicrosPerKWh: Int64, amountMicros: Int64,
            buyerPriceMicrosPerKWh: Int64? = nil, buyerAmountMicros: Int64? = nil
        ) {
            self.buyer = buyer
            self.seller = seller
            self.energyWh = energyWh
            self.priceMicrosPerKWh = priceMicrosPerKWh
            self.amountMicros = amountMicros
            self.buyerPriceMicrosPerKWh = buyerPriceMicrosPerKWh ?? priceMicrosPerKWh
            self.buyerAmountMicros = buyerAmountMicros ?? amountMicros
        }
    }

    /// Energy one account bought from the grid (debited) or sold to it at the feed-in tariff (credited).
    public struct AccountFlow: Hashable, Sendable {
        public var account: PublicKey
        public var energyWh: Int64
        public var amountMicros: Int64

        public init(account: PublicKey, energyWh: Int64, amountMicros: Int64) {
            self.account = account
            self.energyWh = energyWh
            self.amountMicros = amountMicros
        }
    }

    /// The last (offer, request) pair the ordered acceptance matched: the marginal seller and buyer.
    public struct BreakEvenPair: Hashable, Sendable {
        public var offerPriceMicrosPerKWh: Int64
        public var requestLimitMicrosPerKWh: Int64

        public init(offerPriceMicrosPerKWh: Int64, requestLimitMicrosPerKWh: Int64) {
            self.offerPriceMicrosPerKWh = offerPriceMicrosPerKWh
            self.requestLimitMicrosPerKWh = requestLimitMicrosPerKWh
        }
    }

    /// Everything one clearing decided, returned as the `clear` call's output and kept in state for `clearedResult`.
    public struct ClearingResult: Hashable, Sendable {
        public var interval: UInt64
        public var clearingRule: EnergyAuctionConfiguration.ClearingRule
        public var gridTariffMicrosPerKWh: Int64
        public var feedInTariffMicrosPerKWh: Int64
        /// `nil` when nothing traded.
        public var breakEven: BreakEvenPair?
        /// The single price of every trade under `.uniformPrice`; `nil` under the other rules or without trades.
        public var uniformPriceMicrosPerKWh: Int64?
        /// In matching order.
        public var trades: [Trade]
        /// Sorted by account key bytes.
        public var gridPurchases: [AccountFlow]
        /// Sorted by account key bytes.
        public var feedIns: [AccountFlow]
        /// Local demand and supply left after matching (what the grid served or took).
        public var residualDemandWh: Int64
        public var residualSupplyWh: Int64
        /// The neighbour the residual was also offered to, if any.
        public var exportedToRegion: RegionID?
        /// Inbound inter-region energy that found no match in this round and lapsed.
        public var expiredInterRegionWh: Int64
        /// The suggested price after this clearing (volume-weighted over the recent window), if any trades.
        public var suggestedPriceMicrosPerKWh: Int64?
        /// What this clearing paid into the community fund: Σ trade spreads (non-zero only under `.payAsBid`).
        public var communityFundMicros: Int64

        public init(
            interval: UInt64, clearingRule: EnergyAuctionConfiguration.ClearingRule, gridTariffMicrosPerKWh: Int64,
            feedInTariffMicrosPerKWh: Int64, breakEven: BreakEvenPair?, uniformPriceMicrosPerKWh: Int64?,
            trades: [Trade], gridPurchases: [AccountFlow], feedIns: [AccountFlow], residualDemandWh: Int64,
            residualSupplyWh: Int64, exportedToRegion: RegionID?, expiredInterRegionWh: Int64,
            suggestedPriceMicrosPerKWh: Int64?, communityFundMicros: Int64 = 0
        ) {
            self.interval = interval
            self.clearingRule = clearingRule
            self.gridTariffMicrosPerKWh = gridTariffMicrosPerKWh
            self.feedInTariffMicrosPerKWh = feedInTariffMicrosPerKWh
            self.breakEven = breakEven
            self.uniformPriceMicrosPerKWh = uniformPriceMicrosPerKWh
            self.trades = trades
            self.gridPurchases = gridPurchases
            self.feedIns = feedIns
            self.residualDemandWh = residualDemandWh
            self.residualSupplyWh = residualSupplyWh
            self.exportedToRegion = exportedToRegion
            self.expiredInterRegionWh = expiredInterRegionWh
            self.suggestedPriceMicrosPerKWh = suggestedPriceMicrosPerKWh
            self.communityFundMicros = communityFundMicros
        }
    }

    /// A residual of another region's round, as carried by `interRegionOffer` / `interRegionRequest` messages.
    public struct InterRegionBid: Hashable, Sendable {
        public var originRegion: RegionID
        public var originInterval: UInt64
        public var energyWh: Int64
        /// The offer price (for an offer) or the limit price (for a request).
        public var priceMicrosPerKWh: Int64

        public init(originRegion: RegionID, originInterval: UInt64, energyWh: Int64, priceMicrosPerKWh: Int64) {
            self.originRegion = originRegion
            self.originInterval = originInterval
            self.energyWh = energyWh
            self.priceMicrosPerKWh = priceMicrosPerKWh
        }
    }

    /// The `suggestPrice` output.
    public struct SuggestedPrice: Hashable, Sendable {
        public var priceMicrosPerKWh: Int64
        /// `true` when the price is the volume-weighted average of recent trades; `false` when there were none and
        /// the price is the midpoint of the feed-in and grid tariffs of the asked interval.
        public var fromRecentTrades: Bool
        /// Traded energy the average covers.
        public var volumeWh: Int64

        public init(priceMicrosPerKWh: Int64, fromRecentTrades: Bool, volumeWh: Int64) {
            self.priceMicrosPerKWh = priceMicrosPerKWh
            self.fromRecentTrades = fromRecentTrades
            self.volumeWh = volumeWh
        }
    }
}

// MARK: - Arguments

extension EnergyAuctionContract {
    public static func requestArguments(interval: UInt64, energyWh: Int64, limitPriceMicrosPerKWh: Int64) -> [UInt8] {
        bidArguments(interval: interval, energyWh: energyWh, priceMicrosPerKWh: limitPriceMicrosPerKWh)
    }

    public static func offerArguments(interval: UInt64, energyWh: Int64, priceMicrosPerKWh: Int64) -> [UInt8] {
        bidArguments(interval: interval, energyWh: energyWh, priceMicrosPerKWh: priceMicrosPerKWh)
    }

    private static func bidArguments(interval: UInt64, energyWh: Int64, priceMicrosPerKWh: Int64) -> [UInt8] {
        var writer = ByteWriter(capacity: 24)
        writer.write(interval)
        writer.write(energyWh)
        writer.write(priceMicrosPerKWh)
        return writer.bytes
    }

    /// Arguments of `close`, `clear`, `suggestPrice` and `clearedResult`: the interval alone.
    public static func intervalArguments(_ interval: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(interval)
        return writer.bytes
    }

    public static func balanceArguments(account: PublicKey) -> [UInt8] { account.bytes }

    public static func interRegionBalanceArguments(region: RegionID) -> [UInt8] {
        var writer = ByteWriter(capacity: 2)
        writer.write(region)
        return writer.bytes
    }

    /// The payload of an `interRegionOffer` / `interRegionRequest` outbox message, which is also that method's
    /// arguments when the destination applies it.
    public static func interRegionArguments(_ bid: InterRegionBid) -> [UInt8] {
        var writer = ByteWriter(capacity: 26)
        writer.write(bid.originRegion)
        writer.write(bid.originInterval)
        writer.write(bid.energyWh)
        writer.write(bid.priceMicrosPerKWh)
        return writer.bytes
    }

    public static func decodeInterRegionBid(_ bytes: [UInt8]) throws(DecodingError) -> InterRegionBid {
        var reader = ByteReader(bytes)
        let bid = InterRegionBid(
            originRegion: try reader.readUInt16("interRegionBid.originRegion"),
            originInterval: try reader.readUInt64("interRegionBid.originInterval"),
            energyWh: try reader.readInt64("interRegionBid.energyWh"),
            priceMicrosPerKWh: try reader.readInt64("interRegionBid.priceMicrosPerKWh"))
        try reader.expectEnd("interRegionBid")
        return bid
    }
}

// MARK: - Outputs

extension EnergyAuctionContract {
    /// Version 2 added each trade's buyer price and amount and the clearing's community-fund payment.
    static let resultEncodingVersion: UInt8 = 2
    /// A decoder bound on list lengths; a clearing never produces more entries than bids it was allowed to hold.
    static let resultEntriesMax = 1 << 20

    /// Output of `request` and `offer`: the bid's position in the interval's book (its submission order).
    public static func decodeBidIndex(_ bytes: [UInt8]) throws(DecodingError) -> UInt32 {
        var reader = ByteReader(bytes)
        let index = try reader.readUInt32("bidIndex")
        try reader.expectEnd("bidIndex")
        return index
    }

    /// Output of `balance` and `interRegionBalance`.
    public static func decodeBalanceMicros(_ bytes: [UInt8]) throws(DecodingError) -> Int64 {
        var reader = ByteReader(bytes)
        let balance = try reader.readInt64("balanceMicros")
        try reader.expectEnd("balanceMicros")
        return balance
    }

    static func encode(_ suggestion: SuggestedPrice) -> [UInt8] {
        var writer = ByteWriter(capacity: 17)
        writer.write(suggestion.priceMicrosPerKWh)
        writer.write(suggestion.fromRecentTrades)
        writer.write(suggestion.volumeWh)
        return writer.bytes
    }

    public static func decodeSuggestedPrice(_ bytes: [UInt8]) throws(DecodingError) -> SuggestedPrice {
        var reader = ByteReader(bytes)
        let suggestion = SuggestedPrice(
            priceMicrosPerKWh: try reader.readInt64("suggestedPrice.priceMicrosPerKWh"),
            fromRecentTrades: try reader.readBool("suggestedPrice.fromRecentTrades"),
            volumeWh: try reader.readInt64("suggestedPrice.volumeWh"))
        try reader.expectEnd("suggestedPrice")
        return suggestion
    }

    /// The canonical encoding of a clearing result: a version byte, fixed-width big-endian fields, optionals as a
    /// presence byte, lists as a UInt32 count, parties as a tag byte (0 account + 32-byte key, 1 region + UInt16).
    public static func encode(_ result: ClearingResult) -> [UInt8] {
        var writer = ByteWriter(capacity: 96 + 64 * result.trades.count)
        writer.write(resultEncodingVersion)
        writer.write(result.interval)
        writer.write(result.clearingRule.rawValue)
        writer.write(result.gridTariffMicrosPerKWh)
        writer.write(result.feedInTariffMicrosPerKWh)
        writer.write(result.breakEven != nil)
        if let pair = result.breakEven {
            writer.write(pair.offerPriceMicrosPerKWh)
            writer.write(pair.requestLimitMicrosPerKWh)
        }
        writeOptional(result.uniformPriceMicrosPerKWh, to: &writer)
        writer.write(UInt32(result.trades.count))
        for trade in result.trades {
            write(trade.buyer, to: &writer)
            write(trade.seller, to: &writer)
            writer.write(trade.energyWh)
            writer.write(trade.priceMicrosPerKWh)
            writer.write(trade.amountMicros)
            writer.write(trade.buyerPriceMicrosPerKWh)
            writer.write(trade.buyerAmountMicros)
        }
        for flows in [result.gridPurchases, result.feedIns] {
            writer.write(UInt32(flows.count))
            for flow in flows {
                writer.write(flow.account)
                writer.write(flow.energyWh)
                writer.write(flow.amountMicros)
            }
        }
        writer.write(result.residualDemandWh)
        writer.write(result.residualSupplyWh)
        writer.write(result.exportedToRegion != nil)
        if let region = result.exportedToRegion { writer.write(region) }
        writer.write(result.expiredInterRegionWh)
        writeOptional(result.suggestedPriceMicrosPerKWh, to: &writer)
        writer.write(result.communityFundMicros)
        return writer.bytes
    }

    public static func decodeClearingResult(_ bytes: [UInt8]) throws(DecodingError) -> ClearingResult {
        var reader = ByteReader(bytes)
        try reader.expectVersion(resultEncodingVersion, "clearingResult.version")
        let interval = try reader.readUInt64("clearingResult.interval")
        let ruleAt = reader.offset
        let ruleByte = try reader.readUInt8("clearingResult.clearingRule")
        guard let rule = EnergyAuctionConfiguration.ClearingRule(rawValue: ruleByte) else {
            throw DecodingError(
                field: "clearingResult.clearingRule", offset: ruleAt, kind: .invalidValue("clearing rule \(ruleByte)"))
        }
        let gridTariff = try reader.readInt64("clearingResult.gridTariffMicrosPerKWh")
        let feedInTariff = try reader.readInt64("clearingResult.feedInTariffMicrosPerKWh")
        var breakEven: BreakEvenPair?
        if try reader.readBool("clearingResult.breakEven") {
            breakEven = BreakEvenPair(
                offerPriceMicrosPerKWh: try reader.readInt64("clearingResult.breakEven.offerPrice"),
                requestLimitMicrosPerKWh: try reader.readInt64("clearingResult.breakEven.requestLimit"))
        }
        let uniformPrice = try readOptional(&reader, "clearingResult.uniformPriceMicrosPerKWh")
        let tradeCount = try readCount(&reader, minimumElementBytes: 46, field: "clearingResult.trades")
        var trades: [Trade] = []
        trades.reserveCapacity(tradeCount)
        for index in 0..<tradeCount {
            let field = "clearingResult.trades[\(index)]"
            trades.append(
                Trade(
                    buyer: try readParty(&reader, field + ".buyer"), seller: try readParty(&reader, field + ".seller"),
                    energyWh: try reader.readInt64(field + ".energyWh"),
                    priceMicrosPerKWh: try reader.readInt64(field + ".priceMicrosPerKWh"),
                    amountMicros: try reader.readInt64(field + ".amountMicros"),
                    buyerPriceMicrosPerKWh: try reader.readInt64(field + ".buyerPriceMicrosPerKWh"),
                    buyerAmountMicros: try reader.readInt64(field + ".buyerAmountMicros")))
        }
        let gridPurchases = try readFlows(&reader, "clearingResult.gridPurchases")
        let feedIns = try readFlows(&reader, "clearingResult.feedIns")
        let residualDemandWh = try reader.readInt64("clearingResult.residualDemandWh")
        let residualSupplyWh = try reader.readInt64("clearingResult.residualSupplyWh")
        var exportedToRegion: RegionID?
        if try reader.readBool("clearingResult.exportedToRegion") {
            exportedToRegion = try reader.readUInt16("clearingResult.exportedToRegion")
        }
        let expired = try reader.readInt64("clearingResult.expiredInterRegionWh")
        let suggested = try readOptional(&reader, "clearingResult.suggestedPriceMicrosPerKWh")
        let fund = try reader.readInt64("clearingResult.communityFundMicros")
        try reader.expectEnd("clearingResult")
        return ClearingResult(
            interval: interval, clearingRule: rule, gridTariffMicrosPerKWh: gridTariff,
            feedInTariffMicrosPerKWh: feedInTariff, breakEven: breakEven, uniformPriceMicrosPerKWh: uniformPrice,
            trades: trades, gridPurchases: gridPurchases, feedIns: feedIns, residualDemandWh: residualDemandWh,
            residualSupplyWh: residualSupplyWh, exportedToRegion: exportedToRegion, expiredInterRegionWh: expired,
            suggestedPriceMicrosPerKWh: suggested, communityFundMicros: fund)
    }

    private static func writeOptional(_ value: Int64?, to writer: inout ByteWriter) {
        writer.write(value != nil)
        if let value { writer.write(value) }
    }

    private static func readOptional(_ reader: inout ByteReader, _ field: String) throws(DecodingError) -> Int64? {
        try reader.readBool(field) ? try reader.readInt64(field) : nil
    }

    private static func write(_ party: Party, to writer: inout ByteWriter) {
        switch party {
        case .account(let key):
            writer.write(UInt8(0))
            writer.write(key)
        case .region(let region):
            writer.write(UInt8(1))
            writer.write(region)
        }
    }

    private static func readParty(_ reader: inout ByteReader, _ field: String) throws(DecodingError) -> Party {
        let at = reader.offset
        switch try reader.readUInt8(field + ".tag") {
        case 0: return .account(try reader.readPublicKey(field + ".account"))
        case 1: return .region(try reader.readUInt16(field + ".region"))
        case let tag: throw DecodingError(field: field, offset: at, kind: .invalidValue("party tag \(tag)"))
        }
    }

    private static func readCount(
        _ reader: inout ByteReader, minimumElementBytes: Int, field: String
    ) throws(DecodingError) -> Int {
        let at = reader.offset
        let count = Int(try reader.readUInt32(field + ".count"))
        try reader.checkCount(
            count, limit: resultEntriesMax, minimumElementBytes: minimumElementBytes, field: field, at: at)
        return count
    }

    private static func readFlows(_ reader: inout ByteReader, _ field: String) throws(DecodingError) -> [AccountFlow] {
        let count = try readCount(&reader, minimumElementBytes: PublicKey.byteCount + 16, field: field)
        var flows: [AccountFlow] = []
        flows.reserveCapacity(count)
        for index in 0..<count {
            flows.append(
                AccountFlow(
                    account: try reader.readPublicKey("\(field)[\(index)].account"),
                    energyWh: try reader.readInt64("\(field)[\(index)].energyWh"),
                    amountMicros: try reader.readInt64("\(field)[\(index)].amountMicros")))
        }
        return flows
    }
}

import GridCrypto
import GridLedger
import GridRegion

/// Checked integer arithmetic for money. Every overflow becomes a `ContractError`, never a trap, so hostile
/// energies and prices end in a receipt error on every validator alike.
enum AuctionArithmetic {
    static func overflow(_ what: String) -> ContractError { ContractError("arithmetic overflow: \(what)") }

    static func add(_ left: Int64, _ right: Int64, _ what: String) throws(ContractError) -> Int64 {
        let (sum, overflowed) = left.addingReportingOverflow(right)
        guard !overflowed else { throw overflow(what) }
        return sum
    }

    static func subtract(_ left: Int64, _ right: Int64, _ what: String) throws(ContractError) -> Int64 {
        let (difference, overflowed) = left.subtractingReportingOverflow(right)
        guard !overflowed else { throw overflow(what) }
        return difference
    }

    /// `floor(energyWh × priceMicrosPerKWh / 1000)`: Wh × micros/kWh is 1/1000 of a micro-unit. The product is
    /// formed in 128 bits so only a result that itself exceeds `Int64` fails. Rounding down is applied once per
    /// trade (and once per account for grid flows), and both sides of a trade use that one amount.
    static func amountMicros(energyWh: Int64, priceMicrosPerKWh: Int64) throws(ContractError) -> Int64 {
        let product = Int128(energyWh) * Int128(priceMicrosPerKWh)
        // Both factors are non-negative here, so truncating division is the floor.
        guard let amount = Int64(exactly: product / 1000) else { throw overflow("energy × price") }
        return amount
    }

    /// Σ energyWh × priceMicrosPerKWh for volume-weighted averages; 128 bits hold any sum the bounded books yield.
    static func addValue(_ left: Int128, _ right: Int128) throws(ContractError) -> Int128 {
        let (sum, overflowed) = left.addingReportingOverflow(right)
        guard !overflowed else { throw overflow("traded value") }
        return sum
    }
}

/// One bid as the matcher sees it: local bids come from the interval's book, inter-region bids from the pool of
/// inbound messages the region received since its last clearing.
struct AuctionBid: Hashable, Sendable {
    var party: EnergyAuctionContract.Party
    var energyWh: Int64
    var priceMicrosPerKWh: Int64
    /// Submission order: local bids in the order they were accepted, then inter-region bids in arrival order. It
    /// is unique within one clearing, which makes every sort below a total order.
    var order: Int
    /// Energy not yet matched.
    var remainingWh: Int64

    init(party: EnergyAuctionContract.Party, energyWh: Int64, priceMicrosPerKWh: Int64, order: Int) {
        self.party = party
        self.energyWh = energyWh
        self.priceMicrosPerKWh = priceMicrosPerKWh
        self.order = order
        self.remainingWh = energyWh
    }
}

/// The matching step of CE-SDT (Wang et al., "CE-SDT: A new blockchain-based distributed community energy trading
/// mechanism", Front. Energy Res. 10:1091350, 2023, section 2): once the deadline has passed, offers are sorted by
/// price ascending and requests by limit price descending, and they are accepted in that order while the best
/// remaining request's limit is at least the best remaining offer's price. Quantities may be split (partial fills);
/// what is left of either side afterwards is the residual that the grid serves or takes.
///
/// Ties are broken by submission order (`AuctionBid.order`), so earlier bids are served first, local bids ahead of
/// inter-region ones at equal prices (community first), and the result is identical on every validator.
enum AuctionClearing {
    struct Outcome: Sendable {
        /// Sorted offers and requests with what is left of each.
        var offers: [AuctionBid]
        var requests: [AuctionBid]
        var trades: [EnergyAuctionContract.Trade]
        var breakEven: EnergyAuctionContract.BreakEvenPair?
        var uniformPriceMicrosPerKWh: Int64?
    }

    private struct Fill {
        var offerIndex: Int
        var requestIndex: Int
        var energyWh: Int64
    }

    static func clear(
        offers unsortedOffers: [AuctionBid], requests unsortedRequests: [AuctionBid],
        rule: EnergyAuctionConfiguration.ClearingRule
    ) throws(ContractError) -> Outcome {
        var offers = unsortedOffers.sorted { left, right in
            (left.priceMicrosPerKWh, left.order) < (right.priceMicrosPerKWh, right.order)
        }
        var requests = unsortedRequests.sorted { left, right in
            left.priceMicrosPerKWh != right.priceMicrosPerKWh
                ? left.priceMicrosPerKWh > right.priceMicrosPerKWh : left.order < right.order
        }

        // Ordered acceptance: both cursors only move forward, and every step exhausts at least one bid, so the
        // walk is linear in the number of bids.
        var fills: [Fill] = []
        var offerIndex = 0
        var requestIndex = 0
        while offerIndex < offers.count, requestIndex < requests.count,
            requests[requestIndex].priceMicrosPerKWh >= offers[offerIndex].priceMicrosPerKWh
        {
            let energyWh = min(offers[offerIndex].remainingWh, requests[requestIndex].remainingWh)
            fills.append(Fill(offerIndex: offerIndex, requestIndex: requestIndex, energyWh: energyWh))
            offers[offerIndex].remainingWh -= energyWh
            requests[requestIndex].remainingWh -= energyWh
            if offers[offerIndex].remainingWh == 0 { offerIndex += 1 }
            if requests[requestIndex].remainingWh == 0 { requestIndex += 1 }
        }

        var breakEven: EnergyAuctionContract.BreakEvenPair?
        var uniformPrice: Int64?
        if let last = fills.last {
            let offerPrice = offers[last.offerIndex].priceMicrosPerKWh
            let requestLimit = requests[last.requestIndex].priceMicrosPerKWh
            breakEven = .init(offerPriceMicrosPerKWh: offerPrice, requestLimitMicrosPerKWh: requestLimit)
            if rule == .uniformPrice {
                // Mid-price of the break-even pair, rounded down. Written as a + (b - a) / 2 with b >= a, which
                // cannot overflow. Every matched offer price is <= the break-even offer price <= the mid-price, and
                // every matched limit is >= the break-even limit >= the mid-price, so nobody trades against its bid.
                uniformPrice = offerPrice + (requestLimit - offerPrice) / 2
            }
        }

        var trades: [EnergyAuctionContract.Trade] = []
        trades.reserveCapacity(fills.count)
        for fill in fills {
            let offerPrice = offers[fill.offerIndex].priceMicrosPerKWh
            let sellerPrice: Int64
            let buyerPrice: Int64
            switch rule {
            case .payAsOffer:
                sellerPrice = offerPrice
                buyerPrice = offerPrice
            case .uniformPrice:
                // `uniformPrice` is set whenever there is a fill under this rule.
                sellerPrice = uniformPrice ?? offerPrice
                buyerPrice = sellerPrice
            case .payAsBid:
                sellerPrice = offerPrice
                buyerPrice = requests[fill.requestIndex].priceMicrosPerKWh
            }
            let sellerAmount = try AuctionArithmetic.amountMicros(
                energyWh: fill.energyWh, priceMicrosPerKWh: sellerPrice)
            let buyerAmount = try AuctionArithmetic.amountMicros(energyWh: fill.energyWh, priceMicrosPerKWh: buyerPrice)
            trades.append(
                .init(
                    buyer: requests[fill.requestIndex].party, seller: offers[fill.offerIndex].party,
                    energyWh: fill.energyWh, priceMicrosPerKWh: sellerPrice, amountMicros: sellerAmount,
                    buyerPriceMicrosPerKWh: buyerPrice, buyerAmountMicros: buyerAmount))
        }
        return Outcome(
            offers: offers, requests: requests, trades: trades, breakEven: breakEven,
            uniformPriceMicrosPerKWh: uniformPrice)
    }
}

import GridCrypto
import GridLedger
import GridRegion

/// The genesis configuration of one region's energy auction. Every validator of the region is started with the same
/// value, so it is part of the contract's definition rather than of its state: changing it means a new genesis.
///
/// Prices are integers in micro-units per kWh and energies in Wh, so an amount of money is
/// `energyWh × priceMicrosPerKWh / 1000` micro-units (see `AuctionArithmetic.amountMicros`).
public struct EnergyAuctionConfiguration: Sendable, Hashable {
    /// What a registered account may do. CE-SDT distinguishes consumers (they only buy) from prosumers (they own
    /// generation or storage, so they may sell surplus and also buy).
    public enum ParticipantClass: UInt8, Sendable, Hashable {
        case consumer = 1
        case prosumer = 2
    }

    public struct Participant: Sendable, Hashable {
        public var participantClass: ParticipantClass
        /// The balance an account holds before its first billing; balances are never pre-written to state.
        public var initialBalanceMicros: Int64

        public init(_ participantClass: ParticipantClass, initialBalanceMicros: Int64) {
            self.participantClass = participantClass
            self.initialBalanceMicros = initialBalanceMicros
        }
    }

    /// How a matched (request, offer) pair is priced. All rules accept the same quantities (offers ascending,
    /// requests descending, while the best request's limit >= the best offer's price); they differ only in price.
    ///
    /// CE-SDT's pairing (Wang et al. 2023, eqs. 12-13 and steps 5-9 of its flow) is this ordered acceptance; the
    /// paper does not state the price of a pair, but in its flow the contract accepts offers in price order until
    /// the request is met and then bills the requester, so each pair trades at the accepted offer: `.payAsOffer`.
    public enum ClearingRule: UInt8, Sendable, Hashable, CaseIterable {
        /// Every matched pair trades at the seller's offer price: sellers get exactly what they asked, buyers keep
        /// the whole surplus (limit - offer). Called `payAsBid` before; raw value 1 is unchanged, so results stored
        /// under the old name decode with the same meaning.
        case payAsOffer = 1
        /// Uniform-price double auction: every trade at the mid-price (rounded down) of the break-even pair, the
        /// last (offer, request) pair the ordered acceptance matched.
        case uniformPrice = 2
        /// Textbook pay-as-bid (discriminatory pricing): each side settles at its own price, the buyer pays its
        /// limit and the seller receives its offer. The spread (limit - offer) × energy is neither's: it goes to
        /// the region's community fund account (`EnergyAuctionContract.communityFundMicros`), so money is conserved.
        case payAsBid = 3
    }

    /// Settlement against metered delivery (You et al.): each seller's meter key, the margin a seller prepays per
    /// kWh offered and the penalty per kWh sold in the community but not delivered. See `MeteredSettlement.swift`.
    public struct Metering: Sendable, Hashable {
        public var meterKeys: [PublicKey: PublicKey]
        public var marginMicrosPerKWh: Int64
        public var penaltyMicrosPerKWh: Int64

        public init(meterKeys: [PublicKey: PublicKey], marginMicrosPerKWh: Int64, penaltyMicrosPerKWh: Int64) {
            self.meterKeys = meterKeys
            self.marginMicrosPerKWh = marginMicrosPerKWh
            self.penaltyMicrosPerKWh = penaltyMicrosPerKWh
        }
    }

    public var region: RegionID
    /// The only key allowed to close and clear intervals; it may also apply inbound inter-region messages by hand.
    public var operatorKey: PublicKey
    /// The identity under which the global layer delivers inter-region messages (`interRegionOffer` /
    /// `interRegionRequest`); a run with a global layer sets it to `RegionApplication.globalLayerSender`.
    /// Defaults to the operator key.
    public var relayKey: PublicKey
    public var participants: [PublicKey: Participant]
    /// Time-of-use grid tariff: interval `k` uses slot `k % count` (for example 96 slots of 15 minutes a day).
    public var gridTariffMicrosPerKWhBySlot: [Int64]
    /// What the grid pays for surplus that found no local buyer.
    public var feedInTariffMicrosPerKWh: Int64
    public var clearingRule: ClearingRule
    /// Where residual demand and supply go for an inter-region round; `nil` keeps the region on its own.
    public var neighbourRegion: RegionID?
    /// How many most recently cleared intervals the suggested price averages over.
    public var priceHistoryIntervals: Int
    /// Bounds that keep one clearing's work and every product of energy and price inside `Int64`.
    public var bidsPerIntervalMax: Int
    public var interRegionBidsMax: Int
    public var bidEnergyWhMax: Int64
    public var priceMicrosPerKWhMax: Int64
    /// `nil`: bids settle as cleared; set: sellers prepay margins and meter readings settle delivery.
    public var metering: Metering?

    public init(
        region: RegionID, operatorKey: PublicKey, participants: [PublicKey: Participant],
        gridTariffMicrosPerKWhBySlot: [Int64], feedInTariffMicrosPerKWh: Int64, clearingRule: ClearingRule,
        neighbourRegion: RegionID? = nil, relayKey: PublicKey? = nil, priceHistoryIntervals: Int = 4,
        bidsPerIntervalMax: Int = 1024,
        interRegionBidsMax: Int = 64, bidEnergyWhMax: Int64 = 1_000_000_000,
        priceMicrosPerKWhMax: Int64 = 1_000_000_000,
        metering: Metering? = nil
    ) {
        self.region = region
        self.operatorKey = operatorKey
        self.relayKey = relayKey ?? operatorKey
        self.participants = participants
        self.gridTariffMicrosPerKWhBySlot = gridTariffMicrosPerKWhBySlot
        self.feedInTariffMicrosPerKWh = feedInTariffMicrosPerKWh
        self.clearingRule = clearingRule
        self.neighbourRegion = neighbourRegion
        self.priceHistoryIntervals = priceHistoryIntervals
        self.bidsPerIntervalMax = bidsPerIntervalMax
        self.interRegionBidsMax = interRegionBidsMax
        self.bidEnergyWhMax = bidEnergyWhMax
        self.priceMicrosPerKWhMax = priceMicrosPerKWhMax
        self.metering = metering
    }

    /// An inter-region bid carries a whole region's net residual, so it may be as large as a full book of bids.
    public var interRegionEnergyWhMax: Int64 {
        let (product, overflowed) = bidEnergyWhMax.multipliedReportingOverflow(by: Int64(bidsPerIntervalMax))
        return overflowed ? Int64.max : product
    }

    /// The grid tariff that applies to `interval`.
    public func gridTariffMicrosPerKWh(interval: UInt64) -> Int64 {
        let slot = Int(interval % UInt64(gridTariffMicrosPerKWhBySlot.count))
        return gridTariffMicrosPerKWhBySlot[slot]
    }

    /// Rejects a configuration the contract could not run safely, so a bad genesis fails at start-up rather
    /// than in the middle of a clearing.
    public func validate() throws(ContractError) {
        let slotsMax = 1440  // one slot per minute of a day is the finest time-of-use table we expect
        guard !gridTariffMicrosPerKWhBySlot.isEmpty, gridTariffMicrosPerKWhBySlot.count <= slotsMax else {
            throw ContractError("invalid configuration: 1 to \(slotsMax) grid tariff slots are required")
        }
        guard priceMicrosPerKWhMax > 0, bidEnergyWhMax > 0 else {
            throw ContractError("invalid configuration: price and energy limits must be positive")
        }
        for tariff in gridTariffMicrosPerKWhBySlot + [feedInTariffMicrosPerKWh] {
            guard tariff >= 0, tariff <= priceMicrosPerKWhMax else {
                throw ContractError("invalid configuration: tariffs must lie in 0...priceMicrosPerKWhMax")
            }
        }
        // Bounded, so the price history, one clearing and the result it returns stay small.
        guard (1...64).contains(priceHistoryIntervals) else {
            throw ContractError("invalid configuration: priceHistoryIntervals must lie in 1...64")
        }
        guard (1...65_536).contains(bidsPerIntervalMax), (0...4096).contains(interRegionBidsMax) else {
            throw ContractError("invalid configuration: bid count limits out of range")
        }
        guard neighbourRegion != region else {
            throw ContractError("invalid configuration: a region cannot be its own neighbour")
        }
        if let metering {
            for rate in [metering.marginMicrosPerKWh, metering.penaltyMicrosPerKWh] {
                guard rate >= 0, rate <= priceMicrosPerKWhMax else {
                    throw ContractError("invalid configuration: metering margin and penalty must lie in 0...priceMax")
                }
            }
            guard metering.meterKeys.keys.allSatisfy({ participants[$0]?.participantClass == .prosumer }) else {
                throw ContractError("invalid configuration: meters may only be registered for prosumers")
            }
        }
    }
}

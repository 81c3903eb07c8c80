import GridCrypto
import GridLedger
import GridRegion

/// Settlement against metered delivery, after You et al. ("Blockchain-based power trading system for microgrid",
/// section 2.2: pricing, trading, then settlement after delivery, with prepaid margins and measurement
/// authentication).
///
/// With `EnergyAuctionConfiguration.metering` set, `clear` bills as usual (buyers pay for what they were sold,
/// sellers are paid for it) and also takes a prepaid margin from every seller with a registered meter: `marginMicrosPerKWh` × the energy
/// it offered (sold in the community plus fed in). After the interval, the seller's meter signs what the account
/// really exported (`meterReading`); the shortfall against the offer is settled from the margin:
///
/// - undelivered community energy: the buyers got it from the grid instead, so the seller pays the grid tariff of
///   the interval for it, plus `penaltyMicrosPerKWh` into the community fund; the buyers' bills stand;
/// - undelivered feed-in: the seller returns the feed-in payment for it;
/// - what the margin does not need is refunded; a charge beyond the margin is debited from the balance.
///
/// The shortfall falls on the feed-in part first, so community buyers are served by what was delivered. Export
/// beyond the offer earns nothing here (it was never sold) and is reported as unscheduled.
///
/// A reading is refused, with its reason, when the account has no meter, the signature is not the account's
/// meter's over (region, interval, account, energy) — a wrong meter, a forged value or a reading signed for
/// another interval — when the interval has no margin of the account (nothing to settle, or not yet cleared), and
/// when the margin was already settled (a replayed reading).
extension EnergyAuctionContract {
    /// What one meter reading settled.
    public struct MeteredSettlement: Hashable, Sendable {
        public var interval: UInt64
        public var account: PublicKey
        public var offeredWh: Int64
        public var exportedWh: Int64
        public var shortfallCommunityWh: Int64
        public var shortfallFeedInWh: Int64
        public var marginMicros: Int64
        /// Grid tariff for the undelivered community energy plus the returned feed-in payment.
        public var gridChargeMicros: Int64
        public var penaltyMicros: Int64
        public var refundMicros: Int64
        /// Charged beyond the margin, from the balance.
        public var beyondMarginMicros: Int64
    }

    static let meterReadingDomain = Array("gridledger/meter-reading/v1".utf8)

    /// The bytes a meter signs: a domain tag, then region, interval, account and exported energy.
    public static func meterReadingSigningBytes(
        region: RegionID, interval: UInt64, account: PublicKey, exportedWh: Int64
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 80)
        writer.writeFixed(meterReadingDomain)
        writer.write(region)
        writer.write(interval)
        writer.write(account)
        writer.write(exportedWh)
        return writer.bytes
    }

    /// Arguments of `meterReading`, signed by `meter`.
    public static func meterReadingArguments(
        region: RegionID, interval: UInt64, account: PublicKey, exportedWh: Int64, meter: KeyPair
    ) -> [UInt8] {
        let signature = meter.sign(
            meterReadingSigningBytes(region: region, interval: interval, account: account, exportedWh: exportedWh))
        return meterReadingArguments(interval: interval, account: account, exportedWh: exportedWh, signature: signature)
    }

    public static func meterReadingArguments(
        interval: UInt64, account: PublicKey, exportedWh: Int64, signature: Signature
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 112)
        writer.write(interval)
        writer.write(account)
        writer.write(exportedWh)
        writer.write(signature)
        return writer.bytes
    }

    /// Margins held for readings still to come, over all intervals.
    public func escrowedMarginMicros(reading read: ([UInt8]) -> [UInt8]?) throws(ContractError) -> Int64 {
        guard let bytes = read(AuctionStore.escrowTotalKey) else { return 0 }
        return try AuctionStore.decodeInt64(bytes, "escrowTotal")
    }

    /// Takes the margins of interval `interval`'s sellers (called by `clear` when metering is on). `offeredWh` is
    /// each seller's energy sold in the community and fed in.
    func takeMargins(
        interval: UInt64, soldWh: [PublicKey: Int64], fedInWh: [PublicKey: Int64], _ context: inout ContractContext
    ) throws(ContractError) {
        guard let metering = configuration.metering else { return }
        var total = try escrowedMarginMicros(reading: { context.get($0) })
        // Sellers without a meter settle as bid: nobody could ever sign their reading.
        for account in Set(soldWh.keys).union(fedInWh.keys).sorted() where metering.meterKeys[account] != nil {
            let community = soldWh[account, default: 0]
            let feedIn = fedInWh[account, default: 0]
            let offered = try AuctionArithmetic.add(community, feedIn, "offered energy")
            let margin = try AuctionArithmetic.amountMicros(
                energyWh: offered, priceMicrosPerKWh: metering.marginMicrosPerKWh)
            try adjustBalance(account, by: -margin, &context)
            total = try AuctionArithmetic.add(total, margin, "escrow")
            var writer = ByteWriter(capacity: 24)
            writer.write(community)
            writer.write(feedIn)
            writer.write(margin)
            context.set(AuctionStore.escrowKey(interval, account), writer.bytes)
        }
        context.set(AuctionStore.escrowTotalKey, AuctionStore.encodeInt64(total))
    }

    func adjustBalance(_ account: PublicKey, by deltaMicros: Int64, _ context: inout ContractContext)
        throws(ContractError)
    {
        guard deltaMicros != 0 else { return }
        let key = AuctionStore.balanceKey(account)
        let initial = configuration.participants[account]?.initialBalanceMicros ?? 0
        let current = try context.get(key).map { bytes throws(ContractError) in
            try AuctionStore.decodeInt64(bytes, "balance")
        }
        context.set(
            key, AuctionStore.encodeInt64(try AuctionArithmetic.add(current ?? initial, deltaMicros, "balance")))
    }

    func applyMeterReading(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        guard let metering = configuration.metering else {
            throw ContractError("metering is not configured in this region")
        }
        var reader = ByteReader(arguments)
        let interval: UInt64
        let account: PublicKey
        let exportedWh: Int64
        let signature: Signature
        do {
            interval = try reader.readUInt64("interval")
            account = try reader.readPublicKey("account")
            exportedWh = try reader.readInt64("exportedWh")
            signature = try reader.readSignature("signature")
            try reader.expectEnd("arguments")
        } catch {
            throw ContractError("malformed arguments: \(error)")
        }
        guard exportedWh >= 0, exportedWh <= configuration.interRegionEnergyWhMax else {
            throw ContractError("exported energy \(exportedWh) Wh is out of range")
        }
        guard let meter = metering.meterKeys[account] else {
            throw ContractError("account has no registered meter")
        }
        context.chargeSignatureVerifications(1)
        let signed = Self.meterReadingSigningBytes(
            region: configuration.region, interval: interval, account: account, exportedWh: exportedWh)
        guard meter.verify(signature, for: signed) else {
            throw ContractError(
                "reading is not signed by the account's meter for interval \(interval) and \(exportedWh) Wh "
                    + "(wrong meter, altered value or a reading for another interval)")
        }
        if context.get(AuctionStore.settledMarkerKey(interval, account)) != nil {
            throw ContractError("replayed reading: interval \(interval) of this account is already settled")
        }
        guard let escrow = context.get(AuctionStore.escrowKey(interval, account)) else {
            throw ContractError("no margin of this account in interval \(interval): nothing to settle")
        }
        var escrowReader = ByteReader(escrow)
        let communityWh: Int64
        let feedInWh: Int64
        let margin: Int64
        do {
            communityWh = try escrowReader.readInt64("escrow.communityWh")
            feedInWh = try escrowReader.readInt64("escrow.feedInWh")
            margin = try escrowReader.readInt64("escrow.marginMicros")
            try escrowReader.expectEnd("escrow")
        } catch {
            throw ContractError("corrupt auction state: \(error)")
        }
        let offered = try AuctionArithmetic.add(communityWh, feedInWh, "offered energy")
        let shortfall = max(0, try AuctionArithmetic.subtract(offered, exportedWh, "shortfall"))
        let shortfallFeedIn = min(shortfall, feedInWh)
        let shortfallCommunity = shortfall - shortfallFeedIn
        let gridCharge = try AuctionArithmetic.add(
            try AuctionArithmetic.amountMicros(
                energyWh: shortfallCommunity,
                priceMicrosPerKWh: configuration.gridTariffMicrosPerKWh(interval: interval)),
            try AuctionArithmetic.amountMicros(
                energyWh: shortfallFeedIn, priceMicrosPerKWh: configuration.feedInTariffMicrosPerKWh), "grid charge")
        let penalty = try AuctionArithmetic.amountMicros(
            energyWh: shortfallCommunity, priceMicrosPerKWh: metering.penaltyMicrosPerKWh)
        let charge = try AuctionArithmetic.add(gridCharge, penalty, "charge")
        let fromMargin = min(charge, margin)
        let refund = margin - fromMargin
        let beyond = charge - fromMargin
        try adjustBalance(account, by: try AuctionArithmetic.subtract(refund, beyond, "settlement"), &context)
        if penalty > 0 {
            let fund = try communityFundMicros(reading: { context.get($0) })
            context.set(
                AuctionStore.communityFundKey,
                AuctionStore.encodeInt64(try AuctionArithmetic.add(fund, penalty, "community fund")))
        }
        let total = try escrowedMarginMicros(reading: { context.get($0) })
        context.set(
            AuctionStore.escrowTotalKey,
            AuctionStore.encodeInt64(try AuctionArithmetic.subtract(total, margin, "escrow")))
        context.delete(AuctionStore.escrowKey(interval, account))
        context.set(AuctionStore.settledMarkerKey(interval, account), [1])
        let settlement = MeteredSettlement(
            interval: interval, account: account, offeredWh: offered, exportedWh: exportedWh,
            shortfallCommunityWh: shortfallCommunity, shortfallFeedInWh: shortfallFeedIn, marginMicros: margin,
            gridChargeMicros: gridCharge, penaltyMicros: penalty, refundMicros: refund, beyondMarginMicros: beyond)
        return Self.encode(settlement)
    }

    static func encode(_ settlement: MeteredSettlement) -> [UInt8] {
        var writer = ByteWriter(capacity: 120)
        writer.write(settlement.interval)
        writer.write(settlement.account)
        for value in [
            settlement.offeredWh, settlement.exportedWh, settlement.shortfallCommunityWh, settlement.shortfallFeedInWh,
            settlement.marginMicros, settlement.gridChargeMicros, settlement.penaltyMicros, settlement.refundMicros,
            settlement.beyondMarginMicros,
        ] {
            writer.write(value)
        }
        return writer.bytes
    }

    /// Output of `meterReading`.
    public static func decodeMeteredSettlement(_ bytes: [UInt8]) throws(DecodingError) -> MeteredSettlement {
        var reader = ByteReader(bytes)
        let interval = try reader.readUInt64("settlement.interval")
        let account = try reader.readPublicKey("settlement.account")
        var values: [Int64] = []
        for name in [
            "offeredWh", "exportedWh", "shortfallCommunityWh", "shortfallFeedInWh", "marginMicros", "gridChargeMicros",
            "penaltyMicros", "refundMicros", "beyondMarginMicros",
        ] {
            values.append(try reader.readInt64("settlement.\(name)"))
        }
        try reader.expectEnd("settlement")
        return MeteredSettlement(
            interval: interval, account: account, offeredWh: values[0], exportedWh: values[1],
            shortfallCommunityWh: values[2], shortfallFeedInWh: values[3], marginMicros: values[4],
            gridChargeMicros: values[5], penaltyMicros: values[6], refundMicros: values[7],
            beyondMarginMicros: values[8])
    }
}

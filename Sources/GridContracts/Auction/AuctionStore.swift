import GridCrypto
import GridLedger
import GridRegion

/// Where a settlement interval stands. An interval with nothing stored is open.
enum AuctionIntervalPhase: UInt8 {
    case open = 0
    case closed = 1
    case cleared = 2
}

enum AuctionSide: UInt8 {
    case request = 1
    case offer = 2
}

/// A bid as kept in the interval's book until the clearing consumes it.
struct AuctionStoredBid: Equatable {
    var side: AuctionSide
    var account: PublicKey
    var energyWh: Int64
    var priceMicrosPerKWh: Int64
}

/// An inbound inter-region bid waiting in the pool for the region's next clearing.
struct AuctionPooledBid: Equatable {
    var side: AuctionSide
    var bid: EnergyAuctionContract.InterRegionBid
}

/// One cleared interval in the suggested-price window.
struct AuctionHistoryEntry: Equatable {
    var volumeWh: Int64
    /// Σ energyWh × priceMicrosPerKWh over the interval's trades.
    var valueWhMicrosPerKWh: Int128
}

/// The auction's key layout and the codecs of its stored values. Keys start with one ASCII letter naming the
/// table; integers inside keys are big-endian so a table's keys sort in numeric order.
///
/// - `b` + key: account balance (Int64); absent means the genesis balance.
/// - `r` + region: inter-region settlement balance of another region (Int64); absent means 0.
/// - `p` + interval: phase; `n` + interval: bid count (UInt32); `q` + interval + index: one bid.
/// - `m`: pool size (UInt32); `x` + index: one pooled inter-region bid; `d` + side + region + interval: the
///   marker that a message was applied (replays are rejected).
/// - `c` + interval: the encoded `ClearingResult`; `h`: the price window; `s`: the stored suggested price.
/// - `f`: the community fund (Int64, pay-as-bid spreads and metering penalties); absent means 0.
/// - `g` + interval + key: a seller's margin awaiting its meter reading; `z` + interval + key: the reading was
///   settled (replays are refused); `e`: all margins held (Int64).
enum AuctionStore {
    static func balanceKey(_ account: PublicKey) -> [UInt8] { account.appended(to: [0x62]) }
    static func regionBalanceKey(_ region: RegionID) -> [UInt8] { [0x72] + bigEndian(region) }
    static func phaseKey(_ interval: UInt64) -> [UInt8] { [0x70] + bigEndian(interval) }
    static func bidCountKey(_ interval: UInt64) -> [UInt8] { [0x6E] + bigEndian(interval) }
    static func bidKey(_ interval: UInt64, _ index: UInt32) -> [UInt8] {
        [0x71] + bigEndian(interval) + bigEndian(index)
    }
    static let poolCountKey: [UInt8] = [0x6D]
    static func poolKey(_ index: UInt32) -> [UInt8] { [0x78] + bigEndian(index) }
    static func inboundMarkerKey(_ side: AuctionSide, _ region: RegionID, _ interval: UInt64) -> [UInt8] {
        [0x64, side.rawValue] + bigEndian(region) + bigEndian(interval)
    }
    static func resultKey(_ interval: UInt64) -> [UInt8] { [0x63] + bigEndian(interval) }
    static let historyKey: [UInt8] = [0x68]
    static let suggestedPriceKey: [UInt8] = [0x73]
    static let communityFundKey: [UInt8] = [0x66]
    static func escrowKey(_ interval: UInt64, _ account: PublicKey) -> [UInt8] {
        account.appended(to: [0x67] + bigEndian(interval))
    }
    static func settledMarkerKey(_ interval: UInt64, _ account: PublicKey) -> [UInt8] {
        account.appended(to: [0x7A] + bigEndian(interval))
    }
    static let escrowTotalKey: [UInt8] = [0x65]

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// Stored values are only ever written by this contract; a value that does not decode means the state was
    /// damaged, which we report instead of trapping.
    private static func corrupt(_ error: DecodingError) -> ContractError {
        ContractError("corrupt auction state: \(error)")
    }

    // MARK: Scalars

    static func encodeInt64(_ value: Int64) -> [UInt8] { bigEndian(value) }
    static func encodeUInt32(_ value: UInt32) -> [UInt8] { bigEndian(value) }

    static func decodeInt64(_ bytes: [UInt8], _ field: String) throws(ContractError) -> Int64 {
        var reader = ByteReader(bytes)
        do {
            let value = try reader.readInt64(field)
            try reader.expectEnd(field)
            return value
        } catch { throw corrupt(error) }
    }

    static func decodeUInt32(_ bytes: [UInt8], _ field: String) throws(ContractError) -> UInt32 {
        var reader = ByteReader(bytes)
        do {
            let value = try reader.readUInt32(field)
            try reader.expectEnd(field)
            return value
        } catch { throw corrupt(error) }
    }

    static func phase(_ bytes: [UInt8]?) throws(ContractError) -> AuctionIntervalPhase {
        guard let bytes else { return .open }
        guard bytes.count == 1, let phase = AuctionIntervalPhase(rawValue: bytes[0]) else {
            throw ContractError("corrupt auction state: interval phase")
        }
        return phase
    }

    // MARK: Bids

    static func encode(_ bid: AuctionStoredBid) -> [UInt8] {
        var writer = ByteWriter(capacity: 49)
        writer.write(bid.side.rawValue)
        writer.write(bid.account)
        writer.write(bid.energyWh)
        writer.write(bid.priceMicrosPerKWh)
        return writer.bytes
    }

    static func decodeBid(_ bytes: [UInt8]) throws(ContractError) -> AuctionStoredBid {
        var reader = ByteReader(bytes)
        do {
            let side = try readSide(&reader, "bid.side")
            let bid = AuctionStoredBid(
                side: side, account: try reader.readPublicKey("bid.account"),
                energyWh: try reader.readInt64("bid.energyWh"),
                priceMicrosPerKWh: try reader.readInt64("bid.priceMicrosPerKWh"))
            try reader.expectEnd("bid")
            return bid
        } catch { throw corrupt(error) }
    }

    static func encode(_ pooled: AuctionPooledBid) -> [UInt8] {
        [pooled.side.rawValue] + EnergyAuctionContract.interRegionArguments(pooled.bid)
    }

    static func decodePooled(_ bytes: [UInt8]) throws(ContractError) -> AuctionPooledBid {
        var reader = ByteReader(bytes)
        do {
            let side = try readSide(&reader, "pooled.side")
            let bid = try EnergyAuctionContract.decodeInterRegionBid(reader.readFixed(reader.remainingBytes, "pooled"))
            return AuctionPooledBid(side: side, bid: bid)
        } catch { throw corrupt(error) }
    }

    private static func readSide(_ reader: inout ByteReader, _ field: String) throws(DecodingError) -> AuctionSide {
        let at = reader.offset
        let raw = try reader.readUInt8(field)
        guard let side = AuctionSide(rawValue: raw) else {
            throw DecodingError(field: field, offset: at, kind: .invalidValue("side \(raw)"))
        }
        return side
    }

    // MARK: Price window

    static func encode(_ history: [AuctionHistoryEntry]) -> [UInt8] {
        var writer = ByteWriter(capacity: 1 + 24 * history.count)
        writer.write(UInt8(history.count))
        for entry in history {
            writer.write(entry.volumeWh)
            writer.write(UInt64(truncatingIfNeeded: entry.valueWhMicrosPerKWh >> 64))
            writer.write(UInt64(truncatingIfNeeded: entry.valueWhMicrosPerKWh))
        }
        return writer.bytes
    }

    static func decodeHistory(_ bytes: [UInt8]?) throws(ContractError) -> [AuctionHistoryEntry] {
        guard let bytes else { return [] }
        var reader = ByteReader(bytes)
        do {
            let count = Int(try reader.readUInt8("history.count"))
            var entries: [AuctionHistoryEntry] = []
            for _ in 0..<count {
                let volumeWh = try reader.readInt64("history.volumeWh")
                let high = Int128(Int64(bitPattern: try reader.readUInt64("history.valueHigh")))
                let low = Int128(try reader.readUInt64("history.valueLow"))
                entries.append(AuctionHistoryEntry(volumeWh: volumeWh, valueWhMicrosPerKWh: high << 64 | low))
            }
            try reader.expectEnd("history")
            return entries
        } catch { throw corrupt(error) }
    }
}

/// A time-of-use grid tariff and a flat feed-in tariff, in micro-units per kWh (the auction contract's unit).
///
/// The paper's tariff (CE-SDT Table 2, "Australian power price hourly", November) is an image our copy of the
/// paper does not hold. The default is therefore a typical NSW residential time-of-use tariff of 2012-13, not the
/// paper's table: off-peak 12 c/kWh (22:00-07:00), shoulder 20 c/kWh (07:00-14:00 and 20:00-22:00), peak
/// 45 c/kWh (14:00-20:00); feed-in 10 c/kWh as the paper states (section 4.1).
public struct CommunityTariff: Sendable, Hashable, Codable {
    /// One price per hour of the day, 24 entries.
    public var gridMicrosPerKWhByHour: [Int64]
    public var feedInMicrosPerKWh: Int64

    public init(gridMicrosPerKWhByHour: [Int64], feedInMicrosPerKWh: Int64) {
        self.gridMicrosPerKWhByHour = gridMicrosPerKWhByHour
        self.feedInMicrosPerKWh = feedInMicrosPerKWh
    }

    public static let offPeakMicrosPerKWh: Int64 = 120_000
    public static let shoulderMicrosPerKWh: Int64 = 200_000
    public static let peakMicrosPerKWh: Int64 = 450_000

    public static let nswTimeOfUse = CommunityTariff(
        gridMicrosPerKWhByHour: (0..<24).map { hour in
            switch hour {
            case 14..<20: peakMicrosPerKWh
            case 7..<14, 20..<22: shoulderMicrosPerKWh
            default: offPeakMicrosPerKWh
            }
        },
        feedInMicrosPerKWh: 100_000)

    public func gridMicrosPerKWh(hour: Int) -> Int64 { gridMicrosPerKWhByHour[((hour % 24) + 24) % 24] }

    /// The contract's tariff table for intervals of `intervalMinutes` starting at midnight: slot k is the hour
    /// interval k starts in, so interval k of the day uses slot k.
    public func contractSlots(intervalMinutes: Int) -> [Int64] {
        (0..<(24 * 60 / intervalMinutes)).map { gridMicrosPerKWh(hour: $0 * intervalMinutes / 60) }
    }

    public var problem: String? {
        guard gridMicrosPerKWhByHour.count == 24 else {
            return "the grid tariff needs 24 hourly prices, got \(gridMicrosPerKWhByHour.count)"
        }
        guard gridMicrosPerKWhByHour.allSatisfy({ $0 > feedInMicrosPerKWh }), feedInMicrosPerKWh >= 0 else {
            return "every grid price must exceed the feed-in tariff (\(feedInMicrosPerKWh)) and be positive"
        }
        return nil
    }
}

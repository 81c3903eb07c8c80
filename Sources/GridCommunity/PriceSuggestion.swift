/// The suggested selling and buying prices of CE-SDT (Wang et al. 2023, eqs. 5-6):
///
///     p_S = λ · E_S + μ · avg(p_S,1 ... p_S,n−1)        p_B = β · E_B + ν · avg(p_B,1 ... p_B,n−1)
///
/// where E_S is the energy a prosumer has to spare and E_B the energy a user needs in its settlement period, and
/// the averages run over the most recent traded prices. Our copy of the paper lost the equations' signs; we take
/// λ ≤ 0 (more surplus, a lower ask) and β ≥ 0 (more need, a higher bid).
///
/// Prices are handled as a position in the interval's band between the feed-in tariff (0) and the grid tariff
/// (1), so recent prices from peak and off-peak hours average meaningfully, and the result is clamped to the band:
/// nobody sells below the feed-in tariff or buys above the grid. The "recent traded price" of a cleared interval is
/// the mid-price of its break-even pair (the market's own estimate); intervals without trades do not count, and
/// without any history the band's midpoint is used (as the contract's `suggestPrice` does).
public struct PriceSuggestion: Sendable, Hashable, Codable {
    /// λ, band positions per kWh of surplus.
    public var sellEnergyWeightPerKWh: Double = -0.02
    /// μ.
    public var sellHistoryWeight: Double = 1
    /// β, band positions per kWh needed.
    public var buyEnergyWeightPerKWh: Double = 0.02
    /// ν.
    public var buyHistoryWeight: Double = 1
    /// n − 1: how many recent traded prices the averages take.
    public var historyLength: Int = 4

    public init() {}

    /// The band position of `priceMicrosPerKWh` between `feedIn` and `grid`, clamped to 0...1.
    public static func bandPosition(_ priceMicrosPerKWh: Int64, feedIn: Int64, grid: Int64) -> Double {
        guard grid > feedIn else { return 0.5 }
        return min(1, max(0, Double(priceMicrosPerKWh - feedIn) / Double(grid - feedIn)))
    }

    /// The price at band position `position` (clamped to 0...1), rounded to the micro-unit.
    public static func price(atBandPosition position: Double, feedIn: Int64, grid: Int64) -> Int64 {
        let clamped = min(1, max(0, position.isFinite ? position : 0.5))
        return feedIn + Int64((Double(grid - feedIn) * clamped).rounded())
    }

    private func average(_ recent: [Double]) -> Double {
        let window = recent.suffix(historyLength)
        return window.isEmpty ? 0.5 : window.reduce(0, +) / Double(window.count)
    }

    /// eq. 5 as a band position (before clamping).
    public func sellingPosition(surplusKWh: Double, recentPositions: [Double]) -> Double {
        sellEnergyWeightPerKWh * surplusKWh + sellHistoryWeight * average(recentPositions)
    }

    /// eq. 6 as a band position (before clamping).
    public func buyingPosition(needKWh: Double, recentPositions: [Double]) -> Double {
        buyEnergyWeightPerKWh * needKWh + buyHistoryWeight * average(recentPositions)
    }

    /// eq. 5 in micros per kWh, clamped to the band [feedIn, grid].
    public func sellingPrice(surplusKWh: Double, recentPositions: [Double], feedIn: Int64, grid: Int64) -> Int64 {
        Self.price(
            atBandPosition: sellingPosition(surplusKWh: surplusKWh, recentPositions: recentPositions), feedIn: feedIn,
            grid: grid)
    }

    /// eq. 6 in micros per kWh, clamped to the band [feedIn, grid].
    public func buyingPrice(needKWh: Double, recentPositions: [Double], feedIn: Int64, grid: Int64) -> Int64 {
        Self.price(
            atBandPosition: buyingPosition(needKWh: needKWh, recentPositions: recentPositions), feedIn: feedIn,
            grid: grid)
    }

    public var problem: String? {
        if !(sellEnergyWeightPerKWh <= 0) { return "λ (sellEnergyWeightPerKWh) must be <= 0" }
        if !(buyEnergyWeightPerKWh >= 0) { return "β (buyEnergyWeightPerKWh) must be >= 0" }
        if !(sellHistoryWeight >= 0 && buyHistoryWeight >= 0) { return "μ and ν must be >= 0" }
        if !(1...64).contains(historyLength) { return "historyLength must lie in 1...64, got \(historyLength)" }
        return nil
    }
}

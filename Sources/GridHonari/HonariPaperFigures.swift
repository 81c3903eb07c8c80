/// What Honari et al. report for their sharded voltage-stability contract (K. Honari, S. Rouhani, N. Zhou and
/// R. Deters, "A Scalable Blockchain-based Smart Contract Model for Decentralized Voltage Stability Using
/// Sharding Technique", arXiv:2206.13776, 2022; code: github.com/Scalable-Blockchain-Systems/DVSCode), as issue 12
/// summarises their throughput and latency figures: Hyperledger Fabric 2.2, Raft ordering, 2 s batch timeout,
/// Caliper sending `ComputeVSI` transactions at 50-1200 tx/s, unsharded versus three shards of the IEEE 30-bus
/// system. Ranges, not per-rate values: their figures are read off plots.
public struct HonariPaperFigures: Codable, Hashable, Sendable {
    public var platform: String
    public var sendRatesTps: [Double]
    /// Best committed throughput, as a range (tx/s).
    public var unshardedBestTps: ClosedRange<Double>
    public var shardedBestTps: ClosedRange<Double>
    /// Average latency at send rates of 600 tx/s and above (s).
    public var unshardedAverageLatencySeconds: ClosedRange<Double>
    public var shardedAverageLatencySeconds: Double
    /// Voltage limits of their bus tables (DVSCode `ComputeVSI.js`): load buses, generator buses (p.u.).
    public var loadBusLimitsPU: ClosedRange<Double>
    public var generatorBusLimitsPU: ClosedRange<Double>
    /// Margin-ratio thresholds of groups 1-3 (DVSCode `ComputeVSI.js`).
    public var groupThresholds: [Double]

    public static let published = HonariPaperFigures(
        platform: "Hyperledger Fabric 2.2, Raft ordering service, 2 s batch timeout, Caliper load generator",
        sendRatesTps: [50, 100, 200, 400, 600, 800, 1000, 1200], unshardedBestTps: 400...470,
        shardedBestTps: 600...620, unshardedAverageLatencySeconds: 3...4, shardedAverageLatencySeconds: 0.1,
        loadBusLimitsPU: 0.95...1.05, generatorBusLimitsPU: 0.95...1.10, groupThresholds: [0.915, 0.765, 0.846])

    /// The paper's line for one send rate and layout, in words for the side-by-side table.
    public func summary(rateTps: Double, shards: Int) -> String {
        if shards == 1 {
            let committed = rateTps <= unshardedBestTps.lowerBound ? "≈ \(Int(rateTps))" : "400-470 (saturated)"
            let latency = rateTps >= 600 ? "avg 3-4 s" : "avg < 3 s"
            return "\(committed) tx/s, \(latency)"
        }
        let committed = rateTps <= shardedBestTps.lowerBound ? "≈ \(Int(rateTps))" : "600-620 (saturated)"
        return "\(committed) tx/s, avg ≈ 0.1 s"
    }
}

/// One group (shard) of a meshed network with the margin-ratio threshold its contract acts on.
public struct NetworkGroup: Sendable, Hashable, Codable {
    public var id: Int
    public var buses: [Int]
    /// Buses of other groups this group's model keeps as boundary (tie) buses.
    public var tieBuses: [Int]
    /// The group acts (local reactive dispatch) when its weakest margin-ratio index falls below this.
    public var marginThreshold: Double
}

extension Network {
    /// The three groups of the IEEE 30-bus case in Honari et al. (arXiv:2206.13776), as their public code has them
    /// (Scalable-Blockchain-Systems/DVSCode: `Matlab/Initial_Grouping.m` for the buses and tie buses, the
    /// Caliper workload `Caliper_WorkSpace/workload/ComputeVSI.js` for the thresholds 0.915, 0.765, 0.846). Bus 1
    /// (the slack) belongs to no group.
    public static let honariGroups: [NetworkGroup] = [
        NetworkGroup(id: 1, buses: [2, 3, 4, 5], tieBuses: [6, 7, 12], marginThreshold: 0.915),
        NetworkGroup(
            id: 2, buses: [6, 7, 8, 9, 11, 22, 23, 24, 25, 26, 27, 28, 29, 30], tieBuses: [2, 4, 5, 10, 15, 21],
            marginThreshold: 0.765),
        NetworkGroup(
            id: 3, buses: [10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], tieBuses: [4, 6, 9, 22, 23],
            marginThreshold: 0.846),
    ]
}

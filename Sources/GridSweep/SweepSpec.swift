import Foundation

/// A sweep spec (schema version 1): base topologies, settings for every cell, and a matrix of parameters whose
/// combinations are the cells. Read with ``SweepSpecReader``; expanded into cells with ``SweepPlan``.
public struct SweepSpec: Sendable {
    public static let currentSchemaVersion = 1

    public enum Mode: String, Sendable, CaseIterable {
        /// Each cell runs its topology at the topology's load (`gridledger run`).
        case run
        /// Each cell searches for its sustainable rate under the SLO (`gridledger capacity`).
        case capacity
    }

    public enum Runtime: String, Sendable, CaseIterable {
        case sim
        case live
    }

    /// The spec file as given (relative paths stay relative), for messages and `sweep.json`.
    public var file: String
    public var name: String
    public var description: String
    /// One or more; with several, the topology is the first axis of the matrix.
    public var topologies: [BaseTopology]
    public var mode: Mode
    /// Required for capacity cells; for run cells, each cell is judged against it when present.
    public var slo: ServiceLevelObjective?
    /// The load the planner needs, transactions per second; capacity sweeps name the smallest cell that sustains
    /// it.
    public var targetTps: Double?
    public var runtime: Runtime
    /// Override the base topologies' seed and measured window; also passed to `gridledger capacity`.
    public var seed: UInt64?
    public var durationSeconds: Double?
    /// `set`: applied to every cell, before the matrix.
    public var settings: [SweepParameter]
    public var axes: [SweepAxis]
    /// false: each finished cell's LMDB stores are deleted (results stay), so a large sweep does not fill the disk.
    public var keepStores: Bool

    /// Cells the matrix would have, saturating at `Int.max`.
    public var cellCount: Int {
        axes.reduce(topologies.count) { product, axis in
            let (result, overflow) = product.multipliedReportingOverflow(by: axis.values.count)
            return overflow ? Int.max : result
        }
    }
}

/// A base topology named by the spec.
public struct BaseTopology: Sendable {
    /// As written in the spec.
    public var path: String
    /// Resolved against the spec's folder.
    public var url: URL
    public var location: SpecLocation
    /// Field of the spec that named it, e.g. `topologies[1]`.
    public var field: String
}

/// One axis of the matrix: a parameter with its values, or a bundle whose values each set several parameters.
public struct SweepAxis: Sendable {
    public var name: String
    public var location: SpecLocation
    public var values: [AxisValue]
}

/// One value of an axis: the parameters it sets and the label it gives cell names.
public struct AxisValue: Sendable {
    /// Part of the cell name, e.g. `regions4`.
    public var label: String
    public var parameters: [SweepParameter]
}

/// One parameter setting: which topology field(s) it changes, to what, and where the spec wrote it.
public struct SweepParameter: Sendable, Hashable {
    /// As the spec names it (`regions`, `workload.voltage.devicesPerBus`).
    public var name: String
    public var target: ParameterTarget
    public var value: SweepValue
    public var location: SpecLocation
    /// Where in the spec, e.g. `matrix.regions[1]`.
    public var field: String
}

/// The limits of a sweep: explicit, so a typo cannot start a million runs.
public enum SweepLimits {
    public static let specBytesMax = 1 << 20
    public static let cellsMax = 4096
    public static let axesMax = 32
    public static let topologiesMax = 64
    /// Cell names are topology names: `[A-Za-z0-9_.-]{1,64}`.
    public static let cellNameLengthMax = 64
    /// YAML nodes read from one spec, and their nesting: bounds the work of a hostile file (aliases included).
    public static let specNodesMax = 100_000
    public static let specDepthMax = 64
    /// Parallel cells per core at most; each cell is a process with its own memory.
    public static let jobsPerCoreMax = 4
    public static let errorsMax = 50
}

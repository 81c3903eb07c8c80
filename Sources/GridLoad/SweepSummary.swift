/// The answer of a sweep (`gridledger sweep`, written as `sweep.json`): one cell per point of the matrix, each a
/// fixed-rate run or a capacity search, with the figures that answer the planner's question for that cell.
///
/// Minimal on purpose: the cell's own folder (`resultDirectory`, relative to the sweep folder) holds its full
/// `result.json` or `capacity.json`; this file only has to say what each cell was and how it ended.
public struct SweepSummary: Codable, Hashable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The spec file the sweep ran, as given on the command line.
    public var spec: String
    /// Every cell in the spec's order, finished or not.
    public var cells: [SweepCell]

    public init(schemaVersion: Int = SweepSummary.currentSchemaVersion, spec: String, cells: [SweepCell]) {
        self.schemaVersion = schemaVersion
        self.spec = spec
        self.cells = cells
    }
}

/// One point of a sweep's matrix.
public struct SweepCell: Codable, Hashable, Sendable {
    /// `run`: one run at a fixed rate; `capacity`: a capacity search.
    public enum Mode: String, Codable, Hashable, Sendable {
        case run
        case capacity
    }

    /// The cell's name, unique in the sweep (e.g. `regions=4,validators=7`).
    public var name: String
    /// The matrix parameters that define the cell, by name (`regions`, `validators`, `cores`, `rate`, ...).
    public var parameters: [String: String]
    public var mode: Mode
    /// `done`, `failed` (with the reason after a colon), `pending` or `running`.
    public var status: String
    /// Capacity cells: the highest rate that met the SLO and the recommended operating point, transactions per
    /// second.
    public var sustainableTps: Double?
    public var recommendedTps: Double?
    /// Run cells (and the confirmation run of capacity cells): offered and committed rate, transactions per second.
    public var offeredTps: Double?
    public var committedTps: Double?
    /// Local-commit p99 latency, milliseconds.
    public var p99Millis: Double?
    /// The cell's folder, relative to the sweep folder.
    public var resultDirectory: String

    public init(
        name: String, parameters: [String: String], mode: Mode, status: String, sustainableTps: Double? = nil,
        recommendedTps: Double? = nil, offeredTps: Double? = nil, committedTps: Double? = nil,
        p99Millis: Double? = nil, resultDirectory: String
    ) {
        self.name = name
        self.parameters = parameters
        self.mode = mode
        self.status = status
        self.sustainableTps = sustainableTps
        self.recommendedTps = recommendedTps
        self.offeredTps = offeredTps
        self.committedTps = committedTps
        self.p99Millis = p99Millis
        self.resultDirectory = resultDirectory
    }
}

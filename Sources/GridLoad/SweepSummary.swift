/// What `gridledger sweep` writes as `sweep.json`: one entry per cell of the spec's matrix, in matrix order, so a
/// report can be drawn from it without reading every cell's own result.
public struct SweepSummary: Codable, Hashable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The sweep spec file as it was given on the command line.
    public var spec: String
    public var cells: [SweepCell]

    public init(schemaVersion: Int = SweepSummary.currentSchemaVersion, spec: String, cells: [SweepCell]) {
        self.schemaVersion = schemaVersion
        self.spec = spec
        self.cells = cells
    }
}

/// One cell of a sweep: the parameters it set and the figures that answer the planner's question for it. Figures
/// are `nil` when the cell has not finished, or when its mode does not produce them (a fixed-rate run has no
/// sustainable rate).
public struct SweepCell: Codable, Hashable, Sendable {
    /// Names the cell's folder, `cells/NAME`.
    public var name: String
    /// Matrix parameter (as the spec names it) to its value as written there.
    public var parameters: [String: String]
    /// `run` (fixed rate) or `capacity` (search for the sustainable rate).
    public var mode: String
    /// `done`, `failed` or `pending` (not run yet, or interrupted).
    public var status: String
    /// Capacity cells: the highest offered rate that met the SLO, and the recommended operating point.
    public var sustainableTps: Double?
    public var recommendedTps: Double?
    /// Run cells: the run's rates; capacity cells: those of the confirmation run.
    public var offeredTps: Double?
    public var committedTps: Double?
    /// Local-commit p99 latency of the same run, milliseconds.
    public var p99Millis: Double?
    /// The folder holding the cell's result, relative to the sweep's output folder.
    public var resultDirectory: String

    public init(
        name: String, parameters: [String: String], mode: String, status: String, sustainableTps: Double? = nil,
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

import Foundation
import GridLoad

/// `cells/NAME/cell.json`: written atomically when a cell's process ends, after its result was read back. A cell
/// is finished only when this says `done`, its command and topology are those of the current spec, and its result
/// file still reads; anything else (a missing record, an interrupted or failed run) runs again.
public struct CellRecord: Codable, Hashable, Sendable {
    public static let currentSchemaVersion = 1
    public static let fileName = "cell.json"

    public var schemaVersion: Int
    public var name: String
    public var mode: String
    /// The command after the executable, run from the sweep's output folder.
    public var arguments: [String]
    /// `done` or `failed`.
    public var status: String
    /// The exit status, or the signal that ended the process.
    public var exitStatus: Int32?
    public var signal: Int32?
    /// Why a failed cell failed, in one line.
    public var message: String?
    public var wallSeconds: Double
    /// ISO-8601 UTC.
    public var finishedAt: String

    public init(
        name: String, mode: String, arguments: [String], status: String, exitStatus: Int32?, signal: Int32?,
        message: String?, wallSeconds: Double, finishedAt: String
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.name = name
        self.mode = mode
        self.arguments = arguments
        self.status = status
        self.exitStatus = exitStatus
        self.signal = signal
        self.message = message
        self.wallSeconds = wallSeconds
        self.finishedAt = finishedAt
    }
}

/// What a finished cell's own result says, read from `result.json` (run) or `capacity.json` (capacity).
public enum CellOutcome: Sendable {
    case run(RunResult)
    case capacity(CapacityResult)

    public static func resultFile(mode: SweepSpec.Mode) -> String {
        mode == .run ? "result.json" : "capacity.json"
    }

    /// Reads the cell's result file; throws with a one-line reason when it is missing, cut short or of another
    /// schema version.
    public static func read(directory: URL, mode: SweepSpec.Mode) throws -> CellOutcome {
        let url = directory.appendingPathComponent(resultFile(mode: mode))
        let data = try Data(contentsOf: url)
        switch mode {
        case .run:
            return .run(try RunResult.decode(jsonData: data))
        case .capacity:
            struct VersionOnly: Decodable { var schemaVersion: Int }
            let version = try JSONDecoder().decode(VersionOnly.self, from: data).schemaVersion
            guard version == CapacityResult.currentSchemaVersion else {
                throw SweepError(
                    "capacity.json has schemaVersion \(version); this build reads \(CapacityResult.currentSchemaVersion)"
                )
            }
            return .capacity(try JSONDecoder().decode(CapacityResult.self, from: data))
        }
    }

    /// The run that stands for the cell: the run itself, or the capacity search's confirmation run (its last probe).
    var figures: (offeredTps: Double, committedTps: Double, p99Millis: Double?) {
        switch self {
        case .run(let result):
            let latency = result.latency(.localCommit)
            return (result.offeredTps, result.committedTps, latency.flatMap { $0.count > 0 ? $0.p99 : nil })
        case .capacity(let result):
            let probe = result.probes.last { $0.phase == "confirm" } ?? result.probes.last
            return (probe?.offeredTps ?? 0, probe?.committedTps ?? 0, probe.map(\.p99Millis))
        }
    }

    /// The cell's line in `sweep.json`.
    func summary(cell: PlannedCell, mode: SweepSpec.Mode) -> SweepCell {
        let figures = self.figures
        var summary = SweepCell(
            name: cell.name, parameters: cell.summaryParameters, mode: SweepCell.Mode(rawValue: mode.rawValue) ?? .run,
            status: "done",
            offeredTps: figures.offeredTps, committedTps: figures.committedTps, p99Millis: figures.p99Millis,
            resultDirectory: cell.directory)
        if case .capacity(let result) = self {
            summary.sustainableTps = result.sustainableTps
            summary.recommendedTps = result.recommendedTps
        }
        return summary
    }
}

extension PlannedCell {
    /// The parameters as `sweep.json` keeps them.
    var summaryParameters: [String: String] {
        var result: [String: String] = [:]
        for parameter in parameters where result[parameter.name] == nil { result[parameter.name] = parameter.value }
        return result
    }
}

/// A sweep that cannot go on (an unusable output folder, a missing executable), in one line.
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

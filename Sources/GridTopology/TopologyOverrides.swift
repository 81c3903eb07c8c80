/// Changes a command line makes to a topology for one run.
public struct TopologyOverrides: Sendable, Equatable {
    public var seed: UInt64?
    public var durationSeconds: Double?
    /// Replaces the rate controller, whatever it was, by a fixed rate.
    public var tps: Double?

    public init(seed: UInt64? = nil, durationSeconds: Double? = nil, tps: Double? = nil) {
        self.seed = seed
        self.durationSeconds = durationSeconds
        self.tps = tps
    }

    public var isEmpty: Bool { seed == nil && durationSeconds == nil && tps == nil }
}

extension Topology {
    /// How errors name the place of an overridden value.
    public static let commandLineFile = "command line"

    /// The topology with the overrides applied, checked again: a shorter duration can leave a fault or a rate
    /// step after the end of the run. Errors about overridden values name the command line; others keep their
    /// place in the file.
    public func applying(_ overrides: TopologyOverrides) throws(TopologyErrors) -> Topology {
        var result = self
        let commandLine = FieldLocation(file: Self.commandLineFile, line: 0, column: 0)
        if let seed = overrides.seed {
            result.seed = seed
            result.sourceMap.replace("seed", with: commandLine)
        }
        if let durationSeconds = overrides.durationSeconds {
            result.workload.durationSeconds = durationSeconds
            result.sourceMap.replace("workload.durationSeconds", with: commandLine)
        }
        if let tps = overrides.tps {
            result.workload.rate = .fixed(tps: tps)
            result.sourceMap.replace("workload.rate", with: commandLine)
        }
        let errors = result.validationErrors(brokenPaths: [], profileDirectory: nil)
        if !errors.isEmpty { throw TopologyErrors(TopologyParser.ordered(errors)) }
        return result
    }
}

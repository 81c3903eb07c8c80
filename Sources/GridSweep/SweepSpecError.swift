import GridTopology

/// One problem in a sweep spec (or in a cell it derives): where it is, which field, and what was expected. The same
/// shape as a topology error (`sweeps/x.yaml:12:5: matrix.regions[1]: expected ...`), so editors jump to the place
/// and a sweep that fails on a derived topology reports both kinds alike.
public typealias SweepSpecError = TopologyError

/// Every problem found in one spec, in file order, so whoever fixes it sees them all at once.
public typealias SweepSpecErrors = TopologyErrors

/// A place in the spec file.
public struct SpecLocation: Sendable, Hashable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    func error(field: String, _ message: String) -> SweepSpecError {
        SweepSpecError(file: file, line: line, column: column, field: field, message: message)
    }
}

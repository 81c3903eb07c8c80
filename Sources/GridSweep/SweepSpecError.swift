/// One problem in a sweep spec (or in a cell it derives): where it is, which field, and what was expected. Written
/// like a topology error (`sweeps/x.yaml:12:5: matrix.regions[1]: expected ...`) so editors can jump to the place.
///
/// `line` and `column` start at 1; both are 0 when the problem has no single place (the file as a whole).
public struct SweepSpecError: Error, CustomStringConvertible, Sendable, Hashable {
    public var file: String
    public var line: Int
    public var column: Int
    /// Path of the field in the spec, such as `matrix.validatorsPerRegion[1]`; empty for the document.
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !field.isEmpty { text += field + ": " }
        return text + message
    }
}

/// Every problem found in one spec, in file order, so whoever fixes it sees them all at once.
public struct SweepSpecErrors: Error, CustomStringConvertible, Sendable, Equatable {
    /// Never empty.
    public var errors: [SweepSpecError]

    public init(_ errors: [SweepSpecError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

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

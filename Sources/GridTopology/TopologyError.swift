/// One problem in a topology: where it is, which field, and what was expected.
///
/// `line` and `column` start at 1; columns count Unicode scalars, as libyaml does. Both are 0 when the problem
/// has no single place: the file as a whole (too large, unreadable, empty) or a command-line override.
public struct TopologyError: Error, CustomStringConvertible, Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
    /// Path of the field, such as `workload.rate.tps` or `faults[2].groups[0][1]`; empty for the document.
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `topologies/bad.yaml:14:9: workload.rate.tps: expected a positive number, got "fast"`, the form compilers
    /// use, so that editors and terminals can jump to the place.
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !field.isEmpty { text += field + ": " }
        return text + message
    }
}

/// Every problem found in one topology, ordered by position, so that whoever fixes the file sees them all at once.
public struct TopologyErrors: Error, CustomStringConvertible, Sendable, Equatable {
    /// Never empty.
    public var errors: [TopologyError]

    public init(_ errors: [TopologyError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A place in a file (or `line` 0: no single place).
struct FieldLocation: Sendable, Hashable {
    var file: String
    var line: Int
    var column: Int

    func error(field: String, _ message: String) -> TopologyError {
        TopologyError(file: file, line: line, column: column, field: field, message: message)
    }
}

/// Where each field of a parsed topology was written, so that checks on the typed values can name lines.
///
/// Not part of a topology's value: its `==` is always true and it is not encoded, so the same set-up read from
/// two files, or built in code, compares equal.
struct SourceMap: Sendable, Equatable {
    /// The file that fields without a recorded place belong to.
    var file: String
    /// Field path to the place of its value (for mappings and lists: of their key, or of the list entry).
    var locations: [String: FieldLocation] = [:]

    static func == (lhs: SourceMap, rhs: SourceMap) -> Bool { true }

    /// The place of the field or, when it was not written (a default, a missing key), of its nearest written
    /// ancestor.
    func location(of field: String) -> FieldLocation {
        var path: String? = field
        while let current = path {
            if let location = locations[current] { return location }
            path = FieldPath.parent(of: current)
        }
        return FieldLocation(file: file, line: 0, column: 0)
    }

    /// Points the field and everything under it at `location`, e.g. at the command line after an override.
    mutating func replace(_ field: String, with location: FieldLocation) {
        for key in locations.keys where FieldPath.isSame(key, orInside: field) {
            locations[key] = nil
        }
        locations[field] = location
    }
}

/// Field paths are strings such as `regions[0].machine.cores`.
enum FieldPath {
    static func child(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : parent + "." + key }

    static func element(_ parent: String, _ index: Int) -> String { parent + "[\(index)]" }

    /// The enclosing field; nil for the document itself.
    static func parent(of path: String) -> String? {
        if path.isEmpty { return nil }
        if path.hasSuffix("]"), let open = path.lastIndex(of: "[") { return String(path[..<open]) }
        if let dot = path.lastIndex(of: ".") { return String(path[..<dot]) }
        return ""
    }

    /// Whether `path` is `ancestor` or lies under it.
    static func isSame(_ path: String, orInside ancestor: String) -> Bool {
        if ancestor.isEmpty || path == ancestor { return true }
        guard path.hasPrefix(ancestor) else { return false }
        let next = path[path.index(path.startIndex, offsetBy: ancestor.count)]
        return next == "." || next == "["
    }
}

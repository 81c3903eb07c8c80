import Foundation
import Yams

extension Topology {
    /// Reads and checks a topology file. Errors name the file as `url.relativePath`, i.e. as it was given.
    /// Relative machine profile paths are looked up next to the file.
    public static func load(contentsOf url: URL) throws(TopologyErrors) -> Topology {
        let file = url.relativePath
        let data = try TopologyParser.read(url, file: file)
        return try TopologyParser.parse(data: data, file: file, profileDirectory: url.deletingLastPathComponent())
    }

    /// Parses and checks topology text; `file` names it in errors and gives the default `name` (its stem).
    public static func parse(yaml: String, file: String) throws(TopologyErrors) -> Topology {
        try TopologyParser.parse(yaml: yaml, file: file, profileDirectory: nil)
    }

    /// Parses and checks topology bytes, which must be UTF-8.
    public static func parse(data: Data, file: String) throws(TopologyErrors) -> Topology {
        try TopologyParser.parse(data: data, file: file, profileDirectory: nil)
    }
}

/// The steps from bytes to a checked topology. Every step that can find problems reports all it finds; a step
/// that cannot go on without a well-formed input (size, encoding, YAML syntax) stops there.
enum TopologyParser {
    /// Each rename lets Yams report one more duplicate key (see `compose`) at the cost of composing the text again;
    /// beyond this many renames, or this many bytes composed in all, the next duplicate is reported alone.
    static let duplicateKeyRenamesMax = 100
    static let duplicateKeyComposedBytesMax = 4 << 20

    static func read(_ url: URL, file: String) throws(TopologyErrors) -> Data {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fileErrors(file, "is a directory, not a topology file")
        }
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            // One byte over the limit is enough to know the file is too large, whatever its real size.
            return try handle.read(upToCount: TopologyLimits.fileBytesMax + 1) ?? Data()
        } catch {
            throw fileErrors(file, "cannot read the file: \(error.localizedDescription)")
        }
    }

    static func parse(data: Data, file: String, profileDirectory: URL?) throws(TopologyErrors) -> Topology {
        try checkSize(data.count, file: file)
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) {
            throw fileErrors(file, "the file is UTF-16 (or UTF-32); topology files must be UTF-8")
        }
        // The standard library validates in bulk; the scan that finds the line and column runs only on a refusal.
        guard let text = String(validating: data, as: UTF8.self) else {
            let unplaced = TopologyError(
                file: file, line: 0, column: 0, field: "",
                message: "the file is not valid UTF-8; topology files must be UTF-8")
            throw TopologyErrors([firstInvalidUTF8(data, file: file) ?? unplaced])
        }
        return try parse(yaml: text, file: file, profileDirectory: profileDirectory)
    }

    static func parse(yaml: String, file: String, profileDirectory: URL?) throws(TopologyErrors) -> Topology {
        try checkSize(yaml.utf8.count, file: file)
        // libyaml skips a byte order mark without counting it as a column; dropping it keeps columns comparable.
        let text = yaml.unicodeScalars.first == "\u{FEFF}" ? String(yaml.unicodeScalars.dropFirst()) : yaml
        if let error = firstAlias(in: text, file: file) { throw TopologyErrors([error]) }
        let fileStem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let result = LargeStack.run { () -> Result<Topology, TopologyErrors> in
            decode(text, file: file, fileStem: fileStem, profileDirectory: profileDirectory)
        }
        return try result.get()
    }

    /// Compose, decode (phase one), check (phase two). Runs on the large-stack thread: Yams nodes never leave it.
    private static func decode(
        _ text: String, file: String, fileStem: String, profileDirectory: URL?
    ) -> Result<Topology, TopologyErrors> {
        let composition: (root: Node?, renamed: [TextPosition: String])
        switch compose(text, file: file) {
        case .failure(let error): return .failure(TopologyErrors([error]))
        case .success(let result): composition = result
        }
        // Nothing but comments, or a lone `---`.
        guard let root = composition.root, !NodeReader.isNull(root) else {
            return .failure(
                TopologyErrors([
                    fileError(
                        file,
                        "the file is empty; expected a mapping with at least schemaVersion: 1, regions and workload")
                ]))
        }
        let shadowedKeys = composition.renamed
        let decoder = TopologyDecoder(file: file, shadowedKeys: shadowedKeys)
        var topology = decoder.decodeTopology(root, fileStem: fileStem)
        topology.sourceMap = decoder.sourceMap
        let brokenPaths = decoder.brokenPaths
        let checks = topology.validationErrors(brokenPaths: brokenPaths, profileDirectory: profileDirectory)
        let errors = decoder.errors + checks
        return errors.isEmpty ? .success(topology) : .failure(TopologyErrors(ordered(errors)))
    }

    /// Errors by position (stable for equal positions), at most `TopologyLimits.errorsMax` and a line saying how
    /// many more there were.
    static func ordered(_ errors: [TopologyError]) -> [TopologyError] {
        let sorted = errors.enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
        guard sorted.count > TopologyLimits.errorsMax, let first = sorted.first else { return sorted }
        let more = sorted.count - TopologyLimits.errorsMax
        return Array(sorted.prefix(TopologyLimits.errorsMax)) + [
            TopologyError(file: first.file, line: 0, column: 0, field: "", message: "\(more) more errors not shown")
        ]
    }

    // MARK: - Before YAML

    private static func fileError(_ file: String, _ message: String) -> TopologyError {
        TopologyError(file: file, line: 0, column: 0, field: "", message: message)
    }

    private static func fileErrors(_ file: String, _ message: String) -> TopologyErrors {
        TopologyErrors([fileError(file, message)])
    }

    private static func checkSize(_ byteCount: Int, file: String) throws(TopologyErrors) {
        if byteCount > TopologyLimits.fileBytesMax {
            throw fileErrors(
                file,
                "the file is larger than \(TopologyLimits.fileBytesMax) bytes (1 MiB), the limit for topology files")
        }
    }

    /// The place of the first byte that is not UTF-8, if any.
    static func firstInvalidUTF8(_ data: Data, file: String) -> TopologyError? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = data.makeIterator()
        var offset = 0
        var line = 1
        var column = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
                if encoded.count == 1, encoded.first == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput:
                return nil
            case .error:
                let byte = data[data.startIndex + offset]
                return TopologyError(
                    file: file, line: line, column: column, field: "",
                    message: "the file is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) at "
                        + "offset \(offset)); topology files must be UTF-8")
            }
        }
    }

    /// The first alias (`*name`) that refers to an anchor (`&name`) anywhere in the text, if any.
    ///
    /// Aliases are refused: an error inside an aliased value would point at the anchor rather than where it is
    /// used, and aliases of aliases grow exponentially, which Yams would expand while hashing keys. The scan is
    /// textual and so may refuse a file that only mentions `&x` and `*x` in a comment; it never misses an alias,
    /// since libyaml spells anchors and aliases with the same characters (`[0-9A-Za-z_-]`).
    static func firstAlias(in text: String, file: String) -> TopologyError? {
        // Most files have neither sign; the scan below copies the text, so it runs only when both appear.
        guard text.utf8.contains(UInt8(ascii: "*")), text.utf8.contains(UInt8(ascii: "&")) else { return nil }
        func isAnchorCharacter(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-"
        }
        var anchors: Set<String> = []
        var aliases: [(name: String, position: TextPosition)] = []
        var position = TextPosition(line: 1, column: 1)
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "&" || scalar == "*" {
                var end = index + 1
                while end < scalars.count, isAnchorCharacter(scalars[end]) { end += 1 }
                if end > index + 1 {
                    let name = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
                    if scalar == "&" { anchors.insert(name) } else { aliases.append((name, position)) }
                }
            }
            index += 1
            advance(&position, past: scalar, next: index < scalars.count ? scalars[index] : nil)
        }
        guard let alias = aliases.first(where: { anchors.contains($0.name) }) else { return nil }
        return TopologyError(
            file: file, line: alias.position.line, column: alias.position.column, field: "",
            message: "anchors and aliases (&\(alias.name), *\(alias.name)) are not supported in topology files; "
                + "write the value out where it is used")
    }

    /// Moves past one scalar the way libyaml counts: `\r\n`, `\r`, `\n`, NEL, LS and PS end a line.
    private static func advance(_ position: inout TextPosition, past scalar: Unicode.Scalar, next: Unicode.Scalar?) {
        switch scalar {
        case "\r" where next == "\n":
            break  // The `\n` ends the line.
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
            position.line += 1
            position.column = 1
        default:
            position.column += 1
        }
    }

    // MARK: - YAML

    /// Composes the text, reporting every duplicate key rather than only the first.
    ///
    /// Yams refuses a mapping with a duplicate key and names the first occurrence. To go on, that occurrence is
    /// renamed in the text to private-use characters of the same length (so no other position moves) and the text is
    /// composed again; the decoder finds the renamed keys by position and reports each later occurrence with its
    /// field path. Returns nil for an empty document (only comments, or nothing).
    static func compose(_ text: String, file: String) -> Result<(Node?, [TextPosition: String]), TopologyError> {
        var current = text
        var renamed: [TextPosition: String] = [:]
        var attempt = 0
        while true {
            do {
                // The basic resolver tags every plain scalar `str` without matching YAML 1.1's regular expressions:
                // the decoder reads tags as written (`ScalarValue`), so resolution served only Yams's duplicate-key
                // check, where it was a third of a parse. Keys compare as text, as the decoder compares them.
                // The encoding is given because Yams's default reads the process environment on every call.
                return .success((try Yams.compose(yaml: current, .basic, .default, .utf8), renamed))
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                let position = TextPosition(context.mark)
                let composedBytes = (attempt + 1) * current.utf8.count
                guard attempt < duplicateKeyRenamesMax, composedBytes < duplicateKeyComposedBytesMax,
                    renamed[position] == nil,
                    let replacement = UnicodeScalar(0xE000 + attempt),
                    let next = renamingKey(key, at: position, in: current, to: replacement)
                else {
                    return .failure(
                        TopologyError(
                            file: file, line: context.mark.line, column: context.mark.column, field: "",
                            message: "duplicate key \(NodeReader.quote(key)) in a mapping; write each key once"))
                }
                renamed[position] = key
                current = next
                attempt += 1
            } catch {
                return .failure(syntaxError(error, text: current, file: file))
            }
        }
    }

    /// The text with the key written at `position` replaced by `replacement` repeated, or nil when the key is not
    /// written there as expected (a key with escapes, say), in which case the caller gives up renaming.
    static func renamingKey(
        _ key: String, at position: TextPosition, in text: String, to replacement: Unicode.Scalar
    ) -> String? {
        // Walks the scalars in place and splices UTF-8 bytes: a rename runs once per duplicate key, and copying the
        // text into an array of scalars and back was most of its cost.
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var cursor = TextPosition(line: 1, column: 1)
        while index < scalars.endIndex, cursor != position {
            if cursor.line > position.line { return nil }
            let scalar = scalars[index]
            scalars.formIndex(after: &index)
            advance(&cursor, past: scalar, next: index < scalars.endIndex ? scalars[index] : nil)
        }
        guard cursor == position, index < scalars.endIndex else { return nil }
        if scalars[index] == "\"" || scalars[index] == "'" { scalars.formIndex(after: &index) }
        let keyCount = key.unicodeScalars.count
        guard keyCount > 0, scalars[index...].starts(with: key.unicodeScalars),
            let end = scalars.index(index, offsetBy: keyCount, limitedBy: scalars.endIndex)
        else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + keyCount * 4)
        bytes.append(contentsOf: text.utf8[..<index])
        for _ in 0..<keyCount { bytes.append(contentsOf: String(replacement).utf8) }
        bytes.append(contentsOf: text.utf8[end...])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A Yams error as a topology error at its line: syntax errors read "YAML syntax error: ..." with libyaml's
    /// own words for the problem and its context.
    static func syntaxError(_ error: any Error, text: String, file: String) -> TopologyError {
        func at(_ mark: Mark, _ message: String) -> TopologyError {
            TopologyError(file: file, line: mark.line, column: mark.column, field: "", message: message)
        }
        func message(_ problem: String, _ context: YamlError.Context?) -> String {
            if problem == "but found another document" {
                return "a topology file holds one YAML document, found a second one (a line with ---)"
            }
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return message
        }
        guard let yamlError = error as? YamlError else {
            return TopologyError(file: file, line: 0, column: 0, field: "", message: "cannot parse YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return at(mark, message(problem, context))
        case .reader(let problem, let offset, let value, _):
            // Yams gives the offset in Characters.
            var position = TextPosition(line: 1, column: 1)
            if let offset {
                for character in text.prefix(offset) {
                    if character.unicodeScalars.contains(where: {
                        "\n\r\u{85}\u{2028}\u{2029}".unicodeScalars.contains($0)
                    }) {
                        position = TextPosition(line: position.line + 1, column: 1)
                    } else {
                        position.column += character.unicodeScalars.count
                    }
                }
            }
            var message = "YAML syntax error: \(problem)"
            if value >= 0 { message += " (U+\(String(value, radix: 16, uppercase: true)))" }
            return TopologyError(
                file: file, line: position.line, column: position.column, field: "", message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark, "duplicate key \(NodeReader.quote(duplicates.first ?? "")); write each key once")
        default:
            return TopologyError(file: file, line: 0, column: 0, field: "", message: "cannot parse YAML: \(yamlError)")
        }
    }
}

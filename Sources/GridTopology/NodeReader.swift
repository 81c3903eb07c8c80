import Yams

/// A line and column as Yams reports them (from 1; columns in Unicode scalars).
struct TextPosition: Hashable, Sendable, Comparable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Mark) {
        self.init(line: mark.line, column: mark.column)
    }

    static func < (lhs: TextPosition, rhs: TextPosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// A scalar as this format reads it. Only plain scalars (or ones tagged `!!int` / `!!float`) can be numbers, so
/// `tps: "20000"` is a string, as it would be in JSON; plain scalars are strings too where a string is expected.
enum ScalarValue {
    case null
    /// Plain and untagged: a number, a word or a name, depending on the field.
    case plain(String)
    /// Quoted, a block scalar, or tagged `!!str`.
    case string(String)
    /// Tagged `!!int` or `!!float`.
    case numeric(String)
    case unsupportedTag(String)

    init(_ scalar: Node.Scalar) {
        // `Tag.rawValue` reads the tag as written; `Node.tag` would resolve (and rewrite) it with YAML 1.1 rules.
        switch scalar.tag.rawValue {
        case "":
            let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]
            self = nullWords.contains(scalar.string) ? .null : .plain(scalar.string)
        case "!", Tag.Name.str.rawValue: self = .string(scalar.string)
        case Tag.Name.int.rawValue, Tag.Name.float.rawValue: self = .numeric(scalar.string)
        case Tag.Name.null.rawValue: self = .null
        case Tag.Name.bool.rawValue: self = .plain(scalar.string)
        case let tag: self = .unsupportedTag(tag)
        }
    }
}

/// A number written the way YAML 1.2's core schema writes decimals, plus `_` between digits for readability
/// (`200_000`). Anything else (hex, octal, sexagesimal, `.inf`) is not read as a number.
enum NumberSyntax: Equatable {
    case integer(String)
    case decimal(String)
    case nonFinite
    /// `010` is 8 in YAML 1.1 and 10 in YAML 1.2; refusing it avoids guessing.
    case leadingZero
    case invalid

    init(_ text: String) {
        if [".inf", "+.inf", "-.inf", ".nan"].contains(text.lowercased()) {
            self = .nonFinite
            return
        }
        let bytes = Array(text.utf8)
        var cleaned: [UInt8] = []
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            cleaned.append(bytes[index])
            index += 1
        }
        /// Reads digits with single `_` between them; returns how many digits.
        func digits() -> Int {
            var count = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    cleaned.append(byte)
                    count += 1
                } else if byte == UInt8(ascii: "_"), count > 0, index + 1 < bytes.count,
                    bytes[index + 1] >= UInt8(ascii: "0") && bytes[index + 1] <= UInt8(ascii: "9")
                {
                    // Separator: dropped.
                } else {
                    break
                }
                index += 1
            }
            return count
        }
        let integerStart = cleaned.count
        let integerDigits = digits()
        let hasLeadingZero = integerDigits > 1 && cleaned[integerStart] == UInt8(ascii: "0")
        var isInteger = true
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            cleaned.append(bytes[index])
            index += 1
            fractionDigits = digits()
        }
        guard integerDigits + fractionDigits > 0 else {
            self = .invalid
            return
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            cleaned.append(bytes[index])
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                cleaned.append(bytes[index])
                index += 1
            }
            guard digits() > 0 else {
                self = .invalid
                return
            }
        }
        guard index == bytes.count else {
            self = .invalid
            return
        }
        if hasLeadingZero {
            self = .leadingZero
            return
        }
        let cleanedText = String(decoding: cleaned, as: UTF8.self)
        self = isInteger ? .integer(cleanedText) : .decimal(cleanedText)
    }

    var isNumber: Bool {
        switch self {
        case .integer, .decimal, .nonFinite, .leadingZero: true
        case .invalid: false
        }
    }
}

/// The outcome of reading one value: the value, or a note on why it is not one (completing "got X").
enum Reading<Value> {
    case value(Value)
    case failure(note: String?)
}

/// Reads values from Yams nodes, without reporting: `TopologyDecoder` reports.
enum NodeReader {
    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, case .null = ScalarValue(scalar) { return true }
        return false
    }

    /// How a value appears in "got ..." messages: numbers as written, strings quoted, collections by kind.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch ScalarValue(scalar) {
            case .null: return "nothing (null)"
            case .plain(let text), .numeric(let text):
                return NumberSyntax(text).isNumber ? abbreviate(text) : quote(text)
            case .string(let text):
                return NumberSyntax(text).isNumber ? "the string \(quote(text))" : quote(text)
            case .unsupportedTag(let tag): return "a value tagged \(quote(tag))"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// `"text"` with escapes, cut to 40 characters so that a stray paragraph does not flood the terminal.
    static func quote(_ text: String) -> String {
        var result = "\""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == 40 {
                result += "..."
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func abbreviate(_ text: String) -> String {
        text.unicodeScalars.count <= 40
            ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(40))) + "..."
    }

    private static func numberText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        switch ScalarValue(scalar) {
        case .plain(let text), .numeric(let text): return text
        case .null, .string, .unsupportedTag: return nil
        }
    }

    static func integer(_ node: Node) -> Reading<Int> {
        guard let text = numberText(node) else { return .failure(note: nil) }
        switch NumberSyntax(text) {
        case .integer(let digits):
            guard let value = Int(digits) else { return .failure(note: "too large") }
            return .value(value)
        case .decimal(let digits):
            // 1e3 or 4.0 are integers in value; taking them keeps numbers written by other tools valid.
            guard let value = Double(digits), value == value.rounded(), let exact = Int(exactly: value) else {
                return .failure(note: nil)
            }
            return .value(exact)
        case .leadingZero: return .failure(note: "leading zeros are ambiguous in YAML")
        case .nonFinite, .invalid: return .failure(note: nil)
        }
    }

    static func unsigned(_ node: Node) -> Reading<UInt64> {
        guard let text = numberText(node) else { return .failure(note: nil) }
        switch NumberSyntax(text) {
        case .integer(let digits):
            if digits.hasPrefix("-") {
                return digits.dropFirst().allSatisfy({ $0 == "0" }) ? .value(0) : .failure(note: nil)
            }
            guard let value = UInt64(digits.hasPrefix("+") ? String(digits.dropFirst()) : digits) else {
                return .failure(note: "too large")
            }
            return .value(value)
        case .leadingZero: return .failure(note: "leading zeros are ambiguous in YAML")
        case .decimal, .nonFinite, .invalid: return .failure(note: nil)
        }
    }

    static func number(_ node: Node) -> Reading<Double> {
        guard let text = numberText(node) else { return .failure(note: nil) }
        switch NumberSyntax(text) {
        case .integer(let digits), .decimal(let digits):
            guard let value = Double(digits), value.isFinite else { return .failure(note: "too large") }
            return .value(value)
        case .nonFinite: return .failure(note: "not a finite number")
        case .leadingZero: return .failure(note: "leading zeros are ambiguous in YAML")
        case .invalid: return .failure(note: nil)
        }
    }

    static func string(_ node: Node) -> Reading<String> {
        guard case .scalar(let scalar) = node else { return .failure(note: nil) }
        switch ScalarValue(scalar) {
        case .plain(let text), .string(let text), .numeric(let text): return .value(text)
        case .null: return .failure(note: nil)
        case .unsupportedTag: return .failure(note: "YAML tags are not supported")
        }
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node) -> Reading<Choice>
    where Choice.RawValue == String {
        guard case .value(let text) = string(node) else { return .failure(note: nil) }
        if let choice = Choice(rawValue: text) { return .value(choice) }
        let suggestion = Suggestions.closest(to: text, among: Choice.allCases.map(\.rawValue))
        return .failure(note: suggestion.map { "did you mean \($0)?" })
    }

    static func nodeReference(_ node: Node) -> Reading<NodeReference> {
        guard case .value(let text) = string(node) else { return .failure(note: nil) }
        guard let reference = NodeReference(text) else { return .failure(note: nil) }
        return .value(reference)
    }
}

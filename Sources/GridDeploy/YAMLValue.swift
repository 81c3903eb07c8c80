import Foundation

/// A YAML value built in code and written as block-style YAML. Keys keep the order they were given in, so the
/// manifests read as Kubernetes documents usually do (apiVersion, kind, metadata, spec).
///
/// Strings are always quoted (as JSON strings, which YAML reads as double-quoted scalars), so no value can turn
/// into a number, a boolean or null on the way ("0600", "on", "1e3" stay strings). Multi-line text (a genesis file
/// in a ConfigMap) is written as a literal block when that keeps it byte for byte.
public indirect enum YAMLValue: Equatable, Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case map([(String, YAMLValue)])
    case list([YAMLValue])

    public static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    /// The value under `key` of a map, nil otherwise.
    public subscript(key: String) -> YAMLValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == key }?.1
    }

    /// One YAML document, ending in a newline.
    public func document() -> String {
        var lines: [String] = []
        switch self {
        case .map(let entries) where !entries.isEmpty: Self.appendMap(entries, indent: 0, to: &lines)
        case .list(let items) where !items.isEmpty: Self.appendList(items, indent: 0, to: &lines)
        default: lines.append(inline)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Documents separated by `---`, as `kubectl apply -f` reads them.
    public static func stream(_ documents: [YAMLValue]) -> String {
        documents.map { $0.document() }.joined(separator: "---\n")
    }

    /// The value on one line: scalars, and empty maps and lists.
    var inline: String {
        switch self {
        case .string(let text): Self.quoted(text)
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .map(let entries): entries.isEmpty ? "{}" : "{...}"
        case .list(let items): items.isEmpty ? "[]" : "[...]"
        }
    }

    var isBlock: Bool {
        switch self {
        case .map(let entries): !entries.isEmpty
        case .list(let items): !items.isEmpty
        default: false
        }
    }

    static func appendMap(_ entries: [(String, YAMLValue)], indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in entries {
            let keyText = plainKeyAllowed(key) ? key : quoted(key)
            switch value {
            case .map(let inner) where !inner.isEmpty:
                lines.append("\(pad)\(keyText):")
                appendMap(inner, indent: indent + 2, to: &lines)
            case .list(let items) where !items.isEmpty:
                lines.append("\(pad)\(keyText):")
                appendList(items, indent: indent, to: &lines)
            case .string(let text) where literalBlockAllowed(text):
                lines.append("\(pad)\(keyText): \(text.hasSuffix("\n") ? "|" : "|-")")
                appendLiteral(text, indent: indent + 2, to: &lines)
            default:
                lines.append("\(pad)\(keyText): \(value.inline)")
            }
        }
    }

    /// List items at the same indentation as their key (the usual Kubernetes style), each `- ` followed by the
    /// item; a map item's first key shares the dash's line.
    static func appendList(_ items: [YAMLValue], indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .map(let entries) where !entries.isEmpty:
                var inner: [String] = []
                appendMap(entries, indent: indent + 2, to: &inner)
                lines.append(pad + "- " + inner[0].dropFirst(indent + 2))
                lines.append(contentsOf: inner.dropFirst())
            case .list(let nested) where !nested.isEmpty:
                lines.append(pad + "-")
                appendList(nested, indent: indent + 2, to: &lines)
            case .string(let text) where literalBlockAllowed(text):
                lines.append(pad + "- " + (text.hasSuffix("\n") ? "|" : "|-"))
                appendLiteral(text, indent: indent + 2, to: &lines)
            default:
                lines.append(pad + "- " + item.inline)
            }
        }
    }

    static func appendLiteral(_ text: String, indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        var body = text
        if body.hasSuffix("\n") { body.removeLast() }
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line.isEmpty ? "" : pad + line)
        }
    }

    /// A literal block keeps the text exactly when it has several lines, ends in at most one newline, no line
    /// has leading (first line) or trailing blanks YAML would fold or strip, and nothing but printable text and
    /// newlines occurs.
    static func literalBlockAllowed(_ text: String) -> Bool {
        guard text.contains("\n"), !text.hasSuffix("\n\n"), !text.hasPrefix(" "), !text.hasPrefix("\n") else {
            return false
        }
        var body = Substring(text)
        if body.hasSuffix("\n") { body.removeLast() }
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix(" ") || line.hasSuffix("\t") { return false }
            if line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{FEFF}" }) {
                return false
            }
        }
        return true
    }

    /// Words a YAML 1.1 reader (PyYAML, older Go parsers) takes for booleans or null.
    static let specialWords: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]

    /// Keys such as `apiVersion` or `app.kubernetes.io/name` go unquoted; anything a reader could take for
    /// something else is quoted.
    static func plainKeyAllowed(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        guard !specialWords.contains(key.lowercased()) else { return false }
        return key.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._/-".unicodeScalars.contains($0))
        }
    }

    /// A JSON string literal: YAML 1.2 reads it as the same double-quoted string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || scalar.value == 0xFEFF || scalar.value == 0x2028 || scalar.value == 0x2029
                {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension YAMLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: YAMLValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, YAMLValue)...) { self = .map(elements) }
}

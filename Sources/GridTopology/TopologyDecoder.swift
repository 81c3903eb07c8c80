import Yams

/// The keys of one YAML mapping, read against the keys a field knows.
struct Fields {
    /// Path of the mapping itself.
    let path: String
    /// Where a missing key is reported: the line of the mapping's own key (the parent's line).
    let location: FieldLocation
    fileprivate(set) var entries: [String: (key: Node, value: Node)] = [:]

    /// The value of a key, nil when absent or null (null means "use the default").
    func value(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !NodeReader.isNull(value) else { return nil }
        return value
    }

    func keyMark(_ key: String) -> Mark? { entries[key]?.key.mark }

    func path(_ key: String) -> String { FieldPath.child(path, key) }
}

/// Phase one of reading a topology: from the composed YAML tree to typed values, reporting wrong shapes and types,
/// unknown, missing and duplicate keys, and recording where every value was written for phase two.
final class TopologyDecoder {
    let file: String
    /// Positions of keys that Yams found duplicated and that were renamed so that the file could be composed (see
    /// `TopologyParser.compose`), with their original text.
    let shadowedKeys: [TextPosition: String]
    private(set) var errors: [TopologyError] = []
    /// Fields whose value is a placeholder because of an error; phase two checks nothing at or under them.
    private(set) var brokenPaths: Set<String> = []
    private(set) var sourceMap: SourceMap

    init(file: String, shadowedKeys: [TextPosition: String]) {
        self.file = file
        self.shadowedKeys = shadowedKeys
        self.sourceMap = SourceMap(file: file)
    }

    // MARK: - Reporting

    func location(_ mark: Mark?) -> FieldLocation {
        guard let mark else { return FieldLocation(file: file, line: 0, column: 0) }
        return FieldLocation(file: file, line: mark.line, column: mark.column)
    }

    func record(_ path: String, at mark: Mark?) {
        sourceMap.locations[path] = location(mark)
    }

    func report(_ path: String, at location: FieldLocation, _ message: String) {
        errors.append(location.error(field: path, message))
        brokenPaths.insert(path)
    }

    func report(_ path: String, at mark: Mark?, _ message: String) {
        report(path, at: location(mark), message)
    }

    /// The value at `path` is a placeholder: its own error was reported elsewhere (or on a key inside it).
    func markBroken(_ path: String) {
        brokenPaths.insert(path)
    }

    func reportMissing(_ key: String, in fields: Fields, expected expectation: String) {
        report(fields.path(key), at: fields.location, "missing required key (expected \(expectation))")
    }

    private func reportWrongValue(_ path: String, _ node: Node, expected expectation: String, note: String?) {
        var message = "expected \(expectation), got \(NodeReader.describe(node))"
        if let note { message += " (\(note))" }
        report(path, at: node.mark, message)
    }

    // MARK: - Collections

    /// Reads a mapping at `path`, whose own key (or list entry) is at `keyMark`. Reports keys not in `keys`, with a
    /// suggestion, and duplicate keys. Returns nil, after reporting, when the node is not a mapping.
    func mapping(_ node: Node, path: String, keyMark: Mark?, keys: [String], expected expectation: String) -> Fields? {
        record(path, at: keyMark ?? node.mark)
        guard case .mapping(let mapping) = node else {
            reportWrongValue(path, node, expected: expectation, note: nil)
            return nil
        }
        var fields = Fields(path: path, location: location(keyMark ?? node.mark))
        var occurrences: [String: [Mark]] = [:]
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                report(path, at: key.mark, "keys must be names, got \(NodeReader.describe(key)) as a key")
                continue
            }
            let keyMark = key.mark ?? mapping.mark
            if let mark = keyMark, let original = shadowedKeys[TextPosition(mark)] {
                occurrences[original, default: []].append(mark)
                continue
            }
            let name = keyScalar.string
            if let keyMark { occurrences[name, default: []].append(keyMark) }
            guard keys.contains(name) else {
                reportUnknownKey(name, at: keyMark, in: path, keys: keys)
                continue
            }
            fields.entries[name] = (key, value)
        }
        for (name, marks) in occurrences where marks.count > 1 {
            let ordered = marks.sorted { TextPosition($0) < TextPosition($1) }
            for mark in ordered.dropFirst() {
                report(
                    FieldPath.child(path, name), at: mark,
                    "duplicate key \(NodeReader.quote(name)) (first written at line \(ordered[0].line)); write each key once"
                )
            }
        }
        return fields
    }

    private func reportUnknownKey(_ name: String, at mark: Mark?, in path: String, keys: [String]) {
        var message = "unknown key \(NodeReader.quote(name))"
        if name == "<<" {
            message += "; merge keys are not supported, write the fields out"
        } else if let suggestion = Suggestions.closest(to: name, among: keys) {
            message += "; did you mean \(suggestion)?"
        } else {
            message += "; expected one of: " + keys.joined(separator: ", ")
        }
        errors.append(location(mark).error(field: FieldPath.child(path, name), message))
    }

    /// An optional section: its fields, empty fields (all defaults) when absent or null, nil when not a mapping.
    func section(_ parent: Fields, _ key: String, keys: [String], expected expectation: String) -> Fields? {
        guard let node = parent.value(key) else {
            return Fields(path: parent.path(key), location: parent.location)
        }
        return mapping(node, path: parent.path(key), keyMark: parent.keyMark(key), keys: keys, expected: expectation)
    }

    /// A required section: nil, after reporting, when absent or not a mapping.
    func requiredSection(_ parent: Fields, _ key: String, keys: [String], expected expectation: String) -> Fields? {
        guard let node = parent.value(key) else {
            reportMissing(key, in: parent, expected: expectation)
            return nil
        }
        return mapping(node, path: parent.path(key), keyMark: parent.keyMark(key), keys: keys, expected: expectation)
    }

    /// The entries of a list with their paths; nil after reporting when the node is not a list.
    func list(_ node: Node, path: String, keyMark: Mark?, expected expectation: String) -> [(path: String, node: Node)]?
    {
        record(path, at: keyMark ?? node.mark)
        guard case .sequence(let sequence) = node else {
            reportWrongValue(path, node, expected: expectation, note: nil)
            return nil
        }
        return sequence.enumerated().map { index, element in
            let elementPath = FieldPath.element(path, index)
            record(elementPath, at: element.mark)
            return (elementPath, element)
        }
    }

    /// The entries of an optional list field: empty when absent or null.
    func list(_ fields: Fields, _ key: String, required: Bool, expected expectation: String)
        -> [(path: String, node: Node)]?
    {
        guard let node = fields.value(key) else {
            if required { reportMissing(key, in: fields, expected: expectation) }
            return required ? nil : []
        }
        return list(node, path: fields.path(key), keyMark: fields.keyMark(key), expected: expectation)
    }

    // MARK: - Scalars

    /// Reads one value at `path`, reporting "expected ..., got ..." when it is not one.
    func value<Value>(_ node: Node, path: String, expected expectation: String, _ read: (Node) -> Reading<Value>)
        -> Value?
    {
        record(path, at: node.mark)
        switch read(node) {
        case .value(let value): return value
        case .failure(let note):
            reportWrongValue(path, node, expected: expectation, note: note)
            return nil
        }
    }

    /// Reads a key's value: nil when absent (reported if required) or wrong (reported).
    func value<Value>(
        _ fields: Fields, _ key: String, required: Bool = false, expected expectation: String,
        _ read: (Node) -> Reading<Value>
    ) -> Value? {
        guard let node = fields.value(key) else {
            if required { reportMissing(key, in: fields, expected: expectation) }
            return nil
        }
        return value(node, path: fields.path(key), expected: expectation, read)
    }

    func integer(_ fields: Fields, _ key: String, _ rule: IntegerRule, default defaultValue: Int) -> Int {
        value(fields, key, expected: rule.expectation, NodeReader.integer) ?? defaultValue
    }

    /// A required integer; a placeholder (the rule's lower bound) when missing or wrong, after reporting.
    func requiredInteger(_ fields: Fields, _ key: String, _ rule: IntegerRule) -> Int {
        value(fields, key, required: true, expected: rule.expectation, NodeReader.integer) ?? rule.range.lowerBound
    }

    func number(_ fields: Fields, _ key: String, _ rule: NumberRule, default defaultValue: Double) -> Double {
        value(fields, key, expected: rule.expectation, NodeReader.number) ?? defaultValue
    }

    /// A required number; a placeholder when missing or wrong, after reporting.
    func requiredNumber(_ fields: Fields, _ key: String, _ rule: NumberRule) -> Double {
        value(fields, key, required: true, expected: rule.expectation, NodeReader.number) ?? 0
    }
}

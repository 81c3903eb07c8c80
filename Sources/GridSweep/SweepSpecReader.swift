import Foundation
import GridTopology
import Yams

/// Reads a sweep spec: bytes to a checked ``SweepSpec``, reporting every problem with file, line, field and value.
/// Whether each cell makes a valid topology is checked later, by ``SweepPlan``, with the topology parser itself.
public enum SweepSpecReader {
    static let keys = [
        "schemaVersion", "name", "description", "topologies", "mode", "slo", "targetTps", "runtime", "seed",
        "durationSeconds", "set", "matrix", "keepStores",
    ]

    /// Reads the spec at `url`; errors name it as `url.relativePath`, and base topologies are found next to it.
    public static func load(contentsOf url: URL) throws(SweepSpecErrors) -> SweepSpec {
        let file = url.relativePath
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: SweepLimits.specBytesMax + 1) ?? Data()
        } catch {
            throw documentError(file, "cannot read the spec: \(error.localizedDescription)")
        }
        guard data.count <= SweepLimits.specBytesMax else {
            throw documentError(file, "the spec is larger than \(SweepLimits.specBytesMax) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw documentError(file, "the spec is not UTF-8 text")
        }
        return try parse(yaml: text, file: file, directory: url.deletingLastPathComponent())
    }

    /// Parses spec text; `directory` is where relative topology paths start.
    public static func parse(yaml: String, file: String, directory: URL) throws(SweepSpecErrors) -> SweepSpec {
        guard yaml.utf8.count <= SweepLimits.specBytesMax else {
            throw documentError(file, "the spec is larger than \(SweepLimits.specBytesMax) bytes")
        }
        let result = LargeStack.run { () -> Result<SweepSpec, SweepSpecErrors> in
            SpecDecoder(file: file, directory: directory).decode(yaml)
        }
        return try result.get()
    }

    static func documentError(_ file: String, _ message: String) -> SweepSpecErrors {
        SweepSpecErrors([SweepSpecError(file: file, line: 0, column: 0, field: "", message: message)])
    }
}

/// One pass over the composed spec. Yams nodes never leave the parser thread: everything kept is converted to
/// sendable values.
final class SpecDecoder {
    let file: String
    let directory: URL
    private(set) var errors: [SweepSpecError] = []
    private var nodesLeft = SweepLimits.specNodesMax

    init(file: String, directory: URL) {
        self.file = file
        self.directory = directory
    }

    func location(_ mark: Mark?) -> SpecLocation {
        SpecLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    func report(_ field: String, _ mark: Mark?, _ message: String) {
        errors.append(location(mark).error(field: field, message))
    }

    func decode(_ text: String) -> Result<SweepSpec, SweepSpecErrors> {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text), !isNull(composed) else {
                return .failure(
                    SweepSpecReader.documentError(
                        file, "the spec is empty; expected a mapping with schemaVersion: 1, topologies and matrix"))
            }
            root = composed
        } catch {
            return .failure(SweepSpecErrors([yamlError(error)]))
        }
        guard case .mapping(let mapping) = root else {
            report("", root.mark, "expected a mapping with schemaVersion, topologies and matrix, got \(describe(root))")
            return .failure(SweepSpecErrors(errors))
        }
        let fields = entries(mapping, field: "", known: SweepSpecReader.keys)
        let spec = decodeSpec(fields, documentMark: root.mark)
        guard errors.isEmpty, let spec else {
            let sorted = errors.enumerated().sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            return .failure(SweepSpecErrors(Array(sorted.map(\.element).prefix(SweepLimits.errorsMax))))
        }
        return .success(spec)
    }

    // MARK: - The document

    private func decodeSpec(_ fields: [String: (keyMark: Mark?, value: Node)], documentMark: Mark?) -> SweepSpec? {
        if let version = fields["schemaVersion"] {
            if integer(version.value) != SweepSpec.currentSchemaVersion {
                report(
                    "schemaVersion", version.value.mark,
                    "expected schema version \(SweepSpec.currentSchemaVersion), got \(describe(version.value))")
            }
        } else {
            report("schemaVersion", documentMark, "missing required key (expected schemaVersion: 1)")
        }
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var name = stem
        if let entry = fields["name"] {
            if let text = scalarString(entry.value), TopologyLimits.isValidTopologyName(text) {
                name = text
            } else {
                report(
                    "name", entry.value.mark, "expected a name of [A-Za-z0-9_.-]{1,64}, got \(describe(entry.value))")
            }
        }
        var description = ""
        if let entry = fields["description"] {
            if let text = scalarString(entry.value), text.utf8.count <= TopologyLimits.descriptionLengthMax {
                description = text
            } else {
                report("description", entry.value.mark, "expected one line of text, got \(describe(entry.value))")
            }
        }
        let topologies = decodeTopologies(fields["topologies"], documentMark: documentMark)
        var mode = SweepSpec.Mode.run
        if let entry = fields["mode"] {
            if let text = scalarString(entry.value), let value = SweepSpec.Mode(rawValue: text) {
                mode = value
            } else {
                report(
                    "mode", entry.value.mark,
                    "expected run (fixed rate) or capacity (search for the sustainable rate), got \(describe(entry.value))"
                )
            }
        }
        var slo: ServiceLevelObjective?
        if let entry = fields["slo"] {
            if let text = scalarString(entry.value), let value = ServiceLevelObjective(text) {
                slo = value
            } else {
                report(
                    "slo", entry.value.mark,
                    "expected \(ServiceLevelObjective.expectation), got \(describe(entry.value))")
            }
        } else if mode == .capacity {
            report("slo", documentMark, "missing required key: mode capacity searches under an SLO such as \"p99<=1s\"")
        }
        let targetTps = fields["targetTps"].flatMap {
            positiveNumber($0.value, field: "targetTps", upTo: TopologyLimits.tpsMax, unit: "transactions per second")
        }
        var runtime = SweepSpec.Runtime.sim
        if let entry = fields["runtime"] {
            if let text = scalarString(entry.value), let value = SweepSpec.Runtime(rawValue: text) {
                runtime = value
            } else {
                report("runtime", entry.value.mark, "expected sim or live, got \(describe(entry.value))")
            }
        }
        var seed: UInt64?
        if let entry = fields["seed"] {
            if let text = plainScalar(entry.value), let value = UInt64(text) {
                seed = value
            } else {
                report(
                    "seed", entry.value.mark, "expected an integer in 0...\(UInt64.max), got \(describe(entry.value))")
            }
        }
        let durationSeconds = fields["durationSeconds"].flatMap {
            positiveNumber($0.value, field: "durationSeconds", upTo: TopologyLimits.durationSecondsMax, unit: "seconds")
        }
        var keepStores = false
        if let entry = fields["keepStores"] {
            switch plainScalar(entry.value) {
            case "true": keepStores = true
            case "false": keepStores = false
            default: report("keepStores", entry.value.mark, "expected true or false, got \(describe(entry.value))")
            }
        }
        var settings: [SweepParameter] = []
        if let seed, let entry = fields["seed"] {
            settings.append(fixed("seed", [.key("seed")], .scalar(String(seed), quoted: false), entry.value.mark))
        }
        if let durationSeconds, let entry = fields["durationSeconds"] {
            settings.append(
                fixed(
                    "durationSeconds", [.key("workload"), .key("durationSeconds")],
                    .scalar(format(durationSeconds), quoted: false), entry.value.mark))
        }
        if let entry = fields["set"] { settings += decodeSettings(entry.value) }
        let axes = fields["matrix"].map { decodeMatrix($0.value) } ?? []
        checkConflicts(settings: settings, axes: axes)
        let spec = SweepSpec(
            file: file, name: name, description: description, topologies: topologies, mode: mode, slo: slo,
            targetTps: targetTps, runtime: runtime, seed: seed, durationSeconds: durationSeconds, settings: settings,
            axes: axes, keepStores: keepStores)
        if errors.isEmpty, spec.cellCount > SweepLimits.cellsMax {
            report(
                fields["matrix"] == nil ? "topologies" : "matrix", fields["matrix"]?.keyMark ?? documentMark,
                "the matrix has \(spec.cellCount == Int.max ? "too many" : String(spec.cellCount)) cells; a sweep "
                    + "runs at most \(SweepLimits.cellsMax)")
        }
        return errors.isEmpty ? spec : nil
    }

    private func fixed(_ name: String, _ path: [PathComponent], _ value: SweepValue, _ mark: Mark?) -> SweepParameter {
        SweepParameter(name: name, target: .path(path), value: value, location: location(mark), field: name)
    }

    private func decodeTopologies(_ entry: (keyMark: Mark?, value: Node)?, documentMark: Mark?) -> [BaseTopology] {
        guard let entry else {
            report("topologies", documentMark, "missing required key (expected a list of topology files)")
            return []
        }
        var items: [(node: Node, field: String)] = []
        switch entry.value {
        case .scalar: items = [(entry.value, "topologies")]
        case .sequence(let sequence):
            items = sequence.enumerated().map { ($0.element, "topologies[\($0.offset)]") }
            if items.isEmpty { report("topologies", entry.value.mark, "expected at least one topology file") }
            if items.count > SweepLimits.topologiesMax {
                report("topologies", entry.value.mark, "expected at most \(SweepLimits.topologiesMax) topology files")
                return []
            }
        default:
            report(
                "topologies", entry.value.mark,
                "expected a topology file or a list of them, got \(describe(entry.value))")
        }
        var result: [BaseTopology] = []
        for (node, field) in items {
            guard let path = scalarString(node), !path.isEmpty, path.utf8.count <= 1024, !path.contains("\0") else {
                report(field, node.mark, "expected the path of a topology file, got \(describe(node))")
                continue
            }
            let url = URL(fileURLWithPath: path, relativeTo: directory).standardizedFileURL
            result.append(BaseTopology(path: path, url: url, location: location(node.mark), field: field))
        }
        let stems = result.map { $0.url.deletingPathExtension().lastPathComponent }
        for (index, stem) in stems.enumerated() where stems[..<index].contains(stem) {
            report(
                result[index].field, nil,
                "two topologies share the file name \(stem), which names cells; rename one")
        }
        return result
    }

    // MARK: - Parameters

    private func decodeSettings(_ node: Node) -> [SweepParameter] {
        guard case .mapping(let mapping) = node else {
            report(
                "set", node.mark, "expected a mapping of parameter: value, applied to every cell, got \(describe(node))"
            )
            return []
        }
        var result: [SweepParameter] = []
        for (key, value) in orderedEntries(mapping, field: "set") {
            let field = "set." + key.string
            if let parameter = parameter(key.string, value, field: field, keyMark: key.mark) {
                result.append(parameter)
            }
        }
        return result
    }

    private func decodeMatrix(_ node: Node) -> [SweepAxis] {
        guard case .mapping(let mapping) = node else {
            report("matrix", node.mark, "expected a mapping of parameter: [values], got \(describe(node))")
            return []
        }
        let entries = orderedEntries(mapping, field: "matrix")
        if entries.count > SweepLimits.axesMax {
            report("matrix", node.mark, "expected at most \(SweepLimits.axesMax) parameters, got \(entries.count)")
            return []
        }
        var axes: [SweepAxis] = []
        for (key, valueNode) in entries {
            let name = key.string
            let field = "matrix." + name
            guard case .sequence(let sequence) = valueNode, !sequence.isEmpty else {
                report(field, valueNode.mark, "expected a non-empty list of values, got \(describe(valueNode))")
                continue
            }
            guard sequence.count <= SweepLimits.cellsMax else {
                report(field, valueNode.mark, "expected at most \(SweepLimits.cellsMax) values")
                continue
            }
            let isParameter = ParameterNames.shortcut(name) != nil || isTopologyPath(name)
            let isBundle = !isParameter && sequence.allSatisfy { if case .mapping = $0 { true } else { false } }
            if !isParameter && !isBundle {
                reportUnknownParameter(
                    name, field: field, keyMark: key.mark,
                    note: "or a bundle: a list of mappings that each set several parameters")
                continue
            }
            var values: [AxisValue] = []
            for (index, item) in sequence.enumerated() {
                let itemField = "\(field)[\(index)]"
                if isBundle, case .mapping(let bundle) = item {
                    if let value = decodeBundleValue(bundle, axis: name, index: index, field: itemField) {
                        values.append(value)
                    }
                } else if let parameter = parameter(name, item, field: itemField, keyMark: key.mark) {
                    values.append(AxisValue(label: label(name, parameter.value, index: index), parameters: [parameter]))
                }
            }
            axes.append(SweepAxis(name: name, location: location(key.mark), values: values))
        }
        return axes
    }

    private func decodeBundleValue(_ bundle: Node.Mapping, axis: String, index: Int, field: String) -> AxisValue? {
        var label = "\(axis)\(index + 1)"
        var parameters: [SweepParameter] = []
        for (key, value) in orderedEntries(bundle, field: field) {
            if key.string == "label" {
                if let text = scalarString(value), !text.isEmpty, text.utf8.count <= SweepLimits.cellNameLengthMax {
                    label = text
                } else {
                    report(field + ".label", value.mark, "expected a short name for cell names, got \(describe(value))")
                }
                continue
            }
            if let parameter = parameter(key.string, value, field: field + "." + key.string, keyMark: key.mark) {
                parameters.append(parameter)
            }
        }
        if parameters.isEmpty {
            report(field, bundle.mark, "expected a mapping that sets at least one parameter (and an optional label)")
            return nil
        }
        return AxisValue(label: label, parameters: parameters)
    }

    /// `regions4`, `devicesPerBus5`; a value that is not a plain scalar is named by its position (`mix2`).
    private func label(_ name: String, _ value: SweepValue, index: Int) -> String {
        let short = name.split(separator: ".").last.map { String($0.prefix { $0 != "[" }) } ?? name
        if let text = value.plainScalar ?? { if case .scalar(let text, quoted: true) = value { text } else { nil } }() {
            return short + text
        }
        return short + String(index + 1)
    }

    private func isTopologyPath(_ name: String) -> Bool {
        guard let components = PathComponent.parse(name), case .key(let first) = components.first else { return false }
        return ParameterNames.topologyKeys.contains(first)
    }

    /// The parameter `name` set to `node`; nil, after reporting, when the name or the value's shape is wrong. Ranges
    /// are the topology parser's to check, in each cell.
    func parameter(_ name: String, _ node: Node, field: String, keyMark: Mark?) -> SweepParameter? {
        guard let value = sweepValue(node, field: field, depth: 0) else { return nil }
        let target: ParameterTarget
        if let shortcut = ParameterNames.shortcut(name) {
            target =
                name == "regions" && { if case .sequence = value { true } else { false } }()
                ? .regionList : shortcut.target
            let problem: String?
            switch name {
            case "regions":
                if target == .regionList {
                    problem = nil
                } else if let text = value.plainScalar, let count = Int(text), count >= 1,
                    count <= TopologyLimits.regionsMax
                {
                    problem = nil
                } else {
                    problem = "an integer in 1...\(TopologyLimits.regionsMax) or a list of regions"
                }
            case "validatorsPerRegion", "cores", "blockTransactionsMax", "blockBytesMax":
                problem = value.plainScalar.flatMap { Int($0) } == nil ? "an integer (\(shortcut.expected))" : nil
            case "blockIntervalMillis", "tps", "durationSeconds", "warmupSeconds":
                problem =
                    value.plainScalar.flatMap { Double($0) }.map(\.isFinite) == true
                    ? nil : "a number of \(shortcut.expected)"
            case "mix": problem = value.isMapping ? nil : shortcut.expected
            case "seed":
                problem = value.plainScalar.flatMap { UInt64($0) } == nil ? "an integer in 0...\(UInt64.max)" : nil
            default: problem = nil
            }
            if let problem {
                report(field, node.mark, "expected \(problem), got \(describe(node))")
                return nil
            }
        } else if let components = PathComponent.parse(name), case .key(let first) = components.first,
            ParameterNames.topologyKeys.contains(first)
        {
            target = .path(components)
        } else {
            reportUnknownParameter(name, field: field, keyMark: keyMark, note: nil)
            return nil
        }
        return SweepParameter(name: name, target: target, value: value, location: location(node.mark), field: field)
    }

    private func reportUnknownParameter(_ name: String, field: String, keyMark: Mark?, note: String?) {
        var message: String
        if name == "name" || name == "schemaVersion" {
            message = "\(name) is set by the sweep (each cell's topology is named after the cell)"
        } else {
            message = "unknown parameter \(quote(name))"
            let head = String(name.prefix { $0 != "." && $0 != "[" })
            if name.contains("."), let suggestion = Suggestions.closest(to: head, among: ParameterNames.topologyKeys) {
                message += "; did you mean \(suggestion)\(name.dropFirst(head.count))?"
            } else if let suggestion = Suggestions.closest(to: name, among: ParameterNames.candidates) {
                message += "; did you mean \(suggestion)?"
            }
            message +=
                " (parameters: " + ParameterNames.shortcuts.map(\.name).joined(separator: ", ")
                + ", or a topology field path such as consensus.blockIntervalMillis"
            message += note.map { "; " + $0 } ?? ""
            message += ")"
        }
        report(field, keyMark, message)
    }

    /// A field set twice (in `set`, by `seed`/`durationSeconds` and by the matrix) would depend on the order of
    /// application; refuse it.
    private func checkConflicts(settings: [SweepParameter], axes: [SweepAxis]) {
        var seen: [String: SweepParameter] = [:]
        func visit(_ parameters: [SweepParameter]) {
            var local: [String: SweepParameter] = [:]
            for parameter in parameters {
                let target = parameter.target.topologyField
                if let first = seen[target] ?? local[target] {
                    errors.append(
                        parameter.location.error(
                            field: parameter.field,
                            "sets \(target), which \(first.field) (line \(first.location.line)) sets too; set each field once"
                        ))
                } else {
                    local[target] = parameter
                }
            }
            for (key, value) in local { seen[key] = value }
        }
        visit(settings)
        for axis in axes {
            // Values of one axis replace each other; only the union of their targets meets the other axes, and a
            // clash is reported once, at the first value that makes it.
            var union: [String: SweepParameter] = [:]
            var reported: Set<String> = []
            for value in axis.values {
                var local: [String: SweepParameter] = [:]
                for parameter in value.parameters {
                    let target = parameter.target.topologyField
                    if let first = seen[target] ?? local[target] {
                        if reported.insert(target).inserted {
                            errors.append(
                                parameter.location.error(
                                    field: parameter.field,
                                    "sets \(target), which \(first.field) (line \(first.location.line)) sets too; set "
                                        + "each field once"))
                        }
                    } else {
                        local[target] = parameter
                    }
                }
                for (key, parameter) in local where union[key] == nil { union[key] = parameter }
            }
            for (key, value) in union { seen[key] = value }
        }
    }

    // MARK: - Nodes

    /// Keys of a mapping with their nodes, checking they are names and known (with a suggestion) and written once.
    private func entries(_ mapping: Node.Mapping, field: String, known: [String]) -> [String: (
        keyMark: Mark?, value: Node
    )] {
        var result: [String: (keyMark: Mark?, value: Node)] = [:]
        for (key, value) in orderedEntries(mapping, field: field) {
            guard known.contains(key.string) else {
                var message = "unknown key \(quote(key.string))"
                if let suggestion = Suggestions.closest(to: key.string, among: known) {
                    message += "; did you mean \(suggestion)?"
                }
                message += " (keys: " + known.joined(separator: ", ") + ")"
                report(field.isEmpty ? key.string : field + "." + key.string, key.mark, message)
                continue
            }
            result[key.string] = (key.mark, value)
        }
        return result
    }

    private struct Key {
        var string: String
        var mark: Mark?
    }

    /// The entries of a mapping in file order; keys must be plain names, each written once.
    private func orderedEntries(_ mapping: Node.Mapping, field: String) -> [(Key, Node)] {
        var result: [(Key, Node)] = []
        var seen: [String: Int] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key, !scalar.string.isEmpty, scalar.string.utf8.count <= 256 else {
                report(field, key.mark, "keys must be names, got \(describe(key)) as a key")
                continue
            }
            let name = scalar.string
            if let line = seen[name] {
                report(
                    field.isEmpty ? name : field + "." + name, key.mark,
                    "duplicate key \(quote(name)) (first written at line \(line)); write each key once")
                continue
            }
            seen[name] = key.mark?.line ?? 0
            result.append((Key(string: name, mark: key.mark), value))
        }
        return result
    }

    /// The node as a plain value tree; nil (reported) for aliases, or beyond the spec's nesting and size bounds.
    func sweepValue(_ node: Node, field: String, depth: Int) -> SweepValue? {
        nodesLeft -= 1
        guard nodesLeft >= 0 else {
            if nodesLeft == -1 {
                report(field, node.mark, "the spec holds more than \(SweepLimits.specNodesMax) values; split the sweep")
            }
            return nil
        }
        guard depth <= SweepLimits.specDepthMax else {
            report(field, node.mark, "values nest deeper than \(SweepLimits.specDepthMax) levels")
            return nil
        }
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return .null }
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return .scalar(scalar.string, quoted: quoted)
        case .sequence(let sequence):
            var items: [SweepValue] = []
            for (index, item) in sequence.enumerated() {
                guard let value = sweepValue(item, field: "\(field)[\(index)]", depth: depth + 1) else { return nil }
                items.append(value)
            }
            return .sequence(items)
        case .mapping(let mapping):
            var entries: [SweepValue.Entry] = []
            for (key, item) in orderedEntries(mapping, field: field) {
                guard let value = sweepValue(item, field: field + "." + key.string, depth: depth + 1) else {
                    return nil
                }
                entries.append(SweepValue.Entry(key: key.string, value: value))
            }
            return .mapping(entries)
        case .alias:
            report(field, node.mark, "aliases are not supported; write the value out")
            return nil
        }
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func scalarString(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, !isNull(node) else { return nil }
        return scalar.string
    }

    private func plainScalar(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any, !isNull(node) else {
            return nil
        }
        return scalar.string
    }

    private func integer(_ node: Node) -> Int? { plainScalar(node).flatMap { Int($0) } }

    private func positiveNumber(_ node: Node, field: String, upTo high: Double, unit: String) -> Double? {
        if let value = plainScalar(node).flatMap({ Double($0) }), value.isFinite, value > 0, value <= high {
            return value
        }
        report(
            field, node.mark, "expected a positive number of \(unit), at most \(format(high)), got \(describe(node))")
        return nil
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            return quote(scalar.string)
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    private func yamlError(_ error: any Error) -> SweepSpecError {
        func at(_ mark: Mark, _ message: String) -> SweepSpecError {
            SweepSpecError(file: file, line: mark.line, column: mark.column, field: "", message: message)
        }
        guard let yamlError = error as? YamlError else {
            return SweepSpecError(file: file, line: 0, column: 0, field: "", message: "cannot parse YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return at(mark, message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark, "duplicate key \(quote(duplicates.first ?? "")); write each key once")
        default:
            return SweepSpecError(file: file, line: 0, column: 0, field: "", message: "cannot parse YAML: \(yamlError)")
        }
    }
}

/// `"text"`, with control characters escaped and long text cut, so a hostile value cannot garble a terminal.
func quote(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars.prefix(80) {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        default:
            if scalar.properties.generalCategory == .control {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    if text.unicodeScalars.count > 80 { result += "..." }
    return result + "\""
}

/// Numbers in messages and YAML: integers without a fraction, others in Swift's shortest form.
func format(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}

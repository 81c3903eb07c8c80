import Foundation
import GridTopology
import Yams

/// The cells of a spec, each with its derived topology checked by the topology parser, before anything runs.
public struct SweepPlan: Sendable {
    public var spec: SweepSpec
    public var cells: [PlannedCell]

    /// Expands the matrix (topologies first, then the axes in spec order; the last axis varies fastest), derives
    /// and checks every cell's topology. Problems name the spec's line of the value that caused them.
    public static func make(_ spec: SweepSpec) throws(SweepSpecErrors) -> SweepPlan {
        var errors: [SweepSpecError] = []
        var bases: [(base: BaseTopology, text: String)] = []
        for base in spec.topologies {
            do {
                _ = try Topology.load(contentsOf: base.url)
                bases.append((base, try String(contentsOf: base.url, encoding: .utf8)))
            } catch let topologyErrors as TopologyErrors {
                let first = topologyErrors.errors.first.map(\.description) ?? ""
                let more = topologyErrors.errors.count > 1 ? " (and \(topologyErrors.errors.count - 1) more)" : ""
                errors.append(base.location.error(field: base.field, "the base topology is invalid: \(first)\(more)"))
            } catch {
                errors.append(base.location.error(field: base.field, "cannot read \(base.path): \(error)"))
            }
        }
        guard errors.isEmpty else { throw SweepSpecErrors(errors) }
        let combinations = Self.combinations(spec)
        let names = Self.cellNames(spec, combinations: combinations)
        let loaded = bases
        let result = LargeStack.run { () -> Result<[PlannedCell], SweepSpecErrors> in
            derive(spec, bases: loaded, combinations: combinations, names: names)
        }
        return SweepPlan(spec: spec, cells: try result.get())
    }

    /// One entry per cell: the topology's index and, per axis, the value's index.
    static func combinations(_ spec: SweepSpec) -> [(topology: Int, values: [Int])] {
        var result: [(topology: Int, values: [Int])] = []
        for topology in spec.topologies.indices {
            var current: [[Int]] = [[]]
            for axis in spec.axes {
                current = current.flatMap { prefix in axis.values.indices.map { prefix + [$0] } }
            }
            result += current.map { (topology, $0) }
        }
        return result
    }

    /// `regions4_validatorsPerRegion7`, with the topology's file stem first when the spec has several. Names are
    /// topology names (`[A-Za-z0-9_.-]`, at most 64) and unique; a long or clashing one ends in its cell number.
    static func cellNames(_ spec: SweepSpec, combinations: [(topology: Int, values: [Int])]) -> [String] {
        var used: Set<String> = []
        var names: [String] = []
        for (index, combination) in combinations.enumerated() {
            var parts: [String] = []
            if spec.topologies.count > 1 || spec.axes.isEmpty {
                parts.append(spec.topologies[combination.topology].url.deletingPathExtension().lastPathComponent)
            }
            for (axis, value) in zip(spec.axes, combination.values) { parts.append(axis.values[value].label) }
            var name = sanitized(parts.joined(separator: "_"))
            if name.utf8.count > SweepLimits.cellNameLengthMax || used.contains(name) {
                let suffix = "-c\(index + 1)"
                name = String(name.prefix(SweepLimits.cellNameLengthMax - suffix.count)) + suffix
            }
            used.insert(name)
            names.append(name)
        }
        return names
    }

    private static func sanitized(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            let allowed =
                scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_" || scalar == "-" || scalar == ".")
            let character: Character = allowed ? Character(scalar) : "-"
            if character == "-", result.last == "-" { continue }
            result.append(character)
        }
        if result.isEmpty || result.first == "." { result = "c" + result }
        return result
    }

    private static func derive(
        _ spec: SweepSpec, bases: [(base: BaseTopology, text: String)],
        combinations: [(topology: Int, values: [Int])], names: [String]
    ) -> Result<[PlannedCell], SweepSpecErrors> {
        var roots: [Node] = []
        for (base, text) in bases {
            // Checked by the topology parser above, so it composes and holds no aliases.
            guard let root = try? Yams.compose(yaml: text) else {
                return .failure(SweepSpecReader.documentError(base.path, "cannot compose the base topology"))
            }
            roots.append(root)
        }
        var cells: [PlannedCell] = []
        // The same mistake in many cells is one error, naming the first cell and counting the others.
        var problems: [String: (error: SweepSpecError, cells: Int)] = [:]
        var order: [String] = []
        func problem(_ location: SpecLocation, field: String, _ message: String, cell: String) {
            let key = "\(location.line):\(location.column):\(field):\(message)"
            if let existing = problems[key] {
                problems[key]?.cells = existing.cells + 1
            } else {
                problems[key] = (location.error(field: field, "cell \(cell): \(message)"), 1)
                order.append(key)
            }
        }
        for (index, combination) in combinations.enumerated() {
            let name = names[index]
            let base = bases[combination.topology].base
            var parameters = spec.settings
            var shown: [PlannedCell.Parameter] = []
            if spec.topologies.count > 1 {
                shown.append(PlannedCell.Parameter(name: "topology", value: base.path))
            }
            for (axis, valueIndex) in zip(spec.axes, combination.values) {
                let value = axis.values[valueIndex]
                parameters += value.parameters
                if value.parameters.count == 1, value.parameters[0].name == axis.name {
                    shown.append(PlannedCell.Parameter(name: axis.name, value: value.parameters[0].value.text))
                } else {
                    shown.append(PlannedCell.Parameter(name: axis.name, value: value.label))
                    for parameter in value.parameters {
                        shown.append(PlannedCell.Parameter(name: parameter.name, value: parameter.value.text))
                    }
                }
            }
            // The region list first, so that per-region parameters reach regions a count added.
            let ordered =
                parameters.filter { $0.target == .regionCount || $0.target == .regionList }
                + parameters.filter { $0.target != .regionCount && $0.target != .regionList }
            var root = roots[combination.topology]
            var applied = true
            for parameter in ordered {
                do {
                    root = try TopologyPatch.apply(parameter.target, parameter.value, to: root)
                } catch {
                    problem(parameter.location, field: parameter.field, error.message, cell: name)
                    applied = false
                }
            }
            guard applied else { continue }
            let file = "cells/\(name)/topology.yaml"
            let text: String
            do {
                let description =
                    "sweep \(spec.name), cell \(name): "
                    + shown.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
                root = try TopologyPatch.setting([.key("name")], Node(name), in: root, at: "")
                root = try TopologyPatch.setting(
                    [.key("description")],
                    .scalar(
                        Node.Scalar(
                            String(description.prefix(TopologyLimits.descriptionLengthMax)), .implicit, .doubleQuoted)),
                    in: root, at: "")
                root = try TopologyPatch.anchoringProfiles(root, baseDirectory: base.url.deletingLastPathComponent())
                text = header(spec: spec, cell: name, base: base, parameters: shown) + (try Yams.serialize(node: root))
            } catch let error as PatchError {
                problem(base.location, field: base.field, error.message, cell: name)
                continue
            } catch {
                problem(base.location, field: base.field, "cannot write the topology: \(error)", cell: name)
                continue
            }
            let topology: Topology
            do {
                topology = try Topology.parse(yaml: text, file: file)
            } catch {
                for topologyError in error.errors {
                    // Blame the last parameter that wrote the field; otherwise the base topology.
                    let culprit = ordered.last { $0.target.covers(topologyField: topologyError.field) }
                    let message =
                        (culprit.map { "\($0.value.text) gives an invalid topology: " }
                            ?? "the derived topology is invalid: ") + topologyError.description
                    problem(
                        culprit?.location ?? base.location, field: culprit?.field ?? base.field, message, cell: name)
                }
                continue
            }
            cells.append(
                PlannedCell(
                    index: index, name: name, baseTopology: base.path, parameters: shown, topologyYAML: text,
                    topology: topology, arguments: arguments(spec: spec, cell: name)))
        }
        guard order.isEmpty else {
            let errors = order.prefix(SweepLimits.errorsMax).compactMap { key -> SweepSpecError? in
                guard var entry = problems[key] else { return nil }
                if entry.cells > 1 { entry.error.message += " (and \(entry.cells - 1) more cells)" }
                return entry.error
            }
            return .failure(SweepSpecErrors(errors))
        }
        return .success(cells)
    }

    /// The command line of a cell, run from the sweep's output folder, without the executable.
    static func arguments(spec: SweepSpec, cell: String) -> [String] {
        let topology = "cells/\(cell)/topology.yaml"
        let out = "cells/\(cell)"
        var arguments: [String]
        switch spec.mode {
        case .run:
            arguments = ["run", topology, "--out", out, "--quiet"]
        case .capacity:
            arguments = ["capacity", topology, "--slo", spec.slo?.text ?? "", "--out", out]
            if let seed = spec.seed { arguments += ["--seed", String(seed)] }
            if let duration = spec.durationSeconds { arguments += ["--duration", format(duration)] }
        }
        if spec.runtime == .live { arguments += ["--runtime", "live"] }
        return arguments
    }

    private static func header(
        spec: SweepSpec, cell: String, base: BaseTopology, parameters: [PlannedCell.Parameter]
    ) -> String {
        let settings = spec.settings.map { "\($0.name)=\($0.value.text)" }
        let lines = [
            "Cell \(cell) of sweep spec \(spec.file) (\(spec.name)), derived from \(base.path)",
            "with " + (settings + parameters.map { "\($0.name)=\($0.value)" }).joined(separator: ", ") + ".",
            "Run again from the sweep's output folder: gridledger "
                + arguments(spec: spec, cell: cell).map(shellQuoted).joined(separator: " "),
        ]
        return lines.map {
            "# " + String($0.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        }
        .joined(separator: "\n") + "\n"
    }

    private static func shellQuoted(_ argument: String) -> String {
        argument.allSatisfy { $0.isLetter || $0.isNumber || "/._-=".contains($0) } ? argument : "'\(argument)'"
    }
}

/// One cell: its name, what it sets, its topology (text and checked value) and its command line.
public struct PlannedCell: Sendable {
    public struct Parameter: Sendable, Hashable {
        public var name: String
        /// As written in the spec (YAML flow text), or a bundle's label.
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Position in matrix order, from 0.
    public var index: Int
    public var name: String
    /// The base topology as the spec names it.
    public var baseTopology: String
    /// The parameters the matrix varies, in axis order (`set` is the same for every cell and not repeated).
    public var parameters: [Parameter]
    /// Exactly what is written to `cells/NAME/topology.yaml`.
    public var topologyYAML: String
    public var topology: Topology
    /// After the executable, run from the sweep's output folder.
    public var arguments: [String]

    /// The folder of the cell, relative to the sweep's output folder.
    public var directory: String { "cells/\(name)" }
}

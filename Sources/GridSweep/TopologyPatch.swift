import Foundation
import Yams

/// Why a parameter could not be applied to a base topology (a path through a scalar, an index past the end).
struct PatchError: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// Changes to a topology's YAML tree. The tree, not the typed `Topology`, is what a cell changes: every field of
/// the file can be set by its path, and the result is a file the topology parser checks like any other.
enum TopologyPatch {
    static func apply(_ target: ParameterTarget, _ value: SweepValue, to root: Node) throws(PatchError) -> Node {
        switch target {
        case .path(let components):
            return try setting(components[...], value.node, in: root, at: "")
        case .regionList:
            return try setting([.key("regions")], value.node, in: root, at: "")
        case .fixedRate:
            let rate = Node.Mapping([(Node("controller"), Node("fixed")), (Node("tps"), value.node)], .implicit, .flow)
            return try setting([.key("workload"), .key("rate")], .mapping(rate), in: root, at: "")
        case .cores:
            var result = try setting([.key("machine"), .key("cores")], value.node, in: root, at: "")
            let regions = try sequence(result["regions"], at: "regions")
            let updated = try regions.map { region throws(PatchError) -> Node in
                guard case .mapping(let mapping) = region, let machine = mapping["machine"],
                    case .mapping(let machineMapping) = machine, machineMapping["cores"] != nil
                else { return region }
                return try setting([.key("machine"), .key("cores")], value.node, in: region, at: "regions[*]")
            }
            result = try setting(
                [.key("regions")], .sequence(Node.Sequence(updated, .implicit, .block)), in: result, at: "")
            return result
        case .regionCount:
            guard let text = value.plainScalar, let count = Int(text), count >= 1 else {
                throw PatchError("expected a region count, got \(value.text)")
            }
            let regions = try sequence(root["regions"], at: "regions")
            guard let last = regions.last else { throw PatchError("the base topology has no region to copy") }
            var names = Set(regions.compactMap { $0["name"]?.string })
            var result = Array(regions.prefix(count))
            var next = 0
            while result.count < count {
                while names.contains("r\(next)") { next += 1 }
                let name = "r\(next)"
                names.insert(name)
                result.append(try setting([.key("name")], Node(name), in: last, at: "regions[\(result.count)]"))
            }
            return try setting([.key("regions")], .sequence(Node.Sequence(result, .implicit, .block)), in: root, at: "")
        }
    }

    /// `node` with the value at `path` replaced by `value`; missing mappings on the way are created.
    static func setting(
        _ path: ArraySlice<PathComponent>, _ value: Node, in node: Node?, at field: String
    ) throws(PatchError) -> Node {
        guard let first = path.first else { return value }
        let rest = path.dropFirst()
        let present = node.flatMap { isNull($0) ? nil : $0 }
        switch first {
        case .key(let key):
            let here = field.isEmpty ? key : field + "." + key
            var pairs: [(Node, Node)] = []
            var style = Node.Mapping.Style.block
            if let present {
                guard case .mapping(let mapping) = present else {
                    throw PatchError("cannot set \(here): \(field) is not a mapping in the base topology")
                }
                pairs = mapping.map { ($0.key, $0.value) }
                style = mapping.style
            }
            if let index = pairs.firstIndex(where: { $0.0.string == key }) {
                pairs[index].1 = try setting(rest, value, in: pairs[index].1, at: here)
            } else {
                pairs.append((Node(key), try setting(rest, value, in: nil, at: here)))
            }
            return .mapping(Node.Mapping(pairs, .implicit, style))
        case .index(let index):
            let items = try sequence(present, at: field)
            guard index < items.count else {
                throw PatchError(
                    "cannot set \(field)[\(index)]: the base topology's \(field) has \(items.count) entries")
            }
            var updated = items
            updated[index] = try setting(rest, value, in: items[index], at: "\(field)[\(index)]")
            return .sequence(Node.Sequence(updated, .implicit, sequenceStyle(present)))
        case .all:
            let items = try sequence(present, at: field)
            var updated: [Node] = []
            for (index, item) in items.enumerated() {
                updated.append(try setting(rest, value, in: item, at: "\(field)[\(index)]"))
            }
            return .sequence(Node.Sequence(updated, .implicit, sequenceStyle(present)))
        }
    }

    /// Points relative machine profile paths (`machine.profile`, each region's) at the base topology's folder, so
    /// that the cell's file, written elsewhere, uses the same profile.
    static func anchoringProfiles(_ root: Node, baseDirectory: URL) throws(PatchError) -> Node {
        func anchored(_ machineOwner: Node, at field: String) throws(PatchError) -> Node {
            guard let profile = machineOwner["machine"]?["profile"]?.string,
                profile.contains("/") || profile.hasSuffix(".json"), !profile.hasPrefix("/")
            else { return machineOwner }
            let absolute = URL(fileURLWithPath: profile, relativeTo: baseDirectory).standardizedFileURL.path
            return try setting([.key("machine"), .key("profile")], Node(absolute), in: machineOwner, at: field)
        }
        var result = try anchored(root, at: "")
        if let regions = result["regions"], case .sequence(let sequence) = regions {
            var updated: [Node] = []
            for (index, region) in sequence.enumerated() {
                updated.append(try anchored(region, at: "regions[\(index)]"))
            }
            result = try setting(
                [.key("regions")], .sequence(Node.Sequence(updated, .implicit, sequence.style)), in: result, at: "")
        }
        return result
    }

    private static func sequence(_ node: Node?, at field: String) throws(PatchError) -> [Node] {
        guard let node, case .sequence(let sequence) = node else {
            throw PatchError("cannot set entries of \(field): it is not a list in the base topology")
        }
        return Array(sequence)
    }

    private static func sequenceStyle(_ node: Node?) -> Node.Sequence.Style {
        if let node, case .sequence(let sequence) = node { return sequence.style }
        return .block
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

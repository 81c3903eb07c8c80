/// What a sweep parameter changes in a cell's topology.
public enum ParameterTarget: Sendable, Hashable {
    /// `regions: N`: the base's regions, cut to the first N or extended with copies of its last region (named
    /// `r<i>`).
    case regionCount
    /// `regions: [...]`: the region list as written.
    case regionList
    /// `cores`: `machine.cores`, and each region's own `machine.cores` where it overrides it.
    case cores
    /// `tps`: `workload.rate` becomes a fixed rate.
    case fixedRate
    /// Any field by its path, e.g. `consensus.blockIntervalMillis` or `regions[*].validators`.
    case path([PathComponent])

    /// The topology field the target writes, as topology errors name it (`regions[*]` stands for every entry).
    var topologyField: String {
        switch self {
        case .regionCount, .regionList: "regions"
        case .cores: "machine.cores"
        case .fixedRate: "workload.rate"
        case .path(let components): PathComponent.text(components)
        }
    }

    /// Whether a topology error about `field` may come from this parameter: the field is the target or lies under
    /// it, reading any list index as `[*]`.
    func covers(topologyField field: String) -> Bool {
        switch self {
        case .cores: return field.hasSuffix("machine.cores")
        default:
            let pattern = topologyField
            for candidate in [field, Self.everyIndex(field)]
            where candidate == pattern || candidate.hasPrefix(pattern + ".") || candidate.hasPrefix(pattern + "[") {
                return true
            }
            return false
        }
    }

    /// `regions[2].validators` as `regions[*].validators`.
    private static func everyIndex(_ field: String) -> String {
        var result = ""
        var inIndex = false
        for character in field {
            if character == "[" {
                inIndex = true
                result += "[*"
            } else if character == "]" {
                inIndex = false
                result.append(character)
            } else if !inIndex {
                result.append(character)
            }
        }
        return result
    }
}

/// One step of a field path.
public enum PathComponent: Sendable, Hashable {
    case key(String)
    case index(Int)
    /// `[*]`: every entry of a list.
    case all

    static func text(_ components: [PathComponent]) -> String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            case .all: text += "[*]"
            }
        }
        return text
    }

    /// Parses `a.b[2].c` and `regions[*].validators`; nil when it is not such a path.
    static func parse(_ text: String) -> [PathComponent]? {
        guard !text.isEmpty, text.utf8.count <= 256 else { return nil }
        var components: [PathComponent] = []
        for segment in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(segment)
            let key = rest.prefix { $0 != "[" }
            guard let first = key.first, first.isASCII, first.isLetter,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else { return nil }
            components.append(.key(String(key)))
            rest = rest.dropFirst(key.count)
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if inside == "*" {
                    components.append(.all)
                } else if let index = Int(inside), index >= 0, index < 1_000_000, inside.allSatisfy(\.isNumber) {
                    components.append(.index(index))
                } else {
                    return nil
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        return components
    }
}

/// The parameters a spec can name without a path, and the top-level topology keys a path may start with.
enum ParameterNames {
    /// Shortcut to its target and what its value must be.
    static let shortcuts: [(name: String, target: ParameterTarget, expected: String)] = [
        ("regions", .regionCount, "a region count (an integer >= 1) or a list of regions"),
        ("validatorsPerRegion", .path([.key("regions"), .all, .key("validators")]), "a validator count"),
        ("cores", .cores, "a core count"),
        ("blockIntervalMillis", .path([.key("consensus"), .key("blockIntervalMillis")]), "milliseconds"),
        ("blockTransactionsMax", .path([.key("consensus"), .key("blockTransactionsMax")]), "a transaction count"),
        ("blockBytesMax", .path([.key("consensus"), .key("blockBytesMax")]), "a byte count"),
        ("tps", .fixedRate, "transactions per second"),
        ("mix", .path([.key("workload"), .key("mix")]), "a mapping of weights {transfer, voltage, auction}"),
        ("kind", .path([.key("workload"), .key("kind")]), "a workload kind"),
        ("seed", .path([.key("seed")]), "a seed"),
        ("durationSeconds", .path([.key("workload"), .key("durationSeconds")]), "seconds"),
        ("warmupSeconds", .path([.key("workload"), .key("warmupSeconds")]), "seconds"),
    ]

    /// Top-level topology keys a path may start with. `name` and `schemaVersion` are the sweep's to set.
    static let topologyKeys = [
        "description", "seed", "machine", "regions", "network", "consensus", "mempool", "workload", "faults", "global",
    ]

    /// Everything a parameter name may be, for suggestions.
    static var candidates: [String] { shortcuts.map(\.name) + topologyKeys }

    static func shortcut(_ name: String) -> (name: String, target: ParameterTarget, expected: String)? {
        shortcuts.first { $0.name == name }
    }
}

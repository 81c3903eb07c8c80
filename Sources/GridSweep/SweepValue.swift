import Yams

/// A value written in a sweep spec, kept as the YAML it was (so it lands in a cell's topology exactly as written)
/// but in a plain, sendable tree: the spec outlives the parser thread that read the YAML.
public indirect enum SweepValue: Sendable, Hashable {
    /// `quoted`: written in quotes, so it stays a string in the topology even if it looks like a number.
    case scalar(String, quoted: Bool)
    case null
    case sequence([SweepValue])
    case mapping([Entry])

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: SweepValue

        public init(key: String, value: SweepValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value as one line of YAML flow text, for cell parameters and tables: `4`, `[1, 2]`,
    /// `{transfer: 1, voltage: 0.5}`.
    public var text: String {
        switch self {
        case .scalar(let string, let quoted): quoted ? "\"\(string)\"" : string
        case .null: "null"
        case .sequence(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .mapping(let entries): "{" + entries.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"
        }
    }

    /// The scalar's text when it is an unquoted scalar, else nil.
    var plainScalar: String? {
        if case .scalar(let string, quoted: false) = self { return string }
        return nil
    }

    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }

    /// The value as a Yams node for a topology tree.
    var node: Node {
        switch self {
        case .scalar(let string, let quoted):
            return .scalar(Node.Scalar(string, .implicit, quoted ? .doubleQuoted : .plain))
        case .null:
            return .scalar(Node.Scalar("null", .implicit, .plain))
        case .sequence(let items):
            return .sequence(Node.Sequence(items.map(\.node), .implicit, .flow))
        case .mapping(let entries):
            return .mapping(
                Node.Mapping(entries.map { (Node($0.key), $0.value.node) }, .implicit, .flow))
        }
    }
}

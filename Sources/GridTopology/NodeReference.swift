/// A validator named in a fault: `REGION/vINDEX` (index from 0) or `REGION/leader`, whoever leads the region
/// when the fault happens. `global/vINDEX` and `global/leader` name members of the global committee (topologies
/// with a `global` section). Encodes as that same string.
public struct NodeReference: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public enum Validator: Sendable, Hashable {
        case index(Int)
        case leader
    }

    public var region: String
    public var validator: Validator

    public init(region: String, validator: Validator) {
        self.region = region
        self.validator = validator
    }

    /// Parses `r0/v1` or `r0/leader`. Indices are written without leading zeros so that one node has one
    /// spelling, which lets the checks compare references as strings.
    public init?(_ description: String) {
        let parts = description.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, TopologyLimits.isValidRegionName(parts[0]) else { return nil }
        let validatorText = parts[1]
        if validatorText == "leader" {
            self.init(region: String(parts[0]), validator: .leader)
            return
        }
        let digits = validatorText.dropFirst()
        guard validatorText.first == "v", !digits.isEmpty, digits.count <= 9,
            digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || digits.first != "0",
            let index = Int(digits)
        else { return nil }
        self.init(region: String(parts[0]), validator: .index(index))
    }

    public var description: String {
        switch validator {
        case .index(let index): "\(region)/v\(index)"
        case .leader: "\(region)/leader"
        }
    }

    public var isLeader: Bool { validator == .leader }

    /// Whether this names a member of the global committee (`global/vN`, `global/leader`).
    public var isGlobal: Bool { region == Topology.GlobalLayer.referenceName }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let reference = NodeReference(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected REGION/vINDEX or REGION/leader, got \(text)")
        }
        self = reference
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

import Foundation
import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridRegion
import GridTopology
import GridWorkloads

/// `genesis.json`: what every node and client of a live deployment agrees on before the first block. The
/// topology (overrides applied), the chain, and for every node its name, genesis key and address. Private keys are
/// not in it: each sits in its own file that only its node reads.
public struct GenesisFile: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public struct Node: Codable, Sendable, Equatable {
        /// `r0/v1` or `global/v0`.
        public var name: String
        /// The region index for a validator; nil for a committee member.
        public var region: Int?
        /// The validator's index in its region, or the member's in the committee.
        public var index: Int
        public var host: String
        public var port: Int
        /// Prometheus text endpoint, when the node serves one.
        public var metricsPort: Int?
        /// The Ed25519 genesis key, hexadecimal.
        public var publicKey: String

        public init(
            name: String, region: Int?, index: Int, host: String, port: Int, metricsPort: Int? = nil,
            publicKey: String
        ) {
            self.name = name
            self.region = region
            self.index = index
            self.host = host
            self.port = port
            self.metricsPort = metricsPort
            self.publicKey = publicKey
        }

        public var address: NodeAddress {
            if let region { return .validator(region: region, index: index) }
            return .member(index)
        }
    }

    public var schemaVersion: Int
    public var chainID: ChainID
    public var topology: Topology
    public var nodes: [Node]

    public init(chainID: ChainID, topology: Topology, nodes: [Node]) {
        schemaVersion = Self.currentSchemaVersion
        self.chainID = chainID
        self.topology = topology
        self.nodes = nodes
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }

    /// The deployment the file describes, checking that its nodes are exactly the topology's.
    public func deployment(verifier: any SignatureVerifying, file: String) throws(GenesisError) -> Deployment {
        guard schemaVersion == Self.currentSchemaVersion else {
            throw GenesisError(
                file: file, field: "schemaVersion",
                reason: "is \(schemaVersion); this build reads version \(Self.currentSchemaVersion)")
        }
        // The topology arrives as JSON, not through the topology parser: check it before sizing anything by it
        // (a negative validator count trapped here, found with the genesis fuzz target's input).
        do { try topology.validate() } catch {
            let shown = error.errors.prefix(3).map { $0.field.isEmpty ? $0.message : "\($0.field): \($0.message)" }
            throw GenesisError(file: file, field: "topology", reason: shown.joined(separator: "; "))
        }
        var regionKeys = topology.regions.map { [PublicKey?](repeating: nil, count: $0.validators) }
        var committeeKeys = [PublicKey?](repeating: nil, count: topology.global?.validators ?? 0)
        var seen = Set<String>()
        for (position, node) in nodes.enumerated() {
            let field = "nodes[\(position)]"
            guard seen.insert(node.name).inserted else {
                throw GenesisError(file: file, field: "\(field).name", reason: "'\(node.name)' appears twice")
            }
            guard (1...65_535).contains(node.port) else {
                throw GenesisError(file: file, field: "\(field).port", reason: "\(node.port) is not a TCP port")
            }
            if let metricsPort = node.metricsPort, !(1...65_535).contains(metricsPort) {
                throw GenesisError(
                    file: file, field: "\(field).metricsPort", reason: "\(metricsPort) is not a TCP port")
            }
            guard let bytes = [UInt8](hex: node.publicKey), let key = try? PublicKey(bytes: bytes) else {
                throw GenesisError(
                    file: file, field: "\(field).publicKey", reason: "is not 64 hexadecimal digits (an Ed25519 key)")
            }
            if let region = node.region {
                guard regionKeys.indices.contains(region), regionKeys[region].indices.contains(node.index) else {
                    throw GenesisError(
                        file: file, field: field,
                        reason: "names validator \(node.index) of region \(region), which the topology does not have")
                }
                regionKeys[region][node.index] = key
            } else {
                guard committeeKeys.indices.contains(node.index) else {
                    throw GenesisError(
                        file: file, field: "\(field).index",
                        reason: "names committee member \(node.index), which the topology does not have")
                }
                committeeKeys[node.index] = key
            }
        }
        let regions = try regionKeys.enumerated().map { (region, keys) throws(GenesisError) in
            try keys.enumerated().map { (index, key) throws(GenesisError) in
                guard let key else {
                    throw GenesisError(
                        file: file, field: "nodes",
                        reason: "has no entry for validator \(index) of region \(topology.regions[region].name)")
                }
                return key
            }
        }
        let committee = try committeeKeys.enumerated().map { (index, key) throws(GenesisError) in
            guard let key else {
                throw GenesisError(file: file, field: "nodes", reason: "has no entry for committee member \(index)")
            }
            return key
        }
        let workloadContracts: [[any Contract]]
        do { workloadContracts = try WorkloadContracts.perRegion(topology: topology, chainID: chainID) } catch {
            throw GenesisError(file: file, field: "topology.workload", reason: error.description)
        }
        do {
            return try Deployment(
                topology: topology, chainID: chainID, regionKeys: regions, committeeKeys: committee,
                verifier: verifier, workloadContracts: workloadContracts)
        } catch {
            throw GenesisError(file: file, field: "topology", reason: error.reason)
        }
    }
}

/// A genesis or node file that cannot be used, naming the file and the field.
public struct GenesisError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String?
    public var reason: String

    public init(file: String, field: String? = nil, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String {
        if let field { return "\(file): \(field) \(reason)" }
        return "\(file): \(reason)"
    }
}

/// Reading and writing the deployment's JSON files, with errors that name the file and the field.
enum GenesisJSON {
    /// Configuration files are small; anything larger is not one of ours.
    static let fileBytesMax = 16 << 20

    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws(GenesisError) -> T {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? Int, size > fileBytesMax {
                throw GenesisError(file: url.path, reason: "is \(size) bytes; at most \(fileBytesMax) are read")
            }
            data = try Data(contentsOf: url)
        } catch let error as GenesisError {
            throw error
        } catch {
            throw GenesisError(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let Swift.DecodingError.keyNotFound(key, context) {
            throw GenesisError(file: url.path, field: path(context.codingPath + [key]), reason: "is missing")
        } catch let Swift.DecodingError.typeMismatch(_, context) {
            throw GenesisError(file: url.path, field: path(context.codingPath), reason: context.debugDescription)
        } catch let Swift.DecodingError.valueNotFound(_, context) {
            throw GenesisError(file: url.path, field: path(context.codingPath), reason: "is null")
        } catch let Swift.DecodingError.dataCorrupted(context) {
            throw GenesisError(
                file: url.path, field: context.codingPath.isEmpty ? nil : path(context.codingPath),
                reason: context.debugDescription)
        } catch {
            throw GenesisError(file: url.path, reason: "is not valid JSON: \(error)")
        }
    }

    static func write<T: Encodable>(_ value: T, to url: URL) throws(GenesisError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(value).write(to: url, options: .atomic)
        } catch {
            throw GenesisError(file: url.path, reason: "cannot be written: \(error.localizedDescription)")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

import Foundation
import GridGenesis
import Yams

/// `--hosts HOSTS.yaml` of `gridledger genesis`: which machine each node runs on and where it listens.
///
/// ```yaml
/// hosts:
///   - address: 10.0.0.1        # what the other nodes and the clients dial (IP address or DNS name)
///     nodes: [r0/v0, r0/v1]    # these nodes, by name
///   - address: 10.0.0.2
///     count: 2                 # or: the next 2 nodes not named anywhere, in genesis order
///     basePort: 7000           # first node's port on this host (default 7000), the next ones follow
///     metricsBasePort: 9100    # first node's /metrics port (default: none)
///     listen: 0.0.0.0          # address to bind when `address` is not this machine's own (NAT)
/// ```
public struct HostsFile: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var address: String
        public var nodes: [String]?
        public var count: Int?
        public var basePort: Int
        public var metricsBasePort: Int?
        public var listen: String?
    }

    public var file: String
    public var hosts: [Host]

    static let hostKeys: Set<String> = ["address", "nodes", "count", "basePort", "metricsBasePort", "listen"]
    static let fileBytesMax = 1 << 20

    public static func read(_ url: URL) throws(DeployError) -> HostsFile {
        let text: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? Int, size > fileBytesMax {
                throw DeployError(field: url.path, reason: "is \(size) bytes; a hosts file is at most \(fileBytesMax)")
            }
            text = try String(contentsOf: url, encoding: .utf8)
        } catch let error as DeployError {
            throw error
        } catch {
            throw DeployError(field: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, file: url.path)
    }

    public static func parse(_ text: String, file: String) throws(DeployError) -> HostsFile {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw DeployError(field: file, reason: "is not YAML: \(error)")
        }
        guard let top = root as? [String: Any] else {
            throw DeployError(field: file, reason: "must be a map with a 'hosts' list")
        }
        if let stranger = top.keys.sorted().first(where: { $0 != "hosts" }) {
            throw DeployError(field: "\(file): \(stranger)", reason: "is not a field of a hosts file (only 'hosts')")
        }
        guard let list = top["hosts"] as? [Any], !list.isEmpty else {
            throw DeployError(field: "\(file): hosts", reason: "must be a non-empty list of hosts")
        }
        var hosts: [Host] = []
        for (position, item) in list.enumerated() {
            let field = "\(file): hosts[\(position)]"
            guard let entry = item as? [String: Any] else {
                throw DeployError(field: field, reason: "must be a map (address, and nodes or count)")
            }
            if let stranger = entry.keys.sorted().first(where: { !hostKeys.contains($0) }) {
                throw DeployError(
                    field: "\(field).\(stranger)",
                    reason: "is not a field of a host (\(hostKeys.sorted().joined(separator: ", ")))")
            }
            guard let address = entry["address"] as? String, !address.isEmpty,
                !address.contains(where: { $0.isWhitespace || $0 == "/" })
            else {
                throw DeployError(
                    field: "\(field).address",
                    reason: "must be an IP address or a host name, got \(describe(entry["address"]))")
            }
            var host = Host(address: address, basePort: 7000)
            if let value = entry["nodes"] {
                guard let names = value as? [Any], !names.isEmpty, names.allSatisfy({ $0 is String }) else {
                    throw DeployError(field: "\(field).nodes", reason: "must be a non-empty list of node names (r0/v1)")
                }
                host.nodes = names.compactMap { $0 as? String }
            }
            if let value = entry["count"] {
                guard let count = value as? Int, count >= 1 else {
                    throw DeployError(
                        field: "\(field).count", reason: "must be a whole number >= 1, got \(describe(value))")
                }
                host.count = count
            }
            guard (host.nodes == nil) != (host.count == nil) else {
                throw DeployError(field: field, reason: "must give either 'nodes' or 'count' (exactly one of them)")
            }
            for (key, port) in [("basePort", entry["basePort"]), ("metricsBasePort", entry["metricsBasePort"])] {
                guard let port else { continue }
                guard let number = port as? Int, (1...65_535).contains(number) else {
                    throw DeployError(
                        field: "\(field).\(key)", reason: "must be a TCP port 1...65535, got \(describe(port))")
                }
                if key == "basePort" { host.basePort = number } else { host.metricsBasePort = number }
            }
            if let value = entry["listen"] {
                guard let listen = value as? String, !listen.isEmpty else {
                    throw DeployError(
                        field: "\(field).listen", reason: "must be an address to bind, got \(describe(value))")
                }
                host.listen = listen
            }
            hosts.append(host)
        }
        return HostsFile(file: file, hosts: hosts)
    }

    /// Every node's endpoint: named nodes where named, then hosts with a count take the remaining nodes in
    /// genesis order. Every node must land on exactly one host.
    public func endpoints(nodes: [String]) throws(DeployError) -> [String: NodeEndpoint] {
        let known = Set(nodes)
        var hostOf: [String: Int] = [:]
        for (position, host) in hosts.enumerated() {
            for name in host.nodes ?? [] {
                guard known.contains(name) else {
                    throw DeployError(
                        field: "\(file): hosts[\(position)].nodes",
                        reason: "names '\(name)', which is not a node of the topology (nodes: \(Self.range(nodes)))")
                }
                if let other = hostOf[name] {
                    throw DeployError(
                        field: "\(file): hosts[\(position)].nodes",
                        reason: "names \(name), which hosts[\(other)] has already")
                }
                hostOf[name] = position
            }
        }
        var remaining = nodes.filter { hostOf[$0] == nil }[...]
        var assigned: [[String]] = hosts.map { $0.nodes ?? [] }
        for (position, host) in hosts.enumerated() {
            guard let count = host.count else { continue }
            guard remaining.count >= count else {
                throw DeployError(
                    field: "\(file): hosts[\(position)].count",
                    reason: "asks for \(count) nodes, but only \(remaining.count) are left unassigned "
                        + "(the topology has \(nodes.count))")
            }
            assigned[position] = Array(remaining.prefix(count))
            remaining = remaining.dropFirst(count)
        }
        guard remaining.isEmpty else {
            throw DeployError(
                field: "\(file): hosts",
                reason: "leave \(remaining.count) node(s) without a host: \(remaining.joined(separator: ", "))")
        }
        var endpoints: [String: NodeEndpoint] = [:]
        for (position, host) in hosts.enumerated() {
            for (offset, name) in assigned[position].enumerated() {
                let port = host.basePort + offset
                let metricsPort = host.metricsBasePort.map { $0 + offset }
                guard port <= 65_535, (metricsPort ?? 1) <= 65_535 else {
                    throw DeployError(
                        field: "\(file): hosts[\(position)].basePort",
                        reason: "leaves no room below port 65535 for \(assigned[position].count) nodes")
                }
                endpoints[name] = NodeEndpoint(
                    host: host.address, port: port, metricsPort: metricsPort, listenHost: host.listen)
            }
        }
        return endpoints
    }

    static func range(_ nodes: [String]) -> String {
        nodes.count <= 6 ? nodes.joined(separator: ", ") : "\(nodes[0]) ... \(nodes[nodes.count - 1])"
    }

    static func describe(_ value: Any?) -> String {
        guard let value else { return "nothing" }
        return "'\(value)'"
    }
}

import Foundation
import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridTopology

/// Where a deployment's nodes listen and how their keys are made.
public struct GenesisOptions: Sendable {
    public enum Keys: String, Sendable, CaseIterable {
        /// Fresh keys from the system's cryptographic generator: for anything reachable by others.
        case random
        /// Keys derived from the topology's seed, the ones the simulator uses: reproducible, for tests only.
        case derived
    }

    public var chainID: ChainID
    public var host: String
    /// The first node's port; the others follow in `Deployment.nodes` order. Zero: free ports the kernel picks.
    public var basePort: Int
    /// The first node's Prometheus port, likewise; nil: no metrics endpoints.
    public var metricsBasePort: Int?
    public var keys: Keys
    /// Where each node sits on the network, by node name (`r0/v1`), when not all nodes share `host`: other hosts,
    /// or stable DNS names on a cluster. A node named here ignores `host` and the port series; every node must be
    /// named when this is not empty.
    public var endpoints: [String: NodeEndpoint] = [:]

    public init(
        chainID: ChainID = 1, host: String = "127.0.0.1", basePort: Int = 0, metricsBasePort: Int? = nil,
        keys: Keys = .random
    ) {
        self.chainID = chainID
        self.host = host
        self.basePort = basePort
        self.metricsBasePort = metricsBasePort
        self.keys = keys
    }
}

/// One node's address in the genesis file, and the address its process binds (nil: the genesis address).
public struct NodeEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var metricsPort: Int?
    /// `0.0.0.0` when `host` is a name or an address this machine does not own (a DNS name on a cluster, a
    /// public address behind NAT).
    public var listenHost: String?

    public init(host: String, port: Int, metricsPort: Int? = nil, listenHost: String? = nil) {
        self.host = host
        self.port = port
        self.metricsPort = metricsPort
        self.listenHost = listenHost
    }
}

/// The files `gridledger genesis` writes, by node name.
public struct GenesisLayout: Sendable {
    public var directory: URL
    public var genesisFile: URL
    public var genesis: GenesisFile
    /// `nodes/NAME.json` by node name (`r0/v1`).
    public var nodeConfigs: [String: URL]

    public static func genesisURL(in directory: URL) -> URL { directory.appendingPathComponent("genesis.json") }
}

public enum GenesisWriter {
    /// Writes `genesis.json`, `keys/NAME.key` (mode 0600) and `nodes/NAME.json` for every node of the topology
    /// into `directory`, which must not hold a genesis already: overwriting one would orphan its stores.
    public static func write(topology: Topology, options: GenesisOptions, to directory: URL) throws(GenesisError)
        -> GenesisLayout
    {
        let fileManager = FileManager.default
        let genesisURL = GenesisLayout.genesisURL(in: directory)
        guard !fileManager.fileExists(atPath: genesisURL.path) else {
            throw GenesisError(
                file: genesisURL.path, reason: "exists already; choose an empty folder for a new deployment")
        }
        guard (0...65_535).contains(options.basePort) else {
            throw GenesisError(file: directory.path, field: "basePort", reason: "\(options.basePort) is not a port")
        }
        for folder in ["keys", "nodes", "stores", "metrics", "control", "logs"] {
            do {
                try fileManager.createDirectory(
                    at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
            } catch {
                throw GenesisError(
                    file: directory.appendingPathComponent(folder).path,
                    reason: "cannot be created: \(error.localizedDescription)")
            }
        }
        let derived = Deployment.derivedKeys(topology)
        var generator = SystemRandomNumberGenerator()
        func seed(for address: NodeAddress) -> [UInt8] {
            switch options.keys {
            case .random:
                return (0..<KeyPair.seedByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case .derived:
                switch address {
                case .validator(let region, let index):
                    return KeyPair.derivedSeed(
                        masterSeed: topology.seed, label: "validator/\(topology.regions[region].name)/\(index)")
                case .member(let index):
                    return KeyPair.derivedSeed(masterSeed: topology.seed, label: "validator/global/\(index)")
                }
            }
        }
        // The deployment's node list, with the derived keys standing in: only names and order are used here.
        let plan: Deployment
        do {
            plan = try Deployment(
                topology: topology, chainID: options.chainID, regionKeys: derived.regions.map { $0.map(\.publicKey) },
                committeeKeys: derived.committee.map(\.publicKey), verifier: DirectSignatureVerifier())
        } catch {
            throw GenesisError(file: directory.path, field: "topology", reason: error.reason)
        }
        let ports =
            options.endpoints.isEmpty
            ? try assignPorts(count: plan.nodes.count, options: options, directory: directory) : []
        if !options.endpoints.isEmpty {
            try checkEndpoints(options.endpoints, nodes: plan.nodes.map(\.name), directory: directory)
        }
        var entries: [GenesisFile.Node] = []
        var nodeConfigs: [String: URL] = [:]
        for (position, node) in plan.nodes.enumerated() {
            let keySeed = seed(for: node.address)
            let keyURL = directory.appendingPathComponent("keys/\(node.fileName).key")
            try KeyFile.write(keySeed, to: keyURL)
            let key = try KeyFile.read(keyURL)
            let (region, index): (Int?, Int) =
                switch node.address {
                case .validator(let region, let index): (region, index)
                case .member(let index): (nil, index)
                }
            let endpoint =
                options.endpoints[node.name]
                ?? NodeEndpoint(
                    host: options.host, port: ports[position],
                    metricsPort: options.metricsBasePort.map { $0 + position })
            entries.append(
                GenesisFile.Node(
                    name: node.name, region: region, index: index, host: endpoint.host, port: endpoint.port,
                    metricsPort: endpoint.metricsPort, publicKey: key.publicKey.hex))
            let config = NodeConfigFile(
                name: node.name, genesisFile: "../genesis.json", keyFile: "../keys/\(node.fileName).key",
                storeDirectory: "../stores/\(node.fileName)", metricsFile: "../metrics/\(node.fileName).json",
                controlFile: "../control/\(node.fileName).jsonl", listenHost: endpoint.listenHost)
            let configURL = directory.appendingPathComponent("nodes/\(node.fileName).json")
            try GenesisJSON.write(config, to: configURL)
            nodeConfigs[node.name] = configURL
        }
        let genesis = GenesisFile(chainID: options.chainID, topology: topology, nodes: entries)
        try GenesisJSON.write(genesis, to: genesisURL)
        return GenesisLayout(directory: directory, genesisFile: genesisURL, genesis: genesis, nodeConfigs: nodeConfigs)
    }

    /// Every node has an endpoint, no endpoint names a stranger, and no two nodes share a host and port.
    static func checkEndpoints(_ endpoints: [String: NodeEndpoint], nodes: [String], directory: URL)
        throws(GenesisError)
    {
        let known = Set(nodes)
        if let stranger = endpoints.keys.sorted().first(where: { !known.contains($0) }) {
            throw GenesisError(
                file: directory.path, field: "endpoints",
                reason: "name '\(stranger)', which is not a node of the topology")
        }
        if let missing = nodes.first(where: { endpoints[$0] == nil }) {
            throw GenesisError(file: directory.path, field: "endpoints", reason: "give no address for node \(missing)")
        }
        var taken: [String: String] = [:]
        for name in nodes {
            guard let endpoint = endpoints[name] else { continue }
            guard !endpoint.host.isEmpty else {
                throw GenesisError(file: directory.path, field: "endpoints[\(name)].host", reason: "is empty")
            }
            for (label, port) in [("port", endpoint.port), ("metricsPort", endpoint.metricsPort ?? 1)] {
                guard (1...65_535).contains(port) else {
                    throw GenesisError(
                        file: directory.path, field: "endpoints[\(name)].\(label)", reason: "\(port) is not a TCP port")
                }
            }
            var ports = [endpoint.port]
            if let metricsPort = endpoint.metricsPort { ports.append(metricsPort) }
            for port in ports {
                let key = "\(endpoint.host):\(port)"
                if let other = taken[key] {
                    throw GenesisError(
                        file: directory.path, field: "endpoints[\(name)]",
                        reason: "uses \(key), which \(other) uses already")
                }
                taken[key] = name
            }
        }
    }

    /// Consecutive ports from `basePort`, or ports the kernel reports free right now. A free port may be taken by
    /// another program before the node binds it; the node then fails to start with the port in its error.
    static func assignPorts(count: Int, options: GenesisOptions, directory: URL) throws(GenesisError) -> [Int] {
        if options.basePort != 0 {
            guard options.basePort + count - 1 <= 65_535 else {
                throw GenesisError(
                    file: directory.path, field: "basePort",
                    reason: "\(options.basePort) leaves no room for \(count) nodes below port 65535")
            }
            return (0..<count).map { options.basePort + $0 }
        }
        return try FreePorts.pick(count, host: options.host, directory: directory)
    }
}

/// Ports the kernel hands out for binding port 0, all held open until every one is chosen so none repeats.
public enum FreePorts {
    public static func pick(_ count: Int, host: String, directory: URL) throws(GenesisError) -> [Int] {
        var sockets: [Int32] = []
        defer { for descriptor in sockets { close(descriptor) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else {
                throw GenesisError(file: directory.path, reason: "no socket to find a free port: errno \(errno)")
            }
            sockets.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                throw GenesisError(file: directory.path, field: "host", reason: "'\(host)' is not an IPv4 address")
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                throw GenesisError(file: directory.path, field: "host", reason: "cannot bind \(host): errno \(errno)")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

import Foundation
import GridGenesis
import GridLoadGenerator
import GridTopology

/// `gridledger deploy kubernetes`: a genesis whose nodes are addressed by their stable cluster DNS names, and the
/// manifests that run it, written as files to apply in order.
public enum ClusterDeployment {
    /// Files written, in the order to apply them; `secrets` is private (mode 0600), like the key files.
    public struct Written: Sendable {
        public var files: [String]
        public var notes: [String]
        public var genesis: GenesisFile
    }

    public static let namespaceFile = "00-namespace.yaml"
    public static let configFile = "10-config.yaml"
    public static let secretsFile = "20-secrets.yaml"
    public static let servicesFile = "30-services.yaml"
    public static let nodesFile = "40-nodes.yaml"
    public static let linksFile = "50-chaos-links.yaml"
    public static let loadFile = "60-load-job.yaml"
    public static let faultsFile = "60-chaos-faults.yaml"
    public static let notesFile = "NOTES.md"

    /// The genesis (with fresh random keys) goes to `directory/genesis`, the manifests to `directory`.
    public static func write(topology: Topology, options: KubernetesOptions, chainID: UInt32 = 1, to directory: URL)
        throws -> Written
    {
        let names = try ClusterNames(
            topology: topology, namespace: options.namespace, clusterDomain: options.clusterDomain)
        try check(options)
        var endpoints: [String: NodeEndpoint] = [:]
        for node in plannedNodes(topology) {
            endpoints[node.name] = NodeEndpoint(
                host: names.dnsName(node), port: options.peerPort, metricsPort: options.metricsPort,
                listenHost: "0.0.0.0")
        }
        var genesisOptions = GenesisOptions(chainID: chainID, keys: .random)
        genesisOptions.endpoints = endpoints
        let genesisDirectory = directory.appendingPathComponent("genesis")
        let layout = try GenesisWriter.write(topology: topology, options: genesisOptions, to: genesisDirectory)
        var keys: [String: String] = [:]
        for node in layout.genesis.nodes {
            let url = genesisDirectory.appendingPathComponent(
                "keys/\(node.name.replacingOccurrences(of: "/", with: "-")).key")
            _ = try KeyFile.read(url)  // refuses a key file others may read, or that holds no key
            keys[node.name] = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        let generated = try manifests(genesis: layout.genesis, keys: keys, names: names, options: options)
        var files: [String] = []
        for (file, documents) in generated.files {
            let url = directory.appendingPathComponent(file)
            let text = YAMLValue.stream(documents)
            try Data(text.utf8).write(to: url, options: .atomic)
            if file == secretsFile {
                guard chmod(url.path, 0o600) == 0 else {
                    throw DeployError(field: url.path, reason: "cannot be made private (mode 0600)")
                }
            }
            files.append(file)
        }
        try Data(notesMarkdown(generated.notes, files: files).utf8).write(
            to: directory.appendingPathComponent(notesFile), options: .atomic)
        return Written(files: files, notes: generated.notes, genesis: layout.genesis)
    }

    /// Every manifest, by file, from a genesis and its nodes' keys (hexadecimal seeds by node name). Pure.
    public static func manifests(
        genesis: GenesisFile, keys: [String: String], names: ClusterNames, options: KubernetesOptions
    ) throws -> (files: [(String, [YAMLValue])], notes: [String]) {
        let kube = KubernetesManifests(genesis: genesis, names: names, options: options)
        let topology = genesis.topology
        var secrets: [YAMLValue] = []
        for node in genesis.nodes {
            guard let key = keys[node.name] else {
                throw DeployError(field: "keys", reason: "have none for node \(node.name)")
            }
            secrets.append(kube.keySecret(node, keyHex: key))
        }
        let gateways = genesis.nodes.compactMap { node -> Gateway? in
            guard let region = node.region else { return nil }
            return Gateway(region: region, index: node.index, host: node.host, port: node.port)
        }
        let loadConfig = LoadGeneratorConfigFile(
            topology: topology, chainID: genesis.chainID, gateways: gateways, part: 0, parts: options.generatorParts)
        let configMaps = [
            try kube.genesisConfigMap(),
            kube.loadConfigMap(try KubernetesManifests.json(loadConfig, field: "load configuration", pretty: false)),
        ]
        try checkConfigMapSizes(configMaps)
        var files: [(String, [YAMLValue])] = [
            (namespaceFile, [kube.namespace()]),
            (configFile, configMaps),
            (secretsFile, secrets),
            (servicesFile, kube.services()),
            (nodesFile, genesis.nodes.map(kube.statefulSet)),
        ]
        let chaos = ChaosMeshManifests(manifests: kube, startDelaySeconds: startDelaySeconds(topology, options))
        var notes: [String] = []
        switch options.links {
        case .chaosMesh:
            let links = chaos.links()
            if !links.resources.isEmpty { files.append((linksFile, links.resources)) }
            notes += links.notes
        case .transport:
            notes.append("links: emulated by the nodes' transport (--links transport); no NetworkChaos for links")
        }
        files.append((loadFile, [kube.loadJob()]))
        let faults = chaos.faults()
        if let workflow = faults.workflow { files.append((faultsFile, [workflow])) }
        notes += faults.notes
        return (files, notes)
    }

    /// The nodes genesis will list, in its order, with their names (their addresses come from these).
    public static func plannedNodes(_ topology: Topology) -> [GenesisFile.Node] {
        var nodes: [GenesisFile.Node] = []
        for (region, settings) in topology.regions.enumerated() {
            for index in 0..<settings.validators {
                nodes.append(
                    GenesisFile.Node(
                        name: "\(settings.name)/v\(index)", region: region, index: index, host: "", port: 0,
                        publicKey: ""))
            }
        }
        for index in 0..<(topology.global?.validators ?? 0) {
            nodes.append(
                GenesisFile.Node(name: "global/v\(index)", region: nil, index: index, host: "", port: 0, publicKey: ""))
        }
        return nodes
    }

    static func check(_ options: KubernetesOptions) throws(DeployError) {
        guard (1...1024).contains(options.generatorParts) else {
            throw DeployError(field: "--generators", reason: "must be 1...1024, got \(options.generatorParts)")
        }
        guard (1...256).contains(options.generatorCores) else {
            throw DeployError(field: "--generator-cores", reason: "must be 1...256, got \(options.generatorCores)")
        }
        for (label, port) in [("--peer-port", options.peerPort), ("--metrics-port", options.metricsPort)] {
            guard (1...65_535).contains(port) else {
                throw DeployError(field: label, reason: "must be 1...65535, got \(port)")
            }
        }
        guard options.peerPort != options.metricsPort else {
            throw DeployError(field: "--metrics-port", reason: "must differ from --peer-port (\(options.peerPort))")
        }
        guard !options.image.isEmpty, !options.image.contains(where: \.isWhitespace) else {
            throw DeployError(field: "--image", reason: "'\(options.image)' is not an image reference")
        }
        for (label, quantity) in [("--memory", options.memoryPerNode), ("--store-size", options.storeSize)] {
            guard isQuantity(quantity) else {
                throw DeployError(
                    field: label, reason: "'\(quantity)' is not a Kubernetes quantity (e.g. 2Gi, 512Mi, 10G)")
            }
        }
        if let storageClass = options.storageClass, !isDNSSubdomain(storageClass) {
            throw DeployError(field: "--storage-class", reason: "'\(storageClass)' is not a StorageClass name")
        }
    }

    /// Kubernetes keeps a ConfigMap under 1 MiB (etcd's object limit).
    static let configMapBytesMax = 1 << 20

    static func checkConfigMapSizes(_ maps: [YAMLValue]) throws(DeployError) {
        for map in maps {
            guard case .map(let data)? = map["data"] else { continue }
            let bytes = data.reduce(0) { total, entry in
                if case .string(let text) = entry.1 { return total + text.utf8.count + entry.0.utf8.count }
                return total
            }
            if bytes > configMapBytesMax {
                var name = "?"
                if case .string(let text)? = map["metadata"]?["name"] { name = text }
                throw DeployError(
                    field: "ConfigMap \(name)",
                    reason: "would hold \(bytes) bytes, over Kubernetes' limit of \(configMapBytesMax); the topology "
                        + "is too large to ship in a ConfigMap")
            }
        }
    }

    /// Seconds from applying the load Job to the generators' time zero: pods starting (10 s allowed) and
    /// pre-signing the whole run at 15,000 signatures per second per core, as a live run estimates it.
    static func startDelaySeconds(_ topology: Topology, _ options: KubernetesOptions) -> Int {
        let runSeconds = topology.workload.warmupSeconds + topology.workload.durationSeconds
        let peakTps: Double =
            switch topology.workload.rate {
            case .fixed(let tps), .poisson(let tps): tps
            case .ramp(let from, let to): max(from, to)
            case .step(let steps): steps.map(\.tps).max() ?? 0
            case .closedLoop(let outstanding): Double(outstanding)
            }
        let perPart = peakTps * runSeconds / Double(options.generatorParts)
        return 10 + Int((perPart / (15_000 * Double(options.generatorCores))).rounded(.up))
    }

    static func isQuantity(_ text: String) -> Bool {
        text.range(of: #"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"#, options: .regularExpression) != nil
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        text.utf8.count <= 253 && !text.isEmpty
            && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
                ClusterNames.isDNSLabel(String($0))
            }
    }

    static func notesMarkdown(_ notes: [String], files: [String]) -> String {
        var text = "# What this deployment carries over from the topology\n\n"
        text += "Apply in this order (see docs/kubernetes.md):\n\n"
        for file in files { text += "- `\(file)`\n" }
        text += "\nNot carried over, or carried over differently:\n\n"
        for note in notes { text += "- \(note)\n" }
        return text
    }
}

import Foundation
import GridGenesis
import GridTopology

/// What `gridledger deploy kubernetes` is told beyond the topology.
public struct KubernetesOptions: Sendable {
    public var namespace = "gridledger"
    public var image = "localhost/gridledger:latest"
    /// Nil: the cluster's default StorageClass.
    public var storageClass: String?
    public var storeSize = "10Gi"
    /// The topology gives cores, not memory: requested (and limited) per node.
    public var memoryPerNode = "2Gi"
    /// Load generator pods (an Indexed Job, each part sending every `generatorParts`-th transaction).
    public var generatorParts = 1
    public var generatorCores = 2
    public var peerPort = 7000
    public var metricsPort = 9100
    public var clusterDomain = "cluster.local"
    /// Who emulates the topology's links: Chaos Mesh (the nodes' transport sends frames as they come), or the
    /// nodes' own transport (for clusters without Chaos Mesh).
    public var links: LinkEmulator = .chaosMesh

    public enum LinkEmulator: String, Sendable, CaseIterable {
        case chaosMesh = "chaos-mesh"
        case transport
    }

    public init() {}
}

/// One Kubernetes (or Chaos Mesh) object as YAML, with the file it goes to.
public struct Manifest: Sendable {
    public var file: String
    public var value: YAMLValue
}

/// Paths inside the containers. The node config in the ConfigMap names them absolutely, since the ConfigMap's
/// folder is read-only and holds none of them.
enum PodPaths {
    static let config = "/etc/gridledger"
    static let loadConfig = "/etc/gridledger-load"
    static let secret = "/var/run/gridledger-secret"
    static let key = "/var/lib/gridledger/key"
    static let data = "/var/lib/gridledger/data"
    static let run = "/run/gridledger"
    static let results = "/results"
    static let binary = "/usr/local/bin/gridledger"
    /// The image's unprivileged user (Containerfile): it owns the key copy and the store.
    static let userID = 10001
}

/// The Kubernetes objects of one deployment, from its genesis file and its nodes' private keys. Pure: the same
/// inputs give the same text.
public struct KubernetesManifests {
    public let genesis: GenesisFile
    public let names: ClusterNames
    public let options: KubernetesOptions

    public static let appLabel = "gridledger"
    public static let reportBegin = "----- gridledger load report begin -----"
    public static let reportEnd = "----- gridledger load report end -----"

    public init(genesis: GenesisFile, names: ClusterNames, options: KubernetesOptions) {
        self.genesis = genesis
        self.names = names
        self.options = options
    }

    var topology: Topology { genesis.topology }

    // MARK: - Names and labels

    func labels(_ node: GenesisFile.Node) -> YAMLValue {
        .map([
            ("app.kubernetes.io/name", .string(Self.appLabel)),
            ("app.kubernetes.io/component", "node"),
            ("gridledger.io/region", .string(names.regionLabel(node))),
            ("gridledger.io/site", .string(names.siteLabel(region: location(node)))),
            ("gridledger.io/node", .string(names.workloadName(node))),
        ])
    }

    /// The region whose site the node runs in: its own, or the committee member's placement.
    func location(_ node: GenesisFile.Node) -> Int {
        if let region = node.region { return region }
        guard let settings = topology.global, node.index < settings.placement.count,
            let placed = topology.regions.firstIndex(where: { $0.name == settings.placement[node.index] })
        else { return 0 }
        return placed
    }

    func metadata(_ name: String, labels: YAMLValue? = nil) -> YAMLValue {
        var entries: [(String, YAMLValue)] = [("name", .string(name)), ("namespace", .string(names.namespace))]
        if let labels { entries.append(("labels", labels)) }
        return .map(entries)
    }

    func configFileName(_ node: GenesisFile.Node) -> String { names.workloadName(node) + ".json" }

    func cores(_ node: GenesisFile.Node) -> Int {
        if let region = node.region { return topology.regions[region].machine.cores }
        return topology.global?.machine.cores ?? topology.machine.cores
    }

    // MARK: - Objects

    public func namespace() -> YAMLValue {
        [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": .map([
                ("name", .string(names.namespace)), ("labels", ["app.kubernetes.io/name": .string(Self.appLabel)]),
            ]),
        ]
    }

    /// The genesis file and every node's configuration: public data only.
    public func genesisConfigMap() throws(DeployError) -> YAMLValue {
        var data: [(String, YAMLValue)] = [
            ("genesis.json", .string(try Self.json(genesis, field: "genesis", pretty: false)))
        ]
        for node in genesis.nodes {
            let config = NodeConfigFile(
                name: node.name, genesisFile: "genesis.json", keyFile: "\(PodPaths.key)/node.key",
                storeDirectory: "\(PodPaths.data)/store", metricsFile: "\(PodPaths.run)/metrics.json",
                controlFile: "\(PodPaths.run)/control.jsonl", listenHost: "0.0.0.0")
            data.append((configFileName(node), .string(try Self.json(config, field: "node \(node.name)"))))
        }
        return [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata("gridledger-genesis", labels: ["app.kubernetes.io/name": .string(Self.appLabel)]),
            "data": .map(data),
        ]
    }

    /// The load generators' configuration, one for all parts: a Job pod passes its completion index as `--part`.
    public func loadConfigMap(_ config: String) -> YAMLValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata("gridledger-load", labels: ["app.kubernetes.io/name": .string(Self.appLabel)]),
            "data": ["load.json": .string(config)],
        ]
    }

    /// The node's private key, in a Secret only its own pod mounts.
    public func keySecret(_ node: GenesisFile.Node, keyHex: String) -> YAMLValue {
        [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": metadata(names.secretName(node), labels: labels(node)),
            "stringData": ["node.key": .string(keyHex + "\n")],
        ]
    }

    /// Headless: no virtual IP, one DNS record per pod, published before the pod is ready so that peers find each
    /// other while they start (a node is ready only once it serves, which needs no peer).
    public func headlessService(name: String, regionLabel: String) -> YAMLValue {
        [
            "apiVersion": "v1", "kind": "Service",
            "metadata": metadata(name, labels: ["app.kubernetes.io/name": .string(Self.appLabel)]),
            "spec": [
                "clusterIP": "None", "publishNotReadyAddresses": true,
                "selector": [
                    "app.kubernetes.io/name": .string(Self.appLabel), "app.kubernetes.io/component": "node",
                    "gridledger.io/region": .string(regionLabel),
                ],
                "ports": [
                    ["name": "peer", "port": .int(options.peerPort), "protocol": "TCP"],
                    ["name": "metrics", "port": .int(options.metricsPort), "protocol": "TCP"],
                ],
            ],
        ]
    }

    public func services() -> [YAMLValue] {
        var seen = Set<String>()
        var services: [YAMLValue] = []
        for node in genesis.nodes where seen.insert(names.serviceName(node)).inserted {
            services.append(headlessService(name: names.serviceName(node), regionLabel: names.regionLabel(node)))
        }
        return services
    }

    /// One StatefulSet of one pod per node. A StatefulSet's pods share one template, so a per-region StatefulSet
    /// could only give each pod its key by mounting every key of the region into every pod; one per node keeps
    /// each Secret in its own pod while keeping what a StatefulSet is for: a stable name (`r0-v1-0`, found through
    /// the region's Service), a volume claim that follows the pod, and a restart in place.
    public func statefulSet(_ node: GenesisFile.Node) -> YAMLValue {
        let name = names.workloadName(node)
        let cpu = YAMLValue.string(String(cores(node)))
        let resources: YAMLValue = [
            "requests": ["cpu": cpu, "memory": .string(options.memoryPerNode)],
            "limits": ["cpu": cpu, "memory": .string(options.memoryPerNode)],
        ]
        let user = PodPaths.userID
        // The Secret is readable by root only (0400); the init container copies it, mode 0600, to a memory-backed
        // volume owned by the node's user (the node refuses a key others may read), and hands it the store.
        let installKey =
            "install -d -o \(user) -g \(user) -m 0700 \(PodPaths.data)/store"
            + " && install -o \(user) -g \(user) -m 0600 \(PodPaths.secret)/node.key \(PodPaths.key)/node.key"
        var claimSpec: [(String, YAMLValue)] = [
            ("accessModes", ["ReadWriteOnce"]),
            ("resources", ["requests": ["storage": .string(options.storeSize)]]),
        ]
        if let storageClass = options.storageClass { claimSpec.append(("storageClassName", .string(storageClass))) }
        let selector: YAMLValue = [
            "app.kubernetes.io/name": .string(Self.appLabel), "gridledger.io/node": .string(name),
        ]
        return [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": metadata(name, labels: labels(node)),
            "spec": [
                "serviceName": .string(names.serviceName(node)), "replicas": 1, "podManagementPolicy": "Parallel",
                "selector": ["matchLabels": selector],
                "template": [
                    "metadata": ["labels": labels(node)],
                    "spec": [
                        "terminationGracePeriodSeconds": 30,
                        "enableServiceLinks": false,
                        "initContainers": [
                            [
                                "name": "install-key", "image": .string(options.image),
                                "command": ["/bin/sh", "-c", .string(installKey)],
                                "securityContext": ["runAsUser": 0, "runAsNonRoot": false],
                                "volumeMounts": [
                                    ["name": "secret", "mountPath": .string(PodPaths.secret), "readOnly": true],
                                    ["name": "key", "mountPath": .string(PodPaths.key)],
                                    ["name": "data", "mountPath": .string(PodPaths.data)],
                                ],
                            ]
                        ],
                        "containers": [
                            [
                                "name": "node", "image": .string(options.image),
                                "command": [.string(PodPaths.binary)],
                                "args": ["node", "--config", .string("\(PodPaths.config)/\(configFileName(node))")],
                                "env": [
                                    [
                                        "name": "GRIDLEDGER_LINK_EMULATION",
                                        "value": options.links == .chaosMesh ? "off" : "on",
                                    ]
                                ],
                                "ports": [
                                    ["name": "peer", "containerPort": .int(options.peerPort), "protocol": "TCP"],
                                    ["name": "metrics", "containerPort": .int(options.metricsPort), "protocol": "TCP"],
                                ],
                                "readinessProbe": [
                                    "httpGet": ["path": "/metrics", "port": "metrics"],
                                    "periodSeconds": 5, "failureThreshold": 3,
                                ],
                                "resources": resources,
                                "securityContext": [
                                    "runAsUser": .int(user), "runAsGroup": .int(user), "runAsNonRoot": true,
                                    "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                ],
                                "volumeMounts": [
                                    ["name": "config", "mountPath": .string(PodPaths.config), "readOnly": true],
                                    ["name": "key", "mountPath": .string(PodPaths.key), "readOnly": true],
                                    ["name": "data", "mountPath": .string(PodPaths.data)],
                                    ["name": "run", "mountPath": .string(PodPaths.run)],
                                ],
                            ]
                        ],
                        "volumes": [
                            ["name": "config", "configMap": ["name": "gridledger-genesis"]],
                            [
                                "name": "secret",
                                "secret": ["secretName": .string(names.secretName(node)), "defaultMode": 0o400],
                            ],
                            ["name": "key", "emptyDir": ["medium": "Memory", "sizeLimit": "1Mi"]],
                            ["name": "run", "emptyDir": ["sizeLimit": "64Mi"]],
                        ],
                    ],
                ],
                "volumeClaimTemplates": [
                    ["metadata": ["name": "data"], "spec": .map(claimSpec)]
                ],
            ],
        ]
    }

    /// The load generators as an Indexed Job: pod `i` runs part `i`. Each prints its report between two marker
    /// lines when it is done; the pods (and so their logs) stay until the Job is deleted, and
    /// `gridledger collect` reads the logs `kubectl logs` saves.
    public func loadJob() -> YAMLValue {
        let parts = options.generatorParts
        let report = "\(PodPaths.results)/part-$JOB_COMPLETION_INDEX.report.json"
        let script =
            "\(PodPaths.binary) load --quiet --config \(PodPaths.loadConfig)/load.json --part $JOB_COMPLETION_INDEX"
            + " --out \(report) && echo '\(Self.reportBegin)' && cat \(report) && echo '\(Self.reportEnd)'"
        let cpu = YAMLValue.string(String(options.generatorCores))
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(
                "gridledger-load",
                labels: ["app.kubernetes.io/name": .string(Self.appLabel), "app.kubernetes.io/component": "load"]),
            "spec": [
                "completionMode": "Indexed", "completions": .int(parts), "parallelism": .int(parts),
                "backoffLimit": 0,
                "template": [
                    "metadata": [
                        "labels": [
                            "app.kubernetes.io/name": .string(Self.appLabel), "app.kubernetes.io/component": "load",
                        ]
                    ],
                    "spec": [
                        "restartPolicy": "Never",
                        "enableServiceLinks": false,
                        "containers": [
                            [
                                "name": "load", "image": .string(options.image),
                                "command": ["/bin/sh", "-c", .string(script)],
                                "resources": [
                                    "requests": ["cpu": cpu, "memory": "1Gi"],
                                    "limits": ["cpu": cpu, "memory": "2Gi"],
                                ],
                                "securityContext": [
                                    "runAsUser": .int(PodPaths.userID), "runAsGroup": .int(PodPaths.userID),
                                    "runAsNonRoot": true, "allowPrivilegeEscalation": false,
                                ],
                                "volumeMounts": [
                                    ["name": "load", "mountPath": .string(PodPaths.loadConfig), "readOnly": true],
                                    ["name": "results", "mountPath": .string(PodPaths.results)],
                                ],
                            ]
                        ],
                        "volumes": [
                            ["name": "load", "configMap": ["name": "gridledger-load"]],
                            ["name": "results", "emptyDir": ["sizeLimit": "256Mi"]],
                        ],
                    ],
                ],
            ],
        ]
    }

    /// Compact for the big files (a 64-region genesis is 260 kB compact, twice that pretty), since a ConfigMap holds
    /// at most 1 MiB.
    static func json(_ value: some Encodable, field: String, pretty: Bool = true) throws(DeployError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        } catch {
            throw DeployError(field: field, reason: "cannot be encoded: \(error)")
        }
    }
}

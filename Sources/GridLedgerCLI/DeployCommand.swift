import ArgumentParser
import Foundation
import GridDeploy
import GridTopology

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Write what runs a topology on an orchestration engine.",
        subcommands: [DeployKubernetesCommand.self]
    )
}

struct DeployKubernetesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubernetes",
        abstract: "Write Kubernetes and Chaos Mesh manifests that run a topology live on a cluster.",
        discussion: """
            Writes into DIR: genesis/ (the deployment's genesis with fresh keys, nodes addressed by their stable \
            DNS names POD.SERVICE.NAMESPACE.svc.DOMAIN), 00-namespace.yaml, 10-config.yaml (genesis, node and load \
            configurations), 20-secrets.yaml (one Secret per node's private key, mode 0600), 30-services.yaml \
            (a headless Service per region and for the committee), 40-nodes.yaml (a StatefulSet per node with its \
            own volume claim), 50-chaos-links.yaml (inter-region links as Chaos Mesh NetworkChaos), \
            60-load-job.yaml (the load generators, an Indexed Job), 60-chaos-faults.yaml (the topology's faults as \
            a Chaos Mesh Workflow) and NOTES.md (what does not carry over). docs/kubernetes.md shows how to apply \
            them and collect the results. DIR must not hold a genesis already.
            """
    )

    @Argument(help: "Topology file or shipped name.")
    var topology: String?

    @Option(name: .long, help: "Directory for the manifests.")
    var out: String

    @Option(name: .long, help: "Container image with gridledger (see Containerfile).")
    var image = "localhost/gridledger:latest"

    @Option(name: .long, help: "StorageClass of the nodes' store volumes. (default: the cluster's default)")
    var storageClass: String?

    @Option(name: .long, help: "Namespace for everything.")
    var namespace = "gridledger"

    @Option(name: .long, help: "Load generator pods. (default: one per region)")
    var generators: Int?

    @Option(name: .long, help: "CPU cores requested per load generator pod.")
    var generatorCores = 2

    @Option(name: .long, help: "Memory requested and limited per node (the topology gives cores only).")
    var memory = "2Gi"

    @Option(name: .long, help: "Size of each node's store volume.")
    var storeSize = "10Gi"

    @Option(name: .long, help: "Who emulates the topology's links: 'chaos-mesh' or the nodes' own 'transport'.")
    var links: KubernetesOptions.LinkEmulator = .chaosMesh

    @Option(name: .long, help: "The cluster's DNS domain.")
    var clusterDomain = "cluster.local"

    @Option(name: .long, help: "Seed for the topology (overrides the topology's).")
    var seed: UInt64?

    @Option(name: .long, help: "Chain identifier signed into every transaction and vote.")
    var chainID: UInt32 = 1

    func run() throws {
        let loaded = try loadTopology(topology, overrides: TopologyOverrides(seed: seed))
        var options = KubernetesOptions()
        options.namespace = namespace
        options.image = image
        options.storageClass = storageClass
        options.generatorParts = generators ?? max(1, min(loaded.topology.regions.count, 16))
        options.generatorCores = generatorCores
        options.memoryPerNode = memory
        options.storeSize = storeSize
        options.links = links
        options.clusterDomain = clusterDomain
        let directory = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let written = try ClusterDeployment.write(
                topology: loaded.topology, options: options, chainID: chainID, to: directory)
            print(
                "wrote \(written.files.count) manifest files for \(loaded.topology.summary) into \(out) "
                    + "(namespace \(namespace), \(options.generatorParts) load generator pod(s))")
            for file in written.files { print("  \(file)") }
            for note in written.notes { print("  note: \(note)") }
        } catch {
            printError("gridledger deploy kubernetes: \(error)")
            throw ExitCode.failure
        }
    }
}

extension KubernetesOptions.LinkEmulator: ExpressibleByArgument {}

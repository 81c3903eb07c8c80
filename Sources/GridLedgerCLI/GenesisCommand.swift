import ArgumentParser
import Foundation
import GridDeploy
import GridGenesis
import GridTopology

struct GenesisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Write the keys and configuration files of a live deployment of a topology.",
        discussion: """
            Writes DIR/genesis.json (the topology, the chain and every node's address and public key), \
            DIR/keys/NAME.key (each node's private key, mode 0600) and DIR/nodes/NAME.json (what 'gridledger node \
            --config' reads). DIR must not hold a genesis already.
            """
    )

    @Argument(help: "Topology file or shipped name.")
    var topology: String?

    @Option(name: .long, help: "Directory for the deployment's files.")
    var out: String

    @Option(name: .long, help: "Address every node listens on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "First node's port; the others follow. 0: free ports picked now.")
    var basePort = 0

    @Option(name: .long, help: "First node's Prometheus /metrics port; the others follow. (default: none)")
    var metricsBasePort: Int?

    @Option(name: .long, help: "Seed for the topology (overrides the topology's).")
    var seed: UInt64?

    @Option(name: .long, help: "'random' keys, or 'derived' from the topology's seed (reproducible, for tests).")
    var keys: GenesisOptions.Keys = .random

    @Option(name: .long, help: "Chain identifier signed into every transaction and vote.")
    var chainID: UInt32 = 1

    @Option(
        name: .long,
        help: ArgumentHelp(
            "YAML file giving each host's address and its nodes (or how many), for nodes on several machines; "
                + "--host and --base-port are then ignored (see docs/kubernetes.md).", valueName: "HOSTS.yaml"))
    var hosts: String?

    func validate() throws {
        guard (0...65_535).contains(basePort) else {
            throw ValidationError("--base-port must be 0...65535, got \(basePort)")
        }
        if let metricsBasePort, !(1...65_535).contains(metricsBasePort) {
            throw ValidationError("--metrics-base-port must be 1...65535, got \(metricsBasePort)")
        }
    }

    func run() throws {
        let loaded = try loadTopology(topology, overrides: TopologyOverrides(seed: seed))
        let directory = URL(fileURLWithPath: out)
        do {
            var options = GenesisOptions(
                chainID: chainID, host: host, basePort: basePort, metricsBasePort: metricsBasePort, keys: keys)
            if let hosts {
                let file = try HostsFile.read(URL(fileURLWithPath: hosts))
                options.endpoints = try file.endpoints(
                    nodes: ClusterDeployment.plannedNodes(loaded.topology).map(\.name))
            }
            let layout = try GenesisWriter.write(topology: loaded.topology, options: options, to: directory)
            print("wrote \(layout.genesisFile.relativePath) and \(layout.nodeConfigs.count) node configurations")
            for node in layout.genesis.nodes {
                print("  \(node.name)  \(node.host):\(node.port)  key \(node.publicKey.prefix(12))")
            }
        } catch {
            printError("gridledger genesis: \(error)")
            throw ExitCode.failure
        }
    }
}

extension GenesisOptions.Keys: ExpressibleByArgument {}

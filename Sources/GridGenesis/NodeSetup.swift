import Foundation
import GridConsensus
import GridCrypto
import GridLedger
import GridNode
import GridStorage
import GridTopology

/// Another node as this one reaches it: its address on the network and the genesis key it must prove it holds.
public struct PeerEntry: Sendable, Equatable {
    public var address: NodeAddress
    public var name: String
    public var host: String
    public var port: Int
    public var publicKey: PublicKey
}

/// One node of a deployment, read from its `nodes/NAME.json`, its key file and the genesis file, checked against
/// each other: everything a process needs to build its node and find its peers.
public struct NodeSetup: Sendable {
    public let configFile: URL
    public let config: NodeConfigFile
    public let genesis: GenesisFile
    public let deployment: Deployment
    public let node: DeploymentNode
    public let key: KeyPair
    public let storeDirectory: URL
    public let metricsFile: URL
    public let controlFile: URL
    public let listenHost: String
    public let listenPort: Int
    public let metricsPort: Int?
    /// Every other node of the deployment.
    public let peers: [PeerEntry]

    public static func load(configFile: URL, verifier: any SignatureVerifying) throws(GenesisError) -> NodeSetup {
        let config = try GenesisJSON.read(NodeConfigFile.self, from: configFile)
        let file = configFile.path
        guard config.schemaVersion == NodeConfigFile.currentSchemaVersion else {
            throw GenesisError(
                file: file, field: "schemaVersion",
                reason: "is \(config.schemaVersion); this build reads version \(NodeConfigFile.currentSchemaVersion)")
        }
        guard (1...10_000_000).contains(config.inboxEventsMax) else {
            throw GenesisError(
                file: file, field: "inboxEventsMax", reason: "must be in 1...10000000, got \(config.inboxEventsMax)")
        }
        let base = configFile.deletingLastPathComponent()
        func resolve(_ path: String) -> URL { URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL }
        let genesisURL = resolve(config.genesisFile)
        let genesis = try GenesisJSON.read(GenesisFile.self, from: genesisURL)
        let deployment = try genesis.deployment(verifier: verifier, file: genesisURL.path)
        guard let entry = genesis.node(named: config.name), let node = deployment.node(named: config.name) else {
            throw GenesisError(
                file: file, field: "name", reason: "'\(config.name)' is not a node of \(genesisURL.path)")
        }
        let key = try KeyFile.read(resolve(config.keyFile))
        guard key.publicKey.hex == entry.publicKey.lowercased() else {
            throw GenesisError(
                file: resolve(config.keyFile).path,
                reason:
                    "holds key \(key.publicKey), but genesis gives \(config.name) the key \(entry.publicKey.prefix(12))"
            )
        }
        // Keys come from the deployment, which checked every entry of the genesis file: no peer can be dropped here.
        let peers = genesis.nodes.filter { $0.name != config.name }.compactMap { peer -> PeerEntry? in
            guard let publicKey = deployment.publicKey(of: peer.address) else { return nil }
            return PeerEntry(
                address: peer.address, name: peer.name, host: peer.host, port: peer.port, publicKey: publicKey)
        }
        return NodeSetup(
            configFile: configFile, config: config, genesis: genesis, deployment: deployment, node: node, key: key,
            storeDirectory: resolve(config.storeDirectory), metricsFile: resolve(config.metricsFile),
            controlFile: resolve(config.controlFile), listenHost: config.listenHost ?? entry.host,
            listenPort: entry.port, metricsPort: entry.metricsPort, peers: peers)
    }

    public var topology: Topology { genesis.topology }

    /// Whether the machine this node runs on syncs each commit (the topology's `machine.durability`).
    public var durability: Topology.Durability {
        switch node.address {
        case .validator(let region, _): return topology.regions[region].machine.durability
        case .member: return topology.global?.machine.durability ?? .sync
        }
    }

    /// The link this node's frames to `peer` cross: within a site the topology's intra-region link, between sites
    /// the link of that pair of regions.
    public func link(to peer: NodeAddress) -> Topology.Link {
        let from = node.location
        let to = deployment.node(peer)?.location ?? from
        if from == to { return topology.network.intraRegion }
        return topology.network.link(between: topology.regions[from].name, and: topology.regions[to].name)
    }

    /// Opens the node's LMDB store (created on first start) and builds the node from it. A store that exists is a
    /// restart: the node resumes from what it committed and its saved safety state.
    public func openHost() throws -> any NodeHost {
        let fileManager = FileManager.default
        let fresh = !fileManager.fileExists(atPath: storeDirectory.appendingPathComponent("data.mdb").path)
        do {
            try fileManager.createDirectory(at: storeDirectory, withIntermediateDirectories: true)
        } catch {
            throw GenesisError(
                file: storeDirectory.path, reason: "cannot be created: \(error.localizedDescription)")
        }
        var options = Environment.Options()
        options.durability = durability == .sync ? .sync : .noSync
        switch node.address {
        case .validator(let region, let index):
            let store = try ChainStore(directory: storeDirectory, options: options)
            var configuration = deployment.validatorConfiguration(region: region, index: index, key: key)
            // A synced LMDB commit takes 7.2 ms on the reference VM (profiles/reference-vm.json) and milliseconds on
            // most disks: assume at least a quarter block interval, the longest a busy leader's timer waits.
            if durability == .sync {
                configuration.proposeWithinWriteNanos = topology.consensusTiming.blockIntervalNanos / 4
            }
            // A live client measures global finality from these notices (`FinalityNotices`).
            configuration.finalityNotices = true
            return try RegionValidator(configuration: configuration, store: store, fresh: fresh)
        case .member(let index):
            guard let configuration = deployment.memberConfiguration(index: index, key: key),
                let settings = topology.global
            else {
                throw GenesisError(
                    file: configFile.path, field: "name", reason: "names a member, but there is no committee")
            }
            let store = try CheckpointStore(
                directory: storeDirectory, options: options, limits: Topology.checkpointLimits(settings))
            return try CommitteeMember(configuration: configuration, store: store, fresh: fresh)
        }
    }
}

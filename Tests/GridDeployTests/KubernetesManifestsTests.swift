import Foundation
import GridCrypto
import GridGenesis
import GridLoadGenerator
import GridTopology
import Testing
import Yams

@testable import GridDeploy

/// The manifests of a small topology with a committee and every kind of fault: each key in its own Secret and
/// only its own pod, genesis addressed by the pods' DNS names, faults as a timed Workflow, and plain notes for
/// what does not carry over. The schemas themselves are checked by scripts/validate-manifests.sh.
struct KubernetesManifestsTests {
    static let yaml = """
        schemaVersion: 1
        name: kube-test
        seed: 5
        machine: { profile: default, cores: 3 }
        regions:
          - { name: north, validators: 4 }
          - { name: South_2, validators: 4, machine: { cores: 1 } }
        network:
          interRegion: { latencyMillis: 30, jitterMillis: 2, bandwidthMbps: 1000, lossRate: 0.01 }
        global:
          validators: 4
          placement: [north, South_2, north, South_2]
        workload:
          kind: transfer
          accounts: 100
          rate: { controller: fixed, tps: 100 }
          durationSeconds: 10
          warmupSeconds: 2
          timeoutSeconds: 3
        faults:
          - { atSeconds: 3, kind: crash, node: north/v1 }
          - { atSeconds: 5, kind: restart, node: north/v1 }
          - { atSeconds: 4, kind: partition, durationSeconds: 2, groups: [[north/v0, north/v1]] }
          - { atSeconds: 6, kind: loss, durationSeconds: 1.5, rate: 0.2 }
          - { atSeconds: 7, kind: crash, node: South_2/leader }
        """

    static func generate(_ options: KubernetesOptions = KubernetesOptions()) throws -> (
        files: [String: [YAMLValue]], notes: [String], directory: URL
    ) {
        let topology = try Topology.parse(yaml: yaml, file: "kube-test.yaml")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-\(UUID().uuidString)")
        let written = try ClusterDeployment.write(topology: topology, options: options, to: directory)
        var files: [String: [YAMLValue]] = [:]
        let names = try ClusterNames(topology: topology, namespace: options.namespace, clusterDomain: "cluster.local")
        var keys: [String: String] = [:]
        for node in written.genesis.nodes {
            let url = directory.appendingPathComponent(
                "genesis/keys/\(node.name.replacingOccurrences(of: "/", with: "-")).key")
            keys[node.name] = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        let generated = try ClusterDeployment.manifests(
            genesis: written.genesis, keys: keys, names: names, options: options)
        for (file, documents) in generated.files { files[file] = documents }
        return (files, generated.notes, directory)
    }

    static func string(_ value: YAMLValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    @Test func every_key_sits_in_its_own_secret_mounted_by_its_own_pod_only() throws {
        let (files, _, directory) = try Self.generate()
        let secrets = try #require(files[ClusterDeployment.secretsFile])
        let sets = try #require(files[ClusterDeployment.nodesFile])
        #expect(secrets.count == 12)
        #expect(sets.count == 12)
        var secretOwners: [String: Int] = [:]
        for set in sets {
            guard case .list(let volumes)? = set["spec"]?["template"]?["spec"]?["volumes"] else {
                Issue.record("no volumes")
                continue
            }
            let mounted = volumes.compactMap { Self.string($0["secret"]?["secretName"]) }
            #expect(mounted.count == 1)
            let name = try #require(Self.string(set["metadata"]?["name"]))
            #expect(mounted == ["key-" + name])
            for secret in mounted { secretOwners[secret, default: 0] += 1 }
        }
        #expect(secretOwners.count == 12 && secretOwners.values.allSatisfy { $0 == 1 })
        // Each Secret holds the key genesis gives that node.
        let genesis = try JSONDecoder().decode(
            GenesisFile.self, from: Data(contentsOf: directory.appendingPathComponent("genesis/genesis.json")))
        let names = try ClusterNames(
            topology: genesis.topology, namespace: "gridledger", clusterDomain: "cluster.local")
        for secret in secrets {
            let hex = try #require(Self.string(secret["stringData"]?["node.key"]))
            let seed = try #require([UInt8](hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)))
            let name = try #require(Self.string(secret["metadata"]?["labels"]?["gridledger.io/node"]))
            let node = try #require(genesis.nodes.first { names.workloadName($0) == name })
            #expect(try KeyPair(seed: seed).publicKey.hex == node.publicKey)
        }
        let mode =
            try FileManager.default.attributesOfItem(
                atPath: directory.appendingPathComponent(ClusterDeployment.secretsFile).path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func genesis_names_every_node_by_its_pod_dns_name_and_resources_follow_the_machines() throws {
        let (files, _, _) = try Self.generate()
        let config = try #require(files[ClusterDeployment.configFile]?.first)
        let genesisText = try #require(Self.string(config["data"]?["genesis.json"]))
        let genesis = try JSONDecoder().decode(GenesisFile.self, from: Data(genesisText.utf8))
        let hosts = genesis.nodes.map(\.host)
        #expect(hosts.contains("north-v0-0.region-north.gridledger.svc.cluster.local"))
        #expect(hosts.contains("south-2-v3-0.region-south-2.gridledger.svc.cluster.local"))
        #expect(hosts.contains("global-v2-0.committee.gridledger.svc.cluster.local"))
        #expect(Set(hosts).count == 12 && genesis.nodes.allSatisfy { $0.port == 7000 && $0.metricsPort == 9100 })
        let nodeConfigText = try #require(Self.string(config["data"]?["north-v1.json"]))
        let nodeConfig = try JSONDecoder().decode(NodeConfigFile.self, from: Data(nodeConfigText.utf8))
        #expect(nodeConfig.name == "north/v1" && nodeConfig.listenHost == "0.0.0.0")
        let sets = try #require(files[ClusterDeployment.nodesFile])
        let south = try #require(sets.first { Self.string($0["metadata"]?["name"]) == "south-2-v0" })
        let container = try #require(
            { () -> YAMLValue? in
                if case .list(let items)? = south["spec"]?["template"]?["spec"]?["containers"] { return items.first }
                return nil
            }())
        #expect(Self.string(container["resources"]?["limits"]?["cpu"]) == "1")
        #expect(
            Self.string(container["env"].flatMap { if case .list(let e) = $0 { e.first } else { nil } }?["value"])
                == "off")
        #expect(Self.string(container["readinessProbe"]?["httpGet"]?["path"]) == "/metrics")
        #expect(Self.string(south["spec"]?["serviceName"]) == "region-south-2")
        let member = try #require(sets.first { Self.string($0["metadata"]?["name"]) == "global-v1" })
        #expect(Self.string(member["metadata"]?["labels"]?["gridledger.io/site"]) == "south-2")
        let services = try #require(files[ClusterDeployment.servicesFile])
        #expect(
            services.compactMap { Self.string($0["metadata"]?["name"]) } == [
                "region-north", "region-south-2", "committee",
            ])
    }

    @Test func links_and_faults_become_chaos_resources_at_their_times() throws {
        let (files, notes, _) = try Self.generate()
        let links = try #require(files[ClusterDeployment.linksFile])
        #expect(links.count == 1)
        #expect(Self.string(links[0]["spec"]?["action"]) == "netem")
        #expect(Self.string(links[0]["spec"]?["delay"]?["latency"]) == "30ms")
        #expect(Self.string(links[0]["spec"]?["loss"]?["loss"]) == "1")
        let workflow = try #require(files[ClusterDeployment.faultsFile]?.first)
        guard case .list(let templates)? = workflow["spec"]?["templates"] else {
            Issue.record("no templates")
            return
        }
        let byName = Dictionary(
            uniqueKeysWithValues: templates.compactMap { t in Self.string(t["name"]).map { ($0, t) } })
        // 100 tps for 12 s in 1 part on 2 cores: pre-signing rounds up to 1 s, plus 10 s for pods to start.
        let crash = try #require(byName["crash-0-north-v1"])
        #expect(Self.string(crash["templateType"]) == "PodChaos")
        #expect(Self.string(crash["deadline"]) == "2s")
        #expect(Self.string(byName["wait-crash-0-north-v1"]?["deadline"]) == "14s")
        #expect(Self.string(crash["podChaos"]?["action"]) == "pod-failure")
        // The partition's named group, and everyone else as the other group.
        let partition = try #require(byName["partition-1-0-1"])
        #expect(Self.string(partition["networkChaos"]?["action"]) == "partition")
        guard case .list(let expressions)? = partition["networkChaos"]?["target"]?["selector"]?["expressionSelectors"],
            case .list(let others)? = expressions.first?["values"]
        else {
            Issue.record("no target expression")
            return
        }
        #expect(others.count == 10)
        let loss = try #require(byName["loss-3"])
        #expect(Self.string(loss["networkChaos"]?["loss"]?["loss"]) == "20")
        #expect(Self.string(loss["deadline"]) == "1500ms")
        #expect(byName.keys.allSatisfy { !$0.contains("south-2") })
        #expect(notes.contains { $0.contains("South_2/leader is not mapped") })
    }

    @Test func transport_links_leave_emulation_to_the_nodes_and_write_no_link_chaos() throws {
        var options = KubernetesOptions()
        options.links = .transport
        options.storageClass = "fast-ssd"
        let (files, notes, _) = try Self.generate(options)
        #expect(files[ClusterDeployment.linksFile] == nil)
        #expect(notes.contains { $0.contains("--links transport") })
        let set = try #require(files[ClusterDeployment.nodesFile]?.first)
        let text = set.document()
        #expect(text.contains("name: \"GRIDLEDGER_LINK_EMULATION\"") && text.contains("value: \"on\""))
        #expect(!text.contains("value: \"off\""))
        #expect(set.document().contains("storageClassName: \"fast-ssd\""))
    }

    @Test func the_load_config_points_every_part_at_every_gateway_by_dns_name() throws {
        var options = KubernetesOptions()
        options.generatorParts = 3
        let (files, _, _) = try Self.generate(options)
        let loadMap = try #require(files[ClusterDeployment.configFile]?.last)
        let text = try #require(Self.string(loadMap["data"]?["load.json"]))
        let config = try JSONDecoder().decode(LoadGeneratorConfigFile.self, from: Data(text.utf8))
        #expect(config.parts == 3)
        #expect(config.gateways.count == 8 && config.gateways.allSatisfy { $0.host.hasSuffix(".svc.cluster.local") })
        let job = try #require(files[ClusterDeployment.loadFile]?.first)
        #expect(job["spec"]?["completions"] == .int(3) && job["spec"]?["parallelism"] == .int(3))
    }

    @Test func bad_options_and_colliding_region_names_are_refused_by_name() throws {
        var options = KubernetesOptions()
        options.namespace = "Grid_Ledger"
        #expect(throws: DeployError.self) { try Self.generate(options) }
        options = KubernetesOptions()
        options.memoryPerNode = "two gigs"
        do {
            _ = try Self.generate(options)
            Issue.record("accepted --memory 'two gigs'")
        } catch let error as DeployError {
            #expect(error.field == "--memory")
        }
        let colliding = try Topology.parse(
            yaml: Self.yaml.replacingOccurrences(of: "north", with: "south_2"), file: "c.yaml")
        do {
            _ = try ClusterNames(topology: colliding, namespace: "x", clusterDomain: "cluster.local")
            Issue.record("accepted regions South_2 and south_2")
        } catch {
            #expect(error.reason.contains("south-2"))
        }
    }
}

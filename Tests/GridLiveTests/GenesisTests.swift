import Foundation
import GridConsensus
import GridCrypto
import GridGenesis
import GridNode
import GridTopology
import Testing

@Suite struct GenesisTests {
    static func topology(_ file: String = "ieee33-3regions") throws -> Topology {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("topologies/\(file).yaml")
        return try Topology.load(contentsOf: url)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("genesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func everyNodeLoadsTheSameLedgerTheSimulatorBuilds() throws {
        let topology = try Self.topology()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layout = try GenesisWriter.write(
            topology: topology, options: GenesisOptions(keys: .derived), to: directory)
        let keys = Deployment.derivedKeys(topology)
        let simulated = try Deployment(
            topology: topology, chainID: 1, regionKeys: keys.regions.map { $0.map(\.publicKey) },
            committeeKeys: keys.committee.map(\.publicKey), verifier: DirectSignatureVerifier())
        #expect(layout.nodeConfigs.count == simulated.nodes.count)
        for (name, url) in layout.nodeConfigs {
            let setup = try NodeSetup.load(configFile: url, verifier: DirectSignatureVerifier())
            #expect(setup.node.name == name)
            #expect(setup.deployment.regionGenesis.map(\.hash) == simulated.regionGenesis.map(\.hash))
            #expect(setup.deployment.committee?.genesis.hash == simulated.committee?.genesis.hash)
            #expect(setup.peers.count == simulated.nodes.count - 1)
            #expect(setup.key.publicKey == simulated.publicKey(of: setup.node.address))
            #expect(Set(setup.peers.map(\.port)).count == setup.peers.count)
        }
    }

    @Test func randomKeysDifferFromDerivedOnesAndStillAgree() throws {
        let topology = try Self.topology("default")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layout = try GenesisWriter.write(topology: topology, options: GenesisOptions(), to: directory)
        let derived = Deployment.derivedKeys(topology).regions[0][0].publicKey
        let setup = try NodeSetup.load(
            configFile: try #require(layout.nodeConfigs["r0/v0"]), verifier: DirectSignatureVerifier())
        #expect(setup.key.publicKey != derived)
        #expect(setup.deployment.regionValidators[0].keys.contains(setup.key.publicKey))
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layout = try GenesisWriter.write(
            topology: try Self.topology("default"), options: GenesisOptions(), to: directory)
        let keyURL = directory.appendingPathComponent("keys/r0-v1.key")
        var status = stat()
        #expect(stat(keyURL.path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        chmod(keyURL.path, 0o644)
        let error = #expect(throws: GenesisError.self) {
            try NodeSetup.load(
                configFile: try #require(layout.nodeConfigs["r0/v1"]), verifier: DirectSignatureVerifier())
        }
        #expect(error?.file == keyURL.path)
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test func aKeyThatIsNotTheGenesisKeyIsRefused() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layout = try GenesisWriter.write(
            topology: try Self.topology("default"), options: GenesisOptions(), to: directory)
        // Swap two nodes' key files: each key is a genesis key, but not the one genesis gives that node.
        let a = directory.appendingPathComponent("keys/r0-v0.key")
        let b = directory.appendingPathComponent("keys/r0-v2.key")
        let keyA = try Data(contentsOf: a)
        try Data(contentsOf: b).write(to: a)
        chmod(a.path, 0o600)
        let error = #expect(throws: GenesisError.self) {
            try NodeSetup.load(
                configFile: try #require(layout.nodeConfigs["r0/v0"]), verifier: DirectSignatureVerifier())
        }
        #expect(error?.description.contains("but genesis gives r0/v0") == true)
        _ = keyA
    }

    @Test func hostileGenesisFilesNameTheFileAndField() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layout = try GenesisWriter.write(
            topology: try Self.topology("default"), options: GenesisOptions(), to: directory)
        let config = try #require(layout.nodeConfigs["r0/v0"])
        let genesisURL = layout.genesisFile
        let original = try Data(contentsOf: genesisURL)
        var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        func load() -> GenesisError? {
            #expect(throws: GenesisError.self) {
                try NodeSetup.load(configFile: config, verifier: DirectSignatureVerifier())
            }
        }
        // A node left out.
        var nodes = try #require(json["nodes"] as? [[String: Any]])
        json["nodes"] = Array(nodes.dropLast())
        try JSONSerialization.data(withJSONObject: json).write(to: genesisURL)
        #expect(load()?.reason.contains("has no entry for validator 3") == true)
        // A key that is not hexadecimal.
        nodes[1]["publicKey"] = "zz"
        json["nodes"] = nodes
        try JSONSerialization.data(withJSONObject: json).write(to: genesisURL)
        #expect(load()?.field == "nodes[1].publicKey")
        // A port out of range.
        nodes[1]["publicKey"] = (try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any]))
            .flatMap { ($0["nodes"] as? [[String: Any]])?[1]["publicKey"] }
        nodes[2]["port"] = 70_000
        json["nodes"] = nodes
        try JSONSerialization.data(withJSONObject: json).write(to: genesisURL)
        #expect(load()?.field == "nodes[2].port")
        // A missing field, and bytes that are not JSON.
        json.removeValue(forKey: "chainID")
        try JSONSerialization.data(withJSONObject: json).write(to: genesisURL)
        #expect(load()?.field == "chainID")
        try Data([0x7b, 0x22, 0xff, 0x00]).write(to: genesisURL)
        let garbage = load()
        #expect(garbage?.file == genesisURL.path)
    }

    @Test func aSecondGenesisIntoTheSameFolderIsRefused() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try GenesisWriter.write(topology: try Self.topology("default"), options: GenesisOptions(), to: directory)
        #expect(throws: GenesisError.self) {
            try GenesisWriter.write(topology: try Self.topology("default"), options: GenesisOptions(), to: directory)
        }
    }

    @Test(arguments: ["default", "ieee33-3regions", "leader-crash", "wan-8", "voltage"])
    func topologiesSurviveTheGenesisFile(_ name: String) throws {
        let topology = try Self.topology(name)
        let data = try JSONEncoder().encode(GenesisFile(chainID: 7, topology: topology, nodes: []))
        let decoded = try JSONDecoder().decode(GenesisFile.self, from: data)
        #expect(decoded.topology == topology)
    }
}

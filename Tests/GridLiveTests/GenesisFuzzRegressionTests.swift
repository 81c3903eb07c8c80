import Foundation
import GridConsensus
import GridGenesis
import GridTopology
import Testing

/// A genesis file's topology arrives as JSON, not through the topology parser. The genesis fuzz target's input
/// (`scripts/fuzz.sh genesis`: the default topology's genesis with `"validators" : -1`) made `deployment` trap
/// sizing an array by the count; every count is now checked first and refused naming the file and field.
@Suite struct GenesisFuzzRegressionTests {
    static func genesisJSON(validators: Int) throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("genesis-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let topology = try Topology.parse(yaml: Topology.defaultYAML, file: "default.yaml")
        let layout = try GenesisWriter.write(
            topology: topology, options: GenesisOptions(chainID: 7, keys: .derived), to: directory)
        let text = try String(contentsOf: layout.genesisFile, encoding: .utf8)
        #expect(text.contains("\"validators\" : 4"))
        return Data(text.replacingOccurrences(of: "\"validators\" : 4", with: "\"validators\" : \(validators)").utf8)
    }

    @Test(arguments: [-1, 0, 1_000_000_000])
    func aValidatorCountOutOfRangeIsRefused(validators: Int) throws {
        let genesis = try JSONDecoder().decode(GenesisFile.self, from: try Self.genesisJSON(validators: validators))
        do {
            _ = try genesis.deployment(verifier: DirectSignatureVerifier(), file: "genesis.json")
            Issue.record("a genesis with \(validators) validators was accepted")
        } catch {
            #expect(error.file == "genesis.json")
            #expect(error.field == "topology")
            #expect(error.reason.contains("validators"))
        }
    }

    @Test func theUnchangedGenesisStillGivesItsDeployment() throws {
        let genesis = try JSONDecoder().decode(GenesisFile.self, from: try Self.genesisJSON(validators: 4))
        let deployment = try genesis.deployment(verifier: DirectSignatureVerifier(), file: "genesis.json")
        #expect(deployment.nodes.count == 4)
    }
}

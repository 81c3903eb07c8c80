import Foundation
import FuzzSupport
import GridConsensus
import GridTopology

@testable import GridGenesis

// Deployment files a node reads at start: the genesis file and a node's config file (JSON). The input is a
// selector byte and the file; an even selector, a genesis file, read as a node reads it and turned into a
// deployment; an odd one, a node config file next to a real genesis, keys and store folder written at start-up
// (`gridledger genesis` of the default topology), loaded with `NodeSetup.load`. Invariants: every refusal is a
// `GenesisError` naming the file; an accepted genesis survives its JSON encoding and gives one deployment node
// per validator and committee member.

private let folder: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gridledger-fuzz-genesis-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

private let layout: GenesisLayout = {
    let topology = try! Topology.parse(yaml: Topology.defaultYAML, file: "default.yaml")
    return try! GenesisWriter.write(
        topology: topology, options: GenesisOptions(chainID: 7, keys: .derived), to: folder)
}()

/// Where the node config under test is written: next to the ones `GenesisWriter` wrote, so relative paths in it
/// resolve as in a real deployment.
private var configURL: URL { layout.nodeConfigs.values.sorted { $0.path < $1.path }[0] }

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    // The deployment folder goes when the run ends normally; after a crash it stays, next to the crash input.
    atexit { try? FileManager.default.removeItem(at: folder) }
    Fuzz.writeSeedsIfAsked {
        let genesis = (try? Data(contentsOf: layout.genesisFile)) ?? Data()
        let config = (try? Data(contentsOf: configURL)) ?? Data()
        return [("genesis-default.json", [0] + Array(genesis)), ("node-config.json", [1] + Array(config))]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    if selector % 2 == 0 {
        let url = folder.appendingPathComponent("fuzz-genesis.json")
        try! Data(body).write(to: url)
        let genesis: GenesisFile
        do { genesis = try GenesisJSON.read(GenesisFile.self, from: url) } catch {
            Fuzz.check(error.file == url.path, "refusal names \(error.file)")
            return 0
        }
        let json = try? JSONEncoder().encode(genesis)
        let again = json.flatMap { try? JSONDecoder().decode(GenesisFile.self, from: $0) }
        Fuzz.check(again == genesis, "genesis does not survive JSON encode then decode")
        do {
            let deployment = try genesis.deployment(verifier: DirectSignatureVerifier(), file: url.path)
            let expected = genesis.topology.validatorCount + (genesis.topology.global?.validators ?? 0)
            Fuzz.check(deployment.nodes.count == expected, "deployment of \(deployment.nodes.count) nodes")
        } catch {
            Fuzz.check(error.file == url.path, "refusal names \(error.file)")
        }
    } else {
        let url = configURL
        try! Data(body).write(to: url)
        do { _ = try NodeSetup.load(configFile: url, verifier: DirectSignatureVerifier()) } catch {
            Fuzz.check(!error.file.isEmpty, "refusal names no file")
        }
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzGenesis_main`; it hands over to libFuzzer.
@_cdecl("FuzzGenesis_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

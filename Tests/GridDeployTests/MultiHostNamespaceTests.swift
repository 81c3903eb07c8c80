import Foundation
import GridGenesis
import GridLoad
import GridLoadGenerator
import GridTopology
import Testing

/// Nodes on different hosts, as far as this machine can make them: every node and every load generator in its own
/// network namespace with its own address on a bridge, the genesis written from a hosts file. Blocks commit only
/// if the nodes reach each other at those addresses, so a passing run shows nothing assumes loopback or one host.
/// Root only; skipped, saying why, when namespaces cannot be made.
@Suite(.serialized) struct MultiHostNamespaceTests {
    static let executable = BuiltExecutable.named()

    /// Nil when namespaces can be made here; otherwise why not.
    static let unavailable: String? = {
        guard getuid() == 0 else { return "needs root (ip netns add); run as root to include it" }
        guard executable != nil else { return "gridledger is not built next to the test bundle" }
        let probe = "gl-test-probe-\(getpid())"
        guard (try? NetworkNamespaces.ip(["netns", "add", probe])) != nil else {
            return "'ip netns add' fails here (no ip command, or no permission to make namespaces)"
        }
        _ = try? NetworkNamespaces.ip(["netns", "del", probe])
        return nil
    }()

    static let topology = """
        schemaVersion: 1
        name: netns-hosts
        seed: 9
        machine: { profile: default, cores: 1, durability: nosync }
        regions:
          - name: r0
            validators: 4
        network:
          intraRegion: { latencyMillis: 1, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }
        workload:
          kind: transfer
          accounts: 200
          rate: { controller: fixed, tps: 100 }
          durationSeconds: 2
          warmupSeconds: 1
          timeoutSeconds: 5
        """

    @Test(.enabled(if: unavailable == nil, "\(unavailable ?? "")"))
    func nodes_in_separate_namespaces_commit_and_two_generators_collect_into_one_result() throws {
        let executable = try #require(Self.executable)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let net = NetworkNamespaces(tag: String(format: "%02x", getpid() % 256), count: 6)
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning { process.terminate() }
            for process in processes { NetworkNamespaces.waitOrKill(process, seconds: 5) }
            net.tearDown()
        }
        try net.setUp()
        // Hosts 0-3 run one validator each; 4 and 5 run a load generator part each.
        let hosts = (0..<4).map { "  - { address: \(net.address($0)), nodes: [r0/v\($0)], metricsBasePort: 9100 }" }
        let hostsURL = directory.appendingPathComponent("hosts.yaml")
        try ("hosts:\n" + hosts.joined(separator: "\n") + "\n").write(to: hostsURL, atomically: true, encoding: .utf8)
        let topologyURL = directory.appendingPathComponent("topology.yaml")
        try Self.topology.write(to: topologyURL, atomically: true, encoding: .utf8)
        let deployment = directory.appendingPathComponent("deployment")
        let genesis = try Self.run(
            executable, ["genesis", topologyURL.path, "--hosts", hostsURL.path, "--out", deployment.path])
        try #require(genesis.status == 0, "genesis failed: \(genesis.output)")
        let file = try JSONDecoder().decode(
            GenesisFile.self, from: Data(contentsOf: deployment.appendingPathComponent("genesis.json")))
        #expect(file.nodes.map(\.host) == (0..<4).map(net.address))
        #expect(!file.nodes.contains { $0.host.hasPrefix("127.") })
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        for index in 0..<4 {
            processes.append(
                try Self.start(
                    [
                        "ip", "netns", "exec", net.namespace(index), executable.path, "node", "--config",
                        deployment.appendingPathComponent("nodes/r0-v\(index).json").path,
                    ],
                    log: logs.appendingPathComponent("r0-v\(index).log")))
        }
        try Self.waitUntilListening(deployment: deployment, nodes: 4, processes: processes, logs: logs)
        let loaded = try Topology.load(contentsOf: topologyURL)
        let gateways = file.nodes.compactMap { node in
            node.region.map { Gateway(region: $0, index: node.index, host: node.host, port: node.port) }
        }
        let startAt = UInt64((Date().timeIntervalSince1970 + 2) * 1e9)
        let results = directory.appendingPathComponent("results")
        var generators: [Process] = []
        for part in 0..<2 {
            let config = LoadGeneratorConfigFile(
                topology: loaded, chainID: file.chainID, gateways: gateways, part: part, parts: 2,
                startAtUnixNanos: startAt)
            let configURL = directory.appendingPathComponent("load-\(part).json")
            try config.jsonData().write(to: configURL)
            let generator = try Self.start(
                [
                    "ip", "netns", "exec", net.namespace(4 + part), executable.path, "load", "--quiet", "--config",
                    configURL.path, "--out", results.appendingPathComponent("part-\(part).report.json").path,
                ],
                log: logs.appendingPathComponent("load-\(part).log"))
            generators.append(generator)
            processes.append(generator)
        }
        for generator in generators { generator.waitUntilExit() }
        for (part, generator) in generators.enumerated() {
            try #require(
                generator.terminationStatus == 0,
                "load part \(part) failed: \(Self.tail(logs.appendingPathComponent("load-\(part).log")))")
        }
        let collect = try Self.run(
            executable,
            [
                "collect", results.path, "--topology", topologyURL.path, "--out",
                directory.appendingPathComponent("out").path,
            ])
        try #require(collect.status == 0, "collect failed: \(collect.output)")
        let result = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("out/result.json"))) as? [String: Any])
        let counts = try #require(result["counts"] as? [String: Any])
        let committed = try #require(counts["committed"] as? Int)
        let offered = try #require(counts["offered"] as? Int)
        #expect(result["runtime"] as? String == "kubernetes")
        #expect(offered == 200)
        // Latency and the share committed depend on how busy this machine is; that anything commits at all needs
        // the namespaces to reach each other.
        #expect(committed > 0, "nothing of \(offered) committed across namespaces")
        // Every node committed blocks, each in its own namespace.
        var heights: [Int] = []
        defer { print("multi-host namespaces: committed \(committed) of \(offered) offered; node heights \(heights)") }
        for index in 0..<4 {
            let metrics = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: deployment.appendingPathComponent("metrics/r0-v\(index).json")))
                    as? [String: Any])
            let height = (metrics["committedHeight"] as? Int) ?? 0
            heights.append(height)
            #expect(height > 2, "r0/v\(index) at height \(height)")
        }
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func start(_ command: [String], log: URL) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func tail(_ url: URL) -> String {
        String((try? String(contentsOf: url, encoding: .utf8))?.suffix(2000) ?? "(no log)")
    }

    /// Each node writes `listening: true` to its metrics file once it serves.
    static func waitUntilListening(deployment: URL, nodes: Int, processes: [Process], logs: URL) throws {
        let deadline = Date().addingTimeInterval(30)
        var waiting = Set(0..<nodes)
        while !waiting.isEmpty {
            for index in waiting {
                if !processes[index].isRunning {
                    throw NetworkNamespaces.Failure(
                        "node r0/v\(index) exited: \(tail(logs.appendingPathComponent("r0-v\(index).log")))")
                }
                let url = deployment.appendingPathComponent("metrics/r0-v\(index).json")
                if let data = try? Data(contentsOf: url),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    object["listening"] as? Bool == true
                {
                    waiting.remove(index)
                }
            }
            guard Date() < deadline else {
                throw NetworkNamespaces.Failure("nodes not listening after 30 s: \(waiting.sorted())")
            }
            usleep(50_000)
        }
    }
}

/// Namespaces `gl-test-TAG-I` joined by veth pairs to a bridge `gl-test-brTAG`, addresses 10.213.X.(I+1)/24.
/// Everything made is removed by `tearDown`, including leftovers of an earlier run with the same tag.
struct NetworkNamespaces {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let tag: String
    let count: Int

    var bridge: String { "gl-test-br\(tag)" }
    func namespace(_ index: Int) -> String { "gl-test-\(tag)-\(index)" }
    /// Interface names are at most 15 characters: `gl-test-TAGhI` on the host, `gl-test-TAGnI` inside.
    func hostSide(_ index: Int) -> String { "gl-test-\(tag)h\(index)" }
    func inside(_ index: Int) -> String { "gl-test-\(tag)n\(index)" }
    var subnet: Int { Int(tag, radix: 16) ?? 0 }
    func address(_ index: Int) -> String { "10.213.\(subnet).\(index + 1)" }

    func setUp() throws {
        tearDown()
        try Self.ip(["link", "add", bridge, "type", "bridge"])
        try Self.ip(["link", "set", bridge, "up"])
        for index in 0..<count {
            let ns = namespace(index)
            try Self.ip(["netns", "add", ns])
            try Self.ip(["link", "add", hostSide(index), "type", "veth", "peer", "name", inside(index)])
            try Self.ip(["link", "set", inside(index), "netns", ns])
            try Self.ip(["link", "set", hostSide(index), "master", bridge])
            try Self.ip(["link", "set", hostSide(index), "up"])
            try Self.ip(["-n", ns, "addr", "add", "\(address(index))/24", "dev", inside(index)])
            try Self.ip(["-n", ns, "link", "set", inside(index), "up"])
            try Self.ip(["-n", ns, "link", "set", "lo", "up"])
        }
    }

    /// Deleting a namespace deletes the veth end inside it, and with it the pair.
    func tearDown() {
        for index in 0..<count {
            _ = try? Self.ip(["netns", "del", namespace(index)])
            _ = try? Self.ip(["link", "del", hostSide(index)])
        }
        _ = try? Self.ip(["link", "del", bridge])
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure("ip \(arguments.joined(separator: " ")): \(output)")
        }
        return output
    }

    static func waitOrKill(_ process: Process, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

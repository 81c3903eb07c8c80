import Foundation
import GridGenesis
import GridTopology
import Testing

@testable import GridDeploy

/// `genesis --hosts`: nodes land on the hosts the file names, and every mistake is refused naming the file and the
/// field.
struct HostsFileTests {
    static let nodes = ["r0/v0", "r0/v1", "r0/v2", "r0/v3", "global/v0"]

    func endpoints(_ yaml: String) throws -> [String: NodeEndpoint] {
        try HostsFile.parse(yaml, file: "hosts.yaml").endpoints(nodes: Self.nodes)
    }

    func failure(_ yaml: String) -> DeployError? {
        do {
            _ = try endpoints(yaml)
            return nil
        } catch let error as DeployError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func named_nodes_first_then_counts_in_genesis_order() throws {
        let endpoints = try endpoints(
            """
            hosts:
              - { address: 10.0.0.2, count: 2, basePort: 8000, metricsBasePort: 9100 }
              - { address: 10.0.0.1, nodes: [r0/v2, global/v0], listen: 0.0.0.0 }
              - { address: node3.example, count: 1 }
            """)
        #expect(endpoints["r0/v0"] == NodeEndpoint(host: "10.0.0.2", port: 8000, metricsPort: 9100))
        #expect(endpoints["r0/v1"] == NodeEndpoint(host: "10.0.0.2", port: 8001, metricsPort: 9101))
        #expect(endpoints["r0/v2"] == NodeEndpoint(host: "10.0.0.1", port: 7000, listenHost: "0.0.0.0"))
        #expect(endpoints["global/v0"] == NodeEndpoint(host: "10.0.0.1", port: 7001, listenHost: "0.0.0.0"))
        #expect(endpoints["r0/v3"] == NodeEndpoint(host: "node3.example", port: 7000))
    }

    @Test func mistakes_name_the_file_and_the_field() {
        let cases: [(String, String, String)] = [
            ("hosts: []", "hosts.yaml: hosts", "non-empty"),
            ("nodes: 1", "hosts.yaml: nodes", "not a field"),
            ("hosts:\n  - { count: 5 }", "hosts.yaml: hosts[0].address", "IP address"),
            ("hosts:\n  - { address: a, count: 5, colour: red }", "hosts.yaml: hosts[0].colour", "not a field"),
            ("hosts:\n  - { address: a, count: 3, nodes: [r0/v0] }", "hosts.yaml: hosts[0]", "either"),
            ("hosts:\n  - { address: a }", "hosts.yaml: hosts[0]", "either"),
            ("hosts:\n  - { address: a, count: 0 }", "hosts.yaml: hosts[0].count", ">= 1"),
            ("hosts:\n  - { address: a, count: 5, basePort: 70000 }", "hosts.yaml: hosts[0].basePort", "1...65535"),
            ("hosts:\n  - { address: a, nodes: [r9/v0] }", "hosts.yaml: hosts[0].nodes", "'r9/v0'"),
            (
                "hosts:\n  - { address: a, nodes: [r0/v0] }\n  - { address: b, nodes: [r0/v0] }\n  - { address: c, count: 4 }",
                "hosts.yaml: hosts[1].nodes", "hosts[0] has already"
            ),
            ("hosts:\n  - { address: a, count: 6 }", "hosts.yaml: hosts[0].count", "only 5"),
            ("hosts:\n  - { address: a, count: 4 }", "hosts.yaml: hosts", "global/v0"),
            ("hosts:\n  - { address: a, count: 5, basePort: 65534 }", "hosts.yaml: hosts[0].basePort", "no room"),
            ("hosts: [", "hosts.yaml", "not YAML"),
        ]
        for (yaml, field, reason) in cases {
            let error = failure(yaml)
            #expect(error?.field == field, "\(yaml): \(String(describing: error))")
            #expect(error?.reason.contains(reason) == true, "\(yaml): \(String(describing: error))")
        }
    }

    @Test func two_nodes_on_one_address_and_port_are_refused_by_genesis() throws {
        let topology = try Topology.parse(
            yaml: """
                schemaVersion: 1
                regions: [{ name: r0, validators: 4 }]
                workload: { kind: transfer, rate: { controller: fixed, tps: 10 }, durationSeconds: 1 }
                """, file: "t.yaml")
        let hosts = try HostsFile.parse(
            "hosts:\n  - { address: 10.1.1.1, count: 2 }\n  - { address: 10.1.1.1, count: 2, basePort: 7001 }",
            file: "hosts.yaml")
        var options = GenesisOptions()
        options.endpoints = try hosts.endpoints(nodes: ClusterDeployment.plannedNodes(topology).map(\.name))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString)")
        #expect {
            try GenesisWriter.write(topology: topology, options: options, to: directory)
        } throws: { error in
            "\(error)".contains("10.1.1.1:7001") && "\(error)".contains("r0/v1")
        }
    }
}

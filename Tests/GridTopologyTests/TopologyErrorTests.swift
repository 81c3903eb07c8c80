import Foundation
import Testing

@testable import GridTopology

/// One bad file per kind of mistake; each names its line and field.
struct TopologyErrorTests {
    @Test func descriptionHasTheCompilerForm() {
        let error = TopologyError(
            file: "topologies/bad.yaml", line: 14, column: 9, field: "workload.rate.tps",
            message: "expected a positive number, got \"fast\"")
        #expect(
            error.description == #"topologies/bad.yaml:14:9: workload.rate.tps: expected a positive number, got "fast""#
        )
        let whole = TopologyError(file: "x.yaml", line: 0, column: 0, field: "", message: "the file is empty")
        #expect(whole.description == "x.yaml: the file is empty")
    }

    @Test func wrongTypeNamesTheExpectationAndTheValue() {
        let yaml = minimalYAML.replacingOccurrences(of: "tps: 1000", with: "tps: fast")
        let error = expectError(in: yaml, field: "workload.rate.tps", line: 8, column: 10)
        #expect(
            error?.description
                == #"bad.yaml:8:10: workload.rate.tps: expected a positive number of transactions per second, "#
                + #"at most 10000000, got "fast""#)
        expectError(
            in: minimalYAML.replacingOccurrences(of: "validators: 4", with: "validators: \"4\""),
            field: "regions[0].validators", line: 4, message: "got the string \"4\"")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "controller: fixed", with: "controller: [fixed]"),
            field: "workload.rate.controller", line: 7, message: "got a list")
        expectError(in: minimalYAML + "seed: 1.5\n", field: "seed", line: 9)
        expectError(in: minimalYAML + "machine: 2\n", field: "machine", line: 9, message: "expected a mapping")
    }

    @Test func syntaxErrorHasItsLine() {
        let yaml = """
            schemaVersion: 1
            regions:
              - { name: r0, validators: 4
            workload: {}
            """
        let error = expectError(in: yaml, field: "", line: 4)
        #expect(error?.message.hasPrefix("YAML syntax error:") == true)
        expectError(in: "schemaVersion: 1\n  bad indent: 2\n", field: "", line: 2)
        expectError(in: minimalYAML + "---\nschemaVersion: 1\n", field: "", line: 9, message: "one YAML document")
        expectError(in: "schemaVersion: 1\nname:\t\"x\"\n\tseed: 2\n", field: "", line: 3)
    }

    @Test func unknownKeySuggestsTheClosestKnownKey() {
        expectError(
            in: minimalYAML + "seeed: 3\n", field: "seeed", line: 9, column: 1, message: "did you mean seed?")
        expectError(
            in: minimalYAML + "network:\n  intraRegion: { latency_millis: 1 }\n",
            field: "network.intraRegion.latency_millis", line: 10, message: "did you mean latencyMillis?")
        expectError(
            in: minimalYAML + "consensus:\n  viewTimeout: 100\n", field: "consensus.viewTimeout", line: 10,
            message: "did you mean viewTimeoutMillis?")
        expectError(
            in: minimalYAML + "grid: {}\n", field: "grid", line: 9, message: "expected one of: schemaVersion, name")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "controller: fixed", with: "controller: Fixed"),
            field: "workload.rate.controller", line: 7, message: "did you mean fixed?")
    }

    @Test func missingRequiredKeyNamesTheParentLine() {
        let yaml = minimalYAML.replacingOccurrences(of: "    tps: 1000\n", with: "")
        expectError(in: yaml, field: "workload.rate.tps", line: 6, message: "missing required key")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "schemaVersion: 1\n", with: ""), field: "schemaVersion", line: 1)
        let noName = minimalYAML.replacingOccurrences(of: "  - name: r0\n    validators: 4", with: "  - validators: 4")
        expectError(in: noName, field: "regions[0].name", line: 3, column: 5)
        expectError(in: "schemaVersion: 1\nregions: [{ name: r0, validators: 4 }]\n", field: "workload", line: 1)
    }

    @Test func duplicateKeysAreReportedWithTheirField() {
        let yaml = minimalYAML + "seed: 1\nconsensus:\n  blockIntervalMillis: 5\n  blockIntervalMillis: 6\nseed: 2\n"
        let all = errors(of: yaml)
        #expect(all.map(\.field) == ["consensus.blockIntervalMillis", "seed"], "\(all)")
        #expect(all.map(\.line) == [12, 13])
        #expect(all[0].message.contains("first written at line 11"))
        #expect(all[1].message.contains(#"duplicate key "seed""#))

        let thrice =
            minimalYAML + "faults:\n  - { atSeconds: 1, atSeconds: 2, atSeconds: 3, kind: crash, node: r0/v0 }\n"
        #expect(errors(of: thrice).map(\.field) == ["faults[0].atSeconds", "faults[0].atSeconds"])
        expectError(
            in: "schemaVersion: 1\n\"schemaVersion\": 1\n" + minimalYAML.dropFirst(17), field: "schemaVersion", line: 2)
    }

    @Test func duplicateKeysAfterWideCharactersAreFoundWhereTheyAre() {
        // A rename splices UTF-8 bytes at a position counted in scalars: multi-byte and combining characters
        // before the key, on earlier lines and on its own, must not shift it.
        let wide =
            "# caf\u{E9} \u{26A1} \u{1D11E} e\u{301}\n" + minimalYAML
            + "faults:\n  - { node: \"r0/v0 \u{1D11E}e\u{301}\", atSeconds: 1, atSeconds: 2, atSeconds: 3, kind: crash }\n"
        let all = errors(of: wide)
        // The node id is refused too (it is not one), at its own column.
        #expect(all.map(\.field) == ["faults[0].node", "faults[0].atSeconds", "faults[0].atSeconds"], "\(all)")
        #expect(all.map(\.line) == [11, 11, 11])
        #expect(all.map(\.column) == [13, 40, 54], "\(all)")
    }

    @Test func validatorsMustBeThreeFPlusOne() {
        let yaml = minimalYAML.replacingOccurrences(of: "validators: 4", with: "validators: 5")
        expectError(
            in: yaml, field: "regions[0].validators", line: 4, column: 17,
            message: "expected a validator count n = 3f+1 (1, 4, 7, 10, ...), at most 100, got 5")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "validators: 4", with: "validators: 103"),
            field: "regions[0].validators", line: 4)
        expectError(
            in: minimalYAML.replacingOccurrences(of: "validators: 4", with: "validators: 0"),
            field: "regions[0].validators", line: 4)
    }

    @Test func badNodeReferences() {
        let faults = """
            faults:
              - { atSeconds: 1, kind: crash, node: r0/v4 }
              - { atSeconds: 1, kind: crash, node: r1/v0 }
              - { atSeconds: 1, kind: crash, node: r0-v1 }
              - { atSeconds: 1, kind: crash, node: r0/v01 }
              - { atSeconds: 1, kind: loss, durationSeconds: 1, rate: 0.1, nodes: [r0/v1, r0/v1] }

            """
        let all = errors(of: minimalYAML + faults)
        #expect(
            all.map(\.field) == [
                "faults[0].node", "faults[1].node", "faults[2].node", "faults[3].node", "faults[4].nodes[1]",
            ], "\(all)")
        #expect(all.map(\.line) == [10, 11, 12, 13, 14])
        #expect(all[0].message == "region r0 has validators v0...v3, got r0/v4")
        #expect(all[1].message.hasPrefix("no region named \"r1\""))
        #expect(all[2].message.hasPrefix("expected a node id REGION/vINDEX or REGION/leader"))
        #expect(all[4].message.contains("already listed"))
    }

    @Test func restartNeedsAnEarlierCrashOfTheSameNode() {
        let faults = """
            faults:
              - { atSeconds: 3, kind: restart, node: r0/v1 }
              - { atSeconds: 2, kind: crash, node: r0/v2 }
              - { atSeconds: 4, kind: restart, node: r0/v2 }
              - { atSeconds: 5, kind: restart, node: r0/v2 }
              - { atSeconds: 6, kind: crash, node: r0/leader }
              - { atSeconds: 7, kind: restart, node: r0/v3 }
              - { atSeconds: 8, kind: restart, node: r0/leader }
              - { atSeconds: 9, kind: restart, node: r0/leader }

            """
        let all = errors(of: minimalYAML + faults)
        #expect(all.map(\.field) == ["faults[0].node", "faults[3].node", "faults[5].node", "faults[7].node"], "\(all)")
        #expect(all.map(\.line) == [10, 13, 15, 17])
        #expect(all[0].message == "restart of r0/v1 at 3 s without an earlier crash of r0/v1")
        #expect(all[3].message.hasPrefix("restart of r0/leader at 9 s without an earlier crash of r0/leader"))

        let doubleCrash =
            minimalYAML + """
                faults:
                  - { atSeconds: 1, kind: crash, node: r0/v1 }
                  - { atSeconds: 2, kind: crash, node: r0/v1 }

                """
        expectError(in: doubleCrash, field: "faults[1].node", line: 11, message: "already down")
    }

    @Test func partitionGroupsMustNotOverlap() {
        let faults = """
            faults:
              - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: [[r0/v0, r0/v1], [r0/v1, r0/v2]] }
              - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: [[r0/v0], [r0/leader]] }
              - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: [[], [r0/v1]] }
              - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: [] }

            """
        let all = errors(of: minimalYAML + faults)
        #expect(
            all.map(\.field) == [
                "faults[0].groups[1][0]", "faults[1].groups[1][0]", "faults[2].groups[0]", "faults[3].groups",
            ], "\(all)")
        #expect(all[0].message.contains("groups must not overlap"))
    }

    @Test func stepTimesMustStartAtZeroAndIncrease() {
        let yaml = minimalYAML.replacingOccurrences(
            of: "    controller: fixed\n    tps: 1000\n",
            with: """
                    controller: step
                    steps:
                      - { atSeconds: 1, tps: 10 }
                      - { atSeconds: 3, tps: 20 }
                      - { atSeconds: 3, tps: 30 }
                      - { atSeconds: 2, tps: 40 }
                      - { atSeconds: 20, tps: 50 }

                """)
        let all = errors(of: yaml)
        #expect(
            all.map(\.field) == [
                "workload.rate.steps[0].atSeconds", "workload.rate.steps[2].atSeconds",
                "workload.rate.steps[3].atSeconds", "workload.rate.steps[4].atSeconds",
            ], "\(all)")
        #expect(all.map(\.line) == [9, 11, 12, 13])
        #expect(all[0].message.contains("first step at 0 s"))
        #expect(all[1].message.contains("increase strictly"))
        #expect(all[3].message.contains("the run ends at 12 s"))

        let empty = minimalYAML.replacingOccurrences(
            of: "    controller: fixed\n    tps: 1000\n", with: "    controller: step\n    steps: []\n")
        expectError(in: empty, field: "workload.rate.steps", line: 8, message: "at least one step")
    }

    @Test func rateKeysBelongToTheirController() {
        let yaml = minimalYAML.replacingOccurrences(
            of: "    controller: fixed\n",
            with: "    controller: ramp\n    fromTps: 10\n    toTps: 20\n    outstanding: 3\n")
        let all = errors(of: yaml)
        #expect(all.map(\.field) == ["workload.rate.outstanding", "workload.rate.tps"], "\(all)")
        #expect(all.map(\.line) == [10, 11])
        #expect(all[1].message == "not used by controller ramp, which takes fromTps, toTps")

        let crashWithGroups = minimalYAML + "faults:\n  - { atSeconds: 1, kind: crash, node: r0/v0, groups: [] }\n"
        expectError(in: crashWithGroups, field: "faults[0].groups", line: 10, message: "not used by kind crash")
    }

    @Test func negativeAndNonFiniteNumbersAreRefused() {
        expectError(
            in: minimalYAML.replacingOccurrences(of: "tps: 1000", with: "tps: -5"), field: "workload.rate.tps", line: 8,
            message: "got -5")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "tps: 1000", with: "tps: .nan"), field: "workload.rate.tps",
            line: 8, message: "not a finite number")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "tps: 1000", with: "tps: -.inf"), field: "workload.rate.tps",
            line: 8, message: "not a finite number")
        expectError(
            in: minimalYAML.replacingOccurrences(of: "tps: 1000", with: "tps: 1e400"), field: "workload.rate.tps",
            line: 8, message: "too large")
        expectError(
            in: minimalYAML + "mempool: { capacityTransactions: 99999999999999999999999 }\n",
            field: "mempool.capacityTransactions", line: 9, message: "too large")
        expectError(
            in: minimalYAML + "consensus: { blockBytesMax: 1099511627776 }\n", field: "consensus.blockBytesMax",
            line: 9, message: "expected an integer in 1024...67108864")
        expectError(
            in: minimalYAML + "network: { interRegion: { lossRate: 1 } }\n", field: "network.interRegion.lossRate",
            line: 9, message: "a fraction >= 0 and < 1")
        expectError(in: minimalYAML + "seed: 010\n", field: "seed", line: 9, message: "leading zeros")
        expectError(
            in: minimalYAML + "faults: [{ atSeconds: -1, kind: crash, node: r0/v0 }]\n", field: "faults[0].atSeconds",
            line: 9)
    }

    @Test func oversizedFileIsRefusedBeforeParsing() {
        let padding = "# " + String(repeating: "x", count: 100) + "\n"
        let yaml = minimalYAML + String(repeating: padding, count: TopologyLimits.fileBytesMax / padding.utf8.count + 1)
        let all = errors(of: yaml)
        #expect(all.count == 1)
        #expect(all.first?.line == 0)
        #expect(all.first?.field == "")
        #expect(all.first?.message.contains("1048576 bytes") == true)
    }

    @Test func nonUTF8BytesAreACleanError() throws {
        var data = Data(minimalYAML.utf8)
        data.append(contentsOf: Array("name: caf".utf8) + [0xE9] + Array("\n".utf8))
        #expect {
            try Topology.parse(data: data, file: "latin1.yaml")
        } throws: { error in
            guard let first = (error as? TopologyErrors)?.errors.first else { return false }
            return first.line == 9 && first.column == 10 && first.field == "" && first.message.contains("UTF-8")
        }
        let utf16 = try #require(minimalYAML.data(using: .utf16))
        #expect(throws: TopologyErrors.self) { try Topology.parse(data: utf16, file: "utf16.yaml") }
    }

    @Test func emptyFileSaysSo() {
        for yaml in ["", "\n\n", "# only a comment\n", "---\n"] {
            let all = errors(of: yaml)
            #expect(all.count == 1)
            #expect(all.first?.line == 0)
            #expect(all.first?.field == "")
            #expect(all.first?.message.hasPrefix("the file is empty") == true)
        }
        expectError(in: "just words\n", field: "", line: 1, message: "expected a mapping")
    }

    @Test func aliasesAreRefused() {
        let yaml = minimalYAML + "machine: &m { cores: 4 }\nnetwork: { intraRegion: *m }\n"
        expectError(in: yaml, field: "", line: 10, column: 25, message: "aliases")
    }

    @Test func everyErrorOfAFileIsReported() {
        let yaml = """
            schemaVersion: 2
            seed: many
            regions:
              - { name: r0, validators: 4 }
              - { name: "bad name", validators: 4 }
              - { name: r2, validators: 5 }
            network:
              client: { latencyMillis: -1, bandwith: 10 }
            workload:
              rate: { controller: poisson, tps: 0 }
              durationSeconds: 0
            faults:
              - { atSeconds: 1, kind: crash, node: r0/v9 }

            """
        let all = errors(of: yaml)
        #expect(
            all.map(\.field) == [
                "schemaVersion", "seed", "regions[1].name", "regions[2].validators", "network.client.latencyMillis",
                "network.client.bandwith", "workload.rate.tps", "workload.durationSeconds", "faults[0].node",
            ], "\(all.map(\.description))")
        #expect(all.map(\.line) == [1, 2, 5, 6, 8, 8, 10, 11, 13])
    }

    @Test func hugeCountsDoNotOverflow() {
        let yaml = """
            schemaVersion: 1
            regions:
              - { name: r0, validators: 9223372036854775807 }
              - { name: r1, validators: 9223372036854775807 }
              - { name: r2, validators: -9223372036854775808 }
            network:
              pairs: [{ between: [r0] }]
            workload: { rate: { controller: closedLoop, outstanding: -9223372036854775808 } }

            """
        let all = errors(of: yaml)
        #expect(
            all.map(\.field) == [
                "regions[0].validators", "regions[1].validators", "regions[2].validators", "network.pairs[0].between",
                "workload.rate.outstanding",
            ], "\(all.map(\.description))")
        #expect(all[3].message == #"expected two region names, such as [r0, r1], got ["r0"]"#)
    }

    @Test func validatorsAcrossRegionsAreLimited() {
        let regions = (0..<101).map { "  - { name: r\($0), validators: 100 }\n" }.joined()
        let yaml = "schemaVersion: 1\nregions:\n" + regions + "workload: { rate: { controller: fixed, tps: 1 } }\n"
        expectError(
            in: yaml, field: "regions", line: 2, message: "expected at most 10000 validators in all regions, got 10100")
    }

    @Test func tooManyErrorsAreCapped() {
        let unknownKeys = (0..<300).map { "unknown\($0): 1\n" }.joined()
        let all = errors(of: minimalYAML + unknownKeys)
        #expect(all.count == TopologyLimits.errorsMax + 1)
        #expect(all.last?.message == "100 more errors not shown")
    }

    @Test func missingProfileFileIsReportedWhenLoadingAFile() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("GridTopologyTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("profiled.yaml")
        try (minimalYAML + "machine:\n  profile: profiles/fast.json\n").write(
            to: url, atomically: true, encoding: .utf8)
        #expect {
            try Topology.load(contentsOf: url)
        } throws: { error in
            let first = (error as? TopologyErrors)?.errors.first
            return first?.field == "machine.profile" && first?.line == 10
                && first?.message.contains("not found") == true
        }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("profiles"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: directory.appendingPathComponent("profiles/fast.json"))
        #expect(try Topology.load(contentsOf: url).machine.profile == .file("profiles/fast.json"))
    }
}

import Foundation
import Testing

@testable import GridTopology

/// Three regions, the base of the global-layer tests; `global` and `faults` are appended.
let threeRegionsYAML = """
    schemaVersion: 1
    regions:
      - { name: zoneA, validators: 4 }
      - { name: zoneB, validators: 4 }
      - { name: zoneC, validators: 4 }
    workload:
      rate: { controller: fixed, tps: 1000 }

    """

/// The line `global:` is on in `threeRegionsYAML + text`, when `text` starts with it.
private let globalLine = 8

struct GlobalLayerTests {
    // MARK: - Reading

    @Test func fullSectionIsRead() throws {
        let yaml =
            threeRegionsYAML + """
                machine: { cores: 4 }
                global:
                  validators: 4
                  placement: [zoneA, zoneB, zoneC, zoneA]
                  machine: { cores: 8 }
                  checkpointIntervalMillis: 50
                  viewTimeoutMillis: 800
                  entriesMax: 128
                  checkpointBytesMax: 1048576
                  resendIntervalMillis: 500
                """
        let topology = try Topology.parse(yaml: yaml, file: "global.yaml")
        let global = try #require(topology.global)
        #expect(global.validators == 4)
        #expect(global.placement == ["zoneA", "zoneB", "zoneC", "zoneA"])
        #expect(global.machine == Topology.Machine(profile: .shipped("default"), cores: 8))
        #expect(global.checkpointIntervalMillis == 50)
        #expect(global.viewTimeoutMillis == 800)
        #expect(global.entriesMax == 128)
        #expect(global.checkpointBytesMax == 1 << 20)
        #expect(global.resendIntervalMillis == 500)
        #expect(global.faultsTolerated == 1)
        #expect(topology.summary == "global: regions 3, validators 12, global committee 4")
        #expect(global.quorum == 3)
    }

    @Test func omittedFieldsTakeTheirDefaults() throws {
        let topology = try Topology.parse(
            yaml: threeRegionsYAML + "machine: { cores: 4 }\nglobal: { validators: 7 }\n", file: "global.yaml")
        let global = try #require(topology.global)
        #expect(global.placement == ["zoneA", "zoneB", "zoneC", "zoneA", "zoneB", "zoneC", "zoneA"])
        #expect(global.machine == topology.machine, "the topology's machine when the section sets none")
        #expect(global.checkpointIntervalMillis == 100)
        #expect(global.viewTimeoutMillis == 1000)
        #expect(global.entriesMax == 256)
        #expect(global.checkpointBytesMax == 4 << 20)
        #expect(global.resendIntervalMillis == 1000)
        #expect(
            global == Topology.GlobalLayer(validators: 7, roundRobinOver: topology.regions, machine: topology.machine))
    }

    @Test func noSectionMeansNoGlobalLayer() throws {
        #expect(try Topology.parse(yaml: threeRegionsYAML, file: "x.yaml").global == nil)
        #expect(try Topology.parse(yaml: threeRegionsYAML + "global:\n", file: "x.yaml").global == nil)
        for name in ["default", "region-7", "leader-crash", "voltage", "auction", "mix"] {
            let topology = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("\(name).yaml"))
            #expect(topology.global == nil, "\(name) has no global section")
        }
    }

    @Test func globalReferencesAndFaults() throws {
        let yaml =
            threeRegionsYAML + """
                global: { validators: 4 }
                faults:
                  - { atSeconds: 1, kind: crash, node: global/v3 }
                  - { atSeconds: 2, kind: restart, node: global/v3 }
                  - { atSeconds: 3, kind: crash, node: global/leader }
                  - { atSeconds: 4, kind: restart, node: global/leader }
                  - { atSeconds: 5, kind: partition, durationSeconds: 1, groups: [[zoneB/v0, zoneB/v1, zoneB/v2, zoneB/v3]] }
                  - { atSeconds: 6, kind: partition, durationSeconds: 1, groups: [[global/v0, zoneA/v0], [global/v1]] }
                  - { atSeconds: 7, kind: loss, durationSeconds: 1, rate: 0.5, nodes: [global/v2] }
                  - { atSeconds: 5, kind: byzantineRegion, region: zoneB, behavior: forgedCertificate, durationSeconds: 5 }
                  - { atSeconds: 8, kind: byzantineRegion, region: zoneC, behavior: nonExtendingHeader, durationSeconds: 1 }
                """
        let topology = try Topology.parse(yaml: yaml, file: "x.yaml")
        let member = try #require(NodeReference("global/v3"))
        #expect(member.isGlobal)
        #expect(!member.isLeader)
        #expect(try #require(NodeReference("global/leader")).isGlobal)
        #expect(try #require(NodeReference("zoneA/v0")).isGlobal == false)
        #expect(topology.faults[0].kind == .crash(node: member))
        #expect(
            topology.faults[7].kind
                == .byzantineRegion(region: "zoneB", behavior: .forgedCertificate, durationSeconds: 5))
        #expect(topology.faults[8].kind.name == .byzantineRegion)
        #expect(topology.networkRegion(of: member) == "zoneA", "member 3 of 4 round-robin over 3 regions")
        #expect(topology.networkRegion(of: try #require(NodeReference("zoneB/v1"))) == "zoneB")
        #expect(topology.networkRegion(of: try #require(NodeReference("global/leader"))) == nil)
    }

    // MARK: - Encoding

    @Test func encodesToJSONAndBack() throws {
        let yaml =
            threeRegionsYAML + """
                global: { validators: 4, placement: [zoneC, zoneB, zoneA, zoneC], checkpointIntervalMillis: 75 }
                faults:
                  - { atSeconds: 1, kind: crash, node: global/v1 }
                  - { atSeconds: 2, kind: byzantineRegion, region: zoneB, behavior: nonExtendingHeader, durationSeconds: 3 }
                """
        let topology = try Topology.parse(yaml: yaml, file: "x.yaml")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(topology)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"global/v1\""))
        #expect(text.contains("\"behavior\":\"nonExtendingHeader\""))
        #expect(text.contains("\"placement\":[\"zoneC\",\"zoneB\",\"zoneA\",\"zoneC\"]"))
        #expect(try JSONDecoder().decode(Topology.self, from: data) == topology)

        // Without a global layer the JSON has no `global` key, as before the section existed, and reads back.
        let plain = try Topology.parse(yaml: threeRegionsYAML, file: "x.yaml")
        let plainData = try encoder.encode(plain)
        #expect(!String(decoding: plainData, as: UTF8.self).contains("\"global\""))
        #expect(try JSONDecoder().decode(Topology.self, from: plainData) == plain)
    }

    @Test func validateChecksTopologiesBuiltInCode() throws {
        let regions = [Topology.Region(name: "a", validators: 4), Topology.Region(name: "b", validators: 4)]
        var topology = Topology(
            regions: regions, workload: Topology.Workload(rate: .fixed(tps: 10)),
            global: Topology.GlobalLayer(validators: 4, roundRobinOver: regions))
        try topology.validate()
        #expect(topology.global?.placement == ["a", "b", "a", "b"])
        topology.global?.placement[1] = "c"
        #expect {
            try topology.validate()
        } throws: { error in
            (error as? TopologyErrors)?.errors.map(\.field) == ["global.placement[1]"]
        }
    }

    // MARK: - Errors

    @Test func unknownKeysAreReportedWithSuggestions() {
        expectError(
            in: threeRegionsYAML + "global: { validators: 4, checkpointInterval: 50 }\n",
            field: "global.checkpointInterval", line: globalLine,
            message: "did you mean checkpointIntervalMillis?")
        expectError(
            in: threeRegionsYAML + "globl: { validators: 4 }\n", field: "globl", line: globalLine,
            message: "did you mean global?")
        expectError(
            in: threeRegionsYAML + "global: { validators: 4, members: 4 }\n", field: "global.members",
            line: globalLine, message: "expected one of: validators, placement")
    }

    @Test func wrongShapesAndMissingKeys() {
        let notMapping = expectError(
            in: threeRegionsYAML + "global: 4\nfaults:\n  - { atSeconds: 1, kind: crash, node: global/v9 }\n",
            field: "global", line: globalLine, message: "expected a mapping with the global committee")
        #expect(notMapping?.column == 9)
        expectError(
            in: threeRegionsYAML + "global: { placement: [zoneA] }\n", field: "global.validators",
            line: globalLine, message: "missing required key")
        expectError(
            in: threeRegionsYAML + "global: { validators: 4, placement: zoneA }\n", field: "global.placement",
            line: globalLine, message: "expected a list of region names")
        expectError(
            in: threeRegionsYAML + "global: { validators: four }\n", field: "global.validators",
            line: globalLine, message: "got \"four\"")
    }

    @Test func committeeSizeIsThreeFPlusOneWithinTheLimit() {
        // 10^12 once made the default placement allocate 8 TB (found by the mutation fuzzer): now only an error.
        for bad in [0, 2, 5, 67, 100, 1_000_000_000_000] {
            expectError(
                in: threeRegionsYAML + "global: { validators: \(bad) }\n", field: "global.validators",
                line: globalLine,
                message: "expected a committee size n = 3f+1 (1, 4, 7, 10, ...), at most 64, got \(bad)")
        }
    }

    @Test func placementNamesExistingRegionsOnePerMember() {
        let unknown = expectError(
            in: threeRegionsYAML + "global:\n  validators: 4\n  placement: [zoneA, zoneB, zoneX, zoneA]\n",
            field: "global.placement[2]", line: globalLine + 2, message: "no region named \"zoneX\"")
        #expect(unknown?.column == 29)
        #expect(
            unknown?.description.hasPrefix("bad.yaml:10:29: global.placement[2]: no region named \"zoneX\"") == true)
        expectError(
            in: threeRegionsYAML + "global:\n  validators: 4\n  placement: [zoneA, zoneB, zoneC, global]\n",
            field: "global.placement[3]", line: globalLine + 2, message: "global committee, which is not a region")
        expectError(
            in: threeRegionsYAML + "global:\n  validators: 4\n  placement: [zoneA, zoneB]\n",
            field: "global.placement", line: globalLine + 2, message: "expected 4 region names, one per member")
        expectError(
            in: threeRegionsYAML + "global:\n  validators: 4\n  placement: [zoneA, zoneb, zoneC, zoneA]\n",
            field: "global.placement[1]", line: globalLine + 2, message: "did you mean zoneB?")
    }

    @Test func intervalsAndSizesAreChecked() {
        let cases: [(String, String, String)] = [
            ("checkpointIntervalMillis: 0", "global.checkpointIntervalMillis", "a positive number of milliseconds"),
            ("checkpointIntervalMillis: -5", "global.checkpointIntervalMillis", "got -5"),
            ("checkpointIntervalMillis: .inf", "global.checkpointIntervalMillis", "not a finite number"),
            ("viewTimeoutMillis: 0", "global.viewTimeoutMillis", "a positive number of milliseconds"),
            ("viewTimeoutMillis: 20000", "global.viewTimeoutMillis", "at most consensus.viewTimeoutMaxMillis"),
            ("resendIntervalMillis: 0", "global.resendIntervalMillis", "a positive number of milliseconds"),
            ("entriesMax: 0", "global.entriesMax", "an integer in 1...100000, got 0"),
            ("checkpointBytesMax: 100", "global.checkpointBytesMax", "an integer in 1024...67108864, got 100"),
            ("checkpointBytesMax: 100000000", "global.checkpointBytesMax", "got 100000000"),
            ("machine: { cores: 0 }", "global.machine.cores", "an integer in 1...256, got 0"),
        ]
        for (line, field, message) in cases {
            expectError(
                in: threeRegionsYAML + "global:\n  validators: 4\n  \(line)\n", field: field, line: globalLine + 2,
                message: message)
        }
    }

    @Test func globalIsAReservedRegionName() {
        let yaml = threeRegionsYAML.replacingOccurrences(of: "name: zoneB", with: "name: global")
        expectError(
            in: yaml, field: "regions[1].name", line: 4, message: "the region name global is reserved")
    }

    @Test func globalReferencesNeedTheSectionAndAValidIndex() {
        let noSection = expectError(
            in: threeRegionsYAML + "faults:\n  - { atSeconds: 1, kind: crash, node: global/v0 }\n",
            field: "faults[0].node", line: globalLine + 1,
            message: "global/v0 names a member of the global committee, but the topology has no global section")
        #expect(noSection?.column == 40)
        expectError(
            in: threeRegionsYAML
                + "global: { validators: 4 }\nfaults:\n  - { atSeconds: 1, kind: crash, node: global/v4 }\n",
            field: "faults[0].node", line: globalLine + 2,
            message: "the global committee has members global/v0...global/v3, got global/v4")
        expectError(
            in: threeRegionsYAML
                + "global: { validators: 4 }\nfaults:\n"
                + "  - { atSeconds: 1, kind: loss, durationSeconds: 1, rate: 0.5, nodes: [zoneA/v0, global/v7] }\n",
            field: "faults[0].nodes[1]", line: globalLine + 2, message: "got global/v7")
        expectError(
            in: threeRegionsYAML
                + "global: { validators: 4 }\nfaults:\n"
                + "  - { atSeconds: 1, kind: partition, durationSeconds: 1, groups: [[global/leader], [global/v0]] }\n",
            field: "faults[0].groups[1][0]", line: globalLine + 2, message: "may be the same node as global/leader")
        expectError(
            in: threeRegionsYAML
                + "global: { validators: 4 }\nfaults:\n  - { atSeconds: 1, kind: restart, node: global/v1 }\n",
            field: "faults[0].node", line: globalLine + 2, message: "without an earlier crash of global/v1")
        // A broken section is reported once; references to it are not reported again.
        let all = errors(
            of: threeRegionsYAML + "global: [4]\nfaults:\n  - { atSeconds: 1, kind: crash, node: global/v9 }\n")
        #expect(all.map(\.field) == ["global"], "\(all)")
    }

    @Test func byzantineRegionFaults() {
        let fault =
            "  - { atSeconds: 5, kind: byzantineRegion, region: zoneB, behavior: forgedCertificate, durationSeconds: 5 }\n"
        expectError(
            in: threeRegionsYAML + "faults:\n" + fault, field: "faults[0].kind", line: globalLine + 1,
            message: "kind byzantineRegion needs a global section")
        let withGlobal = threeRegionsYAML + "global: { validators: 4 }\nfaults:\n"
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "region: zoneB", with: "region: zoneQ"),
            field: "faults[0].region", line: globalLine + 2, message: "no region named \"zoneQ\"")
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "region: zoneB", with: "region: global"),
            field: "faults[0].region", line: globalLine + 2, message: "not a region")
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "forgedCertificate", with: "forgedCertificates"),
            field: "faults[0].behavior", line: globalLine + 2,
            message: "expected one of forgedCertificate, nonExtendingHeader, got \"forgedCertificates\" "
                + "(did you mean forgedCertificate?)")
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "behavior: forgedCertificate, ", with: ""),
            field: "faults[0].behavior", line: globalLine + 2, message: "missing required key")
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "durationSeconds: 5", with: "durationSeconds: 0"),
            field: "faults[0].durationSeconds", line: globalLine + 2, message: "a positive number of seconds")
        expectError(
            in: withGlobal + fault.replacingOccurrences(of: "region: zoneB", with: "region: zoneB, node: zoneB/v0"),
            field: "faults[0].node", line: globalLine + 2,
            message: "not used by kind byzantineRegion, which takes region, behavior, durationSeconds")
        expectError(
            in: withGlobal + "  - { atSeconds: 1, kind: crash, region: zoneB, node: zoneB/v0 }\n",
            field: "faults[0].region", line: globalLine + 2, message: "not used by kind crash")
    }
}

/// Every file under topologies/ (and topologies/scaling/) reads and passes the checks; the WAN set-ups follow
/// their generator's rules.
struct ShippedGlobalTopologyTests {
    static let files: [URL] = {
        let scaling = shippedDirectory.appendingPathComponent("scaling", isDirectory: true)
        return [shippedDirectory, scaling].flatMap { directory in
            Topology.shippedNames(in: directory).map { directory.appendingPathComponent("\($0).yaml") }
        }
    }()

    @Test func theGlobalSetUpsAreShipped() {
        let names = Set(Self.files.map { $0.deletingPathExtension().lastPathComponent })
        for name in [
            "ieee33-3regions", "ieee33-4regions", "honari-3shard", "wan-8", "wan-16", "wan-64", "wan-1", "wan-4",
            "global-member-crash", "region-partition", "byzantine-region", "region-leader-crash-global",
        ] {
            #expect(names.contains(name), "\(name).yaml is shipped")
        }
    }

    @Test(arguments: files)
    func everyShippedFileParsesAndValidates(url: URL) throws {
        let topology = try Topology.load(contentsOf: url)
        try topology.validate()
        #expect(topology.name == url.deletingPathExtension().lastPathComponent)
        #expect(!topology.description.isEmpty)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix("#"), "a shipped topology starts with comments saying what it models")
    }

    @Test(arguments: ["wan-8", "wan-16", "wan-64", "scaling/wan-1", "scaling/wan-4"])
    func wanSetUpsAreEvenAndWithinTheLatencyBounds(name: String) throws {
        let topology = try Topology.load(contentsOf: shippedDirectory.appendingPathComponent("\(name).yaml"))
        let regionCount = topology.regions.count
        #expect(topology.regions.allSatisfy { $0.validators == 4 })
        #expect(topology.workload.accounts % regionCount == 0, "device i is in region i mod R: even accounts")
        // The generator's defaults: 100 tx/s per region, a 400 ms block interval (100 ms under a steady light load).
        #expect(topology.workload.rate == .fixed(tps: Double(regionCount) * 100))
        #expect(topology.consensus.blockIntervalMillis == 400)
        #expect(topology.workload.warmupSeconds == 5)
        #expect(topology.workload.timeoutSeconds == 10)
        let global = try #require(topology.global)
        #expect(global.validators == 4)
        for pair in topology.network.pairs {
            #expect((5...150).contains(pair.link.latencyMillis), "\(pair.between)")
        }
        #expect((5...150).contains(topology.network.interRegion.latencyMillis))
        // Members sit in well-connected data centres: every member has two others within 50 ms one way, so a
        // quorum (3 of 4) is near whoever leads.
        for a in global.placement {
            let near = global.placement.filter { topology.network.link(between: a, and: $0).latencyMillis <= 50 }
            #expect(near.count >= 3, "\(a): \(near)")
        }
    }
}

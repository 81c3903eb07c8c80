import Testing

@testable import GridTopology

struct TopologyOverridesTests {
    static let withSchedule = """
        schemaVersion: 1
        regions:
          - { name: r0, validators: 4 }
        workload:
          rate:
            controller: step
            steps:
              - { atSeconds: 0, tps: 100 }
              - { atSeconds: 9, tps: 200 }
          durationSeconds: 10
          warmupSeconds: 2
        faults:
          - { atSeconds: 8, kind: crash, node: r0/v1 }

        """

    @Test func overridesReplaceTheirFields() throws {
        let topology = try Topology.parse(yaml: Self.withSchedule, file: "schedule.yaml")
        let overridden = try topology.applying(TopologyOverrides(seed: 42, durationSeconds: 20, tps: 5000))
        #expect(overridden.seed == 42)
        #expect(overridden.workload.durationSeconds == 20)
        #expect(overridden.workload.rate == .fixed(tps: 5000))
        #expect(try topology.applying(TopologyOverrides()) == topology)
        #expect(TopologyOverrides().isEmpty)
    }

    @Test func aShorterRunIsCheckedAgainstTheSchedule() throws {
        let topology = try Topology.parse(yaml: Self.withSchedule, file: "schedule.yaml")
        #expect {
            try topology.applying(TopologyOverrides(durationSeconds: 5))
        } throws: { error in
            let errors = (error as? TopologyErrors)?.errors ?? []
            // Both problems point at their lines in the file, not at the command line.
            return errors.map(\.field) == ["workload.rate.steps[1].atSeconds", "faults[0].atSeconds"]
                && errors.map(\.line) == [9, 13] && errors.allSatisfy { $0.file == "schedule.yaml" }
                && errors[1].message.contains("the run ends at 7 s")
        }
        // A fixed rate replaces the steps, so only the fault remains late.
        #expect {
            try topology.applying(TopologyOverrides(durationSeconds: 5, tps: 100))
        } throws: { error in
            (error as? TopologyErrors)?.errors.map(\.field) == ["faults[0].atSeconds"]
        }
    }

    @Test func badOverrideValuesNameTheCommandLine() throws {
        let topology = try Topology.parse(yaml: minimalYAML, file: "minimal.yaml")
        for overrides in [
            TopologyOverrides(durationSeconds: -1), TopologyOverrides(durationSeconds: .nan),
            TopologyOverrides(durationSeconds: .infinity),
        ] {
            #expect {
                try topology.applying(overrides)
            } throws: { error in
                let first = (error as? TopologyErrors)?.errors.first
                return first?.file == Topology.commandLineFile && first?.line == 0
                    && first?.field == "workload.durationSeconds"
            }
        }
        #expect {
            try topology.applying(TopologyOverrides(tps: 0))
        } throws: { error in
            let first = (error as? TopologyErrors)?.errors.first
            return first?.description
                == "command line: workload.rate.tps: expected a positive number of transactions per second, "
                + "at most 10000000, got 0"
        }
    }
}

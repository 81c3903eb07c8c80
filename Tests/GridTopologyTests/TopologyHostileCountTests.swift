import Foundation
import Testing

@testable import GridTopology

/// Checks whose cost grew with counts a file chooses: profiling the topology fuzz target found a partition of
/// 90,000 references in one region taking 87 s (a scan of the region's earlier nodes per node) and 8,000 references
/// to unknown regions among 1,000 taking 36 s (a "did you mean" search per reference). Both now cost a bounded
/// amount per reference; these tests pin what the errors say: the same as before for partitions, and suggestions
/// for the first `regionSuggestionsMax` unknown names.
struct TopologyHostileCountTests {
    /// Eleven regions, so that an unknown name's message never lists them all.
    static let elevenRegions =
        "schemaVersion: 1\nregions:\n"
        + (0...10).map { "  - { name: r\($0), validators: 4 }\n" }.joined()
        + "workload:\n  rate:\n    controller: fixed\n    tps: 1000\n"

    /// The "may be the same node" errors of a file with one partition of these groups, as (field, message).
    static func leaderConflicts(_ groups: String) -> [(field: String, message: String)] {
        let yaml =
            minimalYAML + "faults:\n  - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: \(groups) }\n"
        // A partition without conflicts may be a valid file: then there are no errors at all.
        let all: [TopologyError]
        do {
            _ = try Topology.parse(yaml: yaml, file: "bad.yaml")
            all = []
        } catch {
            all = error.errors
        }
        return all.filter { $0.message.contains("may be the same node") }.map { ($0.field, $0.message) }
    }

    @Test func aLeaderConflictNamesTheFirstNodeOfAnotherGroup() {
        // The leader's own group comes first: the first node outside it is the earliest of the other groups.
        let afterOwnGroup = Self.leaderConflicts("[[r0/v0, r0/v1], [r0/v2], [r0/leader]]")
        #expect(afterOwnGroup.map(\.field) == ["faults[0].groups[2][0]"])
        #expect(
            afterOwnGroup.first?.message
                == "r0/leader may be the same node as r0/v0 in faults[0].groups[0][0], which is in another group; "
                + "name the region's validators by index")

        // A leader after a node of an earlier group, then a node of a later group after the leader.
        let sameGroupFirst = Self.leaderConflicts("[[r0/v1], [r0/leader, r0/v2], [r0/v3]]")
        #expect(sameGroupFirst.map(\.field) == ["faults[0].groups[1][0]", "faults[0].groups[2][0]"])
        #expect(sameGroupFirst.first?.message.hasPrefix("r0/leader may be the same node as r0/v1 in ") == true)
        #expect(sameGroupFirst.last?.message.hasPrefix("r0/v3 may be the same node as r0/leader in ") == true)

        // The region's first node is in the leader's group: no conflict there, nor for the node after the leader
        // in that group; nodes of later groups conflict with the leader, each once.
        let leaderFirst = Self.leaderConflicts("[[r0/v0, r0/leader, r0/v1], [r0/v2], [r0/v3]]")
        #expect(leaderFirst.map(\.field) == ["faults[0].groups[1][0]", "faults[0].groups[2][0]"])
        #expect(leaderFirst.allSatisfy { $0.message.contains("as r0/leader in faults[0].groups[0][1]") })

        // Without a leader there is nothing to conflict with, however many groups share the region.
        #expect(Self.leaderConflicts("[[r0/v0], [r0/v1], [r0/v2], [r0/v3]]").isEmpty)
    }

    @Test func aPartitionOfManyNodesInOneRegionIsCheckedWhole() throws {
        // Two groups of 5,000 references each, then a leader: every reference past v3 is out of range, and the
        // leader conflicts with the first node of the other group. The errors list is cut at errorsMax.
        let count = 5000
        let first = (0..<count).map { "r0/v\($0)" }.joined(separator: ", ")
        let second = (count..<(2 * count)).map { "r0/v\($0)" }.joined(separator: ", ") + ", r0/leader"
        let yaml =
            minimalYAML
            + "faults:\n  - { atSeconds: 1, kind: partition, durationSeconds: 2, groups: [[\(first)], [\(second)]] }\n"
        let all = errors(of: yaml)
        #expect(all.count == TopologyLimits.errorsMax + 1)
        #expect(all.last?.message == "\(2 * count - 4 + 1 - TopologyLimits.errorsMax) more errors not shown")

        // The checker itself keeps every error: 2 x 5,000 - 4 out of range, and the leader's conflict.
        var topology = try Topology.parse(yaml: minimalYAML, file: "ok.yaml")
        let groups = [
            (0..<count).map { NodeReference(region: "r0", validator: .index($0)) },
            (count..<(2 * count)).map { NodeReference(region: "r0", validator: .index($0)) }
                + [NodeReference(region: "r0", validator: .leader)],
        ]
        topology.faults = [Topology.Fault(atSeconds: 1, kind: .partition(durationSeconds: 2, groups: groups))]
        let checks = topology.validationErrors(brokenPaths: [], profileDirectory: nil)
        #expect(checks.filter { $0.message.hasPrefix("region r0 has validators v0...v3") }.count == 2 * count - 4)
        let conflicts = checks.filter { $0.message.contains("may be the same node") }
        #expect(conflicts.map(\.field) == ["faults[0].groups[1][\(count)]"])
        #expect(conflicts.first?.message.hasPrefix("r0/leader may be the same node as r0/v0 in ") == true)
    }

    @Test func unknownRegionsGetSuggestionsUpToTheLimit() throws {
        var topology = try Topology.parse(yaml: Self.elevenRegions, file: "ok.yaml")
        // Distinct names one typing error from a region (r3x for r3), more than the limit, each named twice.
        let names = (0...10).flatMap { region in "abcdefghijklmnopqrstuvwxyz".map { "r\(region)\($0)" } }
        let limit = TopologyLimits.regionSuggestionsMax
        #expect(names.count > limit)
        let nodes = (names + names).map { NodeReference(region: $0, validator: .index(0)) }
        topology.faults = [Topology.Fault(atSeconds: 1, kind: .loss(durationSeconds: 1, rate: 0.5, nodes: nodes))]
        let unknown = topology.validationErrors(brokenPaths: [], profileDirectory: nil)
            .filter { $0.message.hasPrefix("no region named") }
        #expect(unknown.count == nodes.count, "every reference is reported")
        // The first `limit` names in the order checked get their suggestion; later ones the bare message.
        for (index, error) in unknown.prefix(names.count).enumerated() {
            let name = names[index]
            let expected =
                index < limit
                ? "no region named \"\(name)\"; did you mean \(name.dropLast())?" : "no region named \"\(name)\""
            #expect(error.message == expected)
        }
        // A name seen again gets the same message as the first time, suggestion or not.
        #expect(unknown.suffix(names.count).map(\.message) == unknown.prefix(names.count).map(\.message))
    }

    @Test func aFewRegionsAreAlwaysListedOrSuggested() {
        // With ten regions or fewer the search is cheap, so the limit never applies: the list is still given.
        let yaml = minimalYAML + "faults:\n  - { atSeconds: 1, kind: crash, node: zz/v0 }\n"
        expectError(in: yaml, field: "faults[0].node", line: 10, message: "no region named \"zz\" (regions: r0)")
    }
}

import Testing

@testable import GridModel

/// The helpers the voltage workload uses to lay Honari's groups of the meshed 30-bus case over regions.
struct NetworkGroupTreeTests {
    let network = Network.ieee30()

    @Test func everyHonariGroupHasASpanningTreeOfItsOwnBranches() throws {
        for group in Network.honariGroups {
            let parents = try network.spanningParents(ofGroup: group.buses)
            #expect(Set(parents.keys) == Set(group.buses))
            let roots = parents.filter { $0.value == nil }.map(\.key)
            #expect(roots.count == 1, "group \(group.id)")
            for case let (bus, parent?) in parents {
                #expect(network.neighbours(ofBus: bus).contains(parent), "bus \(bus) -> \(parent)")
            }
        }
        // The root is the group bus closest to the slack: bus 2 and bus 6 are one and two lines away.
        #expect(try network.spanningParents(ofGroup: [2, 3, 4, 5])[2] == .some(nil))
        #expect(try network.spanningParents(ofGroup: Network.honariGroups[1].buses)[6] == .some(nil))
    }

    @Test func disconnectedGroupsAndUnknownBusesAreRefused() {
        #expect(throws: NetworkError.self) { try network.spanningParents(ofGroup: [3, 30]) }
        #expect(throws: NetworkError.self) { try network.spanningParents(ofGroup: [2, 31]) }
    }

    @Test func branchesBetweenGroupsAreCounted() {
        let groups = Network.honariGroups.map(\.buses)
        #expect(network.branchCount(between: groups[0], and: groups[1]) == 3)  // 2-6, 4-6, 5-7
        #expect(network.branchCount(between: groups[1], and: groups[2]) == 5)  // 6-10, 9-10, 10-22, 21-22, 15-23
        #expect(network.branchCount(between: groups[0], and: groups[2]) == 1)  // 4-12
    }

    @Test func netLoadsReplaceTheDemandAndAreChecked() throws {
        let count = network.buses.count
        let zero = try network.replacingNetLoads(
            pMW: [Double](repeating: 0, count: count), qMVar: [Double](repeating: 0, count: count))
        let flow = try zero.solveNewtonRaphson()
        // Without load every PQ bus floats near its generators' 1.0 p.u. (line charging lifts it a little).
        #expect(flow.buses.allSatisfy { abs($0.voltagePU - 1) < 0.05 })
        #expect(throws: NetworkError.self) { try network.replacingNetLoads(pMW: [1], qMVar: [1]) }
    }
}

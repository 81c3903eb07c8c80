extension Network {
    /// The same network with every bus's demand replaced by a net load (MW and MVAr, positive = consumption), in
    /// `buses` order: what a time step of a workload solves when local generation and reactive set-points change
    /// the loads. Generation of PV buses and their set-points stay as they are.
    public func replacingNetLoads(pMW: [Double], qMVar: [Double]) throws(NetworkError) -> Network {
        guard pMW.count == buses.count, qMVar.count == buses.count else {
            throw .invalid(
                "\(name): expected \(buses.count) net loads, got \(pMW.count) real and \(qMVar.count) reactive")
        }
        var updated = buses
        for index in updated.indices {
            updated[index].demandPMW = pMW[index]
            updated[index].demandQMVar = qMVar[index]
        }
        return try Network(name: name, baseMVA: baseMVA, baseKV: baseKV, buses: updated, branches: branches)
    }

    /// For a group of buses: each bus's upstream neighbour on a breadth-first spanning tree of the group's own
    /// branches, rooted at the group bus fewest branches away from the slack (lowest number on a tie). The root
    /// maps to nil. A radial contract model needs such a tree; on a meshed network it stands for the paths only
    /// approximately (the loops inside the group are dropped).
    public func spanningParents(ofGroup group: [Int]) throws(NetworkError) -> [Int: Int?] {
        let members = Set(group)
        for bus in group where indexByNumber[bus] == nil {
            throw .invalid("\(name): group bus \(bus) is not in the network")
        }
        let hops = self.hops
        guard let root = group.min(by: { (hops[$0] ?? .max, $0) < (hops[$1] ?? .max, $1) }) else {
            throw .invalid("\(name): a group needs at least one bus")
        }
        var parents: [Int: Int?] = [root: nil]
        var frontier = [root]
        while !frontier.isEmpty {
            var next: [Int] = []
            for bus in frontier {
                for neighbour in neighbours(ofBus: bus) where members.contains(neighbour) && parents[neighbour] == nil {
                    parents[neighbour] = .some(bus)
                    next.append(neighbour)
                }
            }
            frontier = next.sorted()
        }
        let unreached = group.filter { parents[$0] == nil }.sorted()
        guard unreached.isEmpty else {
            throw .invalid("\(name): group buses \(unreached) are not connected to bus \(root) inside the group")
        }
        return parents
    }

    /// Branches joining a bus of `first` to a bus of `second`.
    public func branchCount(between first: [Int], and second: [Int]) -> Int {
        let a = Set(first)
        let b = Set(second)
        return branches.filter {
            (a.contains($0.fromBus) && b.contains($0.toBus)) || (b.contains($0.fromBus) && a.contains($0.toBus))
        }
        .count
    }

    /// Bus numbers joined to `bus` by a branch, ascending.
    public func neighbours(ofBus bus: Int) -> [Int] {
        var result: Set<Int> = []
        for branch in branches {
            if branch.fromBus == bus { result.insert(branch.toBus) }
            if branch.toBus == bus { result.insert(branch.fromBus) }
        }
        return result.sorted()
    }

    /// Branches between each bus and the slack (breadth first), by bus number.
    var hops: [Int: Int] {
        let slack = buses[slackIndex].number
        var distance = [slack: 0]
        var frontier = [slack]
        while !frontier.isEmpty {
            var next: [Int] = []
            for bus in frontier {
                for neighbour in neighbours(ofBus: bus) where distance[neighbour] == nil {
                    distance[neighbour] = distance[bus]! + 1
                    next.append(neighbour)
                }
            }
            frontier = next
        }
        return distance
    }
}

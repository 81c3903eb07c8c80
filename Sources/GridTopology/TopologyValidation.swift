import Foundation

extension Topology {
    /// Checks ranges and everything that relates fields to each other. A topology read from a file has passed
    /// already; this is for topologies built or changed in code.
    public func validate() throws(TopologyErrors) {
        let errors = validationErrors(brokenPaths: [], profileDirectory: nil)
        if !errors.isEmpty { throw TopologyErrors(TopologyParser.ordered(errors)) }
    }

    /// Phase two of reading a file: the checks on typed values, each problem placed through the source map.
    /// Fields in `brokenPaths` hold placeholders; nothing at or under them is checked. `profileDirectory`, when
    /// given, is where relative profile paths are looked up to check that the files exist.
    func validationErrors(brokenPaths: Set<String>, profileDirectory: URL?) -> [TopologyError] {
        var checker = TopologyChecker(topology: self, brokenPaths: brokenPaths, profileDirectory: profileDirectory)
        checker.checkAll()
        return checker.issues.map { sourceMap.location(of: $0.field).error(field: $0.field, $0.message) }
    }
}

/// The checks of phase two, on typed values. Issues carry field paths; the caller places them.
struct TopologyChecker {
    let topology: Topology
    let brokenPaths: Set<String>
    let profileDirectory: URL?
    private(set) var issues: [(field: String, message: String)] = []
    /// Fields of `issues`, for `areValid` to look up without a scan.
    private var fieldsWithIssues: Set<String> = []
    private var checkedProfileFiles: Set<String> = []
    /// `unknownRegionMessage` by name, and how many "did you mean" searches it made (`regionSuggestionsMax`).
    private var unknownRegionMessages: [String: String] = [:]
    private var regionSuggestionSearches = 0

    init(topology: Topology, brokenPaths: Set<String>, profileDirectory: URL?) {
        self.topology = topology
        self.brokenPaths = brokenPaths
        self.profileDirectory = profileDirectory
    }

    mutating func checkAll() {
        check(topology.schemaVersion, Rules.schemaVersion, "schemaVersion")
        if !TopologyLimits.isValidTopologyName(topology.name) {
            issue(
                "name",
                "expected 1 to \(TopologyLimits.nameLengthMax) letters, digits, '_', '-' or '.' (not first), "
                    + "got \(NodeReader.quote(topology.name))")
        }
        if topology.description.unicodeScalars.count > TopologyLimits.descriptionLengthMax {
            issue(
                "description",
                "expected at most \(TopologyLimits.descriptionLengthMax) characters, "
                    + "got \(topology.description.unicodeScalars.count)")
        }
        checkMachine(topology.machine, "machine")
        checkRegions()
        checkNetwork()
        checkConsensus()
        checkMempool()
        checkGlobal()
        checkWorkload()
        checkContractWorkloads()
        checkFaults()
    }

    // MARK: - Helpers

    /// Whether the field holds a real value: neither it nor an enclosing field was broken in phase one.
    func isKnown(_ field: String) -> Bool {
        var path: String? = field
        while let current = path {
            if brokenPaths.contains(current) { return false }
            path = FieldPath.parent(of: current)
        }
        return true
    }

    mutating func issue(_ field: String, _ message: String) {
        guard isKnown(field) else { return }
        issues.append((field, message))
        fieldsWithIssues.insert(field)
    }

    mutating func check(_ value: Int, _ rule: IntegerRule, _ field: String) {
        if !rule.range.contains(value) { issue(field, "expected \(rule.expectation), got \(value)") }
    }

    mutating func check(_ value: Double, _ rule: NumberRule, _ field: String) {
        if !value.isFinite || !rule.accepts(value) {
            issue(field, "expected \(rule.expectation), got \(format(value))")
        }
    }

    /// Regions by name, for checking references. `isComplete` is false when some region's name is broken: a
    /// reference to a name not found may then mean that region, so it is not reported.
    var regionIndex: RegionIndex {
        var index = RegionIndex(byName: [:], isComplete: isKnown("regions"))
        for (position, region) in topology.regions.enumerated() {
            guard isKnown(FieldPath.child(FieldPath.element("regions", position), "name")) else {
                index.isComplete = false
                continue
            }
            if index.byName[region.name] == nil { index.byName[region.name] = (position, region) }
        }
        return index
    }

    struct RegionIndex {
        var byName: [String: (index: Int, region: Topology.Region)]
        var isComplete: Bool
    }

    /// Whether both values passed their own checks, so that comparing them means something.
    func areValid(_ fields: String...) -> Bool { fields.allSatisfy { isKnown($0) && !hasIssue($0) } }

    private func hasIssue(_ field: String) -> Bool { fieldsWithIssues.contains(field) }

    // MARK: - Machines and regions

    mutating func checkMachine(_ machine: Topology.Machine, _ field: String) {
        check(machine.cores, Rules.cores, FieldPath.child(field, "cores"))
        let profileField = FieldPath.child(field, "profile")
        switch machine.profile {
        case .shipped(let name):
            if !TopologyLimits.isValidProfileName(name) {
                issue(
                    profileField,
                    "expected a shipped profile name (1 to \(TopologyLimits.nameLengthMax) letters, digits, '_' or "
                        + "'-') or a path to a profile JSON, got \(NodeReader.quote(name))")
            }
        case .file(let path):
            if path.utf8.count > TopologyLimits.profilePathLengthMax || path.contains("\0") {
                issue(profileField, "expected a path of at most \(TopologyLimits.profilePathLengthMax) bytes")
            } else if let profileDirectory, !checkedProfileFiles.contains(path) {
                checkedProfileFiles.insert(path)
                let url =
                    path.hasPrefix("/") ? URL(fileURLWithPath: path) : profileDirectory.appendingPathComponent(path)
                if !FileManager.default.fileExists(atPath: url.path) {
                    issue(profileField, "profile file \(NodeReader.quote(path)) not found (looked for \(url.path))")
                }
            }
        }
    }

    private mutating func checkRegions() {
        let regions = topology.regions
        if !(1...TopologyLimits.regionsMax).contains(regions.count) {
            issue("regions", "expected 1 to \(TopologyLimits.regionsMax) regions, got \(regions.count)")
        }
        var firstIndexByName: [String: Int] = [:]
        for (index, region) in regions.enumerated() {
            let field = FieldPath.element("regions", index)
            let nameField = FieldPath.child(field, "name")
            if !TopologyLimits.isValidRegionName(region.name) {
                issue(
                    nameField,
                    "expected 1 to \(TopologyLimits.regionNameLengthMax) letters, digits, '_' or '-', "
                        + "got \(NodeReader.quote(region.name))")
            } else if region.name == Topology.GlobalLayer.referenceName {
                issue(
                    nameField,
                    "the region name global is reserved for the global committee (its members are global/v0, "
                        + "global/v1, ...); choose another name")
            } else if isKnown(nameField) {
                if let first = firstIndexByName[region.name] {
                    issue(nameField, "region name \(region.name) is already used by regions[\(first)]")
                } else {
                    firstIndexByName[region.name] = index
                }
            }
            let validatorsField = FieldPath.child(field, "validators")
            if !Rules.validators.range.contains(region.validators) || (region.validators - 1) % 3 != 0 {
                issue(validatorsField, "expected \(Rules.validators.expectation), got \(region.validators)")
            }
            // A region that inherits the topology's machine would only repeat its problems.
            if region.machine != topology.machine {
                checkMachine(region.machine, FieldPath.child(field, "machine"))
            }
        }
        // Only meaningful, and only free of overflow, when every count is within its own range.
        let total = topology.validatorCount
        if regions.allSatisfy({ Rules.validators.range.contains($0.validators) }),
            total > TopologyLimits.validatorsTotalMax
        {
            issue(
                "regions",
                "expected at most \(TopologyLimits.validatorsTotalMax) validators in all regions, got \(total)")
        }
    }

    // MARK: - Network

    private mutating func checkLink(_ link: Topology.Link, _ field: String) {
        check(link.latencyMillis, Rules.latencyMillis, FieldPath.child(field, "latencyMillis"))
        check(link.jitterMillis, Rules.jitterMillis, FieldPath.child(field, "jitterMillis"))
        check(link.bandwidthMbps, Rules.bandwidthMbps, FieldPath.child(field, "bandwidthMbps"))
        check(link.lossRate, Rules.linkLossRate, FieldPath.child(field, "lossRate"))
    }

    private mutating func checkNetwork() {
        let network = topology.network
        checkLink(network.intraRegion, "network.intraRegion")
        checkLink(network.client, "network.client")
        checkLink(network.interRegion, "network.interRegion")
        if network.pairs.count > TopologyLimits.linkPairsMax {
            issue("network.pairs", "expected at most \(TopologyLimits.linkPairsMax) pairs, got \(network.pairs.count)")
        }
        let regions = self.regionIndex
        var firstIndexByPair: [[String]: Int] = [:]
        for (index, pair) in network.pairs.enumerated() {
            let field = FieldPath.element("network.pairs", index)
            let betweenField = FieldPath.child(field, "between")
            // Fields a pair does not set come from interRegion, checked above.
            if pair.link != network.interRegion { checkLink(pair.link, field) }
            guard pair.between.count == 2 else {
                let names = pair.between.map { NodeReader.quote($0) }.joined(separator: ", ")
                issue(betweenField, "expected two region names, such as [r0, r1], got [\(names)]")
                continue
            }
            if regions.isComplete {
                for (nameIndex, name) in pair.between.enumerated() where regions.byName[name] == nil {
                    let message = unknownRegionMessage(name)
                    issue(FieldPath.element(betweenField, nameIndex), message)
                }
            }
            if pair.between[0] == pair.between[1] {
                issue(
                    betweenField,
                    "expected two different regions, got \(pair.between[0]) twice (links inside a region are "
                        + "network.intraRegion)")
                continue
            }
            let key = pair.between.sorted()
            if let first = firstIndexByPair[key] {
                issue(betweenField, "the pair \(key[0]), \(key[1]) is already given by network.pairs[\(first)]")
            } else if isKnown(betweenField) {
                firstIndexByPair[key] = index
            }
        }
    }

    /// The message for a reference to a region that does not exist, the same for every reference to that name.
    mutating func unknownRegionMessage(_ name: String) -> String {
        if let known = unknownRegionMessages[name] { return known }
        var message = "no region named \(NodeReader.quote(name))"
        if name == Topology.GlobalLayer.referenceName {
            message += " (global names the global committee, which is not a region)"
        } else {
            // Each search compares the name with every region's: bounded in names and in regions (see the limit).
            let regionCount = topology.regions.count
            let searches =
                regionCount <= 10
                || (regionSuggestionSearches < TopologyLimits.regionSuggestionsMax
                    && regionCount <= TopologyLimits.regionsMax)
            if searches {
                regionSuggestionSearches += 1
                let names = topology.regions.map(\.name)
                if let suggestion = Suggestions.closest(to: name, among: names) {
                    message += "; did you mean \(suggestion)?"
                } else if names.count <= 10 {
                    message += " (regions: \(names.joined(separator: ", ")))"
                }
            }
        }
        unknownRegionMessages[name] = message
        return message
    }

    // MARK: - Consensus and mempool

    private mutating func checkConsensus() {
        let consensus = topology.consensus
        check(consensus.blockTransactionsMax, Rules.blockTransactionsMax, "consensus.blockTransactionsMax")
        check(consensus.blockBytesMax, Rules.blockBytesMax, "consensus.blockBytesMax")
        check(consensus.blockIntervalMillis, Rules.intervalMillis, "consensus.blockIntervalMillis")
        check(consensus.viewTimeoutMillis, Rules.viewTimeoutMillis, "consensus.viewTimeoutMillis")
        check(consensus.viewTimeoutBackoff, Rules.viewTimeoutBackoff, "consensus.viewTimeoutBackoff")
        check(consensus.viewTimeoutMaxMillis, Rules.viewTimeoutMaxMillis, "consensus.viewTimeoutMaxMillis")
        if areValid("consensus.viewTimeoutMillis", "consensus.viewTimeoutMaxMillis"),
            consensus.viewTimeoutMaxMillis < consensus.viewTimeoutMillis
        {
            issue(
                "consensus.viewTimeoutMaxMillis",
                "expected at least viewTimeoutMillis (\(format(consensus.viewTimeoutMillis))), "
                    + "got \(format(consensus.viewTimeoutMaxMillis))")
        }
    }

    private mutating func checkMempool() {
        let mempool = topology.mempool
        check(mempool.capacityTransactions, Rules.capacityTransactions, "mempool.capacityTransactions")
        check(mempool.transactionBytesMax, Rules.transactionBytesMax, "mempool.transactionBytesMax")
        check(mempool.batchTransactionsMax, Rules.batchTransactionsMax, "mempool.batchTransactionsMax")
        check(mempool.batchIntervalMillis, Rules.intervalMillis, "mempool.batchIntervalMillis")
        if areValid("consensus.blockBytesMax", "mempool.transactionBytesMax"),
            mempool.transactionBytesMax > topology.consensus.blockBytesMax
        {
            issue(
                "mempool.transactionBytesMax",
                "expected at most consensus.blockBytesMax (\(topology.consensus.blockBytesMax)) so that every "
                    + "admitted transaction fits a block, got \(mempool.transactionBytesMax)")
        }
    }

    // MARK: - Workload

    /// The run's length, when both of its parts are known.
    private var runSeconds: Double? {
        let workload = topology.workload
        guard areValid("workload.durationSeconds", "workload.warmupSeconds") else { return nil }
        return workload.runSeconds
    }

    private var runDescription: String {
        let workload = topology.workload
        return "the run ends at \(format(workload.runSeconds)) s (warm-up \(format(workload.warmupSeconds)) s + "
            + "duration \(format(workload.durationSeconds)) s)"
    }

    private mutating func checkWorkload() {
        let workload = topology.workload
        check(workload.accounts, Rules.accounts, "workload.accounts")
        check(workload.durationSeconds, Rules.durationSeconds, "workload.durationSeconds")
        check(workload.warmupSeconds, Rules.warmupSeconds, "workload.warmupSeconds")
        check(workload.timeoutSeconds, Rules.timeoutSeconds, "workload.timeoutSeconds")
        switch workload.rate {
        case .fixed(let tps), .poisson(let tps):
            check(tps, Rules.tps, "workload.rate.tps")
        case .ramp(let fromTps, let toTps):
            check(fromTps, Rules.tpsOrZero, "workload.rate.fromTps")
            check(toTps, Rules.tpsOrZero, "workload.rate.toTps")
            if fromTps == 0, toTps == 0, isKnown("workload.rate.fromTps"), isKnown("workload.rate.toTps") {
                issue("workload.rate", "expected fromTps or toTps above 0, got a ramp from 0 to 0")
            }
        case .step(let steps):
            checkSteps(steps)
        case .closedLoop(let outstanding):
            check(outstanding, Rules.outstanding, "workload.rate.outstanding")
        }
    }

    private mutating func checkSteps(_ steps: [Topology.RateStep]) {
        let field = "workload.rate.steps"
        if steps.isEmpty { issue(field, "expected at least one step, the first at 0 s, got none") }
        if steps.count > TopologyLimits.rateStepsMax {
            issue(field, "expected at most \(TopologyLimits.rateStepsMax) steps, got \(steps.count)")
        }
        let runSeconds = self.runSeconds
        var previous: (index: Int, atSeconds: Double)?
        for (index, step) in steps.enumerated() {
            let stepField = FieldPath.element(field, index)
            let atField = FieldPath.child(stepField, "atSeconds")
            check(step.atSeconds, Rules.atSeconds, atField)
            check(step.tps, Rules.tpsOrZero, FieldPath.child(stepField, "tps"))
            guard isKnown(atField), step.atSeconds.isFinite else {
                previous = nil
                continue
            }
            if index == 0, step.atSeconds != 0 {
                issue(atField, "expected the first step at 0 s, got \(format(step.atSeconds))")
            }
            if let previous, step.atSeconds <= previous.atSeconds {
                issue(
                    atField,
                    "expected step times to increase strictly: more than \(format(previous.atSeconds)) s of "
                        + "steps[\(previous.index)], got \(format(step.atSeconds))")
            }
            if let runSeconds, step.atSeconds >= runSeconds, step.atSeconds > 0 {
                issue(atField, "a step at \(format(step.atSeconds)) s never starts: \(runDescription)")
            }
            previous = (index, step.atSeconds)
        }
    }

    // MARK: - Faults

    private mutating func checkFaults() {
        let faults = topology.faults
        if faults.count > TopologyLimits.faultsMax {
            issue("faults", "expected at most \(TopologyLimits.faultsMax) faults, got \(faults.count)")
        }
        let regions = self.regionIndex
        let runSeconds = self.runSeconds
        for (index, fault) in faults.enumerated() {
            let field = FieldPath.element("faults", index)
            let atField = FieldPath.child(field, "atSeconds")
            check(fault.atSeconds, Rules.atSeconds, atField)
            if let runSeconds, fault.atSeconds.isFinite, fault.atSeconds >= runSeconds {
                issue(atField, "a fault at \(format(fault.atSeconds)) s never happens: \(runDescription)")
            }
            switch fault.kind {
            case .crash(let node), .restart(let node):
                checkReference(node, FieldPath.child(field, "node"), regions)
            case .partition(let durationSeconds, let groups):
                check(durationSeconds, Rules.durationSeconds, FieldPath.child(field, "durationSeconds"))
                checkGroups(groups, FieldPath.child(field, "groups"), regions)
            case .loss(let durationSeconds, let rate, let nodes):
                check(durationSeconds, Rules.durationSeconds, FieldPath.child(field, "durationSeconds"))
                check(rate, Rules.faultLossRate, FieldPath.child(field, "rate"))
                if let nodes {
                    let nodesField = FieldPath.child(field, "nodes")
                    if nodes.isEmpty {
                        issue(nodesField, "expected at least one node id; leave nodes out for all links")
                    }
                    checkReferenceList(nodes, nodesField, regions)
                }
            case .byzantineRegion(let region, _, let durationSeconds):
                checkByzantineRegion(region: region, durationSeconds: durationSeconds, field, regions)
            }
        }
        checkCrashesAndRestarts()
    }

    private mutating func checkReference(
        _ node: NodeReference, _ field: String, _ regions: RegionIndex
    ) {
        if node.isGlobal {
            checkGlobalReference(node, field)
            return
        }
        guard let (regionIndex, region) = regions.byName[node.region] else {
            if regions.isComplete {
                let message = unknownRegionMessage(node.region)
                issue(field, message)
            }
            return
        }
        let validatorsField = FieldPath.child(FieldPath.element("regions", regionIndex), "validators")
        if case .index(let index) = node.validator, index >= region.validators, areValid(validatorsField) {
            issue(
                field,
                "region \(region.name) has validators v0...v\(region.validators - 1), got \(node)")
        }
    }

    /// References of one list, each named once.
    private mutating func checkReferenceList(
        _ nodes: [NodeReference], _ field: String, _ regions: RegionIndex
    ) {
        var firstIndex: [NodeReference: Int] = [:]
        for (index, node) in nodes.enumerated() {
            let nodeField = FieldPath.element(field, index)
            checkReference(node, nodeField, regions)
            if let first = firstIndex[node] {
                issue(nodeField, "\(node) is already listed at \(FieldPath.element(field, first))")
            } else if isKnown(nodeField) {
                firstIndex[node] = index
            }
        }
    }

    private mutating func checkGroups(
        _ groups: [[NodeReference]], _ field: String,
        _ regions: RegionIndex
    ) {
        if groups.isEmpty {
            issue(field, "expected at least one group (nodes in no group form one more group), got none")
        }
        // Where each node, and each region's leader, is; a node may appear in one group only. `REGION/leader` is
        // decided when the partition starts, so it must not share its region with a node of another group.
        // Groups are read in order, so the region's nodes in other groups than the current one all come before
        // it, and the first of them (of its leaders) is the first of the region's nodes (leaders) so far, unless
        // that is in the current group, and then so are all. Keeping only those firsts makes the check constant
        // per node: a scan of the region's earlier nodes per node made 90,000 references take minutes.
        var groupOfNode: [NodeReference: (group: Int, field: String)] = [:]
        var firstOfRegion: [String: PlacedNode] = [:]
        var firstLeaderOfRegion: [String: PlacedNode] = [:]
        for (groupIndex, group) in groups.enumerated() {
            let groupField = FieldPath.element(field, groupIndex)
            if group.isEmpty { issue(groupField, "expected at least one node id, got an empty group") }
            for (index, node) in group.enumerated() {
                let nodeField = FieldPath.element(groupField, index)
                checkReference(node, nodeField, regions)
                guard isKnown(nodeField) else { continue }
                if let first = groupOfNode[node] {
                    let place = first.group == groupIndex ? "already listed in this group" : "already in \(first.field)"
                    issue(nodeField, "\(node) is \(place); groups must not overlap")
                    continue
                }
                groupOfNode[node] = (groupIndex, nodeField)
                // A leader conflicts with any node of the region in another group; any other node only with a leader.
                if let other = (node.isLeader ? firstOfRegion : firstLeaderOfRegion)[node.region],
                    other.group != groupIndex
                {
                    issue(
                        nodeField,
                        "\(node) may be the same node as \(other.node) in \(other.field), which is in another "
                            + "group; name the region's validators by index")
                }
                let placed = PlacedNode(group: groupIndex, node: node, field: nodeField)
                if firstOfRegion[node.region] == nil { firstOfRegion[node.region] = placed }
                if node.isLeader, firstLeaderOfRegion[node.region] == nil { firstLeaderOfRegion[node.region] = placed }
            }
        }
    }

    /// Replays crashes and restarts in time order (file order at equal times): a restart needs the same node id
    /// to be down. `REGION/leader` in a restart brings back the node that the latest crash of `REGION/leader` not
    /// yet restarted took down; a concrete node that was crashed through `REGION/leader` cannot be restarted by its
    /// index, as the file cannot know which one it was.
    private mutating func checkCrashesAndRestarts() {
        let events = topology.faults.enumerated()
            .filter { index, _ in isKnown(FieldPath.element("faults", index)) }
            .sorted { ($0.element.atSeconds, $0.offset) < ($1.element.atSeconds, $1.offset) }
        var crashedAt: [NodeReference: Double] = [:]
        var leaderCrashTimes: [String: [Double]] = [:]
        for (index, fault) in events {
            let field = FieldPath.child(FieldPath.element("faults", index), "node")
            let at = format(fault.atSeconds)
            switch fault.kind {
            case .crash(let node) where node.isLeader:
                leaderCrashTimes[node.region, default: []].append(fault.atSeconds)
            case .crash(let node):
                if let earlier = crashedAt[node] {
                    issue(field, "\(node) is already down at \(at) s (crashed at \(format(earlier)) s, not restarted)")
                } else {
                    crashedAt[node] = fault.atSeconds
                }
            case .restart(let node) where node.isLeader:
                if leaderCrashTimes[node.region]?.popLast() == nil {
                    issue(
                        field,
                        "restart of \(node) at \(at) s without an earlier crash of \(node) to undo (a restart of "
                            + "REGION/leader brings back the node taken down by the latest such crash)")
                }
            case .restart(let node):
                if crashedAt.removeValue(forKey: node) == nil {
                    issue(field, "restart of \(node) at \(at) s without an earlier crash of \(node)")
                }
            case .partition, .loss, .byzantineRegion:
                break
            }
        }
    }
}

/// A node placed in a partition group.
private struct PlacedNode {
    let group: Int
    let node: NodeReference
    let field: String
}

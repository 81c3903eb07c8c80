import Yams

/// The schema, section by section. Each section lists its keys once; a later schema field is one more key here
/// and one more property in `Topology`.
extension TopologyDecoder {
    static let topologyKeys = [
        "schemaVersion", "name", "description", "seed", "machine", "regions", "network", "consensus", "mempool",
        "workload", "faults", "global",
    ]
    static let machineKeys = ["profile", "cores", "durability"]
    static let regionKeys = ["name", "validators", "machine"]
    static let networkKeys = ["intraRegion", "client", "interRegion", "pairs"]
    static let linkKeys = ["latencyMillis", "jitterMillis", "bandwidthMbps", "lossRate"]
    static let consensusKeys = [
        "blockTransactionsMax", "blockBytesMax", "blockIntervalMillis", "viewTimeoutMillis", "viewTimeoutBackoff",
        "viewTimeoutMaxMillis",
    ]
    static let mempoolKeys = [
        "capacityTransactions", "transactionBytesMax", "batchTransactionsMax", "batchIntervalMillis",
    ]
    static let workloadKeys = [
        "kind", "accounts", "rate", "durationSeconds", "warmupSeconds", "timeoutSeconds", "voltage", "auction", "mix",
    ]
    static let rateKeys = ["controller"] + Topology.RateController.Name.allCases.flatMap(\.keys)
    static let stepKeys = ["atSeconds", "tps"]
    static let faultKeys = [
        "atSeconds", "kind", "node", "durationSeconds", "groups", "rate", "nodes", "region", "behavior",
    ]

    static let nodeExpectation =
        "a node id REGION/vINDEX or REGION/leader (global/vINDEX for the global committee), such as r0/v1"

    /// A topology from the document's root node; `fileStem` is the default name.
    func decodeTopology(_ root: Node, fileStem: String) -> Topology {
        let placeholderWorkload = Topology.Workload(rate: .fixed(tps: 1))
        guard
            let fields = mapping(
                root, path: "", keyMark: nil, keys: Self.topologyKeys,
                expected: "a mapping with the topology's fields (schemaVersion, regions, workload, ...)")
        else {
            markBroken("")
            return Topology(regions: [], workload: placeholderWorkload)
        }

        let schemaVersion = requiredInteger(fields, "schemaVersion", Rules.schemaVersion)
        let name = decodeName(fields, fileStem: fileStem)
        let description = value(fields, "description", expected: "a text", NodeReader.string) ?? ""
        let seed = value(fields, "seed", expected: Rules.seed, NodeReader.unsigned) ?? 1

        let machine = decodeMachine(fields, "machine", base: Topology.Machine())
        let regions = decodeRegions(fields, machine: machine)
        let network = decodeNetwork(fields)
        let consensus = decodeConsensus(fields)
        let mempool = decodeMempool(fields)
        let workload = decodeWorkload(fields) ?? placeholderWorkload
        let faults = decodeFaults(fields)
        let global = decodeGlobal(fields, regions: regions, machine: machine)

        return Topology(
            schemaVersion: schemaVersion, name: name, description: description, seed: seed, machine: machine,
            regions: regions, network: network, consensus: consensus, mempool: mempool, workload: workload,
            faults: faults, global: global)
    }

    private func decodeName(_ fields: Fields, fileStem: String) -> String {
        if let name = value(fields, "name", expected: "a name", NodeReader.string) { return name }
        if fields.value("name") == nil, !TopologyLimits.isValidTopologyName(fileStem) {
            // Said here, where it is known that the name comes from the file name rather than the file's text.
            report(
                "name", at: fields.location,
                "the file name \(NodeReader.quote(fileStem)) is not a valid topology name "
                    + "(1 to \(TopologyLimits.nameLengthMax) letters, digits, '_', '-' or '.'); set name:")
        }
        return fileStem
    }

    // MARK: - Machines and regions

    /// A machine section whose absent fields come from `base`.
    func decodeMachine(_ parent: Fields, _ key: String, base: Topology.Machine) -> Topology.Machine {
        guard
            let fields = section(
                parent, key, keys: Self.machineKeys, expected: "a mapping with profile, cores and durability")
        else {
            markBroken(parent.path(key))
            return base
        }
        var machine = base
        if let profile = value(
            fields, "profile", expected: "a profile name or a path to a profile JSON", NodeReader.string)
        {
            machine.profile = Topology.MachineProfile(profile)
        }
        machine.cores = integer(fields, "cores", Rules.cores, default: base.cores)
        let durabilities = Topology.Durability.allCases.map(\.rawValue).joined(separator: ", ")
        if let durability: Topology.Durability = value(
            fields, "durability", expected: "one of \(durabilities)", NodeReader.choice)
        {
            machine.durability = durability
        }
        return machine
    }

    private func decodeRegions(_ fields: Fields, machine: Topology.Machine) -> [Topology.Region] {
        let expectation = "a list of regions, each with a name and validators"
        guard let entries = list(fields, "regions", required: true, expected: expectation) else {
            return []
        }
        return entries.map { path, node in
            guard
                let regionFields = mapping(
                    node, path: path, keyMark: node.mark, keys: Self.regionKeys,
                    expected: "a region: a mapping with name and validators")
            else { return Topology.Region(name: "", validators: 1, machine: machine) }
            let name = value(regionFields, "name", required: true, expected: "a region name", NodeReader.string) ?? ""
            let validators = requiredInteger(regionFields, "validators", Rules.validators)
            return Topology.Region(
                name: name, validators: validators, machine: decodeMachine(regionFields, "machine", base: machine))
        }
    }

    // MARK: - Network

    private func decodeNetwork(_ parent: Fields) -> Topology.Network {
        var network = Topology.Network()
        guard
            let fields = section(
                parent, "network", keys: Self.networkKeys,
                expected: "a mapping with intraRegion, client, interRegion and pairs")
        else {
            markBroken("network")
            return network
        }
        network.intraRegion = decodeLink(fields, "intraRegion", base: network.intraRegion)
        network.client = decodeLink(fields, "client", base: network.client)
        network.interRegion = decodeLink(fields, "interRegion", base: network.interRegion)
        let pairExpectation = "a list of pairs such as { between: [r0, r1], latencyMillis: 40 }"
        for (path, node) in list(fields, "pairs", required: false, expected: pairExpectation) ?? [] {
            guard
                let pairFields = mapping(
                    node, path: path, keyMark: node.mark, keys: ["between"] + Self.linkKeys,
                    expected: "a pair: a mapping with between and link fields")
            else {
                network.pairs.append(Topology.LinkPair(between: [], link: network.interRegion))
                continue
            }
            var between: [String] = []
            let betweenExpectation = "two region names, such as [r0, r1]"
            for (namePath, nameNode) in list(pairFields, "between", required: true, expected: betweenExpectation) ?? []
            {
                between.append(value(nameNode, path: namePath, expected: "a region name", NodeReader.string) ?? "")
            }
            let link = readLinkFields(pairFields, base: network.interRegion)
            network.pairs.append(Topology.LinkPair(between: between, link: link))
        }
        return network
    }

    private func decodeLink(_ parent: Fields, _ key: String, base: Topology.Link) -> Topology.Link {
        guard
            let fields = section(
                parent, key, keys: Self.linkKeys,
                expected: "a link: a mapping with latencyMillis, jitterMillis, bandwidthMbps and lossRate")
        else {
            markBroken(parent.path(key))
            return base
        }
        return readLinkFields(fields, base: base)
    }

    private func readLinkFields(_ fields: Fields, base: Topology.Link) -> Topology.Link {
        Topology.Link(
            latencyMillis: number(fields, "latencyMillis", Rules.latencyMillis, default: base.latencyMillis),
            jitterMillis: number(fields, "jitterMillis", Rules.jitterMillis, default: base.jitterMillis),
            bandwidthMbps: number(fields, "bandwidthMbps", Rules.bandwidthMbps, default: base.bandwidthMbps),
            lossRate: number(fields, "lossRate", Rules.linkLossRate, default: base.lossRate))
    }

    // MARK: - Consensus and mempool

    private func decodeConsensus(_ parent: Fields) -> Topology.Consensus {
        let defaults = Topology.Consensus()
        guard
            let fields = section(
                parent, "consensus", keys: Self.consensusKeys, expected: "a mapping with consensus parameters")
        else {
            markBroken("consensus")
            return defaults
        }
        return Topology.Consensus(
            blockTransactionsMax: integer(
                fields, "blockTransactionsMax", Rules.blockTransactionsMax, default: defaults.blockTransactionsMax),
            blockBytesMax: integer(fields, "blockBytesMax", Rules.blockBytesMax, default: defaults.blockBytesMax),
            blockIntervalMillis: number(
                fields, "blockIntervalMillis", Rules.intervalMillis, default: defaults.blockIntervalMillis),
            viewTimeoutMillis: number(
                fields, "viewTimeoutMillis", Rules.viewTimeoutMillis, default: defaults.viewTimeoutMillis),
            viewTimeoutBackoff: number(
                fields, "viewTimeoutBackoff", Rules.viewTimeoutBackoff, default: defaults.viewTimeoutBackoff),
            viewTimeoutMaxMillis: number(
                fields, "viewTimeoutMaxMillis", Rules.viewTimeoutMaxMillis, default: defaults.viewTimeoutMaxMillis))
    }

    private func decodeMempool(_ parent: Fields) -> Topology.Mempool {
        let defaults = Topology.Mempool()
        guard
            let fields = section(
                parent, "mempool", keys: Self.mempoolKeys, expected: "a mapping with mempool parameters")
        else {
            markBroken("mempool")
            return defaults
        }
        return Topology.Mempool(
            capacityTransactions: integer(
                fields, "capacityTransactions", Rules.capacityTransactions, default: defaults.capacityTransactions),
            transactionBytesMax: integer(
                fields, "transactionBytesMax", Rules.transactionBytesMax, default: defaults.transactionBytesMax),
            batchTransactionsMax: integer(
                fields, "batchTransactionsMax", Rules.batchTransactionsMax, default: defaults.batchTransactionsMax),
            batchIntervalMillis: number(
                fields, "batchIntervalMillis", Rules.intervalMillis, default: defaults.batchIntervalMillis))
    }

    // MARK: - Workload

    private func decodeWorkload(_ parent: Fields) -> Topology.Workload? {
        guard
            let fields = requiredSection(
                parent, "workload", keys: Self.workloadKeys, expected: "a mapping with the workload, at least its rate")
        else {
            markBroken("workload")
            return nil
        }
        let defaults = Topology.Workload(rate: .fixed(tps: 1))
        let kindExpectation = "one of " + Topology.WorkloadKind.allCases.map(\.rawValue).joined(separator: ", ")
        let kind = value(fields, "kind", expected: kindExpectation, NodeReader.choice) ?? defaults.kind
        // Only transfers follow the rate controller; the contract workloads are workload-driven, so for them
        // `rate` may be left out (and is ignored when given, which keeps `run --rate` overrides harmless).
        let rate: Topology.RateController =
            kind == .transfer || fields.value("rate") != nil ? decodeRate(fields) : .fixed(tps: 1)
        return Topology.Workload(
            kind: kind,
            accounts: integer(fields, "accounts", Rules.accounts, default: defaults.accounts),
            rate: rate,
            durationSeconds: number(
                fields, "durationSeconds", Rules.durationSeconds, default: defaults.durationSeconds),
            warmupSeconds: number(fields, "warmupSeconds", Rules.warmupSeconds, default: defaults.warmupSeconds),
            timeoutSeconds: number(fields, "timeoutSeconds", Rules.timeoutSeconds, default: defaults.timeoutSeconds),
            voltage: decodeVoltage(fields, kind: kind), auction: decodeAuction(fields, kind: kind),
            mix: decodeMix(fields, kind: kind))
    }

    private func decodeRate(_ workload: Fields) -> Topology.RateController {
        let placeholder = Topology.RateController.fixed(tps: 1)
        let controllers = Topology.RateController.Name.allCases.map(\.rawValue).joined(separator: ", ")
        guard
            let fields = requiredSection(
                workload, "rate", keys: Self.rateKeys, expected: "a mapping with a controller (\(controllers))")
        else {
            markBroken("workload.rate")
            return placeholder
        }
        let controllerName: Topology.RateController.Name? = value(
            fields, "controller", required: true, expected: "one of \(controllers)", NodeReader.choice)
        guard let controllerName else {
            markBroken("workload.rate")
            return placeholder
        }
        rejectKeys(
            of: fields, common: ["controller"], variantKeys: controllerName.keys,
            usedBy: "controller \(controllerName.rawValue)")

        switch controllerName {
        case .fixed: return .fixed(tps: requiredNumber(fields, "tps", Rules.tps))
        case .poisson: return .poisson(tps: requiredNumber(fields, "tps", Rules.tps))
        case .ramp:
            return .ramp(
                fromTps: requiredNumber(fields, "fromTps", Rules.tpsOrZero),
                toTps: requiredNumber(fields, "toTps", Rules.tpsOrZero))
        case .step:
            let expectation = "a list of steps such as { atSeconds: 0, tps: 1000 }"
            let entries = list(fields, "steps", required: true, expected: expectation) ?? []
            return .step(
                steps: entries.map { path, node in
                    guard
                        let stepFields = mapping(
                            node, path: path, keyMark: node.mark, keys: Self.stepKeys,
                            expected: "a step: a mapping with atSeconds and tps")
                    else { return Topology.RateStep(atSeconds: 0, tps: 0) }
                    return Topology.RateStep(
                        atSeconds: requiredNumber(stepFields, "atSeconds", Rules.atSeconds),
                        tps: requiredNumber(stepFields, "tps", Rules.tpsOrZero))
                })
        case .closedLoop: return .closedLoop(outstanding: requiredInteger(fields, "outstanding", Rules.outstanding))
        }
    }

    /// Keys that the mapping's schema knows but that this variant (a rate controller, a fault kind) does not take.
    private func rejectKeys(of fields: Fields, common: [String], variantKeys: [String], usedBy variant: String) {
        let takes = variantKeys.isEmpty ? "nothing else" : variantKeys.joined(separator: ", ")
        for (key, entry) in fields.entries where !common.contains(key) && !variantKeys.contains(key) {
            report(fields.path(key), at: entry.key.mark, "not used by \(variant), which takes \(takes)")
        }
    }

    // MARK: - Faults

    private func decodeFaults(_ parent: Fields) -> [Topology.Fault] {
        let expectation = "a list of faults such as { atSeconds: 4, kind: crash, node: r0/v1 }"
        let kinds = Topology.FaultKind.Name.allCases.map(\.rawValue).joined(separator: ", ")
        return (list(parent, "faults", required: false, expected: expectation) ?? []).map { path, node in
            let placeholder = Topology.Fault(atSeconds: 0, kind: .loss(durationSeconds: 1, rate: 1, nodes: nil))
            guard
                let fields = mapping(
                    node, path: path, keyMark: node.mark, keys: Self.faultKeys,
                    expected: "a fault: a mapping with atSeconds, kind and the kind's fields")
            else { return placeholder }
            let atSeconds = requiredNumber(fields, "atSeconds", Rules.atSeconds)
            let kindName: Topology.FaultKind.Name? = value(
                fields, "kind", required: true, expected: "one of \(kinds)", NodeReader.choice)
            guard let kindName else {
                markBroken(path)
                return placeholder
            }
            rejectKeys(
                of: fields, common: ["atSeconds", "kind"], variantKeys: kindName.keys,
                usedBy: "kind \(kindName.rawValue)")
            let kind: Topology.FaultKind
            switch kindName {
            case .crash: kind = .crash(node: requiredNode(fields, "node"))
            case .restart: kind = .restart(node: requiredNode(fields, "node"))
            case .partition:
                let groupsExpectation = "a list of groups, each a list of node ids, such as [[r0/v0], [r0/v1, r0/v2]]"
                let groups = (list(fields, "groups", required: true, expected: groupsExpectation) ?? []).map {
                    groupPath, groupNode in
                    nodes(groupNode, path: groupPath, keyMark: groupNode.mark) ?? []
                }
                kind = .partition(
                    durationSeconds: requiredNumber(fields, "durationSeconds", Rules.durationSeconds), groups: groups)
            case .loss:
                let lossNodes = fields.value("nodes").flatMap {
                    nodes($0, path: fields.path("nodes"), keyMark: fields.keyMark("nodes"))
                }
                kind = .loss(
                    durationSeconds: requiredNumber(fields, "durationSeconds", Rules.durationSeconds),
                    rate: requiredNumber(fields, "rate", Rules.faultLossRate), nodes: lossNodes)
            case .byzantineRegion:
                let behaviors = Topology.ByzantineRegionBehavior.allCases.map(\.rawValue).joined(separator: ", ")
                let region = value(fields, "region", required: true, expected: "a region name", NodeReader.string)
                let behavior: Topology.ByzantineRegionBehavior? = value(
                    fields, "behavior", required: true, expected: "one of \(behaviors)", NodeReader.choice)
                kind = .byzantineRegion(
                    region: region ?? "", behavior: behavior ?? .forgedCertificate,
                    durationSeconds: requiredNumber(fields, "durationSeconds", Rules.durationSeconds))
            }
            return Topology.Fault(atSeconds: atSeconds, kind: kind)
        }
    }

    private func requiredNode(_ fields: Fields, _ key: String) -> NodeReference {
        value(fields, key, required: true, expected: Self.nodeExpectation, NodeReader.nodeReference)
            ?? NodeReference(region: "", validator: .index(0))
    }

    /// A list of node ids; entries that are not ids become placeholders, so that indices match the file.
    private func nodes(_ node: Node, path: String, keyMark: Mark?) -> [NodeReference]? {
        let entries = list(node, path: path, keyMark: keyMark, expected: "a list of node ids such as [r0/v0, r0/v1]")
        return entries?.map { elementPath, element in
            value(element, path: elementPath, expected: Self.nodeExpectation, NodeReader.nodeReference)
                ?? NodeReference(region: "", validator: .index(0))
        }
    }
}

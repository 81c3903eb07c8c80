import Foundation
import GridGenesis
import GridTopology

/// The topology's links and faults as Chaos Mesh (v2.x, `chaos-mesh.org/v1alpha1`) resources, so a topology means
/// on a cluster what it means on one machine, and a list of what could not be carried over, said plainly.
///
/// What maps:
/// - an inter-region link (latency, jitter, loss) -> one NetworkChaos per pair of sites, `direction: both`, so
///   each direction gets the link's one-way delay, as the transport gives it;
/// - `partition` -> a NetworkChaos `partition` per pair of groups (nodes named in no group are one more group),
///   for the fault's duration;
/// - `loss` -> a NetworkChaos `loss` on the links to and from the named nodes (all nodes when none are named);
/// - `crash` of a named node -> a PodChaos `pod-failure` (the container stops; the pod, its address and its
///   volume stay) until the matching `restart`, or until the end of the run when there is none.
/// Their times come from one Workflow, started with the load Job: each fault waits its `atSeconds` (plus the
/// generators' pre-signing time) in a Suspend, then runs for its duration.
public struct ChaosMeshManifests {
    public let manifests: KubernetesManifests
    /// Seconds between applying the Workflow (with the load Job) and the generators' time zero: pod start and
    /// pre-signing, estimated.
    public let startDelaySeconds: Int

    public init(manifests: KubernetesManifests, startDelaySeconds: Int) {
        self.manifests = manifests
        self.startDelaySeconds = startDelaySeconds
    }

    var topology: Topology { manifests.topology }
    var names: ClusterNames { manifests.names }
    var namespace: String { names.namespace }

    static let apiVersion = "chaos-mesh.org/v1alpha1"

    // MARK: - Links

    /// What the topology's links become, and notes on what did not.
    public func links() -> (resources: [YAMLValue], notes: [String]) {
        var resources: [YAMLValue] = []
        var notes: [String] = []
        let intra = topology.network.intraRegion
        notes.append(
            String(
                format: "intra-region links (%.2f ms, jitter %.2f ms) are not emulated: the cluster's own network "
                    + "between pods stands in for them", intra.latencyMillis, intra.jitterMillis))
        notes.append(
            "client links (load generator to gateway) are not emulated: generators reach gateways over the "
                + "cluster's own network")
        notes.append(
            "link bandwidth is not emulated: Chaos Mesh limits a pod's whole egress, not one link's, so it would "
                + "not mean what the topology says")
        let sites = topology.regions.indices
        for a in sites {
            for b in sites where b > a {
                let link = topology.network.link(between: topology.regions[a].name, and: topology.regions[b].name)
                guard link.latencyMillis > 0 || link.jitterMillis > 0 || link.lossRate > 0 else { continue }
                let name = "link-\(names.siteLabel(region: a))-\(names.siteLabel(region: b))"
                resources.append(
                    [
                        "apiVersion": .string(Self.apiVersion), "kind": "NetworkChaos",
                        "metadata": ["name": .string(name), "namespace": .string(namespace)],
                        "spec": .map(linkSpec(link, from: a, to: b)),
                    ])
            }
        }
        if topology.regions.count > 1 {
            notes.append(
                "jitter: netem (Chaos Mesh) spreads the delay around the latency, the transport adds a uniform 0 to "
                    + "jitter on top of it; the mean one-way delay is the latency on a cluster, latency + jitter/2 "
                    + "on one machine")
        }
        return (resources, notes)
    }

    func linkSpec(_ link: Topology.Link, from a: Int, to b: Int) -> [(String, YAMLValue)] {
        var spec: [(String, YAMLValue)] = [
            ("action", link.lossRate > 0 ? "netem" : "delay"), ("mode", "all"),
            ("selector", siteSelector(a)), ("direction", "both"),
            ("target", ["mode": "all", "selector": siteSelector(b)]),
        ]
        spec.append(
            (
                "delay",
                [
                    "latency": .string(Self.duration(millis: link.latencyMillis)),
                    "jitter": .string(Self.duration(millis: link.jitterMillis)),
                ]
            ))
        if link.lossRate > 0 { spec.append(("loss", ["loss": .string(Self.percent(link.lossRate))])) }
        return spec
    }

    func siteSelector(_ region: Int) -> YAMLValue {
        [
            "namespaces": [.string(namespace)],
            "labelSelectors": [
                "app.kubernetes.io/component": "node", "gridledger.io/site": .string(names.siteLabel(region: region)),
            ],
        ]
    }

    func nodeSelector(_ workloads: [String], match: String = "In") -> YAMLValue {
        [
            "namespaces": [.string(namespace)],
            "labelSelectors": ["app.kubernetes.io/component": "node"],
            "expressionSelectors": [
                [
                    "key": "gridledger.io/node", "operator": .string(match),
                    "values": .list(workloads.map { .string($0) }),
                ]
            ],
        ]
    }

    func allNodesSelector() -> YAMLValue {
        ["namespaces": [.string(namespace)], "labelSelectors": ["app.kubernetes.io/component": "node"]]
    }

    // MARK: - Faults

    /// One timed branch of the Workflow: wait, then a chaos for a while.
    struct TimedChaos {
        var name: String
        var atSeconds: Double
        var durationSeconds: Double
        var kind: String
        var templateKey: String
        var spec: [(String, YAMLValue)]
    }

    /// The faults as one Workflow (nil when none maps), and notes on those that do not.
    public func faults() -> (workflow: YAMLValue?, notes: [String]) {
        var timed: [TimedChaos] = []
        var notes: [String] = []
        let runSeconds = topology.workload.warmupSeconds + topology.workload.durationSeconds
        let endSeconds = runSeconds + max(topology.workload.timeoutSeconds, 1) + 30
        let faults = topology.faults.sorted { $0.atSeconds < $1.atSeconds }
        for (position, fault) in faults.enumerated() {
            let label = "faults (at \(Self.seconds(fault.atSeconds)) s, \(fault.kind.name.rawValue))"
            switch fault.kind {
            case .crash(let reference):
                guard let workload = workloadName(reference) else {
                    notes.append("\(label): \(reference) is not mapped: " + leaderNote(reference))
                    continue
                }
                let restart = faults.dropFirst(position + 1).first {
                    if case .restart(let other) = $0.kind { return other == reference }
                    return false
                }
                let until = restart?.atSeconds ?? endSeconds
                if restart == nil {
                    notes.append("\(label): \(reference) stays down until the end of the run (no restart follows)")
                }
                timed.append(
                    TimedChaos(
                        name: "crash-\(position)-\(workload)", atSeconds: fault.atSeconds,
                        durationSeconds: until - fault.atSeconds, kind: "PodChaos", templateKey: "podChaos",
                        spec: [
                            ("action", "pod-failure"), ("mode", "all"), ("selector", nodeSelector([workload])),
                        ]))
            case .restart(let reference):
                if workloadName(reference) == nil {
                    notes.append("\(label): \(reference) is not mapped: " + leaderNote(reference))
                }
            // A restart ends the crash before it (the pod-failure's duration); nothing of its own.
            case .partition(let durationSeconds, let groups):
                var sets = groups.map { $0.compactMap(workloadName) }
                if groups.contains(where: { $0.contains(where: \.isLeader) }) {
                    notes.append("\(label): group members named REGION/leader are not mapped and left out")
                }
                let named = Set(sets.joined())
                let rest = manifests.genesis.nodes.map(names.workloadName).filter { !named.contains($0) }
                if !rest.isEmpty { sets.append(rest) }
                sets.removeAll { $0.isEmpty }
                for i in sets.indices {
                    for j in sets.indices where j > i {
                        timed.append(
                            TimedChaos(
                                name: "partition-\(position)-\(i)-\(j)", atSeconds: fault.atSeconds,
                                durationSeconds: durationSeconds, kind: "NetworkChaos", templateKey: "networkChaos",
                                spec: [
                                    ("action", "partition"), ("mode", "all"), ("selector", nodeSelector(sets[i])),
                                    ("direction", "both"),
                                    ("target", ["mode": "all", "selector": nodeSelector(sets[j])]),
                                ]))
                    }
                }
            case .loss(let durationSeconds, let rate, let references):
                let selector: YAMLValue
                if let references {
                    let workloads = references.compactMap(workloadName)
                    if workloads.count < references.count {
                        notes.append("\(label): nodes named REGION/leader are not mapped and left out")
                    }
                    guard !workloads.isEmpty else { continue }
                    selector = nodeSelector(workloads)
                } else {
                    selector = allNodesSelector()
                }
                timed.append(
                    TimedChaos(
                        name: "loss-\(position)", atSeconds: fault.atSeconds, durationSeconds: durationSeconds,
                        kind: "NetworkChaos", templateKey: "networkChaos",
                        spec: [
                            ("action", "loss"), ("mode", "all"), ("selector", selector), ("direction", "both"),
                            ("target", ["mode": "all", "selector": allNodesSelector()]),
                            ("loss", ["loss": .string(Self.percent(rate))]),
                        ]))
            case .byzantineRegion(let region, _, _):
                notes.append(
                    "\(label): region \(region)'s misbehaving global-layer entries are made by the simulator's "
                        + "network; no cluster resource can make them (run it with --runtime sim)")
            }
        }
        guard !timed.isEmpty else { return (nil, notes) }
        return (workflow(timed), notes)
    }

    func workflow(_ timed: [TimedChaos]) -> YAMLValue {
        var templates: [YAMLValue] = [
            [
                "name": "faults", "templateType": "Parallel",
                "children": .list(timed.map { .string("at-" + $0.name) }),
            ]
        ]
        for item in timed {
            let waitSeconds = Double(startDelaySeconds) + item.atSeconds
            templates.append(
                [
                    "name": .string("at-" + item.name), "templateType": "Serial",
                    "children": [.string("wait-" + item.name), .string(item.name)],
                ])
            templates.append(
                [
                    "name": .string("wait-" + item.name), "templateType": "Suspend",
                    "deadline": .string(Self.duration(seconds: waitSeconds)),
                ])
            templates.append(
                [
                    "name": .string(item.name), "templateType": .string(item.kind),
                    "deadline": .string(Self.duration(seconds: item.durationSeconds)),
                    .init(stringLiteral: item.templateKey): .map(item.spec),
                ])
        }
        return [
            "apiVersion": .string(Self.apiVersion), "kind": "Workflow",
            "metadata": ["name": "gridledger-faults", "namespace": .string(namespace)],
            "spec": ["entry": "faults", "templates": .list(templates)],
        ]
    }

    /// `r0-v1` for `r0/v1`; nil for `REGION/leader`, which only the running nodes know.
    func workloadName(_ reference: NodeReference) -> String? {
        guard case .index(let index) = reference.validator else { return nil }
        let node: GenesisFile.Node?
        if reference.isGlobal {
            node = manifests.genesis.nodes.first { $0.region == nil && $0.index == index }
        } else {
            let region = topology.regions.firstIndex { $0.name == reference.region }
            node = manifests.genesis.nodes.first { $0.region == region && region != nil && $0.index == index }
        }
        return node.map(names.workloadName)
    }

    func leaderNote(_ reference: NodeReference) -> String {
        "the leader is known only to the running nodes (the single-machine run reads it from their status); "
            + "name a validator (\(reference.region)/v0) to crash it on a cluster"
    }

    // MARK: - Units

    /// Chaos Mesh's duration syntax: `30ms`, `1.5ms`, `0ms`.
    static func duration(millis: Double) -> String {
        let micros = (max(0, millis) * 1000).rounded()
        if micros.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(micros / 1000))ms" }
        return "\(Int(micros))us"
    }

    /// Go's duration syntax for Workflow deadlines, in whole milliseconds (at least 1 ms).
    static func duration(seconds: Double) -> String {
        let millis = max(1, Int((seconds * 1000).rounded()))
        return millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis)ms"
    }

    /// A rate in [0, 1] as Chaos Mesh's percentage string (`"2.5"`).
    static func percent(_ rate: Double) -> String {
        let value = (min(1, max(0, rate)) * 100 * 1000).rounded() / 1000
        return value == value.rounded() ? String(Int(value)) : String(value)
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

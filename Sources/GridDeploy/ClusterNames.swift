import GridGenesis
import GridTopology

/// Kubernetes names for a deployment's objects. Region names allow `_` and capitals, DNS labels do not: every name
/// is lower-cased with `_` turned into `-`, and two regions whose names collide that way are refused (naming both)
/// rather than sharing a Service.
public struct ClusterNames: Sendable {
    public let namespace: String
    public let clusterDomain: String
    /// Site label value by region index (the region a committee member is placed in is its site).
    let regionLabels: [String]

    public static let committeeLabel = "global"
    public static let committeeService = "committee"

    public init(topology: Topology, namespace: String, clusterDomain: String) throws(DeployError) {
        guard Self.isDNSLabel(namespace) else {
            throw DeployError(
                field: "--namespace",
                reason: "'\(namespace)' is not a DNS label (a-z, 0-9 and '-', 1 to 63 characters, no '-' at an end)")
        }
        guard !clusterDomain.isEmpty,
            clusterDomain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                Self.isDNSLabel(String($0))
            })
        else {
            throw DeployError(field: "--cluster-domain", reason: "'\(clusterDomain)' is not a DNS name")
        }
        self.namespace = namespace
        self.clusterDomain = clusterDomain
        var labels: [String] = []
        var owners: [String: String] = [Self.committeeLabel: "the global committee"]
        for region in topology.regions {
            let label = Self.dnsLabel(region.name)
            // `region-LABEL-vINDEX-0` must stay within 63 characters: a region label of at most 32 does.
            guard Self.isDNSLabel(label), label.count <= 32 else {
                throw DeployError(
                    field: "regions[\(region.name)].name",
                    reason: "cannot be made a Kubernetes name (got '\(label)'); use letters, digits and '-'")
            }
            if let owner = owners[label] {
                throw DeployError(
                    field: "regions[\(region.name)].name",
                    reason: "becomes '\(label)' in Kubernetes names, as \(owner) does; rename one of them")
            }
            owners[label] = "region \(region.name)"
            labels.append(label)
        }
        regionLabels = labels
    }

    /// `r0` for region 0's objects, `global` for the committee's.
    public func regionLabel(_ node: GenesisFile.Node) -> String {
        node.region.map { regionLabels[$0] } ?? Self.committeeLabel
    }

    public func siteLabel(region: Int) -> String { regionLabels[region] }

    /// The headless Service that gives the region's (or the committee's) pods their DNS names.
    public func serviceName(_ node: GenesisFile.Node) -> String {
        node.region.map { "region-\(regionLabels[$0])" } ?? Self.committeeService
    }

    /// The node's StatefulSet and the value of its `gridledger.io/node` label: `r0-v1`, `global-v0`.
    public func workloadName(_ node: GenesisFile.Node) -> String { "\(regionLabel(node))-v\(node.index)" }

    /// A StatefulSet's only pod is its name with ordinal 0.
    public func podName(_ node: GenesisFile.Node) -> String { workloadName(node) + "-0" }

    public func secretName(_ node: GenesisFile.Node) -> String { "key-" + workloadName(node) }

    /// The name peers and clients dial: `POD.SERVICE.NAMESPACE.svc.DOMAIN`.
    public func dnsName(_ node: GenesisFile.Node) -> String {
        "\(podName(node)).\(serviceName(node)).\(namespace).svc.\(clusterDomain)"
    }

    /// Lower case, `_` as `-`: the usual spelling of a region name as a DNS label.
    public static func dnsLabel(_ text: String) -> String {
        String(text.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    /// RFC 1123 label: what Kubernetes accepts for namespaces, Services and label-like names.
    public static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-")
        }
    }
}

/// A deployment that cannot be written for a cluster, naming the option or topology field at fault.
public struct DeployError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field) \(reason)" }
}

/// A group of buses run by one region (one shard of the ledger).
public struct Zone: Sendable, Hashable, Codable {
    /// Position of the zone in its `Zoning`, usable as a region number.
    public var id: Int
    public var name: String
    /// Member buses, ascending.
    public var buses: [Int]
    /// The zone's most upstream bus: the only member whose parent lies outside the zone (or the slack bus).
    /// Everything the zone draws from the rest of the feeder enters through the branch feeding this bus.
    public var attachmentBus: Int

    public init(id: Int, name: String, buses: [Int], attachmentBus: Int) {
        self.id = id
        self.name = name
        self.buses = buses.sorted()
        self.attachmentBus = attachmentBus
    }
}

/// A partition of a feeder's buses into zones, each a connected subtree of the feeder.
public struct Zoning: Sendable, Hashable, Codable {
    public var name: String
    public var zones: [Zone]
    private var zoneIndexByBus: [Int: Int]

    /// Does not check the partition against a feeder; call `validate(against:)` for that.
    public init(name: String, zones: [Zone]) {
        self.name = name
        self.zones = zones
        var index: [Int: Int] = [:]
        for (position, zone) in zones.enumerated() {
            for bus in zone.buses where index[bus] == nil { index[bus] = position }
        }
        zoneIndexByBus = index
    }

    private enum CodingKeys: String, CodingKey {
        case name, zones
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            zones: try container.decode([Zone].self, forKey: .zones))
    }

    public func zone(of bus: Int) -> Zone? { zoneIndex(of: bus).map { zones[$0] } }

    public func zoneIndex(of bus: Int) -> Int? { zoneIndexByBus[bus] }

    /// The same zoning for a feeder copy whose bus numbers are shifted by `offset` (see `Feeder.replicated`).
    public func offset(by offset: Int) -> Zoning {
        Zoning(
            name: name,
            zones: zones.map {
                Zone(
                    id: $0.id, name: $0.name, buses: $0.buses.map { $0 + offset },
                    attachmentBus: $0.attachmentBus + offset)
            })
    }

    /// Checks that the zones partition the feeder's buses and that each zone is connected with the declared
    /// attachment bus. In a tree, a bus set is connected exactly when a single member has its parent outside
    /// the set, so that member is the attachment.
    public func validate(against feeder: Feeder) throws(ZoningError) {
        var seen: [Int: String] = [:]
        for zone in zones {
            guard !zone.buses.isEmpty else { throw .emptyZone(zone.name) }
            for bus in zone.buses {
                guard feeder.index(ofBus: bus) != nil else { throw .unknownBus(bus, zone: zone.name) }
                if let other = seen.updateValue(zone.name, forKey: bus) {
                    throw .busInTwoZones(bus, zones: [other, zone.name])
                }
            }
        }
        let unassigned = feeder.busNumbers.filter { seen[$0] == nil }
        guard unassigned.isEmpty else { throw .unassignedBuses(unassigned) }
        for zone in zones {
            let members = Set(zone.buses)
            let roots = zone.buses.filter { bus in feeder.parent(ofBus: bus).map { !members.contains($0) } ?? true }
            guard roots.count == 1 else { throw .zoneNotConnected(zone.name, upstreamEntries: roots) }
            guard roots[0] == zone.attachmentBus else {
                throw .wrongAttachment(zone.name, declared: zone.attachmentBus, actual: roots[0])
            }
        }
    }
}

public enum ZoningError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyZone(String)
    case unknownBus(Int, zone: String)
    case busInTwoZones(Int, zones: [String])
    case unassignedBuses([Int])
    /// The zone falls apart into several pieces, entered from upstream at these buses.
    case zoneNotConnected(String, upstreamEntries: [Int])
    case wrongAttachment(String, declared: Int, actual: Int)

    public var description: String {
        switch self {
        case .emptyZone(let zone): return "zone \(zone) has no buses"
        case .unknownBus(let bus, let zone): return "zone \(zone) lists bus \(bus), which the feeder does not have"
        case .busInTwoZones(let bus, let zones): return "bus \(bus) is in zones \(zones.joined(separator: " and "))"
        case .unassignedBuses(let buses):
            return "bus(es) \(buses.map(String.init).joined(separator: ", ")) belong to no zone"
        case .zoneNotConnected(let zone, let entries):
            let list = entries.map(String.init).joined(separator: ", ")
            return "zone \(zone) is not connected: its pieces start at buses \(list)"
        case .wrongAttachment(let zone, let declared, let actual):
            return "zone \(zone) declares attachment bus \(declared) but is fed through bus \(actual)"
        }
    }
}

extension Zoning {
    /// Four zones of the IEEE 33-bus feeder, built from the trunk 1-6 and the laterals hanging off it
    /// (19-22 off bus 2, 23-25 off bus 3, 26-33 and 7-18 off bus 6). Each lateral stays with the trunk
    /// segment it hangs off, except the long main 7-18, which becomes a zone of its own because it holds the
    /// weakest buses and a third of the load:
    ///
    /// - A {1, 2, 19-22}: substation, bus 2 and its lateral; attachment bus 1; 460 kW.
    /// - B {3, 4, 5, 23-25}: trunk 3-5 and the lateral off bus 3; attachment bus 3; 1200 kW.
    /// - C {6, 26-33}: bus 6 and the lateral 26-33; attachment bus 6; 980 kW.
    /// - D {7-18}: the main 7-18, fed from bus 6; attachment bus 7; 1075 kW.
    ///
    /// Every zone is a connected subtree entered through a single branch, so its import is one measurable flow.
    public static let ieee33FourZones = Zoning(
        name: "ieee33-4zones",
        zones: [
            Zone(id: 0, name: "A", buses: [1, 2] + Array(19...22), attachmentBus: 1),
            Zone(id: 1, name: "B", buses: [3, 4, 5] + Array(23...25), attachmentBus: 3),
            Zone(id: 2, name: "C", buses: [6] + Array(26...33), attachmentBus: 6),
            Zone(id: 3, name: "D", buses: Array(7...18), attachmentBus: 7),
        ])

    /// Three zones of the IEEE 33-bus feeder: the four-zone layout with A and B merged, i.e. the trunk 1-5
    /// with the two short laterals forms the substation zone.
    ///
    /// - A {1-5, 19-25}: attachment bus 1; 1660 kW.
    /// - B {6, 26-33}: attachment bus 6; 980 kW.
    /// - C {7-18}: attachment bus 7; 1075 kW.
    public static let ieee33ThreeZones = Zoning(
        name: "ieee33-3zones",
        zones: [
            Zone(id: 0, name: "A", buses: Array(1...5) + Array(19...25), attachmentBus: 1),
            Zone(id: 1, name: "B", buses: [6] + Array(26...33), attachmentBus: 6),
            Zone(id: 2, name: "C", buses: Array(7...18), attachmentBus: 7),
        ])
}

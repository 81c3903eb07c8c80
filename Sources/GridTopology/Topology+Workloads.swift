import Yams

// MARK: - Grid contract workloads

extension Topology {
    /// `workload.voltage`: devices on the buses of a feeder report their bus measurements to each region's
    /// `voltage` contract, and the region's operator dispatches reactive set-points (design brief, section 5).
    ///
    /// The load is workload-driven: every device reports once per reporting period and each region's operator sends
    /// one dispatch per control interval, so `workload.rate` and `workload.accounts` do not apply to this part.
    public struct VoltageWorkload: Sendable, Equatable, Hashable, Codable {
        public enum FeederName: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
            /// Baran and Wu's 33-bus, 12.66 kV feeder.
            case ieee33
            /// The meshed IEEE 30-bus case as MATPOWER ships it (`case30`), solved by Newton-Raphson; the network
            /// Honari et al. (arXiv:2206.13776) split into three shards. Zonings `honari`, `single` or
            /// `honariUnsharded`.
            case ieee30

            /// The zonings that split this network.
            public var zonings: [ZoningName] {
                switch self {
                case .ieee33: [.fourZones, .threeZones, .single]
                case .ieee30: [.honari, .single, .honariUnsharded]
                }
            }
        }

        /// How the feeder's buses are split into regions. With more regions than zones, each further group of
        /// zones runs on its own copy of the feeder, so the region count must be a multiple of the zone count.
        public enum ZoningName: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
            case fourZones
            case threeZones
            /// The whole feeder is one zone.
            case single
            /// The three groups of the IEEE 30-bus case in Honari et al. (GridModel's `Network.honariGroups`), each
            /// acting on its own margin-ratio threshold from their code (0.915, 0.765, 0.846). Feeder ieee30 only.
            case honari
            /// Honari et al.'s unsharded chain: the whole IEEE 30-bus case is one zone, and each bus acts on its own
            /// group's threshold (as `honari` would), not on one threshold for all. Feeder ieee30 only.
            case honariUnsharded

            public var zoneCount: Int {
                switch self {
                case .fourZones: 4
                case .threeZones, .honari: 3
                case .single, .honariUnsharded: 1
                }
            }

            /// Buses of the largest zone (GridModel's `Zoning.ieee33FourZones` and `ieee33ThreeZones`, the 14-bus
            /// group 2 of `Network.honariGroups`), which bounds `devicesPerBus` by the contract's device limit per
            /// region. `single` counts the larger network's 33 buses.
            public var largestZoneBusCount: Int {
                switch self {
                case .fourZones, .threeZones: 12
                case .honari: 14
                case .single, .honariUnsharded: 33
                }
            }
        }

        /// Most devices one region holds (the voltage contract's `VoltageStabilityConfiguration.devicesMax`).
        public static let devicesPerRegionMax = 4096

        public var feeder: FeederName
        /// nil: automatic, the finest zoning whose zone count divides the region count (``zoning(regionCount:)``).
        public var zoning: ZoningName?
        /// Inverters per bus; each reports its bus and follows its own set-point.
        public var devicesPerBus: Int
        public var reportingPeriodSeconds: Double
        /// Each region's operator sends `dispatch` once per interval.
        public var controlIntervalSeconds: Double
        /// Margin-ratio voltage stability index (Gong and Schulz 2006: the smallest of 1 - P/P_max, 1 - Q/Q_max and
        /// 1 - S/S_max of the bus's Thevenin equivalent, 0-1) below which a bus triggers a dispatch. 0.9 acts when a
        /// bus draws more than 10 % of the power its Thevenin equivalent could deliver to it (on the 33-bus feeder
        /// bus 30 is at 0.90 at peak load). Before issue 12 this field was the Chakravorty-Das index in p.u.^4 with
        /// 0.6 as its usual value; such files still decode, with the new meaning (0.6 then flags only a bus using
        /// 40 % of its limit). With zoning `honari` each group acts on its own threshold from Honari et al.'s
        /// code (0.915, 0.765, 0.846) and this field is not used; with `honariUnsharded` each bus acts on its
        /// group's threshold and this one applies only to the buses of no group (the slack bus).
        public var vsiThreshold: Double
        /// false: no dispatches are sent, so the run measures the ledger under reports only and the
        /// controlled voltages equal the no-control baseline.
        public var control: Bool
        /// Local time of day at the start of the run, in hours, for the load and solar profiles. 19 h is the
        /// evening peak, when the far end of the 33-bus feeder sags below 0.95 p.u.
        public var startHour: Double
        /// Multiplies every bus's active and reactive demand (before the load profiles), to stress the network
        /// beyond its nominal case, e.g. until a region runs out of reactive headroom. The devices keep the rating
        /// of the nominal demand: they are the installed equipment, the load is what grew.
        public var loadScale: Double

        /// The region that runs the voltage registry (Honari et al.'s main chain for their global contract,
        /// GridContracts' `VoltageRegistryContract`) instead of a zone: it must be the last region, and the others
        /// are laid out over the zones as without it. A zone short of reactive power then asks the registry, which
        /// picks the adjacent zone with the most headroom, instead of asking its neighbour directly. nil: no
        /// registry. Needs a global committee and a zoning of more than one zone.
        public var registryRegion: String?

        /// Largest `loadScale`: far past where Newton-Raphson stops converging on either network.
        public static let loadScaleMax = 10.0

        public init(
            feeder: FeederName = .ieee33, zoning: ZoningName? = nil, devicesPerBus: Int = 1,
            reportingPeriodSeconds: Double = 2, controlIntervalSeconds: Double = 10, vsiThreshold: Double = 0.9,
            control: Bool = true, startHour: Double = 19, loadScale: Double = 1, registryRegion: String? = nil
        ) {
            self.registryRegion = registryRegion
            self.feeder = feeder
            self.zoning = zoning
            self.devicesPerBus = devicesPerBus
            self.reportingPeriodSeconds = reportingPeriodSeconds
            self.controlIntervalSeconds = controlIntervalSeconds
            self.vsiThreshold = vsiThreshold
            self.control = control
            self.startHour = startHour
            self.loadScale = loadScale
        }

        /// The zoning in effect: the file's, or else four zones when the region count is a multiple of 4, three
        /// when it is a multiple of 3, and the whole feeder as one zone per region otherwise (for ieee30: honari
        /// when the region count is a multiple of 3, else single).
        /// Regions that hold zones: all but the registry's.
        public func zoneRegionCount(regionCount: Int) -> Int { regionCount - (registryRegion == nil ? 0 : 1) }

        public func zoning(regionCount: Int) -> ZoningName {
            if let zoning { return zoning }
            if feeder == .ieee30 { return regionCount % 3 == 0 ? .honari : .single }
            if regionCount % 4 == 0 { return .fourZones }
            if regionCount % 3 == 0 { return .threeZones }
            return .single
        }
    }

    /// `workload.auction`: a community energy auction per region and settlement interval (CE-SDT). Consumers send
    /// requests and prosumers offers during the interval; the region's operator closes it at its end (the
    /// deadline) and clears it right after.
    ///
    /// The load is workload-driven: one bid per participant and interval plus the operator's close and clear, so
    /// `workload.rate` and `workload.accounts` do not apply to this part.
    public struct AuctionWorkload: Sendable, Equatable, Hashable, Codable {
        /// How matched pairs are priced (see `EnergyAuctionConfiguration.ClearingRule`). The name `payAsBid` is
        /// refused: it used to mean what is now `payAsOffer`, and accepting it for textbook pay-as-bid would change
        /// old files' results silently.
        public enum ClearingRuleName: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
            /// Every pair at the seller's offer (CE-SDT's flow; formerly called `payAsBid`).
            case payAsOffer
            /// Every pair at the mid-price of the break-even pair.
            case uniformPrice
            /// Textbook pay-as-bid: each side its own price, the spread to the community fund.
            case discriminatoryPayAsBid

            /// The note for the retired name, shown with the error.
            static let retiredPayAsBidNote =
                "payAsBid was renamed payAsOffer (it priced every pair at the seller's offer); for textbook "
                + "pay-as-bid, where each side pays or receives its own price, write discriminatoryPayAsBid"

            static func read(_ node: Node) -> Reading<ClearingRuleName> {
                if case .value(let text) = NodeReader.string(node), text == "payAsBid" {
                    return .failure(note: retiredPayAsBidNote)
                }
                return NodeReader.choice(node)
            }
        }

        /// Most participants per region: the auction contract takes at most 1024 bids per interval, and one per
        /// participant leaves room for the operator's.
        public static let participantsPerRegionMax = 1000

        public var participantsPerRegion: Int
        /// Fraction of each region's participants that own PV and a battery (prosumers); the rest only buy.
        public var prosumerShare: Double
        /// Settlement interval; its end is the bidding deadline.
        public var intervalSeconds: Double
        public var clearingRule: ClearingRuleName
        /// Local time of day at the start of the run, in hours; 12 h puts the PV peak in the run.
        public var startHour: Double

        public init(
            participantsPerRegion: Int = 50, prosumerShare: Double = 0.4, intervalSeconds: Double = 30,
            clearingRule: ClearingRuleName = .payAsOffer, startHour: Double = 12
        ) {
            self.participantsPerRegion = participantsPerRegion
            self.prosumerShare = prosumerShare
            self.intervalSeconds = intervalSeconds
            self.clearingRule = clearingRule
            self.startHour = startHour
        }
    }

    /// `workload.mix`: weights of the offered rate for `kind: mix`. The voltage and auction parts are
    /// workload-driven (their sub-objects set their populations and periods), and a zero weight leaves a part out.
    /// The transfer part is added at the fixed rate that makes it `transfer / (transfer + voltage + auction)` of the
    /// total offered rate, taking the voltage and auction rates their populations produce; `workload.rate` is not
    /// used. The voltage and auction weights only switch their parts on or off: their rates follow from their
    /// populations, not from the weights.
    public struct WorkloadMix: Sendable, Equatable, Hashable, Codable {
        public var transfer: Double
        public var voltage: Double
        public var auction: Double

        public init(transfer: Double = 0.5, voltage: Double = 0.3, auction: Double = 0.2) {
            self.transfer = transfer
            self.voltage = voltage
            self.auction = auction
        }
    }
}

extension Topology.Workload {
    /// Whether this run drives the voltage contract (kind voltage, or mix with a voltage weight above 0).
    public var runsVoltage: Bool {
        kind == .voltage || (kind == .mix && mixSettings.voltage > 0)
    }

    public var runsAuction: Bool {
        kind == .auction || (kind == .mix && mixSettings.auction > 0)
    }

    /// The voltage settings in effect: the file's sub-object or the defaults.
    public var voltageSettings: Topology.VoltageWorkload { voltage ?? Topology.VoltageWorkload() }
    public var auctionSettings: Topology.AuctionWorkload { auction ?? Topology.AuctionWorkload() }
    public var mixSettings: Topology.WorkloadMix { mix ?? Topology.WorkloadMix() }

    /// Whether `workload.rate` sets the offered load; only for transfers. Voltage, auction and mix runs are
    /// workload-driven and ignore it.
    public var usesRateController: Bool { kind == .transfer }
}

extension NodeReader {
    static func boolean(_ node: Node) -> Reading<Bool> {
        guard case .value(let text) = string(node) else { return .failure(note: nil) }
        switch text {
        case "true": return .value(true)
        case "false": return .value(false)
        default: return .failure(note: nil)
        }
    }
}

extension Topology.VoltageWorkload {
    private enum DecodingKeys: String, CodingKey {
        case feeder, zoning, devicesPerBus, reportingPeriodSeconds, controlIntervalSeconds, vsiThreshold, control
        case startHour, loadScale, registryRegion
    }

    /// As synthesised, except that `loadScale` and `registryRegion` (added for issue 12) may be absent: encodings
    /// from before them decode at the nominal demand and without a registry.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DecodingKeys.self)
        self.init(
            feeder: try container.decode(FeederName.self, forKey: .feeder),
            zoning: try container.decodeIfPresent(ZoningName.self, forKey: .zoning),
            devicesPerBus: try container.decode(Int.self, forKey: .devicesPerBus),
            reportingPeriodSeconds: try container.decode(Double.self, forKey: .reportingPeriodSeconds),
            controlIntervalSeconds: try container.decode(Double.self, forKey: .controlIntervalSeconds),
            vsiThreshold: try container.decode(Double.self, forKey: .vsiThreshold),
            control: try container.decode(Bool.self, forKey: .control),
            startHour: try container.decode(Double.self, forKey: .startHour),
            loadScale: try container.decodeIfPresent(Double.self, forKey: .loadScale) ?? 1,
            registryRegion: try container.decodeIfPresent(String.self, forKey: .registryRegion))
    }
}

// MARK: - Reading the sub-objects

extension TopologyDecoder {
    static let voltageKeys = [
        "feeder", "zoning", "devicesPerBus", "reportingPeriodSeconds", "controlIntervalSeconds", "vsiThreshold",
        "control", "startHour", "loadScale", "registryRegion",
    ]
    static let auctionKeys = ["participantsPerRegion", "prosumerShare", "intervalSeconds", "clearingRule", "startHour"]
    static let mixKeys = ["transfer", "voltage", "auction"]

    /// The sub-object `key` of the workload when present; reported when the kind does not use it, since a
    /// setting that silently does nothing is worse than an error.
    private func workloadPart(
        _ parent: Fields, _ key: String, keys: [String], kind: Topology.WorkloadKind,
        usedBy kinds: [Topology.WorkloadKind], expected expectation: String
    ) -> Fields? {
        guard parent.value(key) != nil else { return nil }
        guard kinds.contains(kind) else {
            report(
                parent.path(key), at: parent.keyMark(key),
                "not used by kind \(kind.rawValue); \(key) is read by kind "
                    + kinds.map(\.rawValue).joined(separator: " and "))
            markBroken(parent.path(key))
            return nil
        }
        guard let fields = section(parent, key, keys: keys, expected: expectation) else {
            markBroken(parent.path(key))
            return nil
        }
        return fields
    }

    func decodeVoltage(_ parent: Fields, kind: Topology.WorkloadKind) -> Topology.VoltageWorkload? {
        guard
            let fields = workloadPart(
                parent, "voltage", keys: Self.voltageKeys, kind: kind, usedBy: [.voltage, .mix],
                expected: "a mapping with the voltage workload's settings (feeder, zoning, devicesPerBus, ...)")
        else { return nil }
        let defaults = Topology.VoltageWorkload()
        let feeders = Topology.VoltageWorkload.FeederName.allCases.map(\.rawValue).joined(separator: ", ")
        let zonings = Topology.VoltageWorkload.ZoningName.allCases.map(\.rawValue).joined(separator: ", ")
        return Topology.VoltageWorkload(
            feeder: value(fields, "feeder", expected: "one of \(feeders)", NodeReader.choice) ?? defaults.feeder,
            zoning: value(fields, "zoning", expected: "one of \(zonings)", NodeReader.choice),
            devicesPerBus: integer(fields, "devicesPerBus", Rules.devicesPerBus, default: defaults.devicesPerBus),
            reportingPeriodSeconds: number(
                fields, "reportingPeriodSeconds", Rules.workloadPeriodSeconds, default: defaults.reportingPeriodSeconds),
            controlIntervalSeconds: number(
                fields, "controlIntervalSeconds", Rules.workloadPeriodSeconds, default: defaults.controlIntervalSeconds),
            vsiThreshold: number(fields, "vsiThreshold", Rules.vsiThreshold, default: defaults.vsiThreshold),
            control: value(fields, "control", expected: "true or false", NodeReader.boolean) ?? defaults.control,
            startHour: number(fields, "startHour", Rules.startHour, default: defaults.startHour),
            loadScale: number(fields, "loadScale", Rules.loadScale, default: defaults.loadScale),
            registryRegion: value(fields, "registryRegion", expected: "the name of a region", NodeReader.string))
    }

    func decodeAuction(_ parent: Fields, kind: Topology.WorkloadKind) -> Topology.AuctionWorkload? {
        guard
            let fields = workloadPart(
                parent, "auction", keys: Self.auctionKeys, kind: kind, usedBy: [.auction, .mix],
                expected: "a mapping with the auction workload's settings (participantsPerRegion, ...)")
        else { return nil }
        let defaults = Topology.AuctionWorkload()
        let rules = Topology.AuctionWorkload.ClearingRuleName.allCases.map(\.rawValue).joined(separator: ", ")
        return Topology.AuctionWorkload(
            participantsPerRegion: integer(
                fields, "participantsPerRegion", Rules.participantsPerRegion, default: defaults.participantsPerRegion),
            prosumerShare: number(fields, "prosumerShare", Rules.share, default: defaults.prosumerShare),
            intervalSeconds: number(
                fields, "intervalSeconds", Rules.workloadPeriodSeconds, default: defaults.intervalSeconds),
            clearingRule: value(
                fields, "clearingRule", expected: "one of \(rules)", Topology.AuctionWorkload.ClearingRuleName.read)
                ?? defaults.clearingRule,
            startHour: number(fields, "startHour", Rules.startHour, default: defaults.startHour))
    }

    func decodeMix(_ parent: Fields, kind: Topology.WorkloadKind) -> Topology.WorkloadMix? {
        guard
            let fields = workloadPart(
                parent, "mix", keys: Self.mixKeys, kind: kind, usedBy: [.mix],
                expected: "a mapping with the weights transfer, voltage and auction")
        else { return nil }
        let defaults = Topology.WorkloadMix()
        return Topology.WorkloadMix(
            transfer: number(fields, "transfer", Rules.share, default: defaults.transfer),
            voltage: number(fields, "voltage", Rules.share, default: defaults.voltage),
            auction: number(fields, "auction", Rules.share, default: defaults.auction))
    }
}

extension Rules {
    /// The voltage contract holds at most 4096 devices per region (`VoltageStabilityConfiguration.devicesMax`).
    static let voltageDevicesPerRegionMax = Topology.VoltageWorkload.devicesPerRegionMax
    static let devicesPerBus = IntegerRule(1...voltageDevicesPerRegionMax)
    static let workloadPeriodSeconds = NumberRule("a number of seconds in 0.01...86400") {
        (0.01...TopologyLimits.durationSecondsMax).contains($0)
    }
    static let vsiThreshold = NumberRule.closed(0, 1, "margin ratio")
    static let startHour = NumberRule("a number of hours >= 0 and < 24") { $0 >= 0 && $0 < 24 }
    static let loadScale = NumberRule.positive(
        upTo: Topology.VoltageWorkload.loadScaleMax, "times the nominal demand")
    /// The auction contract takes at most 1024 bids per interval; one per participant leaves room.
    static let participantsPerRegion = IntegerRule(1...Topology.AuctionWorkload.participantsPerRegionMax)
    static let share = NumberRule.closed(0, 1, "a fraction")
}

// MARK: - Checks across fields

extension TopologyChecker {
    mutating func checkContractWorkloads() {
        let workload = topology.workload
        if let voltage = workload.voltage {
            let field = "workload.voltage"
            check(voltage.devicesPerBus, Rules.devicesPerBus, FieldPath.child(field, "devicesPerBus"))
            check(
                voltage.reportingPeriodSeconds, Rules.workloadPeriodSeconds,
                FieldPath.child(field, "reportingPeriodSeconds"))
            check(
                voltage.controlIntervalSeconds, Rules.workloadPeriodSeconds,
                FieldPath.child(field, "controlIntervalSeconds"))
            check(voltage.vsiThreshold, Rules.vsiThreshold, FieldPath.child(field, "vsiThreshold"))
            check(voltage.startHour, Rules.startHour, FieldPath.child(field, "startHour"))
            check(voltage.loadScale, Rules.loadScale, FieldPath.child(field, "loadScale"))
        }
        if let auction = workload.auction {
            let field = "workload.auction"
            check(
                auction.participantsPerRegion, Rules.participantsPerRegion,
                FieldPath.child(field, "participantsPerRegion"))
            check(auction.prosumerShare, Rules.share, FieldPath.child(field, "prosumerShare"))
            check(auction.intervalSeconds, Rules.workloadPeriodSeconds, FieldPath.child(field, "intervalSeconds"))
            check(auction.startHour, Rules.startHour, FieldPath.child(field, "startHour"))
        }
        if let mix = workload.mix {
            for (name, weight) in [("transfer", mix.transfer), ("voltage", mix.voltage), ("auction", mix.auction)] {
                check(weight, Rules.share, FieldPath.child("workload.mix", name))
            }
        }
        guard !issues.contains(where: { $0.field.hasPrefix("workload.") }) else { return }
        if workload.runsVoltage {
            let voltage = workload.voltageSettings
            let field = "workload.voltage"
            let regionCount = voltage.zoneRegionCount(regionCount: topology.regions.count)
            let zoning = voltage.zoning(regionCount: regionCount)
            let zones = zoning.zoneCount
            if let registry = voltage.registryRegion {
                let registryField = FieldPath.child(field, "registryRegion")
                if isKnown("regions"), topology.regions.last?.name != registry {
                    let named = topology.regions.contains { $0.name == registry }
                    issue(
                        registryField,
                        named
                            ? "expected the last region (\(topology.regions.last?.name ?? "-")): the registry's region "
                                + "holds no zone and the zones are laid out over the regions before it, got \(registry)"
                            : "expected the name of the last region: \(unknownRegionMessage(registry))")
                }
                if topology.global == nil {
                    issue(
                        registryField,
                        "needs a global committee (`global`): groups reach the registry only through it")
                }
                if voltage.feeder != .ieee30 {
                    issue(
                        registryField,
                        "needs feeder ieee30: the registry picks among zones by their lines in the meshed network, "
                            + "and the zones of feeder \(voltage.feeder.rawValue) ask their neighbour directly")
                }
                if isKnown("regions"), regionCount == 0 {
                    issue(registryField, "needs regions before the registry's to hold the zones, got none")
                }
                if zones < 2 {
                    issue(
                        registryField,
                        "needs a zoning of more than one zone (groups to pick between), got \(zoning.rawValue)")
                }
            }
            if !voltage.feeder.zonings.contains(zoning) {
                issue(
                    FieldPath.child(field, "zoning"),
                    "expected one of \(voltage.feeder.zonings.map(\.rawValue).joined(separator: ", ")) for feeder "
                        + "\(voltage.feeder.rawValue), got \(zoning.rawValue)")
            }
            // A registry region that did not read would shift the count: its own error says what is wrong.
            if isKnown("regions"), isKnown(FieldPath.child(field, "registryRegion")), regionCount > 0,
                regionCount % zones != 0
            {
                issue(
                    FieldPath.child(field, "zoning"),
                    "expected a zoning whose zone count divides the \(regionCount) regions"
                        + (voltage.registryRegion == nil ? "" : " before the registry's")
                        + " (each group of zones runs on its own copy of the feeder), got \(zoning.rawValue) with "
                        + "\(zones) zones")
            }
            let devices = voltage.devicesPerBus * zoning.largestZoneBusCount
            if devices > Rules.voltageDevicesPerRegionMax {
                issue(
                    FieldPath.child(field, "devicesPerBus"),
                    "expected at most \(Rules.voltageDevicesPerRegionMax / zoning.largestZoneBusCount) with "
                        + "zoning \(zoning.rawValue) (its largest zone has \(zoning.largestZoneBusCount) buses and a "
                        + "region holds at most \(Rules.voltageDevicesPerRegionMax) devices), got "
                        + "\(voltage.devicesPerBus)")
            }
            if voltage.controlIntervalSeconds < voltage.reportingPeriodSeconds {
                issue(
                    FieldPath.child(field, "controlIntervalSeconds"),
                    "expected at least reportingPeriodSeconds (\(format(voltage.reportingPeriodSeconds))), so that "
                        + "every dispatch sees fresh reports, got \(format(voltage.controlIntervalSeconds))")
            }
        }
        if workload.runsAuction {
            let auction = workload.auctionSettings
            if auction.intervalSeconds > workload.runSeconds, isKnown("workload.durationSeconds") {
                issue(
                    "workload.auction.intervalSeconds",
                    "expected at most the run's length (\(format(workload.runSeconds)) s), so that at least one "
                        + "interval is cleared, got \(format(auction.intervalSeconds))")
            }
        }
        if workload.kind == .mix {
            let mix = workload.mixSettings
            if mix.voltage == 0, mix.auction == 0 {
                issue(
                    "workload.mix", "expected a voltage or auction weight above 0; for transfers only use kind transfer"
                )
            }
        }
    }
}

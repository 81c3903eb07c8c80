import Yams

// MARK: - The global layer

extension Topology {
    /// `global`: a committee that verifies every region's committed blocks and orders cross-region messages into
    /// checkpoints, with the same BFT engine as the regions. Its members are named `global/vINDEX` in faults.
    public struct GlobalLayer: Sendable, Equatable, Codable {
        /// The region name that node ids of committee members use (`global/v0`, `global/leader`); reserved, so no
        /// region may have it.
        public static let referenceName = "global"

        /// Committee size, n = 3f+1 (1...`TopologyLimits.globalValidatorsMax`).
        public var validators: Int
        /// The region each member sits in: its network position. A member talks to a region's validators over that
        /// pair's link (the intra-region link in its own region), and to other members the same way. Length ==
        /// `validators`. Default when omitted: round-robin over the regions in file order.
        public var placement: [String]
        /// The members' machine: the section's `machine` override merged over the topology's machine.
        public var machine: Machine
        /// The global chain's block (checkpoint) interval.
        public var checkpointIntervalMillis: Double
        /// Base view timeout of the global chain; backoff and cap come from `consensus`.
        public var viewTimeoutMillis: Double
        /// Region entries per checkpoint.
        public var entriesMax: Int
        /// Bytes per checkpoint payload.
        public var checkpointBytesMax: Int
        /// Region validators send an entry again when it is not final this long after they first sent it.
        public var resendIntervalMillis: Double

        public static let checkpointIntervalMillisDefault = 100.0
        public static let viewTimeoutMillisDefault = 1000.0
        public static let entriesMaxDefault = 256
        public static let checkpointBytesMaxDefault = 4 << 20
        public static let resendIntervalMillisDefault = 1000.0

        public init(
            validators: Int,
            placement: [String],
            machine: Machine = Machine(),
            checkpointIntervalMillis: Double = GlobalLayer.checkpointIntervalMillisDefault,
            viewTimeoutMillis: Double = GlobalLayer.viewTimeoutMillisDefault,
            entriesMax: Int = GlobalLayer.entriesMaxDefault,
            checkpointBytesMax: Int = GlobalLayer.checkpointBytesMaxDefault,
            resendIntervalMillis: Double = GlobalLayer.resendIntervalMillisDefault
        ) {
            self.validators = validators
            self.placement = placement
            self.machine = machine
            self.checkpointIntervalMillis = checkpointIntervalMillis
            self.viewTimeoutMillis = viewTimeoutMillis
            self.entriesMax = entriesMax
            self.checkpointBytesMax = checkpointBytesMax
            self.resendIntervalMillis = resendIntervalMillis
        }

        /// A committee placed round-robin over `regions` in their order (the file's default placement).
        public init(
            validators: Int,
            roundRobinOver regions: [Region],
            machine: Machine = Machine(),
            checkpointIntervalMillis: Double = GlobalLayer.checkpointIntervalMillisDefault,
            viewTimeoutMillis: Double = GlobalLayer.viewTimeoutMillisDefault,
            entriesMax: Int = GlobalLayer.entriesMaxDefault,
            checkpointBytesMax: Int = GlobalLayer.checkpointBytesMaxDefault,
            resendIntervalMillis: Double = GlobalLayer.resendIntervalMillisDefault
        ) {
            self.init(
                validators: validators,
                placement: Self.roundRobinPlacement(validators: validators, regionNames: regions.map(\.name)),
                machine: machine, checkpointIntervalMillis: checkpointIntervalMillis,
                viewTimeoutMillis: viewTimeoutMillis, entriesMax: entriesMax, checkpointBytesMax: checkpointBytesMax,
                resendIntervalMillis: resendIntervalMillis)
        }

        /// Member i in region i mod count; empty when there are no regions (or no members).
        public static func roundRobinPlacement(validators: Int, regionNames: [String]) -> [String] {
            guard !regionNames.isEmpty, validators > 0 else { return [] }
            return (0..<validators).map { regionNames[$0 % regionNames.count] }
        }

        /// Byzantine members the committee tolerates: f where n = 3f + 1.
        public var faultsTolerated: Int { max(0, (validators - 1) / 3) }
        /// Votes in a checkpoint's quorum certificate: 2f + 1.
        public var quorum: Int { 2 * faultsTolerated + 1 }
    }

    /// The region whose network position the node has: its own region, or for `global/vN` the region member N is
    /// placed in. nil for `global/leader` (decided at run time) and for unknown members.
    public func networkRegion(of node: NodeReference) -> String? {
        guard node.isGlobal else { return node.region }
        guard let global, case .index(let index) = node.validator, global.placement.indices.contains(index) else {
            return nil
        }
        return global.placement[index]
    }
}

// MARK: - Reading the section

extension TopologyDecoder {
    static let globalKeys = [
        "validators", "placement", "machine", "checkpointIntervalMillis", "viewTimeoutMillis", "entriesMax",
        "checkpointBytesMax", "resendIntervalMillis",
    ]

    /// `global`, or nil when absent (or null). A section that is not a mapping yields a placeholder under a
    /// broken path, so that `global/...` references are neither reported as lacking a section nor checked.
    func decodeGlobal(_ parent: Fields, regions: [Topology.Region], machine: Topology.Machine) -> Topology.GlobalLayer?
    {
        guard parent.value("global") != nil else { return nil }
        let placeholder = Topology.GlobalLayer(validators: 1, placement: [], machine: machine)
        guard
            let fields = section(
                parent, "global", keys: Self.globalKeys,
                expected: "a mapping with the global committee: validators, and optionally placement, machine, ...")
        else {
            markBroken("global")
            return placeholder
        }
        let validators = requiredInteger(fields, "validators", Rules.globalValidators)
        // An out-of-range count is reported by the rule; the default placement is only built for a sane one, so a
        // hostile file cannot make it allocate.
        var placement = Topology.GlobalLayer.roundRobinPlacement(
            validators: (1...TopologyLimits.globalValidatorsMax).contains(validators) ? validators : 0,
            regionNames: regions.map(\.name))
        if fields.value("placement") != nil {
            let expectation = "a list of region names, one per member, such as [zoneA, zoneB, zoneC, zoneA]"
            if let entries = list(fields, "placement", required: false, expected: expectation) {
                placement = entries.map { path, node in
                    value(node, path: path, expected: "a region name", NodeReader.string) ?? ""
                }
            } else {
                markBroken("global.placement")
            }
        }
        let defaults = placeholder
        return Topology.GlobalLayer(
            validators: validators,
            placement: placement,
            machine: decodeMachine(fields, "machine", base: machine),
            checkpointIntervalMillis: number(
                fields, "checkpointIntervalMillis", Rules.globalIntervalMillis,
                default: defaults.checkpointIntervalMillis),
            viewTimeoutMillis: number(
                fields, "viewTimeoutMillis", Rules.viewTimeoutMillis, default: defaults.viewTimeoutMillis),
            entriesMax: integer(fields, "entriesMax", Rules.checkpointEntriesMax, default: defaults.entriesMax),
            checkpointBytesMax: integer(
                fields, "checkpointBytesMax", Rules.checkpointBytesMax, default: defaults.checkpointBytesMax),
            resendIntervalMillis: number(
                fields, "resendIntervalMillis", Rules.globalIntervalMillis, default: defaults.resendIntervalMillis))
    }
}

extension Rules {
    static let globalValidators = IntegerRule(
        1...TopologyLimits.globalValidatorsMax,
        "a committee size n = 3f+1 (1, 4, 7, 10, ...), at most \(TopologyLimits.globalValidatorsMax)")
    /// Checkpoint and resend intervals: above 0 (a zero interval would spin).
    static let globalIntervalMillis = NumberRule.positive(upTo: TopologyLimits.intervalMillisMax, "milliseconds")
    static let checkpointEntriesMax = IntegerRule(1...TopologyLimits.checkpointEntriesMax)
    static let checkpointBytesMax = IntegerRule(
        TopologyLimits.checkpointBytesMin...TopologyLimits.checkpointBytesMax)
}

// MARK: - Checks

extension TopologyChecker {
    mutating func checkGlobal() {
        guard let global = topology.global else { return }
        let validatorsField = "global.validators"
        if !Rules.globalValidators.range.contains(global.validators) || (global.validators - 1) % 3 != 0 {
            issue(validatorsField, "expected \(Rules.globalValidators.expectation), got \(global.validators)")
        }
        let placementField = "global.placement"
        if areValid(validatorsField), global.placement.count != global.validators, isKnown(placementField) {
            issue(
                placementField,
                "expected \(global.validators) region names, one per member of the committee "
                    + "(global.validators), got \(global.placement.count)")
        }
        let regions = regionIndex
        if regions.isComplete {
            for (index, name) in global.placement.enumerated() where regions.byName[name] == nil {
                let message = unknownRegionMessage(name)
                issue(FieldPath.element(placementField, index), message)
            }
        }
        if global.machine != topology.machine { checkMachine(global.machine, "global.machine") }
        check(global.checkpointIntervalMillis, Rules.globalIntervalMillis, "global.checkpointIntervalMillis")
        check(global.viewTimeoutMillis, Rules.viewTimeoutMillis, "global.viewTimeoutMillis")
        check(global.entriesMax, Rules.checkpointEntriesMax, "global.entriesMax")
        check(global.checkpointBytesMax, Rules.checkpointBytesMax, "global.checkpointBytesMax")
        check(global.resendIntervalMillis, Rules.globalIntervalMillis, "global.resendIntervalMillis")
        if areValid("global.viewTimeoutMillis", "consensus.viewTimeoutMaxMillis"),
            global.viewTimeoutMillis > topology.consensus.viewTimeoutMaxMillis
        {
            issue(
                "global.viewTimeoutMillis",
                "expected at most consensus.viewTimeoutMaxMillis (\(format(topology.consensus.viewTimeoutMaxMillis))), "
                    + "the cap of the backed-off timeout that the global chain shares, got "
                    + format(global.viewTimeoutMillis))
        }
    }

    /// A `global/...` reference: needs a global section, and an index below its size.
    mutating func checkGlobalReference(_ node: NodeReference, _ field: String) {
        guard isKnown("global") else { return }
        guard let global = topology.global else {
            issue(
                field,
                "\(node) names a member of the global committee, but the topology has no global section "
                    + "(add global: { validators: 4 })")
            return
        }
        if case .index(let index) = node.validator, index >= global.validators, areValid("global.validators") {
            issue(field, "the global committee has members global/v0...global/v\(global.validators - 1), got \(node)")
        }
    }

    /// Fault kind `byzantineRegion`: an existing region, and a global layer to misbehave towards.
    mutating func checkByzantineRegion(
        region: String, durationSeconds: Double, _ field: String, _ regions: RegionIndex
    ) {
        check(durationSeconds, Rules.durationSeconds, FieldPath.child(field, "durationSeconds"))
        let regionField = FieldPath.child(field, "region")
        if regions.isComplete, regions.byName[region] == nil {
            let message = unknownRegionMessage(region)
            issue(regionField, message)
        }
        if topology.global == nil, isKnown("global") {
            issue(
                FieldPath.child(field, "kind"),
                "kind byzantineRegion needs a global section: a Byzantine region misbehaves towards the global "
                    + "committee, which checks its entries")
        }
    }
}

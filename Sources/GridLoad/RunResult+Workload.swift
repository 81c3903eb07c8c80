import Foundation

extension RunResult {
    /// `workload` in `result.json` (schema version 1, optional): what the grid contracts achieved in the same run
    /// whose ledger figures the rest of the result gives. Absent for transfer runs.
    ///
    /// - `voltage` (kind voltage or mix):
    ///   - `control`: whether the region operators dispatched (`workload.voltage.control`).
    ///   - `periods`: reporting periods, i.e. power flows solved per feeder copy (with control and baseline).
    ///   - `reportsSent`, `dispatchesSent`, `dispatchesCommitted`: transactions of the voltage contract.
    ///   - `weakestVoltagePU`, `weakestBus`: lowest bus voltage (p.u.) over the measured window, with the set-points
    ///     committed on chain; `weakestVoltageBaselinePU`, `weakestBusBaseline`: the same for the no-control
    ///     baseline, the same devices and loads with set-points forced to zero (devices still follow Volt-VAR).
    ///   - `finalWeakestVoltagePU`, `finalWeakestVoltageBaselinePU`: the lowest bus voltage of the last period.
    ///   - `periodsBelowBand`, `periodsBelowBandBaseline`: measured-window periods whose lowest voltage was below
    ///     0.95 p.u.
    ///   - `setpointChanges`: set-point changes devices picked up from committed state; `devicesWithSetpoint` and
    ///     `reactiveSetpointKVAr`: non-zero set-points and their sum at the end of the run.
    ///   Bus numbers run 1...33 on the first feeder copy, 34...66 on the second, and so on.
    /// - `auction` (kind auction or mix):
    ///   - `clearingRule`, `intervalsCleared`, `bidsSent`.
    ///   - `peerToPeerKWh`: energy traded between participants; `fromGridKWh`: residual demand bought from the
    ///     grid; `feedInKWh`: unsold surplus fed in.
    ///   - `classes`: per participant class (`consumer`, `prosumer`) the participant count and the average net cost
    ///     per participant in currency units (payments minus income), `averageCost` through the auction and
    ///     `averageCostGridOnly` if the same energy had been bought from the grid and fed in at the tariffs.
    ///   - `balanceResidualMicros`: sum of all balance changes minus feed-in income plus grid payments, in
    ///     micro-units; 0 when money is conserved apart from the grid flows.
    public struct WorkloadOutcome: Codable, Hashable, Sendable {
        public var voltage: VoltageOutcome?
        public var auction: AuctionOutcome?

        public init(voltage: VoltageOutcome? = nil, auction: AuctionOutcome? = nil) {
            self.voltage = voltage
            self.auction = auction
        }

        /// Numbers rounded to fixed decimals, like the rest of the result.
        public func normalized() throws -> WorkloadOutcome {
            var copy = self
            if var voltage {
                let round = { (value: Double, field: String) throws -> Double in
                    try RunResult.roundForJSON(value, 6, "workload.voltage." + field)
                }
                voltage.weakestVoltagePU = try round(voltage.weakestVoltagePU, "weakestVoltagePU")
                voltage.weakestVoltageBaselinePU = try round(
                    voltage.weakestVoltageBaselinePU, "weakestVoltageBaselinePU")
                voltage.finalWeakestVoltagePU = try round(voltage.finalWeakestVoltagePU, "finalWeakestVoltagePU")
                voltage.finalWeakestVoltageBaselinePU = try round(
                    voltage.finalWeakestVoltageBaselinePU, "finalWeakestVoltageBaselinePU")
                voltage.reactiveSetpointKVAr = try round(voltage.reactiveSetpointKVAr, "reactiveSetpointKVAr")
                voltage.regions = try voltage.regions?.map { entry in
                    var entry = entry
                    entry.lowestVoltagePU = try entry.lowestVoltagePU.map { try round($0, "regions.lowestVoltagePU") }
                    entry.lowestStabilityIndex = try entry.lowestStabilityIndex.map {
                        try round($0, "regions.lowestStabilityIndex")
                    }
                    return entry
                }
                copy.voltage = voltage
            }
            if var auction {
                auction.peerToPeerKWh = try RunResult.roundForJSON(auction.peerToPeerKWh, 6, "workload.auction.p2p")
                auction.fromGridKWh = try RunResult.roundForJSON(auction.fromGridKWh, 6, "workload.auction.grid")
                auction.feedInKWh = try RunResult.roundForJSON(auction.feedInKWh, 6, "workload.auction.feedIn")
                auction.classes = try auction.classes.sorted { $0.participantClass < $1.participantClass }.map {
                    var entry = $0
                    entry.averageCost = try RunResult.roundForJSON(entry.averageCost, 6, "workload.auction.cost")
                    entry.averageCostGridOnly = try RunResult.roundForJSON(
                        entry.averageCostGridOnly, 6, "workload.auction.cost")
                    return entry
                }
                copy.auction = auction
            }
            return copy
        }
    }

    public struct VoltageOutcome: Codable, Hashable, Sendable {
        public var control: Bool
        public var periods: Int
        public var reportsSent: UInt64
        public var dispatchesSent: UInt64
        public var dispatchesCommitted: UInt64
        public var weakestVoltagePU: Double
        public var weakestBus: Int
        public var weakestVoltageBaselinePU: Double
        public var weakestBusBaseline: Int
        public var finalWeakestVoltagePU: Double
        public var finalWeakestVoltageBaselinePU: Double
        public var periodsBelowBand: Int
        public var periodsBelowBandBaseline: Int
        public var setpointChanges: UInt64
        public var devicesWithSetpoint: Int
        public var reactiveSetpointKVAr: Double
        // Meshed networks only (feeder ieee30), nil on the radial feeder, so older result files still decode.
        /// The network solved by Newton-Raphson.
        public var network: String?
        public var highestVoltagePU: Double?
        /// Lowest margin-ratio index (Gong and Schulz) over the loaded buses in the measured window, and its bus.
        public var lowestStabilityIndex: Double?
        public var lowestStabilityIndexBus: Int?
        /// Measured periods in which some bus left its limits (0.95-1.05 p.u. at load buses, 0.95-1.10 at
        /// generator buses, as Honari et al.'s code has them), with control and in the no-control baseline.
        public var periodsOutsideLimits: Int?
        public var periodsOutsideLimitsBaseline: Int?
        /// The topology's `workload.voltage.loadScale` (nil in files from before it existed: nominal demand).
        public var loadScale: Double?
        /// Meshed networks only: reporting periods (warm-up included) in which Newton-Raphson found no operating
        /// point (voltage collapse past the loadability limit), with control and in the no-control baseline. Such a
        /// period has no reports and does not enter the voltage figures.
        public var powerFlowFailures: Int?
        public var powerFlowFailuresBaseline: Int?
        /// Meshed networks only: the lowest voltage and index of each region's own buses in the measured window.
        public var regions: [VoltageRegionOutcome]?
        /// With a registry region (`workload.voltage.registryRegion`): what the registry did over the whole run.
        public var registry: VoltageRegistryOutcome?

        public init(
            control: Bool, periods: Int, reportsSent: UInt64, dispatchesSent: UInt64, dispatchesCommitted: UInt64,
            weakestVoltagePU: Double, weakestBus: Int, weakestVoltageBaselinePU: Double, weakestBusBaseline: Int,
            finalWeakestVoltagePU: Double, finalWeakestVoltageBaselinePU: Double, periodsBelowBand: Int,
            periodsBelowBandBaseline: Int, setpointChanges: UInt64, devicesWithSetpoint: Int,
            reactiveSetpointKVAr: Double, network: String? = nil, highestVoltagePU: Double? = nil,
            lowestStabilityIndex: Double? = nil, lowestStabilityIndexBus: Int? = nil, periodsOutsideLimits: Int? = nil,
            periodsOutsideLimitsBaseline: Int? = nil, loadScale: Double? = nil, powerFlowFailures: Int? = nil,
            powerFlowFailuresBaseline: Int? = nil, regions: [VoltageRegionOutcome]? = nil,
            registry: VoltageRegistryOutcome? = nil
        ) {
            self.registry = registry
            self.control = control
            self.periods = periods
            self.reportsSent = reportsSent
            self.dispatchesSent = dispatchesSent
            self.dispatchesCommitted = dispatchesCommitted
            self.weakestVoltagePU = weakestVoltagePU
            self.weakestBus = weakestBus
            self.weakestVoltageBaselinePU = weakestVoltageBaselinePU
            self.weakestBusBaseline = weakestBusBaseline
            self.finalWeakestVoltagePU = finalWeakestVoltagePU
            self.finalWeakestVoltageBaselinePU = finalWeakestVoltageBaselinePU
            self.periodsBelowBand = periodsBelowBand
            self.periodsBelowBandBaseline = periodsBelowBandBaseline
            self.setpointChanges = setpointChanges
            self.devicesWithSetpoint = devicesWithSetpoint
            self.reactiveSetpointKVAr = reactiveSetpointKVAr
            self.network = network
            self.highestVoltagePU = highestVoltagePU
            self.lowestStabilityIndex = lowestStabilityIndex
            self.lowestStabilityIndexBus = lowestStabilityIndexBus
            self.periodsOutsideLimits = periodsOutsideLimits
            self.periodsOutsideLimitsBaseline = periodsOutsideLimitsBaseline
            self.loadScale = loadScale
            self.powerFlowFailures = powerFlowFailures
            self.powerFlowFailuresBaseline = powerFlowFailuresBaseline
            self.regions = regions
        }
    }

    /// The voltage registry's totals over the whole run (warm-up included), as its region's committed state holds
    /// them at the end (GridContracts' `VoltageRegistryCounters`).
    public struct VoltageRegistryOutcome: Codable, Hashable, Sendable {
        /// The region that ran the registry.
        public var region: String
        /// Headroom updates accepted from the groups.
        public var updates: UInt64
        /// Searches accepted, those that found an adjacent group with headroom and those that found none.
        public var searches: UInt64
        public var matched: UInt64
        public var unmatched: UInt64
        /// Times a group was merged with a helper it was not merged with already, and times a merge split again.
        public var merges: UInt64
        public var splits: UInt64
        /// Groups still merged at the end, as "group+helper".
        public var mergedAtEnd: [String]

        public init(
            region: String, updates: UInt64, searches: UInt64, matched: UInt64, unmatched: UInt64, merges: UInt64,
            splits: UInt64, mergedAtEnd: [String]
        ) {
            self.region = region
            self.updates = updates
            self.searches = searches
            self.matched = matched
            self.unmatched = unmatched
            self.merges = merges
            self.splits = splits
            self.mergedAtEnd = mergedAtEnd
        }
    }

    /// One region's own buses on a meshed network: the lowest voltage and margin-ratio index in the measured
    /// window (nil when no period converged), and the threshold the region's contract acts on.
    public struct VoltageRegionOutcome: Codable, Hashable, Sendable {
        public var region: String
        public var vsiThreshold: Double
        public var lowestVoltagePU: Double?
        public var lowestVoltageBus: Int?
        public var lowestStabilityIndex: Double?
        public var lowestStabilityIndexBus: Int?

        public init(
            region: String, vsiThreshold: Double, lowestVoltagePU: Double?, lowestVoltageBus: Int?,
            lowestStabilityIndex: Double?, lowestStabilityIndexBus: Int?
        ) {
            self.region = region
            self.vsiThreshold = vsiThreshold
            self.lowestVoltagePU = lowestVoltagePU
            self.lowestVoltageBus = lowestVoltageBus
            self.lowestStabilityIndex = lowestStabilityIndex
            self.lowestStabilityIndexBus = lowestStabilityIndexBus
        }
    }

    public struct AuctionOutcome: Codable, Hashable, Sendable {
        public struct ClassCost: Codable, Hashable, Sendable {
            public var participantClass: String
            public var participants: Int
            public var averageCost: Double
            public var averageCostGridOnly: Double

            public init(participantClass: String, participants: Int, averageCost: Double, averageCostGridOnly: Double) {
                self.participantClass = participantClass
                self.participants = participants
                self.averageCost = averageCost
                self.averageCostGridOnly = averageCostGridOnly
            }
        }

        public var clearingRule: String
        public var intervalsCleared: Int
        public var bidsSent: UInt64
        public var peerToPeerKWh: Double
        public var fromGridKWh: Double
        public var feedInKWh: Double
        public var classes: [ClassCost]
        public var balanceResidualMicros: Int64

        public init(
            clearingRule: String, intervalsCleared: Int, bidsSent: UInt64, peerToPeerKWh: Double, fromGridKWh: Double,
            feedInKWh: Double, classes: [ClassCost], balanceResidualMicros: Int64
        ) {
            self.clearingRule = clearingRule
            self.intervalsCleared = intervalsCleared
            self.bidsSent = bidsSent
            self.peerToPeerKWh = peerToPeerKWh
            self.fromGridKWh = fromGridKWh
            self.feedInKWh = feedInKWh
            self.classes = classes
            self.balanceResidualMicros = balanceResidualMicros
        }
    }
}

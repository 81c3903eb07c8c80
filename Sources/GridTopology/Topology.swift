/// One benchmark set-up, as described by a topology file (schema version 1).
///
/// Plain values: a topology can be built in code (a sweep varies one field), checked with `validate()`, and
/// embedded into result JSON. Defaults here are the defaults of the file format; `topologies/README.md` and the
/// comments in the shipped files describe each field.
public struct Topology: Sendable, Equatable, Codable {
    /// Name of the topology used when none is given on the command line.
    public static let defaultName = "default"
    /// The only schema version this build reads.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// Names result files and report sections; the file stem when the file does not set it.
    public var name: String
    public var description: String
    /// Seeds every random choice of a run (network jitter and loss, Poisson arrivals, accounts).
    public var seed: UInt64
    /// The machine of every validator whose region does not override it.
    public var machine: Machine
    public var regions: [Region]
    public var network: Network
    public var consensus: Consensus
    public var mempool: Mempool
    public var workload: Workload
    /// Faults on a schedule, in file order (not necessarily in time order).
    public var faults: [Fault]
    /// The global committee over all regions; nil: no global layer, the regions run side by side, independent.
    public var global: GlobalLayer?

    /// Where each field was written, for error messages. Not part of the value (see `SourceMap`).
    var sourceMap: SourceMap

    public init(
        schemaVersion: Int = Topology.currentSchemaVersion,
        name: String = Topology.defaultName,
        description: String = "",
        seed: UInt64 = 1,
        machine: Machine = Machine(),
        regions: [Region],
        network: Network = Network(),
        consensus: Consensus = Consensus(),
        mempool: Mempool = Mempool(),
        workload: Workload,
        faults: [Fault] = [],
        global: GlobalLayer? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.name = name
        self.description = description
        self.seed = seed
        self.machine = machine
        self.regions = regions
        self.network = network
        self.consensus = consensus
        self.mempool = mempool
        self.workload = workload
        self.faults = faults
        self.global = global
        self.sourceMap = SourceMap(file: "topology")
    }

    // Listed so that the source map stays out of result JSON; a new field must be added here too (the
    // compiler insists, since it has no default value).
    enum CodingKeys: String, CodingKey {
        case schemaVersion, name, description, seed, machine, regions, network, consensus, mempool, workload
        case faults, global
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            schemaVersion: try container.decode(Int.self, forKey: .schemaVersion),
            name: try container.decode(String.self, forKey: .name),
            description: try container.decode(String.self, forKey: .description),
            seed: try container.decode(UInt64.self, forKey: .seed),
            machine: try container.decode(Machine.self, forKey: .machine),
            regions: try container.decode([Region].self, forKey: .regions),
            network: try container.decode(Network.self, forKey: .network),
            consensus: try container.decode(Consensus.self, forKey: .consensus),
            mempool: try container.decode(Mempool.self, forKey: .mempool),
            workload: try container.decode(Workload.self, forKey: .workload),
            faults: try container.decode([Fault].self, forKey: .faults),
            // Absent from the JSON of topologies without a global layer (and of results written before it).
            global: try container.decodeIfPresent(GlobalLayer.self, forKey: .global)
        )
    }

    /// Validators across all regions. Saturates rather than traps, since it is computed for unchecked input too.
    public var validatorCount: Int {
        regions.reduce(0) { total, region in
            let (sum, overflow) = total.addingReportingOverflow(region.validators)
            return overflow ? (region.validators > 0 ? Int.max : Int.min) : sum
        }
    }

    /// One line for listings: `default: regions 1, validators 4`, and `, global committee 4` with a global layer.
    public var summary: String {
        let text = "\(name): regions \(regions.count), validators \(validatorCount)"
        guard let global else { return text }
        return text + ", global committee \(global.validators)"
    }

    /// The region with this name, if any.
    public func region(named regionName: String) -> Region? { regions.first { $0.name == regionName } }
}

// MARK: - Machines and regions

extension Topology {
    /// The machine a validator runs on: its CPU cost profile, how many cores it has, and whether its store flushes
    /// each commit to disk.
    public struct Machine: Sendable, Equatable, Hashable, Codable {
        public var profile: MachineProfile
        public var cores: Int
        public var durability: Durability

        public init(profile: MachineProfile = .shipped("default"), cores: Int = 2, durability: Durability = .sync) {
            self.profile = profile
            self.cores = cores
            self.durability = durability
        }

        enum CodingKeys: String, CodingKey {
            case profile, cores, durability
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                profile: try container.decode(MachineProfile.self, forKey: .profile),
                cores: try container.decode(Int.self, forKey: .cores),
                // Absent from the JSON of results written before the field existed; those ran the default.
                durability: try container.decodeIfPresent(Durability.self, forKey: .durability) ?? .sync)
        }
    }

    /// Whether a validator's store waits for each commit to reach the disk.
    public enum Durability: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        /// Every commit is flushed (fsync) before the node goes on: a machine crash loses nothing committed.
        case sync
        /// Commits are left to the operating system to write back: no wait, but a machine crash may lose the
        /// latest commits.
        case noSync = "nosync"
    }

    /// A CPU cost profile: one shipped with GridLedger, by name, or a profile JSON file.
    ///
    /// In a file, a value containing `/` or ending in `.json` is a path (relative to the topology file);
    /// anything else names a shipped profile. Encodes as that same single string.
    public enum MachineProfile: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
        case shipped(String)
        /// Path as written; relative paths are relative to the directory of the topology file.
        case file(String)

        public init(_ text: String) {
            self = text.contains("/") || text.hasSuffix(".json") ? .file(text) : .shipped(text)
        }

        public var description: String {
            switch self {
            case .shipped(let name): name
            case .file(let path): path
            }
        }

        public init(from decoder: any Decoder) throws {
            self.init(try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    /// One grid region (shard) with its own validator set, chain and state.
    public struct Region: Sendable, Equatable, Codable {
        public var name: String
        /// n = 3f + 1.
        public var validators: Int
        /// The machine of this region's validators: the region's override merged over the topology's machine.
        public var machine: Machine

        public init(name: String, validators: Int, machine: Machine = Machine()) {
            self.name = name
            self.validators = validators
            self.machine = machine
        }

        /// Byzantine validators the region tolerates: f where n = 3f + 1.
        public var faultsTolerated: Int { max(0, (validators - 1) / 3) }
        /// Votes in a quorum certificate: 2f + 1.
        public var quorum: Int { 2 * faultsTolerated + 1 }
    }
}

// MARK: - Network

extension Topology {
    /// A one-way link model: each message is delayed by latency plus a random jitter and the time its bytes take
    /// at the bandwidth, and is lost with the loss rate.
    public struct Link: Sendable, Equatable, Hashable, Codable {
        public var latencyMillis: Double
        public var jitterMillis: Double
        public var bandwidthMbps: Double
        /// Fraction of messages lost, in [0, 1).
        public var lossRate: Double

        public init(latencyMillis: Double, jitterMillis: Double, bandwidthMbps: Double = 1000, lossRate: Double = 0) {
            self.latencyMillis = latencyMillis
            self.jitterMillis = jitterMillis
            self.bandwidthMbps = bandwidthMbps
            self.lossRate = lossRate
        }

        public static let intraRegionDefault = Link(latencyMillis: 0.25, jitterMillis: 0.05)
        public static let clientDefault = Link(latencyMillis: 0.5, jitterMillis: 0.1)
        public static let interRegionDefault = Link(latencyMillis: 30, jitterMillis: 2)
    }

    /// An override of `interRegion` for the links between two regions, in both directions.
    public struct LinkPair: Sendable, Equatable, Codable {
        /// Two distinct region names.
        public var between: [String]
        /// The pair's fields, each one not given in the file taken from `interRegion`.
        public var link: Link

        public init(between: [String], link: Link) {
            self.between = between
            self.link = link
        }
    }

    public struct Network: Sendable, Equatable, Codable {
        /// Between validators of the same region.
        public var intraRegion: Link
        /// From a load generator to its gateway validator, and back.
        public var client: Link
        /// Between validators of different regions, unless a pair overrides it.
        public var interRegion: Link
        public var pairs: [LinkPair]

        public init(
            intraRegion: Link = .intraRegionDefault,
            client: Link = .clientDefault,
            interRegion: Link = .interRegionDefault,
            pairs: [LinkPair] = []
        ) {
            self.intraRegion = intraRegion
            self.client = client
            self.interRegion = interRegion
            self.pairs = pairs
        }

        /// The link between validators of two regions (the same region gives `intraRegion`).
        public func link(between regionA: String, and regionB: String) -> Link {
            if regionA == regionB { return intraRegion }
            let pair = pairs.last { $0.between == [regionA, regionB] || $0.between == [regionB, regionA] }
            return pair?.link ?? interRegion
        }
    }
}

// MARK: - Consensus and mempool

extension Topology {
    public struct Consensus: Sendable, Equatable, Codable {
        public var blockTransactionsMax: Int
        public var blockBytesMax: Int
        /// A leader proposes once this long has passed since its last proposal, or at once when a block is full.
        public var blockIntervalMillis: Double
        /// Base timeout of a view.
        public var viewTimeoutMillis: Double
        /// Multiplier of the timeout per consecutive timed-out view.
        public var viewTimeoutBackoff: Double
        /// Cap of the backed-off timeout.
        public var viewTimeoutMaxMillis: Double

        public init(
            blockTransactionsMax: Int = 2000,
            blockBytesMax: Int = 2 << 20,
            blockIntervalMillis: Double = 20,
            viewTimeoutMillis: Double = 500,
            viewTimeoutBackoff: Double = 2.0,
            viewTimeoutMaxMillis: Double = 10_000
        ) {
            self.blockTransactionsMax = blockTransactionsMax
            self.blockBytesMax = blockBytesMax
            self.blockIntervalMillis = blockIntervalMillis
            self.viewTimeoutMillis = viewTimeoutMillis
            self.viewTimeoutBackoff = viewTimeoutBackoff
            self.viewTimeoutMaxMillis = viewTimeoutMaxMillis
        }
    }

    public struct Mempool: Sendable, Equatable, Codable {
        /// Transactions a validator's mempool holds before it answers "busy".
        public var capacityTransactions: Int
        /// Largest encoded transaction admitted.
        public var transactionBytesMax: Int
        /// Transactions per gossip batch.
        public var batchTransactionsMax: Int
        /// A gossip batch leaves when full or this long after its first transaction.
        public var batchIntervalMillis: Double

        public init(
            capacityTransactions: Int = 200_000,
            transactionBytesMax: Int = 4096,
            batchTransactionsMax: Int = 256,
            batchIntervalMillis: Double = 2
        ) {
            self.capacityTransactions = capacityTransactions
            self.transactionBytesMax = transactionBytesMax
            self.batchTransactionsMax = batchTransactionsMax
            self.batchIntervalMillis = batchIntervalMillis
        }
    }
}

// MARK: - Workload

extension Topology {
    public enum WorkloadKind: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        case transfer
        case voltage
        case auction
        case mix
    }

    /// How fast the load generator offers transactions. Times are seconds from the start of the run, warm-up
    /// included, like fault times.
    public enum RateController: Sendable, Equatable, Codable {
        /// Evenly spaced sends.
        case fixed(tps: Double)
        /// Exponentially distributed gaps with this mean rate.
        case poisson(tps: Double)
        /// Linear from `fromTps` at the start of the run to `toTps` at its end.
        case ramp(fromTps: Double, toTps: Double)
        /// Piecewise constant; the first step is at 0 s and step times strictly increase.
        case step(steps: [RateStep])
        /// Keeps this many transactions outstanding: a new one leaves when one commits, fails or times out.
        case closedLoop(outstanding: Int)

        /// The `controller` value of this rate in a file.
        public var name: Name {
            switch self {
            case .fixed: .fixed
            case .poisson: .poisson
            case .ramp: .ramp
            case .step: .step
            case .closedLoop: .closedLoop
            }
        }

        public enum Name: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
            case fixed, poisson, ramp, step, closedLoop

            /// The keys besides `controller` that this controller takes, all required.
            public var keys: [String] {
                switch self {
                case .fixed, .poisson: ["tps"]
                case .ramp: ["fromTps", "toTps"]
                case .step: ["steps"]
                case .closedLoop: ["outstanding"]
                }
            }
        }
    }

    public struct RateStep: Sendable, Equatable, Codable {
        public var atSeconds: Double
        /// 0 pauses the load.
        public var tps: Double

        public init(atSeconds: Double, tps: Double) {
            self.atSeconds = atSeconds
            self.tps = tps
        }
    }

    public struct Workload: Sendable, Equatable, Codable {
        public var kind: WorkloadKind
        /// Devices, each with its own key.
        public var accounts: Int
        public var rate: RateController
        /// The measured window, after warm-up.
        public var durationSeconds: Double
        public var warmupSeconds: Double
        /// A transaction not committed this long after its scheduled send counts as timed out.
        public var timeoutSeconds: Double
        /// Settings of the voltage part (kind voltage or mix); nil takes the defaults. Absent from transfer runs'
        /// JSON, so their results are unchanged.
        public var voltage: VoltageWorkload?
        /// Settings of the auction part (kind auction or mix); nil takes the defaults.
        public var auction: AuctionWorkload?
        /// Weights of the parts of kind mix; nil takes the defaults.
        public var mix: WorkloadMix?

        public init(
            kind: WorkloadKind = .transfer,
            accounts: Int = 10_000,
            rate: RateController,
            durationSeconds: Double = 10,
            warmupSeconds: Double = 2,
            timeoutSeconds: Double = 5,
            voltage: VoltageWorkload? = nil,
            auction: AuctionWorkload? = nil,
            mix: WorkloadMix? = nil
        ) {
            self.kind = kind
            self.accounts = accounts
            self.rate = rate
            self.durationSeconds = durationSeconds
            self.warmupSeconds = warmupSeconds
            self.timeoutSeconds = timeoutSeconds
            self.voltage = voltage
            self.auction = auction
            self.mix = mix
        }

        /// Length of the whole run: warm-up, then the measured window.
        public var runSeconds: Double { warmupSeconds + durationSeconds }
    }
}

// MARK: - Faults

extension Topology {
    /// A fault at a time relative to the start of the run (warm-up included).
    public struct Fault: Sendable, Equatable, Codable {
        public typealias Kind = FaultKind

        public var atSeconds: Double
        public var kind: FaultKind

        public init(atSeconds: Double, kind: FaultKind) {
            self.atSeconds = atSeconds
            self.kind = kind
        }
    }

    public enum FaultKind: Sendable, Equatable, Codable {
        /// The node stops; its LMDB state stays on disk.
        case crash(node: NodeReference)
        /// The node starts again from its LMDB state. `REGION/leader` means the node that the latest crash of
        /// `REGION/leader` not yet restarted took down.
        case restart(node: NodeReference)
        /// For the duration, messages cross no group boundary. Nodes named in no group form one more group.
        case partition(durationSeconds: Double, groups: [[NodeReference]])
        /// For the duration, links to and from `nodes` (every link when nil) lose messages at `rate`, on top of
        /// the link's own loss.
        case loss(durationSeconds: Double, rate: Double, nodes: [NodeReference]?)
        /// For the duration, the region's runtime sends the global layer entries that misbehave as `behavior` says;
        /// the region's own chain and validators are unaffected. Needs a global layer.
        case byzantineRegion(region: String, behavior: ByzantineRegionBehavior, durationSeconds: Double)

        /// The `kind` value of this fault in a file.
        public var name: Name {
            switch self {
            case .crash: .crash
            case .restart: .restart
            case .partition: .partition
            case .loss: .loss
            case .byzantineRegion: .byzantineRegion
            }
        }

        public enum Name: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
            case crash, restart, partition, loss, byzantineRegion

            /// Keys this kind takes besides `atSeconds` and `kind`; all required except `nodes` of `loss`.
            public var keys: [String] {
                switch self {
                case .crash, .restart: ["node"]
                case .partition: ["durationSeconds", "groups"]
                case .loss: ["durationSeconds", "rate", "nodes"]
                case .byzantineRegion: ["region", "behavior", "durationSeconds"]
                }
            }
        }
    }

    /// What a Byzantine region's runtime sends the global layer (fault kind `byzantineRegion`).
    public enum ByzantineRegionBehavior: String, CaseIterable, Codable, Sendable {
        /// Entries whose quorum certificates carry forged signatures.
        case forgedCertificate
        /// Entries with a header whose parent does not link to the region's chain as the global layer knows it.
        case nonExtendingHeader
    }
}

import Foundation
import GridLedger
import GridLoad
import GridTopology

/// A validator as a client reaches it: its place in the topology (region index, validator index in the region)
/// and its client address.
public struct Gateway: Sendable, Codable, Hashable {
    public var region: Int
    public var index: Int
    public var host: String
    public var port: Int

    public init(region: Int, index: Int, host: String, port: Int) {
        self.region = region
        self.index = index
        self.host = host
        self.port = port
    }
}

/// Everything one generator process needs.
public struct LoadGeneratorOptions: Sendable {
    /// The largest `intervalsMax` accepted: a day of 1 s intervals, a few tens of MB of report at most.
    public static let intervalsMaxLimit = 86_400

    /// Workload (rate controller, accounts, warm-up, duration), regions and seed.
    public var topology: Topology
    public var chainID: ChainID
    /// Every validator of every region, as clients may reach them. A validator without an entry counts as down:
    /// its transactions fail over to the next validator of its region.
    public var gateways: [Gateway]
    /// This process sends the transactions `i` with `i % parts == part`.
    public var part: Int
    public var parts: Int
    /// After the last scheduled send, wait at most this long for outstanding replies; the rest time out.
    public var drainSeconds: Double
    /// A transaction without a reply this long after its scheduled time is timed out.
    public var timeoutSeconds: Double
    /// Bounds and timings of the client side; the defaults suit runs up to ~100k transactions per second.
    public var limits: LoadGeneratorLimits
    /// Wall time (Unix ns) at which sending starts, after pre-signing and connecting, so that several parts start
    /// together; nil (or a time already past) starts at once.
    public var startAtUnixNanos: UInt64?
    /// Keep the run-wide index of every committed transaction in the report (`LoadReport.committedIndices`).
    public var recordsCommitted = false
    /// Length of one interval of the report's time series (``LoadTimeSeries``); whole microseconds, at least 1 ms.
    public var intervalNanos: UInt64 = 1_000_000_000
    /// Most intervals kept; later events are counted in ``LoadTimeSeries/eventsBeyondLastInterval``, not kept.
    public var intervalsMax = TimeSeriesRecorder.defaultIntervalsMax
    /// A wall time (Unix ns) on the interval grid: intervals start at this time plus whole intervals. Nil: at
    /// ``startAtUnixNanos`` if set (so parts started together share the grid), else on the Unix epoch's grid.
    public var intervalOriginUnixNanos: UInt64?

    public init(
        topology: Topology, chainID: ChainID, gateways: [Gateway], part: Int = 0, parts: Int = 1,
        drainSeconds: Double? = nil, timeoutSeconds: Double? = nil, limits: LoadGeneratorLimits = LoadGeneratorLimits(),
        startAtUnixNanos: UInt64? = nil
    ) {
        self.startAtUnixNanos = startAtUnixNanos
        self.topology = topology
        self.chainID = chainID
        self.gateways = gateways
        self.part = part
        self.parts = parts
        self.timeoutSeconds = timeoutSeconds ?? topology.workload.timeoutSeconds
        self.drainSeconds = drainSeconds ?? self.timeoutSeconds
        self.limits = limits
    }

    func validate() throws {
        guard parts >= 1, (0..<parts).contains(part) else {
            throw LoadGeneratorError.invalidOptions("part must be in 0..<parts, got part \(part) of \(parts)")
        }
        guard timeoutSeconds.isFinite, timeoutSeconds > 0 else {
            throw LoadGeneratorError.invalidOptions("timeoutSeconds must be finite and > 0, got \(timeoutSeconds)")
        }
        guard drainSeconds.isFinite, drainSeconds >= 0 else {
            throw LoadGeneratorError.invalidOptions("drainSeconds must be finite and >= 0, got \(drainSeconds)")
        }
        guard intervalNanos >= 1_000_000, intervalNanos % 1000 == 0, intervalNanos <= 3_600_000_000_000 else {
            throw LoadGeneratorError.invalidOptions(
                "intervalSeconds must be whole microseconds in [0.001, 3600], got \(Double(intervalNanos) / 1e9)")
        }
        guard (1...LoadGeneratorOptions.intervalsMaxLimit).contains(intervalsMax) else {
            throw LoadGeneratorError.invalidOptions(
                "intervalsMax must be in 1...\(LoadGeneratorOptions.intervalsMaxLimit), got \(intervalsMax)")
        }
        var seen = Set<[Int]>()
        for gateway in gateways {
            guard topology.regions.indices.contains(gateway.region),
                (0..<topology.regions[gateway.region].validators).contains(gateway.index)
            else {
                throw LoadGeneratorError.invalidOptions(
                    "gateway \(gateway.host):\(gateway.port) names region \(gateway.region) validator \(gateway.index), "
                        + "which the topology does not have")
            }
            guard (1...65535).contains(gateway.port) else {
                throw LoadGeneratorError.invalidOptions("gateway port \(gateway.port) is not a TCP port")
            }
            guard seen.insert([gateway.region, gateway.index]).inserted else {
                throw LoadGeneratorError.invalidOptions(
                    "two gateways for region \(gateway.region) validator \(gateway.index)")
            }
        }
        try limits.validate()
    }
}

/// Bounds on what one generator holds, and its timings.
public struct LoadGeneratorLimits: Sendable, Hashable {
    /// Transactions held at once, over all connections: sent and awaiting a reply, or waiting in a backlog.
    /// Past this, a due transaction is not sent (bucket `notSent`).
    public var inFlightMax: Int
    /// Transactions waiting for one connection's socket buffer to drain (back-pressure). Past this, a due
    /// transaction is not sent (bucket `notSent`); one still waiting when it times out is `notSent` as well.
    public var backlogPerConnectionMax: Int
    /// NIO's write buffer water marks per connection: above `high` the connection is not writable and
    /// transactions queue in the backlog.
    public var writeBufferLowBytes: Int
    public var writeBufferHighBytes: Int
    /// The socket's send buffer (`SO_SNDBUF`); nil keeps the system's (auto-tuned) size.
    public var socketSendBufferBytes: Int?
    /// Pacing: due transactions are sent in batches at most this often.
    public var tickNanos: UInt64
    /// Transactions sent in one tick at most, so replies are read even when the generator is far behind.
    public var sendsPerTickMax: Int
    /// Reconnection back-off: doubles from `reconnectInitialSeconds` to `reconnectMaxSeconds`.
    public var reconnectInitialSeconds: Double
    public var reconnectMaxSeconds: Double
    public var connectTimeoutSeconds: Double
    /// Largest frame accepted from a gateway.
    public var frameBytesMax: Int

    public init(
        inFlightMax: Int = 2_000_000, backlogPerConnectionMax: Int = 100_000, writeBufferLowBytes: Int = 1 << 20,
        writeBufferHighBytes: Int = 4 << 20, tickNanos: UInt64 = 1_000_000, sendsPerTickMax: Int = 20_000,
        reconnectInitialSeconds: Double = 0.05, reconnectMaxSeconds: Double = 2, connectTimeoutSeconds: Double = 2,
        frameBytesMax: Int = 16 << 20, socketSendBufferBytes: Int? = nil
    ) {
        self.socketSendBufferBytes = socketSendBufferBytes
        self.inFlightMax = inFlightMax
        self.backlogPerConnectionMax = backlogPerConnectionMax
        self.writeBufferLowBytes = writeBufferLowBytes
        self.writeBufferHighBytes = writeBufferHighBytes
        self.tickNanos = tickNanos
        self.sendsPerTickMax = sendsPerTickMax
        self.reconnectInitialSeconds = reconnectInitialSeconds
        self.reconnectMaxSeconds = reconnectMaxSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.frameBytesMax = frameBytesMax
    }

    func validate() throws {
        guard inFlightMax >= 1, backlogPerConnectionMax >= 0, writeBufferLowBytes >= 0,
            writeBufferHighBytes > writeBufferLowBytes, tickNanos >= 1, sendsPerTickMax >= 1,
            reconnectInitialSeconds > 0, reconnectMaxSeconds >= reconnectInitialSeconds, connectTimeoutSeconds > 0,
            frameBytesMax >= 64
        else {
            throw LoadGeneratorError.invalidOptions("load generator limits out of range: \(self)")
        }
    }
}

/// What the generator reports while it runs (about once per second).
public struct LoadProgress: Sendable {
    /// Seconds since sending started (time zero of the schedule).
    public var elapsedSeconds: Double
    public var runSeconds: Double
    public var offered: UInt64
    public var sent: UInt64
    public var committed: UInt64
    public var inFlight: UInt64
    /// Commits per second since the previous progress report.
    public var committedTpsLastInterval: Double
    public var connectionsUp: Int
    public var connections: Int

    /// One line for a terminal.
    public var line: String {
        String(
            format:
                "load t=%.1f/%.1fs offered %llu sent %llu committed %llu (%.0f tps) in flight %llu, %d/%d gateways up",
            elapsedSeconds, runSeconds, offered, sent, committed, committedTpsLastInterval, inFlight, connectionsUp,
            connections)
    }
}

public enum LoadGeneratorError: Error, CustomStringConvertible, Equatable {
    /// A grid contract agent could not go on (a power flow that failed).
    case workload(String)
    case invalidOptions(String)
    case config(file: String, reason: String)
    case accounting(String)

    public var description: String {
        switch self {
        case .workload(let reason): return "the grid contract workload stopped: \(reason)"
        case .invalidOptions(let reason): return "invalid load generator options: \(reason)"
        case .config(let file, let reason): return "load generator config \(file): \(reason)"
        case .accounting(let reason): return "load report does not add up: \(reason)"
        }
    }
}

/// The JSON file `gridledger load --config FILE` reads: one generator part of a live run.
///
/// ```json
/// {"topology": {...Topology JSON...}, "chainID": 1,
///  "gateways": [{"region": 0, "index": 0, "host": "127.0.0.1", "port": 7100}, ...],
///  "part": 0, "parts": 1, "drainSeconds": 5, "timeoutSeconds": 5, "startAtUnixNanos": 1764787200000000000}
/// ```
/// `part`/`parts` default to 0/1, `timeoutSeconds` to the workload's, `drainSeconds` to `timeoutSeconds`;
/// `startAtUnixNanos` (optional) is the wall time at which sending starts (after pre-signing), so that several
/// parts start together; a time already past starts at once.
public struct LoadGeneratorConfigFile: Sendable, Codable {
    public var topology: Topology
    public var chainID: ChainID
    public var gateways: [Gateway]
    public var part: Int
    public var parts: Int
    public var drainSeconds: Double?
    public var timeoutSeconds: Double?
    public var startAtUnixNanos: UInt64?
    public var recordCommitted: Bool?
    /// Time series interval (default 1 s, as `gridledger run`), most intervals kept, and grid origin (Unix ns;
    /// default `startAtUnixNanos`, else the epoch): see ``LoadGeneratorOptions/intervalNanos``.
    public var intervalSeconds: Double?
    public var intervalsMax: Int?
    public var intervalOriginUnixNanos: UInt64?

    public init(
        topology: Topology, chainID: ChainID, gateways: [Gateway], part: Int = 0, parts: Int = 1,
        drainSeconds: Double? = nil, timeoutSeconds: Double? = nil, startAtUnixNanos: UInt64? = nil
    ) {
        self.topology = topology
        self.chainID = chainID
        self.gateways = gateways
        self.part = part
        self.parts = parts
        self.drainSeconds = drainSeconds
        self.timeoutSeconds = timeoutSeconds
        self.startAtUnixNanos = startAtUnixNanos
    }

    enum CodingKeys: String, CodingKey {
        case topology, chainID, gateways, part, parts, drainSeconds, timeoutSeconds, startAtUnixNanos, recordCommitted
        case intervalSeconds, intervalsMax, intervalOriginUnixNanos
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        topology = try container.decode(Topology.self, forKey: .topology)
        chainID = try container.decode(ChainID.self, forKey: .chainID)
        gateways = try container.decode([Gateway].self, forKey: .gateways)
        part = try container.decodeIfPresent(Int.self, forKey: .part) ?? 0
        parts = try container.decodeIfPresent(Int.self, forKey: .parts) ?? 1
        drainSeconds = try container.decodeIfPresent(Double.self, forKey: .drainSeconds)
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        startAtUnixNanos = try container.decodeIfPresent(UInt64.self, forKey: .startAtUnixNanos)
        recordCommitted = try container.decodeIfPresent(Bool.self, forKey: .recordCommitted)
        intervalSeconds = try container.decodeIfPresent(Double.self, forKey: .intervalSeconds)
        intervalsMax = try container.decodeIfPresent(Int.self, forKey: .intervalsMax)
        intervalOriginUnixNanos = try container.decodeIfPresent(UInt64.self, forKey: .intervalOriginUnixNanos)
    }

    public var options: LoadGeneratorOptions {
        var options = LoadGeneratorOptions(
            topology: topology, chainID: chainID, gateways: gateways, part: part, parts: parts,
            drainSeconds: drainSeconds, timeoutSeconds: timeoutSeconds, startAtUnixNanos: startAtUnixNanos)
        options.recordsCommitted = recordCommitted ?? false
        if let intervalSeconds {
            // Out-of-range values become 0 here and are refused by name when the options are validated.
            let nanos = intervalSeconds * 1e9
            options.intervalNanos =
                nanos.isFinite && nanos >= 0 && nanos < 1e18 ? UInt64((nanos / 1000).rounded()) * 1000 : 0
        }
        if let intervalsMax { options.intervalsMax = intervalsMax }
        options.intervalOriginUnixNanos = intervalOriginUnixNanos
        return options
    }

    public static func read(from url: URL) throws -> LoadGeneratorConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LoadGeneratorError.config(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(LoadGeneratorConfigFile.self, from: data)
        } catch {
            throw LoadGeneratorError.config(file: url.path, reason: "\(error)")
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

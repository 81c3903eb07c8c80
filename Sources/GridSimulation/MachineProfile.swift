import Foundation
import GridConsensus
import GridTopology

/// Per-operation CPU costs of one machine, used by `--cpu model` to charge each node for the work it reports, and
/// the wall time a durable commit waits for the disk. `gridledger calibrate` measures these on the machine it runs
/// on; `default` ships with the project.
public struct MachineProfile: Codable, Sendable, Equatable {
    /// Version 2 added ``storeSyncNanos``; version 1 files are refused (re-run `gridledger calibrate`).
    public static let schemaVersion = 2

    public var schemaVersion: Int
    /// Where the figures came from (machine, date, command), for people reading a report.
    public var source: String
    public var signatureVerifyNanos: Double
    public var signNanos: Double
    public var hashNanosPerKiB: Double
    /// Fixed CPU cost of one LMDB write transaction, without flushing (measured with `MDB_NOSYNC`).
    public var storeCommitNanos: Double
    /// Per KiB of encoded block; the block's receipts and state changes are written in the same transaction and
    /// are included in this price.
    public var storeCommitNanosPerKiB: Double
    /// Executing one transaction in a block: nonce check, contract call, receipt, and its share of the block's
    /// transaction, receipt and state roots (measured on `RegionApplication.execute`, signatures excluded).
    public var contractCallNanos: Double
    /// Encoding or decoding of messages, per KiB.
    public var codecNanosPerKiB: Double
    /// Fixed cost of handling any event (dispatch, bookkeeping).
    public var eventNanos: Double
    /// Wall time a durable commit (`durability: sync`) waits for its flush to reach the disk, beyond the same commit
    /// without flushing: median over small blocks, measured on the disk `gridledger calibrate` ran on. Not CPU time:
    /// the node's consensus thread is blocked for this long, but its cores are free for other work.
    public var storeSyncNanos: Double
    /// CPU a live node spends per transaction it executes beyond what the items above price (its sockets and event
    /// loops, allocation and reference counting, sharing cores with other processes): 0 unless `gridledger
    /// calibrate --from-live` fitted it to live runs on the machine. Optional in the file (0 when absent).
    public var runtimeNanosPerTransaction: Double = 0
    /// The same per store commit (a block, or the blocks one event commits together): the store's page writes and
    /// flush in the kernel, a round's messages through the sockets.
    public var runtimeNanosPerBlock: Double = 0
    /// A live node's CPU per second of uptime beyond its events and event loops (its metrics file, timers, the
    /// runtime's threads), as `calibrate --from-live` fits it. Charged only on a shared host, as each node's upkeep
    /// at the interval a live node rewrites its metrics file; and only with the event-loop terms below, which the
    /// same fit writes.
    public var runtimeNanosPerSecond: Double = 0
    /// CPU a live node's event-loop thread spends per wake-up (the poll that finds work, being scheduled), per
    /// frame it reads or writes (peer frames both ways, client submissions, each write of replies to a client) and
    /// per KiB of them: socket system calls, framing, copies. Charged only on a shared host
    /// (`SimulationOptions.hostCores`), where that thread waits for a core of its own before a frame leaves or
    /// reaches the consensus thread. 0 unless `calibrate --from-live` measured them.
    public var eventLoopNanosPerWakeup: Double = 0
    public var eventLoopNanosPerFrame: Double = 0
    public var eventLoopNanosPerKiB: Double = 0

    /// The same for the load generator's event-loop thread, which sends each transaction and reads its reply: per
    /// wake-up and per transaction (send and reply together). Charged with the nodes' event-loop terms.
    public var generatorNanosPerWakeup: Double = 0
    public var generatorNanosPerTransaction: Double = 0

    /// Whether the profile prices a node's event-loop thread at all.
    public var pricesEventLoop: Bool {
        eventLoopNanosPerWakeup > 0 || eventLoopNanosPerFrame > 0 || eventLoopNanosPerKiB > 0
    }

    /// The event-loop thread's CPU for one read or write of `bytes`, with a wake-up when the thread was idle.
    public func eventLoopNanos(bytes: Int, wakes: Bool) -> UInt64 {
        let nanos =
            (wakes ? eventLoopNanosPerWakeup : 0) + eventLoopNanosPerFrame + Double(bytes) / 1024 * eventLoopNanosPerKiB
        return UInt64(nanos.rounded())
    }

    public init(
        source: String, signatureVerifyNanos: Double, signNanos: Double, hashNanosPerKiB: Double,
        storeCommitNanos: Double, storeCommitNanosPerKiB: Double, contractCallNanos: Double, codecNanosPerKiB: Double,
        eventNanos: Double, storeSyncNanos: Double
    ) {
        self.schemaVersion = Self.schemaVersion
        self.source = source
        self.signatureVerifyNanos = signatureVerifyNanos
        self.signNanos = signNanos
        self.hashNanosPerKiB = hashNanosPerKiB
        self.storeCommitNanos = storeCommitNanos
        self.storeCommitNanosPerKiB = storeCommitNanosPerKiB
        self.contractCallNanos = contractCallNanos
        self.codecNanosPerKiB = codecNanosPerKiB
        self.eventNanos = eventNanos
        self.storeSyncNanos = storeSyncNanos
    }

    /// Measured on this project's reference machine kind (2-core x86_64 cloud VM, Swift 6.3.1 release build,
    /// libsodium 1.0.18) with `gridledger calibrate`; see docs/architecture.md.
    /// `storeSyncNanos` was measured later (2026-12-03, `gridledger calibrate --sync-commits 500`, ext4 on the VM's
    /// virtio disk, four runs 7.13-7.29 ms); the CPU figures of those runs, taken under build load, came out
    /// 1.3-2x the ones below, which were kept.
    public static let shippedDefault = MachineProfile(
        source: "shipped default: gridledger calibrate, release build, 2-core x86_64 VM, 2026-11-21; "
            + "storeSyncNanos: gridledger calibrate --sync-commits 500, same VM kind, 2026-12-03",
        signatureVerifyNanos: 49638, signNanos: 16674, hashNanosPerKiB: 1008,
        storeCommitNanos: 13297, storeCommitNanosPerKiB: 23449, contractCallNanos: 5082,
        codecNanosPerKiB: 3654, eventNanos: 161, storeSyncNanos: 7_165_206)

    public static let shipped: [String: MachineProfile] = ["default": shippedDefault]

    /// Nanoseconds of CPU the given work costs on this machine.
    public func costNanos(of work: Work) -> UInt64 {
        var nanos = eventNanos
        nanos += Double(work.signatureVerifications + work.batchedSignatureVerifications) * signatureVerifyNanos
        nanos += Double(work.signatures) * signNanos
        nanos += Double(work.hashedBytes) / 1024 * hashNanosPerKiB
        nanos += Double(work.storeCommits) * storeCommitNanos
        nanos += Double(work.storeCommitBytes) / 1024 * storeCommitNanosPerKiB
        nanos += Double(work.contractCalls) * (contractCallNanos + runtimeNanosPerTransaction)
        nanos += Double(work.encodedBytes + work.decodedBytes) / 1024 * codecNanosPerKiB
        return UInt64(nanos.rounded())
    }

    /// Nanoseconds of CPU that LMDB write transactions of `bytes` in total cost.
    public func storeCostNanos(commits: Int, bytes: Int) -> UInt64 {
        guard commits > 0 else { return 0 }
        let perCommit = storeCommitNanos + runtimeNanosPerBlock
        return UInt64((Double(commits) * perCommit + Double(bytes) / 1024 * storeCommitNanosPerKiB).rounded())
    }

    /// Wall nanoseconds `commits` LMDB commits wait for the disk under `durability`: ``storeSyncNanos`` each when
    /// synced, nothing otherwise. The node's consensus thread waits this long; its cores do not.
    public func storeSyncWaitNanos(commits: Int, durability: Topology.Durability) -> UInt64 {
        guard commits > 0, durability == .sync else { return 0 }
        return UInt64((Double(commits) * storeSyncNanos).rounded())
    }

    public static func load(contentsOf url: URL) throws -> MachineProfile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SimulationError.profile(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, file: url.path)
    }

    /// A profile from JSON bytes; `file` names them in errors. Checks the version before the fields, so a file of
    /// another version is refused for its version rather than for a missing field.
    public static func decode(_ data: Data, file: String) throws -> MachineProfile {
        guard data.count <= 64 << 10 else {
            throw SimulationError.profile(file: file, reason: "larger than 64 KiB")
        }
        struct VersionOnly: Decodable { var schemaVersion: Int }
        let version: Int
        do { version = try JSONDecoder().decode(VersionOnly.self, from: data).schemaVersion } catch {
            throw SimulationError.profile(file: file, reason: "not a machine profile: \(error)")
        }
        guard version == schemaVersion else {
            let advice =
                version < schemaVersion
                ? "it predates storeSyncNanos; re-run `gridledger calibrate --out \(file)` on the machine it describes"
                : "it was written by a newer gridledger"
            throw SimulationError.profile(
                file: file, reason: "schemaVersion \(version), this build reads \(schemaVersion): \(advice)")
        }
        let profile: MachineProfile
        do { profile = try JSONDecoder().decode(MachineProfile.self, from: data) } catch {
            throw SimulationError.profile(file: file, reason: "not a machine profile: \(error)")
        }
        let costs: [(String, Double)] = [
            ("signatureVerifyNanos", profile.signatureVerifyNanos), ("signNanos", profile.signNanos),
            ("hashNanosPerKiB", profile.hashNanosPerKiB), ("storeCommitNanos", profile.storeCommitNanos),
            ("storeCommitNanosPerKiB", profile.storeCommitNanosPerKiB),
            ("contractCallNanos", profile.contractCallNanos), ("codecNanosPerKiB", profile.codecNanosPerKiB),
            ("eventNanos", profile.eventNanos), ("storeSyncNanos", profile.storeSyncNanos),
            ("runtimeNanosPerTransaction", profile.runtimeNanosPerTransaction),
            ("runtimeNanosPerBlock", profile.runtimeNanosPerBlock),
            ("runtimeNanosPerSecond", profile.runtimeNanosPerSecond),
            ("eventLoopNanosPerWakeup", profile.eventLoopNanosPerWakeup),
            ("eventLoopNanosPerFrame", profile.eventLoopNanosPerFrame),
            ("eventLoopNanosPerKiB", profile.eventLoopNanosPerKiB),
            ("generatorNanosPerWakeup", profile.generatorNanosPerWakeup),
            ("generatorNanosPerTransaction", profile.generatorNanosPerTransaction),
        ]
        for (field, value) in costs where !(value.isFinite && value >= 0 && value < 1e12) {
            throw SimulationError.profile(
                file: file, reason: "\(field) must be a finite number of nanoseconds in 0..<1e12, got \(value)")
        }
        return profile
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, source, signatureVerifyNanos, signNanos, hashNanosPerKiB, storeCommitNanos
        case storeCommitNanosPerKiB, contractCallNanos, codecNanosPerKiB, eventNanos, storeSyncNanos
        case runtimeNanosPerTransaction, runtimeNanosPerBlock, runtimeNanosPerSecond
        case eventLoopNanosPerWakeup, eventLoopNanosPerFrame, eventLoopNanosPerKiB
        case generatorNanosPerWakeup, generatorNanosPerTransaction
    }

    /// Written out so that the runtime and event-loop terms, added later, may be absent (0): a profile measured by
    /// microbenchmarks alone has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        source = try container.decode(String.self, forKey: .source)
        signatureVerifyNanos = try container.decode(Double.self, forKey: .signatureVerifyNanos)
        signNanos = try container.decode(Double.self, forKey: .signNanos)
        hashNanosPerKiB = try container.decode(Double.self, forKey: .hashNanosPerKiB)
        storeCommitNanos = try container.decode(Double.self, forKey: .storeCommitNanos)
        storeCommitNanosPerKiB = try container.decode(Double.self, forKey: .storeCommitNanosPerKiB)
        contractCallNanos = try container.decode(Double.self, forKey: .contractCallNanos)
        codecNanosPerKiB = try container.decode(Double.self, forKey: .codecNanosPerKiB)
        eventNanos = try container.decode(Double.self, forKey: .eventNanos)
        storeSyncNanos = try container.decode(Double.self, forKey: .storeSyncNanos)
        runtimeNanosPerTransaction =
            try container.decodeIfPresent(Double.self, forKey: .runtimeNanosPerTransaction) ?? 0
        runtimeNanosPerBlock = try container.decodeIfPresent(Double.self, forKey: .runtimeNanosPerBlock) ?? 0
        runtimeNanosPerSecond = try container.decodeIfPresent(Double.self, forKey: .runtimeNanosPerSecond) ?? 0
        eventLoopNanosPerWakeup = try container.decodeIfPresent(Double.self, forKey: .eventLoopNanosPerWakeup) ?? 0
        eventLoopNanosPerFrame = try container.decodeIfPresent(Double.self, forKey: .eventLoopNanosPerFrame) ?? 0
        eventLoopNanosPerKiB = try container.decodeIfPresent(Double.self, forKey: .eventLoopNanosPerKiB) ?? 0
        generatorNanosPerWakeup = try container.decodeIfPresent(Double.self, forKey: .generatorNanosPerWakeup) ?? 0
        generatorNanosPerTransaction =
            try container.decodeIfPresent(Double.self, forKey: .generatorNanosPerTransaction) ?? 0
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

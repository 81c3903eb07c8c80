import Foundation
import GridConsensus

/// Per-operation CPU costs of one machine, used by `--cpu model` to charge each node for the work it reports.
/// `gridledger calibrate` measures these on the machine it runs on; `default` ships with the project.
public struct MachineProfile: Codable, Sendable, Equatable {
    public static let schemaVersion = 1

    public var schemaVersion: Int
    /// Where the figures came from (machine, date, command), for people reading a report.
    public var source: String
    public var signatureVerifyNanos: Double
    public var signNanos: Double
    public var hashNanosPerKiB: Double
    /// Fixed cost of one LMDB write transaction (excluding fsync: the simulator's stores run without sync).
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

    public init(
        source: String, signatureVerifyNanos: Double, signNanos: Double, hashNanosPerKiB: Double,
        storeCommitNanos: Double, storeCommitNanosPerKiB: Double, contractCallNanos: Double, codecNanosPerKiB: Double,
        eventNanos: Double
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
    }

    /// Measured on this project's reference machine kind (2-core x86_64 cloud VM, Swift 6.3.1 release build,
    /// libsodium 1.0.18) with `gridledger calibrate`; see docs/simulator.md.
    public static let shippedDefault = MachineProfile(
        source: "shipped default: gridledger calibrate, release build, 2-core x86_64 VM, 2026-11-21",
        signatureVerifyNanos: 49638, signNanos: 16674, hashNanosPerKiB: 1008,
        storeCommitNanos: 13297, storeCommitNanosPerKiB: 23449, contractCallNanos: 5082,
        codecNanosPerKiB: 3654, eventNanos: 161)

    public static let shipped: [String: MachineProfile] = ["default": shippedDefault]

    /// Nanoseconds of CPU the given work costs on this machine.
    public func costNanos(of work: Work) -> UInt64 {
        var nanos = eventNanos
        nanos += Double(work.signatureVerifications + work.batchedSignatureVerifications) * signatureVerifyNanos
        nanos += Double(work.signatures) * signNanos
        nanos += Double(work.hashedBytes) / 1024 * hashNanosPerKiB
        nanos += Double(work.storeCommits) * storeCommitNanos
        nanos += Double(work.storeCommitBytes) / 1024 * storeCommitNanosPerKiB
        nanos += Double(work.contractCalls) * contractCallNanos
        nanos += Double(work.encodedBytes + work.decodedBytes) / 1024 * codecNanosPerKiB
        return UInt64(nanos.rounded())
    }

    /// Nanoseconds of CPU that LMDB write transactions of `bytes` in total cost.
    public func storeCostNanos(commits: Int, bytes: Int) -> UInt64 {
        guard commits > 0 else { return 0 }
        return UInt64((Double(commits) * storeCommitNanos + Double(bytes) / 1024 * storeCommitNanosPerKiB).rounded())
    }

    public static func load(contentsOf url: URL) throws -> MachineProfile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SimulationError.profile(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard data.count <= 64 << 10 else {
            throw SimulationError.profile(file: url.path, reason: "larger than 64 KiB")
        }
        let profile: MachineProfile
        do { profile = try JSONDecoder().decode(MachineProfile.self, from: data) } catch {
            throw SimulationError.profile(file: url.path, reason: "not a machine profile: \(error)")
        }
        guard profile.schemaVersion == schemaVersion else {
            throw SimulationError.profile(file: url.path, reason: "schemaVersion \(profile.schemaVersion), expected 1")
        }
        let costs: [(String, Double)] = [
            ("signatureVerifyNanos", profile.signatureVerifyNanos), ("signNanos", profile.signNanos),
            ("hashNanosPerKiB", profile.hashNanosPerKiB), ("storeCommitNanos", profile.storeCommitNanos),
            ("storeCommitNanosPerKiB", profile.storeCommitNanosPerKiB),
            ("contractCallNanos", profile.contractCallNanos), ("codecNanosPerKiB", profile.codecNanosPerKiB),
            ("eventNanos", profile.eventNanos),
        ]
        for (field, value) in costs where !(value.isFinite && value >= 0 && value < 1e12) {
            throw SimulationError.profile(file: url.path, reason: "\(field) must be a finite cost >= 0, got \(value)")
        }
        return profile
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

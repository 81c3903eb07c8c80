import Foundation
import GridTopology
import Testing

@testable import GridSimulation

/// Profile files: version 2 round-trips, version 1 is refused with what to do, every cost is checked.
struct MachineProfileTests {
    static let profile = MachineProfile(
        source: "test", signatureVerifyNanos: 1, signNanos: 2, hashNanosPerKiB: 3, storeCommitNanos: 4,
        storeCommitNanosPerKiB: 5, contractCallNanos: 6, codecNanosPerKiB: 7, eventNanos: 8, storeSyncNanos: 9)

    static func json(_ profile: MachineProfile) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: try profile.jsonData()) as? [String: Any])
    }

    static func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    static func refusal(_ data: Data) -> String? {
        do {
            _ = try MachineProfile.decode(data, file: "profiles/test.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func versionTwoRoundTrips() throws {
        let data = try Self.profile.jsonData()
        #expect(try Self.json(Self.profile)["schemaVersion"] as? Int == 2)
        #expect(try Self.json(Self.profile)["storeSyncNanos"] as? Double == 9)
        #expect(try MachineProfile.decode(data, file: "profiles/test.json") == Self.profile)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try data.write(to: url)
        #expect(try MachineProfile.load(contentsOf: url) == Self.profile)
    }

    @Test func versionOneIsRefusedWithAdvice() throws {
        var object = try Self.json(Self.profile)
        object["schemaVersion"] = 1
        object["storeSyncNanos"] = nil
        let message = try #require(Self.refusal(try Self.data(object)))
        #expect(message.contains("profiles/test.json"))
        #expect(message.contains("schemaVersion 1"))
        #expect(message.contains("re-run `gridledger calibrate"))

        object["schemaVersion"] = 3
        #expect(Self.refusal(try Self.data(object))?.contains("schemaVersion 3") == true)
    }

    @Test func theShippedProfileFileIsVersionTwo() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/reference-vm.json")
        let reference = try MachineProfile.load(contentsOf: url)
        #expect(reference.schemaVersion == MachineProfile.schemaVersion)
        #expect(reference.storeSyncNanos > 0)
        #expect(MachineProfile.shippedDefault.storeSyncNanos == reference.storeSyncNanos)
    }

    @Test func theShippedLiveProfileHasItsRuntimeTerms() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/reference-vm-live.json")
        let live = try MachineProfile.load(contentsOf: url)
        #expect(live.runtimeNanosPerTransaction > 0 && live.runtimeNanosPerBlock > 0)
        #expect(live.source.contains("--from-live"))
        // The shipped default models validators with cores of their own: no runtime terms.
        #expect(MachineProfile.shippedDefault.runtimeNanosPerTransaction == 0)
        #expect(MachineProfile.shippedDefault.runtimeNanosPerBlock == 0)
        // The later profile prices the threads too; the earlier one stays as its figures were measured with it.
        let threads = try MachineProfile.load(
            contentsOf: url.deletingLastPathComponent().appendingPathComponent("reference-vm-live-threads.json"))
        #expect(threads.pricesEventLoop && threads.runtimeNanosPerSecond > 0 && threads.generatorNanosPerWakeup > 0)
        // And the one fitted after the store's pending records, which changed what a live commit costs.
        let store = try MachineProfile.load(
            contentsOf: url.deletingLastPathComponent().appendingPathComponent("reference-vm-live-store.json"))
        #expect(store.pricesEventLoop && store.runtimeNanosPerTransaction > 0 && store.source.contains("--from-live"))
        #expect(!live.pricesEventLoop && live.runtimeNanosPerSecond == 0)
        #expect(!MachineProfile.shippedDefault.pricesEventLoop)
    }

    @Test(arguments: [-1.0, 1e12, 1e300])
    func badSyncWaitIsRefusedByName(_ value: Double) throws {
        var object = try Self.json(Self.profile)
        object["storeSyncNanos"] = value
        let message = try #require(Self.refusal(try Self.data(object)))
        #expect(message.contains("storeSyncNanos must be a finite number of nanoseconds in 0..<1e12"))
        #expect(message.contains("profiles/test.json"))
    }

    @Test func missingOrMistypedSyncWaitIsRefused() throws {
        var object = try Self.json(Self.profile)
        object["storeSyncNanos"] = nil
        #expect(Self.refusal(try Self.data(object))?.contains("storeSyncNanos") == true)
        object["storeSyncNanos"] = "fast"
        #expect(Self.refusal(try Self.data(object))?.contains("storeSyncNanos") == true)
    }

    @Test func runtimeTermsAreOptionalAndChecked() throws {
        var object = try Self.json(Self.profile)
        #expect(object["runtimeNanosPerTransaction"] as? Double == 0)
        object["runtimeNanosPerTransaction"] = nil
        object["runtimeNanosPerBlock"] = nil
        let absent = try MachineProfile.decode(try Self.data(object), file: "profiles/test.json")
        #expect(absent == Self.profile)
        object["runtimeNanosPerTransaction"] = 48_000
        object["runtimeNanosPerBlock"] = 570_000
        let present = try MachineProfile.decode(try Self.data(object), file: "profiles/test.json")
        #expect(present.runtimeNanosPerTransaction == 48_000)
        #expect(present.runtimeNanosPerBlock == 570_000)
        #expect(try MachineProfile.decode(try present.jsonData(), file: "profiles/test.json") == present)
        object["runtimeNanosPerBlock"] = -1
        let message = try #require(Self.refusal(try Self.data(object)))
        #expect(message.contains("runtimeNanosPerBlock must be a finite number of nanoseconds"))
        #expect(message.contains("profiles/test.json"))
    }

    @Test func eventLoopTermsAreOptionalAndChecked() throws {
        var object = try Self.json(Self.profile)
        for field in [
            "eventLoopNanosPerWakeup", "eventLoopNanosPerFrame", "eventLoopNanosPerKiB", "generatorNanosPerWakeup",
            "generatorNanosPerTransaction",
        ] {
            object[field] = nil
        }
        let absent = try MachineProfile.decode(try Self.data(object), file: "profiles/test.json")
        #expect(absent == Self.profile && !absent.pricesEventLoop)
        object["eventLoopNanosPerWakeup"] = 35_000
        object["generatorNanosPerTransaction"] = 6_000
        let present = try MachineProfile.decode(try Self.data(object), file: "profiles/test.json")
        #expect(present.eventLoopNanosPerWakeup == 35_000 && present.generatorNanosPerTransaction == 6_000)
        #expect(present.pricesEventLoop)
        #expect(try MachineProfile.decode(try present.jsonData(), file: "profiles/test.json") == present)
        object["generatorNanosPerWakeup"] = -5
        let message = try #require(Self.refusal(try Self.data(object)))
        #expect(message.contains("generatorNanosPerWakeup must be a finite number of nanoseconds"))
    }

    @Test func syncWaitIsChargedOnlyForDurableCommits() {
        #expect(Self.profile.storeSyncWaitNanos(commits: 3, durability: .sync) == 27)
        #expect(Self.profile.storeSyncWaitNanos(commits: 3, durability: .noSync) == 0)
        #expect(Self.profile.storeSyncWaitNanos(commits: 0, durability: .sync) == 0)
    }

    @Test func calibrationCountsOneFlushPerDurableCommit() throws {
        // Checks the measurement runs and that its stores really flush (it throws otherwise); the figure itself is
        // wall time and not asserted.
        try withTemporaryDirectory { directory in
            let nanos = try Calibration.measureStoreSync(directory: directory, commits: 3)
            #expect(nanos.isFinite)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
        #expect(throws: SimulationError.self) {
            try Calibration.measureStoreSync(directory: FileManager.default.temporaryDirectory, commits: 0)
        }
    }
}

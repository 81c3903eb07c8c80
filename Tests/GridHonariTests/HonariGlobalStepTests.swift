import Foundation
import GridLoad
import Testing

@testable import GridHonari

/// The stress experiment's point: at its demand scale a group runs out of reactive headroom and the global step
/// fires (requests sent, delivered through the committee, applied by the receiving groups), which the nominal
/// demand never does. Short simulated runs at a low send rate.
struct HonariGlobalStepTests {
    private func options() -> HonariStudyOptions {
        let stores = FileManager.default.temporaryDirectory.appendingPathComponent(
            "honari-global-step-tests-\(UUID().uuidString)")
        var options = HonariStudyOptions(storeDirectory: stores)
        options.measuredSeconds = 3
        options.warmupSeconds = 2
        return options
    }

    /// Without the main chain: a short group asks its neighbour directly, which passes the rest on.
    @Test func theGlobalStepFiresAtTheStressScaleWithoutTheMainChain() throws {
        var options = options()
        options.mainChain = false
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        let scale = HonariStressExperiment.standard.loadScale
        let run = try HonariStudy.runOnce(rateTps: 40, shards: 3, options: options, loadScale: scale)
        #expect(run.loadScale == scale)
        let voltage = try #require(run.voltage)
        #expect(voltage.loadScale == scale)
        #expect(voltage.powerFlowFailures == 0)
        let cross = try #require(run.crossRegion)
        let sent = try #require(cross.sent)
        #expect(sent > 0, "no group ran out of reactive headroom at \(scale) x demand")
        #expect(cross.committed > 0 && cross.committed <= sent, "delivered \(cross.committed) of \(sent)")
        #expect(cross.applied > 0, "no request applied by the neighbour")
        #expect(cross.undeliverable == 0)
        // The requests come from the group that ran short, and its own buses show why.
        let global = try #require(run.result.global)
        let senders = global.regions.filter { ($0.messagesSent ?? 0) > 0 }
        #expect(!senders.isEmpty && senders.count < 3, "senders \(senders)")
        // Group 2 runs short and asks group 3, which at this scale runs out too and passes the rest on to group 1
        // (its other adjacent group). Group 1 is no group's first neighbour (2 asks 3, 3 asks 2): whatever it applies
        // was passed on.
        let sentBy = Dictionary(uniqueKeysWithValues: global.regions.map { ($0.name, $0.messagesSent ?? 0) })
        let appliedBy = Dictionary(uniqueKeysWithValues: global.regions.map { ($0.name, $0.messagesApplied ?? 0) })
        #expect((sentBy["group2"] ?? 0) > 0, "\(sentBy)")
        #expect((appliedBy["group1"] ?? 0) > 0, "nothing passed on to group 1: \(appliedBy)")
        #expect(appliedBy.values.reduce(0, +) == cross.applied, "\(appliedBy)")
        #expect(sentBy["group1"] == 0, "\(sentBy)")
        #expect(senders.reduce(0) { $0 + ($1.messagesSent ?? 0) } == sent)
        let regions = try #require(voltage.regions)
        #expect(regions.map(\.region) == ["group1", "group2", "group3"])
        // The group that asked most is short in the measured window: an index below its threshold or a voltage
        // below the band its contract keeps.
        let main = try #require(senders.max { ($0.messagesSent ?? 0) < ($1.messagesSent ?? 0) })
        let region = try #require(regions.first { $0.region == main.name })
        let index = try #require(region.lowestStabilityIndex)
        let lowest = try #require(region.lowestVoltagePU)
        #expect(index < region.vsiThreshold || lowest < 0.95, "\(region)")
        let finality = try #require(run.result.latency(.globalFinality))
        #expect(finality.count > 0 && finality.p99 >= finality.p50)
        #expect((run.result.latency(.crossRegion)?.count ?? 0) > 0)
    }

    /// With the main chain (the default), the same stress: the short group searches the registry, which picks an
    /// adjacent group with recorded headroom and passes the request on; every group reports its headroom there.
    @Test func theRegistryOnTheMainChainPicksTheHelperAtTheStressScale() throws {
        let options = options()
        #expect(options.mainChain)
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        let scale = HonariStressExperiment.standard.loadScale
        let run = try HonariStudy.runOnce(rateTps: 40, shards: 3, options: options, loadScale: scale)
        let voltage = try #require(run.voltage)
        #expect(voltage.powerFlowFailures == 0)
        let registry = try #require(voltage.registry)
        #expect(registry.region == "main")
        #expect(registry.searches > 0, "no group searched at \(scale) x demand")
        #expect(registry.matched > 0 && registry.merges > 0, "\(registry)")
        #expect(registry.matched + registry.unmatched == registry.searches)
        #expect(registry.updates >= 3, "every group reports its headroom at its first dispatch: \(registry)")
        let cross = try #require(run.crossRegion)
        #expect(cross.callsFailed == 0 && cross.undeliverable == 0)
        let global = try #require(run.result.global)
        let sentBy = Dictionary(uniqueKeysWithValues: global.regions.map { ($0.name, $0.messagesSent ?? 0) })
        let appliedBy = Dictionary(uniqueKeysWithValues: global.regions.map { ($0.name, $0.messagesApplied ?? 0) })
        // The registry sends one request per matched search and nothing else; it receives every update and search.
        // A run can end with messages in flight, so the receivers' counts are at most the senders'.
        #expect(sentBy["main"] == registry.matched, "\(sentBy)")
        #expect(appliedBy["main"] == registry.updates + registry.searches, "\(appliedBy)")
        let groupsApplied = ["group1", "group2", "group3"].map { appliedBy[$0] ?? 0 }.reduce(0, +)
        #expect(groupsApplied > 0 && groupsApplied <= registry.matched, "\(appliedBy)")
        // Group 2 is the one that runs short (as without the main chain); groups only send to main.
        let groupsSent = ["group1", "group2", "group3"].map { sentBy[$0] ?? 0 }.reduce(0, +)
        #expect(groupsSent == registry.updates + registry.searches)
        #expect((sentBy["group2"] ?? 0) > (sentBy["group1"] ?? 0), "\(sentBy)")
        // The registry's region holds no zone: the voltage figures are the three groups'.
        #expect(try #require(voltage.regions).map(\.region) == ["group1", "group2", "group3"])
    }

    @Test func theNominalDemandSendsNoRequest() throws {
        var options = options()
        options.mainChain = false
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        let run = try HonariStudy.runOnce(rateTps: 40, shards: 3, options: options, loadScale: 1)
        #expect(run.crossRegion?.sent == 0)
        #expect(run.voltage?.loadScale == nil)
        // With the main chain, the groups' first headroom updates are all that crosses regions.
        options.mainChain = true
        let main = try HonariStudy.runOnce(rateTps: 40, shards: 3, options: options, loadScale: 1)
        let registry = try #require(main.voltage?.registry)
        #expect(registry.searches == 0 && registry.merges == 0)
        #expect(registry.updates >= 3 && main.crossRegion?.sent == registry.updates)
    }

    /// Past the loadability limit (between 5.25 and 5.5 times nominal) Newton-Raphson finds no operating point: the
    /// run completes and counts every such period instead of failing.
    @Test func voltageCollapseIsCountedNotFatal() throws {
        let options = options()
        defer { try? FileManager.default.removeItem(at: options.storeDirectory) }
        let run = try HonariStudy.runOnce(rateTps: 20, shards: 1, options: options, loadScale: 6)
        let voltage = try #require(run.voltage)
        let failures = try #require(voltage.powerFlowFailures)
        #expect(failures > 0 && failures == voltage.powerFlowFailuresBaseline)
        #expect(voltage.reportsSent == 0 && voltage.lowestStabilityIndex == nil)
        #expect(run.lowestVoltagePU == nil && run.voltagesWithinLimits == false)
        #expect(run.progressLine.contains("power flow diverged in \(failures) periods"))
    }

    @Test func loadScalesOutsideTheRangeAreRefusedNamingTheSetting() {
        for bad in [0, -0.5, 10.01, .infinity, .nan] {
            var options = options()
            options.loadScale = bad
            #expect {
                try HonariStudy.run(options)
            } throws: { error in
                "\(error)".contains("loadScale") && "\(error)".contains("\(bad)")
            }
            options.loadScale = 1
            options.stress?.loadScale = bad
            #expect {
                try HonariStudy.run(options)
            } throws: { error in
                "\(error)".contains("stress.loadScale") && "\(error)".contains("\(bad)")
            }
        }
        #expect(HonariStudyError.loadScaleProblem(10, field: "--load-scale") == nil)
        let problem = HonariStudyError.loadScaleProblem(0, field: "--load-scale")
        #expect(problem?.contains("--load-scale") == true && problem?.contains("got 0.0") == true)
    }

    @Test func theScaleReachesTheGeneratedTopology() throws {
        var options = options()
        options.loadScale = 1.5
        let yaml = HonariStudy.topologyYAML(rateTps: 600, shards: 3, options: options)
        #expect(yaml.contains("loadScale: 1.5") && yaml.contains("name: honari-3shard-600-load1.5"))
        #expect(yaml.contains("registryRegion: main") && yaml.contains("- name: main"))
        #expect(!HonariStudy.topologyYAML(rateTps: 600, shards: 1, options: options).contains("registryRegion"))
        options.mainChain = false
        #expect(!HonariStudy.topologyYAML(rateTps: 600, shards: 3, options: options).contains("main"))
        #expect(HonariStudy.runName(rateTps: 600, shards: 1, loadScale: 2.25) == "honari-1shard-600-load2.25")
        #expect(
            HonariStudy.topologyYAML(rateTps: 600, shards: 1, options: options, loadScale: 2).contains("loadScale: 2.0")
        )
    }
}

import Foundation
import GridConsensus
import GridSimulation
import GridTopology
import Testing

/// The swarm generator and checker (`gridledger swarm`): draws are a pure function of the seed, stay within f
/// where they must, and a short swarm passes every check; the liveness check can fail.
@Suite struct SwarmGeneratorTests {
    @Test func drawsAreDeterministicAndParse() throws {
        for seed in UInt64(1)...200 {
            let first = try SwarmScenario.draw(seed: seed)
            let second = try SwarmScenario.draw(seed: seed)
            #expect(first.topologyYAML == second.topologyYAML, "seed \(seed)")
            #expect(first.byzantine == second.byzantine, "seed \(seed)")
            #expect(first.voteAdversary == second.voteAdversary, "seed \(seed)")
            let topology = try first.topology
            #expect(topology.seed == seed)
            #expect((1...4).contains(topology.regions.count))
            for region in topology.regions {
                #expect([4, 7, 10].contains(region.validators), "seed \(seed)")
                let equivocators = first.byzantine.keys.filter { $0.hasPrefix(region.name + "/") }.count
                #expect(equivocators <= region.faultsTolerated, "seed \(seed): \(region.name)")
                #expect(first.livenessBoundSeconds[region.name] != nil)
            }
            #expect(topology.workload.warmupSeconds == first.healedSeconds)
            _ = try SwarmScenario.draw(seed: seed, beyondF: true).topology
        }
        #expect(try SwarmScenario.draw(seed: 1).topologyYAML != SwarmScenario.draw(seed: 2).topologyYAML)
    }

    /// Within f, the crashes, isolations and equivocators of a region never exceed f at once: counted from the
    /// drawn topology (each faulty node is named once; a chased leader counts as one more).
    @Test func faultsStayWithinF() throws {
        for seed in UInt64(1)...200 {
            let scenario = try SwarmScenario.draw(seed: seed)
            let topology = try scenario.topology
            for region in topology.regions {
                var faulty = Set(scenario.byzantine.keys.filter { $0.hasPrefix(region.name + "/") })
                var chased = false
                for fault in topology.faults {
                    switch fault.kind {
                    case .crash(let node) where node.region == region.name: faulty.insert("\(node)")
                    case .partition(_, let groups) where groups.count > 1 || groups.first?.count == 1:
                        for group in groups where group.count == 1 && group[0].region == region.name {
                            if case .leader = group[0].validator { chased = true } else { faulty.insert("\(group[0])") }
                        }
                    default: break
                    }
                }
                #expect(faulty.count + (chased ? 1 : 0) <= region.faultsTolerated, "seed \(seed): \(region.name)")
            }
        }
    }

    static let shortSwarm = Array(UInt64(1)...13)

    /// Seed 11 was taken for a lost transaction: with an equivocating leader in a 4-validator region, 1 of 220
    /// transactions offered after the heal timed out. Diagnosed: it committed 2.065 s after it was sent, at its
    /// gateway, which had voted for the equivocator's fork and learnt of the commit a round timeout late; the 2 s
    /// client timeout was shorter than the region's liveness bound (3.25 s). The swarm now holds transactions to
    /// that bound; this checks that seed 11 passes and that the one transaction is slow, not lost.
    @Test func equivocatorSlowsButLosesNothing() throws {
        let scenario = try SwarmScenario.draw(seed: 11)
        let outcome = try withTemporaryDirectory { SwarmRun.run(scenario, storeDirectory: $0) }
        #expect(outcome.verdict == .passed, "\(outcome.detail)")
    }

    @Test(arguments: shortSwarm)
    func shortSwarmWithinF(seed: UInt64) throws {
        let scenario = try SwarmScenario.draw(seed: seed)
        let outcome = try withTemporaryDirectory { SwarmRun.run(scenario, storeDirectory: $0) }
        #expect(
            outcome.verdict == .passed,
            "seed \(seed) [\(outcome.verdict.rawValue)]: \(outcome.detail) -- \(scenario.summary) -- rerun: \(scenario.reproduceCommand())"
        )
        #expect(outcome.committedBlocks > 0)
    }

    /// Seeds that found real bugs. 100: a region (4 validators, 0.4 % intra-region loss, partitions) stalled for good
    /// split across rounds 26 and 27 with two validators in each: the two ahead had left round 26 by a timeout
    /// certificate the other two never received, and a replica did not join a later round's timeouts, so neither
    /// round reached a quorum (fixed in `Replica.collectTimeout`: f+1 timeouts for a later round pull a replica in).
    /// 3786: one client transaction's gossip was lost to both honest peers of r1 (0.9 % loss per frame), so only its
    /// gateway r1/v2 and the equivocating leader r1/v0 held it; r1/v2 lagged and had left the leader reputation set,
    /// and the equivocator put the transaction in the fork that lost every time, so it never committed (fixed in
    /// `RegionNode`: a gateway gossips its own transactions again while it holds them, `LostGossipTests`).
    /// 2324: r3 had one validator crashed for good, so every certificate needed all three others; r3/v0 formed the
    /// TC for round 31 but its own round-31 timeout was lost to both others, which then sat in round 31 one timeout
    /// short while r3/v0 waited in round 32 alone, where f+1 cannot be reached (fixed in `Replica.sendTimeout`: a
    /// timeout carries the certificate that took its sender into the round).
    /// 5587: r0's v0 crashed for good; r0/v1 missed one timeout of round 42 and stayed there while the others left by
    /// a TC, so round 43, which r0/v1 led, was lost as well, and with the dead v0 still collecting votes the region
    /// recovered 0.44 s past its bound (fixed in `Replica.onTimeout`: a validator answers a timeout for a round it left
    /// with its own timeout for that round, once).
    /// 2206: r0 (7 validators) lost v4 and v0 just after both had voted for the last certified block, so leader
    /// reputation kept electing leaders and vote collectors among those 5 voters, 2 of them dead, and with every
    /// quorum needing all 5 live validators (and one proposal lost on a 0.7 % link) the region committed nothing
    /// from 0.85 s to 7.1 s, past its 4.1 s bound (fixed in `Replica.leader`: plain round-robin after more than
    /// two failed rounds, reputation again from the first certificate of consecutive rounds; r0 commits at 3.09 s).
    /// 271 passed before that fix and failed with round-robin from the first failed round (70 of 704 transactions
    /// offered after the heal timed out, with 2 equivocating leaders and 10-17 % loss): a guard on the threshold.
    /// 1464: r1 (4 validators, v2 crashed for good) lost rounds 7 and 8 because r1/v0, two blocks behind, asked
    /// only the dead v2 for them and could not vote until it asked again a round timeout later; then round-robin gave
    /// rounds 9 and 10 to v2 (fixed in `Replica.requestSync`: a replica a few blocks behind asks f+1 voters at once).
    /// 616: r1 (7 validators, v0 and v6 dead) extended a QC across one failed round and then failed two more, so
    /// neither gap alone passed the threshold and that QC's voters, both dead among them, kept electing leaders and
    /// collectors until round 25 (fixed in `Replica.leader`: failed rounds count from the parent's QC; r1 commits
    /// again at 2.33 s instead of 6.45 s, bound 6.26 s).
    /// 3352: r0 (4 validators, v1 dead from 1.189 s) lost rounds 65-69 because the collector of round 64 lost the
    /// proposal and sync answers stopped below it (fixed in `Replica.answerSync` and `onSyncResponse`; r0 now
    /// commits again at 2.04 s instead of 4.78 s, bound 4.64 s).
    /// 8924 (traced) and 9037: r0 (4 validators, one dead for good) lost four rounds after the heal, the dead
    /// validator failing the round it collected and then, after the timeout, the round it led (fixed in
    /// `Replica.leader`: a round after a timeout takes the next place in the rotation; 8924 commits again at
    /// 3.44 s instead of 7.64 s, bound 6.68 s; 9037 at 2.29 s instead of 5.55 s, bound 5.33 s).
    @Test(arguments: [UInt64(100), 271, 616, 1464, 2206, 2324, 3352, 3786, 5587, 8924, 9037])
    func regressionSeeds(seed: UInt64) throws {
        let scenario = try SwarmScenario.draw(seed: seed)
        let outcome = try withTemporaryDirectory { SwarmRun.run(scenario, storeDirectory: $0) }
        #expect(outcome.verdict == .passed, "seed \(seed) [\(outcome.verdict.rawValue)]: \(outcome.detail)")
    }

    @Test(arguments: Array(UInt64(1)...3))
    func shortSwarmBeyondF(seed: UInt64) throws {
        let scenario = try SwarmScenario.draw(seed: seed, beyondF: true)
        let outcome = try withTemporaryDirectory { SwarmRun.run(scenario, storeDirectory: $0) }
        #expect(outcome.verdict == .passed, "seed \(seed) [\(outcome.verdict.rawValue)]: \(outcome.detail)")
    }

    /// The liveness check is not vacuous: with a bound no region can meet, it reports the region.
    @Test func livenessCheckCanFail() throws {
        var scenario = try SwarmScenario.draw(seed: 3)
        for region in scenario.livenessBoundSeconds.keys { scenario.livenessBoundSeconds[region] = 1e-6 }
        let outcome = try withTemporaryDirectory { SwarmRun.run(scenario, storeDirectory: $0) }
        #expect(outcome.verdict == .liveness, "\(outcome.detail)")
        #expect(outcome.detail.contains("committed again"))
    }

    @Test func unknownGeneratorVersionIsRefused() {
        #expect(throws: SwarmError.self) { try SwarmScenario.draw(seed: 1, generatorVersion: 99) }
    }
}

import Foundation
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridRegion
import GridStorage
import Testing

/// One committed checkpoint as a member's runtime sees it.
struct RecordedCommit {
    let block: ProposedBlock<CheckpointPayload>
    let certificate: QuorumCertificate
    let output: CheckpointOutput
}

extension Committee {
    /// `run(proposals:)`, keeping every member's committed blocks and certificates (what the runtime persists), and
    /// serving block sync from `chains` (each member's committed blocks by height, extended as it commits). Members
    /// also get `.poolGrew`, so a second run starts without the first run's propose timers.
    mutating func runRecording(
        proposals rounds: Int, chains: inout [[UInt64: ProposedBlock<CheckpointPayload>]]
    ) -> [[RecordedCommit]] {
        var commits: [[RecordedCommit]] = Array(repeating: [], count: 4)
        var queue: [(to: Int, event: ReplicaEvent<CheckpointPayload>)] =
            (0..<4).map { ($0, .start) } + (0..<4).map { ($0, .poolGrew) }
        var proposals = 0
        var proposeTimers: [(Int, UInt64)] = []
        var kicks = 0
        var roundTimers: [Int: UInt64] = [:]
        func perform(_ actions: [ReplicaAction<GlobalApplication>], from member: Int) -> [ReplicaAction<
            GlobalApplication
        >] {
            var followUps: [ReplicaAction<GlobalApplication>] = []
            for action in actions {
                switch action {
                case .send(let peer, let message): queue.append((peer, .message(from: member, message)))
                case .broadcast(let message):
                    if case .proposal = message { proposals += 1 }
                    for peer in 0..<4 where peer != member { queue.append((peer, .message(from: member, message))) }
                case .setTimer(.propose(let round), _): proposeTimers.append((member, round))
                case .committed(let block, let certificate, let output):
                    commits[member].append(RecordedCommit(block: block, certificate: certificate, output: output))
                    chains[member][block.height] = block
                case .rejected(_, let rejection): rejections.append(rejection.code)
                case .loadCommittedBlocks(let peer, let fromHeight, let count):
                    var blocks: [ProposedBlock<CheckpointPayload>] = []
                    var height = fromHeight
                    while blocks.count < count, let block = chains[member][height] {
                        blocks.append(block)
                        height += 1
                    }
                    followUps += members[member].answerSync(peer: peer, committed: blocks)
                case .setTimer(.round(let round), _): roundTimers[member] = round
                case .persistSafety: break
                }
            }
            return followUps
        }
        while proposals < rounds {
            while !queue.isEmpty {
                let (to, event) = queue.removeFirst()
                var work = Work()
                var actions = members[to].handle(event, work: &work)
                while !actions.isEmpty { actions = perform(actions, from: to) }
            }
            if proposeTimers.isEmpty {
                // Idle with work pending (a member rejoined after its peers' timers fired): nudge everyone.
                // If that does not help, let the latest round timers expire (a view change).
                guard kicks < 8, members.contains(where: { $0.pool.pendingWork > .none }) else { break }
                kicks += 1
                queue += (0..<4).map { ($0, .poolGrew) }
                if kicks > 1 { queue += roundTimers.map { ($0.key, .timer(.round($0.value))) } }
                continue
            }
            let (member, round) = proposeTimers.removeFirst()
            queue.append((member, .timer(.propose(round))))
        }
        return commits
    }
}

/// A temporary store directory, removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-store-\(UUID().uuidString)")
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Three regions exchanging messages, finalized by a four-member committee, with member 0's commits.
struct CommitteeRun {
    var regions = (0..<3).map { RegionFixture(region: RegionID($0)) }
    let configuration: GlobalConfiguration
    var committee: Committee
    var commits: [RecordedCommit] = []
    /// Every member's committed checkpoints by height (what its store would serve to block sync).
    var chains: [[UInt64: ProposedBlock<CheckpointPayload>]]
    let genesisState: GlobalState
    let genesisStateRoot: Hash256

    init(heights: Int = 3) {
        configuration = GlobalConfiguration(
            chainID: RegionFixture.chainID, regions: regions.map(\.genesis),
            limits: CheckpointLimits(entriesMax: 4))
        committee = Committee(configuration: configuration)
        let fresh = GlobalApplication(configuration: configuration, verifier: DirectSignatureVerifier())
        genesisState = fresh.committedState
        genesisStateRoot = fresh.committedStateRoot
        chains = Array(repeating: [0: committee.genesis], count: 4)
        submit(heights: heights)
        commits = committee.runRecording(proposals: 10, chains: &chains)[0]
    }

    mutating func submit(heights: Int) {
        for _ in 0..<heights {
            for index in regions.indices {
                let height = regions[index].tip.height + 1
                let entry = regions[index].next(outbox: [
                    message(to: RegionID((index + 1) % 3), "r\(index)h\(height)"),
                    message(to: RegionID((index + 2) % 3), "r\(index)h\(height)b"),
                ])
                _ = committee.submit(entry)
            }
        }
    }

    /// Genesis, then every commit of member 0.
    func store(into store: CheckpointStore) throws {
        try store.commit(
            block: committee.genesis, certificate: nil, state: genesisState, stateRoot: genesisStateRoot)
        for commit in commits {
            try store.commit(
                block: commit.block, certificate: commit.certificate, state: commit.output.state,
                stateRoot: commit.output.stateRoot)
        }
    }
}

private let storeOptions = Environment.Options(mapSizeBytes: 1 << 20, durability: .noSync)

@Suite struct CheckpointStoreTests {
    @Test func committedCheckpointsSurviveReopening() throws {
        let run = CommitteeRun()
        #expect(run.committee.rejections.isEmpty)
        try #require(run.commits.count >= 3)
        #expect(run.commits.flatMap(\.output.finalized).count == 9)
        let directory = TemporaryDirectory()

        var store = try CheckpointStore(directory: directory.url, options: storeOptions)
        #expect(try store.latestHeight == nil)
        #expect(try store.latestState() == nil)
        #expect(try store.restartPoint() == nil)
        try run.store(into: store)
        let safety = SafetyState(lastVotedRound: 42, highQC: run.commits.last!.certificate)
        try store.putMeta("safety", safety.encoded())
        store.close()

        store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        let last = run.commits.last!
        let app = run.committee.members[0].app
        #expect(try store.latestHeight == last.block.height)
        #expect(last.block.height == app.committedCheckpointHeight)
        #expect(try store.block(atHeight: 0) == run.committee.genesis)
        #expect(try store.certificate(atHeight: 0) == nil)
        for commit in run.commits {
            #expect(try store.block(atHeight: commit.block.height) == commit.block)
            #expect(try store.certificate(atHeight: commit.block.height) == commit.certificate)
        }
        #expect(try store.block(atHeight: last.block.height + 1) == nil)
        let (state, stateRoot) = try #require(try store.latestState())
        #expect(state == app.committedState)
        #expect(stateRoot == app.committedStateRoot)
        #expect(stateRoot == last.block.header.stateRoot)
        #expect(!state.nextPairSequence.isEmpty)

        let restart = try #require(try store.restartPoint())
        #expect(restart.tip == last.block)
        #expect(restart.certificate == last.certificate)
        #expect(restart.state == app.committedState)
        #expect(restart.stateRoot == app.committedStateRoot)
        #expect(restart.safety == safety)
        #expect(try store.meta("safety") == safety.encoded())
        #expect(try store.meta("absent") == nil)

        // Block sync reads consecutive checkpoints, stopping at the stored tip.
        let synced = try store.blocks(fromHeight: 1, count: 1000)
        #expect(synced == run.commits.map(\.block))
        #expect(try store.blocks(fromHeight: 2, count: 1) == [run.commits[1].block])
        let genesisCertificate = QuorumCertificate.genesis(
            chainID: RegionFixture.chainID, region: Committee.region, genesisHash: run.committee.genesis.hash)
        #expect(try store.block(atHeight: 1, genesisCertificate: genesisCertificate) == run.commits[0].block)
    }

    /// The state after every checkpoint is kept by height (what a member re-executes an old checkpoint from to
    /// serve a region that was away long), each checked against its checkpoint's state root.
    @Test func theStateAfterEachCheckpointIsKeptByHeight() throws {
        let run = CommitteeRun()
        try #require(run.commits.count >= 3)
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        try run.store(into: store)
        #expect(try store.state(atHeight: 0) == run.genesisState)
        var parentRoot = run.genesisStateRoot
        for commit in run.commits {
            let state = try #require(try store.state(atHeight: commit.block.height))
            #expect(state == commit.output.state)
            #expect(state.root(after: parentRoot) == commit.block.header.stateRoot)
            parentRoot = commit.block.header.stateRoot
        }
        #expect(try store.state(atHeight: run.commits.last!.block.height + 1) == nil)
        // Re-executing a stored checkpoint from the stored state before it numbers its messages as the committee did.
        let commit = run.commits[1]
        let before = try #require(try store.state(atHeight: commit.block.height - 1))
        var app = GlobalApplication(
            configuration: run.configuration, verifier: DirectSignatureVerifier(), restoring: before,
            stateRoot: run.commits[0].block.header.stateRoot, checkpointHeight: commit.block.height - 1)
        var work = Work()
        let execution = try app.execute(
            payload: commit.block.payload, height: commit.block.height, ancestors: [], itemsChecked: nil, work: &work
        ).get()
        let output = app.commit(block: commit.block, execution: execution, certificate: commit.certificate, work: &work)
        #expect(output == commit.output)
    }

    @Test func writeStatisticsCountCheckpointCommits() throws {
        let run = CommitteeRun()
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        let start = store.writeStatistics
        try run.store(into: store)
        let after = store.writeStatistics
        // Genesis and one transaction per checkpoint; the store runs without sync.
        #expect(after.commits - start.commits == UInt64(run.commits.count + 1))
        #expect(after.syncs == 0)
        #if os(Linux)
            #expect(try #require(after.bytesWritten) > (try #require(start.bytesWritten)))
        #endif
    }

    @Test func aGenesisOnlyStoreRestartsFromTheGenesisCertificate() throws {
        let run = CommitteeRun(heights: 0)
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        try store.commitGenesis(block: run.committee.genesis, state: run.genesisState)
        let restart = try #require(try store.restartPoint())
        #expect(restart.tip == run.committee.genesis)
        #expect(
            restart.certificate
                == .genesis(
                    chainID: RegionFixture.chainID, region: Committee.region, genesisHash: run.committee.genesis.hash))
        #expect(restart.state == run.genesisState)
        #expect(restart.safety == nil)
    }

    @Test func aRestoredApplicationMakesTheSameNextCheckpointAsOneThatNeverStopped() throws {
        var run = CommitteeRun()
        let directory = TemporaryDirectory()
        do {
            let store = try CheckpointStore(directory: directory.url, options: storeOptions)
            try run.store(into: store)
            store.close()
        }
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        let (state, stateRoot) = try #require(try store.latestState())
        let height = try #require(try store.latestHeight)
        var restored = StandaloneMember(
            GlobalApplication(
                configuration: run.configuration, verifier: DirectSignatureVerifier(), restoring: state,
                stateRoot: stateRoot, checkpointHeight: height))
        var continuing = StandaloneMember(run.committee.members[0].app)
        continuing.pool = run.committee.members[0].pool
        #expect(restored.committedState == continuing.committedState)
        #expect(restored.committedStateRoot == continuing.committedStateRoot)
        #expect(restored.committedCheckpointHeight == continuing.committedCheckpointHeight)
        for region in RegionID(0)..<3 {
            #expect(restored.finalizedTip(of: region) == continuing.finalizedTip(of: region))
            #expect(restored.pendingCount(of: region) == 0)
        }

        // Regions send their next blocks (with messages) to both.
        var entries: [RegionCommitEntry] = []
        for _ in 0..<2 {
            for index in run.regions.indices {
                entries.append(
                    run.regions[index].next(outbox: [
                        message(to: RegionID((index + 1) % 3), "after restart \(index)"),
                        message(to: RegionID((index + 2) % 3), "after restart \(index) b"),
                    ]))
            }
        }
        var work = Work()
        for entry in entries {
            #expect(restored.submit(entry, work: &work) == .accepted(released: 0, discarded: []))
            #expect(continuing.submit(entry, work: &work) == .accepted(released: 0, discarded: []))
        }
        // Two checkpoints: the second executes on top of the first, uncommitted, then both commit.
        var restoredExecutions: [CheckpointExecution] = []
        var continuingExecutions: [CheckpointExecution] = []
        var ancestors: [ProposedBlock<CheckpointPayload>] = []
        for offset in UInt64(1)...2 {
            let payload = restored.makePayload(ancestors: ancestors, work: &work)
            #expect(payload == continuing.makePayload(ancestors: ancestors, work: &work))
            #expect(!payload.entries.isEmpty)
            let restoredExecution = try restored.execute(
                payload: payload, height: height + offset, ancestors: restoredExecutions, work: &work
            ).get()
            let continuingExecution = try continuing.execute(
                payload: payload, height: height + offset, ancestors: continuingExecutions, work: &work
            ).get()
            #expect(restored.roots(of: restoredExecution) == continuing.roots(of: continuingExecution))
            #expect(restoredExecution.messages == continuingExecution.messages)
            restoredExecutions.insert(restoredExecution, at: 0)
            continuingExecutions.insert(continuingExecution, at: 0)
            let roots = restored.roots(of: restoredExecution)
            let header = BlockHeader(
                chainID: RegionFixture.chainID, region: Committee.region, height: height + offset,
                view: 100 + offset, parentHash: ancestors.first?.hash ?? run.commits.last!.block.hash,
                transactionsRoot: roots.transactionsRoot, stateRoot: roots.stateRoot,
                receiptsRoot: roots.receiptsRoot, outboxRoot: roots.outboxRoot,
                proposer: run.committee.keys[0].publicKey)
            ancestors.insert(
                ProposedBlock(header: header, payload: payload, justify: run.commits.last!.certificate), at: 0)
        }
        for (block, (restoredExecution, continuingExecution)) in zip(
            ancestors.reversed(), zip(restoredExecutions.reversed(), continuingExecutions.reversed()))
        {
            let certificate = QuorumCertificate(
                data: VoteData(
                    chainID: block.header.chainID, region: block.header.region, height: block.height,
                    view: block.round, blockHash: block.hash), votes: [])
            let restoredOutput = restored.commit(
                block: block, execution: restoredExecution, certificate: certificate, work: &work)
            let continuingOutput = continuing.commit(
                block: block, execution: continuingExecution, certificate: certificate, work: &work)
            #expect(restoredOutput == continuingOutput)
            // And the restarted member can keep persisting.
            try store.commit(
                block: block, certificate: certificate, state: restoredOutput.state,
                stateRoot: restoredOutput.stateRoot)
        }
        #expect(restored.committedState == continuing.committedState)
        #expect(restored.committedStateRoot == continuing.committedStateRoot)
        #expect(try store.latestState()?.state == continuing.committedState)
        for region in RegionID(0)..<3 { #expect(restored.finalizedTip(of: region)?.height == 5) }
    }

    @Test func aReplicaRestartedFromTheStoreKeepsCommittingWithTheCommittee() throws {
        var run = CommitteeRun()
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        try run.store(into: store)
        let restart = try #require(try store.restartPoint())

        // Member 0 crashes and comes back from its store.
        let app = GlobalApplication(
            configuration: run.configuration, verifier: DirectSignatureVerifier(), restoring: restart.state,
            stateRoot: restart.stateRoot, checkpointHeight: restart.tip.height)
        let configuration = ReplicaConfiguration(
            chainID: RegionFixture.chainID, region: Committee.region, validators: run.committee.validators,
            selfIndex: 0, timing: ConsensusTiming(), genesisHash: run.committee.genesis.hash)
        run.committee.members[0] = TestMember(
            Replica(
                configuration: configuration, key: run.committee.keys[0], app: app,
                verifier: DirectSignatureVerifier(), committedTip: restart.tip, certificate: restart.certificate,
                safety: restart.safety))
        let restartHeight = restart.tip.height

        run.submit(heights: 2)
        // Its chain is what its store holds.
        run.chains[0] = Dictionary(
            uniqueKeysWithValues: try store.blocks(fromHeight: 0, count: 1000).map { ($0.height, $0) })
        let commits = run.committee.runRecording(proposals: 10, chains: &run.chains)
        #expect(run.committee.rejections.isEmpty)
        let restartedCommits = commits[0]
        try #require(!restartedCommits.isEmpty)
        for commit in restartedCommits {
            try store.commit(
                block: commit.block, certificate: commit.certificate, state: commit.output.state,
                stateRoot: commit.output.stateRoot)
        }
        // The restarted member committed the same checkpoints as a member that never stopped.
        let reference = commits[1].filter { $0.block.height > restartHeight }
        let common = min(reference.count, restartedCommits.count)
        try #require(common >= 1)
        #expect(restartedCommits.prefix(common).map(\.block) == reference.prefix(common).map(\.block))
        #expect(restartedCommits.prefix(common).map(\.output) == reference.prefix(common).map(\.output))
        let finalized = run.committee.members[0].app
        for region in RegionID(0)..<3 { #expect(finalized.finalizedTip(of: region)?.height == 5) }
        #expect(try store.latestState()?.state == finalized.committedState)
    }

    @Test func commitsThatDoNotExtendTheStoredChainAreRefusedAndWriteNothing() throws {
        let run = CommitteeRun()
        try #require(run.commits.count >= 3)
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        let first = run.commits[0]
        let second = run.commits[1]
        let third = run.commits[2]

        // Nothing but genesis may come first.
        expectRefusal(store, first, code: "notNextCheckpoint")
        try store.commit(
            block: run.committee.genesis, certificate: nil, state: run.genesisState, stateRoot: run.genesisStateRoot)
        try commit(store, first)
        let before = try snapshot(store)

        // A gap, a repeat, and a repeat of genesis.
        expectRefusal(store, third, code: "notNextCheckpoint")
        expectRefusal(store, first, code: "notNextCheckpoint")
        #expect(throws: CheckpointStoreError.self) {
            try store.commit(
                block: run.committee.genesis, certificate: nil, state: run.genesisState,
                stateRoot: run.genesisStateRoot)
        }
        // The next height, but on another parent (roots and certificate re-made to match, so only the link fails).
        var header = second.block.header
        header.parentHash = Hash256.blake2b([1, 2, 3])
        let forked = ProposedBlock(header: header, payload: second.block.payload, justify: second.block.justify)
        let forkedCertificate = certificate(for: forked)
        expectRefusal(
            store, RecordedCommit(block: forked, certificate: forkedCertificate, output: second.output),
            code: "parentMismatch")
        // A certificate for another block, and none at all.
        expectRefusal(
            store, RecordedCommit(block: second.block, certificate: first.certificate, output: second.output),
            code: "certificateMismatch")
        let missing = #expect(throws: CheckpointStoreError.self) {
            try store.commit(
                block: second.block, certificate: nil, state: second.output.state, stateRoot: second.output.stateRoot)
        }
        #expect(missing.map(kind) == "certificateMismatch")
        // A state that is not the one the header's root pins, and a root that is not the header's.
        let wrongState = #expect(throws: CheckpointStoreError.self) {
            try store.commit(
                block: second.block, certificate: second.certificate, state: run.genesisState,
                stateRoot: second.output.stateRoot)
        }
        #expect(wrongState.map(kind) == "stateMismatch")
        let wrongRoot = #expect(throws: CheckpointStoreError.self) {
            try store.commit(
                block: second.block, certificate: second.certificate, state: second.output.state,
                stateRoot: first.output.stateRoot)
        }
        #expect(wrongRoot.map(kind) == "stateMismatch")
        // A region block is not a checkpoint.
        var regionHeader = second.block.header
        regionHeader.region = 0
        let regionBlock = ProposedBlock(header: regionHeader, payload: second.block.payload, justify: first.certificate)
        expectRefusal(
            store,
            RecordedCommit(block: regionBlock, certificate: certificate(for: regionBlock), output: second.output),
            code: "notAGlobalCheckpoint")

        #expect(try snapshot(store) == before)
        // The real next checkpoint still goes in.
        try commit(store, second)
        #expect(try store.latestHeight == second.block.height)
        #expect(try store.latestState()?.state == second.output.state)
    }

    @Test func damagedStoredDataIsReportedWithPathAndHeight() throws {
        let run = CommitteeRun()
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url, options: storeOptions)
        defer { store.close() }
        try run.store(into: store)
        let last = run.commits.last!.block.height
        let states = try store.environment.database(named: "states")
        try store.environment.write { txn in try txn.put(Array("latest".utf8), [1, 2, 3], in: states) }
        let damagedState = #expect(throws: CheckpointStoreError.self) { try store.latestState() }
        guard case .corrupt(let path, let height, _) = damagedState else {
            Issue.record("expected a corrupt-store error, got \(String(describing: damagedState))")
            return
        }
        #expect(path == directory.url.path && height == last)
        let checkpoints = try store.environment.database(named: "checkpoints")
        try store.environment.write { txn in
            try txn.put(withUnsafeBytes(of: UInt64(1).bigEndian) { Array($0) }, [1, 0], in: checkpoints)
        }
        let damagedBlock = #expect(throws: CheckpointStoreError.self) { try store.block(atHeight: 1) }
        guard case .corrupt(_, let blockHeight, let reason) = damagedBlock else {
            Issue.record("expected a corrupt-store error, got \(String(describing: damagedBlock))")
            return
        }
        #expect(blockHeight == 1 && reason.contains("checkpoint.header"))
        #expect(throws: CheckpointStoreError.self) { try store.putMeta("", [1]) }
    }

    @Test func globalStateEncodingRoundTripsAndSurvivesHostileBytes() throws {
        let run = CommitteeRun()
        let state = run.committee.members[0].app.committedState
        let bytes = state.encoded()
        #expect(bytes.count == state.encodedBytes)
        #expect(try GlobalState(decoding: bytes) == state)
        #expect(try GlobalState(decoding: run.genesisState.encoded()) == run.genesisState)
        // Canonical: a state built in another insertion order encodes identically.
        let shuffled = GlobalState(
            tips: Dictionary(uniqueKeysWithValues: state.tips.reversed()),
            nextDestinationSequence: Dictionary(uniqueKeysWithValues: state.nextDestinationSequence.reversed()),
            nextPairSequence: Dictionary(uniqueKeysWithValues: state.nextPairSequence.reversed()))
        #expect(shuffled.encoded() == bytes)

        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try GlobalState(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try GlobalState(decoding: bytes + [0]) }

        // Random bytes and single-byte corruptions never crash; whatever decodes re-encodes to the same bytes.
        var random = SplitMix64(seed: 0x5eed)
        for round in 0..<4000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int(random.next() % 96)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if !input.isEmpty, round % 4 == 0 { input[0] = GlobalState.encodingVersion }
            } else {
                input = bytes
                input[Int(random.next() % UInt64(input.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            if let decoded = try? GlobalState(decoding: input) { #expect(decoded.encoded() == input) }
        }

        // Hostile values, refused with the field named.
        func field(_ input: [UInt8]) -> String? {
            do {
                _ = try GlobalState(decoding: input)
                return nil
            } catch { return error.field }
        }
        var writer = ByteWriter()
        writer.write(GlobalState.encodingVersion)
        writer.write(UInt32.max)
        #expect(field(writer.bytes) == "globalState.tips.count")
        #expect(field([2] + bytes.dropFirst()) == "globalState.version")
        // Tips out of order.
        let tipBytes = 2 + 8 + 32
        var swapped = bytes
        swapped.replaceSubrange(
            5..<(5 + 2 * tipBytes), with: bytes[(5 + tipBytes)..<(5 + 2 * tipBytes)] + bytes[5..<(5 + tipBytes)])
        #expect(field(swapped) == "globalState.tips[1].region")
        // A destination counter that is not the sum of its pair counters.
        let destinationsStart = 5 + state.tips.count * tipBytes + 4
        var inflated = bytes
        inflated[destinationsStart + 2 + 7] &+= 1
        #expect(field(inflated) == "globalState.destinations")
        // A counter of a region that has no tip.
        let strayState = GlobalState(
            tips: state.tips,
            nextDestinationSequence: state.nextDestinationSequence.filter { $0.key != 2 }.merging([9: 1]) { $1 },
            nextPairSequence: state.nextPairSequence)
        #expect(field(strayState.encoded()) == "globalState.destinations[2].region")
    }

    // MARK: - Helpers

    private func commit(_ store: CheckpointStore, _ commit: RecordedCommit) throws {
        try store.commit(
            block: commit.block, certificate: commit.certificate, state: commit.output.state,
            stateRoot: commit.output.stateRoot)
    }

    private func expectRefusal(
        _ store: CheckpointStore, _ commit: RecordedCommit, code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: CheckpointStoreError.self, sourceLocation: sourceLocation) {
            try self.commit(store, commit)
        }
        #expect(error.map(kind) == code, sourceLocation: sourceLocation)
    }

    private func certificate(for block: ProposedBlock<CheckpointPayload>) -> QuorumCertificate {
        QuorumCertificate(
            data: VoteData(
                chainID: block.header.chainID, region: block.header.region, height: block.height, view: block.round,
                blockHash: block.hash), votes: [])
    }

    /// Every table's entry count and the latest state: what a refused commit must leave untouched.
    private func snapshot(_ store: CheckpointStore) throws -> [String] {
        let counts = try store.environment.stats().entryCounts.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value)"
        }
        return counts + [
            "\(try store.latestHeight.map(String.init) ?? "-")", "\(try store.latestState()?.stateRoot as Any)",
        ]
    }
}

private func kind(_ error: any Error) -> String {
    guard let error = error as? CheckpointStoreError else { return "\(type(of: error))" }
    switch error {
    case .storage: return "storage"
    case .notNextCheckpoint: return "notNextCheckpoint"
    case .parentMismatch: return "parentMismatch"
    case .notAGlobalCheckpoint: return "notAGlobalCheckpoint"
    case .certificateMismatch: return "certificateMismatch"
    case .stateMismatch: return "stateMismatch"
    case .corrupt: return "corrupt"
    }
}

/// A small deterministic generator for the hostile-bytes rounds.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

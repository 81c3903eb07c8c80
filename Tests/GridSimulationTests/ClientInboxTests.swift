import Foundation
import GridCrypto
import GridLoad
import Testing

@testable import GridSimulation

/// A simulated validator answers a client "busy" once a block's worth of client transactions is queued, as a live
/// node does (`LiveNodeOptions.clientInboxEventsMax`), instead of queueing it until its client gives up.
@Suite struct ClientInboxTests {
    @Test func theMachineBoundsQueuedClientsApartFromPeerInputs() {
        let machine = SimulatedMachine(
            label: "r0/v0", address: .validator(region: 0, index: 0), networkIndex: 0, location: 0,
            key: KeyPair.derived(masterSeed: 1, label: "client-inbox"), cores: 1, durable: false, inboxCapacity: 100,
            clientInboxMax: 2)
        #expect(machine.queue(.client(0), urgent: false, atNanos: 0))
        #expect(machine.queue(.client(1), urgent: false, atNanos: 0))
        #expect(!machine.queue(.client(2), urgent: false, atNanos: 0))
        // Peer inputs still have the rest of the inbox.
        #expect(machine.queue(.node(.start), urgent: false, atNanos: 0))
        #expect(machine.metrics.inboxOverflows == 1)
        // Taking a client off the queue frees its place.
        guard case .client(0) = machine.popInput() else {
            Issue.record("first in, first out")
            return
        }
        #expect(machine.queuedClients == 1)
        #expect(machine.queue(.client(3), urgent: false, atNanos: 0))
        machine.dropQueuedWork()
        #expect(machine.queuedClients == 0 && machine.inboxCount == 0)
    }

    static func run(clientInboxEventsMax: Int?) throws -> RunResult {
        // One shared core and verification ten times dearer: the region commits a few hundred transactions a
        // second and is offered 2,000, so client transactions pile up at every gateway.
        let topology = try testTopology(tps: 2_000, durationSeconds: 1, warmupSeconds: 0.5)
        return try withTemporaryDirectory { directory in
            var options = SimulationOptions(topology: topology, storeDirectory: directory)
            options.hostCores = 1
            options.profile.signatureVerifyNanos *= 10
            options.clientInboxEventsMax = clientInboxEventsMax
            let report = try Simulation(options: options).run()
            return try report.runResult(topology: topology, topologyFile: "test.yaml", cpuMode: .model, wallClock: nil)
        }
    }

    @Test func anOverloadedGatewayAnswersBusyPastItsClientQueue() throws {
        let bounded = try Self.run(clientInboxEventsMax: 50)
        let unbounded = try Self.run(clientInboxEventsMax: 1_000_000)
        for result in [bounded, unbounded] {
            let counts = result.counts
            #expect(counts.offered == counts.committed + counts.rejected + counts.dropped + counts.timedOut)
        }
        #expect(bounded.counts.dropped > 0, "\(bounded.counts)")
        #expect(bounded.nodes.map(\.inboxOverflows).reduce(0, +) > 0)
        #expect(unbounded.counts.dropped == 0, "\(unbounded.counts)")
        // Refusing early keeps the queue, and so the wait of what is taken, short.
        #expect(bounded.nodes.map(\.queuePeak).max()! < unbounded.nodes.map(\.queuePeak).max()!)
    }
}

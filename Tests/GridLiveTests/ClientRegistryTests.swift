import NIOCore
import NIOEmbedded
import Testing

@testable import GridLive

/// The gateway's routes back to its clients: a committed submission keeps its route, in a bound of its own, until
/// its finality notice; past the bound the oldest route goes (the caller counts it); a closed connection takes its
/// routes with it.
struct ClientRegistryTests {
    @Test func committedRoutesWaitForFinalityInTheirOwnBound() throws {
        let registry = ClientRegistry(pendingRepliesMax: 10, finalityNotices: true, finalityRoutesLimit: 2)
        let connection = registry.connect(EmbeddedChannel())
        let ids = try (0..<4).map { try #require(registry.register(connection, clientRequestID: UInt64(100 + $0))) }
        #expect(registry.pendingCount == 4)
        // Two commit: their routes move out of the pending bound.
        #expect(registry.keepForFinality(ids[0]).evicted == false)
        #expect(registry.keepForFinality(ids[1]).evicted == false)
        #expect(registry.pendingCount == 2 && registry.awaitingFinalityCount == 2)
        // A third: the oldest waiting route goes.
        let third = registry.keepForFinality(ids[2])
        #expect(third.pending?.clientRequestID == 102 && third.evicted)
        #expect(registry.take(ids[0]) == nil, "the evicted route is gone")
        #expect(registry.take(ids[1])?.clientRequestID == 101)
        #expect(registry.awaitingFinalityCount == 1)
        // A route that was never kept cannot be kept twice; the connection's close removes the rest.
        #expect(registry.keepForFinality(ids[1]).pending == nil)
        registry.disconnected(connection)
        #expect(registry.pendingCount == 0 && registry.awaitingFinalityCount == 0)
    }

    @Test func manyRoutesFinalizedInOrderKeepTheOrderBounded() throws {
        let registry = ClientRegistry(pendingRepliesMax: 100, finalityNotices: true, finalityRoutesLimit: 5)
        let connection = registry.connect(EmbeddedChannel())
        var evictions = 0
        // Rounds 0, 10, ..., 40 are left waiting: 5, the bound, once round 40 committed.
        for round in 0...40 {
            let id = try #require(registry.register(connection, clientRequestID: UInt64(round)))
            if registry.keepForFinality(id).evicted { evictions += 1 }
            // Most are answered at once; one in ten is left waiting.
            if round % 10 != 0 { #expect(registry.take(id) != nil) }
        }
        #expect(evictions == 0)
        #expect(registry.awaitingFinalityCount == 5)
        // The sixth left waiting evicts the oldest.
        let id = try #require(registry.register(connection, clientRequestID: 999))
        #expect(registry.keepForFinality(id).evicted)
        #expect(registry.awaitingFinalityCount == 5)
    }
}

extension Topology {
    /// The text of `topologies/default.yaml`, built in so that `gridledger run` works from any directory.
    /// `ShippedTopologyTests.embeddedDefaultIsTheShippedFile` checks that it is the same as the file; change both.
    public static let defaultYAML = #"""
        # The default benchmark: one grid region (shard) of 4 validators, so f = 1 Byzantine validator is tolerated,
        # in one data centre on a LAN (sub-millisecond links), each validator on a 2-core machine with the default CPU
        # cost profile. Load generators send plain transfers between 10000 device accounts at a fixed 10000
        # transactions per second: 2 s of warm-up, then a 10 s measured window. No faults.
        #
        # `gridledger run` without a topology uses this file, or a built-in copy of it when run outside the repository
        # (a test keeps the two identical). Schema: Sources/GridTopology/GridTopology.docc.
        schemaVersion: 1
        name: default
        description: "one region of 4 validators on a LAN"
        seed: 1

        machine:
          profile: default
          cores: 2
          durability: sync   # each block commit waits for its flush to disk; nosync: no wait, a crash may lose it

        regions:
          - name: r0
            validators: 4

        network:
          intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
          client: { latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }
          # interRegion and pairs do not matter with a single region.

        consensus:
          blockTransactionsMax: 2000
          blockBytesMax: 2097152
          blockIntervalMillis: 20
          viewTimeoutMillis: 500
          viewTimeoutBackoff: 2.0
          viewTimeoutMaxMillis: 10000

        mempool:
          capacityTransactions: 200000
          transactionBytesMax: 4096
          batchTransactionsMax: 64
          batchIntervalMillis: 2

        workload:
          kind: transfer
          accounts: 10000
          rate:
            controller: fixed
            tps: 10000   # sustained with durable commits (p99 about 0.11 s); 20000 saturates the region (see docs/architecture.md)
          durationSeconds: 10
          warmupSeconds: 2
          timeoutSeconds: 5

        faults: []

        """#
}

import ArgumentParser
import GridLedger

@main
struct GridLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridledger",
        abstract: "A testbed for sharded permissioned ledgers that run smart-grid contracts.",
        discussion: """
            Benchmarks topologies (files in topologies/) in a deterministic simulator that runs the real ledger \
            code (Ed25519 via libsodium, blocks and state in LMDB, BFT consensus per region), or live, with every \
            node its own process on real sockets and disks (run --runtime live; genesis, node and load are its \
            parts).
            """,
        version: GridLedgerVersion.current,
        subcommands: [
            RunCommand.self, GenesisCommand.self, NodeCommand.self, LoadCommand.self, CalibrateCommand.self,
            InspectCommand.self, TopologyCommand.self, GridCommand.self,
            DeployCommand.self, CollectCommand.self,
            ReportCommand.self, CompareCommand.self, StudyCommand.self,
            SwarmCommand.self,
            CapacityCommand.self,
            SweepCommand.self,
        ],
        defaultSubcommand: nil
    )
}

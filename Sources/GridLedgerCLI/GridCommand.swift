import ArgumentParser

/// `gridledger grid ...`: the off-chain grid model (feeders, power flow).
struct GridCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid",
        abstract: "Inspect the off-chain grid model.",
        subcommands: [PowerflowCommand.self]
    )
}

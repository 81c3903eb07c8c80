import ArgumentParser
import GridModel

/// `gridledger grid powerflow`: solves a catalogue feeder at peak load and prints voltages and losses.
struct PowerflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "powerflow",
        abstract: "Solve the power flow of a feeder at peak load and print bus voltages and losses."
    )

    @Option(help: "Feeder to solve. Known feeders: \(FeederCatalog.names.joined(separator: ", ")).")
    var feeder = "ieee33"

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard FeederCatalog.feeder(named: feeder) != nil else {
            throw ValidationError(
                "Unknown feeder '\(feeder)'. Known feeders: \(FeederCatalog.names.joined(separator: ", ")).")
        }
    }

    func run() throws {
        guard let report = try PowerFlowReport.forCatalogFeeder(named: feeder) else {
            throw ValidationError("Unknown feeder '\(feeder)'.")
        }
        print(json ? try report.json() : report.text())
    }
}

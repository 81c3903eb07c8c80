import ArgumentParser
import Foundation
import GridCommunity
import GridContracts

/// `gridledger study ce-sdt`: the CE-SDT community experiment (Wang et al. 2023, Figures 5-10) on the auction
/// contract, with our figures beside the paper's.
struct StudyCeSdtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ce-sdt",
        abstract: "Run the CE-SDT community study (Wang et al. 2023, Figures 5-10) and print ours beside the paper's.",
        discussion: """
            Households (consumers, and prosumers with 5 kW PV and a 5 kWh battery) trade for one November day in \
            Sydney through the auction contract, every bid and settlement a signed transaction. Sweeps the share of \
            generating users (10-70 %) and the community size (15-1,000). Writes DIR/study.json and DIR/study.md.
            """)

    @Option(help: "Directory for study.json and study.md.")
    var out = "results/ce-sdt"

    @Flag(help: "A few users and hourly steps, for tests and smoke runs (seconds).")
    var quick = false

    @Option(help: "Users in the share sweep (default 1000; 20 with --quick).")
    var users: Int?

    @Option(help: "How matched pairs are priced: payAsOffer (the paper's flow), uniformPrice or payAsBid.")
    var clearingRule = "payAsOffer"

    @Option(help: "bid (what is bid is delivered) or metered (You et al.: margins, meter-signed readings).")
    var settlement = "bid"

    @Option(help: "Users in the day replayed on the simulated ledger (default 200; 15 with --quick; 0 skips it).")
    var ledgerUsers: Int?

    @Option(help: "Virtual seconds one settlement interval takes on the simulated ledger.")
    var ledgerIntervalSeconds = 5.0

    func validate() throws {
        if let users, !(2...100_000).contains(users) {
            throw ValidationError("--users must lie in 2...100000, got \(users)")
        }
        if let ledgerUsers, !(0...1000).contains(ledgerUsers) {
            throw ValidationError("--ledger-users must lie in 0...1000, got \(ledgerUsers)")
        }
        guard ledgerIntervalSeconds >= 1, ledgerIntervalSeconds <= 900 else {
            throw ValidationError("--ledger-interval-seconds must lie in 1...900, got \(ledgerIntervalSeconds)")
        }
        guard settlement == "bid" || settlement == "metered" else {
            throw ValidationError("--settlement must be bid or metered, got '\(settlement)'")
        }
        guard Self.rule(named: clearingRule) != nil else {
            throw ValidationError("--clearing-rule must be payAsOffer, uniformPrice or payAsBid, got '\(clearingRule)'")
        }
    }

    static func rule(named name: String) -> EnergyAuctionConfiguration.ClearingRule? {
        switch name {
        case "payAsOffer": .payAsOffer
        case "uniformPrice": .uniformPrice
        case "payAsBid": .payAsBid
        default: nil
        }
    }

    func run() throws {
        var options = quick ? CommunityStudyOptions.quick : CommunityStudyOptions()
        if let users { options.shareSweepHouseholds = users }
        options.clearingRule = Self.rule(named: clearingRule) ?? .payAsOffer
        if settlement == "metered" { options.metering = CommunityMetering() }
        let started = Date()
        var result: CommunityStudyResult
        do {
            result = try CommunityStudy.run(options) { line in
                FileHandle.standardError.write(Data("ce-sdt: \(line)\n".utf8))
            }
        } catch {
            throw ValidationError("ce-sdt study: \(error)")
        }
        let seconds = Date().timeIntervalSince(started)
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let replayUsers = ledgerUsers ?? (quick ? 15 : 200)
        if replayUsers > 0 {
            FileHandle.standardError.write(Data("ce-sdt: replaying \(replayUsers) users on the simulator\n".utf8))
            do {
                result.ledger = try Self.simulateDay(
                    households: replayUsers, share: options.householdSweepShare, options: options,
                    secondsPerInterval: ledgerIntervalSeconds,
                    storeDirectory: directory.appendingPathComponent("stores"))
            } catch {
                throw ValidationError("ce-sdt study, simulator replay: \(error)")
            }
        }
        let refused = result.shares.reduce(0) { $0 + $1.refused.values.reduce(0, +) }
        let note = String(
            format: "Run through the contract harness (admission and execution as in a block, no consensus) in "
                + "%.1f s of wall time: %.0f transactions per second including signing; %d refused.",
            seconds, Double(result.transactionsTotal) / max(seconds, 1e-9), refused)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try result.json().write(to: directory.appendingPathComponent("study.json"))
            try Data(result.markdown(ledgerNote: note).utf8).write(to: directory.appendingPathComponent("study.md"))
        } catch {
            throw ValidationError("cannot write the study to \(directory.path): \(error.localizedDescription)")
        }
        print(result.shareTable())
        print()
        print(result.sizeTable())
        print()
        print(note)
        if let ledger = result.ledger { print(ledger.markdown()) }
        print("wrote \(directory.appendingPathComponent("study.json").path) and study.md")
    }
}

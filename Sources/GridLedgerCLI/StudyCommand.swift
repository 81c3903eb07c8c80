import ArgumentParser

/// The published experiments, each run on GridLedger with the paper's figures printed beside ours.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Reproduce a published experiment on GridLedger and put our figures beside the paper's.",
        subcommands: [StudyCeSdtCommand.self, StudyHonariCommand.self]
    )
}

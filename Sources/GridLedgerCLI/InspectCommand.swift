import ArgumentParser
import Foundation
import GridLedger

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a store's latest height and verify its hash chain and transaction roots.",
        discussion: "Exits with status 1 and names the first bad height if the stored chain does not verify."
    )

    @Argument(help: "A validator's store directory (an LMDB environment written by gridledger).")
    var storeDirectory: String

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: storeDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw ValidationError("STORE_DIR '\(storeDirectory)' is not a directory") }
        guard FileManager.default.fileExists(atPath: storeDirectory + "/data.mdb") else {
            throw ValidationError("STORE_DIR '\(storeDirectory)' holds no LMDB store (no data.mdb)")
        }
    }

    func run() throws {
        let store = try ChainStore(directory: URL(fileURLWithPath: storeDirectory))
        defer { store.close() }
        guard let latest = try store.latestHeight else {
            print("\(storeDirectory): empty store (no blocks)")
            return
        }
        let tip = try store.block(atHeight: latest)
        print("store:          \(storeDirectory)")
        print("latest height:  \(latest)")
        if let tip {
            print("region:         \(tip.header.region)")
            print("tip hash:       \(tip.hash.hex)")
            print("state root:     \(tip.header.stateRoot.hex)")
        }
        if let failure = try store.verifyChain() {
            print("chain:          BAD at height \(failure.height): \(failure.reason)")
            throw ExitCode.failure
        }
        print("chain:          ok (heights 0...\(latest): parent links, transaction roots, receipt roots, index)")
    }
}

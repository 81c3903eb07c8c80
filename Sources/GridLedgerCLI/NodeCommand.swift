import ArgumentParser
import Foundation
import GridCrypto
import GridGenesis
import GridLive
import GridNode
import GridTopology
import Logging

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one validator or committee member of a live deployment as this process.",
        discussion: """
            FILE is a node configuration written by 'gridledger genesis'. The node opens its LMDB store (a restart \
            resumes from it), connects to its peers, serves clients and peers on its genesis address, and writes \
            its figures to its metrics file every second. SIGTERM or SIGINT stops it cleanly; after SIGKILL a \
            restart loses nothing it acknowledged.
            """
    )

    @Option(name: .long, help: "Node configuration file (nodes/NAME.json of a genesis folder).")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(
        name: .long,
        help: ArgumentHelp(
            "'on': the transport delays and drops frames as the topology's links say; 'off': it sends them as they "
                + "come, for a network that emulates the links itself (Chaos Mesh, netem). Default: the environment's "
                + "GRIDLEDGER_LINK_EMULATION, else on."))
    var linkEmulation: LinkEmulation?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Stop cleanly, as on SIGTERM, once the process with this pid is no longer this node's parent. "
                + "`gridledger run --runtime live` passes its own, so its nodes never outlive it.",
            valueName: "pid"))
    var exitWithParent: Int32?

    func validate() throws {
        if let exitWithParent, exitWithParent <= 1 {
            throw ValidationError("--exit-with-parent must be a process id above 1, got \(exitWithParent)")
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let verificationMeter = VerificationMeter()
        let verifier = ParallelSignatureVerifier(meter: verificationMeter)
        let setup: NodeSetup
        let host: any NodeHost
        do {
            setup = try NodeSetup.load(configFile: URL(fileURLWithPath: config), verifier: verifier)
            host = try setup.openHost()
        } catch {
            printError("gridledger node: \(error)")
            throw ExitCode.failure
        }
        var logger = Logger(label: "gridledger.\(setup.node.name)")
        logger.logLevel = level
        var emulation = linkEmulation ?? .on
        if linkEmulation == nil, let text = ProcessInfo.processInfo.environment["GRIDLEDGER_LINK_EMULATION"] {
            guard let value = LinkEmulation(rawValue: text) else {
                printError("gridledger node: GRIDLEDGER_LINK_EMULATION is '\(text)'; expected 'on' or 'off'")
                throw ExitCode.failure
            }
            emulation = value
        }
        let peers = setup.peers.map {
            LivePeer(address: $0.address, host: $0.host, port: $0.port, publicKey: $0.publicKey)
        }
        var options = LiveNodeOptions(
            chainID: setup.genesis.chainID, key: setup.key, listenHost: setup.listenHost,
            listenPort: setup.listenPort, peers: peers,
            link: { [setup, emulation] peer in emulation == .on ? setup.link(to: peer) : LinkEmulation.noLink },
            wireLimits: setup.topology.wireLimits, inboxEventsMax: setup.config.inboxEventsMax,
            metricsPort: setup.metricsPort, metricsFile: setup.metricsFile.path, controlFile: setup.controlFile.path,
            logger: logger)
        options.logger[metadataKey: "node"] = "\(setup.node.name)"
        options.clientInboxEventsMax = setup.topology.consensus.blockTransactionsMax
        // One I/O thread: with 4 nodes on 2 cores, a second per node only competes with the consensus threads
        // (measured one run after the other at 2,000 tx/s: p99 308 ms against 512 ms with two).
        options.eventLoopThreads = 1
        options.verificationMeter = verificationMeter
        // Every 50 ms for a deployment of up to 16 nodes, proportionally less often beyond (at most once a second):
        // encoding the file is about the dearest thing an idle node does, and 260 nodes rewriting theirs 20 times
        // a second kept this VM's two cores busy before a transaction was sent.
        let deploymentNodes = Int64(setup.genesis.nodes.count)
        options.metricsFileIntervalMillis = min(1_000, 50 * max(1, (deploymentNodes + 15) / 16))
        options.controlPollMillis = 50
        logger.info(
            "starting at height \(host.committedHeight) on \(setup.listenHost):\(setup.listenPort), store \(setup.storeDirectory.path)"
        )
        if let parent = exitWithParent { Self.stopWhenOrphaned(parent: parent) }
        do {
            try await LiveNode.runUntilSignalled(host: host, options: options)
        } catch {
            printError("gridledger node \(setup.node.name): \(error)")
            throw ExitCode.failure
        }
    }
}

extension NodeCommand {
    /// Checks every quarter second whether the parent went (the node is re-parented on its death, whatever the
    /// signal), and then stops the node the way SIGTERM does, so its store is closed cleanly.
    static func stopWhenOrphaned(parent: Int32) {
        Thread.detachNewThread {
            while getppid() == parent { usleep(250_000) }
            kill(getpid(), SIGTERM)
        }
    }
}

/// Whether a node's transport emulates the topology's links (a cluster may do it in the kernel instead).
enum LinkEmulation: String, ExpressibleByArgument, CaseIterable {
    case on
    case off

    /// No delay, no bandwidth limit (0 means unlimited), no loss.
    static let noLink = Topology.Link(latencyMillis: 0, jitterMillis: 0, bandwidthMbps: 0)
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

// swift-tools-version: 6.1
import PackageDescription

// MARK: - Shared dependencies

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let histogram: Target.Dependency = .product(name: "Histogram", package: "hdrhistogram-swift")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioEmbedded: Target.Dependency = .product(name: "NIOEmbedded", package: "swift-nio")
let nioExtras: Target.Dependency = .product(name: "NIOExtras", package: "swift-nio-extras")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "GridLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gridledger", targets: ["GridLedgerCLI"]),
        .library(name: "GridCrypto", targets: ["GridCrypto"]),
        .library(name: "GridStorage", targets: ["GridStorage"]),
        .library(name: "GridLedger", targets: ["GridLedger"]),
        .library(name: "GridModel", targets: ["GridModel"]),
        .library(name: "GridTopology", targets: ["GridTopology"]),
        .library(name: "GridConsensus", targets: ["GridConsensus"]),
        .library(name: "GridRegion", targets: ["GridRegion"]),
        .library(name: "GridLoad", targets: ["GridLoad"]),
        .library(name: "GridSimulation", targets: ["GridSimulation"]),
        .library(name: "GridContracts", targets: ["GridContracts"]),
        .library(name: "GridGlobal", targets: ["GridGlobal"]),
        .library(name: "GridWire", targets: ["GridWire"]),
        .library(name: "GridNode", targets: ["GridNode"]),
        .library(name: "GridGenesis", targets: ["GridGenesis"]),
        .library(name: "GridLive", targets: ["GridLive"]),
        .library(name: "GridLoadGenerator", targets: ["GridLoadGenerator"]),
        .library(name: "GridLiveRun", targets: ["GridLiveRun"]),
        .library(name: "GridReport", targets: ["GridReport"]),
        .library(name: "GridCommunity", targets: ["GridCommunity"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: - C libraries from Debian (no vendored copies)

        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),

        // MARK: - Foundation layers

        .target(name: "GridCrypto", dependencies: ["CSodium"]),
        .target(name: "GridStorage", dependencies: ["CLMDB"]),
        .target(name: "GridLedger", dependencies: ["GridCrypto", "GridStorage"]),

        // MARK: - Consensus and the region ledger (sans-IO)

        .target(name: "GridConsensus", dependencies: ["GridCrypto", "GridLedger"]),
        .target(name: "GridRegion", dependencies: ["GridConsensus", "GridCrypto", "GridLedger"]),

        // MARK: - Global layer (checkpoints over region commits, sans-IO)

        .target(name: "GridGlobal", dependencies: ["GridConsensus", "GridLedger", "GridCrypto", "GridRegion"]),

        // MARK: - Wire format and the runtime-neutral node layer

        .target(
            name: "GridWire", dependencies: ["GridConsensus", "GridRegion", "GridGlobal", "GridLedger", "GridCrypto"]),
        .target(
            name: "GridNode",
            dependencies: [
                "GridWire", "GridConsensus", "GridRegion", "GridGlobal", "GridLedger", "GridCrypto", "GridStorage",
                "GridContracts", "GridTopology",
            ]),

        // MARK: - Deployments: genesis files, and the live runtime that runs them as processes

        .target(
            name: "GridGenesis",
            dependencies: [
                "GridNode", "GridWire", "GridTopology", "GridConsensus", "GridRegion", "GridGlobal", "GridLedger",
                "GridCrypto", "GridStorage", "GridWorkloads",
            ]),
        .target(
            name: "GridLive",
            dependencies: [
                "GridNode", "GridWire", "GridGenesis", "GridTopology", "GridConsensus", "GridRegion", "GridLedger",
                "GridCrypto", "GridStorage", nioCore, nioPosix, nioExtras, serviceLifecycle, prometheus, logging,
            ]),
        .target(
            name: "GridLoadGenerator",
            dependencies: [
                "GridWire", "GridGenesis", "GridLoad", "GridTopology", "GridRegion", "GridLedger", "GridCrypto",
                "GridWorkloads", "GridContracts", nioCore, nioPosix, nioExtras, histogram,
            ]),
        .target(
            name: "GridLiveRun",
            dependencies: [
                "GridGenesis", "GridLoad", "GridTopology", "GridNode", "GridLoadGenerator", "GridLive", "GridLedger",
            ]),

        .target(
            name: "GridDeploy", dependencies: ["GridGenesis", "GridTopology", "GridLoadGenerator", "GridLoad", yams]),

        // MARK: - Grid contracts (deterministic, integer arithmetic)

        .target(name: "GridContracts", dependencies: ["GridRegion", "GridLedger", "GridCrypto"]),
        .target(name: "GridCommunity", dependencies: ["GridContracts", "GridRegion", "GridLedger", "GridCrypto"]),

        // MARK: - Load generation, simulation and runs

        .target(name: "GridLoad", dependencies: [histogram]),
        .target(name: "GridReport", dependencies: ["GridLoad"]),
        .target(
            name: "GridSimulation",
            dependencies: [
                "GridConsensus", "GridRegion", "GridLedger", "GridCrypto", "GridStorage", "GridLoad", "GridTopology",
                "GridContracts", "GridModel", "GridGlobal", "GridWire", "GridNode", "GridGenesis", "GridWorkloads",
            ]
        ),
        // The grid contract workloads' agents (devices, households, operators), shared by both runtimes.
        .target(
            name: "GridWorkloads",
            dependencies: [
                "GridContracts", "GridCrypto", "GridLedger", "GridLoad", "GridModel", "GridRegion", "GridTopology",
            ]
        ),

        // MARK: - Grid model and topology files

        .target(name: "GridModel"),
        .target(name: "GridTopology", dependencies: [yams]),
        .target(name: "GridSweep", dependencies: ["GridTopology", "GridLoad", yams]),
        .target(
            name: "GridHonari", dependencies: ["GridSimulation", "GridTopology", "GridLoad", "GridModel", "GridReport"]),

        // MARK: - Command line

        .executableTarget(
            name: "GridLedgerCLI",
            dependencies: [
                "GridCrypto", "GridStorage", "GridLedger", "GridModel", "GridTopology", "GridLoad", "GridSimulation",
                "GridGlobal", "GridNode", "GridGenesis", "GridLive", "GridLoadGenerator", "GridLiveRun",
                "GridReport", "GridCommunity", "GridSweep", argumentParser, serviceLifecycle, logging,
            ]
                + ["GridDeploy", "GridHonari", "GridWorkloads"]
        ),

        // MARK: - Tests

        .testTarget(name: "GridCryptoTests", dependencies: ["GridCrypto"]),
        .testTarget(
            name: "GridDeployTests",
            dependencies: [
                "GridDeploy", "GridGenesis", "GridTopology", "GridLoadGenerator", "GridLoad", "GridCrypto", yams,
                histogram,
            ]),
        .testTarget(name: "GridStorageTests", dependencies: ["GridStorage"]),
        .testTarget(name: "GridLedgerTests", dependencies: ["GridLedger", "GridCrypto", "GridStorage", "GridLoad"]),
        .testTarget(name: "GridModelTests", dependencies: ["GridModel"]),
        .testTarget(name: "GridTopologyTests", dependencies: ["GridTopology"]),
        .testTarget(name: "GridSweepTests", dependencies: ["GridSweep", "GridTopology", "GridLoad"]),
        .testTarget(
            name: "GridConsensusTests",
            dependencies: ["GridConsensus", "GridRegion", "GridLedger", "GridCrypto", "GridNode"]),
        .testTarget(name: "GridLoadTests", dependencies: ["GridLoad"]),
        .testTarget(
            name: "GridReportTests", dependencies: ["GridReport", "GridLoad", "GridSimulation", "GridTopology"]),
        .testTarget(
            name: "GridRegionTests", dependencies: ["GridRegion", "GridConsensus", "GridLedger", "GridCrypto"]),
        .testTarget(
            name: "GridWireTests",
            dependencies: ["GridWire", "GridConsensus", "GridRegion", "GridGlobal", "GridLedger", "GridCrypto"]),
        .testTarget(
            name: "GridNodeTests",
            dependencies: [
                "GridNode", "GridWire", "GridConsensus", "GridRegion", "GridGlobal", "GridLedger", "GridCrypto",
                "GridStorage",
            ]),
        .testTarget(
            name: "GridLiveTests",
            dependencies: [
                "GridLive", "GridGenesis", "GridLoadGenerator", "GridLiveRun", "GridNode", "GridWire", "GridTopology",
                "GridWorkloads",
                "GridConsensus", "GridRegion", "GridLedger", "GridCrypto", "GridStorage", "GridLoad", nioCore, nioPosix,
                nioEmbedded,
            ]),
        .testTarget(
            name: "GridGlobalTests",
            dependencies: [
                "GridGlobal", "GridConsensus", "GridLedger", "GridCrypto", "GridRegion", "GridStorage", "GridContracts",
                "GridNode",
            ]
        ),
        .testTarget(
            name: "GridContractsTests", dependencies: ["GridContracts", "GridRegion", "GridLedger", "GridCrypto"]
        ),
        .testTarget(name: "GridCommunityTests", dependencies: ["GridCommunity", "GridContracts", "GridCrypto"]),
        .testTarget(
            name: "GridHonariTests", dependencies: ["GridHonari", "GridSimulation", "GridTopology", "GridLoad"]),
        .testTarget(
            name: "GridSimulationTests",
            dependencies: [
                "GridSimulation", "GridTopology", "GridLoad", "GridRegion", "GridConsensus", "GridLedger", "GridGlobal",
                "GridNode", "GridContracts", "GridModel", "GridWorkloads",
            ]
        ),
    ]
)

// MARK: - Settings applied to every target

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}

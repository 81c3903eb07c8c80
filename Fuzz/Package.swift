// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every GridLedger decoder and parser, one executable per input kind. A package of its own,
// depending on the main one by path, so the main package and its build stay untouched. Build and run through
// `scripts/fuzz.sh`, which passes `-sanitize=fuzzer,address` to every Swift module (so the decoders are
// instrumented too) and `-parse-as-library` (libFuzzer supplies `main`). Docs: docs/fuzzing.md.

func library(_ name: String) -> Target.Dependency { .product(name: name, package: "GridLedger") }

let fuzzTargets: [(name: String, libraries: [String])] = [
    ("FuzzWire", ["GridWire", "GridLedger"]),
    ("FuzzLedger", ["GridLedger", "GridCrypto"]),
    ("FuzzConsensus", ["GridConsensus", "GridCrypto", "GridWire", "GridGlobal", "GridRegion", "GridLedger"]),
    ("FuzzGlobal", ["GridGlobal", "GridWire", "GridConsensus", "GridRegion", "GridLedger", "GridCrypto"]),
    ("FuzzContracts", ["GridContracts", "GridRegion", "GridLedger", "GridCrypto"]),
    ("FuzzTopology", ["GridTopology"]),
    ("FuzzProfiles", ["GridSimulation", "GridModel", "GridConsensus"]),
    ("FuzzLive", ["GridLive", "GridWire", "GridLedger"]),
    ("FuzzGenesis", ["GridGenesis", "GridTopology", "GridConsensus"]),
]

let package = Package(
    name: "GridLedgerFuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        .package(name: "GridLedger", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzDriver", library("GridWire"), library("GridConsensus"), library("GridGlobal"),
                library("GridRegion"),
                library("GridLedger"), library("GridCrypto"),
            ]),
    ]
        + fuzzTargets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzSupport"] + target.libraries.map(library)
                    + (target.name == "FuzzLive"
                        ? [
                            .product(name: "NIOCore", package: "swift-nio"),
                            .product(name: "NIOEmbedded", package: "swift-nio"),
                        ] : []))
        }
)

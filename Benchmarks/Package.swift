// swift-tools-version: 6.1
import PackageDescription

// A nested package (the swift-nio way): `swift test` in the main package never builds or resolves anything here.
// Run with `swift package benchmark` from this directory; see README.md.

let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")
let benchmarkPlugin: Target.PluginUsage = .plugin(name: "BenchmarkPlugin", package: "benchmark")

let package = Package(
    name: "GridLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "GridLedger", path: ".."),
        // Only the malloc interposer: this also leaves the Linux Swift 6.3 runtime interposer (a package this
        // machine's mirror does not carry) switched off.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // MARK: - Shared helpers

        // perf_event_open probe: hardware instruction counters are missing on most VMs and containers.
        .target(name: "CPerfProbe"),
        .target(name: "BenchmarkSupport", dependencies: [benchmark, "CPerfProbe"]),

        // MARK: - Benchmark suites (the benchmark plugin runs every executable target under Benchmarks/)

        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: [benchmark, "BenchmarkSupport", .product(name: "GridCrypto", package: "GridLedger")],
            path: "Benchmarks/CryptoBenchmarks",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "EncodingBenchmarks",
            dependencies: [
                benchmark, "BenchmarkSupport",
                .product(name: "GridCrypto", package: "GridLedger"),
                .product(name: "GridLedger", package: "GridLedger"),
            ],
            path: "Benchmarks/EncodingBenchmarks",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                benchmark, "BenchmarkSupport",
                .product(name: "GridCrypto", package: "GridLedger"),
                .product(name: "GridLedger", package: "GridLedger"),
                .product(name: "GridConsensus", package: "GridLedger"),
                .product(name: "GridRegion", package: "GridLedger"),
                .product(name: "GridWire", package: "GridLedger"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "StorageBenchmarks",
            dependencies: [
                benchmark, "BenchmarkSupport",
                .product(name: "GridCrypto", package: "GridLedger"),
                .product(name: "GridStorage", package: "GridLedger"),
                .product(name: "GridLedger", package: "GridLedger"),
            ],
            path: "Benchmarks/StorageBenchmarks",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "ContractBenchmarks",
            dependencies: [
                benchmark, "BenchmarkSupport",
                .product(name: "GridCrypto", package: "GridLedger"),
                .product(name: "GridRegion", package: "GridLedger"),
                .product(name: "GridContracts", package: "GridLedger"),
            ],
            path: "Benchmarks/ContractBenchmarks",
            plugins: [benchmarkPlugin]
        ),

        // MARK: - Plain verify-rate loop, compared with c-baseline/verify_loop.c by scripts/compare-verify.sh

        .executableTarget(
            name: "VerifyRate",
            dependencies: [.product(name: "GridCrypto", package: "GridLedger")]
        ),
    ]
)

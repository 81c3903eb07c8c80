import Foundation
import Testing

@testable import GridTopology

/// SplitMix64: small, seeded, and the same on every platform, so that a failing case replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Mutated and random YAML must give a topology or errors, never a crash, a hang or a malformed error.
struct TopologyFuzzTests {
    static let seeds: [String] = {
        let shipped = Topology.shippedNames(in: shippedDirectory).compactMap {
            try? String(contentsOf: shippedDirectory.appendingPathComponent("\($0).yaml"), encoding: .utf8)
        }
        return shipped + [minimalYAML, TopologyOverridesTests.withSchedule]
    }()

    /// Pieces that mean something to YAML or to the schema.
    static let tokens: [String] = [
        ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "#", "&a ", "*a", "!", "!!int ", "!!str ", "|", ">", "'", "\"",
        "%YAML 1.2\n", "---\n", "...\n", "? ", "\n", "  ", "\t", "\r\n", "~", "null", "true", "0", "-1", "1e400",
        ".nan", "-.inf", "0x1F", "010", "1_000", "18446744073709551616", "r0/leader", "r0/v3", "r9/v0", "é", "\u{0}",
        "\u{FEFF}", "\u{2028}", "\u{85}", "😀", "tps", "seed", "regions", "faults", "kind: crash", "controller: ramp",
        "validators: 7", "<<: ", "\\", "\\u00", "@", "`",
    ]

    static func mutate(_ text: String, using random: inout SplitMix64) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = Int.random(in: 0...scalars.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                let end = min(scalars.count, position + Int.random(in: 1...20, using: &random))
                scalars.removeSubrange(position..<end)
            case 1, 2:
                let token = tokens.randomElement(using: &random)!
                scalars.insert(contentsOf: token.unicodeScalars, at: position)
            case 3:
                // Copy a slice elsewhere: duplicate keys, lines and structures.
                let start = Int.random(in: 0...scalars.count, using: &random)
                let end = min(scalars.count, start + Int.random(in: 1...80, using: &random))
                scalars.insert(contentsOf: Array(scalars[start..<end]), at: position)
            case 4:
                if position < scalars.count {
                    scalars[position] = Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random))
                }
            default:
                let number = ["0", "-0", "4", "7", "100", "1e9", "0.5", "-3", "99999999999"].randomElement(
                    using: &random)!
                scalars.insert(contentsOf: number.unicodeScalars, at: position)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    static func garbage(using random: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...40, using: &random)).map { _ in tokens.randomElement(using: &random)! }.joined()
    }

    static func expectWellFormed(_ yaml: String, file: String, seed: UInt64) {
        do {
            let topology = try Topology.parse(yaml: yaml, file: file)
            // What parses must also pass the checks on typed values, and survive JSON.
            #expect(throws: Never.self, "seed \(seed)") { try topology.validate() }
            let data = try? JSONEncoder().encode(topology)
            #expect(data.flatMap { try? JSONDecoder().decode(Topology.self, from: $0) } == topology, "seed \(seed)")
        } catch {
            #expect(!error.errors.isEmpty, "seed \(seed)")
            #expect(error.errors.count <= TopologyLimits.errorsMax + 1, "seed \(seed)")
            for problem in error.errors {
                #expect(problem.file == file, "seed \(seed): \(problem)")
                #expect(problem.line >= 0 && problem.column >= 0, "seed \(seed): \(problem)")
                #expect(!problem.message.isEmpty, "seed \(seed): \(problem)")
            }
        }
    }

    @Test(arguments: 0..<4)
    func mutatedTopologiesNeverCrash(batch: Int) {
        for round in 0..<750 {
            let seed = UInt64(batch * 10_000 + round)
            var random = SplitMix64(state: seed)
            let base = Self.seeds.randomElement(using: &random)!
            var yaml = base
            for _ in 0..<Int.random(in: 1...3, using: &random) { yaml = Self.mutate(yaml, using: &random) }
            Self.expectWellFormed(yaml, file: "fuzz.yaml", seed: seed)
        }
    }

    @Test func randomTokenSoupNeverCrashes() {
        for seed in UInt64(0)..<500 {
            var random = SplitMix64(state: seed &+ 1_000_000)
            Self.expectWellFormed(Self.garbage(using: &random), file: "soup.yaml", seed: seed)
        }
    }

    @Test func randomBytesNeverCrash() {
        for seed in UInt64(0)..<300 {
            var random = SplitMix64(state: seed &+ 2_000_000)
            var bytes = Array(Self.seeds.randomElement(using: &random)!.utf8)
            for _ in 0..<Int.random(in: 1...5, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            do {
                _ = try Topology.parse(data: Data(bytes), file: "bytes.yaml")
            } catch {
                #expect(!error.errors.isEmpty && error.errors.allSatisfy { $0.file == "bytes.yaml" }, "seed \(seed)")
            }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for depth in [500, 999, 1000, 5000, 200_000] {
            let flow =
                "schemaVersion: 1\nregions: " + String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth)
            #expect(!errors(of: flow).isEmpty)
        }
        // Block nesting needs more indentation per level: 1100 levels fit in under 1 MiB.
        let block = (0..<1100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(!errors(of: block).isEmpty)
    }
}

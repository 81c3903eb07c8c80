import CFuzzDriver
import Foundation

/// What every fuzz target shares: turning libFuzzer's input into bytes, failing loudly when an invariant breaks
/// (libFuzzer keeps the input as a crash file), and writing the seed corpus from real encoded values.
public enum Fuzz {
    /// The input as an array, copied once so decoders see the same type they see in production.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// An invariant of the decoder under test. A trap rather than an error, so libFuzzer stops and saves the input.
    public static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #file,
        line: UInt = #line
    ) {
        if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
    }

    /// With `FUZZ_WRITE_SEEDS=DIR` in the environment, writes `seeds` (named files, one input each) into DIR and
    /// exits; `scripts/fuzz.sh seeds` uses this to regenerate `Fuzz/corpus/TARGET/`. Otherwise does nothing.
    public static func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
        guard let folder = ProcessInfo.processInfo.environment["FUZZ_WRITE_SEEDS"], !folder.isEmpty else { return }
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let all = seeds()
            for seed in all {
                try Data(seed.bytes).write(to: url.appendingPathComponent(seed.name))
            }
            print("wrote \(all.count) seeds to \(folder)")
            exit(0)
        } catch {
            print("cannot write seeds to \(folder): \(error)")
            exit(1)
        }
    }

    /// A selector byte then a body: lets one target cover several decoders, libFuzzer learning which byte picks
    /// which. Seeds are written the same way.
    public static func split(_ bytes: [UInt8]) -> (selector: UInt8, body: [UInt8])? {
        guard let first = bytes.first else { return nil }
        return (first, Array(bytes.dropFirst()))
    }
}

extension Fuzz {
    /// Runs libFuzzer with `callback` as the target: what each fuzz executable's `main` does.
    public static func runDriver(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, callback)
    }
}

import Foundation
import GridCrypto

// Verify rate of GridCrypto's `PublicKey.verify`, measured the same way as c-baseline/verify_loop.c: sign one
// 150-byte message once, then verify it in a single-threaded loop for about `seconds` (default 3) and print the
// rate. scripts/compare-verify.sh runs both and compares them.

let seconds = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 3.0
let message = (0..<150).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
let signer = KeyPair.derived(masterSeed: 42, label: "bench/verify-rate")
let signature = signer.sign(message)
let publicKey = signer.publicKey
guard publicKey.verify(signature, for: message) else {
    fatalError("signature does not verify")
}

let batch = 256  // verifies between clock reads, as in the C program
let clock = ContinuousClock()
let start = clock.now
let deadline = start.advanced(by: .milliseconds(Int64(seconds * 1_000)))
var verifies = 0
var failures = 0
var now = start
repeat {
    for _ in 0..<batch where !publicKey.verify(signature, for: message) {
        failures += 1
    }
    verifies += batch
    now = clock.now
} while now < deadline

let elapsed = start.duration(to: now)
let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
guard failures == 0 else {
    fatalError("\(failures) verifies failed")
}
print(
    String(
        format: "swift verifies=%d seconds=%.3f verifies_per_second=%.0f", verifies, elapsedSeconds,
        Double(verifies) / elapsedSeconds))

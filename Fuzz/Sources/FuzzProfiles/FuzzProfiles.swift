import Foundation
import FuzzSupport
import GridConsensus
import GridModel
import GridSimulation

// Profiles: machine profile JSON files (what `gridledger calibrate` writes and topologies name) and the household
// load and solar profiles the grid model evaluates. A selector byte picks which: an even byte, a machine profile
// (the rest is the file); an odd one, a load and solar profile, the rest giving type, seed and second of the day.
// Invariants: an accepted machine profile has finite, non-negative costs, prices work without trapping and
// survives its own JSON encoding; profile values stay in [0, 1] at any time of day, and any Double (NaN,
// infinities, huge) as the time gives a value rather than a trap.

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        var profile: [UInt8] = [0]
        profile += Array((try? MachineProfile.shippedDefault.jsonData()) ?? Data())
        var load: [UInt8] = [1]
        for word in [UInt64(7), 42, (12.5 * 3_600).bitPattern] {
            load += withUnsafeBytes(of: word.bigEndian) { Array($0) }
        }
        return [("machine-default.json", profile), ("load-type7-noon", load)]
    }
    return 0
}

private func checkMachineProfile(_ body: [UInt8]) {
    guard let profile = try? MachineProfile.decode(Data(body), file: "fuzz.json") else { return }
    let costs = [
        profile.signatureVerifyNanos, profile.signNanos, profile.hashNanosPerKiB, profile.storeCommitNanos,
        profile.storeCommitNanosPerKiB, profile.contractCallNanos, profile.codecNanosPerKiB, profile.eventNanos,
        profile.storeSyncNanos,
    ]
    Fuzz.check(costs.allSatisfy { $0.isFinite && $0 >= 0 }, "accepted a profile with a cost \(costs)")
    // A busy block's work: prices must come out without overflowing the UInt64 conversion.
    var work = Work()
    work.signatureVerifications = 10_000
    work.hashedBytes = 64 << 20
    work.storeCommits = 1
    work.storeCommitBytes = 64 << 20
    work.contractCalls = 100_000
    work.encodedBytes = 64 << 20
    _ = profile.costNanos(of: work)
    _ = profile.storeCostNanos(commits: 1_000, bytes: 1 << 30)
    _ = profile.storeSyncWaitNanos(commits: 1_000, durability: .sync)
    let json = try? profile.jsonData()
    let again = json.flatMap { try? MachineProfile.decode($0, file: "fuzz.json") }
    Fuzz.check(again == profile, "accepted profile does not survive its own JSON encoding")
}

private func checkLoadProfile(_ body: [UInt8]) {
    var words: [UInt64] = []
    var index = 0
    while words.count < 3 {
        var word: UInt64 = 0
        for _ in 0..<8 {
            word = word << 8 | UInt64(index < body.count ? body[index] : 0)
            index += 1
        }
        words.append(word)
    }
    let type = Int(truncatingIfNeeded: words[0])
    let seed = words[1]
    let second = Double(bitPattern: words[2])
    for profile in [LoadProfile.household(type: type), LoadProfile.household(type: type, jitterSeed: seed)] {
        let multiplier = profile.multiplier(atSecondOfDay: second)
        Fuzz.check(multiplier >= 0 && multiplier <= 1, "load multiplier \(multiplier) at second \(second)")
    }
    for solar in [SolarProfile(type: type), SolarProfile(type: type, cloudSeed: seed)] {
        let fraction = solar.outputFraction(atSecondOfDay: second)
        Fuzz.check(fraction >= 0 && fraction <= 1, "solar fraction \(fraction) at second \(second)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    if selector % 2 == 0 { checkMachineProfile(body) } else { checkLoadProfile(body) }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzProfiles_main`; it hands over to libFuzzer.
@_cdecl("FuzzProfiles_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

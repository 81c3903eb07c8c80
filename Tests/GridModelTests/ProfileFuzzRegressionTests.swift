import Testing

@testable import GridModel

/// Inputs `scripts/fuzz.sh profiles` found, kept as the bytes it saved (Fuzz/Sources/FuzzProfiles: a selector
/// byte, then type, seed and second of the day as big-endian 64-bit words).
@Suite struct ProfileFuzzRegressionTests {
    /// The target's reading of its input: three big-endian words after the selector, zero-padded.
    static func words(_ bytes: [UInt8]) -> (type: Int, seed: UInt64, second: Double) {
        var words: [UInt64] = []
        var index = 1
        while words.count < 3 {
            var word: UInt64 = 0
            for _ in 0..<8 {
                word = word << 8 | UInt64(index < bytes.count ? bytes[index] : 0)
                index += 1
            }
            words.append(word)
        }
        return (Int(truncatingIfNeeded: words[0]), words[1], Double(bitPattern: words[2]))
    }

    /// crash-d3116643e68fc7a30d497bc39573d50ffae2c8eb: a NaN time of day. The jittered load profile trapped
    /// converting NaN to an integer slot, the plain one returned NaN; both must give a multiplier in [0, 1].
    @Test func notANumberTimeGivesAValueInRange() {
        // The first 25 bytes of the saved input; the target reads no further.
        let crash: [UInt8] =
            [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + [UInt8](repeating: 0xFF, count: 16)
        let (type, seed, second) = Self.words(crash)
        #expect(second.isNaN)
        for profile in [LoadProfile.household(type: type), LoadProfile.household(type: type, jitterSeed: seed)] {
            let multiplier = profile.multiplier(atSecondOfDay: second)
            #expect(multiplier >= 0 && multiplier <= 1)
        }
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func timesWithoutATimeOfDayCountAsMidnight(second: Double) {
        let jittered = LoadProfile.household(type: 4, jitterSeed: 99)
        #expect(jittered.multiplier(atSecondOfDay: second) == jittered.multiplier(atSecondOfDay: 0))
        let cloudy = SolarProfile(type: 1, cloudSeed: 7)
        #expect(cloudy.outputFraction(atSecondOfDay: second) == 0)
    }

    /// Found by `scripts/fuzz.sh profiles` in CI (2026-12-05): 1.0000018976 at a time of day between two whole
    /// minutes. The profile's peak is sampled once a minute, and between samples the curve can rise above it.
    @Test func noSecondOfTheDayExceedsThePeak() {
        var highest = 0.0
        for type in 0..<16 {
            let profile = LoadProfile.household(type: type)
            for tenth in stride(from: 0, to: 864_000, by: 7) {
                highest = max(highest, profile.multiplier(atSecondOfDay: Double(tenth) / 10))
            }
        }
        #expect(highest <= 1)
    }
}

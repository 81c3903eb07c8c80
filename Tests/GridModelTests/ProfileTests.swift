import Testing

@testable import GridModel

@Suite struct ProfileTests {
    static let sampleSeconds = stride(from: 0.0, to: secondsPerDay, by: 300).map { $0 }

    @Test(arguments: 0..<15)
    func householdLoadIsInRangeAndPeaksAtOne(type: Int) {
        let profile = LoadProfile.household(type: type)
        let values = profile.dailyMultipliers(stepSeconds: 60)
        #expect(values.count == 1_440)
        #expect(values.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(abs(values.max()! - 1) < 1e-12)
        #expect(values.min()! < 0.8)  // a real daily swing, not a flat line
    }

    @Test func householdTypesAreDistinctAndWrap() {
        let shapes = (0..<15).map { LoadProfile.household(type: $0).dailyMultipliers(stepSeconds: 3_600) }
        #expect(Set(shapes.map { $0.map { ($0 * 1e6).rounded() } }).count == 15)
        #expect(Set((0..<15).map { LoadProfile.household(type: $0).name }).count == 15)
        #expect(LoadProfile.household(type: 17) == LoadProfile.household(type: 2))
        #expect(LoadProfile.household(type: -1).type == 14)
        #expect(CESDTDefaults.householdLoadTypeCount == 15)
    }

    @Test func profilesAreDeterministic() {
        for second in Self.sampleSeconds {
            #expect(
                LoadProfile.household(type: 4, jitterSeed: 42).multiplier(atSecondOfDay: second)
                    == LoadProfile.household(type: 4, jitterSeed: 42).multiplier(atSecondOfDay: second))
            #expect(
                SolarProfile(type: 1, cloudSeed: 7).outputFraction(atSecondOfDay: second)
                    == SolarProfile(type: 1, cloudSeed: 7).outputFraction(atSecondOfDay: second))
        }
        let a = Self.sampleSeconds.map { LoadProfile.household(type: 4, jitterSeed: 1).multiplier(atSecondOfDay: $0) }
        let b = Self.sampleSeconds.map { LoadProfile.household(type: 4, jitterSeed: 2).multiplier(atSecondOfDay: $0) }
        #expect(a != b)
        #expect(a.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Time wraps around the day.
        let profile = LoadProfile.household(type: 0)
        #expect(abs(profile.multiplier(atSecondOfDay: 3_600) - profile.multiplier(atSecondOfDay: 90_000)) < 1e-12)
        #expect(abs(profile.multiplier(atSecondOfDay: -3_600) - profile.multiplier(atSecondOfDay: 82_800)) < 1e-12)
    }

    @Test(arguments: 0..<3)
    func solarOutputIsInRangeAndZeroAtNight(type: Int) {
        for seed: UInt64? in [nil, 3] {
            let profile = SolarProfile(type: type, cloudSeed: seed)
            let values = Self.sampleSeconds.map { profile.outputFraction(atSecondOfDay: $0) }
            #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(profile.outputFraction(atSecondOfDay: 2 * 3_600) == 0)
            #expect(profile.outputFraction(atSecondOfDay: 22 * 3_600) == 0)
            #expect(profile.outputFraction(atSecondOfDay: 13 * 3_600) > 0.2)
        }
    }

    @Test func solarOrientationsPeakWhereDocumented() {
        func peakHour(_ profile: SolarProfile) -> Double {
            let minutes = (0..<1_440).map { Double($0) }
            return minutes.max {
                profile.outputFraction(atSecondOfDay: $0 * 60) < profile.outputFraction(atSecondOfDay: $1 * 60)
            }! / 60
        }
        #expect(abs(peakHour(SolarProfile(type: 0)) - 13) < 0.05)
        #expect(abs(peakHour(SolarProfile(type: 1)) - 10.5) < 0.05)
        #expect(abs(peakHour(SolarProfile(type: 2)) - 15.5) < 0.05)
        #expect(abs(SolarProfile(type: 0).powerKW(atSecondOfDay: 13 * 3_600) - 5) < 1e-9)
        #expect(SolarProfile(type: 4).name == "east-facing")
    }
}

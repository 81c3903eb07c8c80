import Foundation

/// Household equipment of the CE-SDT energy-trading set-up that the workload reproduces: 15 household load
/// types, 3 PV types, a 5 kW PV system and a 5 kWh battery per prosumer.
public enum CESDTDefaults {
    public static let householdLoadTypeCount = 15
    public static let pvTypeCount = 3
    public static let pvRatedKW = 5.0
    public static let storageCapacityKWh = 5.0
}

let secondsPerDay = 86_400.0

/// Synthetic daily demand shape of one household type.
///
/// The shape is a constant base plus Gaussian bumps (morning, midday, evening, night) on a 24-hour circle, with
/// parameters chosen by hand to cover typical residential patterns (working households with morning and evening
/// peaks, retirees and home offices with daytime use, night-shift, electric storage heating, evening EV
/// charging, ...). It is synthetic and documented here rather than taken from a data set, so runs are exactly
/// reproducible. `multiplier` is relative to the household's own peak: 1 at the peak minute, never above 1, so
/// multiplying a bus's Baran & Wu peak load by it gives that bus's demand at that time.
public struct LoadProfile: Sendable, Hashable {
    struct Bump: Sendable, Hashable {
        var hour: Double
        var amplitude: Double
        var widthHours: Double
    }

    public let type: Int
    public let name: String
    let base: Double
    let bumps: [Bump]
    /// Largest raw value over the day (sampled each minute), so that the peak maps to 1.
    let rawPeak: Double
    /// Relative amplitude of the seeded deviations; zero without a seed.
    let jitter: Double
    let jitterSeed: UInt64

    /// The profile of a household type. `type` is taken modulo 15, so a household index can be passed as is.
    /// With a `jitterSeed`, the shape gets smooth deviations of up to ±10 % that depend only on the seed and the
    /// time of day, so different households of the same type differ while runs stay reproducible.
    public static func household(type: Int, jitterSeed: UInt64? = nil) -> LoadProfile {
        let count = householdTypes.count
        let wrapped = ((type % count) + count) % count
        let entry = householdTypes[wrapped]
        return LoadProfile(
            type: wrapped, name: entry.name, base: entry.base, bumps: entry.bumps, jitter: jitterSeed == nil ? 0 : 0.1,
            jitterSeed: jitterSeed ?? 0)
    }

    private init(type: Int, name: String, base: Double, bumps: [Bump], jitter: Double, jitterSeed: UInt64) {
        self.type = type
        self.name = name
        self.base = base
        self.bumps = bumps
        self.jitter = jitter
        self.jitterSeed = jitterSeed
        var peak = 0.0
        for minute in 0..<1_440 { peak = max(peak, Self.rawValue(base: base, bumps: bumps, hour: Double(minute) / 60)) }
        rawPeak = peak
    }

    /// Demand relative to the household's peak, in [0, 1]. Seconds outside one day wrap around.
    public func multiplier(atSecondOfDay second: Double) -> Double {
        let hour = wrappedSecond(second) / 3_600
        // The peak is sampled once a minute, so between two minutes the curve can rise a hair above it: clamp.
        let shape = min(1, max(0, Self.rawValue(base: base, bumps: bumps, hour: hour) / rawPeak))
        guard jitter > 0 else { return shape }
        // Scaling by 1/(1 + jitter) keeps the result within [0, 1] even where the deviation is positive at the peak.
        let deviation = smoothNoise(seed: jitterSeed, second: wrappedSecond(second), slotSeconds: 900)
        return min(1, max(0, shape * (1 + jitter * deviation) / (1 + jitter)))
    }

    /// Multiplier sampled every `stepSeconds` from midnight, e.g. 96 values for 15-minute steps.
    public func dailyMultipliers(stepSeconds: Int) -> [Double] {
        guard stepSeconds > 0 else { return [] }
        return stride(from: 0, to: Int(secondsPerDay), by: stepSeconds).map { multiplier(atSecondOfDay: Double($0)) }
    }

    static func rawValue(base: Double, bumps: [Bump], hour: Double) -> Double {
        var value = base
        for bump in bumps {
            var distance = abs(hour - bump.hour)
            distance = min(distance, 24 - distance)
            let z = distance / bump.widthHours
            value += bump.amplitude * exp(-0.5 * z * z)
        }
        return value
    }

    static let householdTypes: [(name: String, base: Double, bumps: [Bump])] = householdTable.map { entry in
        (entry.name, entry.base, entry.bumps.map { Bump(hour: $0.0, amplitude: $0.1, widthHours: $0.2) })
    }

    // Peaks are normalised to 1 afterwards, so only the ratios between base and bumps matter.
    // Columns: name, base, bumps as (peak hour, amplitude, width in hours).
    private static let householdTable: [(name: String, base: Double, bumps: [(Double, Double, Double)])] = [
        ("working couple", 0.15, [(7.0, 0.5, 0.8), (19.0, 0.9, 1.5)]),
        ("family with children", 0.20, [(7.5, 0.6, 1.0), (13.0, 0.2, 2.0), (18.5, 1.0, 2.0)]),
        ("single worker", 0.10, [(6.5, 0.4, 0.7), (20.5, 0.8, 1.5)]),
        ("retired couple", 0.20, [(9.0, 0.5, 1.5), (12.5, 0.6, 1.5), (18.0, 0.7, 2.0)]),
        ("home office", 0.20, [(8.0, 0.4, 1.0), (12.5, 0.5, 1.0), (15.5, 0.4, 2.5), (19.0, 0.7, 1.5)]),
        ("night-shift worker", 0.15, [(2.0, 0.5, 1.5), (15.0, 0.7, 1.5), (21.5, 0.4, 1.0)]),
        ("electric storage heating", 0.30, [(3.0, 0.8, 3.0), (7.0, 0.4, 1.0), (19.0, 0.6, 2.0)]),
        ("evening EV charging", 0.15, [(7.0, 0.4, 0.8), (19.0, 0.6, 1.5), (23.0, 0.9, 1.5)]),
        ("students", 0.15, [(10.5, 0.4, 1.5), (14.0, 0.3, 2.0), (22.5, 0.8, 2.0)]),
        ("large family", 0.25, [(7.0, 0.7, 1.2), (12.5, 0.4, 1.5), (18.0, 1.0, 2.5)]),
        ("air conditioning", 0.15, [(8.0, 0.3, 1.0), (15.5, 0.9, 2.5), (20.0, 0.6, 1.5)]),
        ("early riser", 0.15, [(5.5, 0.6, 0.8), (17.5, 0.8, 1.5)]),
        ("late evening", 0.15, [(8.5, 0.3, 1.0), (21.5, 1.0, 1.5)]),
        ("at home all day", 0.30, [(10.0, 0.5, 2.0), (13.0, 0.5, 2.0), (19.0, 0.6, 2.0)]),
        ("low consumer", 0.30, [(7.5, 0.3, 1.0), (19.5, 0.5, 1.5)]),
    ]
}

/// Synthetic clear-sky output of a PV system of one of three orientations, as a fraction of its rating.
///
/// Daylight runs from 06:00 to 20:00 (a summer day, local time with daylight saving); within it the output is
/// sin(pi g)^1.2 of the warped day fraction g = f^k, f = (t - sunrise) / day length. k = 1 puts the peak at
/// 13:00 (solar noon) for a south-facing array; k < 1 and k > 1 move it to 10:30 (east) and 15:30 (west),
/// whose peaks are also 15 % lower because the panels face away from the midday sun. With a `cloudSeed`, passing
/// clouds cut the output by up to 70 %, varying smoothly on a 15-minute scale and depending only on the seed.
public struct SolarProfile: Sendable, Hashable {
    public static let sunriseSecond = 6 * 3_600.0
    public static let sunsetSecond = 20 * 3_600.0

    public let type: Int
    public let name: String
    let warpExponent: Double
    let peakFraction: Double
    let cloudSeed: UInt64?

    /// `type` is taken modulo 3: 0 south-facing, 1 east-facing, 2 west-facing.
    public init(type: Int, cloudSeed: UInt64? = nil) {
        let wrapped = ((type % 3) + 3) % 3
        let dayLength = (Self.sunsetSecond - Self.sunriseSecond) / 3_600
        func exponent(peakHour: Double) -> Double { log(0.5) / log((peakHour - 6) / dayLength) }
        switch wrapped {
        case 1: (name, warpExponent, peakFraction) = ("east-facing", exponent(peakHour: 10.5), 0.85)
        case 2: (name, warpExponent, peakFraction) = ("west-facing", exponent(peakHour: 15.5), 0.85)
        default: (name, warpExponent, peakFraction) = ("south-facing", 1, 1)
        }
        self.type = wrapped
        self.cloudSeed = cloudSeed
    }

    /// Output as a fraction of rated power, in [0, 1]; zero at night. Seconds outside one day wrap around.
    public func outputFraction(atSecondOfDay second: Double) -> Double {
        let time = wrappedSecond(second)
        guard time > Self.sunriseSecond, time < Self.sunsetSecond else { return 0 }
        let dayFraction = (time - Self.sunriseSecond) / (Self.sunsetSecond - Self.sunriseSecond)
        let clearSky = peakFraction * pow(sin(.pi * pow(dayFraction, warpExponent)), 1.2)
        guard let cloudSeed else { return clearSky }
        let cover = max(0, smoothNoise(seed: cloudSeed, second: time, slotSeconds: 900))
        return clearSky * (1 - 0.7 * cover)
    }

    /// Output in kW of a system rated `ratedKW` (5 kW by default, as in CE-SDT).
    public func powerKW(atSecondOfDay second: Double, ratedKW: Double = CESDTDefaults.pvRatedKW) -> Double {
        outputFraction(atSecondOfDay: second) * ratedKW
    }
}

func wrappedSecond(_ second: Double) -> Double {
    // NaN and the infinities have no time of day; they count as midnight, so a hostile time gives a value rather
    // than a trap in `smoothNoise`'s integer conversion (found by `scripts/fuzz.sh profiles`).
    guard second.isFinite else { return 0 }
    let wrapped = second.truncatingRemainder(dividingBy: secondsPerDay)
    return wrapped < 0 ? wrapped + secondsPerDay : wrapped
}

/// Deterministic value noise in [-1, 1]: a pseudo-random value per time slot, derived by hashing (seed, slot),
/// linearly interpolated between slots. Stateless, so any time can be evaluated in any order.
func smoothNoise(seed: UInt64, second: Double, slotSeconds: Double) -> Double {
    let position = second / slotSeconds
    let slot = position.rounded(.down)
    let fraction = position - slot
    let slotsPerDay = UInt64((secondsPerDay / slotSeconds).rounded(.up))
    // The last slot of the day interpolates towards slot 0, so the noise is continuous across midnight.
    let first = UInt64(slot) % slotsPerDay
    let next = (first + 1) % slotsPerDay
    func value(_ slot: UInt64) -> Double {
        let bits = splitMix64(seed ^ splitMix64(slot &+ 0x9E37_79B9_7F4A_7C15))
        return Double(bits >> 11) / Double(1 << 53) * 2 - 1
    }
    return value(first) * (1 - fraction) + value(next) * fraction
}

func splitMix64(_ input: UInt64) -> UInt64 {
    var z = input &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

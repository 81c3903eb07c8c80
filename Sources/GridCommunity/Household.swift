/// One household of the community (CE-SDT section 3.1): a consumer (Ω1) only uses energy; a prosumer (Ω2) also
/// has rooftop PV (eq. 1) and a battery (eqs. 7-11).
public struct Household: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case consumer
        case prosumer
    }

    /// An appliance whose run may move within a window (eqs. 2-3): its energy must be used between
    /// `windowStartStep` and `windowEndStep` (exclusive), at `powerW`.
    public struct ShiftableAppliance: Sendable, Hashable {
        public var energyWh: Double
        public var powerW: Double
        public var windowStartStep: Int
        public var windowEndStep: Int
    }

    public var index: Int
    public var kind: Kind
    public var loadType: Int
    public var pvType: Int?
    /// The settlement interval of eq. 14, minutes: the household bids once per interval, for the energy of the
    /// whole interval.
    public var settlementMinutes: Int
    /// Step 3 of the CE-SDT flow: a household that does not bid takes its demand straight from the grid.
    public var bids: Bool
    /// A private margin added to the suggested price (band positions), so equal households do not bid alike.
    public var priceMargin: Double
    /// The profile's load less the shiftable appliance: the must-run load P^mr of eq. 4, W per step.
    public var mustRunW: [Double]
    /// The load as the profile gives it (must-run plus the appliance at its profile time), W per step: what the
    /// household would draw with no management, the base of its grid-only cost.
    public var profileLoadW: [Double]
    public var shiftable: ShiftableAppliance
    /// PV output P^pv = A·σ·r (eq. 1), W per step, capped at the inverter's rating; zeros for a consumer.
    public var pvW: [Double]
    public var battery: Battery?
}

/// How the community is made up; the defaults are the paper's where it gives them (5 kW PV, 5 kWh battery,
/// 10 c/kWh feed-in) and ours otherwise (documented on each).
public struct CommunityParameters: Sendable, Hashable {
    public var households: Int
    /// Share of households in Ω2 (0...1); the first round(share × households) are prosumers.
    public var prosumerShare: Double
    /// The time step of the model and the contract's settlement interval, minutes.
    public var stepMinutes: Int = 15
    /// eq. 14: each household draws its settlement interval from these (multiples of `stepMinutes`).
    public var settlementMinutesChoices: [Int] = [15, 30, 60]
    /// eq. 1: A = 27.8 m² of 18 % modules is the paper's 5 kW system (5 kW at 1 kW/m²). σ is the conversion
    /// from irradiance to AC power, so it also carries the usual system losses (temperature, soiling, wiring,
    /// inverter): 18 % × a performance ratio of 0.8 = 14.4 %.
    public var pvAreaM2: Double = 27.78
    public var pvEfficiency: Double = 0.144
    public var inverterW: Double = 5_000
    public var battery = Battery.Parameters()
    /// Share of a household's daily energy in one shiftable appliance (ours; the paper gives no figure).
    public var shiftableShare: Double = 0.15
    public var shiftablePowerW: Double = 2_000
    /// The window the appliance must run in: 08:00-22:00 (ours).
    public var shiftableWindowHours: ClosedRange<Int> = 8...22
    /// Probability that a household bids for its requests (step 3); the paper gives no figure, ours is 0.9.
    public var biddingProbability: Double = 0.9
    /// Half-width of the private price margin, band positions (ours).
    public var priceMarginHalfWidth: Double = 0.1
    public var seed: UInt64 = 2023

    public init(households: Int, prosumerShare: Double) {
        self.households = households
        self.prosumerShare = prosumerShare
    }

    public var prosumerCount: Int { Int((Double(households) * prosumerShare).rounded()) }

    public var problem: String? {
        guard (1...100_000).contains(households) else { return "households must lie in 1...100000, got \(households)" }
        guard prosumerShare >= 0, prosumerShare <= 1 else {
            return "prosumerShare must lie in 0...1, got \(prosumerShare)"
        }
        guard stepMinutes > 0, 1440 % stepMinutes == 0 else {
            return "stepMinutes must divide a day, got \(stepMinutes)"
        }
        guard !settlementMinutesChoices.isEmpty,
            settlementMinutesChoices.allSatisfy({ $0 > 0 && $0 % stepMinutes == 0 && 1440 % $0 == 0 })
        else {
            return "settlement intervals must be multiples of stepMinutes (\(stepMinutes)) that divide a day"
        }
        guard pvAreaM2 >= 0, pvEfficiency >= 0, pvEfficiency <= 1, inverterW >= 0 else {
            return "PV area, efficiency (0...1) and inverter rating must be non-negative"
        }
        guard shiftableShare >= 0, shiftableShare < 1, shiftablePowerW > 0 else {
            return "shiftableShare must lie in [0, 1) and shiftablePowerW be positive"
        }
        guard shiftableWindowHours.lowerBound >= 0, shiftableWindowHours.upperBound <= 24 else {
            return "the shiftable window must lie within 0...24 h"
        }
        guard biddingProbability >= 0, biddingProbability <= 1, priceMarginHalfWidth >= 0 else {
            return "biddingProbability must lie in 0...1 and priceMarginHalfWidth be non-negative"
        }
        return battery.problem
    }
}

extension Household {
    /// The community for `parameters` over `profiles` (already at `parameters.stepMinutes`): each household draws
    /// a load type, a PV type, a settlement interval, whether it bids and its price margin from its own stream.
    public static func community(_ parameters: CommunityParameters, profiles: CommunityProfiles) -> [Household] {
        (0..<parameters.households).map { index in
            var random = CommunityRandom(seed: parameters.seed &* 0x1000_0000_01B3 &+ UInt64(index))
            let prosumer = index < parameters.prosumerCount
            let loadType = Int(random.next() % UInt64(profiles.loadTypesW.count))
            let pvType = Int(random.next() % UInt64(profiles.irradianceTypesWPerM2.count))
            let settlement = parameters.settlementMinutesChoices[
                Int(random.next() % UInt64(parameters.settlementMinutesChoices.count))]
            let bids = random.unit() < parameters.biddingProbability
            let margin = (random.unit() * 2 - 1) * parameters.priceMarginHalfWidth
            return make(
                index: index, kind: prosumer ? .prosumer : .consumer, loadType: loadType,
                pvType: prosumer ? pvType : nil, settlementMinutes: settlement, bids: bids, priceMargin: margin,
                parameters: parameters, profiles: profiles)
        }
    }

    static func make(
        index: Int, kind: Kind, loadType: Int, pvType: Int?, settlementMinutes: Int, bids: Bool, priceMargin: Double,
        parameters: CommunityParameters, profiles: CommunityProfiles
    ) -> Household {
        let hours = Double(parameters.stepMinutes) / 60
        let load = profiles.loadTypesW[loadType]
        let dailyWh = load.reduce(0, +) * hours
        let steps = load.count
        // The appliance's energy is taken out of the profile evenly over its window, so the must-run load keeps
        // the profile's shape and the day's energy is unchanged once the appliance is scheduled.
        let windowStart = parameters.shiftableWindowHours.lowerBound * 60 / parameters.stepMinutes
        let windowEnd = parameters.shiftableWindowHours.upperBound * 60 / parameters.stepMinutes
        let windowLoadWh = load[windowStart..<windowEnd].reduce(0, +) * hours
        let energyWh = min(parameters.shiftableShare * dailyWh, windowLoadWh)
        let scale = windowLoadWh > 0 ? 1 - energyWh / windowLoadWh : 1
        let mustRun = load.indices.map { step in
            (windowStart..<windowEnd).contains(step) ? load[step] * scale : load[step]
        }
        let pv: [Double] =
            pvType.map { type in
                profiles.irradianceTypesWPerM2[type].map { irradiance in
                    // eq. 1 with r in kW/m²: P = A·σ·r (kW); W here.
                    min(parameters.inverterW, parameters.pvAreaM2 * parameters.pvEfficiency * irradiance)
                }
            } ?? Array(repeating: 0, count: steps)
        return Household(
            index: index, kind: kind, loadType: loadType, pvType: pvType, settlementMinutes: settlementMinutes,
            bids: bids, priceMargin: priceMargin, mustRunW: mustRun, profileLoadW: load,
            shiftable: ShiftableAppliance(
                energyWh: energyWh, powerW: parameters.shiftablePowerW, windowStartStep: windowStart,
                windowEndStep: windowEnd),
            pvW: pv, battery: kind == .prosumer ? Battery(parameters.battery) : nil)
    }

    /// The appliance's load per step once the home energy management has placed it (eqs. 2-3): a prosumer runs it
    /// where it uses the most of its own PV surplus, a consumer where the grid tariff is lowest; ties go to the
    /// earliest start. The run is contiguous at `powerW`, its last step partial.
    public func shiftableSchedule(stepMinutes: Int, tariff: CommunityTariff) -> [Double] {
        let hours = Double(stepMinutes) / 60
        let steps = mustRunW.count
        var schedule = Array(repeating: 0.0, count: steps)
        guard shiftable.energyWh > 0 else { return schedule }
        let stepWh = shiftable.powerW * hours
        let runSteps = max(1, Int((shiftable.energyWh / stepWh).rounded(.up)))
        let lastStart = max(shiftable.windowStartStep, shiftable.windowEndStep - runSteps)
        func profile(start: Int) -> [Double] {
            (0..<runSteps).map { offset in
                start + offset < steps ? min(stepWh, shiftable.energyWh - Double(offset) * stepWh) / hours : 0
            }
        }
        var bestStart = shiftable.windowStartStep
        var bestScore = -Double.infinity
        for start in shiftable.windowStartStep...lastStart {
            let run = profile(start: start)
            var score = 0.0
            for (offset, powerW) in run.enumerated() where start + offset < steps {
                let step = start + offset
                switch kind {
                case .prosumer:
                    score += min(powerW, max(0, pvW[step] - mustRunW[step]))
                case .consumer:
                    let hour = step * stepMinutes / 60
                    score -= powerW * Double(tariff.gridMicrosPerKWh(hour: hour))
                }
            }
            if score > bestScore + 1e-9 {
                bestScore = score
                bestStart = start
            }
        }
        for (offset, powerW) in profile(start: bestStart).enumerated() where bestStart + offset < steps {
            schedule[bestStart + offset] += powerW
        }
        return schedule
    }
}

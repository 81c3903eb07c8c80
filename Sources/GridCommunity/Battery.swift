/// A household battery (BESS) as CE-SDT models it (Wang et al. 2023, section 3.3.2, eqs. 7-11).
///
/// - eq. 7: E(t+1) = E(t) + Δt·ηc·P − E(t)·ηl·Δt when charging (P > 0), E(t) − Δt·P/ηd − E(t)·ηl·Δt when
///   discharging (P ≤ 0, P the power at the battery's terminals, so ηd applies on the way out);
/// - eq. 8: SOC = E / E_rate; eq. 9: |P| ≤ P_rate; eq. 10: SOC_min ≤ SOC ≤ SOC_max;
/// - eq. 11: SOC(T) ≥ SOC_dsr at the end of the day.
///
/// The battery charges only from the household's own PV surplus (the paper disables charging from the grid): the
/// API has no other way in. Eq. 11 is kept by never discharging below the level from which self-discharge alone
/// would still end the day at SOC_dsr. Pure value type; energies in Wh, powers in W, time in hours.
public struct Battery: Sendable, Hashable, Codable {
    public struct Parameters: Sendable, Hashable, Codable {
        /// E_rate: 5 kWh, the paper's default (section 4.1).
        public var capacityWh: Double = 5_000
        /// P_rate (eq. 9). Not given in the paper; 2.5 kW (0.5 C) is typical of a 5 kWh home battery.
        public var ratedPowerW: Double = 2_500
        /// ηc and ηd (eq. 7): 0.95 each, about 90 % round trip.
        public var chargeEfficiency: Double = 0.95
        public var dischargeEfficiency: Double = 0.95
        /// ηl (eq. 7): fraction of the stored energy lost per hour (0.1 % per hour, about 2 % a day).
        public var selfDischargePerHour: Double = 0.001
        /// SOC_min and SOC_max (eq. 10).
        public var socMin: Double = 0.1
        public var socMax: Double = 0.95
        /// SOC_dsr (eq. 11); the day also starts there, so consecutive days are alike.
        public var socEndOfDayMin: Double = 0.2

        public init() {}

        /// Why these parameters cannot describe a battery, or `nil`.
        public var problem: String? {
            if !(capacityWh > 0) { return "capacityWh must be positive, got \(capacityWh)" }
            if !(ratedPowerW > 0) { return "ratedPowerW must be positive, got \(ratedPowerW)" }
            for (name, value) in [("chargeEfficiency", chargeEfficiency), ("dischargeEfficiency", dischargeEfficiency)]
            where !(value > 0 && value <= 1) {
                return "\(name) must lie in (0, 1], got \(value)"
            }
            if !(selfDischargePerHour >= 0 && selfDischargePerHour < 1) {
                return "selfDischargePerHour must lie in [0, 1), got \(selfDischargePerHour)"
            }
            if !(socMin >= 0 && socMin < socMax && socMax <= 1) {
                return "need 0 <= socMin < socMax <= 1, got \(socMin) and \(socMax)"
            }
            if !(socEndOfDayMin >= socMin && socEndOfDayMin <= socMax) {
                return "socEndOfDayMin must lie in socMin...socMax, got \(socEndOfDayMin)"
            }
            return nil
        }
    }

    public let parameters: Parameters
    /// E(t), Wh.
    public private(set) var storedWh: Double

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        storedWh = parameters.socEndOfDayMin * parameters.capacityWh
    }

    /// eq. 8.
    public var stateOfCharge: Double { storedWh / parameters.capacityWh }

    /// What self-discharge leaves of `energyWh` after `hours` (the −E·ηl·Δt term of eq. 7).
    private func afterSelfDischarge(_ energyWh: Double, hours: Double) -> Double {
        energyWh * (1 - parameters.selfDischargePerHour * hours)
    }

    /// Charges from a PV surplus of `surplusW` for `hours`; returns the power taken at the terminals (W), at most
    /// the surplus, P_rate (eq. 9) and what fits below SOC_max (eq. 10).
    public mutating func charge(surplusW: Double, hours: Double) -> Double {
        let kept = afterSelfDischarge(storedWh, hours: hours)
        let roomWh = max(0, parameters.socMax * parameters.capacityWh - kept)
        let powerW = max(0, min(surplusW, parameters.ratedPowerW, roomWh / (parameters.chargeEfficiency * hours)))
        storedWh = kept + hours * parameters.chargeEfficiency * powerW
        return powerW
    }

    /// Discharges to cover a deficit of `deficitW` for `hours`, with `hoursLeftInDay` until the end of the day
    /// after this step; returns the power delivered (W), at most the deficit, P_rate (eq. 9), and what the floor
    /// max(SOC_min, level needed for SOC_dsr at the end of the day) allows (eqs. 10-11).
    public mutating func discharge(deficitW: Double, hours: Double, hoursLeftInDay: Double) -> Double {
        let kept = afterSelfDischarge(storedWh, hours: hours)
        let floorWh = dischargeFloorWh(hoursLeftInDay: hoursLeftInDay)
        let availableWh = max(0, kept - floorWh)
        let powerW = max(0, min(deficitW, parameters.ratedPowerW, availableWh * parameters.dischargeEfficiency / hours))
        storedWh = kept - hours * powerW / parameters.dischargeEfficiency
        return powerW
    }

    /// Only self-discharge over `hours` (nothing to charge or discharge).
    public mutating func idle(hours: Double) {
        storedWh = afterSelfDischarge(storedWh, hours: hours)
    }

    /// The lowest stored energy a discharge may leave: SOC_min (eq. 10), or the level from which self-discharge
    /// over the rest of the day still ends at SOC_dsr (eq. 11), whichever is higher.
    public func dischargeFloorWh(hoursLeftInDay: Double) -> Double {
        let endWh = parameters.socEndOfDayMin * parameters.capacityWh
        let retained = 1 - parameters.selfDischargePerHour * max(0, hoursLeftInDay)
        let neededWh = retained > 0 ? endWh / retained : parameters.socMax * parameters.capacityWh
        return max(parameters.socMin * parameters.capacityWh, min(neededWh, parameters.socMax * parameters.capacityWh))
    }
}

import Testing

@testable import GridCommunity

/// The battery of CE-SDT eqs. 7-11 with the default parameters: E_rate 5,000 Wh, P_rate 2,500 W, ηc = ηd = 0.95,
/// ηl = 0.001 per hour, SOC 0.1...0.95, SOC_dsr 0.2 (so the day starts at 1,000 Wh). Values computed by hand.
@Suite struct BatteryTests {
    private func near(_ value: Double, _ expected: Double, _ tolerance: Double = 1e-6) -> Bool {
        abs(value - expected) <= tolerance
    }

    @Test func chargingFollowsEquationSeven() {
        var battery = Battery()
        #expect(near(battery.storedWh, 1_000))
        // kept = 1000 × (1 − 0.001 × 0.25) = 999.75; + 0.25 h × 0.95 × 2000 W = 475 -> 1474.75 Wh.
        let taken = battery.charge(surplusW: 2_000, hours: 0.25)
        #expect(near(taken, 2_000))
        #expect(near(battery.storedWh, 1_474.75))
        #expect(near(battery.stateOfCharge, 0.29495))  // eq. 8
    }

    @Test func powerIsLimitedByTheRating() {
        var battery = Battery()
        // eq. 9: 4000 W offered, 2500 W taken; 999 + 0.95 × 2500 = 3374 Wh.
        #expect(near(battery.charge(surplusW: 4_000, hours: 1), 2_500))
        #expect(near(battery.storedWh, 3_374))
    }

    @Test func chargingStopsAtTheUpperStateOfCharge() {
        var battery = Battery()
        _ = battery.charge(surplusW: 4_000, hours: 1)
        // kept = 3374 × 0.999 = 3370.626; room to 4750 = 1379.374 Wh; at ηc that is 1451.972 W for an hour.
        let taken = battery.charge(surplusW: 4_000, hours: 1)
        #expect(near(taken, 1_379.374 / 0.95, 1e-6))
        #expect(near(battery.stateOfCharge, 0.95))  // eq. 10, upper bound
        #expect(near(battery.charge(surplusW: 4_000, hours: 1), 4_750 * 0.001 / 0.95, 1e-6))
    }

    @Test func dischargingKeepsTheEndOfDayReserve() {
        var battery = Battery()
        _ = battery.charge(surplusW: 4_000, hours: 1)  // 3374 Wh
        // kept = 3370.626; floor with 10 h left = max(500, 1000 / (1 − 0.01)) = 1010.10101; available 2360.52499 Wh
        // at the cells = 2242.49874 W delivered over the hour (ηd = 0.95), below P_rate.
        let delivered = battery.discharge(deficitW: 3_000, hours: 1, hoursLeftInDay: 10)
        #expect(near(delivered, (3_370.626 - 1_000 / 0.99) * 0.95, 1e-6))
        #expect(near(battery.storedWh, 1_000 / 0.99, 1e-6))
        // Next hour only the floor's own decline is free: kept 1009.0909, floor 1000 / 0.991 = 1009.0817.
        #expect(battery.discharge(deficitW: 3_000, hours: 1, hoursLeftInDay: 9) < 0.01)
        #expect(battery.storedWh >= 1_000 / 0.991 - 1e-9)
    }

    @Test func dischargePowerIsLimitedByTheRating() {
        var battery = Battery()
        _ = battery.charge(surplusW: 2_500, hours: 1)
        _ = battery.charge(surplusW: 2_500, hours: 0.5)  // well above the floor now
        #expect(near(battery.discharge(deficitW: 9_000, hours: 0.25, hoursLeftInDay: 0), 2_500))
    }

    @Test func theLowerStateOfChargeBindsWhenTheEndOfDayTargetIsLower() {
        var parameters = Battery.Parameters()
        parameters.socMin = 0.3
        parameters.socEndOfDayMin = 0.3
        parameters.selfDischargePerHour = 0
        var battery = Battery(parameters)
        _ = battery.charge(surplusW: 2_000, hours: 1)  // 1500 + 1900 = 3400 Wh
        #expect(near(battery.storedWh, 3_400))
        #expect(near(battery.discharge(deficitW: 2_500, hours: 1, hoursLeftInDay: 5), 1_900 * 0.95))
        #expect(near(battery.stateOfCharge, 0.3))  // eq. 10, lower bound
    }

    @Test func idleLosesOnlySelfDischarge() {
        var battery = Battery()
        battery.idle(hours: 2)
        #expect(near(battery.storedWh, 998))
    }

    @Test func badParametersAreNamed() {
        var parameters = Battery.Parameters()
        parameters.chargeEfficiency = 1.2
        #expect(parameters.problem?.contains("chargeEfficiency") == true)
        parameters = Battery.Parameters()
        parameters.socEndOfDayMin = 0.05
        #expect(parameters.problem?.contains("socEndOfDayMin") == true)
        #expect(Battery.Parameters().problem == nil)
    }
}

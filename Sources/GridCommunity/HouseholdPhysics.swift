/// What one household draws from and gives to the community connection at every step of the day, once its home
/// energy management has scheduled the shiftable appliance and run the battery (eq. 4 with the battery of
/// eqs. 7-11): PV first serves the home, the surplus charges the battery and the rest is exported; a deficit is
/// served by the battery down to its floor and the rest imported. The battery never charges from the grid.
public struct HouseholdFlows: Sendable, Hashable {
    /// W per step, both non-negative, never both positive in one step.
    public var importW: [Double]
    public var exportW: [Double]
    public var loadW: [Double]
    public var pvW: [Double]
    /// SOC after each step (empty without a battery).
    public var stateOfCharge: [Double]
    public var batteryChargedWh: Double
    public var batteryDischargedWh: Double

    public init(household: Household, stepMinutes: Int, tariff: CommunityTariff) {
        let hours = Double(stepMinutes) / 60
        let shift = household.shiftableSchedule(stepMinutes: stepMinutes, tariff: tariff)
        let steps = household.mustRunW.count
        var battery = household.battery
        importW = []
        exportW = []
        loadW = []
        stateOfCharge = []
        batteryChargedWh = 0
        batteryDischargedWh = 0
        pvW = household.pvW
        for step in 0..<steps {
            let load = household.mustRunW[step] + shift[step]
            loadW.append(load)
            let net = household.pvW[step] - load
            var exported = max(0, net)
            var imported = max(0, -net)
            if var store = battery {
                if net > 0 {
                    let charged = store.charge(surplusW: net, hours: hours)
                    exported -= charged
                    batteryChargedWh += charged * hours
                } else if net < 0 {
                    let hoursLeft = Double(steps - step - 1) * hours
                    let delivered = store.discharge(deficitW: -net, hours: hours, hoursLeftInDay: hoursLeft)
                    imported -= delivered
                    batteryDischargedWh += delivered * hours
                } else {
                    store.idle(hours: hours)
                }
                stateOfCharge.append(store.stateOfCharge)
                battery = store
            }
            importW.append(imported)
            exportW.append(exported)
        }
    }

    /// Net energy over steps `range` (export positive), Wh: what the household bids for that settlement interval
    /// (eq. 14: the interval's power times its length).
    public func netWh(steps range: Range<Int>, stepMinutes: Int) -> Double {
        let hours = Double(stepMinutes) / 60
        return range.reduce(0) { $0 + (exportW[$1] - importW[$1]) * hours }
    }
}

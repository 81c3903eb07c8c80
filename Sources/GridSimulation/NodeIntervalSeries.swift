import GridLoad

/// One simulated machine's CPU busy time and deepest inbox per interval of the run's time series.
///
/// Bounded like the run's ``TimeSeriesRecorder``: at most `intervalsMax` intervals; busy time or depths later than
/// that are left out of the series (the run's totals still count them).
struct NodeIntervalSeries {
    let intervalNanos: UInt64
    let intervalsMax: Int
    private(set) var busyNanos: [UInt64] = []
    private(set) var queueDepthMax: [UInt64] = []

    init(intervalNanos: UInt64, intervalsMax: Int) {
        self.intervalNanos = max(1, intervalNanos)
        self.intervalsMax = max(1, intervalsMax)
    }

    private mutating func grow(to count: Int) {
        let target = min(count, intervalsMax)
        if busyNanos.count < target {
            busyNanos += Array(repeating: 0, count: target - busyNanos.count)
            queueDepthMax += Array(repeating: 0, count: target - queueDepthMax.count)
        }
    }

    /// `cpuNanos` of work done over [startNanos, endNanos), spread evenly over that span, as the run's window
    /// figure spreads it.
    mutating func addBusy(cpuNanos: UInt64, startNanos: UInt64, endNanos: UInt64) {
        guard cpuNanos > 0 else { return }
        let end = max(endNanos, startNanos + 1)
        let span = Double(end - startNanos)
        var interval = startNanos / intervalNanos
        let lastInterval = (end - 1) / intervalNanos
        grow(to: Int(min(lastInterval, UInt64(intervalsMax))) + 1)
        while interval <= lastInterval, interval < UInt64(intervalsMax) {
            let from = max(startNanos, interval * intervalNanos)
            let to = min(end, (interval + 1) * intervalNanos)
            busyNanos[Int(interval)] += UInt64((Double(cpuNanos) * Double(to - from) / span).rounded())
            interval += 1
        }
    }

    mutating func noteQueue(depth: Int, atNanos: UInt64) {
        let interval = atNanos / intervalNanos
        guard interval < UInt64(intervalsMax) else { return }
        grow(to: Int(interval) + 1)
        queueDepthMax[Int(interval)] = max(queueDepthMax[Int(interval)], UInt64(depth))
    }

    /// The node's series over `intervalCount` intervals: CPU as a share of `cores` cores (1.0 = all busy).
    func series(id: String, region: String, cores: Double, intervalCount: Int) -> NodeTimeSeries {
        let count = min(intervalCount, intervalsMax)
        let capacity = Double(intervalNanos) * max(cores, 0.01)
        return NodeTimeSeries(
            id: id, region: region,
            cpuUtilization: (0..<count).map { $0 < busyNanos.count ? Double(busyNanos[$0]) / capacity : 0 },
            queueDepthMax: (0..<count).map { $0 < queueDepthMax.count ? queueDepthMax[$0] : 0 })
    }
}

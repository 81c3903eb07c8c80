import Foundation
import GridLive
import GridLoad

/// Per-node figures of a live run by interval of its time series, sampled (a few times an interval) from the metrics
/// file each node rewrites every 50 ms (`gridledger node`): CPU used, deepest inbox seen, committed height and frames the transport dropped.
///
/// A sample counts in the interval of the time the node wrote it (`writtenAtUnixNanos`, counted from the run's
/// planned start), not when it was read. CPU and drops are differences between consecutive samples of the same
/// process (a restarted process starts again from zero); the inbox depth is the deepest of the samples, so a
/// spike shorter than the sampling period can be missed. Bounded: at most `intervalsMax` intervals per node;
/// samples after that are counted in ``samplesBeyondLastInterval``.
struct LiveNodeSeries {
    let intervalNanos: UInt64
    let intervalsMax: Int
    private(set) var samplesBeyondLastInterval: UInt64 = 0
    /// Metrics files that could not be read or decoded while a node was running (it renames a complete file into
    /// place, so this should stay 0).
    private(set) var unreadableSamples: UInt64 = 0

    private struct Node {
        var cpuSeconds: [Double] = []
        var queueDepthMax: [UInt64] = []
        var committedHeight: [UInt64] = []
        var framesDropped: [UInt64] = []
        var lastPid: Int?
        var lastWrittenAtUnixNanos: UInt64 = 0
        var lastCPUSeconds = 0.0
        var lastDropped: UInt64 = 0

        mutating func grow(to count: Int) {
            guard cpuSeconds.count < count else { return }
            let extra = count - cpuSeconds.count
            cpuSeconds += Array(repeating: 0, count: extra)
            queueDepthMax += Array(repeating: 0, count: extra)
            // A height carries over to intervals without a sample (it never goes down).
            committedHeight += Array(repeating: committedHeight.last ?? 0, count: extra)
            framesDropped += Array(repeating: 0, count: extra)
        }
    }

    private var nodes: [String: Node] = [:]

    init(intervalNanos: UInt64, intervalsMax: Int) {
        self.intervalNanos = max(1, intervalNanos)
        self.intervalsMax = max(1, intervalsMax)
    }

    mutating func noteUnreadable() { unreadableSamples += 1 }

    /// One reading of `name`'s metrics file; a copy already seen (same write time) is ignored.
    mutating func record(_ name: String, _ metrics: LiveNodeMetrics, runStartUnixNanos: UInt64) {
        var node = nodes[name] ?? Node()
        defer { nodes[name] = node }
        guard metrics.writtenAtUnixNanos != node.lastWrittenAtUnixNanos else { return }
        let dropped = metrics.framesDropped.values.reduce(0, +)
        let sameProcess = node.lastPid == metrics.pid
        let cpuDelta = sameProcess ? max(0, metrics.cpuSeconds - node.lastCPUSeconds) : metrics.cpuSeconds
        let droppedDelta = sameProcess && dropped >= node.lastDropped ? dropped - node.lastDropped : dropped
        node.lastPid = metrics.pid
        node.lastWrittenAtUnixNanos = metrics.writtenAtUnixNanos
        node.lastCPUSeconds = metrics.cpuSeconds
        node.lastDropped = dropped
        // Before the planned start (nodes start first): only the baseline above is kept.
        guard metrics.writtenAtUnixNanos >= runStartUnixNanos else { return }
        let interval = (metrics.writtenAtUnixNanos - runStartUnixNanos) / intervalNanos
        guard interval < UInt64(intervalsMax) else {
            samplesBeyondLastInterval += 1
            return
        }
        let index = Int(interval)
        node.grow(to: index + 1)
        node.cpuSeconds[index] += cpuDelta
        node.queueDepthMax[index] = max(node.queueDepthMax[index], UInt64(max(0, metrics.inboxDepth)))
        node.committedHeight[index] = max(node.committedHeight[index], metrics.committedHeight)
        node.framesDropped[index] += droppedDelta
    }

    /// Every node's series over intervals `first..<first + count` (counted from the planned start), in
    /// `order`; CPU as a share of one core. Intervals beyond `intervalsMax` are zero.
    func series(order: [String], firstInterval first: Int, intervalCount count: Int) -> [NodeTimeSeries] {
        let seconds = Double(intervalNanos) / 1e9
        let end = max(0, min(first + count, intervalsMax))
        return order.map { name in
            var node = nodes[name] ?? Node()
            node.grow(to: end)
            // `first` is negative when a generator's grid began before the planned start (it woke early).
            func slice<T>(_ values: [T], _ zero: T) -> [T] {
                (first..<first + count).map { $0 >= 0 && $0 < end ? values[$0] : zero }
            }
            return NodeTimeSeries(
                id: name, region: String(name.split(separator: "/").first ?? ""),
                cpuUtilization: slice(node.cpuSeconds, 0).map { $0 / seconds },
                queueDepthMax: slice(node.queueDepthMax, 0),
                committedHeight: slice(node.committedHeight, node.committedHeight.last ?? 0),
                framesDropped: slice(node.framesDropped, 0))
        }
    }
}

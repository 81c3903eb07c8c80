import GridSimulation
import Testing

@Suite struct SmokeTests {
    @Test func oneRegionCommitsItsLoad() throws {
        let report = try simulate(try testTopology())
        let counts = report.recorder.measuredCounts
        print("offered \(counts.offered) committed \(counts.committed) rejected \(counts.rejected) dropped \(counts.dropped) timedOut \(counts.timedOut) heights \(report.committedHeights) events \(report.eventsProcessed)")
        for node in report.nodes { print(node.label, node.cpuUtilization, node.committedHeight, node.rejections) }
        #expect(counts.offered == 1000)
        #expect(counts.committed == counts.offered)
    }
}

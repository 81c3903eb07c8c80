import Foundation
import Testing

@testable import GridTopology

/// The reused large-stack threads the YAML readers run on (`LargeStack`).
/// That the stack is large enough is `TopologyFuzzTests.deepNestingIsAnErrorNotACrash`: 1100 levels of YAML.
@Suite struct LargeStackTests {
    private static func currentThreadID() -> UInt { UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }

    @Test func aThreadIsReusedForTheNextCaller() {
        // Other suites may parse at the same moment and take the idle thread in between, so look for reuse over a
        // few tries rather than on the first pair.
        var reused = false
        for _ in 0..<20 where !reused {
            let first = LargeStack.run { Self.currentThreadID() }
            let second = LargeStack.run { Self.currentThreadID() }
            reused = first == second
        }
        #expect(reused)
    }

    @Test func aJobThatNeedsTheLargeStackItselfDoesNotWaitForItself() {
        // A sweep plan parses topologies from inside its own large-stack job.
        let (outer, inner) = LargeStack.run { () -> (UInt, UInt) in
            (Self.currentThreadID(), LargeStack.run { Self.currentThreadID() })
        }
        #expect(outer != inner)
    }

    @Test func concurrentCallersEachGetTheirOwnResult() async {
        let results = await withTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<16 {
                group.addTask { (index, LargeStack.run { index * index }) }
            }
            var all: [(Int, Int)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.1 == $0.0 * $0.0 })
    }
}

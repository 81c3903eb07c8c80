/// A min-heap of events ordered by (time, sequence). The sequence number breaks ties in insertion order, which
/// is what makes a run with a given seed replay exactly.
///
/// The heap holds only (time, sequence, slot); events wait in a slot array. Simulator events carry messages that
/// are hundreds of bytes inline, and a heap of those would copy (and retain) them at every sift step.
struct EventQueue<Event> {
    private struct Entry {
        let timeNanos: UInt64
        let sequence: UInt64
        let slot: Int

        func precedes(_ other: Entry) -> Bool {
            timeNanos != other.timeNanos ? timeNanos < other.timeNanos : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ event: Event, atNanos timeNanos: UInt64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        heap.append(Entry(timeNanos: timeNanos, sequence: nextSequence, slot: slot))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (timeNanos: UInt64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        let event = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.timeNanos, event)
    }
}

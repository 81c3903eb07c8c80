import Foundation

/// Runs work on threads with a large stack, for the YAML readers: libyaml stops at 1000 levels of nesting, and Yams
/// builds (and Swift frees) the node tree recursively, about 600 bytes of stack per level in debug builds, too much
/// for a 512 KiB secondary thread.
///
/// Threads are kept and reused: starting one costs about 2 ms under AddressSanitizer (its stack is mapped and
/// cleared each time), which was most of a small file's parse in the fuzzer. At most `idleThreadsMax` wait idle; a
/// caller that finds none starts a new thread, so parses never queue behind each other, and a thread that finishes
/// while the pool is full ends.
public enum LargeStack {
    /// Room for libyaml's 1000 levels with Yams's frames in a debug build, with a wide margin.
    public static let stackBytes = 16 << 20
    /// Idle threads kept for reuse. Each holds at most `stackBytes` of address space, and keeps resident only the
    /// pages its deepest parse touched.
    public static let idleThreadsMax = 2

    /// Runs `body` on a thread with `stackBytes` of stack and waits for its result.
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value) -> Value {
        let slot = ResultSlot<Value>()
        let worker = pool.take() ?? Worker.start()
        worker.submit(Job(run: { slot.value = body() }, done: slot.done))
        slot.done.wait()
        guard let value = slot.value else { preconditionFailure("the large-stack thread ended without a result") }
        return value
    }

    static let pool = Pool()

    /// The idle workers. `@unchecked Sendable`: `idle` is only touched under `lock`.
    final class Pool: @unchecked Sendable {
        private let lock = NSLock()
        private var idle: [Worker] = []

        func take() -> Worker? {
            lock.lock()
            defer { lock.unlock() }
            return idle.popLast()
        }

        /// Keeps `worker` for the next caller; false when the pool is full and the worker should end.
        func keep(_ worker: Worker) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard idle.count < LargeStack.idleThreadsMax else { return false }
            idle.append(worker)
            return true
        }
    }

    struct Job: Sendable {
        let run: @Sendable () -> Void
        /// Signalled once the worker is back in the pool (or about to end), so a caller that parses file after
        /// file finds it idle.
        let done: DispatchSemaphore
    }

    /// One thread that runs one job at a time. `@unchecked Sendable`: `job` is only touched under `condition`.
    final class Worker: @unchecked Sendable {
        private let condition = NSCondition()
        private var job: Job?

        static func start() -> Worker {
            let worker = Worker()
            let thread = Thread { worker.loop() }
            thread.stackSize = LargeStack.stackBytes
            thread.start()
            return worker
        }

        func submit(_ job: Job) {
            condition.lock()
            precondition(self.job == nil, "a large-stack worker was given a second job")
            self.job = job
            condition.signal()
            condition.unlock()
        }

        private func loop() {
            while true {
                condition.lock()
                while job == nil { condition.wait() }
                let next = job
                job = nil
                condition.unlock()
                guard let next else { continue }
                next.run()
                // Back in the pool only once the job is over: a job that itself needs a large stack (a sweep plan
                // parses its topologies) then takes another worker instead of waiting for itself.
                let kept = LargeStack.pool.keep(self)
                next.done.signal()
                if !kept { return }
            }
        }
    }
}

/// Carries a result from the large-stack thread. `@unchecked Sendable`: written once on that thread before `done` is
/// signalled, read only after waiting for `done`, so the semaphore orders the accesses.
private final class ResultSlot<Value>: @unchecked Sendable {
    var value: Value?
    let done = DispatchSemaphore(value: 0)
}

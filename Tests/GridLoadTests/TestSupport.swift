import GridLoad

let nanosPerSecond: UInt64 = 1_000_000_000
let nanosPerMilli: UInt64 = 1_000_000

/// A window given in whole seconds.
func window(warmup: UInt64, measured: UInt64, cooldown: UInt64 = 0) throws -> LoadWindow {
    try LoadWindow(
        warmupNanos: warmup * nanosPerSecond, measuredNanos: measured * nanosPerSecond,
        cooldownNanos: cooldown * nanosPerSecond)
}

/// Every send time of an open-loop schedule.
func allTimes(_ controller: RateController, _ window: LoadWindow, seed: UInt64 = 1) throws -> [UInt64] {
    var schedule = try LoadSchedule(controller: controller, window: window, seed: seed)
    var times: [UInt64] = []
    while let time = schedule.next() { times.append(time) }
    return times
}

/// How many times fall in `[fromSeconds, toSeconds)`.
func count(_ times: [UInt64], from fromSeconds: Double, to toSeconds: Double) -> Int {
    let from = UInt64(fromSeconds * 1e9)
    let to = UInt64(toSeconds * 1e9)
    return times.filter { $0 >= from && $0 < to }.count
}

/// A small deterministic stand-in for the simulator: a fixed-rate generator over two regions whose ledger commits
/// most transactions after a seeded delay, rejects some, answers busy to some and loses a few (they time out).
func syntheticRun(seed: UInt64, nodes: [RunResult.NodeResult]? = nil, wallClock: RunResult.WallClock? = nil) throws
    -> RunResult
{
    let loadWindow = try window(warmup: 1, measured: 4, cooldown: 1)
    var schedule = try LoadSchedule(controller: .poisson(tps: 400), window: loadWindow, seed: seed)
    var recorder = try OutcomeRecorder(window: loadWindow, regions: ["north", "south"])
    var random = DeterministicRandom(seed: seed ^ 0xABCDEF)
    var lastNanos: UInt64 = 0
    while let scheduledNanos = schedule.next() {
        let region = random.next() % 2 == 0 ? "north" : "south"
        let id = try recorder.scheduled(atNanos: scheduledNanos, region: region)
        let roll = random.next() % 100
        if roll == 0 {
            try recorder.dropped(id, atNanos: scheduledNanos)  // the generator itself was full
            continue
        }
        let sentNanos = scheduledNanos + random.next() % (2 * nanosPerMilli)
        try recorder.sent(id, atNanos: sentNanos)
        let doneNanos = sentNanos + UInt64(random.nextExponential(mean: 40e6)) + 5 * nanosPerMilli
        lastNanos = max(lastNanos, doneNanos)
        switch roll {
        case 1...3: try recorder.rejected(id, reason: roll == 1 ? "bad signature" : "nonce replay", atNanos: doneNanos)
        case 4: try recorder.dropped(id, atNanos: doneNanos)
        case 5: break  // lost: times out at the end
        default: try recorder.committed(id, atNanos: doneNanos)
        }
    }
    recorder.finish()
    let defaultNodes = [
        RunResult.NodeResult(
            id: "south-0", region: "south", cpuUtilization: 0.512_345_67, queuePeak: 17, bytesSent: 3_456_789,
            lmdbBytesWritten: 9_876_543, committedHeight: 80),
        RunResult.NodeResult(
            id: "north-0", region: "north", cpuUtilization: 1.0 / 3.0, queuePeak: 12, bytesSent: 2_345_678,
            lmdbBytesWritten: 8_765_432, committedHeight: 81),
    ]
    return try RunResult(
        recorder: recorder, topology: .init(name: "two-regions", file: "topologies/two-regions.yaml"), seed: seed,
        cpuMode: .model, nodes: nodes ?? defaultNodes,
        simulation: .init(virtualNanos: lastNanos, eventsProcessed: 123_456), wallClock: wallClock)
}

import GridLoad
import Testing

/// Misuse by a buggy or hostile caller must produce a clear `LoadError` and leave every count untouched.
@Suite struct HostileInputTests {
    @Test func unknownTransactionIsAnError() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let known = try recorder.scheduled(atNanos: 0, region: "r0")
        let unknown = LoadTransactionID(rawValue: known.rawValue + 1)
        #expect(throws: LoadError.unknownTransaction(unknown)) { try recorder.committed(unknown, atNanos: 5) }
        #expect(throws: LoadError.unknownTransaction(unknown)) { try recorder.sent(unknown, atNanos: 5) }
        let huge = LoadTransactionID(rawValue: .max)
        #expect(throws: LoadError.unknownTransaction(huge)) { try recorder.rejected(huge, reason: "x", atNanos: 5) }
        #expect(recorder.measuredCounts == OutcomeCounts(offered: 1))
    }

    @Test func secondOutcomeIsAnErrorAndNotCounted() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let id = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.sent(id, atNanos: 1)
        try recorder.committed(id, atNanos: 2)
        let before = recorder.measuredCounts
        #expect(throws: LoadError.outcomeAlreadyRecorded(id)) { try recorder.committed(id, atNanos: 3) }
        #expect(throws: LoadError.outcomeAlreadyRecorded(id)) { try recorder.rejected(id, reason: "late", atNanos: 3) }
        #expect(throws: LoadError.outcomeAlreadyRecorded(id)) { try recorder.dropped(id, atNanos: 3) }
        #expect(throws: LoadError.outcomeAlreadyRecorded(id)) { try recorder.timedOut(id, atNanos: 3) }
        #expect(throws: LoadError.outcomeAlreadyRecorded(id)) { try recorder.sent(id, atNanos: 3) }
        #expect(recorder.measuredCounts == before)
        #expect(recorder.latencyHistogramMicros(.localCommit)?.totalCount == 1)
        #expect(recorder.rejectReasons.isEmpty)
        try recorder.verifyAccounting()
    }

    @Test func orderingMistakesAreErrors() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let id = try recorder.scheduled(atNanos: 100, region: "r0")
        #expect(throws: LoadError.committedWithoutSend(id)) { try recorder.committed(id, atNanos: 200) }
        #expect(throws: LoadError.eventBeforeScheduledTime(id, scheduledAtNanos: 100, eventAtNanos: 99)) {
            try recorder.sent(id, atNanos: 99)
        }
        try recorder.sent(id, atNanos: 150)
        #expect(throws: LoadError.alreadySent(id)) { try recorder.sent(id, atNanos: 160) }
        #expect(throws: LoadError.scheduleWentBackwards(previousNanos: 100, scheduledAtNanos: 50)) {
            _ = try recorder.scheduled(atNanos: 50, region: "r0")
        }
        #expect(recorder.measuredCounts == OutcomeCounts(offered: 1, sent: 1))
    }

    @Test func boundsAreEnforcedWithErrors() throws {
        let limits = OutcomeRecorder.Limits(maxTrackedTransactions: 3, maxRegions: 2, maxLatencyKinds: 2)
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1), limits: limits)
        for _ in 0..<3 { _ = try recorder.scheduled(atNanos: 0, region: "a") }
        #expect(throws: LoadError.tooManyInFlight(limit: 3)) { _ = try recorder.scheduled(atNanos: 0, region: "a") }
        recorder.finish()
        _ = try recorder.scheduled(atNanos: 0, region: "b")
        #expect(throws: LoadError.tooManyRegions(limit: 2)) { _ = try recorder.scheduled(atNanos: 0, region: "c") }
        try recorder.recordLatency(.globalFinality, scheduledAtNanos: 0, completedAtNanos: 1)
        #expect(throws: LoadError.tooManyLatencyKinds(limit: 2)) {
            try recorder.recordLatency(.crossRegion, scheduledAtNanos: 0, completedAtNanos: 1)
        }
        #expect(throws: LoadError.self) {
            _ = try OutcomeRecorder(window: try window(warmup: 0, measured: 1), limits: .init(maxRegions: 0))
        }
    }

    @Test func rejectReasonsAreBoundedTrimmedAndSummed() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        for index in 0..<100 {
            let id = try recorder.scheduled(atNanos: 0, region: "r0")
            try recorder.rejected(id, reason: "reason \(index)", atNanos: 0)
        }
        let long = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.rejected(long, reason: "reason 1" + String(repeating: "!", count: 10_000), atNanos: 0)
        let blank = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.rejected(blank, reason: " \n\t ", atNanos: 0)
        try recorder.verifyAccounting()
        #expect(recorder.rejectReasons.count == 65)
        #expect(recorder.rejectReasons[OutcomeRecorder.otherReason] == 38)  // 36 late reasons + long + blank
        #expect(recorder.rejectReasons.keys.allSatisfy { $0.count <= 96 })
        #expect(recorder.rejectReasons.values.reduce(0, +) == 102)
    }

    @Test func reasonsCannotInjectIntoTerminalOrMarkdown() throws {
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1))
        let id = try recorder.scheduled(atNanos: 0, region: "r0")
        try recorder.rejected(id, reason: "evil \u{1B}[2J | <script>", atNanos: 0)
        let result = try RunResult(
            recorder: recorder, topology: .init(name: "t", file: "t.yaml"), seed: 1, cpuMode: .model, nodes: [],
            simulation: .init(virtualSeconds: 1, eventsProcessed: 1))
        #expect(!RunReport.terminalSummary(result).contains("\u{1B}"))
        let markdown = RunReport.markdown(result)
        #expect(!markdown.contains("<script>"))
        #expect(markdown.contains("evil ?[2J \\| &lt;script&gt;"))
    }

    /// Random operations, many of them wrong, checked against a simple model of what the recorder must do.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomMisuseMatchesAModel(seed: UInt64) throws {
        enum ModelState { case scheduled, sent, resolved }
        var random = DeterministicRandom(seed: seed)
        var recorder = try OutcomeRecorder(window: try window(warmup: 0, measured: 1000))
        var model: [UInt64: ModelState] = [:]
        var expected = OutcomeCounts()
        var nowNanos: UInt64 = 0
        for _ in 0..<20_000 {
            nowNanos += random.next() % 1000
            let operation = random.next() % 6
            if operation == 0 || model.isEmpty {
                let id = try recorder.scheduled(atNanos: nowNanos, region: "r\(random.next() % 3)")
                #expect(model[id.rawValue] == nil)
                model[id.rawValue] = .scheduled
                expected.offered += 1
                continue
            }
            // Mostly ids that exist, sometimes one just past the end or far away.
            let pick = random.next() % 10
            let raw = pick < 8 ? random.next() % UInt64(model.count) : UInt64(model.count) + random.next() % 5
            let id = LoadTransactionID(rawValue: raw)
            let state = model[raw]
            do {
                switch operation {
                case 1:
                    try recorder.sent(id, atNanos: nowNanos)
                    #expect(state == .scheduled)
                    model[raw] = .sent
                    expected.sent += 1
                case 2:
                    try recorder.committed(id, atNanos: nowNanos)
                    #expect(state == .sent)
                    model[raw] = .resolved
                    expected.committed += 1
                case 3:
                    try recorder.rejected(id, reason: "r\(random.next() % 100)", atNanos: nowNanos)
                    #expect(state == .scheduled || state == .sent)
                    model[raw] = .resolved
                    expected.rejected += 1
                case 4:
                    try recorder.dropped(id, atNanos: nowNanos)
                    #expect(state == .scheduled || state == .sent)
                    model[raw] = .resolved
                    expected.dropped += 1
                default:
                    try recorder.timedOut(id, atNanos: nowNanos)
                    #expect(state == .scheduled || state == .sent)
                    model[raw] = .resolved
                    expected.timedOut += 1
                }
            } catch let error as LoadError {
                switch error {
                case .unknownTransaction: #expect(state == nil)
                case .outcomeAlreadyRecorded: #expect(state == .resolved)
                case .alreadySent: #expect(state == .sent)
                case .committedWithoutSend: #expect(state == .scheduled)
                default: Issue.record("unexpected error \(error)")
                }
            }
        }
        #expect(recorder.measuredCounts == expected)
        let unresolved = model.values.filter { $0 != .resolved }.count
        #expect(recorder.inFlightCount == unresolved)
        #expect(recorder.finish() == unresolved)
        try recorder.verifyAccounting()
    }
}

extension CapacitySearch {
    /// Drives the search to its end: asks `runProbe` for each proposed rate (with the probe's number, from 1),
    /// judges its result by `slo` on latency `kind`, and reports every probe to `progress` as it finishes.
    ///
    /// `runProbe` returns the probe's result and its folder relative to the search's output folder. A confirm
    /// probe is the runner's to make different from the search's runs (another seed in the simulator).
    public mutating func run(
        slo: SLOSpecification, kind: LatencyKind,
        runProbe: (Request, Int) throws -> (result: RunResult, directory: String),
        progress: (CapacityProbe, Int) -> Void = { _, _ in }
    ) throws -> [CapacityProbeRun] {
        var runs: [CapacityProbeRun] = []
        while let request = next() {
            let number = runs.count + 1
            let outcome = try runProbe(request, number)
            let probe = CapacityProbe(
                phase: request.phase, result: outcome.result, slo: slo, kind: kind,
                resultDirectory: outcome.directory)
            try record(meets: probe.meetsSLO)
            runs.append(CapacityProbeRun(probe: probe, result: outcome.result))
            progress(probe, number)
        }
        return runs
    }
}

import GridLoad

/// The sweep's answer to the planner's question, per cell and overall: `sweep.md` and the table printed at the end.
public struct SweepReport {
    public var plan: SweepPlan
    public var summary: SweepSummary
    public var outcomes: [String: CellOutcome]

    public init(plan: SweepPlan, summary: SweepSummary, outcomes: [String: CellOutcome]) {
        self.plan = plan
        self.summary = summary
        self.outcomes = outcomes
    }

    private var spec: SweepSpec { plan.spec }

    // MARK: - The answer

    /// One or two plain sentences: which cell answers the question, and how many cells got there.
    public func answer() -> String {
        let done = zip(plan.cells, summary.cells).filter { $0.1.status == "done" }
        let open = summary.cells.count - done.count
        let tail =
            open > 0
            ? " \(open) of \(summary.cells.count) cells are not done (failed or pending), so this may change." : ""
        guard !done.isEmpty else { return "No cell has finished yet." + tail }
        switch spec.mode {
        case .run:
            guard let slo = spec.slo else {
                return "The spec sets no SLO, so the cells are not judged; see the table." + tail
            }
            let met = done.filter { pair in
                if case .run(let result) = outcomes[pair.0.name] { return slo.evaluate(result).met }
                return false
            }
            guard let best = met.min(by: { smaller($0.0, $0.1, than: $1.0, $1.1) }) else {
                let closest = done.compactMap { pair in pair.1.p99Millis.map { (pair.0.name, $0) } }.min { $0.1 < $1.1 }
                return "No cell met \(slo.text) at its offered load"
                    + (closest.map { "; the lowest p99 was \(fixed($0.1, 1)) ms, in \($0.0)" } ?? "") + "." + tail
            }
            return "The smallest deployment that met \(slo.text) at its offered load is \(best.0.name): "
                + deployment(best.0) + " (offered \(fixed(best.1.offeredTps ?? 0, 1)) tx/s, committed "
                + "\(fixed(best.1.committedTps ?? 0, 1)) tx/s, p99 \(best.1.p99Millis.map { fixed($0, 1) } ?? "n/a") ms). "
                + "\(met.count) of \(done.count) finished cells met it." + tail
        case .capacity:
            let slo = spec.slo?.text ?? "the SLO"
            if let target = spec.targetTps {
                let enough = done.filter { ($0.1.sustainableTps ?? 0) >= target }
                guard let best = enough.min(by: { smaller($0.0, $0.1, than: $1.0, $1.1) }) else {
                    let highest = done.max { ($0.1.sustainableTps ?? 0) < ($1.1.sustainableTps ?? 0) }
                    return "No cell sustains \(fixed(target, 0)) tx/s under \(slo)"
                        + (highest.map {
                            "; the highest sustainable rate was \(fixed($0.1.sustainableTps ?? 0, 1)) tx/s, in \($0.0.name)"
                        }
                            ?? "") + "." + tail
                }
                return "The smallest deployment that sustains \(fixed(target, 0)) tx/s under \(slo) is \(best.0.name): "
                    + deployment(best.0) + " (sustainable \(fixed(best.1.sustainableTps ?? 0, 1)) tx/s, recommended "
                    + "\(fixed(best.1.recommendedTps ?? 0, 1)) tx/s). \(enough.count) of \(done.count) finished cells "
                    + "sustain it." + tail
            }
            guard let best = done.max(by: { ($0.1.sustainableTps ?? 0) < ($1.1.sustainableTps ?? 0) }) else {
                return tail
            }
            return "The highest sustainable rate under \(slo) is \(fixed(best.1.sustainableTps ?? 0, 1)) tx/s, in "
                + "\(best.0.name): " + deployment(best.0)
                + " (recommended \(fixed(best.1.recommendedTps ?? 0, 1)) tx/s)."
                + tail
        }
    }

    /// Fewer validators in all, then fewer regions, then the lower p99.
    private func smaller(_ a: PlannedCell, _ aCell: SweepCell, than b: PlannedCell, _ bCell: SweepCell) -> Bool {
        (a.topology.validatorCount, a.topology.regions.count, aCell.p99Millis ?? .infinity)
            < (b.topology.validatorCount, b.topology.regions.count, bCell.p99Millis ?? .infinity)
    }

    private func deployment(_ cell: PlannedCell) -> String {
        let regions = cell.topology.regions
        let sizes = Set(regions.map(\.validators))
        let perRegion = sizes.count == 1 ? counted(sizes.first!, "validator") : "varying validators"
        let cores = Set(regions.map(\.machine.cores))
        let machine = cores.count == 1 ? " on \(counted(cores.first!, "core")) each" : ""
        return counted(regions.count, "region") + " of \(perRegion)\(machine), "
            + counted(cell.topology.validatorCount, "validator") + " in all"
    }

    private func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    // MARK: - Tables

    /// Parameter columns (in order of first appearance), then the deployment and the figures.
    func table() -> (header: [String], rows: [[String]], labelColumns: Int) {
        var parameterNames: [String] = []
        for cell in plan.cells {
            for parameter in cell.parameters where !parameterNames.contains(parameter.name) {
                parameterNames.append(parameter.name)
            }
        }
        var header = ["cell"] + parameterNames + ["regions", "validators"]
        switch spec.mode {
        case .run:
            header += ["offered tx/s", "committed tx/s", "p99 ms"]
            if let slo = spec.slo { header.append(slo.text) }
        case .capacity:
            header += ["sustainable tx/s", "recommended tx/s", "p99 ms at it"]
            if let target = spec.targetTps { header.append(">= \(fixed(target, 0)) tx/s") }
        }
        header.append("status")
        var rows: [[String]] = []
        for (cell, entry) in zip(plan.cells, summary.cells) {
            let values = Dictionary(
                cell.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            var row = [cell.name] + parameterNames.map { values[$0] ?? "" }
            row += [String(cell.topology.regions.count), String(cell.topology.validatorCount)]
            let p99 = entry.p99Millis.map { fixed($0, 1) } ?? "-"
            switch spec.mode {
            case .run:
                row += [
                    entry.offeredTps.map { fixed($0, 1) } ?? "-", entry.committedTps.map { fixed($0, 1) } ?? "-", p99,
                ]
                if let slo = spec.slo {
                    if case .run(let result) = outcomes[cell.name], entry.status == "done" {
                        let evaluation = slo.evaluate(result)
                        row.append(evaluation.met ? "met" : "missed: " + evaluation.failed.joined(separator: ", "))
                    } else {
                        row.append("-")
                    }
                }
            case .capacity:
                row += [
                    entry.sustainableTps.map { fixed($0, 1) } ?? "-", entry.recommendedTps.map { fixed($0, 1) } ?? "-",
                    p99,
                ]
                if let target = spec.targetTps {
                    row.append(entry.sustainableTps.map { $0 >= target ? "yes" : "no" } ?? "-")
                }
            }
            row.append(entry.status)
            rows.append(row)
        }
        return (header, rows, 1 + parameterNames.count)
    }

    /// Aligned columns for the terminal, then the answer.
    public func terminalTable() -> String {
        let table = table()
        let header = table.header.map(terminalSafe)
        let rows = table.rows.map { $0.map(terminalSafe) }
        var widths = header.map(\.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (column, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                parts.append(column < table.labelColumns || column == cells.count - 1 ? cell + padding : padding + cell)
            }
            var text = parts.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line) + ["", terminalSafe(answer())]).joined(separator: "\n")
    }

    /// `sweep.md`.
    public func markdown() -> String {
        let table = table()
        var lines = ["# Sweep \(markdownSafe(spec.name))", ""]
        if !spec.description.isEmpty { lines += [markdownSafe(spec.description), ""] }
        let counts = Dictionary(grouping: summary.cells, by: \.status).mapValues(\.count)
        lines.append(
            "Spec `\(markdownSafe(spec.file))`, mode \(spec.mode.rawValue)"
                + (spec.slo.map {
                    ", SLO \(markdownSafe($0.text)) (local commit; achieved >= 99 % of offered, failures <= 0.1 %)"
                } ?? "")
                + ", runtime \(spec.runtime.rawValue). \(summary.cells.count) cells: \(counts["done"] ?? 0) done, "
                + "\(counts["failed"] ?? 0) failed, \(counts["pending"] ?? 0) pending.")
        lines += ["", "## Answer", "", markdownSafe(answer()), "", "## Cells", ""]
        let header = "| " + table.header.map(markdownSafe).joined(separator: " | ") + " |"
        let rule =
            "|"
            + table.header.indices.map {
                $0 < table.labelColumns || $0 == table.header.count - 1 ? " --- |" : " ---: |"
            }.joined()
        lines += [header, rule]
        lines += table.rows.map { "| " + $0.map(markdownSafe).joined(separator: " | ") + " |" }
        let failed = summary.cells.filter { $0.status == "failed" }
        if !failed.isEmpty {
            lines += ["", "## Failed cells", ""]
            lines += failed.map { "- \(markdownSafe($0.name)): see `\(markdownSafe($0.resultDirectory))/log.txt`" }
        }
        lines += [
            "", "## Reproduce", "",
            "Each cell's topology is `cells/NAME/topology.yaml`; its first lines give the command that runs it again "
                + "from this folder. Running the sweep again with the same spec and `--out` resumes it: finished cells "
                + "are kept, the others run.", "",
        ]
        return lines.joined(separator: "\n")
    }

    private func terminalSafe(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    private func markdownSafe(_ text: String) -> String {
        var escaped = ""
        for character in terminalSafe(text) {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "|": escaped += "\\|"
            case "`": escaped += "\\`"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

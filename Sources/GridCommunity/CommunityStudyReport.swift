import Foundation

/// The study's files: `study.json` (the result) and `study.md` (our figures beside the paper's, and why they
/// differ).
extension CommunityStudyResult {
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    private static func format(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value else { return "–" }
        return String(format: "%.\(digits)f", value)
    }

    /// The table of costs and energy per share of generating households, with the paper's figures beside ours.
    public func shareTable() -> String {
        var lines = [
            "| generating users | Ω1 cost % (paper) | Ω2 cost % (paper) | all % (paper) | Ω2 without trading % "
                + "| P2P kWh | grid kWh | feed-in kWh | P2P / need |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in shares {
            let paper = self.paper.first { abs($0.prosumerShare - row.prosumerShare) < 1e-9 }
            func withPaper(_ ours: Double?, _ theirs: Double?) -> String {
                Self.format(ours) + (theirs.map { " (\(Self.format($0)))" } ?? "")
            }
            var prosumerPaper = paper.flatMap { $0.prosumersPercent.map { Self.format($0) } }
            if abs(row.prosumerShare - 0.7) < 1e-9 { prosumerPaper = "< 0" }
            let need = row.peerToPeerKWh + row.fromGridKWh
            lines.append(
                "| \(Int((row.prosumerShare * 100).rounded())) % (\(row.prosumers)/\(row.households)) "
                    + "| \(withPaper(row.consumersPercent, paper?.consumersPercent)) "
                    + "| \(Self.format(row.prosumersPercent))\(prosumerPaper.map { " (\($0))" } ?? "") "
                    + "| \(withPaper(row.allPercent, paper?.allPercent)) "
                    + "| \(Self.format(row.prosumersWithoutTradingPercent)) "
                    + "| \(Self.format(row.peerToPeerKWh)) | \(Self.format(row.fromGridKWh)) "
                    + "| \(Self.format(row.feedInKWh)) | \(Self.format(need > 0 ? row.peerToPeerKWh / need * 100 : 0)) % |"
            )
        }
        return lines.joined(separator: "\n")
    }

    public func sizeTable() -> String {
        var lines = [
            "| users | need kWh/user | P2P kWh/user | grid kWh/user | grid 10-14 h kWh/user | all cost % | transactions |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in sizes {
            lines.append(
                "| \(row.households) | \(Self.format(row.userNeedKWhPerHousehold, 2)) "
                    + "| \(Self.format(row.peerToPeerKWhPerHousehold, 2)) | \(Self.format(row.fromGridKWhPerHousehold, 2)) "
                    + "| \(Self.format(row.middayFromGridKWhPerHousehold, 2)) | \(Self.format(row.allPercent)) "
                    + "| \(row.transactions) |")
        }
        return lines.joined(separator: "\n")
    }

    private var settlementSentence: String {
        guard settlement == "metered" else { return "bid-based settlement (what is bid is delivered)." }
        let readings = shares.reduce(0) { $0 + $1.meterReadings }
        let shortfall = shares.reduce(0) { $0 + $1.shortfallKWh }
        let penalties = shares.reduce(0) { $0 + $1.penalties }
        return "settlement against metered delivery (You et al.): offers on a forecast off by up to ±15 %, "
            + "margins prepaid, \(readings) meter-signed readings settled \(Self.format(shortfall)) kWh of "
            + "shortfall over the share sweep (penalties \(Self.format(penalties, 2)))."
    }

    /// `ledgerNote`: how the run was timed, filled in by the caller (wall time is not part of the result's
    /// deterministic content).
    public func markdown(ledgerNote: String) -> String {
        let tariffHours = tariff.gridMicrosPerKWhByHour.map { String(format: "%.0f", Double($0) / 10_000) }
        return """
            # CE-SDT community study (Wang et al. 2023, Figures 5-10) on GridLedger

            One 24-hour November day in Sydney, \(stepMinutes)-minute settlement steps, each household settling every \
            \(settlementMinutesChoices.map(String.init).joined(separator: "/")) minutes (drawn per household, eq. 14), \
            clearing rule `\(clearingRule)`, \(settlementSentence) Costs are the households' ledger balance changes over the day as a \
            percentage of what the same load costs bought entirely from the grid at the time-of-use tariff. \
            Paper's figures in brackets (section 4.2, text on Figure 10).

            ## Cost and energy by share of generating users (\(shares.first?.households ?? 0) users)

            \(shareTable())

            ## Community size (\(Int(((sizes.first?.prosumerShare ?? 0.5) * 100).rounded())) % generating users; \
            paper Figures 6-7)

            \(sizeTable())

            The paper reports that the need per user stays flat with size (Figure 6) and the grid's share at midday \
            falls as the community grows (Figure 7).

            ## Ledger

            Every request, offer, deadline (`close`) and settlement (`clear`) is an Ed25519-signed transaction, \
            admitted (signature, chain, nonce) and executed by the auction contract: \(transactionsTotal) \
            transactions in all. \(ledgerNote)

            \(ledger?.markdown() ?? "The simulator replay was not run.")

            ## Set-up and what differs from the paper

            - Tariff: time-of-use \(tariffHours.joined(separator: " ")) c/kWh by hour from midnight, feed-in \
            \(String(format: "%.0f", Double(tariff.feedInMicrosPerKWh) / 10_000)) c/kWh. The paper's Table 2 is an \
            image our copy lacks; these are typical NSW residential time-of-use prices of 2012-13 (off-peak 12, \
            shoulder 20, peak 45 c/kWh), so absolute costs and the value of a traded kWh differ.
            - Profiles: generated with pvlib (Sydney, November, clear sky and monthly-mean scaled) and richardsonpy \
            (15 stochastic households, scaled to 16 kWh a day), not the paper's measured NSW data \
            (data/ce-sdt/PROVENANCE.md). With eq. 1's σ = 14.4 % (18 % modules, performance ratio 0.8) a 5 kW \
            system makes 23-32 kWh on these days against 16 kWh of load, so prosumers have large surpluses at \
            midday and little left in the evening peak; the paper's measured systems may well have made less.
            - Prices (eqs. 5-6): the paper's equations lost their signs in our copy and give no weights; we use \
            λ = −0.02 and β = +0.02 band positions per kWh, μ = ν = 1, the last 4 break-even mid-prices, and a \
            private margin of ±0.1 band per household. Higher weights or margins move money between Ω1 and Ω2 but \
            not the energy traded.
            - Pricing of a pair: pay-as-offer (the paper's flow: the contract accepts offers in price order for the \
            request). 10 % of households do not bid (step 3.1) and buy from the grid; the paper gives no share.
            - Battery 5 kWh, 2.5 kW, 95 % each way, SOC 10-95 %, ending the day at ≥ 20 %, charged only from PV; \
            shiftable load 15 % of the day's energy in one 2 kW appliance run between 08:00 and 22:00, placed by \
            the household (prosumers on their PV surplus, consumers at the cheapest tariff); the paper gives the \
            battery size only.
            - Ω2's "without trading" column is the same household with PV, battery and shifting but selling only at \
            the feed-in tariff: the gap to the Ω2 column is what community trading adds.
            """
    }
}

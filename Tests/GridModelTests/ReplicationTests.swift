import Foundation
import Testing

@testable import GridModel

@Suite struct ReplicationTests {
    @Test func copiesAreNumberedConsecutivelyAndSolveIdentically() throws {
        let original = Feeder.ieee33()
        let base = try original.solvePowerFlow()
        let copies = original.replicated(copies: 4)
        #expect(copies.count == 4)
        var allBuses: [Int] = []
        for (k, copy) in copies.enumerated() {
            #expect(copy.name == "ieee33-r\(k)")
            #expect(copy.busNumberOffset == 33 * k)
            #expect(copy.busNumbers == Array((33 * k + 1)...(33 * k + 33)))
            #expect(copy.slackBus == 33 * k + 1)
            #expect(copy.originalBusNumber(of: 33 * k + 18) == 18)
            #expect(copy.path(toBus: 33 * k + 18) == Array(1...18).map { $0 + 33 * k })
            allBuses += copy.busNumbers

            let result = try copy.solvePowerFlow()
            #expect(result.voltagesPU == base.voltagesPU)
            #expect(result.anglesRad == base.anglesRad)
            #expect(result.totalLossKW == base.totalLossKW)
            #expect(result.weakestBus == 33 * k + 18)
            #expect(
                copy.pathImpedance(toBus: 33 * k + 18)?.reactanceOhm == original.pathImpedance(toBus: 18)?.reactanceOhm)
            try Zoning.ieee33FourZones.offset(by: copy.busNumberOffset).validate(against: copy)
        }
        #expect(Set(allBuses).count == 132)
        #expect(copies[2].replicated(copies: 2)[1].busNumbers == Array(34...66))
        #expect(original.replicated(copies: 0).isEmpty)
    }

    @Test func copiesTakeDifferentInjectionsIndependently() throws {
        let copies = Feeder.ieee33().replicated(copies: 2)
        let boosted = try copies[1].solvePowerFlow(adjustments: [33 + 18: BusInjection(pKW: 0, qKVar: 300)])
        let plain = try copies[0].solvePowerFlow()
        #expect(boosted.voltagePU(atBus: 51)! > plain.voltagePU(atBus: 18)!)
        #expect(throws: PowerFlowError.unknownBus(18)) {
            try copies[1].solvePowerFlow(adjustments: [18: .zero])
        }
    }

    @Test func reportRendersTextAndJSON() throws {
        let report = try #require(try PowerFlowReport.forCatalogFeeder(named: "ieee33"))
        #expect(report.buses.count == 33)
        let text = report.text()
        #expect(text.contains("Weakest bus: 18 at 0.9131 p.u."))
        #expect(text.contains("Total losses: 202.6"))
        let decoded = try JSONDecoder().decode(PowerFlowReport.self, from: Data(try report.json().utf8))
        #expect(decoded.weakestBus == 18)
        #expect(decoded.buses.map(\.bus) == Array(1...33))
        #expect(try PowerFlowReport.forCatalogFeeder(named: "ieee999") == nil)
        #expect(FeederCatalog.feeder(named: "IEEE33")?.busCount == 33)
    }
}

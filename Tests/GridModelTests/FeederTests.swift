import Testing

@testable import GridModel

@Suite struct FeederTests {
    @Test func ieee33MatchesBaranAndWu() {
        let feeder = Feeder.ieee33()
        #expect(feeder.name == "ieee33")
        #expect(feeder.busCount == 33)
        #expect(feeder.branches.count == 32)
        #expect(feeder.tieLines.count == 5)
        #expect(feeder.slackBus == 1)
        #expect(feeder.baseKV == 12.66)
        #expect(feeder.baseMVA == 10)
        #expect(abs(feeder.baseImpedanceOhm - 16.0276) < 1e-4)
        #expect(abs(feeder.totalLoadPKW - 3715) < 1e-9)
        #expect(abs(feeder.totalLoadQKVar - 2300) < 1e-9)
        #expect(feeder.bus(30) == Bus(number: 30, loadPKW: 200, loadQKVar: 600))
        #expect(
            Set(feeder.tieLines.map { [$0.fromBus, $0.toBus] }) == [
                [21, 8], [9, 15], [12, 22], [18, 33], [25, 29],
            ])
    }

    @Test func branchesAreOrientedAwayFromTheSubstation() {
        let feeder = Feeder.ieee33()
        for branch in feeder.branches {
            #expect(feeder.parent(ofBus: branch.toBus) == branch.fromBus)
        }
        #expect(feeder.path(toBus: 18) == Array(1...18))
        #expect(feeder.path(toBus: 33) == [1, 2, 3, 4, 5, 6] + Array(26...33))
        #expect(feeder.children(ofBus: 6) == [7, 26])
        #expect(feeder.parent(ofBus: 1) == nil)
        #expect(feeder.subtree(ofBus: 23) == [23, 24, 25])
    }

    @Test func reversedBranchDataIsReorientated() throws {
        let buses = (1...3).map { Bus(number: $0, loadPKW: 1, loadQKVar: 0) }
        let feeder = try Feeder(
            name: "t", baseKV: 1, baseMVA: 1, slackBus: 1, buses: buses,
            branches: [
                Branch(fromBus: 3, toBus: 2, resistanceOhm: 0.1, reactanceOhm: 0.1),
                Branch(fromBus: 2, toBus: 1, resistanceOhm: 0.1, reactanceOhm: 0.1),
            ])
        #expect(feeder.branches.map { [$0.fromBus, $0.toBus] } == [[1, 2], [2, 3]])
    }

    @Test func closingATieLineIsRejectedAsACycle() throws {
        let feeder = Feeder.ieee33()
        let error = #expect(throws: FeederError.self) {
            try Feeder(
                name: "meshed", baseKV: 12.66, baseMVA: 10, slackBus: 1, buses: feeder.buses,
                branches: feeder.branches + [feeder.tieLines[3]])
        }
        guard case .cycle = error else {
            Issue.record("expected a cycle error, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("not radial") == true)
    }

    @Test func disconnectedBusesAreNamed() throws {
        let feeder = Feeder.ieee33()
        let withoutLateral = feeder.branches.filter { $0.toBus != 23 }
        let error = #expect(throws: FeederError.self) {
            try Feeder(
                name: "islanded", baseKV: 12.66, baseMVA: 10, slackBus: 1, buses: feeder.buses,
                branches: withoutLateral)
        }
        #expect(error == .notConnected(unreachableBuses: [23, 24, 25]))
    }

    @Test func missingSlackBusIsRejected() {
        let feeder = Feeder.ieee33()
        #expect(throws: FeederError.missingSlackBus(99)) {
            try Feeder(
                name: "x", baseKV: 12.66, baseMVA: 10, slackBus: 99, buses: feeder.buses, branches: feeder.branches)
        }
    }

    @Test func parseErrorsNameTheLine() {
        let branches = "# comment\nfrom_bus,to_bus,r_ohm,x_ohm,status\n1,2,0.1,0.1,1\n2,3,0.1,abc,1\n"
        let loads = "bus,p_kw,q_kvar\n1,0,0\n2,10,5\n3,10,5\n"
        let error = #expect(throws: FeederError.self) {
            try Feeder.parse(
                name: "t", branchesCSV: branches, loadsCSV: loads, baseKV: 1, baseMVA: 1, slackBus: 1,
                branchesSource: "b.csv")
        }
        #expect(
            error
                == .malformedLine(
                    source: "b.csv", line: 4, text: "2,3,0.1,abc,1", reason: "x_ohm \"abc\" is not a number"))
        #expect(error?.description.hasPrefix("b.csv line 4:") == true)
    }

    @Test func parseRejectsBadHeaderFieldCountDuplicateAndUnknownBus() {
        let goodBranches = "from_bus,to_bus,r_ohm,x_ohm,status\n1,2,0.1,0.1,1\n"
        let goodLoads = "bus,p_kw,q_kvar\n1,0,0\n2,10,5\n"
        func parse(_ branches: String, _ loads: String) throws(FeederError) -> Feeder {
            try Feeder.parse(name: "t", branchesCSV: branches, loadsCSV: loads, baseKV: 1, baseMVA: 1, slackBus: 1)
        }
        #expect(throws: Never.self) { try parse(goodBranches, goodLoads) }
        #expect(throws: FeederError.missingHeader(source: "loads.csv", expected: Feeder.loadsHeader)) {
            try parse(goodBranches, "# only a comment\n")
        }
        let cases: [(String, String, Int, String)] = [
            (goodBranches, "bus,p,q\n1,0,0\n", 1, "expected header \"bus,p_kw,q_kvar\""),
            (goodBranches, "bus,p_kw,q_kvar\n1,0\n", 2, "expected 3 fields, found 2"),
            (goodBranches, "bus,p_kw,q_kvar\n1,0,0\n1,5,5\n", 3, "bus 1 is already defined on line 2"),
            ("from_bus,to_bus,r_ohm,x_ohm,status\n1,7,0.1,0.1,1\n", goodLoads, 2, "bus 7 does not appear in loads.csv"),
            (
                "from_bus,to_bus,r_ohm,x_ohm,status\n1,2,0.1,0.1,2\n", goodLoads, 2,
                "status \"2\" must be 1 (closed) or 0 (normally-open tie)"
            ),
        ]
        for (branches, loads, line, reason) in cases {
            let error = #expect(throws: FeederError.self) { try parse(branches, loads) }
            guard case .malformedLine(_, let actualLine, _, let actualReason) = error else {
                Issue.record("expected a malformed line error, got \(String(describing: error))")
                continue
            }
            #expect(actualLine == line)
            #expect(actualReason == reason)
        }
    }

    @Test func parseAcceptsWindowsLineEndings() throws {
        let branches = "from_bus,to_bus,r_ohm,x_ohm,status\r\n1,2,0.1,0.1,1\r\n2,3,0.1,0.1,0\r\n"
        let loads = "bus,p_kw,q_kvar\r\n1,0,0\r\n2,10,5\r\n3,1,1\r\n"
        let error = #expect(throws: FeederError.self) {
            try Feeder.parse(name: "t", branchesCSV: branches, loadsCSV: loads, baseKV: 1, baseMVA: 1, slackBus: 1)
        }
        // Bus 3 is only reachable over the open tie: parsing worked line by line and the tree check caught it.
        #expect(error == .notConnected(unreachableBuses: [3]))
    }

    @Test func scalingLoadsKeepsTheTree() {
        let scaled = Feeder.ieee33().scalingLoads(by: 2)
        #expect(abs(scaled.totalLoadPKW - 7430) < 1e-9)
        #expect(scaled.branches == Feeder.ieee33().branches)
    }
}

import Testing

@testable import GridModel

/// `Network.transferReactances`: X_ij = Im [Y_LL^-1]_ij, what a joint re-dispatch of two zones sizes help by.
@Suite struct TransferReactanceTests {
    /// On a radial network the impedance matrix is the shared path: slack 1 - 2 (x 0.1) - 3 (x 0.2), and 2 - 4
    /// (x 0.05), so X_23 = X_24 = X_22 = 0.1, X_33 = 0.3, X_34 = 0.1, X_44 = 0.15.
    @Test func onARadialNetworkItIsTheSharedPathReactance() throws {
        func bus(_ number: Int, _ kind: NetworkBusKind) -> NetworkBus {
            NetworkBus(
                number: number, kind: kind, demandPMW: kind == .pq ? 1 : 0, demandQMVar: 0, shuntGMW: 0,
                shuntBMVar: 0, voltageSetpointPU: 1, generationPMW: 0)
        }
        let network = try Network(
            name: "line", baseMVA: 100, baseKV: 10,
            buses: [bus(1, .slack), bus(2, .pq), bus(3, .pq), bus(4, .pq)],
            branches: [
                NetworkBranch(fromBus: 1, toBus: 2, resistancePU: 0.01, reactancePU: 0.1, chargingPU: 0),
                NetworkBranch(fromBus: 2, toBus: 3, resistancePU: 0.02, reactancePU: 0.2, chargingPU: 0),
                NetworkBranch(fromBus: 2, toBus: 4, resistancePU: 0.01, reactancePU: 0.05, chargingPU: 0),
            ])
        let x = try network.transferReactances()
        let expected: [Int: [Int: Double]] = [
            2: [2: 0.1, 3: 0.1, 4: 0.1], 3: [2: 0.1, 3: 0.3, 4: 0.1], 4: [2: 0.1, 3: 0.1, 4: 0.15],
        ]
        #expect(Set(x.keys) == [2, 3, 4])
        for (row, entries) in expected {
            for (column, value) in entries {
                #expect(abs((x[row]?[column] ?? .nan) - value) < 1e-12, "X_\(row)\(column)")
            }
        }
    }

    /// On the meshed IEEE 30-bus case: symmetric, its diagonal the Thevenin reactance, and no bus is moved more by
    /// another bus's injection than by its own.
    @Test func onIEEE30ItIsSymmetricWithTheTheveninDiagonal() throws {
        let network = Network.ieee30()
        let x = try network.transferReactances()
        let thevenin = try network.theveninImpedances()
        #expect(x.count == thevenin.count)
        for impedance in thevenin {
            let row = try #require(x[impedance.bus])
            #expect(abs((row[impedance.bus] ?? .nan) - impedance.reactancePU) < 1e-12)
            for (other, value) in row {
                #expect(abs(value - (x[other]?[impedance.bus] ?? .nan)) < 1e-9, "X_\(impedance.bus),\(other)")
                #expect(value <= impedance.reactancePU + 1e-12, "X_\(impedance.bus),\(other)")
            }
        }
    }
}

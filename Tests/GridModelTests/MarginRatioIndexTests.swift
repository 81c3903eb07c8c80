import Testing

@testable import GridModel

@Suite struct MarginRatioIndexTests {
    /// Lossless case (R = 0), checked against the closed forms of Gong and Schulz (2006).
    /// V = 1, X = 0.1, P = 0.5, Q = 0.2 (p.u.):
    ///
    ///     E   = V + jX (P - jQ) / V = 1 + 0.02 + j0.05,  E^2 = 1.0404 + 0.0025 = 1.0429
    ///     P_max = sqrt(E^4 / (4 X^2) - Q E^2 / X) = sqrt(27.191010 - 2.085800) = 5.010510   -> 1 - P/P_max = 0.900210
    ///     Q_max = E^2 / (4 X) - P^2 X / E^2     = 2.607250 - 0.023972 = 2.583278          -> 1 - Q/Q_max = 0.922579
    ///     tan t = Q/P = 0.4: sin t = 0.371391, cos^2 t = 0.862069
    ///     S_max = E^2 (1 - sin t) / (2 X cos^2 t) = 0.655576 / 0.172414 = 3.802345       -> 1 - S/S_max = 0.858373
    ///     (S = sqrt(0.29) = 0.538516); index = min = 0.858373 (the S margin).
    @Test func losslessMarginsMatchGongAndSchulz() {
        let margins = VoltageStability.marginRatios(
            busVoltagePU: 1, theveninResistancePU: 0, theveninReactancePU: 0.1, loadPPU: 0.5, loadQPU: 0.2)
        #expect(abs(margins.sourceVoltagePU * margins.sourceVoltagePU - 1.0429) < 1e-12)
        #expect(abs(margins.real - 0.900210) < 1e-6)
        #expect(abs(margins.reactive - 0.922579) < 1e-6)
        #expect(abs(margins.apparent - 0.858373) < 1e-6)
        #expect(abs(margins.index - 0.858373) < 1e-6)
    }

    /// With resistance: V = 1, R = 0.05, X = 0.1, P = 0.5, Q = 0.2. The limits are the roots of
    /// F(P, Q) = E^4 - 4 E^2 (P R + Q X) - 4 (P X - Q R)^2 = 0:
    ///
    ///     E   = 1 + (0.05 + j0.1)(0.5 - j0.2) = 1.045 + j0.04,  E^2 = 1.093625
    ///     P_max: 4 X^2 P^2 + 4 R (E^2 - 2 Q X) P - (E^4 - 4 E^2 Q X - 4 Q^2 R^2) = 0
    ///            0.04 P^2 + 0.210725 P - 1.108126 = 0  ->  P_max = 3.251634      -> 1 - P/P_max = 0.846231
    ///     Q_max: 4 R^2 Q^2 + 4 X (E^2 - 2 P R) Q - (E^4 - 4 E^2 P R - 4 P^2 X^2) = 0
    ///            0.01 Q^2 + 0.41745 Q - 1.076653 = 0  ->  Q_max = 2.436867      -> 1 - Q/Q_max = 0.917927
    ///     S_max = E^2 / (2 (|Z| + R cos t + X sin t)) = 1.093625 / (2 (0.111803 + 0.046424 + 0.037139))
    ///           = 2.798909                                                      -> 1 - S/S_max = 0.807598
    @Test func marginsWithResistanceAreTheRootsOfTheDiscriminant() {
        let margins = VoltageStability.marginRatios(
            busVoltagePU: 1, theveninResistancePU: 0.05, theveninReactancePU: 0.1, loadPPU: 0.5, loadQPU: 0.2)
        #expect(abs(margins.sourceVoltagePU * margins.sourceVoltagePU - 1.093625) < 1e-12)
        #expect(abs(margins.real - 0.846231) < 1e-6)
        #expect(abs(margins.reactive - 0.917927) < 1e-6)
        #expect(abs(margins.apparent - 0.807598) < 1e-6)
        #expect(abs(margins.index - 0.807598) < 1e-6)
    }

    @Test func unloadedBusHasFullMarginAndTheIndexFallsWithLoad() {
        #expect(
            VoltageStability.marginRatioIndex(
                busVoltagePU: 0.97, theveninResistancePU: 0.05, theveninReactancePU: 0.1, loadPPU: 0, loadQPU: 0)
                == 1)
        var previous = 1.0
        for load in stride(from: 0.2, through: 2.0, by: 0.2) {
            // The bus voltage the two-bus system gives for this load (source 1 p.u.), so the point is consistent.
            let voltage = twoBusVoltage(source: 1, r: 0.05, x: 0.1, p: load, q: load * 0.4)
            let index = VoltageStability.marginRatioIndex(
                busVoltagePU: voltage, theveninResistancePU: 0.05, theveninReactancePU: 0.1, loadPPU: load,
                loadQPU: load * 0.4)
            #expect(index < previous)
            #expect(index >= 0)
            previous = index
        }
    }

    /// At the nose of the P-V curve the S margin vanishes: load the two-bus system to S_max = E^2 / (2 (|Z| + R cos t
    /// + X sin t)) with E = 1 and read the index from the (single) voltage solution there.
    @Test func indexIsZeroAtTheLoadabilityLimit() {
        let r = 0.05
        let x = 0.1
        let cosT = 0.5 / (0.29).squareRoot()
        let sinT = 0.2 / (0.29).squareRoot()
        let sMax = 1 / (2 * ((r * r + x * x).squareRoot() + r * cosT + x * sinT))
        let p = sMax * cosT
        let q = sMax * sinT
        let voltage = twoBusVoltage(source: 1, r: r, x: x, p: p, q: q)
        let index = VoltageStability.marginRatioIndex(
            busVoltagePU: voltage, theveninResistancePU: r, theveninReactancePU: x, loadPPU: p, loadQPU: q)
        #expect(index < 1e-6)
    }

    /// Issue 12: on the 33-bus feeder at peak load the margin-ratio index ranks the lateral ends 30, 32, 25, 18
    /// weakest, whereas voltage (and the Chakravorty-Das index, almost V^4) ranks 18, 17, 16, 33.
    @Test func rankingOnThe33BusFeederDiffersFromTheVoltageRanking() throws {
        let feeder = Feeder.ieee33()
        let injections = feeder.baseInjections()
        let result = try feeder.solvePowerFlow(injections: injections)
        let ranking = try feeder.marginRatioRanking(result: result, injections: injections)
        #expect(ranking.count == 32)
        #expect(ranking.prefix(4).map(\.bus) == [30, 32, 25, 18])
        let byVoltage = result.buses.filter { $0.bus != 1 }.sorted { ($0.voltagePU, $0.bus) < ($1.voltagePU, $1.bus) }
        #expect(byVoltage.prefix(4).map(\.bus) == [18, 17, 16, 33])
        let chakravortyDas = VoltageStability.ranking(
            indices: try feeder.chakravortyDasTheveninIndices(voltagesPU: result.voltagesPU, injections: injections),
            busNumbers: feeder.busNumbers, excluding: [1])
        #expect(chakravortyDas.first?.bus == 18)
        // Bus 30 carries 600 kVAr at the end of a long lateral: about 10 % of its transfer limit is used.
        #expect(abs(ranking[0].index - 0.9019) < 1e-3)
    }

    /// The lossless form of the papers (R ignored) ranks 14 before 25 and 18 on this feeder: R matters here.
    @Test func losslessFormRanksDifferentlyOnTheFeeder() throws {
        let feeder = Feeder.ieee33()
        let injections = feeder.baseInjections()
        let result = try feeder.solvePowerFlow(injections: injections)
        let paths = feeder.pathImpedances()
        let lossless = feeder.buses.indices.map { bus in
            bus == 0
                ? 1
                : VoltageStability.marginRatioIndex(
                    busVoltagePU: result.voltagesPU[bus], theveninResistancePU: 0,
                    theveninReactancePU: paths[bus].reactancePU, loadPPU: injections[bus].netLoadPKW / feeder.baseKVA,
                    loadQPU: injections[bus].netLoadQKVar / feeder.baseKVA)
        }
        // With R = 0 the source must still be the one behind the measured voltage, so this is only approximate to
        // the chaincode (which also drops R from E); the ranking's head is what the test pins.
        let ranking = VoltageStability.ranking(indices: lossless, busNumbers: feeder.busNumbers, excluding: [1])
        #expect(ranking.prefix(3).map(\.bus) == [30, 32, 14])
    }

    @Test func countMismatchIsAnError() {
        let feeder = Feeder.ieee33()
        #expect(throws: PowerFlowError.self) {
            try feeder.marginRatioIndices(voltagesPU: [1], injections: feeder.baseInjections())
        }
    }
}

/// Receiving voltage of a source `source` behind r + jx feeding p + jq: the high root of
/// V^4 + (2 (p r + q x) - E^2) V^2 + (p^2 + q^2)(r^2 + x^2) = 0.
private func twoBusVoltage(source: Double, r: Double, x: Double, p: Double, q: Double) -> Double {
    let b = 2 * (p * r + q * x) - source * source
    let c = (p * p + q * q) * (r * r + x * x)
    let discriminant = max(0, b * b - 4 * c)
    return ((-b + discriminant.squareRoot()) / 2).squareRoot()
}

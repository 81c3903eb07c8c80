import GridContracts
import Testing

/// The contract's integer margin-ratio index against hand-computed margins (derivation in GridModel's
/// `VoltageStability.marginRatios` and in GridModelTests' `MarginRatioIndexTests`).
@Suite struct VoltageMarginRatioTests {
    static func index(_ v: Int64, _ r: Int64, _ x: Int64, _ p: Int64, _ q: Int64) -> Int64? {
        VoltageStabilityIndex.marginRatioIndexMicro(
            busVoltageMicroPU: v, pathResistanceMicroPU: r, pathReactanceMicroPU: x, loadPMicroPU: p, loadQMicroPU: q)
    }

    /// Float reference, restated (the test target does not depend on GridModel): min of the three ratios.
    static func reference(_ v: Double, _ r: Double, _ x: Double, _ p: Double, _ q: Double) -> Double {
        let inPhase = v + (p * r + q * x) / v
        let quadrature = (p * x - q * r) / v
        let e2 = inPhase * inPhase + quadrature * quadrature
        let z = (r * r + x * x).squareRoot()
        func ratio(_ load: Double, _ ownR: Double, _ otherX: Double, _ otherLoad: Double) -> Double {
            let d = e2 * e2 - 4 * e2 * otherLoad * otherX - 4 * otherLoad * otherLoad * ownR * ownR
            let t =
                ownR * (e2 - 2 * otherLoad * otherX) + z * e2.squareRoot() * (e2 - 4 * otherLoad * otherX).squareRoot()
            return 1 - 2 * load * t / d
        }
        let apparent = 1 - 2 * ((p * p + q * q).squareRoot() * z + p * r + q * x) / e2
        return min(1, max(0, min(ratio(p, r, x, q), ratio(q, x, r, p), apparent)))
    }

    /// Hand values (p.u.): V 1, X 0.1, P 0.5, Q 0.2 with R = 0: P, Q, S ratios 0.900210, 0.922579, 0.858373 (the
    /// closed forms of Gong and Schulz); with R = 0.05: 0.846231, 0.917927, 0.807598; V 0.95, R 0.03, X 0.06:
    /// 0.895990, 0.944947, 0.868208. The index is the S ratio in all three. Integer square roots round down, so a
    /// few micro-units of difference are allowed.
    @Test(arguments: [
        (Int64(1_000_000), Int64(0), Int64(100_000), Int64(500_000), Int64(200_000), Int64(858_373)),
        (1_000_000, 50_000, 100_000, 500_000, 200_000, 807_598),
        (950_000, 30_000, 60_000, 500_000, 200_000, 868_208),
    ])
    func handComputedIndices(_ v: Int64, _ r: Int64, _ x: Int64, _ p: Int64, _ q: Int64, _ expected: Int64) throws {
        let value = try #require(Self.index(v, r, x, p, q))
        #expect(abs(value - expected) <= 3)
    }

    @Test func unloadedBusesAndTheSubstationHaveFullMargin() {
        #expect(Self.index(950_000, 30_000, 60_000, 0, 0) == 1_000_000)
        #expect(Self.index(1_000_000, 0, 0, 900_000, 400_000) == 1_000_000)
    }

    @Test func outOfDomainIsNil() {
        #expect(Self.index(400_000, 30_000, 60_000, 500_000, 200_000) == nil)
        #expect(Self.index(1_000_000, -1, 60_000, 500_000, 200_000) == nil)
        #expect(Self.index(1_000_000, 30_000, 60_000, 10_000_001, 0) == nil)
    }

    /// Corners of the domain must neither trap (overflow) nor leave 0...1.
    @Test func domainCornersStayInRange() throws {
        for v in [500_000, 1_500_000] as [Int64] {
            for r in [0, 10_000_000] as [Int64] {
                for x in [0, 1, 10_000_000] as [Int64] {
                    for p in [-10_000_000, 0, 10_000_000] as [Int64] {
                        for q in [-10_000_000, 0, 10_000_000] as [Int64] {
                            let value = try #require(Self.index(v, r, x, p, q))
                            #expect((0...1_000_000).contains(value))
                        }
                    }
                }
            }
        }
    }

    @Test func heavierLoadLowersTheIndex() throws {
        let base = try #require(Self.index(960_000, 30_000, 60_000, 500_000, 200_000))
        #expect(try #require(Self.index(960_000, 30_000, 60_000, 800_000, 200_000)) < base)
        #expect(try #require(Self.index(960_000, 30_000, 60_000, 500_000, 400_000)) < base)
        #expect(try #require(Self.index(960_000, 60_000, 120_000, 500_000, 200_000)) < base)
    }

    /// Seeded operating points across a realistic distribution range agree with the float reference.
    @Test func agreesWithTheFloatReference() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ range: ClosedRange<Int64>) -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + Int64((state >> 33) % UInt64(range.upperBound - range.lowerBound + 1))
        }
        for _ in 0..<200 {
            let (v, r, x) = (next(880_000...1_050_000), next(1_000...400_000), next(1_000...400_000))
            let (p, q) = (next(-200_000...600_000), next(-200_000...400_000))
            let value = try #require(Self.index(v, r, x, p, q))
            let micro = 1e-6
            let expected = Self.reference(
                Double(v) * micro, Double(r) * micro, Double(x) * micro, Double(p) * micro, Double(q) * micro)
            #expect(abs(Double(value) - expected * 1e6) <= 5, "v \(v) r \(r) x \(x) p \(p) q \(q)")
        }
    }
}

import Foundation

/// Minimal complex arithmetic for phasors in p.u.; internal, because callers only ever see magnitudes and angles.
struct Complex: Sendable, Hashable {
    var re: Double
    var im: Double

    init(_ re: Double, _ im: Double) {
        self.re = re
        self.im = im
    }

    static let zero = Complex(0, 0)

    var conjugate: Complex { Complex(re, -im) }
    var magnitudeSquared: Double { re * re + im * im }
    var magnitude: Double { magnitudeSquared.squareRoot() }
    var angle: Double { atan2(im, re) }
    var isFinite: Bool { re.isFinite && im.isFinite }

    static func + (lhs: Complex, rhs: Complex) -> Complex { Complex(lhs.re + rhs.re, lhs.im + rhs.im) }
    static func - (lhs: Complex, rhs: Complex) -> Complex { Complex(lhs.re - rhs.re, lhs.im - rhs.im) }
    static func * (lhs: Complex, rhs: Complex) -> Complex {
        Complex(lhs.re * rhs.re - lhs.im * rhs.im, lhs.re * rhs.im + lhs.im * rhs.re)
    }
    static func / (lhs: Complex, rhs: Complex) -> Complex {
        let denominator = rhs.magnitudeSquared
        return Complex(
            (lhs.re * rhs.re + lhs.im * rhs.im) / denominator, (lhs.im * rhs.re - lhs.re * rhs.im) / denominator)
    }
    static func += (lhs: inout Complex, rhs: Complex) { lhs = lhs + rhs }
}

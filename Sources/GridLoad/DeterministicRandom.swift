import Foundation

/// A small, fast, seeded pseudo-random generator: xoshiro256** (Blackman and Vigna, 2018) whose 256-bit state is
/// filled from the 64-bit seed by SplitMix64, as its authors recommend.
///
/// The simulator promises "same seed, same result bit for bit", so no part of a run may draw from the system
/// generator. This type is public so that other modules (network model, fault injection, workload) can share one
/// well-tested generator instead of each writing their own. Use ``split()`` to give a component its own stream:
/// the component's draws then do not shift the draws of everybody else when it changes.
///
/// The stream for a given seed is part of the result contract: changing this algorithm changes every recorded run.
/// `DeterministicRandomTests` pins the first outputs for seed 0.
public struct DeterministicRandom: RandomNumberGenerator, Sendable, Hashable {
    private var state0: UInt64
    private var state1: UInt64
    private var state2: UInt64
    private var state3: UInt64

    /// A generator whose whole stream is a function of `seed`.
    public init(seed: UInt64) {
        // SplitMix64 is a bijection of its counter, so four consecutive outputs are never all zero, which is the
        // one state xoshiro cannot leave.
        var mixer = seed
        state0 = Self.splitMix64(&mixer)
        state1 = Self.splitMix64(&mixer)
        state2 = Self.splitMix64(&mixer)
        state3 = Self.splitMix64(&mixer)
    }

    /// The next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state1 &* 5, by: 7) &* 9
        let shifted = state1 << 17
        state2 ^= state0
        state3 ^= state1
        state1 ^= state2
        state0 ^= state3
        state2 ^= shifted
        state3 = rotateLeft(state3, by: 45)
        return result
    }

    /// A uniform value in `[0, 1)` with 53 random bits (every representable multiple of 2^-53).
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// An exponentially distributed value with the given mean, by inversion: `-mean * ln(1 - u)`.
    ///
    /// `1 - u` lies in `(0, 1]`, so the logarithm is always finite. `log1p` keeps precision for small `u`. The
    /// result depends on the platform's `log1p`; it is the same on every run on one machine and C library.
    public mutating func nextExponential(mean: Double) -> Double {
        -mean * log1p(-nextUnitInterval())
    }

    /// A new generator seeded from this one's next output: an independent stream for a sub-component.
    public mutating func split() -> DeterministicRandom {
        DeterministicRandom(seed: next())
    }

    private static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    private func rotateLeft(_ value: UInt64, by bits: UInt64) -> UInt64 {
        (value << bits) | (value >> (64 - bits))
    }
}

/// A small latency histogram for one interval of a ``TimeSeries``: sparse, mergeable, integer-only.
///
/// An HDR histogram per interval and region would cost tens of kilobytes each, and a long run has thousands of
/// them; this one keeps only the buckets it saw. Values below 1024 µs have a bucket each; above, each power of two
/// splits into 128 buckets (at most 0.8 % relative error, enough for a chart). The bucket index is below
/// ``bucketCountMax`` for any `UInt64`, so one histogram never holds more than that many entries.
public struct IntervalHistogram: Hashable, Sendable {
    /// Values below this are exact (one bucket per microsecond).
    static let exactBelow: UInt64 = 1024
    static let subBucketBits = 7
    /// The largest number of distinct buckets any histogram can hold.
    public static let bucketCountMax = Int(exactBelow) + (64 - 10) * (1 << subBucketBits)

    /// Internal rather than private for the JSON form (IntervalHistogram+Codable.swift).
    var countsByBucket: [UInt32: UInt64] = [:]
    public internal(set) var count: UInt64 = 0
    /// The largest value recorded, exact.
    public internal(set) var maxValue: UInt64 = 0

    public init() {}

    public mutating func record(_ value: UInt64) {
        countsByBucket[Self.bucket(of: value), default: 0] += 1
        count += 1
        maxValue = Swift.max(maxValue, value)
    }

    public mutating func add(_ other: IntervalHistogram) {
        for (bucket, bucketCount) in other.countsByBucket { countsByBucket[bucket, default: 0] += bucketCount }
        count += other.count
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    /// The value at `percent` (0...100): the highest value of the bucket holding the rank `ceil(percent% of
    /// count)`, never above the exact maximum. 0 when empty.
    public func value(atPercent percent: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let wanted = Swift.max(1, UInt64((Double(count) * Swift.min(Swift.max(percent, 0), 100) / 100).rounded(.up)))
        var seen: UInt64 = 0
        for bucket in countsByBucket.keys.sorted() {
            seen += countsByBucket[bucket] ?? 0
            if seen >= wanted { return Swift.min(Self.highestValue(inBucket: bucket), maxValue) }
        }
        return maxValue
    }

    static func bucket(of value: UInt64) -> UInt32 {
        guard value >= exactBelow else { return UInt32(value) }
        let exponent = 63 - value.leadingZeroBitCount  // >= 10
        let shift = exponent - subBucketBits
        let sub = (value >> UInt64(shift)) & UInt64((1 << subBucketBits) - 1)
        return UInt32(Int(exactBelow) + (exponent - 10) * (1 << subBucketBits) + Int(sub))
    }

    static func highestValue(inBucket bucket: UInt32) -> UInt64 {
        guard UInt64(bucket) >= exactBelow else { return UInt64(bucket) }
        let offset = Int(bucket) - Int(exactBelow)
        let exponent = 10 + offset >> subBucketBits
        let sub = UInt64(offset & ((1 << subBucketBits) - 1))
        let shift = UInt64(exponent - subBucketBits)
        let low = ((UInt64(1) << UInt64(subBucketBits)) | sub) << shift
        let width = UInt64(1) << shift
        return low &+ (width - 1)
    }
}

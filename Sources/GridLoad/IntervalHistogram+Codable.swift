/// JSON form of an ``IntervalHistogram``: `{"count": N, "maxValue": M, "buckets": "BUCKET:COUNT BUCKET:COUNT ..."}`,
/// buckets ascending. One string rather than an array of pairs because a long run's report holds thousands of these
/// and pretty-printed JSON would spend four lines on every pair. Decoding checks that the buckets exist and add up to `count`, so a hand-edited or truncated report
/// fails with the field named instead of giving wrong percentiles.
extension IntervalHistogram: Codable {
    enum CodingKeys: String, CodingKey {
        case count, maxValue, buckets
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let count = try container.decode(UInt64.self, forKey: .count)
        let maxValue = try container.decode(UInt64.self, forKey: .maxValue)
        let text = try container.decode(String.self, forKey: .buckets)
        self.init()
        var sum: UInt64 = 0
        for pair in text.split(separator: " ") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let bucket = UInt32(parts[0]), let bucketCount = UInt64(parts[1]),
                bucket < UInt32(Self.bucketCountMax), bucketCount > 0
            else {
                throw DecodingError.dataCorruptedError(
                    forKey: .buckets, in: container,
                    debugDescription:
                        "\"\(pair)\" is not BUCKET:COUNT with a bucket below \(Self.bucketCountMax) and a count above 0"
                )
            }
            let (added, overflow) = sum.addingReportingOverflow(bucketCount)
            guard !overflow else {
                throw DecodingError.dataCorruptedError(
                    forKey: .buckets, in: container, debugDescription: "bucket counts overflow")
            }
            countsByBucket[bucket, default: 0] += bucketCount
            sum = added
        }
        guard sum == count else {
            throw DecodingError.dataCorruptedError(
                forKey: .count, in: container, debugDescription: "count is \(count), the buckets hold \(sum)")
        }
        guard count == 0 || Self.bucket(of: maxValue) == countsByBucket.keys.max() else {
            throw DecodingError.dataCorruptedError(
                forKey: .maxValue, in: container, debugDescription: "maxValue \(maxValue) is not in the highest bucket")
        }
        self.count = count
        self.maxValue = maxValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(maxValue, forKey: .maxValue)
        try container.encode(
            countsByBucket.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "),
            forKey: .buckets)
    }
}

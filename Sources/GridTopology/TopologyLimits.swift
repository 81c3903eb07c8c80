/// Explicit bounds on everything a topology can ask for. A value outside them is a mistake in the file (or an
/// attack on the parser), never a set-up to try.
public enum TopologyLimits {
    /// Larger files are refused before parsing.
    public static let fileBytesMax = 1 << 20
    /// Errors reported for one file; the rest are summarised in one more line.
    public static let errorsMax = 200

    public static let nameLengthMax = 64
    public static let regionNameLengthMax = 32
    public static let descriptionLengthMax = 4096
    public static let profilePathLengthMax = 1024

    public static let regionsMax = 1024
    public static let validatorsPerRegionMax = 100
    public static let validatorsTotalMax = 10_000
    public static let coresMax = 256

    public static let linkLatencyMillisMax = 60_000.0
    public static let linkBandwidthMbpsMax = 1_000_000.0
    public static let linkPairsMax = 100_000

    public static let blockTransactionsMax = 100_000
    public static let blockBytesMin = 1024
    public static let blockBytesMax = 64 << 20
    public static let intervalMillisMax = 60_000.0
    public static let viewTimeoutMillisMax = 600_000.0
    public static let viewTimeoutBackoffMax = 100.0
    public static let viewTimeoutMaxMillisMax = 3_600_000.0

    public static let mempoolCapacityTransactionsMax = 10_000_000
    public static let transactionBytesMin = 128
    public static let transactionBytesMax = 1 << 20
    public static let batchTransactionsMax = 100_000

    public static let accountsMax = 10_000_000
    public static let tpsMax = 10_000_000.0
    public static let rateStepsMax = 10_000
    public static let outstandingMax = 1_000_000
    public static let durationSecondsMax = 86_400.0
    public static let timeoutSecondsMax = 3600.0

    public static let faultsMax = 10_000
    /// Distinct unknown region names that get a "did you mean" search, in the order the checks meet them, and only
    /// among at most `regionsMax` regions: each search compares the name with every region's, and a file naming
    /// thousands of unknown regions took minutes. No more than `errorsMax` errors are shown, so names past this
    /// many are reported without a suggestion (with the region list when there are at most 10 regions, as before).
    public static let regionSuggestionsMax = errorsMax

    /// Members of the global committee: every checkpoint's certificate is checked by every region validator, so
    /// the committee stays small; 64 = 3 x 21 + 1.
    public static let globalValidatorsMax = 64
    /// Region entries per checkpoint, like `blockTransactionsMax`.
    public static let checkpointEntriesMax = 100_000
    /// A checkpoint payload carries region headers, certificates and outboxes; the bounds are a block's.
    public static let checkpointBytesMin = blockBytesMin
    public static let checkpointBytesMax = blockBytesMax

    /// Region names appear in node ids (`r0/v1`) and file names: `[A-Za-z0-9_-]{1,32}`.
    public static func isValidRegionName(_ name: some StringProtocol) -> Bool {
        (1...regionNameLengthMax).contains(name.utf8.count) && name.utf8.allSatisfy(isNameByte)
    }

    /// Topology names name result files: `[A-Za-z0-9_.-]{1,64}`, not starting with a dot.
    public static func isValidTopologyName(_ name: some StringProtocol) -> Bool {
        (1...nameLengthMax).contains(name.utf8.count) && name.first != "."
            && name.utf8.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: ".") }
    }

    /// Shipped machine profiles are named like regions, up to 64 characters.
    public static func isValidProfileName(_ name: some StringProtocol) -> Bool {
        (1...nameLengthMax).contains(name.utf8.count) && name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}

/// What an integer field accepts; the text completes "expected ...", both when the value is not an integer at all
/// and when it is out of range, so that one field always explains itself the same way.
struct IntegerRule: Sendable {
    let expectation: String
    let range: ClosedRange<Int>

    init(_ range: ClosedRange<Int>, _ expectation: String? = nil) {
        self.range = range
        self.expectation = expectation ?? "an integer in \(range.lowerBound)...\(range.upperBound)"
    }
}

/// What a number field accepts. Every number must also be finite.
struct NumberRule: Sendable {
    let expectation: String
    let accepts: @Sendable (Double) -> Bool

    init(_ expectation: String, _ accepts: @escaping @Sendable (Double) -> Bool) {
        self.expectation = expectation
        self.accepts = accepts
    }

    /// `low...high`.
    static func closed(_ low: Double, _ high: Double, _ unit: String) -> NumberRule {
        NumberRule("a number of \(unit) in \(format(low))...\(format(high))") { (low...high).contains($0) }
    }

    /// `0 < value <= high`.
    static func positive(upTo high: Double, _ unit: String) -> NumberRule {
        NumberRule("a positive number of \(unit), at most \(format(high))") { $0 > 0 && $0 <= high }
    }
}

/// The rule of every field, shared by the reader (type errors) and the checks (range errors).
enum Rules {
    static let schemaVersion = IntegerRule(1...1, "schema version 1")
    static let seed = "an integer in 0...\(UInt64.max)"
    static let cores = IntegerRule(1...TopologyLimits.coresMax)
    static let validators = IntegerRule(
        1...TopologyLimits.validatorsPerRegionMax,
        "a validator count n = 3f+1 (1, 4, 7, 10, ...), at most \(TopologyLimits.validatorsPerRegionMax)")

    static let latencyMillis = NumberRule.closed(0, TopologyLimits.linkLatencyMillisMax, "milliseconds")
    static let jitterMillis = latencyMillis
    static let bandwidthMbps = NumberRule.positive(upTo: TopologyLimits.linkBandwidthMbpsMax, "megabits per second")
    static let linkLossRate = NumberRule("a fraction >= 0 and < 1") { $0 >= 0 && $0 < 1 }

    static let blockTransactionsMax = IntegerRule(1...TopologyLimits.blockTransactionsMax)
    static let blockBytesMax = IntegerRule(TopologyLimits.blockBytesMin...TopologyLimits.blockBytesMax)
    static let intervalMillis = NumberRule.closed(0, TopologyLimits.intervalMillisMax, "milliseconds")
    static let viewTimeoutMillis = NumberRule.positive(upTo: TopologyLimits.viewTimeoutMillisMax, "milliseconds")
    static let viewTimeoutBackoff = NumberRule("a factor in 1...\(format(TopologyLimits.viewTimeoutBackoffMax))") {
        (1...TopologyLimits.viewTimeoutBackoffMax).contains($0)
    }
    static let viewTimeoutMaxMillis = NumberRule.positive(
        upTo: TopologyLimits.viewTimeoutMaxMillisMax, "milliseconds")

    static let capacityTransactions = IntegerRule(1...TopologyLimits.mempoolCapacityTransactionsMax)
    static let transactionBytesMax = IntegerRule(
        TopologyLimits.transactionBytesMin...TopologyLimits.transactionBytesMax)
    static let batchTransactionsMax = IntegerRule(1...TopologyLimits.batchTransactionsMax)

    static let accounts = IntegerRule(1...TopologyLimits.accountsMax)
    static let tps = NumberRule.positive(upTo: TopologyLimits.tpsMax, "transactions per second")
    static let tpsOrZero = NumberRule.closed(0, TopologyLimits.tpsMax, "transactions per second")
    static let outstanding = IntegerRule(1...TopologyLimits.outstandingMax)
    static let durationSeconds = NumberRule.positive(upTo: TopologyLimits.durationSecondsMax, "seconds")
    static let warmupSeconds = NumberRule.closed(0, TopologyLimits.durationSecondsMax, "seconds")
    static let timeoutSeconds = NumberRule.positive(upTo: TopologyLimits.timeoutSecondsMax, "seconds")
    static let atSeconds = NumberRule.closed(0, TopologyLimits.durationSecondsMax, "seconds")
    static let faultLossRate = NumberRule("a fraction > 0 and <= 1") { $0 > 0 && $0 <= 1 }
}

/// Numbers in messages: integers without a fraction, others in Swift's shortest form.
func format(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}

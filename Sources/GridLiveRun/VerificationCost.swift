import GridCrypto
import GridNode

/// What one Ed25519 verification costs on this machine, measured just before a live run: the unit in which the
/// run's CPU per committed transaction is reported. Verification is the one cost every validator must pay for every
/// transaction, so `cores / (validators × verification)` bounds what a region can commit on this machine, and the
/// ratio of the nodes' CPU to that floor is the overhead of everything else (execution, storage, network, metrics).
public enum VerificationCost {
    /// Median thread-CPU nanoseconds of one libsodium verification of a 150-byte message over `batches` batches
    /// (about 0.1 s in all here, before any node starts); nil if a check of the valid signature failed, since the
    /// timing would then be of something else.
    public static func measureNanos(batches: Int = 5, verificationsPerBatch: Int = 200) -> Double? {
        let key = KeyPair.derived(masterSeed: 1, label: "live-run-verification-cost")
        let message = [UInt8](repeating: 0x5a, count: 150)
        let signature = key.sign(message)
        var valid = 0
        var samples: [Double] = []
        for _ in 0..<max(1, batches) {
            let start = ThreadCPUClock.nowNanos()
            for _ in 0..<max(1, verificationsPerBatch) where key.publicKey.verify(signature, for: message) {
                valid += 1
            }
            samples.append(Double(ThreadCPUClock.nowNanos() - start) / Double(max(1, verificationsPerBatch)))
        }
        guard valid == max(1, batches) * max(1, verificationsPerBatch) else { return nil }
        samples.sort()
        return samples[samples.count / 2]
    }
}

/// The nodes' CPU per committed transaction against the verification floor.
public struct VerificationFloor: Sendable, Equatable {
    /// One verification on this machine, thread CPU.
    public var verificationNanos: Double
    /// All nodes' CPU over the transactions the regions committed.
    public var cpuMicrosPerTransaction: Double
    /// The same in verifications.
    public var verificationsPerTransaction: Double
    /// Verifications the protocol needs per committed transaction: each validator of its region checks it once.
    public var verificationsNeededPerTransaction: Double
    /// What this machine's cores could commit if verification were all the nodes did.
    public var boundTps: Double
    /// What the nodes' verifiers measured while the run went on (`VerificationMeter`), nil from nodes that did not
    /// measure it: one verification's CPU inside a busy node, and verifications made per committed transaction
    /// (votes and certificates included).
    public var inSitu: InSitu?

    public struct InSitu: Sendable, Equatable {
        public var verificationNanos: Double
        public var verificationsPerTransaction: Double
        /// Verification's share of the nodes' CPU.
        public var cpuShare: Double
    }

    /// `nodes`: every node's CPU seconds and committed transactions, by name `REGION/vN` (committee members,
    /// `global/...`, commit no region transactions and count only as CPU).
    ///
    /// `measured`: the verifications every node's verifier counted and their CPU, summed over the same nodes; nil if
    /// any node did not measure them (a partial sum would understate the share).
    public init?(
        nodes: [(name: String, cpuSeconds: Double, committedTransactions: UInt64)], verificationNanos: Double,
        cores: Int, measured: (verifications: UInt64, cpuSeconds: Double)? = nil
    ) {
        guard verificationNanos > 0, cores > 0 else { return nil }
        var regions: [String: (validators: Int, committed: UInt64)] = [:]
        for node in nodes {
            guard let slash = node.name.firstIndex(of: "/"), node.name[..<slash] != "global" else { continue }
            let region = String(node.name[..<slash])
            let entry = regions[region] ?? (0, 0)
            // Validators of a region commit the same chain; the one furthest ahead counts.
            regions[region] = (entry.validators + 1, max(entry.committed, node.committedTransactions))
        }
        let committed = regions.values.map(\.committed).reduce(0, +)
        guard committed > 0 else { return nil }
        let verificationsNeeded = regions.values.map { Double($0.validators) * Double($0.committed) }.reduce(0, +)
        let cpuNanos = nodes.map(\.cpuSeconds).reduce(0, +) * 1e9
        self.verificationNanos = verificationNanos
        cpuMicrosPerTransaction = cpuNanos / Double(committed) / 1000
        verificationsPerTransaction = cpuNanos / Double(committed) / verificationNanos
        verificationsNeededPerTransaction = verificationsNeeded / Double(committed)
        boundTps = Double(cores) * 1e9 / (verificationNanos * verificationsNeededPerTransaction)
        if let measured, measured.verifications > 0, measured.cpuSeconds > 0, cpuNanos > 0 {
            inSitu = InSitu(
                verificationNanos: measured.cpuSeconds * 1e9 / Double(measured.verifications),
                verificationsPerTransaction: Double(measured.verifications) / Double(committed),
                cpuShare: measured.cpuSeconds * 1e9 / cpuNanos)
        }
    }

    /// One line for the report and the terminal.
    public var summary: String {
        String(
            format: "Node CPU per committed transaction: %.1f µs = %.1f verifications (one Ed25519 verification: %.1f "
                + "µs here, measured before the run); the protocol needs %.1f, so verification alone would allow "
                + "%.0f tx/s on this machine's cores; the nodes used %.1f times that floor.",
            cpuMicrosPerTransaction, verificationsPerTransaction, verificationNanos / 1000,
            verificationsNeededPerTransaction, boundTps, verificationsPerTransaction / verificationsNeededPerTransaction
        ) + (inSituSummary.map { " " + $0 } ?? "")
    }

    /// What verification cost inside the nodes, and what the rest of their CPU per transaction was.
    public var inSituSummary: String? {
        guard let inSitu else { return nil }
        let verificationMicros = inSitu.verificationNanos * inSitu.verificationsPerTransaction / 1000
        return String(
            format: "Inside the nodes one verification took %.1f µs (%.2f times that figure) and they made %.2f per "
                + "committed transaction (votes and certificates included): %.1f µs, %.0f %% of their CPU; the "
                + "rest (execution, storage, network, metrics) took %.1f µs.",
            inSitu.verificationNanos / 1000, inSitu.verificationNanos / verificationNanos,
            inSitu.verificationsPerTransaction, verificationMicros, inSitu.cpuShare * 100,
            max(0, cpuMicrosPerTransaction - verificationMicros))
    }
}

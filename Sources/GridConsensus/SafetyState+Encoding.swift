import GridLedger

extension SafetyState {
    public static let encodingVersion: UInt8 = 1

    /// Canonical bytes for durable storage (the runtime persists these before sending a vote or timeout).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.write(Self.encodingVersion)
        writer.write(lastVotedRound)
        highQC.write(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: EncodingLimits = .standard) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "safety.version")
        let lastVotedRound = try reader.readUInt64("safety.lastVotedRound")
        let highQC = try QuorumCertificate(from: &reader, field: "safety.highQC", limits: limits)
        try reader.expectEnd("safety")
        self.init(lastVotedRound: lastVotedRound, highQC: highQC)
    }
}

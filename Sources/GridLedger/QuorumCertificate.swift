import GridCrypto

/// What a validator's vote signs: the block it backs, in its chain, region, height and view.
public struct VoteData: Hashable, Sendable {
    public var chainID: ChainID
    public var region: RegionID
    public var height: UInt64
    public var view: UInt64
    public var blockHash: Hash256

    public init(chainID: ChainID, region: RegionID, height: UInt64, view: UInt64, blockHash: Hash256) {
        self.chainID = chainID
        self.region = region
        self.height = height
        self.view = view
        self.blockHash = blockHash
    }

    private static let signingDomain = Array("GridLedger/vote/v1".utf8)

    public func signingBytes() -> [UInt8] {
        var writer = ByteWriter(capacity: 80)
        writer.writeFixed(Self.signingDomain)
        writer.write(chainID)
        writer.write(region)
        writer.write(height)
        writer.write(view)
        writer.write(blockHash)
        return writer.bytes
    }
}

/// One validator's signature inside a certificate; validators are named by their index in the region's
/// genesis validator list, which keeps certificates small and makes duplicates easy to spot.
public struct CertificateVote: Hashable, Sendable {
    public var validatorIndex: UInt16
    public var signature: Signature

    public init(validatorIndex: UInt16, signature: Signature) {
        self.validatorIndex = validatorIndex
        self.signature = signature
    }
}

/// At least 2f+1 validator signatures over the same `VoteData`.
public struct QuorumCertificate: Hashable, Sendable {
    public static let encodingVersion: UInt8 = 1

    public var data: VoteData
    public var votes: [CertificateVote]

    public init(data: VoteData, votes: [CertificateVote]) {
        self.data = data
        self.votes = votes
    }

    /// Why a certificate was refused.
    public enum VerificationFailure: Error, Equatable, CustomStringConvertible {
        case tooFewVotes(have: Int, need: Int)
        case unknownValidator(index: UInt16)
        case duplicateVote(index: UInt16)
        case badSignature(index: UInt16)
        case wrongChain(expected: ChainID, actual: ChainID)
        case wrongRegion(expected: RegionID, actual: RegionID)

        public var description: String {
            switch self {
            case .tooFewVotes(let have, let need): return "certificate has \(have) votes, needs \(need)"
            case .unknownValidator(let index): return "vote from unknown validator index \(index)"
            case .duplicateVote(let index): return "two votes from validator \(index)"
            case .badSignature(let index): return "bad signature from validator \(index)"
            case .wrongChain(let expected, let actual): return "certificate for chain \(actual), expected \(expected)"
            case .wrongRegion(let expected, let actual):
                return "certificate for region \(actual), expected \(expected)"
            }
        }
    }

    /// Quorum for n validators tolerating f = (n-1)/3 faults: 2f+1.
    public static func quorum(validatorCount: Int) -> Int {
        2 * ((validatorCount - 1) / 3) + 1
    }

    /// Checks every vote against the region's genesis validator keys. Work grows with the vote count, which the
    /// decoder bounds. This is the one place the rules of a valid QC live: the replica, the global layer and the
    /// inbound contract all come here, each with its own way of checking a signature.
    /// - Parameter checkSignature: checks one vote's signature (libsodium by default; a runtime may pass a
    ///   verifier that shares results or counts work).
    public func verify(
        chainID: ChainID, region: RegionID, validators: [PublicKey],
        checkSignature: (Signature, PublicKey, [UInt8]) -> Bool = { $1.verify($0, for: $2) }
    ) throws(VerificationFailure) {
        guard data.chainID == chainID else { throw .wrongChain(expected: chainID, actual: data.chainID) }
        guard data.region == region else { throw .wrongRegion(expected: region, actual: data.region) }
        let need = Self.quorum(validatorCount: validators.count)
        guard votes.count >= need else { throw .tooFewVotes(have: votes.count, need: need) }
        var seen = Set<UInt16>()
        let message = data.signingBytes()
        for vote in votes {
            guard Int(vote.validatorIndex) < validators.count else {
                throw .unknownValidator(index: vote.validatorIndex)
            }
            guard seen.insert(vote.validatorIndex).inserted else { throw .duplicateVote(index: vote.validatorIndex) }
            guard checkSignature(vote.signature, validators[Int(vote.validatorIndex)], message) else {
                throw .badSignature(index: vote.validatorIndex)
            }
        }
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(Self.encodingVersion)
        writer.write(data.chainID)
        writer.write(data.region)
        writer.write(data.height)
        writer.write(data.view)
        writer.write(data.blockHash)
        writer.write(UInt16(votes.count))
        for vote in votes {
            writer.write(vote.validatorIndex)
            writer.write(vote.signature)
        }
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + votes.count * 66)
        write(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: EncodingLimits = .standard) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader, field: "certificate", limits: limits)
        try reader.expectEnd("certificate")
    }

    public init(from reader: inout ByteReader, field: String, limits: EncodingLimits) throws(DecodingError) {
        try reader.expectVersion(Self.encodingVersion, "\(field).version")
        data = VoteData(
            chainID: try reader.readUInt32("\(field).chainID"),
            region: try reader.readUInt16("\(field).region"),
            height: try reader.readUInt64("\(field).height"),
            view: try reader.readUInt64("\(field).view"),
            blockHash: try reader.readHash("\(field).blockHash"))
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16("\(field).votes.count"))
        try reader.checkCount(
            count, limit: limits.certificateVotesMax, minimumElementBytes: 2 + Signature.byteCount,
            field: "\(field).votes.count", at: countOffset)
        var votes: [CertificateVote] = []
        votes.reserveCapacity(count)
        for index in 0..<count {
            votes.append(
                CertificateVote(
                    validatorIndex: try reader.readUInt16("\(field).votes[\(index)].validator"),
                    signature: try reader.readSignature("\(field).votes[\(index)].signature")))
        }
        self.votes = votes
    }
}

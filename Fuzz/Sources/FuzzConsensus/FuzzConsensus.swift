import FuzzSupport
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire

// Consensus messages of both chains (region blocks and global checkpoints) decoded on their own, without the
// frame around them, and the safety state a replica persists before it votes. A selector byte picks the decoder.
// Besides the round trip, every certificate a decoded message carries is checked against the fixture's keys:
// hostile indices and counts must give a refusal, never a trap.

private enum Kind: UInt8, CaseIterable {
    case region, global, safety
}

private func decodeMessage<Payload: WirePayload>(_ bytes: [UInt8], _: Payload.Type) throws(DecodingError)
    -> ConsensusMessage<Payload>
{
    var reader = ByteReader(bytes)
    let message = try ConsensusMessage<Payload>(from: &reader, field: "message", limits: .standard)
    try reader.expectEnd("message")
    return message
}

private func encodeMessage<Payload: WirePayload>(_ message: ConsensusMessage<Payload>) -> [UInt8] {
    var writer = ByteWriter()
    message.write(into: &writer)
    return writer.bytes
}

/// Certificates in a message, with the keys of the chain they belong to.
private func certificates<Payload: WirePayload>(_ message: ConsensusMessage<Payload>) -> [QuorumCertificate] {
    switch message {
    case .proposal(let proposal):
        return [proposal.block.justify] + (proposal.timeoutCertificate.map { [$0.highQC] } ?? [])
    case .timeout(let timeout): return [timeout.highQC] + (timeout.lastTimeoutCertificate.map { [$0.highQC] } ?? [])
    case .syncResponse(let response): return [response.highQC] + response.blocks.map(\.justify)
    case .vote, .syncRequest: return []
    }
}

private func verifyAll(_ certificates: [QuorumCertificate], region: RegionID, keys: [PublicKey]) {
    var work = Work()
    for certificate in certificates.prefix(4) {
        _ = certificate.check(
            chainID: Fixture.chainID, region: region, validators: keys, verifier: DirectSignatureVerifier(), &work)
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (name, message) in Fixture.peerMessages() {
            switch message {
            case .regionConsensus(let consensus):
                seeds.append(("region-\(name)", [Kind.region.rawValue] + encodeMessage(consensus)))
            case .globalConsensus(let consensus):
                seeds.append(("global-\(name)", [Kind.global.rawValue] + encodeMessage(consensus)))
            default: break
            }
        }
        let header = Fixture.regionBlocks(count: 1, transactionsPerBlock: 1)[0].header
        let safety = SafetyState(
            lastVotedRound: 9, highQC: Fixture.certificate(for: header, keys: Fixture.validatorKeys))
        seeds.append(("safety-voted", [Kind.safety.rawValue] + safety.encoded()))
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    switch Kind(rawValue: selector % UInt8(Kind.allCases.count))! {
    case .region:
        if let message = Fuzz.roundTrip(
            "region message", body,
            decode: { (b) throws(DecodingError) in try decodeMessage(b, RegionPayload.self) },
            encode: encodeMessage)
        {
            verifyAll(certificates(message), region: Fixture.region, keys: Fixture.validatorKeys.map(\.publicKey))
        }
    case .global:
        if let message = Fuzz.roundTrip(
            "global message", body,
            decode: { (b) throws(DecodingError) in try decodeMessage(b, CheckpointPayload.self) },
            encode: encodeMessage)
        {
            verifyAll(
                certificates(message), region: Fixture.globalRegion, keys: Fixture.committeeKeys.map(\.publicKey))
        }
    case .safety:
        Fuzz.roundTrip(
            "safety state", body, decode: { (b) throws(DecodingError) in try SafetyState(decoding: b) },
            encode: { $0.encoded() })
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzConsensus_main`; it hands over to libFuzzer.
@_cdecl("FuzzConsensus_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

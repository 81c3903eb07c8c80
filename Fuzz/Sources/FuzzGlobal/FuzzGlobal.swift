import FuzzSupport
import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridRegion
import GridWire

// The global layer's encodings: commit entries, checkpoint payloads, cross-region messages, deliveries, checkpoint
// notices, the stored global state, the inbound relay's report and delivery parts. A selector byte picks the
// decoder. Deliveries and parts that decode are also offered to a fresh `InboundDelivery` of region 4 (the
// committee is the fixture's): what it accepts must be addressed to region 4, numbered from 0 without gaps, and
// never accepted a second time.

private enum Kind: UInt8, CaseIterable {
    case entry, payload, message, delivery, notice, globalState, inboundReport, deliveryPart
}

private let destination: RegionID = 4

/// A delivery region 4 accepts: three messages from region 3, in a checkpoint the committee certified whose
/// outbox root covers them (plus one leaf for another region).
private func acceptedDelivery() -> CheckpointDelivery {
    let messages: [CrossRegionMessage] = (0..<3).map { (index: Int) -> CrossRegionMessage in
        CrossRegionMessage(
            sourceRegion: Fixture.region, sourceHeight: UInt64(index + 1), outboxIndex: UInt32(index),
            destinationSequence: UInt64(index), pairSequence: UInt64(index),
            message: OutboxMessage(
                destinationRegion: destination, contract: "auction", method: "interRegionOffer",
                payload: Array("offer \(index)".utf8)))
    }
    let other: Hash256 = Hash256.blake2b([UInt8(9)])
    let leaves: [Hash256] = messages.map(\.hash) + [other]
    let parent = Fixture.genesisHeader(region: Fixture.globalRegion, keys: Fixture.committeeKeys)
    let header = Fixture.header(
        after: parent, transactionsRoot: Merkle.emptyRoot, outboxRoot: Merkle.root(of: leaves),
        keys: Fixture.committeeKeys)
    return CheckpointDelivery(
        destination: destination, header: header,
        certificate: Fixture.certificate(for: header, keys: Fixture.committeeKeys), messageLeaves: leaves,
        messages: messages)
}

private func checkAcceptance(_ delivery: CheckpointDelivery) {
    var inbound = InboundDelivery(
        chainID: Fixture.chainID, region: destination, committee: Fixture.committeeKeys.map(\.publicKey))
    var work = Work()
    guard case .success(let applied) = inbound.accept(delivery, work: &work) else { return }
    Fuzz.check(applied.allSatisfy { $0.destinationRegion == destination }, "applied a message for another region")
    Fuzz.check(
        applied.map(\.destinationSequence) == (0..<UInt64(applied.count)).map { $0 },
        "applied messages not numbered 0, 1, 2, ...")
    Fuzz.check(inbound.nextDestinationSequence == UInt64(applied.count), "next sequence does not follow")
    Fuzz.check(applied.count <= delivery.messages.count, "applied more messages than were delivered")
    if case .success(let again) = inbound.accept(delivery, work: &work) {
        Fuzz.check(again.isEmpty, "the same delivery applied \(again.count) messages a second time")
    }
}

/// What `checkAcceptance` checks of a whole delivery, for one part: only region 4's messages, numbered from 0, and
/// never the same part twice.
private func checkAcceptance(_ part: DeliveryPart) {
    var inbound = InboundDelivery(
        chainID: Fixture.chainID, region: destination, committee: Fixture.committeeKeys.map(\.publicKey))
    var work = Work()
    guard case .success(let applied) = inbound.accept(part, work: &work) else { return }
    Fuzz.check(applied.allSatisfy { $0.destinationRegion == destination }, "part: applied a message for another region")
    Fuzz.check(
        applied.map(\.destinationSequence) == (0..<UInt64(applied.count)).map { $0 },
        "part: applied messages not numbered 0, 1, 2, ...")
    Fuzz.check(applied.count <= part.messages.count, "part: applied more messages than were delivered")
    Fuzz.check(part.partIndex < part.partCount, "part: accepted index \(part.partIndex) of \(part.partCount)")
    if case .success(let again) = inbound.accept(part, work: &work) {
        Fuzz.check(again.isEmpty, "the same part applied \(again.count) messages a second time")
    }
}

private func decodeNotice(_ bytes: [UInt8]) throws(DecodingError) -> CheckpointNotice {
    var reader = ByteReader(bytes)
    let notice = try CheckpointNotice(from: &reader, field: "notice", limits: .standard)
    try reader.expectEnd("notice")
    return notice
}

private func encodeNotice(_ notice: CheckpointNotice) -> [UInt8] {
    var writer = ByteWriter()
    notice.write(into: &writer)
    return writer.bytes
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        func seed(_ kind: Kind, _ name: String, _ bytes: [UInt8]) -> (name: String, bytes: [UInt8]) {
            ("\(kind)-\(name)", [kind.rawValue] + bytes)
        }
        let entries = Fixture.entries(count: 2)
        let delivery = acceptedDelivery()
        let state = GlobalState(
            tips: [3: RegionTip(height: 9, blockHash: entries[1].header.hash)], nextDestinationSequence: [4: 3],
            nextPairSequence: [RegionPair(source: 3, destination: 4): 3])
        let report = InboundReport(
            contractOutput: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], succeeded: 2, failed: 1,
            failures: [.init(index: 1, reason: "late bid")])
        return [
            seed(.entry, "with-outbox", entries[0].encoded()),
            seed(.entry, "empty-outbox", entries[1].encoded()),
            seed(.payload, "two", CheckpointPayload(entries: entries).encoded()),
            seed(.message, "offer", delivery.messages[0].encoded()),
            seed(.delivery, "accepted", delivery.encoded()),
            seed(.notice, "with-delivery", encodeNotice(Fixture.notice(withDelivery: true))),
            seed(.notice, "without", encodeNotice(Fixture.notice(withDelivery: false))),
            seed(.globalState, "one-region", state.encoded()),
            seed(.inboundReport, "one-failure", report.encoded()),
            seed(
                .deliveryPart, "accepted",
                (delivery.parts(argumentsBytesMax: 1 << 20, transactionBytesMax: 1 << 20) ?? [])[0].encoded()),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    switch Kind(rawValue: selector % UInt8(Kind.allCases.count))! {
    case .entry:
        Fuzz.roundTrip(
            "entry", body, decode: { (b) throws(DecodingError) in try RegionCommitEntry(decoding: b) },
            encode: { $0.encoded() })
    case .payload:
        if let payload = Fuzz.roundTrip(
            "checkpoint payload", body, decode: { (b) throws(DecodingError) in try CheckpointPayload(decoding: b) },
            encode: { $0.encoded() })
        {
            Fuzz.check(body.count <= CheckpointLimits().bytesMax, "payload over the byte limit")
            Fuzz.check(payload.entries.count <= CheckpointLimits().entriesMax, "payload over the entry limit")
        }
    case .message:
        Fuzz.roundTrip(
            "cross-region message", body,
            decode: { (b) throws(DecodingError) in try CrossRegionMessage(decoding: b) }, encode: { $0.encoded() })
    case .delivery:
        if let delivery = Fuzz.roundTrip(
            "delivery", body, decode: { (b) throws(DecodingError) in try CheckpointDelivery(decoding: b) },
            encode: { $0.encoded() })
        {
            checkAcceptance(delivery)
        }
    case .notice:
        if let notice = Fuzz.roundTrip("checkpoint notice", body, decode: decodeNotice, encode: encodeNotice),
            let delivery = notice.delivery
        {
            checkAcceptance(delivery)
        }
    case .globalState:
        Fuzz.roundTrip(
            "global state", body, decode: { (b) throws(DecodingError) in try GlobalState(decoding: b) },
            encode: { $0.encoded() })
    case .deliveryPart:
        if let part = Fuzz.roundTrip(
            "delivery part", body, decode: { (b) throws(DecodingError) in try DeliveryPart(decoding: b) },
            encode: { $0.encoded() })
        {
            checkAcceptance(part)
        }
    case .inboundReport:
        if let report = Fuzz.roundTrip(
            "inbound report", body, decode: { (b) throws(DecodingError) in try InboundReport(decoding: b) },
            encode: { $0.encoded() })
        {
            Fuzz.check(report.failures.count <= InboundReport.failuresListedMax, "report lists too many failures")
            for failure in report.failures {
                Fuzz.check(
                    failure.reason.utf8.count <= InboundReport.reasonBytesMax,
                    "failure reason of \(failure.reason.utf8.count) bytes, over the limit the relay keeps")
            }
            _ = InboundContract.decodeOutput(body)
        }
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzGlobal_main`; it hands over to libFuzzer.
@_cdecl("FuzzGlobal_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

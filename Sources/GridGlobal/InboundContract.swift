import GridConsensus
import GridCrypto
import GridLedger
import GridRegion

/// The region contract through which cross-region messages enter a region's chain (`sys.inbound`).
///
/// Any account may relay: `deliver(CheckpointDelivery.encoded())` checks the delivery with `InboundDelivery`'s
/// rules (global QC against the committee's genesis keys, leaves hashing to the checkpoint's `outboxRoot`, every
/// message among the leaves, destination and per-source sequences) starting from the counters in this contract's
/// table, stores the advanced counters and asks the region application to apply each fresh message
/// (`ContractContext.deliverInbound`), which calls `message.contract.message.method(payload)` with sender
/// `RegionApplication.globalLayerSender`. Because the counters and the applications are written by the same
/// transaction, every message is applied exactly once and in checkpoint order; a message whose call fails still
/// counts as applied.
///
/// A delivery too large for one transaction's arguments (2 KiB) goes as `deliver_part(DeliveryPart.encoded())`
/// transactions instead: the same checks with a Merkle proof per message in place of the leaf list, the same
/// counters (so parts apply in stream order, each message once) and the same output; `malformed-part` refuses a
/// part with no messages or an index not below its count.
///
/// A refused delivery (replay, gap, bad certificate, …) fails with reason `"<code>: <description>"`
/// (`DeliveryRejection.code`, e.g. `replay`, `gap`, `bad-certificate`, `messages-not-in-checkpoint`) and changes
/// nothing (the relay's nonce is consumed, as for every failed transaction). A malformed argument fails with
/// `"malformed-delivery: <DecodingError>"`, which names the field.
///
/// State (the contract's own table): key `[0x64]` ("d") → `UInt64` next destination sequence; key
/// `[0x70] + UInt16 source` ("p") → `UInt64` next pair sequence from that source. Both big-endian.
///
/// Output of `deliver` (then wrapped by the application in an `InboundReport`): `UInt64` destination sequence of
/// the first message applied (the next expected one if none was fresh), `UInt32` number of messages applied;
/// 12 bytes, big-endian.
public struct InboundContract: Contract {
    public static let contractName = RegionApplication.inboundContractName
    public static let deliverMethod = "deliver"
    /// `deliver_part(DeliveryPart.encoded())`: one part of a delivery too large for one transaction's arguments
    /// (each message proved by its own Merkle proof); same checks, counters and output as `deliver`.
    public static let deliverPartMethod = "deliver_part"
    /// Size of `deliver`'s output.
    public static let outputBytes = 12

    public let chainID: ChainID
    public let region: RegionID
    public let committee: [PublicKey]
    public let limits: CheckpointLimits
    private let verifier: any SignatureVerifying

    public var name: String { Self.contractName }

    public init(
        chainID: ChainID, region: RegionID, committee: [PublicKey], limits: CheckpointLimits = CheckpointLimits(),
        verifier: any SignatureVerifying = DirectSignatureVerifier()
    ) {
        self.chainID = chainID
        self.region = region
        self.committee = committee
        self.limits = limits
        self.verifier = verifier
    }

    static let destinationSequenceKey: [UInt8] = [0x64]
    static func pairSequenceKey(_ source: RegionID) -> [UInt8] { [0x70, UInt8(source >> 8), UInt8(source & 0xff)] }

    public func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        guard method == Self.deliverMethod || method == Self.deliverPartMethod else {
            throw ContractError("unknown method \(method.prefix(64))")
        }
        guard context.region == region else {
            throw ContractError("wrong region: this inbound contract serves region \(region)")
        }
        let sources: Set<RegionID>
        let accept: (inout InboundDelivery, inout Work) -> Result<[CrossRegionMessage], DeliveryRejection>
        if method == Self.deliverMethod {
            let delivery: CheckpointDelivery
            do { delivery = try CheckpointDelivery(decoding: arguments, limits: limits) } catch {
                throw ContractError("malformed-delivery: \(error)")
            }
            sources = Set(delivery.messages.map(\.sourceRegion))
            accept = { inbox, work in inbox.accept(delivery, work: &work) }
        } else {
            let part: DeliveryPart
            do { part = try DeliveryPart(decoding: arguments, limits: limits) } catch {
                throw ContractError("malformed-delivery: \(error)")
            }
            sources = Set(part.messages.map(\.message.sourceRegion))
            accept = { inbox, work in inbox.accept(part, work: &work) }
        }
        let next = try Self.read(context, Self.destinationSequenceKey, "destination sequence")
        var pairs: [RegionID: UInt64] = [:]
        for source in sources {
            pairs[source] = try Self.read(context, Self.pairSequenceKey(source), "pair sequence")
        }
        var inbox = InboundDelivery(
            chainID: chainID, region: region, committee: committee, limits: limits, verifier: verifier,
            nextDestinationSequence: next, nextPairSequence: pairs)
        var work = Work()
        let result = accept(&inbox, &work)
        context.chargeSignatureVerifications(work.signatureVerifications)
        let fresh: [CrossRegionMessage]
        switch result {
        case .success(let messages): fresh = messages
        case .failure(let rejection): throw ContractError("\(rejection.code): \(rejection.description)")
        }
        if !fresh.isEmpty {
            context.set(Self.destinationSequenceKey, Self.encode(inbox.nextDestinationSequence))
            for source in Set(fresh.map(\.sourceRegion)).sorted() {
                context.set(Self.pairSequenceKey(source), Self.encode(inbox.nextPairSequence[source] ?? 0))
            }
        }
        for message in fresh {
            context.deliverInbound(
                InboundCall(
                    sourceRegion: message.sourceRegion, contract: message.message.contract,
                    method: message.message.method, arguments: message.message.payload))
        }
        var writer = ByteWriter(capacity: Self.outputBytes)
        writer.write(fresh.first?.destinationSequence ?? next)
        writer.write(UInt32(fresh.count))
        return writer.bytes
    }

    // MARK: - Reading state and output

    /// The next destination sequence this region expects, from the contract's table (`read` gets a key of it).
    public static func nextDestinationSequence(reading read: ([UInt8]) -> [UInt8]?) -> UInt64? {
        decode(read(destinationSequenceKey) ?? encode(0))
    }

    /// The next pair sequence expected from `source`.
    public static func nextPairSequence(from source: RegionID, reading read: ([UInt8]) -> [UInt8]?) -> UInt64? {
        decode(read(pairSequenceKey(source)) ?? encode(0))
    }

    /// What a successful relay did: decoded from the receipt's output (`InboundReport` around `deliver`'s
    /// 12-byte output).
    public struct DeliverOutput: Hashable, Sendable {
        /// Destination sequence of the first message applied (the next expected one if none was fresh).
        public var firstSequence: UInt64
        /// Messages applied (successful or failed calls alike): `firstSequence..<firstSequence + count`.
        public var count: UInt64
        /// How each message's call fared.
        public var report: InboundReport
    }

    /// Decodes the output of a successful `sys.inbound` receipt; `nil` if it is not one.
    public static func decodeOutput(_ receiptOutput: [UInt8]) -> DeliverOutput? {
        guard let report = try? InboundReport(decoding: receiptOutput),
            let (first, count) = try? decodeContractOutput(report.contractOutput)
        else { return nil }
        return DeliverOutput(firstSequence: first, count: UInt64(count), report: report)
    }

    /// Decodes `deliver`'s own 12-byte output: the first applied destination sequence and the count applied.
    public static func decodeContractOutput(_ bytes: [UInt8]) throws(DecodingError) -> (
        firstSequence: UInt64, count: UInt32
    ) {
        var reader = ByteReader(bytes)
        let first = try reader.readUInt64("inboundOutput.firstSequence")
        let count = try reader.readUInt32("inboundOutput.count")
        try reader.expectEnd("inboundOutput")
        return (first, count)
    }

    /// The next destination sequence in a committed copy of this contract's table
    /// (`committedState[InboundContract.contractName]`); 0 when empty.
    public static func committedNextSequence(_ table: [StateKey: [UInt8]]) -> UInt64 {
        nextDestinationSequence(reading: { table[StateKey($0)] }) ?? 0
    }

    private static func read(_ context: ContractContext, _ key: [UInt8], _ what: String) throws(ContractError)
        -> UInt64
    {
        guard let bytes = context.get(key) else { return 0 }
        guard let value = decode(bytes) else { throw ContractError("corrupt state: \(what)") }
        return value
    }

    private static func decode(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func encode(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    // MARK: - Relaying

    /// The transaction a relay (for example one of the region's validators) submits to apply `delivery`.
    public static func relayTransaction(
        chainID: ChainID, region: RegionID, delivery: CheckpointDelivery, signer: KeyPair, nonce: UInt64
    ) -> Transaction {
        Transaction(
            chainID: chainID, region: region, signer: signer, nonce: nonce, contract: contractName,
            method: deliverMethod, arguments: delivery.encoded())
    }

    /// The transaction a relay submits to apply one part of a split delivery.
    public static func relayTransaction(
        chainID: ChainID, region: RegionID, part: DeliveryPart, signer: KeyPair, nonce: UInt64
    ) -> Transaction {
        Transaction(
            chainID: chainID, region: region, signer: signer, nonce: nonce, contract: contractName,
            method: deliverPartMethod, arguments: part.encoded())
    }

    /// Encoded size of a `deliver_part` relay transaction without its arguments: as `relayTransactionBytes`, with
    /// the longer method name.
    public static var partRelayOverheadBytes: Int {
        1 + 4 + 2 + PublicKey.byteCount + 8 + 1 + contractName.utf8.count + 1 + deliverPartMethod.utf8.count + 4
            + Signature.byteCount
    }

    /// Encoded size of `relayTransaction` for `delivery`, computed without encoding:
    /// `135 + delivery.wireBytes` (version 1, chain 4, region 2, sender 32, nonce 8, "sys.inbound" 1 + 11,
    /// "deliver" 1 + 7, argument length 4, signature 64).
    public static func relayTransactionBytes(_ delivery: CheckpointDelivery) -> Int {
        1 + 4 + 2 + PublicKey.byteCount + 8 + 1 + contractName.utf8.count + 1 + deliverMethod.utf8.count + 4
            + delivery.wireBytes + Signature.byteCount
    }

    /// Whether the relay transaction for `delivery` passes admission: its encoding within `transactionBytesMax`
    /// (the mempool's) and its arguments within `argumentsBytesMax` (the mempool decodes with
    /// `EncodingLimits(transactionBytesMax:)`, whose `argumentsBytesMax` is 2048 by default, and stored blocks are
    /// decoded with the store's `EncodingLimits`).
    public static func deliveryFits(
        _ delivery: CheckpointDelivery, transactionBytesMax: Int,
        argumentsBytesMax: Int = EncodingLimits.standard.argumentsBytesMax
    ) -> Bool {
        delivery.wireBytes <= argumentsBytesMax && relayTransactionBytes(delivery) <= transactionBytesMax
    }
}

import GridCrypto
import GridLedger

/// Why a contract call failed; becomes the receipt's reason. Never a crash.
public struct ContractError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A message one region's block sends to another region, delivered through the global layer.
public struct OutboxMessage: Hashable, Sendable {
    public var destinationRegion: RegionID
    public var contract: String
    public var method: String
    public var payload: [UInt8]

    public init(destinationRegion: RegionID, contract: String, method: String, payload: [UInt8]) {
        self.destinationRegion = destinationRegion
        self.contract = contract
        self.method = method
        self.payload = payload
    }

    public var hash: Hash256 {
        var writer = ByteWriter(capacity: 64 + payload.count)
        writer.write(destinationRegion)
        writer.writeShortString(contract)
        writer.writeShortString(method)
        writer.writeBytes(payload)
        return Hash256.blake2b(writer.bytes)
    }
}

/// Reads see the block's own earlier writes, then uncommitted ancestors (nearest first), then committed state.
public struct StateView {
    let committed: [String: [StateKey: [UInt8]]]
    let ancestors: [StateChanges]
    var changes: StateChanges

    public func get(_ contract: String, _ key: [UInt8]) -> [UInt8]? { get(contract, StateKey(key)) }

    func get(_ contract: String, _ key: StateKey) -> [UInt8]? {
        if let entry = changes.tables[contract]?[key] { return entry }
        for ancestor in ancestors {
            if let entry = ancestor.tables[contract]?[key] { return entry }
        }
        return committed[contract]?[key]
    }

    public mutating func set(_ contract: String, _ key: [UInt8], _ value: [UInt8]) {
        changes.set(contract: contract, key: key, value: value)
    }

    public mutating func delete(_ contract: String, _ key: [UInt8]) {
        changes.delete(contract: contract, key: key)
    }
}

/// A cross-region message the inbound contract (`RegionApplication.inboundContractName`) asks the region
/// application to apply, after it has checked that the global layer finalized it.
///
/// The application runs it as a call of `contract.method(arguments)` with sender
/// `RegionApplication.globalLayerSender`, so a contract recognises global-layer deliveries by the sender (no
/// transaction can carry that sender), and `ContractContext.inboundSource` names the region that sent it.
public struct InboundCall: Hashable, Sendable {
    /// The region whose committed block sent the message (covered by the global QC).
    public var sourceRegion: RegionID
    public var contract: String
    public var method: String
    public var arguments: [UInt8]

    public init(sourceRegion: RegionID, contract: String, method: String, arguments: [UInt8]) {
        self.sourceRegion = sourceRegion
        self.contract = contract
        self.method = method
        self.arguments = arguments
    }
}

/// What a contract call may touch: its state, the caller, the block, and the outbox.
///
/// Reads go through the call's own writes to the block's view; writes stay in the call's own change set, so a
/// failed call is dropped without touching (or copying) what earlier transactions in the block wrote.
public struct ContractContext {
    public let region: RegionID
    public let height: UInt64
    public let sender: PublicKey
    public let contract: String
    /// For a call the region application makes to apply a cross-region message (sender
    /// `RegionApplication.globalLayerSender`): the region that sent the message. `nil` for a transaction's call.
    public let inboundSource: RegionID?
    let base: StateView
    public internal(set) var writes = StateChanges()
    public internal(set) var outbox: [OutboxMessage] = []
    /// Messages this call asked the application to apply (`deliverInbound`), in order.
    public internal(set) var inboundCalls: [InboundCall] = []
    /// Signature checks this call did itself (`chargeSignatureVerifications`), priced as `Work`.
    public internal(set) var signatureVerifications = 0

    init(
        region: RegionID, height: UInt64, sender: PublicKey, contract: String, base: StateView,
        inboundSource: RegionID? = nil
    ) {
        self.region = region
        self.height = height
        self.sender = sender
        self.contract = contract
        self.inboundSource = inboundSource
        self.base = base
    }

    public func get(_ key: [UInt8]) -> [UInt8]? {
        let stateKey = StateKey(key)
        if let entry = writes.tables[contract]?[stateKey] { return entry }
        return base.get(contract, stateKey)
    }

    /// Another contract's state, read-only (for example the grid binding a device to its bus).
    public func get(contract other: String, _ key: [UInt8]) -> [UInt8]? {
        let stateKey = StateKey(key)
        if let entry = writes.tables[other]?[stateKey] { return entry }
        return base.get(other, stateKey)
    }

    public mutating func set(_ key: [UInt8], _ value: [UInt8]) {
        writes.set(contract: contract, key: key, value: value)
    }
    public mutating func delete(_ key: [UInt8]) { writes.delete(contract: contract, key: key) }
    public mutating func send(_ message: OutboxMessage) { outbox.append(message) }

    /// Asks the region application to apply a cross-region message after this call succeeds. Only honoured for
    /// the contract named `RegionApplication.inboundContractName` called by a transaction: a call of any other
    /// contract (or an inbound call itself) that asks fails with "inbound-delivery-not-allowed". Outside a block
    /// (`ContractHarness`) the requests are ignored.
    public mutating func deliverInbound(_ call: InboundCall) { inboundCalls.append(call) }

    /// Charges `count` signature verifications this call performed (for example a certificate check), so the
    /// runtime's CPU model prices them like any other `Work.signatureVerifications`. Charged whether or not the
    /// call then succeeds: the work was done.
    public mutating func chargeSignatureVerifications(_ count: Int) {
        signatureVerifications += max(0, count)
    }
}

/// A deterministic contract: same state and call give the same result on every validator. Integer arithmetic
/// only; bad arguments are a `ContractError`, never a trap.
public protocol Contract: Sendable {
    var name: String { get }
    /// Returns the call's output (kept in the receipt).
    func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError) -> [UInt8]
}

/// Little helpers for contracts' fixed-layout arguments, so every contract reports malformed input the same way.
public struct ArgumentReader {
    private var reader: ByteReader
    public init(_ bytes: [UInt8]) { reader = ByteReader(bytes) }

    public mutating func uint64(_ name: String) throws(ContractError) -> UInt64 {
        do { return try reader.readUInt64(name) } catch { throw ContractError("malformed arguments: \(error)") }
    }
    public mutating func int64(_ name: String) throws(ContractError) -> Int64 {
        do { return try reader.readInt64(name) } catch { throw ContractError("malformed arguments: \(error)") }
    }
    public mutating func uint16(_ name: String) throws(ContractError) -> UInt16 {
        do { return try reader.readUInt16(name) } catch { throw ContractError("malformed arguments: \(error)") }
    }
    public mutating func publicKey(_ name: String) throws(ContractError) -> PublicKey {
        do { return try reader.readPublicKey(name) } catch { throw ContractError("malformed arguments: \(error)") }
    }
    public func end() throws(ContractError) {
        do { try reader.expectEnd("arguments") } catch { throw ContractError("malformed arguments: \(error)") }
    }
}

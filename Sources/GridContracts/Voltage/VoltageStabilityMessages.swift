import GridCrypto
import GridLedger

// Canonical big-endian encodings (`ByteWriter` / `ByteReader`) of what the voltage stability contract stores,
// returns in receipts and sends across regions. Every decoder bounds its counts before allocating and rejects
// trailing bytes, so hostile bytes give a `DecodingError`, never a trap.

/// The latest report for a bus, as stored by `report`.
public struct VoltageMeasurement: Sendable, Hashable {
    public var voltageMicroPU: Int64
    public var angleMicroRad: Int64
    /// Net load: positive when the bus consumes (the sign of GridModel's `netLoadPKW`).
    public var pWatts: Int64
    public var qVAr: Int64
    /// Block height of the report, so a reader can tell how old it is.
    public var height: UInt64

    public init(voltageMicroPU: Int64, angleMicroRad: Int64, pWatts: Int64, qVAr: Int64, height: UInt64) {
        self.voltageMicroPU = voltageMicroPU
        self.angleMicroRad = angleMicroRad
        self.pWatts = pWatts
        self.qVAr = qVAr
        self.height = height
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 40)
        writer.write(voltageMicroPU)
        writer.write(angleMicroRad)
        writer.write(pWatts)
        writer.write(qVAr)
        writer.write(height)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        voltageMicroPU = try reader.readInt64("measurement.voltageMicroPU")
        angleMicroRad = try reader.readInt64("measurement.angleMicroRad")
        pWatts = try reader.readInt64("measurement.pWatts")
        qVAr = try reader.readInt64("measurement.qVAr")
        height = try reader.readUInt64("measurement.height")
        try reader.expectEnd("measurement")
    }
}

/// A device's reactive power set-point: positive injects (raises the voltage), negative absorbs.
public struct VoltageSetpoint: Sendable, Hashable {
    public var device: PublicKey
    public var qSetpointVAr: Int64

    public init(device: PublicKey, qSetpointVAr: Int64) {
        self.device = device
        self.qSetpointVAr = qSetpointVAr
    }

    static let encodedByteCount = PublicKey.byteCount + 8

    static func write(_ setpoints: [VoltageSetpoint], into writer: inout ByteWriter) {
        writer.write(UInt16(setpoints.count))
        for setpoint in setpoints {
            writer.write(setpoint.device)
            writer.write(setpoint.qSetpointVAr)
        }
    }

    static func read(from reader: inout ByteReader, field: String) throws(DecodingError) -> [VoltageSetpoint] {
        let at = reader.offset
        let count = Int(try reader.readUInt16("\(field).count"))
        try reader.checkCount(
            count, limit: VoltageStabilityConfiguration.setpointsOutputMax, minimumElementBytes: encodedByteCount,
            field: field, at: at)
        var setpoints: [VoltageSetpoint] = []
        setpoints.reserveCapacity(count)
        for index in 0..<count {
            let device = try reader.readPublicKey("\(field)[\(index)].device")
            let qSetpointVAr = try reader.readInt64("\(field)[\(index)].qSetpointVAr")
            setpoints.append(VoltageSetpoint(device: device, qSetpointVAr: qSetpointVAr))
        }
        return setpoints
    }
}

/// One entry of a dispatch's ranking of the weakest buses.
public struct VoltageRankedBus: Sendable, Hashable {
    public var busNumber: UInt16
    /// Margin-ratio voltage stability index in micro-units, 0-1_000_000 (see `VoltageStabilityIndex`).
    public var indexMicro: Int64
    public var voltageMicroPU: Int64

    public init(busNumber: UInt16, indexMicro: Int64, voltageMicroPU: Int64) {
        self.busNumber = busNumber
        self.indexMicro = indexMicro
        self.voltageMicroPU = voltageMicroPU
    }
}

/// What a `dispatch` call returns in its receipt.
public struct VoltageDispatchOutcome: Sendable, Hashable {
    public static let encodingVersion: UInt8 = 1

    public enum Action: UInt8, Sendable {
        /// Every index at or above the threshold and every voltage in the band: set-points unchanged.
        case none = 0
        /// Inject reactive power to raise the focus bus (weak index or under-voltage).
        case raise = 1
        /// Absorb reactive power to lower the focus bus (over-voltage).
        case lower = 2
    }

    public var intervalIndex: UInt64
    public var action: Action
    /// The bus the dispatch steers; 0 when `action` is `.none`.
    public var focusBusNumber: UInt16
    /// Voltage change the dispatch aimed for at the focus bus (signed).
    public var voltageChangeMicroPU: Int64
    /// Reactive power still missing after the region's own devices, expressed as an injection at the focus bus
    /// (signed like the set-points); 0 when the region covered the need.
    public var deficitVAr: Int64
    /// The region asked for the deficit, if any.
    public var requestedRegion: RegionID?
    /// The weakest buses, ascending index (then bus number); at most `rankingOutputCount`.
    public var weakestBuses: [VoltageRankedBus]
    /// Every device's set-point after the dispatch, sorted by key.
    public var setpoints: [VoltageSetpoint]

    public init(
        intervalIndex: UInt64, action: Action, focusBusNumber: UInt16, voltageChangeMicroPU: Int64, deficitVAr: Int64,
        requestedRegion: RegionID?, weakestBuses: [VoltageRankedBus], setpoints: [VoltageSetpoint]
    ) {
        self.intervalIndex = intervalIndex
        self.action = action
        self.focusBusNumber = focusBusNumber
        self.voltageChangeMicroPU = voltageChangeMicroPU
        self.deficitVAr = deficitVAr
        self.requestedRegion = requestedRegion
        self.weakestBuses = weakestBuses
        self.setpoints = setpoints
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(
            capacity: 64 + weakestBuses.count * 18 + setpoints.count * VoltageSetpoint.encodedByteCount)
        writer.write(Self.encodingVersion)
        writer.write(intervalIndex)
        writer.write(action.rawValue)
        writer.write(focusBusNumber)
        writer.write(voltageChangeMicroPU)
        writer.write(deficitVAr)
        writer.write(requestedRegion != nil)
        if let requestedRegion { writer.write(requestedRegion) }
        writer.write(UInt16(weakestBuses.count))
        for bus in weakestBuses {
            writer.write(bus.busNumber)
            writer.write(bus.indexMicro)
            writer.write(bus.voltageMicroPU)
        }
        VoltageSetpoint.write(setpoints, into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "dispatch.version")
        intervalIndex = try reader.readUInt64("dispatch.intervalIndex")
        let actionOffset = reader.offset
        let rawAction = try reader.readUInt8("dispatch.action")
        guard let action = Action(rawValue: rawAction) else {
            throw DecodingError(
                field: "dispatch.action", offset: actionOffset, kind: .invalidValue("action \(rawAction)"))
        }
        self.action = action
        focusBusNumber = try reader.readUInt16("dispatch.focusBusNumber")
        voltageChangeMicroPU = try reader.readInt64("dispatch.voltageChangeMicroPU")
        deficitVAr = try reader.readInt64("dispatch.deficitVAr")
        requestedRegion =
            try reader.readBool("dispatch.requested") ? try reader.readUInt16("dispatch.requestedRegion") : nil
        let rankingOffset = reader.offset
        let rankingCount = Int(try reader.readUInt16("dispatch.weakestBuses.count"))
        try reader.checkCount(
            rankingCount, limit: VoltageStabilityConfiguration.rankingOutputCountMax, minimumElementBytes: 18,
            field: "dispatch.weakestBuses", at: rankingOffset)
        var ranking: [VoltageRankedBus] = []
        ranking.reserveCapacity(rankingCount)
        for index in 0..<rankingCount {
            let field = "dispatch.weakestBuses[\(index)]"
            ranking.append(
                VoltageRankedBus(
                    busNumber: try reader.readUInt16("\(field).busNumber"),
                    indexMicro: try reader.readInt64("\(field).indexMicro"),
                    voltageMicroPU: try reader.readInt64("\(field).voltageMicroPU")))
        }
        weakestBuses = ranking
        setpoints = try VoltageSetpoint.read(from: &reader, field: "dispatch.setpoints")
        try reader.expectEnd("dispatch")
    }
}

/// The cross-region message a region sends when its own devices cannot cover a dispatch (`OutboxMessage` to the
/// neighbour's `voltage` contract, method `reactiveRequest`), and the arguments of that method.
public struct VoltageReactiveRequest: Sendable, Hashable {
    public static let encodedByteCount = 2 + 2 + 8 + 8 + 2

    /// The region short of reactive power, whose bus the request is about.
    public var requestingRegion: RegionID
    /// The requesting region's focus bus.
    public var busNumber: UInt16
    /// Reactive power asked for (positive: inject, negative: absorb).
    public var deficitVAr: Int64
    /// The requesting region's dispatch interval, so a receiving region applies each request once.
    public var intervalIndex: UInt64
    /// The region that sent this message: the requesting region, or the neighbour that passed on what it could
    /// not meet (`VoltageStabilityConfiguration.forwardRegions`). A passed-on request is not passed on again.
    public var senderRegion: RegionID

    public var isForwarded: Bool { senderRegion != requestingRegion }

    public init(
        requestingRegion: RegionID, busNumber: UInt16, deficitVAr: Int64, intervalIndex: UInt64,
        senderRegion: RegionID? = nil
    ) {
        self.requestingRegion = requestingRegion
        self.busNumber = busNumber
        self.deficitVAr = deficitVAr
        self.intervalIndex = intervalIndex
        self.senderRegion = senderRegion ?? requestingRegion
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedByteCount)
        writer.write(requestingRegion)
        writer.write(busNumber)
        writer.write(deficitVAr)
        writer.write(intervalIndex)
        writer.write(senderRegion)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        requestingRegion = try reader.readUInt16("reactiveRequest.requestingRegion")
        busNumber = try reader.readUInt16("reactiveRequest.busNumber")
        deficitVAr = try reader.readInt64("reactiveRequest.deficitVAr")
        intervalIndex = try reader.readUInt64("reactiveRequest.intervalIndex")
        senderRegion = try reader.readUInt16("reactiveRequest.senderRegion")
        try reader.expectEnd("reactiveRequest")
    }
}

/// What a `reactiveRequest` call returns in its receipt (and, without the set-points, what it records).
public struct VoltageReactiveSupport: Sendable, Hashable {
    /// 2: the request carries its sender region, and the support the region it passed the rest on to.
    public static let encodingVersion: UInt8 = 2

    public var request: VoltageReactiveRequest
    /// What this region's help is worth at the requesting bus, in VAr injected there (same sign as the request;
    /// |supplied| <= |requested|): the VAr its devices took on, or, where the region knows the network's transfer
    /// reactances to that bus (`VoltageStabilityConfiguration.RemoteBus`), their effect there.
    public var suppliedVAr: Int64
    /// Every device's set-point after the call, sorted by key.
    public var setpoints: [VoltageSetpoint]
    /// Where the unmet rest went, as a request of its own: the first of `forwardRegions` that is neither the
    /// requester nor this region; nil when all was met, the request was itself passed on, or there is none.
    public var forwardedTo: RegionID?

    public init(
        request: VoltageReactiveRequest, suppliedVAr: Int64, setpoints: [VoltageSetpoint], forwardedTo: RegionID? = nil
    ) {
        self.request = request
        self.suppliedVAr = suppliedVAr
        self.setpoints = setpoints
        self.forwardedTo = forwardedTo
    }

    public var unmetVAr: Int64 { request.deficitVAr - suppliedVAr }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + setpoints.count * VoltageSetpoint.encodedByteCount)
        writer.write(Self.encodingVersion)
        writer.writeFixed(request.encoded())
        writer.write(suppliedVAr)
        writer.write(forwardedTo ?? Self.notForwarded)
        VoltageSetpoint.write(setpoints, into: &writer)
        return writer.bytes
    }

    /// `forwardedTo` on the wire when nothing was passed on: `RegionID.max`, the global chain's id, which no
    /// region has.
    static let notForwarded: RegionID = .max

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes)
        try reader.expectVersion(Self.encodingVersion, "reactiveSupport.version")
        request = try VoltageReactiveRequest(
            decoding: reader.readFixed(VoltageReactiveRequest.encodedByteCount, "reactiveSupport.request"))
        suppliedVAr = try reader.readInt64("reactiveSupport.suppliedVAr")
        let forwarded = try reader.readUInt16("reactiveSupport.forwardedTo")
        forwardedTo = forwarded == Self.notForwarded ? nil : forwarded
        setpoints = try VoltageSetpoint.read(from: &reader, field: "reactiveSupport.setpoints")
        try reader.expectEnd("reactiveSupport")
    }
}

import GridCrypto
import GridLedger
import GridRegion

/// Decentralised voltage stability control for one region (shard) of a radial distribution feeder, after the
/// scheme of Lee et al. (2021) as Honari et al. (2022, "A Scalable Blockchain-based Smart Contract Model for
/// Decentralized Voltage Stability Using Sharding Technique", arXiv:2206.13776) run it as sharded smart contracts.
///
/// Methods (arguments in the canonical big-endian layouts of the `...Arguments` helpers):
/// - `report(busNumber, sequence, voltageMicroPU, angleMicroRad, pWatts, qVAr)`: a registered device reports its
///   own bus; the sequence must grow per device. Stores the latest measurement per bus. Output: empty.
/// - `dispatch(intervalIndex)`: operator only, strictly increasing intervals. Computes the margin-ratio voltage
///   stability index of every reported bus (`VoltageStabilityIndex.marginRatioIndexMicro`), ranks the buses and, when the weakest index
///   is below the threshold or a voltage leaves the band, moves reactive set-points toward the dispatch target,
///   sized by the voltage sensitivity dV/dQ = X_shared / V. What the region cannot cover goes to the neighbour
///   region as an `OutboxMessage` (`voltage.reactiveRequest`). Output: `VoltageDispatchOutcome`.
/// - `reactiveRequest(VoltageReactiveRequest)`: relay key only; applies a neighbour's request from this region's
///   headroom, sized by the network's transfer reactances to the requesting bus where the configuration has them
///   (a joint re-dispatch), else VAr for VAr. Output: `VoltageReactiveSupport`.
/// - `setpoint(device)`: a device's current set-point. Output: Int64 VAr.
///
/// With a registry (`VoltageStabilityConfiguration.registryRegion`, Honari et al.'s main chain), a dispatch sends
/// its unmet deficit to the registry's `search` instead of to the neighbour, and every call that changes the
/// region's headroom (or its deficit) tells the registry (`resources`); the registry passes the request on to the
/// adjacent group it picks (`VoltageRegistryContract`).
///
/// Everything is integer: state, decisions and outputs (see `VoltageStabilityIndex` for the fixed point). Tables
/// are iterated in the configuration's sorted order, never in dictionary order, so every validator writes the same
/// state and returns the same bytes. Bad input of any kind is a `ContractError`, never a trap.
public struct VoltageStabilityContract: Contract {
    public static let contractName = "voltage"
    public static let reportMethod = "report"
    public static let dispatchMethod = "dispatch"
    public static let reactiveRequestMethod = "reactiveRequest"
    public static let setpointMethod = "setpoint"
    /// Largest |deficit| a cross-region request may carry: 1 TVAr, far above any region's capability.
    public static let reactiveRequestVArMax: Int64 = 1_000_000_000_000

    public let configuration: VoltageStabilityConfiguration
    public var name: String { Self.contractName }

    public init(configuration: VoltageStabilityConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Arguments

    public static func reportArguments(
        busNumber: UInt16, sequence: UInt64, voltageMicroPU: Int64, angleMicroRad: Int64, pWatts: Int64, qVAr: Int64
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 42)
        writer.write(busNumber)
        writer.write(sequence)
        writer.write(voltageMicroPU)
        writer.write(angleMicroRad)
        writer.write(pWatts)
        writer.write(qVAr)
        return writer.bytes
    }

    public static func dispatchArguments(intervalIndex: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(intervalIndex)
        return writer.bytes
    }

    /// Also the payload of the cross-region `OutboxMessage`.
    public static func reactiveRequestArguments(_ request: VoltageReactiveRequest) -> [UInt8] { request.encoded() }

    public static func setpointArguments(device: PublicKey) -> [UInt8] { device.bytes }

    // MARK: - Outputs

    public static func decodeDispatchOutput(_ bytes: [UInt8]) throws(DecodingError) -> VoltageDispatchOutcome {
        try VoltageDispatchOutcome(decoding: bytes)
    }

    public static func decodeReactiveSupportOutput(_ bytes: [UInt8]) throws(DecodingError) -> VoltageReactiveSupport {
        try VoltageReactiveSupport(decoding: bytes)
    }

    public static func decodeSetpointOutput(_ bytes: [UInt8]) throws(DecodingError) -> Int64 {
        var reader = ByteReader(bytes)
        let value = try reader.readInt64("setpoint.qSetpointVAr")
        try reader.expectEnd("setpoint")
        return value
    }

    // MARK: - State layout and read helpers

    // One-byte prefixes keep the record kinds apart in the contract's table.
    private static let measurementPrefix: UInt8 = 0x6D  // "m" + bus number: VoltageMeasurement
    private static let sequencePrefix: UInt8 = 0x73  // "s" + device key: last accepted sequence
    private static let setpointPrefix: UInt8 = 0x71  // "q" + device key: set-point, Int64 VAr
    private static let requestPrefix: UInt8 = 0x72  // "r" + region: last applied cross-region request
    private static let intervalKey: [UInt8] = [0x69]  // "i": last dispatched interval
    private static let headroomSentKey: [UInt8] = [0x75]  // "u": last VoltageHeadroomUpdate sent to the registry

    public static func measurementKey(busNumber: UInt16) -> [UInt8] {
        [measurementPrefix, UInt8(busNumber >> 8), UInt8(busNumber & 0xFF)]
    }
    public static func setpointKey(of device: PublicKey) -> [UInt8] { device.appended(to: [setpointPrefix]) }
    static func sequenceKey(of device: PublicKey) -> [UInt8] { device.appended(to: [sequencePrefix]) }
    /// The last request applied from `region` as sent by `sender` (the region itself, or the neighbour that passed
    /// it on): each path keeps its own intervals, so a direct and a passed-on request of one interval both apply.
    static func requestKey(from region: RegionID, via sender: RegionID) -> [UInt8] {
        [requestPrefix, UInt8(region >> 8), UInt8(region & 0xFF), UInt8(sender >> 8), UInt8(sender & 0xFF)]
    }

    /// A device's current set-point from any view of the contract's table (`read` returns the stored value of a
    /// key); 0 when none was dispatched (or the stored value is unreadable).
    public static func setpointVAr(of device: PublicKey, read: ([UInt8]) -> [UInt8]?) -> Int64 {
        read(setpointKey(of: device)).flatMap(decodeInt64) ?? 0
    }

    public static func setpointVAr(of device: PublicKey, in context: ContractContext) -> Int64 {
        setpointVAr(of: device) { context.get($0) }
    }

    /// The latest stored measurement of a bus, if any.
    public static func measurement(busNumber: UInt16, read: ([UInt8]) -> [UInt8]?) -> VoltageMeasurement? {
        read(measurementKey(busNumber: busNumber)).flatMap { try? VoltageMeasurement(decoding: $0) }
    }

    private static func encode(_ value: Int64) -> [UInt8] { encode(UInt64(bitPattern: value)) }
    private static func encode(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    private static func decodeUInt64(_ bytes: [UInt8]) -> UInt64? {
        bytes.count == 8 ? bytes.reduce(0) { $0 << 8 | UInt64($1) } : nil
    }
    private static func decodeInt64(_ bytes: [UInt8]) -> Int64? { decodeUInt64(bytes).map { Int64(bitPattern: $0) } }

    // MARK: - Calls

    public func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        guard context.region == configuration.region else {
            throw ContractError(
                "voltage contract configured for region \(configuration.region) called in region \(context.region)")
        }
        switch method {
        case Self.reportMethod: return try report(arguments, &context)
        case Self.dispatchMethod: return try dispatch(arguments, &context)
        case Self.reactiveRequestMethod: return try reactiveRequest(arguments, &context)
        case Self.setpointMethod: return try setpoint(arguments, context)
        default: throw ContractError("unknown method \(method.prefix(32))")
        }
    }

    private func report(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let busNumber = try reader.uint16("busNumber")
        let sequence = try reader.uint64("sequence")
        let voltageMicroPU = try reader.int64("voltageMicroPU")
        let angleMicroRad = try reader.int64("angleMicroRad")
        let pWatts = try reader.int64("pWatts")
        let qVAr = try reader.int64("qVAr")
        try reader.end()

        guard let device = configuration.device(key: context.sender) else {
            throw ContractError("unauthorised: sender is not a registered device of region \(configuration.region)")
        }
        guard device.busNumber == busNumber else {
            throw ContractError("unauthorised: device is bound to bus \(device.busNumber), not bus \(busNumber)")
        }
        let voltageLimits = VoltageStabilityConfiguration.measurementVoltageMicroPU
        guard voltageLimits.contains(voltageMicroPU) else {
            throw ContractError("out of range: voltageMicroPU \(voltageMicroPU) outside \(voltageLimits)")
        }
        let angleLimits = VoltageStabilityConfiguration.measurementAngleMicroRad
        guard angleLimits.contains(angleMicroRad) else {
            throw ContractError("out of range: angleMicroRad \(angleMicroRad) outside \(angleLimits)")
        }
        let powerMax = configuration.measurementPowerMax
        guard (-powerMax...powerMax).contains(pWatts), (-powerMax...powerMax).contains(qVAr) else {
            throw ContractError("out of range: |pWatts| and |qVAr| must be at most \(powerMax)")
        }
        let sequenceKey = Self.sequenceKey(of: device.key)
        if let stored = context.get(sequenceKey) {
            guard let last = Self.decodeUInt64(stored) else { throw ContractError("corrupt state: sequence record") }
            guard sequence > last else {
                throw ContractError("stale sequence \(sequence): last accepted is \(last)")
            }
        }
        context.set(sequenceKey, Self.encode(sequence))
        let measurement = VoltageMeasurement(
            voltageMicroPU: voltageMicroPU, angleMicroRad: angleMicroRad, pWatts: pWatts, qVAr: qVAr,
            height: context.height)
        context.set(Self.measurementKey(busNumber: busNumber), measurement.encoded())
        return []
    }

    private func dispatch(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let intervalIndex = try reader.uint64("intervalIndex")
        try reader.end()
        guard context.sender == configuration.operatorKey else {
            throw ContractError("unauthorised: only the operator of region \(configuration.region) may dispatch")
        }
        if let stored = context.get(Self.intervalKey) {
            guard let last = Self.decodeUInt64(stored) else { throw ContractError("corrupt state: interval record") }
            guard intervalIndex > last else {
                throw ContractError("stale interval \(intervalIndex): last dispatched is \(last)")
            }
        }
        context.set(Self.intervalKey, Self.encode(intervalIndex))

        let assessment = try assess(context)
        var setpoints = try loadSetpoints(context)
        let plan =
            decidePlan(for: assessment)
            ?? VoltageDispatchPlan(action: .none, focusBusNumber: 0, voltageChangeMicroPU: 0)
        var deficitVAr: Int64 = 0
        if plan.voltageChangeMicroPU != 0, let focus = assessment.entry(busNumber: plan.focusBusNumber) {
            deficitVAr = allocate(
                voltageChangeMicroPU: plan.voltageChangeMicroPU, focusBusNumber: focus.busNumber,
                focusVoltageMicroPU: focus.measurement.voltageMicroPU, setpoints: &setpoints)
        }
        try store(setpoints, context: &context)

        var requestedRegion: RegionID?
        let request = VoltageReactiveRequest(
            requestingRegion: configuration.region, busNumber: plan.focusBusNumber, deficitVAr: deficitVAr,
            intervalIndex: intervalIndex)
        if deficitVAr != 0, let registry = configuration.registryRegion {
            context.send(
                OutboxMessage(
                    destinationRegion: registry, contract: VoltageRegistryContract.contractName,
                    method: VoltageRegistryContract.searchMethod, payload: request.encoded()))
            requestedRegion = registry
        } else if deficitVAr != 0, let neighbour = configuration.neighbour {
            context.send(
                OutboxMessage(
                    destinationRegion: neighbour.region, contract: Self.contractName,
                    method: Self.reactiveRequestMethod, payload: request.encoded()))
            requestedRegion = neighbour.region
        }
        try reportHeadroom(setpoints, intervalIndex: intervalIndex, deficitVAr: deficitVAr, force: false, &context)
        let outcome = VoltageDispatchOutcome(
            intervalIndex: intervalIndex, action: plan.action, focusBusNumber: plan.focusBusNumber,
            voltageChangeMicroPU: plan.voltageChangeMicroPU, deficitVAr: deficitVAr, requestedRegion: requestedRegion,
            weakestBuses: assessment.ranking.prefix(configuration.rankingOutputCount).map {
                VoltageRankedBus(
                    busNumber: $0.busNumber, indexMicro: $0.indexMicro, voltageMicroPU: $0.measurement.voltageMicroPU)
            },
            setpoints: listedSetpoints(setpoints))
        return outcome.encoded()
    }

    private func reactiveRequest(_ arguments: [UInt8], _ context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        let request: VoltageReactiveRequest
        do { request = try VoltageReactiveRequest(decoding: arguments) } catch {
            throw ContractError("malformed arguments: \(error)")
        }
        guard context.sender == configuration.relayKey else {
            throw ContractError("unauthorised: only the cross-region relay may apply reactive requests")
        }
        guard request.requestingRegion != configuration.region, request.senderRegion != configuration.region else {
            throw ContractError("a region cannot request reactive power from itself")
        }
        // Delivered by the global layer, the checkpoint names the region that sent the message: a region must not
        // be able to ask in another's name.
        if let source = context.inboundSource, source != request.senderRegion {
            throw ContractError(
                "request names region \(request.senderRegion) as its sender but was sent by region \(source)")
        }
        let limit = Self.reactiveRequestVArMax
        guard request.deficitVAr != 0, (-limit...limit).contains(request.deficitVAr) else {
            throw ContractError(
                "out of range: deficitVAr \(request.deficitVAr) must be non-zero with |value| <= \(limit)")
        }
        let recordKey = Self.requestKey(from: request.requestingRegion, via: request.senderRegion)
        if let stored = context.get(recordKey) {
            guard stored.count >= VoltageReactiveRequest.encodedByteCount,
                let last = try? VoltageReactiveRequest(
                    decoding: Array(stored.prefix(VoltageReactiveRequest.encodedByteCount)))
            else { throw ContractError("corrupt state: request record") }
            guard request.intervalIndex > last.intervalIndex else {
                let via = request.isForwarded ? " via region \(request.senderRegion)" : ""
                throw ContractError(
                    "stale request interval \(request.intervalIndex) from region \(request.requestingRegion)\(via): "
                        + "last applied is \(last.intervalIndex)")
            }
        }

        var setpoints = try loadSetpoints(context)
        let suppliedVAr = supply(request.deficitVAr, atBus: request.busNumber, setpoints: &setpoints)
        try store(setpoints, context: &context)
        var record = ByteWriter(capacity: 40)
        record.writeFixed(request.encoded())
        record.write(suppliedVAr)
        record.write(context.height)
        context.set(recordKey, record.bytes)
        // What this region could not meet goes on to the next region in its adjacency, as Honari's global contract
        // would look for another adjacent group with resources; once only, so no request travels in a loop.
        var forwardedTo: RegionID?
        let unmetVAr = request.deficitVAr - suppliedVAr
        if unmetVAr != 0, !request.isForwarded,
            let next = configuration.forwardRegions.first(where: { $0 != request.requestingRegion })
        {
            var onward = request
            onward.deficitVAr = unmetVAr
            onward.senderRegion = configuration.region
            context.send(
                OutboxMessage(
                    destinationRegion: next, contract: Self.contractName, method: Self.reactiveRequestMethod,
                    payload: onward.encoded()))
            forwardedTo = next
        }
        // A request the registry sent booked this region's recorded headroom: tell it what is really left, even
        // if nothing moved, so that a booking the devices could not honour does not hide the headroom.
        try reportHeadroom(
            setpoints, intervalIndex: nil, deficitVAr: nil,
            force: request.senderRegion == configuration.registryRegion, &context)
        let support = VoltageReactiveSupport(
            request: request, suppliedVAr: suppliedVAr, setpoints: listedSetpoints(setpoints), forwardedTo: forwardedTo)
        return support.encoded()
    }

    private func setpoint(_ arguments: [UInt8], _ context: ContractContext) throws(ContractError) -> [UInt8] {
        var reader = ArgumentReader(arguments)
        let key = try reader.publicKey("device")
        try reader.end()
        guard configuration.device(key: key) != nil else {
            throw ContractError("unknown device: not registered in region \(configuration.region)")
        }
        return Self.encode(Self.setpointVAr(of: key, in: context))
    }

    // MARK: - Assessment

    /// One reported bus with its index.
    struct AssessedBus {
        var busNumber: UInt16
        var measurement: VoltageMeasurement
        var indexMicro: Int64
    }

    /// The reported buses (in bus order) and their ranking (ascending index, then bus number).
    struct Assessment {
        var buses: [AssessedBus]
        var ranking: [AssessedBus]

        func entry(busNumber: UInt16) -> AssessedBus? { buses.first { $0.busNumber == busNumber } }
    }

    private func assess(_ context: ContractContext) throws(ContractError) -> Assessment {
        var assessed: [AssessedBus] = []
        for bus in configuration.buses {
            guard let stored = context.get(Self.measurementKey(busNumber: bus.number)) else { continue }
            guard let measurement = try? VoltageMeasurement(decoding: stored),
                let indexMicro = VoltageStabilityIndex.marginRatioIndexMicro(
                    busVoltageMicroPU: measurement.voltageMicroPU,
                    pathResistanceMicroPU: bus.pathResistanceMicroPU, pathReactanceMicroPU: bus.pathReactanceMicroPU,
                    loadPMicroPU: VoltageStabilityIndex.microPU(
                        watts: measurement.pWatts, baseKVA: configuration.baseKVA),
                    loadQMicroPU: VoltageStabilityIndex.microPU(watts: measurement.qVAr, baseKVA: configuration.baseKVA)
                )
            else { throw ContractError("corrupt state: measurement of bus \(bus.number)") }
            assessed.append(AssessedBus(busNumber: bus.number, measurement: measurement, indexMicro: indexMicro))
        }
        let ranking = assessed.sorted { ($0.indexMicro, $0.busNumber) < ($1.indexMicro, $1.busNumber) }
        return Assessment(buses: assessed, ranking: ranking)
    }

    /// What a dispatch aims for.
    struct VoltageDispatchPlan {
        var action: VoltageDispatchOutcome.Action
        var focusBusNumber: UInt16
        var voltageChangeMicroPU: Int64
    }

    /// Decides whether and where to act. Under-voltage comes first (the lowest bus is steered to the bottom of the
    /// target), then a weak index (the weakest bus is steered to the bottom of the target, or to its top if it is
    /// already above the bottom, since reactive power acts on the index through the voltage), then over-voltage
    /// (the highest bus is steered to the top of the target). One focus bus per interval keeps the dispatch a
    /// single linear step; the next interval's reports show what it achieved.
    private func decidePlan(for assessment: Assessment) -> VoltageDispatchPlan? {
        guard !assessment.ranking.isEmpty else { return nil }
        let band = configuration.voltageBandMicroPU
        let target = configuration.dispatchTargetMicroPU
        // Lowest and highest voltage; among equal voltages the lower bus number, like the ranking.
        let byVoltageLowFirst = assessment.buses.sorted {
            ($0.measurement.voltageMicroPU, $0.busNumber) < ($1.measurement.voltageMicroPU, $1.busNumber)
        }
        let byVoltageHighFirst = assessment.buses.sorted {
            ($1.measurement.voltageMicroPU, $0.busNumber) < ($0.measurement.voltageMicroPU, $1.busNumber)
        }
        if let lowest = byVoltageLowFirst.first, lowest.measurement.voltageMicroPU < band.lowerBound {
            return VoltageDispatchPlan(
                action: .raise, focusBusNumber: lowest.busNumber,
                voltageChangeMicroPU: target.lowerBound - lowest.measurement.voltageMicroPU)
        }
        // The weakest bus below its own threshold: with per-bus thresholds the weakest overall may still be fine.
        if let weakest = assessment.ranking.first(where: {
            $0.indexMicro < configuration.vsiThresholdMicro(ofBus: $0.busNumber)
        }) {
            let voltage = weakest.measurement.voltageMicroPU
            let goal = voltage < target.lowerBound ? target.lowerBound : target.upperBound
            return VoltageDispatchPlan(
                action: .raise, focusBusNumber: weakest.busNumber, voltageChangeMicroPU: max(0, goal - voltage))
        }
        if let highest = byVoltageHighFirst.first, highest.measurement.voltageMicroPU > band.upperBound {
            return VoltageDispatchPlan(
                action: .lower, focusBusNumber: highest.busNumber,
                voltageChangeMicroPU: target.upperBound - highest.measurement.voltageMicroPU)
        }
        return nil
    }

    // MARK: - Set-points

    /// A device's set-point before and after this call, in `configuration.devices` order.
    struct DeviceSetpoint {
        var stored: Int64
        var current: Int64
    }

    private func loadSetpoints(_ context: ContractContext) throws(ContractError) -> [DeviceSetpoint] {
        var setpoints: [DeviceSetpoint] = []
        setpoints.reserveCapacity(configuration.devices.count)
        for device in configuration.devices {
            var value: Int64 = 0
            if let stored = context.get(Self.setpointKey(of: device.key)) {
                let capability = device.reactiveCapabilityVAr
                guard let decoded = Self.decodeInt64(stored), (-capability...capability).contains(decoded) else {
                    throw ContractError("corrupt state: set-point of device \(device.key)")
                }
                value = decoded
            }
            setpoints.append(DeviceSetpoint(stored: value, current: value))
        }
        return setpoints
    }

    /// The set-points an output lists: all when the region has at most `setpointsOutputMax` devices, else the first
    /// `setpointsOutputMax` that this call changed, in device order.
    private func listedSetpoints(_ setpoints: [DeviceSetpoint]) -> [VoltageSetpoint] {
        let limit = VoltageStabilityConfiguration.setpointsOutputMax
        let listAll = configuration.devices.count <= limit
        var listed: [VoltageSetpoint] = []
        for (device, setpoint) in zip(configuration.devices, setpoints) where listed.count < limit {
            guard listAll || setpoint.current != setpoint.stored else { continue }
            listed.append(VoltageSetpoint(device: device.key, qSetpointVAr: setpoint.current))
        }
        return listed
    }

    /// Writes the set-points that changed (only those, so an idle dispatch writes nothing but its interval).
    private func store(_ setpoints: [DeviceSetpoint], context: inout ContractContext) throws(ContractError) {
        for (device, setpoint) in zip(configuration.devices, setpoints) where setpoint.current != setpoint.stored {
            context.set(Self.setpointKey(of: device.key), Self.encode(setpoint.current))
        }
    }

    /// Sends the region's headroom to the registry (`VoltageRegistryContract.resources`) when it, or whether the
    /// region is short, differs from what was last sent, or when `force`; no-op without a registry.
    /// `intervalIndex` and `deficitVAr` are the dispatch's, nil to keep the last ones sent.
    private func reportHeadroom(
        _ setpoints: [DeviceSetpoint], intervalIndex: UInt64?, deficitVAr: Int64?, force: Bool,
        _ context: inout ContractContext
    ) throws(ContractError) {
        guard let registry = configuration.registryRegion else { return }
        var last: VoltageHeadroomUpdate?
        if let stored = context.get(Self.headroomSentKey) {
            do { last = try VoltageHeadroomUpdate(decoding: stored) } catch {
                throw ContractError("corrupt state: headroom record")
            }
        }
        var injectVAr: Int64 = 0
        var absorbVAr: Int64 = 0
        for (device, setpoint) in zip(configuration.devices, setpoints) {
            injectVAr += Self.headroomVAr(device, setpoint: setpoint.current, direction: 1)
            absorbVAr += Self.headroomVAr(device, setpoint: setpoint.current, direction: -1)
        }
        let limit = Self.reactiveRequestVArMax
        var update = VoltageHeadroomUpdate(
            region: configuration.region, sequence: (last?.sequence ?? 0) + 1,
            intervalIndex: intervalIndex ?? last?.intervalIndex ?? 0, injectVAr: min(injectVAr, limit),
            absorbVAr: min(absorbVAr, limit), deficitVAr: deficitVAr ?? last?.deficitVAr ?? 0)
        // The registry reads the deficit only as "still short or not" (a merge splits at 0), so a short group's
        // changing deficit alone is not worth a message each interval.
        if let last, !force, last.injectVAr == update.injectVAr, last.absorbVAr == update.absorbVAr,
            (last.deficitVAr == 0) == (update.deficitVAr == 0)
        {
            return
        }
        update.deficitVAr = max(-limit, min(limit, update.deficitVAr))
        context.set(Self.headroomSentKey, update.encoded())
        context.send(
            OutboxMessage(
                destinationRegion: registry, contract: VoltageRegistryContract.contractName,
                method: VoltageRegistryContract.resourcesMethod, payload: update.encoded()))
    }

    /// Room a device has left in the direction of `direction` (+1 inject, -1 absorb), in VAr.
    private static func headroomVAr(_ device: VoltageStabilityConfiguration.Device, setpoint: Int64, direction: Int64)
        -> Int64
    {
        max(0, device.reactiveCapabilityVAr - direction * setpoint)
    }

    /// Moves set-points to change the focus bus voltage by `voltageChangeMicroPU` and returns the reactive power
    /// still missing, as an injection at the focus bus (0 if covered).
    ///
    /// Linearised DistFlow (Baran and Wu 1989): Q[VAr] injected at bus j changes the focus bus f by
    /// dV = X_fj / V_f * Q, i.e. dV[micro-p.u.] = Q * X_fj[micro-p.u.] * 1000 / (V_f[micro-p.u.] * base[kVA]).
    /// The need is therefore kept exactly as the Int128 `remaining = |dV| * V_f * base`, and device j consumes
    /// Q_j * X_fj * 1000 of it. Devices go in order of sensitivity to the focus bus (X_fj descending, then key),
    /// each taking ceil(remaining / (X_fj * 1000)) up to its headroom; devices with X_fj = 0 (sharing no path
    /// with the focus bus) cannot help and are skipped. Rounding up means the dispatch never falls short by a
    /// rounding step.
    private func allocate(
        voltageChangeMicroPU: Int64, focusBusNumber: UInt16, focusVoltageMicroPU: Int64,
        setpoints: inout [DeviceSetpoint]
    ) -> Int64 {
        let direction: Int64 = voltageChangeMicroPU > 0 ? 1 : -1
        var remaining =
            Int128(voltageChangeMicroPU.magnitude) * Int128(focusVoltageMicroPU) * Int128(configuration.baseKVA)
        var candidates: [(sharedReactanceMicroPU: Int64, deviceIndex: Int)] = []
        for (index, device) in configuration.devices.enumerated() {
            let shared = configuration.sharedReactanceMicroPU(focusBusNumber, device.busNumber) ?? 0
            if shared > 0 { candidates.append((shared, index)) }
        }
        // Devices are sorted by key, so the index breaks ties by key.
        candidates.sort { ($1.sharedReactanceMicroPU, $0.deviceIndex) < ($0.sharedReactanceMicroPU, $1.deviceIndex) }
        for candidate in candidates where remaining > 0 {
            let device = configuration.devices[candidate.deviceIndex]
            let headroom = Self.headroomVAr(
                device, setpoint: setpoints[candidate.deviceIndex].current, direction: direction)
            guard headroom > 0 else { continue }
            let perVAr = Int128(candidate.sharedReactanceMicroPU) * 1_000
            let needed = VoltageFixedPoint.ceilingQuotient(remaining, perVAr)
            let taken = Int64(min(needed, Int128(headroom)))
            setpoints[candidate.deviceIndex].current += direction * taken
            remaining -= Int128(taken) * perVAr
        }
        guard remaining > 0,
            let focusReactance = configuration.bus(number: focusBusNumber)?.pathReactanceMicroPU, focusReactance > 0
        else { return 0 }
        let deficit = VoltageFixedPoint.ceilingQuotient(remaining, Int128(focusReactance) * 1_000)
        return direction * Int64(clamping: deficit)
    }

    /// Takes on a neighbour's reactive deficit (VAr missing at its bus `busNumber`) and returns what the help is
    /// worth there, in VAr injected at that bus, signed like the deficit and at most it. The caller passes the rest
    /// on at most once (`forwardRegions`); the neighbour's next reports show the effect, and it asks again if still
    /// short.
    ///
    /// With the network's transfer reactances for that bus (`configuration.remoteBus`), the request is met as a
    /// joint re-dispatch over both regions would meet it, linearised like `allocate`: the deficit Q at bus f
    /// stands for a voltage change X_ff * Q / V_f there, device j gives X_fj * Q_j / V_f of it, so devices go in
    /// order of X_fj (highest first, then key), each taking ceil(remaining / X_fj) up to its headroom, until
    /// sum X_fj * Q_j covers X_ff * Q; a device with X_fj = 0 cannot help. The VAr moved exceed the deficit when
    /// X_fj < X_ff, which is what VAr for VAr got wrong. Without the table (a radial feeder, whose zones know
    /// only their own paths), the deficit is met VAr for VAr from devices in order of their shared path
    /// reactance with the coupling bus.
    private func supply(_ deficitVAr: Int64, atBus busNumber: UInt16, setpoints: inout [DeviceSetpoint]) -> Int64 {
        let direction: Int64 = deficitVAr > 0 ? 1 : -1
        let remote = configuration.remoteBus(number: busNumber).flatMap { $0.reactanceMicroPU > 0 ? $0 : nil }
        // Weight of one VAr from each device, and of one VAr of the deficit, in the same units.
        let deficitWeight: Int64
        var order: [(weight: Int64, deviceIndex: Int)]
        if let remote {
            deficitWeight = remote.reactanceMicroPU
            order = configuration.devices.enumerated().map { index, device in
                (remote.transferReactanceMicroPU[device.busNumber] ?? 0, index)
            }
        } else {
            deficitWeight = 1
            let couplingBus = configuration.neighbour?.couplingBusNumber ?? configuration.rootBusNumber
            // VAr for VAr: every device weighs 1; the shared reactance with the coupling bus only orders them.
            order = configuration.devices.enumerated().map {
                (configuration.sharedReactanceMicroPU(couplingBus, $1.busNumber) ?? 0, $0)
            }
        }
        order.sort { ($1.weight, $0.deviceIndex) < ($0.weight, $1.deviceIndex) }
        let needed = Int128(deficitVAr.magnitude) * Int128(deficitWeight)
        var remaining = needed
        for entry in order where remaining > 0 {
            let perVAr = remote == nil ? Int128(1) : Int128(entry.weight)
            guard perVAr > 0 else { continue }
            let device = configuration.devices[entry.deviceIndex]
            let headroom = Self.headroomVAr(
                device, setpoint: setpoints[entry.deviceIndex].current, direction: direction)
            let taken = Int64(min(VoltageFixedPoint.ceilingQuotient(remaining, perVAr), Int128(headroom)))
            setpoints[entry.deviceIndex].current += direction * taken
            remaining -= Int128(taken) * perVAr
        }
        // Worth at the requesting bus: what was covered, in VAr there (rounding up can overshoot by one step).
        let covered = max(0, min(needed, needed - remaining))
        return direction * Int64(covered / Int128(deficitWeight))
    }
}

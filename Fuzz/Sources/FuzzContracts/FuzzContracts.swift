import FuzzSupport
import GridContracts
import GridCrypto
import GridLedger
import GridRegion

// Contract arguments: the input is a program of calls on a region holding the energy auction and the voltage
// stability contract, each call a method byte, a sender byte, a length byte and that many argument bytes. Every
// call must end in an output or a `ContractError`, never a trap. Invariants: argument decoders with an encoder
// are canonical (decode then encode gives the bytes back); every output a method returns decodes with the
// decoder its readers use, and re-encodes to the same bytes; every outbox message is addressed to the configured
// neighbour (or, for a reactive request the region could not meet, to the next region it forwards to) and carries a
// payload the receiving method decodes; a passed-on request is never passed on again. The voltage registry runs on
// a harness of its own (region 9), its calls arriving from a region the sender byte picks: a search sends at most
// one request, to an adjacent group of the requester, in the registry's name; its decision round-trips; and its
// counters add up (every search matched or not).

private let region: RegionID = 0
private let neighbour: RegionID = 1
/// Where the voltage contract passes on what it cannot meet: the first that is not the requester.
private let forwardRegions: [RegionID] = [1, 2]
private func key(_ byte: UInt8) -> PublicKey { try! PublicKey(bytes: [UInt8](repeating: byte, count: 32)) }
private let operatorKey = key(0xEE)
private let relayKey = key(0xB0)
private let participants = [key(0x01), key(0x02), key(0x11), key(0x12)]
private let devices = [key(0x04), key(0x03)]
private let senders = [operatorKey, relayKey, key(0x99)] + participants + devices

private let auction: EnergyAuctionContract = {
    var registry: [PublicKey: EnergyAuctionConfiguration.Participant] = [:]
    for (index, participant) in participants.enumerated() {
        registry[participant] = .init(index < 2 ? .prosumer : .consumer, initialBalanceMicros: 10_000_000)
    }
    return try! EnergyAuctionContract(
        configuration: EnergyAuctionConfiguration(
            region: region, operatorKey: operatorKey, participants: registry,
            gridTariffMicrosPerKWhBySlot: [200_000, 250_000], feedInTariffMicrosPerKWh: 50_000,
            clearingRule: .payAsBid, neighbourRegion: neighbour, relayKey: relayKey, bidsPerIntervalMax: 64,
            interRegionBidsMax: 16))
}()

private let voltage = VoltageStabilityContract(
    configuration: try! VoltageStabilityConfiguration(
        region: region, baseKVA: 1_000,
        buses: [
            .init(number: 1, parentNumber: nil, pathResistanceMicroPU: 0, pathReactanceMicroPU: 0),
            .init(number: 2, parentNumber: 1, pathResistanceMicroPU: 10_000, pathReactanceMicroPU: 20_000),
            .init(number: 3, parentNumber: 2, pathResistanceMicroPU: 20_000, pathReactanceMicroPU: 40_000),
        ],
        devices: [
            .init(key: devices[0], busNumber: 3, ratedKVA: 250, reactiveCapabilityKVAr: 200),
            .init(key: devices[1], busNumber: 2, ratedKVA: 600, reactiveCapabilityKVAr: 500),
        ],
        operatorKey: operatorKey, relayKey: relayKey, vsiThresholdMicro: 800_000,
        neighbour: .init(region: neighbour, couplingBusNumber: 3), forwardRegions: forwardRegions))

private let registryRegion: RegionID = 9
/// Groups 0, 1 and 2; group 2 is adjacent to 1 only.
private let registryAdjacency: [RegionID: [RegionID]] = [0: [1, 2], 1: [0, 2], 2: [1]]
private let registry = VoltageRegistryContract(
    configuration: try! VoltageRegistryConfiguration(
        region: registryRegion, relayKey: relayKey,
        groups: registryAdjacency.map { .init(region: $0.key, adjacentRegions: $0.value) }))
/// The region a registry call claims to come from, by the sender byte's top bits: none (a transaction), a group,
/// or a region that is no group.
private let inboundSources: [RegionID?] = [nil, 0, 1, 2, 5]

private let auctionName = EnergyAuctionContract.contractName
private let registryName = VoltageRegistryContract.contractName
private let voltageName = VoltageStabilityContract.contractName
/// Every method of both contracts, and one name neither knows.
private let methods: [(contract: String, method: String)] =
    EnergyAuctionContract.Method.allCases.map { (auctionName, $0.rawValue) }
    + [
        VoltageStabilityContract.reportMethod, VoltageStabilityContract.dispatchMethod,
        VoltageStabilityContract.reactiveRequestMethod, VoltageStabilityContract.setpointMethod,
    ].map { (voltageName, $0) } + [(auctionName, "unknown")]
    + [VoltageRegistryContract.resourcesMethod, VoltageRegistryContract.searchMethod].map { (registryName, $0) }

/// Checks the outputs and argument decoders that have a canonical form.
private func checkCall(_ contract: String, _ method: String, _ arguments: [UInt8], _ outcome: ContractHarness.Outcome) {
    typealias Auction = EnergyAuctionContract
    if let bid = try? Auction.decodeInterRegionBid(arguments) {
        Fuzz.check(Auction.interRegionArguments(bid) == arguments, "inter-region bid arguments not canonical")
    }
    let request = try? VoltageReactiveRequest(decoding: arguments)
    if let request { Fuzz.check(request.encoded() == arguments, "reactive request arguments not canonical") }
    let forwarding = contract == voltageName && method == VoltageStabilityContract.reactiveRequestMethod
    if forwarding, let request {
        Fuzz.check(outcome.outbox.count <= 1, "one request passed on \(outcome.outbox.count) times")
        Fuzz.check(!request.isForwarded || outcome.outbox.isEmpty, "a passed-on request was passed on again")
    }
    if contract == registryName {
        checkRegistryCall(method, arguments, outcome)
        return
    }
    for message in outcome.outbox {
        let allowed =
            forwarding
            ? forwardRegions.contains(message.destinationRegion)
                && message.destinationRegion != request?.requestingRegion
            : message.destinationRegion == neighbour
        Fuzz.check(allowed, "outbox message of \(contract).\(method) to region \(message.destinationRegion)")
        Fuzz.check(
            (try? Auction.decodeInterRegionBid(message.payload)) != nil
                || (try? VoltageReactiveRequest(decoding: message.payload)) != nil,
            "outbox payload of \(contract).\(method) the receiver cannot decode")
    }
    guard let output = outcome.output else { return }
    switch (contract, method) {
    case (auctionName, "clear"), (auctionName, "clearedResult"):
        let result = try? Auction.decodeClearingResult(output)
        Fuzz.check(result.map(Auction.encode) == output, "\(method) output does not round-trip")
    case (voltageName, VoltageStabilityContract.dispatchMethod):
        let outcome = try? VoltageStabilityContract.decodeDispatchOutput(output)
        Fuzz.check(outcome?.encoded() == output, "dispatch output does not round-trip")
    case (voltageName, VoltageStabilityContract.reactiveRequestMethod):
        let support = try? VoltageStabilityContract.decodeReactiveSupportOutput(output)
        Fuzz.check(support?.encoded() == output, "reactive support output does not round-trip")
    default: break
    }
}

private func checkRegistryCall(_ method: String, _ arguments: [UInt8], _ outcome: ContractHarness.Outcome) {
    if let update = try? VoltageHeadroomUpdate(decoding: arguments) {
        Fuzz.check(update.encoded() == arguments, "headroom update arguments not canonical")
    }
    guard method == VoltageRegistryContract.searchMethod else {
        Fuzz.check(outcome.outbox.isEmpty, "a headroom update sent \(outcome.outbox.count) messages")
        if let output = outcome.output { Fuzz.check(output == [0] || output == [1], "resources output \(output)") }
        return
    }
    Fuzz.check(outcome.outbox.count <= 1, "one search sent \(outcome.outbox.count) messages")
    guard let output = outcome.output else { return }
    let decision = try? VoltageRegistryDecision(decoding: output)
    Fuzz.check(decision?.encoded() == output, "registry decision does not round-trip")
    guard let decision else { return }
    Fuzz.check((decision.chosenRegion == nil) == outcome.outbox.isEmpty, "decision and outbox disagree")
    if let message = outcome.outbox.first, let chosen = decision.chosenRegion {
        let requester = decision.request.requestingRegion
        Fuzz.check(
            message.destinationRegion == chosen && registryAdjacency[requester]?.contains(chosen) == true,
            "request of group \(requester) passed to region \(message.destinationRegion)")
        let onward = try? VoltageReactiveRequest(decoding: message.payload)
        Fuzz.check(
            onward?.senderRegion == registryRegion && onward?.requestingRegion == requester
                && onward?.deficitVAr == decision.request.deficitVAr,
            "passed-on request is not the search in the registry's name")
        Fuzz.check(
            decision.bookedVAr != 0 && decision.bookedVAr.magnitude <= decision.request.deficitVAr.magnitude
                && (decision.bookedVAr > 0) == (decision.request.deficitVAr > 0),
            "booked \(decision.bookedVAr) for a deficit of \(decision.request.deficitVAr)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        func call(_ method: String, _ sender: PublicKey, _ arguments: [UInt8]) -> [UInt8] {
            let methodIndex = methods.firstIndex { $0.method == method }!
            let senderIndex = senders.firstIndex(of: sender)!
            return [UInt8(methodIndex), UInt8(senderIndex), UInt8(arguments.count)] + arguments
        }
        typealias Auction = EnergyAuctionContract
        let interval: UInt64 = 3
        let auctionRound =
            call(
                "offer", participants[0],
                Auction.offerArguments(interval: interval, energyWh: 4_000, priceMicrosPerKWh: 90_000))
            + call(
                "request", participants[2],
                Auction.requestArguments(interval: interval, energyWh: 6_000, limitPriceMicrosPerKWh: 120_000))
            + call(
                "interRegionOffer", relayKey,
                Auction.interRegionArguments(
                    .init(originRegion: 1, originInterval: 2, energyWh: 500, priceMicrosPerKWh: 60_000)))
            + call("close", operatorKey, Auction.intervalArguments(interval))
            + call("clear", operatorKey, Auction.intervalArguments(interval))
            + call("clearedResult", participants[1], Auction.intervalArguments(interval))
            + call("balance", participants[2], Auction.balanceArguments(account: participants[2]))
        let voltageRound =
            call(
                VoltageStabilityContract.reportMethod, devices[0],
                VoltageStabilityContract.reportArguments(
                    busNumber: 3, sequence: 1, voltageMicroPU: 930_000, angleMicroRad: -2_000, pWatts: 120_000,
                    qVAr: 10_000))
            + call(
                VoltageStabilityContract.reportMethod, devices[1],
                VoltageStabilityContract.reportArguments(
                    busNumber: 2, sequence: 1, voltageMicroPU: 960_000, angleMicroRad: -1_000, pWatts: 80_000, qVAr: 0))
            + call(
                VoltageStabilityContract.dispatchMethod, operatorKey,
                VoltageStabilityContract.dispatchArguments(intervalIndex: 1))
            + call(
                VoltageStabilityContract.reactiveRequestMethod, relayKey,
                VoltageStabilityContract.reactiveRequestArguments(
                    .init(requestingRegion: 1, busNumber: 3, deficitVAr: 50_000, intervalIndex: 1)))
            // More than the region holds: the rest goes on to region 2.
            + call(
                VoltageStabilityContract.reactiveRequestMethod, relayKey,
                VoltageStabilityContract.reactiveRequestArguments(
                    .init(requestingRegion: 1, busNumber: 3, deficitVAr: 5_000_000, intervalIndex: 2)))
            + call(
                VoltageStabilityContract.setpointMethod, devices[0],
                VoltageStabilityContract.setpointArguments(device: devices[0]))
        // The sender byte's top bits pick the claimed source region (`inboundSources`): 0x20 is group 0, 0x40
        // group 1, 0x60 group 2.
        func registryCall(_ method: String, source: UInt8, _ arguments: [UInt8]) -> [UInt8] {
            let methodIndex = methods.firstIndex { $0.contract == registryName && $0.method == method }!
            let senderIndex = UInt8(senders.firstIndex(of: relayKey)!)
            return [UInt8(methodIndex), senderIndex | source << 5, UInt8(arguments.count)] + arguments
        }
        let registryRound =
            registryCall(
                VoltageRegistryContract.resourcesMethod, source: 1,
                VoltageHeadroomUpdate(
                    region: 0, sequence: 1, intervalIndex: 1, injectVAr: 400_000, absorbVAr: 100_000, deficitVAr: 0
                ).encoded())
            + registryCall(
                VoltageRegistryContract.resourcesMethod, source: 3,
                VoltageHeadroomUpdate(
                    region: 2, sequence: 1, intervalIndex: 1, injectVAr: 900_000, absorbVAr: 0, deficitVAr: 0
                ).encoded())
            + registryCall(
                VoltageRegistryContract.searchMethod, source: 2,
                VoltageReactiveRequest(requestingRegion: 1, busNumber: 8, deficitVAr: 600_000, intervalIndex: 2)
                    .encoded())
            + registryCall(
                VoltageRegistryContract.resourcesMethod, source: 2,
                VoltageHeadroomUpdate(
                    region: 1, sequence: 1, intervalIndex: 3, injectVAr: 0, absorbVAr: 0, deficitVAr: 0
                ).encoded())
        return [
            ("auction-round", auctionRound), ("voltage-round", voltageRound), ("both", auctionRound + voltageRound),
            ("registry-round", registryRound),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    var harness = ContractHarness(contracts: [auction, voltage], region: region)
    var registryHarness = ContractHarness(contracts: [registry], region: registryRegion)
    var offset = 0
    var height: UInt64 = 1
    // At most 64 calls per input: longer programs only slow the fuzzer down.
    for _ in 0..<64 where offset + 3 <= bytes.count {
        let (contract, method) = methods[Int(bytes[offset]) % methods.count]
        // The low five bits pick the sender, the top three the registry call's claimed source region.
        let sender = senders[Int(bytes[offset + 1] & 0x1F) % senders.count]
        let source = inboundSources[Int(bytes[offset + 1] >> 5) % inboundSources.count]
        let length = min(Int(bytes[offset + 2]), bytes.count - offset - 3)
        let arguments = Array(bytes[(offset + 3)..<(offset + 3 + length)])
        offset += 3 + length
        let outcome =
            contract == registryName
            ? registryHarness.call(
                contract, method, arguments: arguments, sender: sender, height: height,
                inboundSource: source)
            : harness.call(contract, method, arguments: arguments, sender: sender, height: height)
        checkCall(contract, method, arguments, outcome)
        height += 1
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzContracts_main`; it hands over to libFuzzer.
@_cdecl("FuzzContracts_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}

import GridConsensus
import GridContracts
import GridCrypto
import GridLedger
import GridRegion
import Testing

/// The grid contracts as the global layer reaches them: through the region application's inbound hook, with
/// sender `RegionApplication.globalLayerSender`. The certificate checks of the real `sys.inbound` contract
/// (GridGlobal's `InboundContract`) are tested in GridGlobalTests; here a stand-in named `sys.inbound` hands the
/// application the messages spelled out in its arguments (`UInt16` source, contract, method, payload).
@Suite struct InboundRelayTests {
    struct StandInInbound: Contract {
        var name: String { RegionApplication.inboundContractName }

        static func arguments(_ calls: [InboundCall]) -> [UInt8] {
            var writer = ByteWriter()
            for call in calls {
                writer.write(call.sourceRegion)
                writer.writeShortString(call.contract)
                writer.writeShortString(call.method)
                writer.writeBytes(call.arguments)
            }
            return writer.bytes
        }

        func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError) -> [UInt8] {
            var reader = ByteReader(arguments)
            do {
                while reader.remainingBytes > 0 {
                    context.deliverInbound(
                        InboundCall(
                            sourceRegion: try reader.readUInt16("source"),
                            contract: try reader.readShortString("contract"),
                            method: try reader.readShortString("method"),
                            arguments: try reader.readBytes(limit: 1024, "payload")))
                }
            } catch { throw ContractError("malformed: \(error)") }
            return []
        }
    }

    struct Region {
        var app: RegionApplication
        let region: RegionID
        let relay = KeyPair.derived(masterSeed: 5, label: "contracts-inbound/relay")
        var nonce: UInt64 = 1
        var height: UInt64 = 0

        init(region: RegionID, contracts: [any Contract]) {
            self.region = region
            app = RegionApplication(
                configuration: MempoolConfiguration(chainID: 3, region: region),
                contracts: [StandInInbound()] + contracts,
                verifier: DirectSignatureVerifier())
        }

        /// Relays `calls` in one block; returns the report.
        mutating func deliver(_ calls: [InboundCall]) throws -> InboundReport {
            let transaction = Transaction(
                chainID: 3, region: region, signer: relay, nonce: nonce,
                contract: RegionApplication.inboundContractName,
                method: "deliver", arguments: StandInInbound.arguments(calls))
            nonce += 1
            height += 1
            var work = Work()
            let payload = RegionPayload(transactions: [PooledTransaction(transaction)])
            let execution = try app.execute(payload: payload, height: height, ancestors: [], work: &work).get()
            let certificate = QuorumCertificate.genesis(chainID: 3, region: region, genesisHash: .zero)
            let header = BlockHeader(
                chainID: 3, region: region, height: height, view: height, parentHash: .zero,
                transactionsRoot: execution.roots.transactionsRoot, stateRoot: execution.roots.stateRoot,
                receiptsRoot: execution.roots.receiptsRoot, outboxRoot: execution.roots.outboxRoot,
                proposer: relay.publicKey)
            _ = app.commit(
                block: ProposedBlock(header: header, payload: payload, justify: certificate), execution: execution,
                certificate: certificate, work: &work)
            #expect(work.contractCalls == 1 + calls.count)
            let receipt = execution.receipts[0]
            #expect(receipt.status == .success, "\(receipt.reason)")
            return try InboundReport(decoding: receipt.output)
        }
    }

    private static func offer(source: RegionID, origin: RegionID, interval: UInt64) -> InboundCall {
        InboundCall(
            sourceRegion: source, contract: EnergyAuctionContract.contractName, method: "interRegionOffer",
            arguments: EnergyAuctionContract.interRegionArguments(
                .init(originRegion: origin, originInterval: interval, energyWh: 1000, priceMicrosPerKWh: 50_000)))
    }

    @Test func theAuctionTakesInterRegionBidsFromTheGlobalLayer() throws {
        var configuration = AuctionFixture.configuration(rule: .payAsOffer, region: 1)
        #expect(configuration.relayKey == AuctionFixture.operatorKey)
        configuration.relayKey = RegionApplication.globalLayerSender
        var region = Region(region: 1, contracts: [try EnergyAuctionContract(configuration: configuration)])

        let report = try region.deliver([
            Self.offer(source: 0, origin: 0, interval: 1),
            // The same message again: refused by the contract, yet delivered (acknowledged with its error).
            Self.offer(source: 0, origin: 0, interval: 1),
            // Region 2 posing as region 0.
            Self.offer(source: 2, origin: 0, interval: 2),
            Self.offer(source: 2, origin: 2, interval: 2),
        ])
        #expect(report.succeeded == 2 && report.failed == 2)
        #expect(report.failures.map(\.index) == [1, 2])
        #expect(report.failures[0].reason.contains("duplicate inter-region message"))
        #expect(report.failures[1].reason.contains("claims origin 0 but came from region 2"))

        // The two accepted offers are pooled exactly as the operator applying them by hand would pool them.
        var driver = AuctionDriver(configuration)
        for call in [Self.offer(source: 0, origin: 0, interval: 1), Self.offer(source: 2, origin: 2, interval: 2)] {
            #expect(driver.call(.interRegionOffer, call.arguments, from: AuctionFixture.operatorKey).output != nil)
        }
        #expect(
            region.app.committedState[EnergyAuctionContract.contractName]
                == driver.harness.state[EnergyAuctionContract.contractName])
    }

    @Test func theAuctionRefusesOthersAndStillLetsTheOperatorApplyByHand() {
        var configuration = AuctionFixture.configuration(rule: .payAsOffer, region: 1)
        configuration.relayKey = RegionApplication.globalLayerSender
        var driver = AuctionDriver(configuration)
        let arguments = EnergyAuctionContract.interRegionArguments(
            .init(originRegion: 0, originInterval: 1, energyWh: 10, priceMicrosPerKWh: 1))
        expectAuctionFailure(
            driver.call(.interRegionOffer, arguments, from: AuctionFixture.outsider),
            "only the operator or the relay may apply")
        #expect(driver.call(.interRegionOffer, arguments, from: AuctionFixture.operatorKey).output != nil)
    }

    @Test func voltageTakesReactiveRequestsFromTheGlobalLayer() throws {
        let configuration = try VoltageStabilityConfiguration(
            region: 8, baseKVA: VoltageFixture.baseKVA, buses: VoltageFixture.lineBuses,
            devices: [
                .init(key: VoltageFixture.deviceA, busNumber: 4, ratedKVA: 250, reactiveCapabilityKVAr: 200),
                .init(key: VoltageFixture.deviceB, busNumber: 3, ratedKVA: 600, reactiveCapabilityKVAr: 500),
            ],
            operatorKey: VoltageFixture.operatorKey, relayKey: RegionApplication.globalLayerSender,
            vsiThresholdMicro: 800_000, neighbour: .init(region: 7, couplingBusNumber: 4))
        var region = Region(region: 8, contracts: [VoltageStabilityContract(configuration: configuration)])
        let request = VoltageReactiveRequest(requestingRegion: 7, busNumber: 4, deficitVAr: 300_000, intervalIndex: 1)
        let call = InboundCall(
            sourceRegion: 7, contract: VoltageStabilityContract.contractName,
            method: VoltageStabilityContract.reactiveRequestMethod,
            arguments: VoltageStabilityContract.reactiveRequestArguments(request))
        let report = try region.deliver([call, call])
        // The second copy is an old interval for region 7: refused by the contract, still acknowledged.
        #expect(report.succeeded == 1 && report.failed == 1)
        // A request passed on by region 9 must come from region 9: the checkpoint names the real sender.
        var passedOn = request
        passedOn.senderRegion = 9
        passedOn.intervalIndex = 2
        var forged = call
        forged.arguments = VoltageStabilityContract.reactiveRequestArguments(passedOn)
        let refused = try region.deliver([forged])
        #expect(refused.failed == 1)
        #expect(refused.failures.first?.reason.contains("as its sender but was sent by region 7") == true)
        var relayed = forged
        relayed.sourceRegion = 9
        #expect(try region.deliver([relayed]).succeeded == 1)
        // A transaction cannot claim the relay: the operator is not it.
        var harness = ContractHarness(contracts: [VoltageStabilityContract(configuration: configuration)], region: 8)
        let direct = harness.call(
            VoltageStabilityContract.contractName, VoltageStabilityContract.reactiveRequestMethod,
            arguments: call.arguments, sender: VoltageFixture.operatorKey)
        #expect(direct.failureReason?.contains("unauthorised") == true)
    }
}

import GridConsensus
import GridCrypto
import GridGlobal
import GridLedger
import GridNode
import GridRegion
import GridTopology
import GridWire

/// One node of a deployment: where it sits and the name runs, logs and files know it by (`r0/v1`, `global/v0`).
public struct DeploymentNode: Hashable, Sendable {
    public let address: NodeAddress
    /// The region's name and the validator's index (`r0/v1`), or `global/vI` for committee members.
    public let name: String
    /// The region whose site the node runs in: its own region, or the committee member's placement.
    public let location: Int

    /// A name that can be a file name (`r0-v1`).
    public var fileName: String { name.replacingOccurrences(of: "/", with: "-") }
}

/// What is fixed at genesis for the global committee.
public struct CommitteeGenesis: Sendable {
    public let committee: ValidatorSet
    public let configuration: GlobalConfiguration
    public let genesis: ProposedBlock<CheckpointPayload>
    public let timing: ConsensusTiming
    public let resendIntervalNanos: UInt64
}

public struct DeploymentError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Everything a topology fixes at genesis, derived the same way for every runtime: each region's validator set and
/// genesis block, the committee's, the contracts each region runs, and the configuration of any one node. The
/// simulator and the live runtime both build their nodes from here, so both run the same ledger.
public struct Deployment: Sendable {
    public let topology: Topology
    public let chainID: ChainID
    public let regionValidators: [ValidatorSet]
    public let regionGenesis: [ProposedBlock<RegionPayload>]
    /// Nil when the topology has no global layer.
    public let committee: CommitteeGenesis?
    /// Validators region by region, then committee members.
    public let nodes: [DeploymentNode]
    private let regionContracts: [[any Contract]]
    private let verifier: any SignatureVerifying

    /// - Parameters:
    ///   - regionKeys: each region's validator keys, in index order (as many as the topology says).
    ///   - committeeKeys: the committee's keys (as many as `global.validators`; empty without a global layer).
    ///   - workloadContracts: contracts a workload adds per region (empty, or one list per region).
    public init(
        topology: Topology, chainID: ChainID, regionKeys: [[PublicKey]], committeeKeys: [PublicKey],
        verifier: any SignatureVerifying, workloadContracts: [[any Contract]] = []
    ) throws(DeploymentError) {
        guard regionKeys.count == topology.regions.count else {
            throw DeploymentError(reason: "\(regionKeys.count) key lists for \(topology.regions.count) regions")
        }
        for (index, region) in topology.regions.enumerated() where regionKeys[index].count != region.validators {
            throw DeploymentError(
                reason: "region \(region.name): \(regionKeys[index].count) keys for \(region.validators) validators")
        }
        guard committeeKeys.count == (topology.global?.validators ?? 0) else {
            throw DeploymentError(
                reason: "\(committeeKeys.count) committee keys for \(topology.global?.validators ?? 0) members")
        }
        guard workloadContracts.isEmpty || workloadContracts.count == topology.regions.count else {
            throw DeploymentError(reason: "workload contracts for \(workloadContracts.count) regions")
        }
        self.topology = topology
        self.chainID = chainID
        self.verifier = verifier
        let checkpointLimits = topology.global.map(Topology.checkpointLimits)
        regionContracts = topology.regions.indices.map { region in
            var contracts: [any Contract] = [TransferContract()]
            if let checkpointLimits {
                contracts.append(
                    InboundContract(
                        chainID: chainID, region: RegionID(region), committee: committeeKeys, limits: checkpointLimits,
                        verifier: verifier))
            }
            if !workloadContracts.isEmpty { contracts += workloadContracts[region] }
            return contracts
        }
        let validatorSets = regionKeys.map { ValidatorSet(keys: $0) }
        regionValidators = validatorSets
        var genesisBlocks: [ProposedBlock<RegionPayload>] = []
        for regionIndex in topology.regions.indices {
            let emptyApp = RegionApplication(
                configuration: topology.mempoolConfiguration(chainID: chainID, region: regionIndex),
                contracts: regionContracts[regionIndex], verifier: verifier)
            genesisBlocks.append(
                Replica<RegionApplication>.genesisBlock(
                    chainID: chainID, region: RegionID(regionIndex), validators: validatorSets[regionIndex],
                    roots: emptyApp.genesisRoots, emptyPayload: RegionPayload(transactions: [])))
        }
        regionGenesis = genesisBlocks
        var nodes: [DeploymentNode] = []
        for (regionIndex, region) in topology.regions.enumerated() {
            for index in 0..<region.validators {
                nodes.append(
                    DeploymentNode(
                        address: .validator(region: regionIndex, index: index), name: "\(region.name)/v\(index)",
                        location: regionIndex))
            }
        }
        if let settings = topology.global {
            let committeeSet = ValidatorSet(keys: committeeKeys)
            let regions = topology.regions.indices.map { index in
                RegionGenesis(
                    region: RegionID(index), validators: validatorSets[index].keys,
                    genesisHash: genesisBlocks[index].hash)
            }
            let configuration = GlobalConfiguration(
                chainID: chainID, regions: regions, limits: Topology.checkpointLimits(settings))
            let emptyApp = GlobalApplication(configuration: configuration, verifier: verifier)
            let genesis = Replica<GlobalApplication>.genesisBlock(
                chainID: chainID, region: GlobalConfiguration.globalRegion, validators: committeeSet,
                roots: emptyApp.genesisRoots, emptyPayload: CheckpointPayload(entries: []))
            let consensus = topology.consensus
            self.committee = CommitteeGenesis(
                committee: committeeSet, configuration: configuration, genesis: genesis,
                timing: ConsensusTiming(
                    blockIntervalNanos: UInt64(settings.checkpointIntervalMillis * 1e6),
                    viewTimeoutNanos: UInt64(settings.viewTimeoutMillis * 1e6),
                    viewTimeoutBackoff: consensus.viewTimeoutBackoff,
                    viewTimeoutMaxNanos: UInt64(consensus.viewTimeoutMaxMillis * 1e6)),
                resendIntervalNanos: UInt64(settings.resendIntervalMillis * 1e6))
            let regionIndexByName = Dictionary(
                topology.regions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            for index in 0..<settings.validators {
                let placement = index < settings.placement.count ? settings.placement[index] : topology.regions[0].name
                guard let location = regionIndexByName[placement] else {
                    throw DeploymentError(reason: "global.placement[\(index)] names unknown region \(placement)")
                }
                nodes.append(DeploymentNode(address: .member(index), name: "global/v\(index)", location: location))
            }
        } else {
            committee = nil
        }
        self.nodes = nodes
    }

    /// Keys derived from the topology's seed, as the simulator uses: reproducible, and therefore for tests and
    /// simulations only, never for a deployment anyone else can reach.
    public static func derivedKeys(_ topology: Topology) -> (regions: [[KeyPair]], committee: [KeyPair]) {
        let regions = topology.regions.map { region in
            (0..<region.validators).map {
                KeyPair.derived(masterSeed: topology.seed, label: "validator/\(region.name)/\($0)")
            }
        }
        let committee = (0..<(topology.global?.validators ?? 0)).map {
            KeyPair.derived(masterSeed: topology.seed, label: "validator/global/\($0)")
        }
        return (regions, committee)
    }

    /// Every contract a region runs: transfers, the global layer's inbound contract, and the workload's.
    public func contracts(region: Int) -> [any Contract] { regionContracts[region] }

    public func node(_ address: NodeAddress) -> DeploymentNode? { nodes.first { $0.address == address } }

    public func node(named name: String) -> DeploymentNode? { nodes.first { $0.name == name } }

    /// The genesis key of a node.
    public func publicKey(of address: NodeAddress) -> PublicKey? {
        switch address {
        case .validator(let region, let index):
            guard regionValidators.indices.contains(region), regionValidators[region].keys.indices.contains(index)
            else { return nil }
            return regionValidators[region].keys[index]
        case .member(let index):
            guard let committee, committee.committee.keys.indices.contains(index) else { return nil }
            return committee.committee.keys[index]
        }
    }

    public func validatorConfiguration(
        region: Int, index: Int, key: KeyPair, behavior: ByzantineBehavior = .honest
    ) -> RegionValidatorConfiguration {
        let link = committee.map {
            GlobalLink(
                committeeGenesis: RegionGenesis(
                    region: GlobalConfiguration.globalRegion, validators: $0.committee.keys, genesisHash: .zero),
                resendIntervalNanos: $0.resendIntervalNanos)
        }
        return RegionValidatorConfiguration(
            chainID: chainID, region: region, validatorIndex: index, validators: regionValidators[region], key: key,
            timing: topology.consensusTiming,
            mempool: topology.mempoolConfiguration(chainID: chainID, region: region),
            contracts: regionContracts[region], verifier: verifier, genesis: regionGenesis[region],
            behavior: behavior, global: link, wireLimits: topology.wireLimits)
    }

    /// Nil without a global layer.
    public func memberConfiguration(index: Int, key: KeyPair) -> CommitteeMemberConfiguration? {
        guard let committee else { return nil }
        return CommitteeMemberConfiguration(
            chainID: chainID, index: index, committee: committee.committee, key: key, timing: committee.timing,
            global: committee.configuration, genesis: committee.genesis,
            regionSizes: topology.regions.map(\.validators), verifier: verifier, wireLimits: topology.wireLimits)
    }
}

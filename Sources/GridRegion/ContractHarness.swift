import GridCrypto
import GridLedger

/// Runs contract calls against an in-memory state outside consensus, exactly as a block would (a failed call
/// leaves no writes). For contract tests, tools and worked examples.
public struct ContractHarness {
    public private(set) var state: [String: [StateKey: [UInt8]]] = [:]
    public let region: RegionID
    private let contracts: [String: any Contract]

    public struct Outcome: Sendable {
        public let result: Result<[UInt8], ContractError>
        public let outbox: [OutboxMessage]
        public var output: [UInt8]? { try? result.get() }
        public var failureReason: String? {
            if case .failure(let error) = result { return error.reason }
            return nil
        }
    }

    public init(contracts: [any Contract], region: RegionID = 0) {
        self.region = region
        self.contracts = Dictionary(contracts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `inboundSource`: the region a cross-region message came from, as the region application gives it to a call
    /// that applies one (`ContractContext.inboundSource`); nil for a transaction's call.
    @discardableResult
    public mutating func call(
        _ contract: String, _ method: String, arguments: [UInt8] = [], sender: PublicKey, height: UInt64 = 1,
        inboundSource: RegionID? = nil
    ) -> Outcome {
        guard let target = contracts[contract] else {
            return Outcome(result: .failure(ContractError("unknown-contract")), outbox: [])
        }
        let (result, writes, outbox) = Self.run(
            target, method: method, arguments: arguments, sender: sender, height: height, region: region,
            contract: contract, inboundSource: inboundSource, state: state)
        // The call's context (which shares the state's storage) is gone now, so these writes mutate in place
        // instead of copying the whole table.
        for change in writes.sorted() {
            if let value = change.value {
                state[change.contract, default: [:]][StateKey(change.key)] = value
            } else {
                state[change.contract]?.removeValue(forKey: StateKey(change.key))
            }
        }
        return Outcome(result: result, outbox: outbox)
    }

    private static func run(
        _ target: any Contract, method: String, arguments: [UInt8], sender: PublicKey, height: UInt64,
        region: RegionID, contract: String, inboundSource: RegionID?, state: [String: [StateKey: [UInt8]]]
    ) -> (Result<[UInt8], ContractError>, StateChanges, [OutboxMessage]) {
        var context = ContractContext(
            region: region, height: height, sender: sender, contract: contract,
            base: StateView(committed: state, ancestors: [], changes: StateChanges()), inboundSource: inboundSource)
        do {
            let output = try target.call(method: method, arguments: arguments, context: &context)
            return (.success(output), context.writes, context.outbox)
        } catch {
            return (.failure(error), StateChanges(), [])
        }
    }

    /// A contract's stored value, for assertions.
    public func value(_ contract: String, _ key: [UInt8]) -> [UInt8]? { state[contract]?[StateKey(key)] }
}

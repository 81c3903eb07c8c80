import Dispatch
import Foundation
import GridCrypto
import GridLedger
import GridLoad
import GridRegion
import GridTopology
import GridWorkloads

/// The transfer workload exactly as the simulator builds it (`Simulation.makeTransaction` and
/// `Simulation.presignOpenLoop`): devices with their own derived keys, transaction `i` sent by device
/// `i % accounts` to the next device, with the device's next nonce, in region `device % regions`, through validator
/// `(device / regions) % validators` of that region.
///
/// Every transaction is a function of its index alone (a device's nonce for transaction `i` is `i / accounts + 1`,
/// since devices take turns in index order), so several generator processes can each build their own share of
/// one run and together offer exactly the simulator's transactions.
public struct TransferWorkload: Sendable {
    public let chainID: ChainID
    /// Validators per region, in topology order.
    public let validatorsPerRegion: [Int]
    public let regionNames: [String]
    /// Device keys: `KeyPair.derived(masterSeed: seed, label: "device/\(i)")`.
    public let accounts: [KeyPair]

    /// The transfers of a `transfer` workload, or the transfer part of a `mix` (none for `voltage` and
    /// `auction`: ``transferController(_:)`` is nil then).
    public init(topology: Topology, chainID: ChainID) throws {
        guard !topology.regions.isEmpty, topology.regions.allSatisfy({ $0.validators >= 1 }) else {
            throw LoadGeneratorError.invalidOptions("the topology needs at least one region with a validator")
        }
        self.chainID = chainID
        validatorsPerRegion = topology.regions.map(\.validators)
        regionNames = topology.regions.map(\.name)
        let count = max(1, topology.workload.accounts)
        accounts = (0..<count).map { KeyPair.derived(masterSeed: topology.seed, label: "device/\($0)") }
    }

    /// Who sends transaction `index`, with which nonce, in which region and through which validator of it.
    public func plan(_ index: Int) -> (device: Int, nonce: UInt64, region: Int, gatewayValidator: Int) {
        let device = index % accounts.count
        let region = device % validatorsPerRegion.count
        let validator = (device / validatorsPerRegion.count) % validatorsPerRegion[region]
        return (device, UInt64(index / accounts.count) + 1, region, validator)
    }

    /// Transaction `index` of the run, signed.
    public func transaction(_ index: Int) -> Transaction {
        let plan = plan(index)
        return Transaction(
            chainID: chainID, region: RegionID(plan.region), signer: accounts[plan.device], nonce: plan.nonce,
            contract: TransferContract.contractName, method: "transfer",
            arguments: TransferContract.transferArguments(
                to: accounts[(plan.device + 1) % accounts.count].publicKey, amountMicros: UInt64(1 + index % 1000),
                energyWh: UInt64(index % 50)))
    }

    /// The encoded transactions of `indices`, signed in parallel on every core.
    public func encodedTransactions(_ indices: [Int]) -> [[UInt8]] {
        var output = [[UInt8]](repeating: [], count: indices.count)
        let count = indices.count
        output.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let shared = buffer
            let chunks = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for position in stride(from: chunk, to: count, by: chunks) {
                    shared[position] = transaction(indices[position]).encoded()
                }
            }
        }
        return output
    }

    /// The simulator's rate controller for a topology's rate.
    public static func rateController(_ rate: Topology.RateController) -> RateController {
        switch rate {
        case .fixed(let tps): return .fixed(tps: tps)
        case .poisson(let tps): return .poisson(tps: tps)
        case .ramp(let from, let to): return .ramp(fromTps: from, toTps: to)
        case .step(let steps): return .step(steps.map { RateStep(atSeconds: $0.atSeconds, tps: $0.tps) })
        case .closedLoop(let outstanding): return .closedLoop(outstanding: outstanding)
        }
    }

    /// What sends the run's transfers, as the simulator sets it up: the workload's rate for a `transfer` workload,
    /// a fixed rate of the transfer share for a `mix` that has one (`ContractWorkloadPlan.mixTransferTps`), nil when
    /// the workload sends no transfers.
    public static func transferController(_ topology: Topology) throws -> RateController? {
        switch topology.workload.kind {
        case .transfer:
            return rateController(topology.workload.rate)
        case .mix:
            // The rate depends on the agents' populations, not on signatures: any chain gives the same.
            let tps: Double
            do { tps = try ContractWorkloadPlan.mixTransferTps(topology: topology, chainID: 1) } catch {
                throw LoadGeneratorError.invalidOptions("workload: \(error)")
            }
            return tps > 0 ? .fixed(tps: max(tps, 1)) : nil
        case .voltage, .auction:
            return nil
        }
    }

    /// The run's phases, as the simulator derives them from the workload (no cool-down).
    public static func window(_ workload: Topology.Workload) throws -> LoadWindow {
        try LoadWindow(
            warmupNanos: UInt64(workload.warmupSeconds * 1e9), measuredNanos: UInt64(workload.durationSeconds * 1e9))
    }

    /// Every scheduled send time of the run (all parts), in nanoseconds from the start of warm-up: the same
    /// controller, window and seed as the simulator, so both offer the same transactions at the same times.
    /// Open loop only; throws for a closed loop.
    public static func scheduledTimes(_ topology: Topology, limit: Int = 50_000_000) throws -> [UInt64] {
        guard let controller = try transferController(topology) else { return [] }
        guard !controller.isClosedLoop else {
            throw LoadGeneratorError.invalidOptions("a closed loop has no schedule in advance")
        }
        var schedule = try LoadSchedule(controller: controller, window: window(topology.workload), seed: topology.seed)
        var times: [UInt64] = []
        while let time = schedule.next() {
            guard times.count < limit else {
                throw LoadGeneratorError.invalidOptions("the schedule has more than \(limit) transactions")
            }
            times.append(time)
        }
        return times
    }
}

import GridCrypto
import GridLedger

/// Metered energy transfers between accounts with integer balances (micro-units). The simplest contract that
/// still reads and writes state on every call, used to measure the ledger itself.
///
/// Methods:
/// - `transfer(to: 32-byte public key, amountMicros: UInt64, energyWh: UInt64)`: moves `amountMicros` from the
///   sender to `to` and records `energyWh` delivered; fails on insufficient balance or malformed arguments.
///
/// Accounts that were never written hold `genesisBalanceMicros`, so a run needs no funding phase.
public struct TransferContract: Contract {
    public static let contractName = "transfer"
    public static let genesisBalanceMicros: UInt64 = 1_000_000_000_000

    public var name: String { Self.contractName }

    public init() {}

    public static func transferArguments(to: PublicKey, amountMicros: UInt64, energyWh: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.write(to)
        writer.write(amountMicros)
        writer.write(energyWh)
        return writer.bytes
    }

    /// Where an account's balance is stored (what a client `read` asks for).
    public static func balanceKey(_ account: PublicKey) -> [UInt8] { account.appended(to: [0x62]) }  // "b"
    private static func energyKey(_ account: PublicKey) -> [UInt8] { account.appended(to: [0x65]) }  // "e"

    private static func read(_ context: ContractContext, _ key: [UInt8], default value: UInt64) -> UInt64 {
        guard let bytes = context.get(key), bytes.count == 8 else { return value }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func encode(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    public static func balance(of account: PublicKey, in context: ContractContext) -> UInt64 {
        read(context, balanceKey(account), default: genesisBalanceMicros)
    }

    public func call(method: String, arguments: [UInt8], context: inout ContractContext) throws(ContractError)
        -> [UInt8]
    {
        guard method == "transfer" else { throw ContractError("unknown method \(method)") }
        var reader = ArgumentReader(arguments)
        let recipient = try reader.publicKey("to")
        let amount = try reader.uint64("amountMicros")
        let energy = try reader.uint64("energyWh")
        try reader.end()
        let sender = context.sender
        let senderBalance = Self.read(context, Self.balanceKey(sender), default: Self.genesisBalanceMicros)
        guard senderBalance >= amount else { throw ContractError("insufficient balance") }
        context.set(Self.balanceKey(sender), Self.encode(senderBalance - amount))
        let recipientBalance = Self.read(context, Self.balanceKey(recipient), default: Self.genesisBalanceMicros)
        let (credited, overflow) = recipientBalance.addingReportingOverflow(amount)
        guard !overflow else { throw ContractError("recipient balance overflow") }
        context.set(Self.balanceKey(recipient), Self.encode(credited))
        let delivered = Self.read(context, Self.energyKey(recipient), default: 0)
        context.set(Self.energyKey(recipient), Self.encode(delivered &+ energy))
        return []
    }
}

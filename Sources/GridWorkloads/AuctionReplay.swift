import GridContracts
import GridCrypto
import GridLedger

/// An auction day already decided elsewhere (for example a CE-SDT community day run by `GridCommunity`), replayed
/// on the simulated ledger: interval k's signed bids are submitted when the interval opens, and the operator
/// closes and clears it as in the auction workload. The topology must have one region; `workload.auction`'s
/// interval length sets how much virtual time one settlement interval takes, its household settings are unused.
///
/// The bids were signed for `contract`'s region with the simulation's chain ID and fresh nonces (1, 2, ... per
/// sender), so a fresh ledger accepts them in order.
public struct AuctionReplay: Sendable {
    public var contract: EnergyAuctionContract
    public var operatorKey: KeyPair
    public var bidsByInterval: [[Transaction]]

    public init(contract: EnergyAuctionContract, operatorKey: KeyPair, bidsByInterval: [[Transaction]]) {
        self.contract = contract
        self.operatorKey = operatorKey
        self.bidsByInterval = bidsByInterval
    }

    /// Offered transactions per interval on average: the bids plus close and clear.
    package var transactionsPerInterval: Double {
        guard !bidsByInterval.isEmpty else { return 2 }
        return Double(bidsByInterval.reduce(0) { $0 + $1.count }) / Double(bidsByInterval.count) + 2
    }
}

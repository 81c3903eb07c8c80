import GridConsensus
import GridStorage
import GridWire

/// What every runtime needs of a node, whichever kind it is: feed it inputs, ask it where it stands, close it.
public protocol NodeHost: AnyObject {
    associatedtype App: ReplicaApplication
    var address: NodeAddress { get }
    var replica: Replica<App> { get }
    /// What the node's LMDB store really wrote since it was opened.
    var storeWriteStatistics: WriteStatistics { get }
    /// Transactions admitted and not yet committed (a region validator's mempool); 0 for other nodes.
    var pooledTransactions: Int { get }
    /// Region entries a committee member took or turned away, by outcome (`GlobalNode.submissionCounts`:
    /// `accepted`, `duplicate`, `stale`, `gap-buffer-full`...); empty for other nodes.
    var entrySubmissions: [String: Int] { get }
    /// Handles one input. Throws only when the store fails: the node must then stop.
    func handle(_ input: NodeInput) throws -> NodeOutput
    func close()
}

extension NodeHost {
    public var entrySubmissions: [String: Int] { [:] }
    public var committedHeight: UInt64 { replica.committedHeight }
    public var currentRound: UInt64 { replica.currentRound }

    /// The validator this node's progress waits on now (`Replica.awaitedLeader`).
    public var awaitedLeader: Int { replica.awaitedLeader }

    /// The replica's round and its progress in it (`Replica.roundProgress`): who knows most about whom to wait on.
    public var roundPosition: (round: UInt64, progress: Int) { (replica.currentRound, replica.roundProgress) }
}

extension NodeHost {
    /// Runs one input's handling and reports a round change it caused (a view change if through a timeout
    /// certificate).
    func observingRounds(_ body: (inout NodeOutput) throws -> Void) rethrows -> NodeOutput {
        var output = NodeOutput()
        let roundBefore = replica.currentRound
        let timeoutsBefore = replica.roundsAdvancedByTimeout
        try body(&output)
        if replica.currentRound != roundBefore {
            output.observations.append(
                .roundChanged(
                    from: roundBefore, to: replica.currentRound,
                    viaTimeout: replica.roundsAdvancedByTimeout != timeoutsBefore))
        }
        return output
    }

    /// Decodes a peer's frame, charging the decoding; bytes that do not decode are counted and refused.
    func decodeFrame(
        _ bytes: [UInt8], from sender: NodeAddress, limits: WireLimits, _ output: inout NodeOutput
    ) -> PeerMessage? {
        output.work.decodedBytes += bytes.count
        do { return try WireCodec.decode(bytes, limits: limits) } catch {
            output.observations.append(.lost(.undecodableFrame))
            output.observations.append(.rejected(from: sender, ConsensusRejection("undecodable-frame", "\(error)")))
            return nil
        }
    }
}

/// Runs a store call, naming the node and the operation if it fails.
func storeCall<T>(_ node: NodeAddress, _ operation: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw NodeStoreError(node: node, operation: operation, underlying: error) }
}

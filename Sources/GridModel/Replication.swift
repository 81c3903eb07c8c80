extension Feeder {
    /// Gap between the bus numbers of consecutive copies: the largest bus number, so copy k of the IEEE 33-bus
    /// feeder uses buses 33k+1 ... 33k+33 and the numbers of all copies together are 1 ... 33N without gaps.
    public var replicationStride: Int { (buses.last?.number ?? 0) - busNumberOffset }

    /// `copies` independent copies of this feeder, one per region, so a topology of N regions can run N feeders.
    ///
    /// Copy k (0-based) is named "<name>-r<k>" and numbers its buses as the source data plus
    /// k * `replicationStride` (its `busNumberOffset`); copy 0 keeps the original numbers. Impedances, loads and bases are identical, so identical injections give
    /// identical power flows. Shift a zoning the same way with `Zoning.offset(by:)`.
    public func replicated(copies: Int) -> [Feeder] {
        (0..<max(0, copies)).map { copy in
            Feeder(unchecked: self, name: "\(name)-r\(copy)", busNumberOffset: copy * replicationStride)
        }
    }

    /// The source data's number for one of this feeder's buses (identity unless this is a shifted copy).
    public func originalBusNumber(of bus: Int) -> Int { bus - busNumberOffset }
}

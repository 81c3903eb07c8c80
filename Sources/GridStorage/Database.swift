import CLMDB

/// A handle to a named database (an LMDB "DBI") inside an ``Environment``.
///
/// Obtain one with ``Environment/database(named:)``. Handles are plain values: copy them freely and share them
/// across threads. A handle only works with the environment that opened it; using it with another one throws
/// ``LMDBError/invalidArgument(_:)`` instead of silently touching an unrelated database.
public struct Database: Hashable, Sendable, CustomStringConvertible {
    /// The name the database was opened with.
    public let name: String

    let handle: MDB_dbi
    let environmentID: UInt64

    init(name: String, handle: MDB_dbi, environmentID: UInt64) {
        self.name = name
        self.handle = handle
        self.environmentID = environmentID
    }

    /// The database name, quoted.
    public var description: String { "\"\(name)\"" }
}

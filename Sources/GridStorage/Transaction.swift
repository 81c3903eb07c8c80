import CLMDB

/// Per-environment limits a transaction checks before calling LMDB, so misuse gets a precise error.
struct TransactionLimits: Sendable {
    var environmentID: UInt64
    var maxKeySizeBytes: Int
    var maxValueSizeBytes: Int
}

/// A read-only view of an ``Environment`` for the duration of one ``Environment/read(_:)`` closure.
///
/// Everything read through one transaction comes from the same committed snapshot, however many writes commit
/// meanwhile. The object is only valid inside its closure: afterwards every method throws
/// ``LMDBError/transactionClosed``. It is not `Sendable`; use it on the thread that runs the closure.
///
/// ``WriteTransaction`` is a subclass, so code that only reads can accept either.
public class ReadTransaction {
    /// The `MDB_txn*`, or `nil` once the closure has returned.
    private(set) var handle: OpaquePointer?
    let limits: TransactionLimits

    /// Set when LMDB reported `MDB_MAP_FULL`. LMDB has then already poisoned the transaction, so the environment
    /// discards the attempt whatever the closure did with the error.
    var sawMapFull = false

    init(handle: OpaquePointer, limits: TransactionLimits) {
        self.handle = handle
        self.limits = limits
    }

    /// LMDB's identifier of this transaction; for a write transaction it becomes the environment's
    /// ``Environment/Stats/lastTransactionID`` once committed.
    public var transactionID: Int {
        get throws(LMDBError) {
            let handle = try openHandle()
            return Int(mdb_txn_id(handle))
        }
    }

    /// Returns a copy of the value stored under `key`, or `nil` if there is none.
    ///
    /// The bytes are copied because LMDB's memory is only valid until the transaction ends; use
    /// ``withValue(_:in:_:)`` to avoid the copy.
    public func get(_ key: [UInt8], in database: Database) throws(LMDBError) -> [UInt8]? {
        guard let value = try lookUp(key, in: database) else {
            return nil
        }
        return value.copiedBytes()
    }

    /// Whether a value is stored under `key`.
    public func contains(_ key: [UInt8], in database: Database) throws(LMDBError) -> Bool {
        try lookUp(key, in: database) != nil
    }

    /// Calls `body` with the value stored under `key`, straight from the memory map, without copying.
    ///
    /// The buffer is only valid during `body` (and, in a write transaction, only until the next write); copy what
    /// you need to keep.
    /// - Returns: What `body` returns, or `nil` without calling `body` when the key is absent.
    public func withValue<Result>(
        _ key: [UInt8],
        in database: Database,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        guard let value = try lookUp(key, in: database) else {
            return nil
        }
        return try body(value.buffer)
    }

    /// The number of entries in `database`.
    public func count(in database: Database) throws(LMDBError) -> Int {
        let transaction = try openHandle(for: database)
        var stat = MDB_stat()
        try check(mdb_stat(transaction, database.handle, &stat), "mdb_stat", database: database.name)
        return Int(stat.ms_entries)
    }

    /// The entry with the smallest key (keys sort as unsigned bytes, shorter first on a tie), or `nil` if
    /// `database` is empty.
    public func first(in database: Database) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        try entry(at: MDB_FIRST, in: database)
    }

    /// The entry with the largest key, or `nil` if `database` is empty. With 8-byte big-endian heights as keys this
    /// is the latest height.
    public func last(in database: Database) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        try entry(at: MDB_LAST, in: database)
    }

    /// The largest key, or `nil` if `database` is empty.
    public func lastKey(in database: Database) throws(LMDBError) -> [UInt8]? {
        try entry(at: MDB_LAST, in: database)?.key
    }

    /// Visits entries in ascending key order, starting at the first key `>= startKey` (or at the first key).
    ///
    /// The buffers point into the memory map and are only valid during one call of `body`.
    /// - Parameter body: Returns `true` to continue, `false` to stop.
    public func forEachEntry(
        in database: Database,
        from startKey: [UInt8]? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let transaction = try openHandle(for: database)
        if let startKey {
            try validate(key: startKey)
        }
        let cursor = try openCursor(transaction, database)
        defer { mdb_cursor_close(cursor) }

        var key = MDB_val()
        var value = MDB_val()
        var resultCode: Int32
        if let startKey {
            resultCode = startKey.withUnsafeBytes { start in
                key = MDB_val(start)
                return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
            }
        } else {
            resultCode = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        }
        while try checkFound(resultCode, "mdb_cursor_get", database: database.name) {
            guard try body(key.buffer, value.buffer) else {
                return
            }
            resultCode = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
    }

    // MARK: - Internals shared with WriteTransaction

    func openHandle() throws(LMDBError) -> OpaquePointer {
        guard let handle else {
            throw .transactionClosed
        }
        return handle
    }

    func openHandle(for database: Database) throws(LMDBError) -> OpaquePointer {
        let handle = try openHandle()
        guard database.environmentID == limits.environmentID else {
            throw .invalidArgument("database \(database) belongs to another environment")
        }
        return handle
    }

    func validate(key: [UInt8]) throws(LMDBError) {
        guard !key.isEmpty else {
            throw .invalidArgument("keys must not be empty")
        }
        guard key.count <= limits.maxKeySizeBytes else {
            throw .keyTooLarge(sizeBytes: key.count, limitBytes: limits.maxKeySizeBytes)
        }
    }

    /// Ends the transaction without committing. Idempotent, so it can run unconditionally when a closure ends.
    func abort() {
        if let handle {
            mdb_txn_abort(handle)
            self.handle = nil
        }
    }

    /// Commits and closes the transaction; LMDB frees it whatever the outcome.
    /// - Returns: The raw result code, so the caller can tell `MDB_MAP_FULL` apart before checking it.
    func commit() -> Int32 {
        guard let handle else {
            return MDB_BAD_TXN
        }
        self.handle = nil
        return mdb_txn_commit(handle)
    }

    private func lookUp(_ key: [UInt8], in database: Database) throws(LMDBError) -> MDB_val? {
        let transaction = try openHandle(for: database)
        try validate(key: key)
        var value = MDB_val()
        let resultCode = key.withMDBVal { key in mdb_get(transaction, database.handle, &key, &value) }
        return try checkFound(resultCode, "mdb_get", database: database.name) ? value : nil
    }

    private func entry(
        at operation: MDB_cursor_op,
        in database: Database
    ) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        let transaction = try openHandle(for: database)
        let cursor = try openCursor(transaction, database)
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        let resultCode = mdb_cursor_get(cursor, &key, &value, operation)
        guard try checkFound(resultCode, "mdb_cursor_get", database: database.name) else {
            return nil
        }
        return (key.copiedBytes(), value.copiedBytes())
    }

    private func openCursor(_ transaction: OpaquePointer, _ database: Database) throws(LMDBError) -> OpaquePointer {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(transaction, database.handle, &cursor), "mdb_cursor_open", database: database.name)
        guard let cursor else {
            throw .lmdb(code: .invalid, operation: "mdb_cursor_open", database: database.name)
        }
        return cursor
    }
}

/// The read-write transaction of one ``Environment/write(_:)`` closure.
///
/// Changes become visible to other transactions only when the closure returns and the environment commits them; if
/// the closure throws, none of them happened. Like ``ReadTransaction``, it is unusable once its closure has returned.
public final class WriteTransaction: ReadTransaction {
    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// If the map is full this throws `MDB_MAP_FULL`; let it propagate (or not, it makes no difference): the
    /// environment grows the map and runs the whole write closure again.
    public func put(_ key: [UInt8], _ value: [UInt8], in database: Database) throws(LMDBError) {
        let transaction = try openHandle(for: database)
        try validate(key: key)
        guard value.count <= limits.maxValueSizeBytes else {
            throw .valueTooLarge(sizeBytes: value.count, limitBytes: limits.maxValueSizeBytes)
        }
        let resultCode = key.withMDBVal { key in
            value.withMDBVal { value in mdb_put(transaction, database.handle, &key, &value, 0) }
        }
        try checkWrite(resultCode, "mdb_put", database: database)
    }

    /// Removes the value stored under `key`.
    /// - Returns: `false` if there was none.
    @discardableResult
    public func delete(_ key: [UInt8], in database: Database) throws(LMDBError) -> Bool {
        let transaction = try openHandle(for: database)
        try validate(key: key)
        let resultCode = key.withMDBVal { key in mdb_del(transaction, database.handle, &key, nil) }
        if resultCode == MDB_NOTFOUND {
            return false
        }
        try checkWrite(resultCode, "mdb_del", database: database)
        return true
    }

    /// Removes every entry of `database`; the database itself stays.
    public func removeAll(in database: Database) throws(LMDBError) {
        let transaction = try openHandle(for: database)
        try checkWrite(mdb_drop(transaction, database.handle, 0), "mdb_drop", database: database)
    }

    func openDatabase(named name: String) throws(LMDBError) -> MDB_dbi {
        let transaction = try openHandle()
        var handle: MDB_dbi = 0
        let resultCode = mdb_dbi_open(transaction, name, UInt32(MDB_CREATE), &handle)
        if resultCode == MDB_MAP_FULL {
            sawMapFull = true
        }
        try check(resultCode, "mdb_dbi_open", database: name)
        return handle
    }

    private func checkWrite(_ resultCode: Int32, _ operation: StaticString, database: Database) throws(LMDBError) {
        if resultCode == MDB_MAP_FULL {
            sawMapFull = true
        }
        try check(resultCode, operation, database: database.name)
    }
}

// Transactions wrap an LMDB transaction whose use must stay on one thread at a time and inside its closure.
@available(*, unavailable)
extension ReadTransaction: Sendable {}

// MARK: - MDB_val bridging

extension MDB_val {
    /// Points at `buffer`; LMDB only reads through it, hence the `mutating` cast its C signature needs.
    init(_ buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    var buffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }

    func copiedBytes() -> [UInt8] {
        [UInt8](buffer)
    }
}

extension Array where Element == UInt8 {
    func withMDBVal<Result>(_ body: (inout MDB_val) -> Result) -> Result {
        withUnsafeBytes { bytes in
            var value = MDB_val(bytes)
            return body(&value)
        }
    }
}

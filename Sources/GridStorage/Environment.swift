import CLMDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Distinguishes environments so a ``Database`` handle cannot be used with the wrong one.
private let environmentIDCounter = Atomic<UInt64>(0)

/// An LMDB environment: one directory holding any number of named databases.
///
/// ```swift
/// let environment = try Environment(path: "/var/lib/grid/shard-0")
/// let blocks = try environment.database(named: "blocks")
/// try environment.write { txn in try txn.put(heightKey, blockBytes, in: blocks) }
/// let latest = try environment.read { txn in try txn.lastKey(in: blocks) }
/// ```
///
/// ## Write closures may run more than once
/// When the memory map is full, the write is aborted, the map doubles (up to ``Options/mapSizeBytesMax``) and the
/// closure runs again from the start on a fresh transaction. Write closures must therefore be re-runnable: they
/// should only do LMDB work through their transaction and compute anything else before calling `write`.
///
/// ## Threads
/// Any number of threads may read concurrently. Writes are serialised; a second writer blocks until the first one
/// finishes. Calling ``write(_:)`` on a thread that already has a transaction open on this environment throws
/// ``LMDBError/nestedWrite`` instead of deadlocking. A read nested inside a write closure is allowed; it sees the
/// last committed state, not the enclosing write's uncommitted changes.
///
/// All calls are synchronous and may block: on the writer slot, and during map growth, which waits until every
/// transaction of this process has ended. Keep read closures short, and never make one wait for a write.
///
/// Open each directory through one `Environment` per process: LMDB's locks are per process, so two instances on the
/// same path would corrupt each other's view.
public final class Environment: @unchecked Sendable {
    // @unchecked Sendable: the MDB_env is opened with MDB_NOTLS, which makes it safe to begin transactions from any
    // thread; everything mutable here lives in `state`, which is only touched while holding `lock`.

    /// How hard commits try to reach the disk.
    public enum Durability: Sendable, Hashable {
        /// Flush data and metadata on every commit: a crash loses nothing that was committed.
        case sync
        /// Flush data but not metadata (`MDB_NOMETASYNC`): a crash may lose the last commit, never integrity.
        case noMetaSync
        /// Leave flushing to the OS (`MDB_NOSYNC`): a system crash may lose recent commits or, on some file systems,
        /// integrity; a process crash loses nothing. Use ``Environment/sync(force:)`` at chosen checkpoints.
        case noSync

        var flags: UInt32 {
            switch self {
            case .sync: 0
            case .noMetaSync: UInt32(MDB_NOMETASYNC)
            case .noSync: UInt32(MDB_NOSYNC)
            }
        }
    }

    /// Settings fixed when the environment is opened.
    public struct Options: Sendable, Hashable {
        /// Initial size of the memory map. Reopening an existing environment keeps a larger size it reached before.
        public var mapSizeBytes: Int
        /// Ceiling for automatic map growth; a write that needs more throws ``LMDBError/mapSizeLimitReached``.
        public var mapSizeBytesMax: Int
        /// Maximum number of named databases.
        public var databasesMax: Int
        /// Maximum number of simultaneous read transactions across all processes using the environment.
        public var readersMax: Int
        /// Commit flushing policy.
        public var durability: Durability

        /// Creates options; the defaults suit a single shard of a test ledger.
        public init(
            mapSizeBytes: Int = 64 << 20,
            mapSizeBytesMax: Int = 64 << 30,
            databasesMax: Int = 16,
            readersMax: Int = 126,
            durability: Durability = .sync
        ) {
            self.mapSizeBytes = mapSizeBytes
            self.mapSizeBytesMax = mapSizeBytesMax
            self.databasesMax = databasesMax
            self.readersMax = readersMax
            self.durability = durability
        }

        func validate() throws(LMDBError) {
            guard mapSizeBytes > 0 else {
                throw .invalidArgument("mapSizeBytes must be positive, got \(mapSizeBytes)")
            }
            guard mapSizeBytesMax >= mapSizeBytes else {
                throw .invalidArgument("mapSizeBytesMax (\(mapSizeBytesMax)) is below mapSizeBytes (\(mapSizeBytes))")
            }
            guard (1...Int(UInt32.max)).contains(databasesMax) else {
                throw .invalidArgument("databasesMax must be at least 1, got \(databasesMax)")
            }
            guard (1...Int(UInt32.max)).contains(readersMax) else {
                throw .invalidArgument("readersMax must be at least 1, got \(readersMax)")
            }
        }
    }

    /// A snapshot of environment-wide figures, mostly for tests and monitoring.
    public struct Stats: Sendable, Hashable {
        /// Current size of the memory map.
        public var mapSizeBytes: Int
        /// Bytes of the map in use: pages up to the last one allocated.
        public var usedBytes: Int
        /// LMDB page size.
        public var pageSizeBytes: Int
        /// Identifier of the last committed write transaction.
        public var lastTransactionID: Int
        /// Reader slots in use (including stale ones left by crashed processes).
        public var readersUsed: Int
        /// Number of times this instance grew the map after `MDB_MAP_FULL`.
        public var mapGrowthCount: Int
        /// Entry count of every database opened through this instance, by name.
        public var entryCounts: [String: Int]
    }

    /// Mutable state, guarded by `lock`.
    private struct State {
        /// The `MDB_env*`; `nil` once closed.
        var handle: OpaquePointer?
        var isClosing = false
        /// The thread inside ``Environment/write(_:)``, which owns LMDB's single write slot for this process.
        var writerThread: pthread_t?
        /// Open transactions (and other uses of the handle) that a map resize or `close` must wait for.
        var leaseCount = 0
        /// Leases per thread: a thread holding one must never wait for a resize or for `close`, which wait for it.
        var leasesByThread: [pthread_t: Int] = [:]
        /// Set while a thread resizes the map or waits to; new transactions hold off so the resize is not starved.
        var isResizing = false
        var mapSizeBytes = 0
        var mapGrowthCount = 0
        var databases: [String: Database] = [:]
        /// Starts with `bytesWritten` nil if the opening thread cannot read its I/O counters (see ``WriteStatistics``).
        var writeStatistics = WriteStatistics(bytesWritten: 0, commits: 0, syncs: 0)
    }

    private enum WriteOutcome<Result> {
        case committed(Result)
        case mapFull
    }

    /// Each attempt after `MDB_MAP_FULL` grows the map or fails, so this only guards against an LMDB surprise.
    private static let writeAttemptsMax = 64

    /// The environment directory.
    public let path: String
    /// The options the environment was opened with.
    public let options: Options
    /// Longest key LMDB accepts (`mdb_env_get_maxkeysize`, 511 for Debian's build).
    public let maxKeySizeBytes: Int

    private let limits: TransactionLimits
    private let lock = ConditionLock()
    private var state = State()

    /// Opens (creating if needed) the environment in directory `path`, creating the directory too if missing.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        try options.validate()
        try Self.createDirectory(path)
        let isExisting = access(path + "/data.mdb", F_OK) == 0

        var created: OpaquePointer?
        try check(mdb_env_create(&created), "mdb_env_create", path: path)
        guard let handle = created else {
            throw .lmdb(code: .invalid, operation: "mdb_env_create", path: path)
        }
        let mapSizeBytes: Int
        do throws(LMDBError) {
            // Size 0 makes LMDB adopt the size stored in an existing environment, so a map grown in an earlier run
            // does not have to grow again write by write.
            try check(mdb_env_set_mapsize(handle, isExisting ? 0 : options.mapSizeBytes), "mdb_env_set_mapsize")
            try check(mdb_env_set_maxreaders(handle, UInt32(options.readersMax)), "mdb_env_set_maxreaders")
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(options.databasesMax)), "mdb_env_set_maxdbs")
            let flags = UInt32(MDB_NOTLS) | options.durability.flags
            try check(mdb_env_open(handle, path, flags, 0o664), "mdb_env_open", path: path)
            if try Self.mapSize(of: handle) < options.mapSizeBytes {
                try check(mdb_env_set_mapsize(handle, options.mapSizeBytes), "mdb_env_set_mapsize", path: path)
            }
            mapSizeBytes = try Self.mapSize(of: handle)
        } catch {
            // LMDB requires closing a handle whose open failed.
            mdb_env_close(handle)
            throw error
        }

        self.path = path
        self.options = options
        self.maxKeySizeBytes = Int(mdb_env_get_maxkeysize(handle))
        self.limits = TransactionLimits(
            environmentID: environmentIDCounter.wrappingAdd(1, ordering: .relaxed).newValue,
            maxKeySizeBytes: maxKeySizeBytes,
            // LMDB's own limit is 0xffffffff bytes; a value larger than the map ceiling could never be stored.
            maxValueSizeBytes: min(Int(UInt32.max), options.mapSizeBytesMax)
        )
        state.handle = handle
        state.mapSizeBytes = mapSizeBytes
        if ThreadIOAccounting.writtenBytes() == nil {
            state.writeStatistics.bytesWritten = nil
        }
    }

    deinit {
        close()
    }

    // MARK: - Lifecycle

    /// Closes the environment; later calls are no-ops. Waits for transactions on other threads to finish.
    ///
    /// Called from inside a transaction closure, it returns at once and the environment closes when the last open
    /// transaction ends. Either way, new transactions throw ``LMDBError/environmentClosed``.
    public func close() {
        let thread = pthread_self()
        lock.lock()
        defer { lock.unlock() }
        state.isClosing = true
        lock.broadcast()
        closeIfIdleLocked()
        if state.leasesByThread[thread] != nil || state.writerThread == thread {
            return
        }
        while state.handle != nil {
            lock.wait()
            closeIfIdleLocked()
        }
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool {
        lock.withLock { state.isClosing }
    }

    /// Flushes buffers to disk; with `force` also when ``Durability/noSync`` or ``Durability/noMetaSync`` is set.
    public func sync(force: Bool = true) throws(LMDBError) {
        let handle = try acquireLease()
        defer { releaseLease() }
        let writtenBefore = ThreadIOAccounting.writtenBytes()
        let resultCode = mdb_env_sync(handle, force ? 1 : 0)
        let writtenBytes = Self.delta(from: writtenBefore, to: ThreadIOAccounting.writtenBytes())
        // Without force, LMDB only flushes when commits do not already flush themselves.
        let didFlush = resultCode == MDB_SUCCESS && (force || options.durability != .noSync)
        record(writtenBytes: writtenBytes, commits: 0, syncs: didFlush ? 1 : 0)
        try check(resultCode, "mdb_env_sync", path: path)
    }

    /// What commits and ``sync(force:)`` calls through this instance wrote since it was opened. Counting costs a
    /// `pread` of `/proc/thread-self/io` before and after each commit (about 2 µs each on the reference VM) and one
    /// `mdb_env_info`.
    public var writeStatistics: WriteStatistics {
        lock.withLock { state.writeStatistics }
    }

    /// The current size of the memory map, which grows on demand up to ``Options/mapSizeBytesMax``.
    public var currentMapSizeBytes: Int {
        lock.withLock { state.mapSizeBytes }
    }

    /// Environment-wide figures, read in one read transaction.
    public func stats() throws(LMDBError) -> Stats {
        // Snapshot the cache before beginning: a database cached later may be newer than the transaction.
        let (databases, mapGrowthCount) = lock.withLock { (Array(state.databases.values), state.mapGrowthCount) }
        let transaction = try beginRead()
        defer { endTransaction(transaction) }

        var entryCounts: [String: Int] = [:]
        for database in databases {
            entryCounts[database.name] = try transaction.count(in: database)
        }
        let transactionHandle = try transaction.openHandle()
        let handle = mdb_txn_env(transactionHandle)
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "mdb_env_info", path: path)
        var stat = MDB_stat()
        try check(mdb_env_stat(handle, &stat), "mdb_env_stat", path: path)
        return Stats(
            mapSizeBytes: info.me_mapsize,
            usedBytes: (info.me_last_pgno + 1) * Int(stat.ms_psize),
            pageSizeBytes: Int(stat.ms_psize),
            lastTransactionID: info.me_last_txnid,
            readersUsed: Int(info.me_numreaders),
            mapGrowthCount: mapGrowthCount,
            entryCounts: entryCounts
        )
    }

    // MARK: - Databases

    /// Returns the named database, creating it on first use.
    ///
    /// Opening a database that is not cached yet takes a write transaction, so open databases up front rather
    /// than from inside a transaction closure (which throws ``LMDBError/nestedWrite``).
    public func database(named name: String) throws(LMDBError) -> Database {
        guard !name.isEmpty else {
            throw .invalidArgument("database names must not be empty")
        }
        if let cached = lock.withLock({ state.databases[name] }) {
            return cached
        }
        let handle = try performWrite(lift: { $0 }) { (transaction) throws(LMDBError) in
            try transaction.openDatabase(named: name)
        }
        let database = Database(name: name, handle: handle, environmentID: limits.environmentID)
        lock.withLock { state.databases[name] = database }
        return database
    }

    // MARK: - Transactions

    /// Runs `body` in a read-only transaction and returns its result; errors from `body` propagate unchanged.
    ///
    /// The transaction is a consistent snapshot and is closed when `body` returns.
    public func read<Result>(_ body: (ReadTransaction) throws -> Result) throws -> Result {
        let transaction = try beginRead()
        defer { endTransaction(transaction) }
        return try body(transaction)
    }

    /// Runs `body` in a write transaction, commits it if `body` returns, and aborts it if `body` throws; the
    /// thrown error propagates unchanged.
    ///
    /// - Important: `body` runs again from the start if the map had to grow (see the type's documentation), so it
    ///   must be re-runnable.
    /// - Throws: `body`'s own errors, or ``LMDBError`` (``LMDBError/mapSizeLimitReached`` when the write cannot fit
    ///   under ``Options/mapSizeBytesMax``, ``LMDBError/nestedWrite`` when called inside another transaction).
    public func write<Result>(_ body: (WriteTransaction) throws -> Result) throws -> Result {
        try performWrite(lift: { $0 }, body)
    }

    /// The write loop, generic over the closure's error so ``database(named:)`` keeps typed throws. `lift` turns
    /// the loop's own errors into the closure's error type.
    private func performWrite<Result, Failure: Error>(
        lift: (LMDBError) -> Failure,
        _ body: (WriteTransaction) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try lifting(lift) { () throws(LMDBError) in try acquireWriter() }
        defer { releaseWriter() }
        for _ in 0..<Self.writeAttemptsMax {
            switch try attemptWrite(body, lift: lift) {
            case .committed(let result):
                return result
            case .mapFull:
                // The attempt's transaction has ended, so this thread holds no lease and can wait for the others.
                try lifting(lift) { () throws(LMDBError) in try growMap() }
            }
        }
        throw lift(.mapSizeLimitReached(currentBytes: currentMapSizeBytes, limitBytes: options.mapSizeBytesMax))
    }

    private func attemptWrite<Result, Failure: Error>(
        _ body: (WriteTransaction) throws(Failure) -> Result,
        lift: (LMDBError) -> Failure
    ) throws(Failure) -> WriteOutcome<Result> {
        let handle = try lifting(lift) { () throws(LMDBError) in try beginTransaction(readOnly: false) }
        let transaction = WriteTransaction(handle: handle, limits: limits)
        defer { endTransaction(transaction) }

        let result: Result
        do throws(Failure) {
            result = try body(transaction)
        } catch {
            // LMDB poisons a transaction that hit MDB_MAP_FULL, so the attempt is void whatever `body` made of it.
            if transaction.sawMapFull {
                return .mapFull
            }
            throw error
        }
        if transaction.sawMapFull {
            return .mapFull
        }
        let resultCode = commitCounting(transaction)
        if resultCode == MDB_MAP_FULL {
            return .mapFull
        }
        try lifting(lift) { () throws(LMDBError) in try check(resultCode, "mdb_txn_commit", path: path) }
        return .committed(result)
    }

    /// Commits `transaction` and adds what it wrote to ``writeStatistics``.
    private func commitCounting(_ transaction: WriteTransaction) -> Int32 {
        guard let handle = transaction.handle else {
            return transaction.commit()
        }
        let environment = mdb_txn_env(handle)
        let transactionID = mdb_txn_id(handle)
        let writtenBefore = ThreadIOAccounting.writtenBytes()
        let resultCode = transaction.commit()
        let writtenBytes = Self.delta(from: writtenBefore, to: ThreadIOAccounting.writtenBytes())
        guard resultCode == MDB_SUCCESS else {
            // A failed commit may still have written pages before failing; they count, the commit does not.
            record(writtenBytes: writtenBytes, commits: 0, syncs: 0)
            return resultCode
        }
        // LMDB commits a transaction that changed nothing without writing or flushing anything; one that changed
        // something writes a meta page carrying its ID. Comparing IDs tells them apart even when the byte counter
        // is unavailable.
        var info = MDB_envinfo()
        let wroteMetaPage =
            environment.map { mdb_env_info($0, &info) == MDB_SUCCESS && info.me_last_txnid >= transactionID }
            ?? false
        let didFlush = wroteMetaPage && options.durability != .noSync
        record(writtenBytes: writtenBytes, commits: 1, syncs: didFlush ? 1 : 0)
        return resultCode
    }

    private func record(writtenBytes: UInt64?, commits: UInt64, syncs: UInt64) {
        lock.withLock {
            let previous = state.writeStatistics
            state.writeStatistics = WriteStatistics(
                // Once a reading is missing, the total stays unknown rather than silently undercounting.
                bytesWritten: previous.bytesWritten.flatMap { total in writtenBytes.map { total &+ $0 } },
                commits: previous.commits &+ commits,
                syncs: previous.syncs &+ syncs)
        }
    }

    /// Growth of the thread's write counter between two readings, `nil` if either is missing.
    private static func delta(from before: UInt64?, to after: UInt64?) -> UInt64? {
        guard let before, let after, after >= before else { return nil }
        return after - before
    }

    private func lifting<Result, Failure: Error>(
        _ lift: (LMDBError) -> Failure,
        _ body: () throws(LMDBError) -> Result
    ) throws(Failure) -> Result {
        do throws(LMDBError) {
            return try body()
        } catch {
            throw lift(error)
        }
    }

    private func beginRead() throws(LMDBError) -> ReadTransaction {
        ReadTransaction(handle: try beginTransaction(readOnly: true), limits: limits)
    }

    /// Begins an LMDB transaction under a lease; ``endTransaction(_:)`` gives the lease back.
    private func beginTransaction(readOnly: Bool) throws(LMDBError) -> OpaquePointer {
        let flags = readOnly ? UInt32(MDB_RDONLY) : 0
        var hasAdoptedMapSize = false
        while true {
            let environment = try acquireLease()
            var created: OpaquePointer?
            let resultCode = mdb_txn_begin(environment, nil, flags, &created)
            if resultCode == MDB_SUCCESS, let created {
                return created
            }
            releaseLease()
            // Another process grew the map. Adopting its size needs every transaction of this process finished, which
            // cannot happen while this thread itself holds one; then the error is reported as is.
            if resultCode == MDB_MAP_RESIZED, !hasAdoptedMapSize, !currentThreadHoldsLease() {
                hasAdoptedMapSize = true
                try withExclusiveAccess { (handle) throws(LMDBError) in
                    try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize", path: path)
                    state.mapSizeBytes = try Self.mapSize(of: handle)
                }
                continue
            }
            try check(resultCode, "mdb_txn_begin", path: path)
            throw .lmdb(code: .badTransaction, operation: "mdb_txn_begin", path: path)
        }
    }

    /// Aborts `transaction` unless it was committed, and gives back the lease its begin took.
    private func endTransaction(_ transaction: ReadTransaction) {
        transaction.abort()
        releaseLease()
    }

    // MARK: - Map growth

    /// Doubles the map, capped at the ceiling. Called by the writer between attempts, holding no lease.
    private func growMap() throws(LMDBError) {
        try withExclusiveAccess { (handle) throws(LMDBError) in
            let currentBytes = state.mapSizeBytes
            let limitBytes = options.mapSizeBytesMax
            guard currentBytes < limitBytes else {
                throw .mapSizeLimitReached(currentBytes: currentBytes, limitBytes: limitBytes)
            }
            let (doubledBytes, overflow) = currentBytes.multipliedReportingOverflow(by: 2)
            let targetBytes = overflow ? limitBytes : min(doubledBytes, limitBytes)
            try check(mdb_env_set_mapsize(handle, targetBytes), "mdb_env_set_mapsize", path: path)
            state.mapSizeBytes = try Self.mapSize(of: handle)
            state.mapGrowthCount += 1
        }
    }

    private static func mapSize(of handle: OpaquePointer) throws(LMDBError) -> Int {
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "mdb_env_info")
        return info.me_mapsize
    }

    // MARK: - Leases and the writer slot

    /// Registers a use of the environment handle that resizing and closing must wait for.
    private func acquireLease() throws(LMDBError) -> OpaquePointer {
        let thread = pthread_self()
        lock.lock()
        defer { lock.unlock() }
        // A thread that already holds a lease must not wait: the pending resize is waiting for that very lease.
        while state.isResizing && state.leasesByThread[thread] == nil {
            lock.wait()
        }
        guard !state.isClosing, let handle = state.handle else {
            throw .environmentClosed
        }
        state.leaseCount += 1
        state.leasesByThread[thread, default: 0] += 1
        return handle
    }

    private func releaseLease() {
        let thread = pthread_self()
        lock.withLock {
            state.leaseCount -= 1
            let remaining = (state.leasesByThread[thread] ?? 1) - 1
            state.leasesByThread[thread] = remaining > 0 ? remaining : nil
            closeIfIdleLocked()
            lock.broadcast()
        }
    }

    private func currentThreadHoldsLease() -> Bool {
        let thread = pthread_self()
        return lock.withLock { state.leasesByThread[thread] != nil }
    }

    private func acquireWriter() throws(LMDBError) {
        let thread = pthread_self()
        lock.lock()
        defer { lock.unlock() }
        if state.writerThread == thread || state.leasesByThread[thread] != nil {
            throw .nestedWrite
        }
        while state.writerThread != nil && !state.isClosing {
            lock.wait()
        }
        guard !state.isClosing, state.handle != nil else {
            throw .environmentClosed
        }
        state.writerThread = thread
    }

    private func releaseWriter() {
        lock.withLock {
            state.writerThread = nil
            closeIfIdleLocked()
            lock.broadcast()
        }
    }

    /// Runs `body` while no transaction of this process is open, as `mdb_env_set_mapsize` requires.
    private func withExclusiveAccess(_ body: (OpaquePointer) throws(LMDBError) -> Void) throws(LMDBError) {
        let thread = pthread_self()
        lock.lock()
        defer { lock.unlock() }
        guard state.leasesByThread[thread] == nil else {
            // Waiting would wait for this thread itself.
            throw .nestedWrite
        }
        while state.isResizing {
            lock.wait()
        }
        state.isResizing = true
        defer {
            state.isResizing = false
            closeIfIdleLocked()
            lock.broadcast()
        }
        while state.leaseCount > 0 && !state.isClosing {
            lock.wait()
        }
        guard !state.isClosing, let handle = state.handle else {
            throw .environmentClosed
        }
        try body(handle)
    }

    /// Closes the LMDB handle once closing was requested and nothing uses it any more. Caller holds `lock`.
    private func closeIfIdleLocked() {
        guard state.isClosing, state.leaseCount == 0, state.writerThread == nil, !state.isResizing,
            let handle = state.handle
        else {
            return
        }
        mdb_env_close(handle)
        state.handle = nil
        state.databases = [:]
        lock.broadcast()
    }

    // MARK: - Directory

    /// `mkdir -p`: LMDB expects the environment directory to exist.
    private static func createDirectory(_ path: String) throws(LMDBError) {
        guard !path.isEmpty else {
            throw .invalidArgument("environment path must not be empty")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o775) != 0 {
                let errorNumber = errno
                // An existing file in the way is reported by the next mkdir or by mdb_env_open, with a clear errno.
                if errorNumber != EEXIST {
                    try check(errorNumber, "mkdir", path: prefix)
                }
            }
            prefix += "/"
        }
    }
}

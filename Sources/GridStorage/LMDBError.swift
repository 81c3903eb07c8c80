import CLMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The single error type of GridStorage.
///
/// Failures reported by LMDB (or by the operating system underneath it) are `.lmdb` and carry a named
/// ``Code``; everything else is misuse of this wrapper or a limit it enforces.
///
/// ```swift
/// do {
///     try environment.write { txn in try txn.put(key, value, in: blocks) }
/// } catch let error as LMDBError where error.code == .keyExist {
///     // ...
/// } catch LMDBError.mapSizeLimitReached(let currentBytes, let limitBytes) {
///     // ...
/// }
/// ```
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An LMDB function (or a system call made on LMDB's behalf) returned a non-zero result code.
    ///
    /// - Parameters:
    ///   - code: The result code.
    ///   - operation: The C function that failed, e.g. `"mdb_put"`.
    ///   - database: The named database involved, when there is one.
    ///   - path: The environment directory involved, when relevant.
    case lmdb(code: Code, operation: String, database: String? = nil, path: String? = nil)

    /// A transaction object was used after the closure it was handed to had returned.
    case transactionClosed

    /// The environment was closed (or is closing) and cannot start new work.
    case environmentClosed

    /// `write` (or opening a new database) was called on a thread that already has a transaction open on the same
    /// environment. LMDB allows one writer at a time, so waiting would deadlock.
    case nestedWrite

    /// A write needed a larger map but the map already is at ``Environment/Options/mapSizeBytesMax``.
    /// Nothing of the failed write was committed; earlier commits are intact.
    case mapSizeLimitReached(currentBytes: Int, limitBytes: Int)

    /// A key is longer than the environment's ``Environment/maxKeySizeBytes``.
    case keyTooLarge(sizeBytes: Int, limitBytes: Int)

    /// A value could never fit: it exceeds LMDB's value limit or the map ceiling.
    case valueTooLarge(sizeBytes: Int, limitBytes: Int)

    /// An argument was rejected before reaching LMDB; the string says which and why.
    case invalidArgument(String)

    /// The LMDB result code, or `nil` for errors raised by this wrapper itself.
    public var code: Code? {
        if case .lmdb(let code, _, _, _) = self {
            return code
        }
        return nil
    }

    /// One line naming the code, the failing operation, and LMDB's own explanation.
    ///
    /// For example: `LMDB error MDB_MAP_FULL (-30792) in mdb_put on database "blocks": Environment mapsize limit
    /// reached`.
    public var description: String {
        switch self {
        case .lmdb(let code, let operation, let database, let path):
            var text = "LMDB error \(code.name) (\(code.rawValue)) in \(operation)"
            if let database {
                text += " on database \"\(database)\""
            }
            if let path {
                text += " at \"\(path)\""
            }
            return text + ": " + code.message
        case .transactionClosed:
            return "LMDB transaction used after its closure returned"
        case .environmentClosed:
            return "LMDB environment is closed"
        case .nestedWrite:
            return "LMDB write started on a thread that already has a transaction open on this environment"
        case .mapSizeLimitReached(let currentBytes, let limitBytes):
            return "LMDB map size limit reached: map is \(currentBytes) bytes, limit is \(limitBytes) bytes"
        case .keyTooLarge(let sizeBytes, let limitBytes):
            return "LMDB key too large: \(sizeBytes) bytes, limit is \(limitBytes) bytes"
        case .valueTooLarge(let sizeBytes, let limitBytes):
            return "LMDB value too large: \(sizeBytes) bytes, limit is \(limitBytes) bytes"
        case .invalidArgument(let reason):
            return "LMDB invalid argument: \(reason)"
        }
    }
}

extension LMDBError {
    /// An LMDB result code: one named case per `MDB_*` error, and `.system(errno)` for everything else, which LMDB
    /// passes through from the operating system (`ENOSPC`, `EACCES`, `ENOENT`, `EIO`, ...).
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        /// `MDB_KEYEXIST`: key/data pair already exists.
        case keyExist
        /// `MDB_NOTFOUND`: key/data pair not found.
        case notFound
        /// `MDB_PAGE_NOTFOUND`: requested page not found (usually corruption).
        case pageNotFound
        /// `MDB_CORRUPTED`: located page was the wrong type.
        case corrupted
        /// `MDB_PANIC`: update of meta page failed or environment had a fatal error.
        case panic
        /// `MDB_VERSION_MISMATCH`: environment version mismatch.
        case versionMismatch
        /// `MDB_INVALID`: file is not an LMDB file.
        case invalid
        /// `MDB_MAP_FULL`: environment map size reached.
        case mapFull
        /// `MDB_DBS_FULL`: environment `databasesMax` reached.
        case dbsFull
        /// `MDB_READERS_FULL`: environment `readersMax` reached.
        case readersFull
        /// `MDB_TLS_FULL`: too many TLS keys in use.
        case tlsFull
        /// `MDB_TXN_FULL`: transaction has too many dirty pages.
        case txnFull
        /// `MDB_CURSOR_FULL`: cursor stack too deep.
        case cursorFull
        /// `MDB_PAGE_FULL`: page has not enough space.
        case pageFull
        /// `MDB_MAP_RESIZED`: database contents grew beyond the environment map size.
        case mapResized
        /// `MDB_INCOMPATIBLE`: operation and database incompatible, or database flags changed.
        case incompatible
        /// `MDB_BAD_RSLOT`: invalid reuse of reader locktable slot.
        case badReaderSlot
        /// `MDB_BAD_TXN`: transaction must abort, has a child, or is invalid.
        case badTransaction
        /// `MDB_BAD_VALSIZE`: unsupported size of key/DB name/data, or wrong DUPFIXED size.
        case badValueSize
        /// `MDB_BAD_DBI`: the specified DBI was changed unexpectedly.
        case badDatabaseHandle
        /// An `errno` value returned by LMDB or by a system call.
        case system(Int32)

        private static let table: [(code: Code, rawValue: Int32, name: String)] = [
            (.keyExist, MDB_KEYEXIST, "MDB_KEYEXIST"),
            (.notFound, MDB_NOTFOUND, "MDB_NOTFOUND"),
            (.pageNotFound, MDB_PAGE_NOTFOUND, "MDB_PAGE_NOTFOUND"),
            (.corrupted, MDB_CORRUPTED, "MDB_CORRUPTED"),
            (.panic, MDB_PANIC, "MDB_PANIC"),
            (.versionMismatch, MDB_VERSION_MISMATCH, "MDB_VERSION_MISMATCH"),
            (.invalid, MDB_INVALID, "MDB_INVALID"),
            (.mapFull, MDB_MAP_FULL, "MDB_MAP_FULL"),
            (.dbsFull, MDB_DBS_FULL, "MDB_DBS_FULL"),
            (.readersFull, MDB_READERS_FULL, "MDB_READERS_FULL"),
            (.tlsFull, MDB_TLS_FULL, "MDB_TLS_FULL"),
            (.txnFull, MDB_TXN_FULL, "MDB_TXN_FULL"),
            (.cursorFull, MDB_CURSOR_FULL, "MDB_CURSOR_FULL"),
            (.pageFull, MDB_PAGE_FULL, "MDB_PAGE_FULL"),
            (.mapResized, MDB_MAP_RESIZED, "MDB_MAP_RESIZED"),
            (.incompatible, MDB_INCOMPATIBLE, "MDB_INCOMPATIBLE"),
            (.badReaderSlot, MDB_BAD_RSLOT, "MDB_BAD_RSLOT"),
            (.badTransaction, MDB_BAD_TXN, "MDB_BAD_TXN"),
            (.badValueSize, MDB_BAD_VALSIZE, "MDB_BAD_VALSIZE"),
            (.badDatabaseHandle, MDB_BAD_DBI, "MDB_BAD_DBI"),
        ]

        // Only the errno values LMDB is documented to surface, plus the ones a misconfigured path produces.
        private static let errnoNames: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY",
            EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE",
            EMFILE: "EMFILE", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS", EAGAIN: "EAGAIN",
            ENOLCK: "ENOLCK", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS",
        ]

        /// Every named `MDB_*` code, in LMDB's numeric order.
        public static let allLMDBCodes: [Code] = table.map(\.code)

        /// Maps a raw result code; anything that is not an `MDB_*` code is treated as an `errno` value.
        public init(rawValue: Int32) {
            self = Self.table.first { $0.rawValue == rawValue }?.code ?? .system(rawValue)
        }

        /// The raw C value, e.g. `-30792` for ``mapFull`` or `28` for `.system(ENOSPC)`.
        public var rawValue: Int32 {
            if case .system(let errorNumber) = self {
                return errorNumber
            }
            return Self.table.first { $0.code == self }?.rawValue ?? 0
        }

        /// The C name, e.g. `"MDB_MAP_FULL"` or `"ENOSPC"`; unnamed errno values read `"errno 123"`.
        public var name: String {
            if case .system(let errorNumber) = self {
                return Self.errnoNames[errorNumber] ?? "errno \(errorNumber)"
            }
            return Self.table.first { $0.code == self }?.name ?? "MDB_UNKNOWN"
        }

        /// LMDB's explanation from `mdb_strerror`, without the `MDB_XXX: ` prefix LMDB puts on its own codes.
        public var message: String {
            guard let cString = mdb_strerror(rawValue) else {
                return "unknown error"
            }
            let text = String(cString: cString)
            let prefix = name + ": "
            return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
        }

        /// Same as ``name``.
        public var description: String { name }
    }
}

// MARK: - The one place result codes are checked

/// Throws unless `resultCode` is `MDB_SUCCESS`. Every LMDB result code, and every errno this module sees, passes
/// through here so errors are shaped the same way everywhere.
@inline(__always)
func check(
    _ resultCode: Int32,
    _ operation: StaticString,
    database: String? = nil,
    path: String? = nil
) throws(LMDBError) {
    guard resultCode != MDB_SUCCESS else {
        return
    }
    throw LMDBError.lmdb(
        code: LMDBError.Code(rawValue: resultCode),
        operation: "\(operation)",
        database: database,
        path: path
    )
}

/// Like ``check(_:_:database:path:)`` for lookups, where `MDB_NOTFOUND` is an answer rather than a failure.
/// - Returns: `false` for `MDB_NOTFOUND`, `true` for `MDB_SUCCESS`.
@inline(__always)
func checkFound(
    _ resultCode: Int32,
    _ operation: StaticString,
    database: String? = nil
) throws(LMDBError) -> Bool {
    if resultCode == MDB_NOTFOUND {
        return false
    }
    try check(resultCode, operation, database: database)
    return true
}

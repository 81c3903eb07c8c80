import CLMDB

extension ReadTransaction {
    /// Names of the named databases in this environment, in ascending order. LMDB keeps them as the keys of its
    /// unnamed main database, so a store can find its tables without being told which exist.
    public func databaseNames() throws(LMDBError) -> [String] {
        let transaction = try openHandle()
        var main: MDB_dbi = 0
        try check(mdb_dbi_open(transaction, nil, 0, &main), "mdb_dbi_open", database: "(main)")
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(transaction, main, &cursor), "mdb_cursor_open", database: "(main)")
        guard let cursor else { throw .lmdb(code: .invalid, operation: "mdb_cursor_open", database: "(main)") }
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var names: [String] = []
        var resultCode = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        while resultCode == 0 {
            let bytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
            names.append(String(decoding: bytes, as: UTF8.self))
            resultCode = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        guard resultCode == MDB_NOTFOUND else {
            try check(resultCode, "mdb_cursor_get", database: "(main)")
            return names
        }
        return names
    }
}

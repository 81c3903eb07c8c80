import Foundation
import Testing

@testable import GridStorage

@Suite struct ErrorTests {
    @Test func descriptionNamesTheLMDBCode() {
        let error = LMDBError.lmdb(code: .mapFull, operation: "mdb_put", database: "blocks")
        #expect(
            error.description
                == "LMDB error MDB_MAP_FULL (-30792) in mdb_put on database \"blocks\": Environment mapsize limit reached"
        )
        #expect(error.code == .mapFull)
        #expect(LMDBError.transactionClosed.code == nil)
    }

    @Test func everyNamedCodeRoundTripsAndMatchesLMDBText() {
        #expect(LMDBError.Code.allLMDBCodes.count == 20)
        for code in LMDBError.Code.allLMDBCodes {
            #expect(LMDBError.Code(rawValue: code.rawValue) == code)
            // mdb_strerror prefixes its text with the C name; `message` strips exactly our name, so any mismatch
            // between our table and LMDB's would leave "MDB_" at the front.
            #expect(!code.message.hasPrefix("MDB_"), "\(code.name): \(code.message)")
            #expect(!code.message.isEmpty)
        }
        #expect(LMDBError.Code(rawValue: ENOSPC) == .system(ENOSPC))
        #expect(LMDBError.Code.system(ENOSPC).name == "ENOSPC")
        #expect(LMDBError.Code.system(EACCES).message == String(cString: strerror(EACCES)))
    }

    @Test func realLMDBFailureIsDescribed() throws {
        let options = Environment.Options(databasesMax: 1)
        try withEnvironment(options: options) { environment, _ in
            _ = try environment.database(named: "blocks")
            let expected = LMDBError.lmdb(code: .dbsFull, operation: "mdb_dbi_open", database: "accounts")
            #expect(throws: expected) { try environment.database(named: "accounts") }
            #expect(
                expected.description
                    == "LMDB error MDB_DBS_FULL (-30791) in mdb_dbi_open on database \"accounts\": "
                    + "Environment maxdbs limit reached"
            )
        }
    }

    @Test func systemErrorCarriesErrnoAndPath() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/not-a-directory"
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            let error = #expect(throws: LMDBError.self) { try Environment(path: path) }
            #expect(error?.code == .system(ENOTDIR))
            let prefix = "LMDB error ENOTDIR (\(ENOTDIR)) in mdb_env_open at \"\(path)\": "
            #expect(error?.description.hasPrefix(prefix) == true)
        }
    }

    @Test func oversizedAndEmptyKeysAreCleanErrors() throws {
        try withEnvironment { environment, _ in
            let blocks = try environment.database(named: "blocks")
            #expect(environment.maxKeySizeBytes == 511)
            let tooLong = [UInt8](repeating: 7, count: environment.maxKeySizeBytes + 1)
            let expected = LMDBError.keyTooLarge(sizeBytes: 512, limitBytes: 511)
            #expect(throws: expected) { try environment.write { txn in try txn.put(tooLong, [1], in: blocks) } }
            #expect(throws: expected) { try environment.read { txn in try txn.get(tooLong, in: blocks) } }
            #expect(throws: LMDBError.invalidArgument("keys must not be empty")) {
                try environment.write { txn in try txn.put([], [1], in: blocks) }
            }

            let longest = [UInt8](repeating: 7, count: environment.maxKeySizeBytes)
            try environment.write { txn in try txn.put(longest, [1], in: blocks) }
            #expect(try environment.read { txn in try txn.get(longest, in: blocks) } == [1])
        }
    }
}

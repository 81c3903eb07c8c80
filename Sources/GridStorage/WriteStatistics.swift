#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What an ``Environment``'s commits and syncs wrote since it was opened; see ``Environment/writeStatistics``.
public struct WriteStatistics: Sendable, Hashable {
    /// Bytes LMDB handed to write system calls while committing and syncing: data pages and meta pages, as the
    /// operating system counted them (`wchar` of `/proc/thread-self/io`, read around each commit on the committing
    /// thread). This is what reaches the page cache, not what the device later writes (no block rounding,
    /// journaling or write amplification).
    ///
    /// `nil` when the operating system does not report it (not Linux, `/proc` not mounted, a kernel without task
    /// I/O accounting) for any commit so far: a partial sum would be a made-up figure. Pages LMDB spills during a
    /// very large transaction (more than about 512 MiB dirty) are written inside the write closure and are not
    /// counted.
    public var bytesWritten: UInt64?
    /// Write transactions committed, including ones that changed nothing (LMDB writes nothing for those).
    public var commits: UInt64
    /// Flushes to the disk LMDB made: commits that wrote something under ``Environment/Durability/sync`` or
    /// ``Environment/Durability/noMetaSync``, plus ``Environment/sync(force:)`` calls that flushed (forced, or
    /// not under ``Environment/Durability/noSync``). A `.sync` commit flushes the data pages with `fdatasync`
    /// and then writes the meta page synchronously; it counts once.
    public var syncs: UInt64

    public init(bytesWritten: UInt64?, commits: UInt64, syncs: UInt64) {
        self.bytesWritten = bytesWritten
        self.commits = commits
        self.syncs = syncs
    }
}

/// The calling thread's write-syscall byte count from `/proc/thread-self/io`.
///
/// LMDB writes a transaction's pages with `pwrite`/`pwritev` on the thread that calls `mdb_txn_commit`, so the
/// delta of this counter around the commit is what the commit wrote. The file is opened once per thread and kept
/// open (closed when the thread exits), so a reading costs one `pread` of a ~150-byte file.
enum ThreadIOAccounting {
    /// Bytes this thread has passed to write system calls since it started, or `nil` when unavailable.
    static func writtenBytes() -> UInt64? {
        #if os(Linux)
            guard let descriptor = threadIOFileDescriptor() else { return nil }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = buffer.withUnsafeMutableBytes { bytes in
                pread(descriptor, bytes.baseAddress, bytes.count, 0)
            }
            guard count > 0 else { return nil }
            return parseWrittenBytes(buffer[..<count])
        #else
            return nil
        #endif
    }

    /// The value of the `wchar:` line of a `/proc/.../io` file, or `nil` if there is none or it is not a number.
    static func parseWrittenBytes<Bytes: Collection<UInt8>>(_ text: Bytes) -> UInt64? {
        let label = Array("wchar:".utf8)
        for line in text.split(separator: UInt8(ascii: "\n")) where line.starts(with: label) {
            let digits = line.dropFirst(label.count).drop { $0 == UInt8(ascii: " ") }
            guard !digits.isEmpty else { return nil }
            var value: UInt64 = 0
            for digit in digits {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = shifted.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                guard !overflow, !carry else { return nil }
                value = sum
            }
            return value
        }
        return nil
    }

    #if os(Linux)
        /// Thread-specific slot holding the thread's open io file: 0 (nil) not tried yet, 1 unavailable, otherwise
        /// the file descriptor + 2. Its destructor closes the file when the thread exits, so thread pools that
        /// come and go do not leak descriptors. `nil` if no key could be created; then every reading opens the file.
        private static let descriptorKey: pthread_key_t? = {
            var key = pthread_key_t()
            let result = pthread_key_create(&key) { slot in
                let stored = Int(bitPattern: slot)
                if stored >= 2 { close(Int32(stored - 2)) }
            }
            return result == 0 ? key : nil
        }()

        private static let unavailableMarker = 1

        private static func threadIOFileDescriptor() -> Int32? {
            guard let key = descriptorKey else {
                // Nowhere to keep the descriptor: reporting unavailable beats opening the file on every commit.
                return nil
            }
            let stored = Int(bitPattern: pthread_getspecific(key))
            if stored >= 2 { return Int32(stored - 2) }
            if stored == unavailableMarker { return nil }
            // /proc/thread-self names the calling thread at open time; the descriptor keeps referring to it.
            let descriptor = open("/proc/thread-self/io", O_RDONLY | O_CLOEXEC)
            let slot = descriptor >= 0 ? Int(descriptor) + 2 : unavailableMarker
            if pthread_setspecific(key, UnsafeRawPointer(bitPattern: slot)) != 0 {
                if descriptor >= 0 { close(descriptor) }
                return nil
            }
            return descriptor >= 0 ? descriptor : nil
        }
    #endif
}

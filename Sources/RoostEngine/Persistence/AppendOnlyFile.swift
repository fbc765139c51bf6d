import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `appendfsync`: when the append-only file is fsynced.
public enum AppendFsyncPolicy: String, Sendable {
    /// After every write, before the replies it covers are sent.
    case always
    /// In the background, once a second.
    case everysec
    /// Never by Roost; the OS flushes when it likes.
    case no
}

/// The open incremental file of the append-only file and the bytes waiting for it.
///
/// Commands append under the engine's lock (`append`); connections then write the buffer out,
/// and under `appendfsync always` fsync it, outside the engine's lock (`flush(through:sync:)`),
/// so that while one thread waits for the disk the others go on running commands and the next
/// fsync covers all of their writes at once (group commit).
// @unchecked: `pending`, `appended`, `writeError` and the latency fields are guarded by
// `bufferLock`; `descriptor`, `written` and `path` by `fileLock`; `synced` by `syncedLock`. The
// locks are taken in the order fileLock, bufferLock or fileLock, syncedLock, never the other way.
public final class AppendOnlyFile: @unchecked Sendable {
    private let bufferLock = NIOLock()
    private let fileLock = NIOLock()
    private let syncedLock = NIOLock()
    private var pending: [UInt8] = []
    private var appended: Int64 = 0
    private var written: Int64 = 0
    private var synced: Int64 = 0
    private var descriptor: Int32
    /// `errno` of the last failed write or fsync, 0 after a success.
    private var writeError: Int32 = 0
    /// The open file's path.
    public private(set) var path: String
    /// Bytes in the current incremental file, including those not yet written.
    private var incrementalSize: Int64
    /// `latency-monitor-threshold` as the engine last passed it, the write and fsync latencies
    /// that reached it since the engine last took them, and whether a background fsync runs
    /// (all guarded by `bufferLock`).
    private var latencyThreshold: Int64 = 0
    private var latencySamples: [AppendOnlyLatencySample] = []
    private var backgroundSyncRunning = false

    /// Opens (creating it if needed) the incremental file at `path` for appending; with
    /// `truncate`, empties it first.
    /// - Throws: `RDBFileError` when it cannot be opened.
    init(path: String, truncate: Bool = false) throws(RDBFileError) {
        let fd = try Self.openForAppending(path, truncate: truncate)
        self.descriptor = fd
        self.path = path
        var info = stat()
        incrementalSize = fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Takes over `fd`, open for appending on `path` (see `openForAppending`).
    init(descriptor fd: Int32, path: String) {
        self.descriptor = fd
        self.path = path
        var info = stat()
        incrementalSize = fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    deinit { close(descriptor) }

    /// Adds bytes at the end of the log. Returns the log offset after them.
    @discardableResult
    func append(_ bytes: [UInt8]) -> Int64 {
        bufferLock.withLock {
            pending.append(contentsOf: bytes)
            appended += Int64(bytes.count)
            incrementalSize += Int64(bytes.count)
            return appended
        }
    }

    /// Adds the bytes `encode` writes at the end of the buffer (no intermediate array).
    /// Returns the log offset after them.
    @discardableResult
    func append(encoding encode: (inout [UInt8]) -> Void) -> Int64 {
        bufferLock.withLock {
            let before = pending.count
            encode(&pending)
            let added = Int64(pending.count - before)
            appended += added
            incrementalSize += added
            return appended
        }
    }

    /// The offset after the last appended byte.
    var appendedOffset: Int64 { bufferLock.withLock { appended } }

    /// Bytes appended and not yet written to the file (INFO `aof_buffer_length`).
    var bufferedBytes: Int { bufferLock.withLock { pending.count } }

    /// The current incremental file's size, counting buffered bytes.
    var currentIncrementalSize: Int64 { bufferLock.withLock { incrementalSize } }

    /// Whether the last write or fsync failed (INFO `aof_last_write_status`).
    var lastWriteFailed: Bool { bufferLock.withLock { writeError != 0 } }

    /// `errno` of the last write or fsync if it failed, else 0: what MISCONF reports.
    var lastWriteError: Int32 { bufferLock.withLock { writeError } }

    /// Writes the buffer to the file; call with `fileLock` held. On a failure the bytes stay
    /// buffered for the next try (a partial write is cut off the file first, as Redis does) and
    /// the error is kept. Returns the log offset written through, or nil on a failure.
    private func writePending() -> (end: Int64, latencyThreshold: Int64)? {
        let (bytes, end, threshold, syncRunning) = bufferLock.withLock { () -> ([UInt8], Int64, Int64, Bool) in
            defer { pending.removeAll(keepingCapacity: true) }
            return (pending, appended, latencyThreshold, backgroundSyncRunning)
        }
        let started = threshold > 0 && !bytes.isEmpty ? Engine.clockMicroseconds() : 0
        let (done, error) = Self.writeAll(descriptor, bytes)
        if started > 0 {
            // Redis's `flushAppendOnlyFile` events (no child processes here: no `active-child`).
            noteLatency(syncRunning ? "aof-write-pending-fsync" : "aof-write-alone", since: started, threshold)
            noteLatency("aof-write", since: started, threshold)
        }
        if error == 0 {
            written = end
            return (end, threshold)
        }
        var kept = done
        if done > 0 {
            var info = stat()
            if fstat(descriptor, &info) == 0 && ftruncate(descriptor, info.st_size - off_t(done)) == 0 { kept = 0 }
        }
        if kept > 0 { written += Int64(kept) }
        bufferLock.withLock {
            pending.insert(contentsOf: bytes[kept...], at: 0)
            writeError = error
        }
        return nil
    }

    /// Whether every byte up to `offset` has been written to the file.
    func isWritten(through offset: Int64) -> Bool { fileLock.withLock { written >= offset } }

    /// Whether every byte up to `offset` has been fsynced.
    func isDurable(through offset: Int64) -> Bool { syncedLock.withLock { synced >= offset } }

    /// Writes every buffered byte to the file and, with `sync`, fsyncs it, unless another caller
    /// already got `offset` there. Returns false when a write or fsync failed.
    @discardableResult
    func flush(through offset: Int64, sync: Bool) -> Bool {
        if sync ? isDurable(through: offset) : fileLock.withLock({ written >= offset }) { return true }
        return fileLock.withLock {
            if sync && isDurable(through: offset) { return true }
            guard let (end, threshold) = writePending() else { return false }
            var error: Int32 = 0
            if sync {
                let started = threshold > 0 ? Engine.clockMicroseconds() : 0
                defer { if started > 0 { noteLatency("aof-fsync-always", since: started, threshold) } }
                if fdatasync(descriptor) == 0 {
                    syncedLock.withLock { synced = max(synced, end) }
                } else {
                    error = errno
                }
            }
            bufferLock.withLock { writeError = error }
            return error == 0
        }
    }

    /// Writes what is buffered and fsyncs the file (everysec's background fsync, BGREWRITEAOF).
    @discardableResult
    func sync() -> Bool { flush(through: appendedOffset, sync: true) }

    /// Writes what is buffered, then fsyncs without holding the file's lock, so that writes go
    /// on meanwhile (`everysec`'s background fsync). Returns false when a write or fsync failed.
    @discardableResult
    public func backgroundSync() -> Bool {
        let started: (Int32, Int64)? = fileLock.withLock {
            guard let (end, _) = writePending() else { return nil }
            // Nothing written since the last fsync: nothing to do, as Redis skips it.
            if isDurable(through: end) { return (-2, end) }
            bufferLock.withLock { backgroundSyncRunning = true }
            return (dup(descriptor), end)
        }
        guard let (fd, end) = started else { return false }
        if fd == -2 { return true }
        defer { bufferLock.withLock { backgroundSyncRunning = false } }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let ok = fdatasync(fd) == 0
        let error = ok ? 0 : errno
        if ok { syncedLock.withLock { synced = max(synced, end) } }
        bufferLock.withLock { writeError = error }
        return ok
    }

    /// Keeps a write or fsync latency that reached `threshold` milliseconds for the engine.
    private func noteLatency(_ event: String, since started: Int64, _ threshold: Int64) {
        let milliseconds = (Engine.clockMicroseconds() - started) / 1000
        guard milliseconds >= threshold else { return }
        let sample = AppendOnlyLatencySample(event: event, milliseconds: milliseconds, time: Engine.clock() / 1000)
        bufferLock.withLock { latencySamples.append(sample) }
    }

    /// Sets the latency threshold writes and fsyncs are measured against (0: not measured) and
    /// returns the samples kept since the last call, oldest first.
    func exchangeLatencySamples(threshold: Int64) -> [AppendOnlyLatencySample] {
        bufferLock.withLock {
            latencyThreshold = threshold
            defer { latencySamples.removeAll() }
            return latencySamples
        }
    }

    /// Writes what is buffered without fsyncing (`everysec` and `no` after each batch).
    @discardableResult
    func writeBuffered() -> Bool { flush(through: appendedOffset, sync: false) }

    /// Opens `path` for appending, created if needed and emptied with `truncate`.
    /// - Throws: `RDBFileError` when it cannot be opened.
    static func openForAppending(_ path: String, truncate: Bool) throws(RDBFileError) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | (truncate ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw RDBFileError(operation: "open", path: path, code: errno) }
        return fd
    }

    /// Switches to the new incremental file `fd` (opened by `openForAppending`) at `path`,
    /// after writing and fsyncing the old one: a barrier's offset in the old file is durable
    /// before any fsync of the new one counts for it.
    func switchFile(to path: String, descriptor fd: Int32) {
        sync()
        fileLock.withLock {
            close(descriptor)
            descriptor = fd
            self.path = path
        }
        bufferLock.withLock { incrementalSize = 0 }
    }

    /// Notes that the open file was renamed to `path` (the temporary incremental file of a
    /// rewrite that turns `appendonly` on).
    func renamed(to path: String) {
        fileLock.withLock { self.path = path }
    }

    private static let systemWrite: @Sendable (Int32, UnsafeRawPointer?, Int) -> Int = { write($0, $1, $2) }

    /// Writes all of `bytes`; returns how many were written and the failing call's `errno`
    /// (0 when all were written).
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> (Int, Int32) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            if n == 0 { return (done, ENOSPC) }
            done += n
        }
        return (done, 0)
    }

    // MARK: RESP encoding

    /// A command in the RESP form the append-only file stores: `*N`, then `$len` and each
    /// argument.
    static func encode(_ arguments: [ByteBuffer], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        appendDecimal(arguments.count, to: &out)
        out.append(13); out.append(10)
        for argument in arguments {
            out.append(UInt8(ascii: "$"))
            appendDecimal(argument.readableBytes, to: &out)
            out.append(13); out.append(10)
            argument.withUnsafeReadableBytes { out.append(contentsOf: $0) }
            out.append(13); out.append(10)
        }
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var width = 1
        var limit = 10
        while value >= limit && width < 19 {
            width += 1
            limit = limit &* 10
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: width))
        var v = value
        for i in stride(from: start + width - 1, through: start, by: -1) {
            out[i] = UInt8(48 + v % 10)
            v /= 10
        }
    }
}

/// A write or fsync of the append-only file that took `latency-monitor-threshold` or more,
/// made outside the engine's lock and handed to the latency monitor afterwards.
struct AppendOnlyLatencySample {
    let event: String
    let milliseconds: Int64
    /// Unix seconds.
    let time: Int64
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// RDB snapshots of the whole keyspace: SAVE, DEBUG RELOAD, and loading `dir/dbfilename` at
/// start. Call these with the engine's lock held.
extension Engine {
    /// The keyspace and function libraries as an RDB version 10 file; with `appendOnlyBase`,
    /// the base file of an append-only file (`aof-base` 1).
    public func rdbSnapshot(appendOnlyBase: Bool = false) -> [UInt8] {
        var writer = RDBWriter(compress: configuration.rdbCompression, listMaxListpackSize: configuration.listMaxListpackSize)
        writer.appendHeader(creationTime: Engine.clock() / 1000, usedMemory: usedMemory, aofBase: appendOnlyBase)
        for library in functionScripting?.libraries.values.sorted(by: { $0.name < $1.name }) ?? [] {
            writer.appendFunctionLibrary(code: library.code)
        }
        for db in databases where !db.keys.isEmpty {
            writer.appendDatabaseStart(index: db.index, keys: db.keys.count, expires: db.expires.count)
            db.keys.forEach { key, value in
                let expiresAt = db.expires.isEmpty ? nil : db.expires[key]
                // Keys already logically expired are written too, as Redis does; loaders drop them.
                writer.appendKey(key, value, expiresAt: expiresAt)
            }
        }
        return writer.finish(checksum: configuration.rdbChecksum)
    }

    /// The absolute path of the RDB file: `dir`/`dbfilename`.
    public var rdbPath: String {
        let dir = configuration.dir.isEmpty ? "." : configuration.dir
        return dir.hasSuffix("/") ? dir + configuration.dbFilename : dir + "/" + configuration.dbFilename
    }

    /// SAVE: writes the snapshot to a temporary file in `dir`, fsyncs it, renames it over
    /// `dbfilename` and fsyncs the directory, then moves LASTSAVE.
    /// - Throws: `RDBFileError` naming the system call that failed.
    public func saveRDB() throws(RDBFileError) {
        let bytes = rdbSnapshot()
        let dir = configuration.dir.isEmpty ? "." : configuration.dir
        let temporary = dir + "/temp-\(getpid()).rdb"
        try RDBFile.writeDurably(bytes, to: temporary)
        guard rename(temporary, rdbPath) == 0 else {
            let error = RDBFileError(operation: "rename", path: rdbPath, code: errno)
            unlink(temporary)
            throw error
        }
        RDBFile.syncDirectory(dir)
        lastSave = Engine.clock() / 1000
        statistics.rdbSaves += 1
        noteForegroundSave()
    }

    /// Replaces the keyspace and the function libraries with an RDB file's contents (with
    /// `flush` false, adds them: a key in the file replaces the one in memory). Nothing changes
    /// when the file does not decode.
    /// - Throws: `RDBLoadError` for a malformed, truncated or unsupported file, or a library
    ///   that does not load.
    public func loadRDB(_ bytes: [UInt8], flush: Bool = true) throws(RDBLoadError) {
        var reader = RDBReader(bytes, configuration: configuration)
        try loadRDBContents(reader.read(now: Engine.clock()), flush: flush)
    }

    /// Stores what an RDB file decoded to: `loadRDB`'s second half, shared with the AOF base.
    func loadRDBContents(_ contents: RDBContents, flush: Bool) throws(RDBLoadError) {
        var functions: LuaScripting? = flush ? nil : functionScripting
        if !contents.functionLibraries.isEmpty {
            guard let fresh = LuaScripting(engine: self, functions: true) else {
                throw RDBLoadError(message: "Failed to create the Lua interpreter", offset: 0)
            }
            for code in contents.functionLibraries {
                do {
                    _ = try fresh.loadLibrary(code, replace: false)
                } catch {
                    throw RDBLoadError(message: "Failed loading library: \(error.message)", offset: 0)
                }
            }
            // Without a flush, the libraries in memory stay unless the file has one by their name.
            for library in (flush ? [] : functionScripting?.libraries.values.sorted(by: { $0.name < $1.name }) ?? [])
            where fresh.libraries[library.name] == nil {
                _ = try? fresh.loadLibrary(library.code, replace: false)
            }
            functions = fresh
        }
        if flush {
            for db in databases {
                signalFlushedDatabase(db)
                db.removeAll()
            }
            invalidateTrackedKeysOnFlush()
        }
        functionScripting = functions
        for entry in contents.entries {
            let db = databases[entry.database]
            setKey(db, entry.key, entry.value)
            if let when = entry.expiresAt { setExpire(db, entry.key, at: when) }
        }
        statistics.rdbLastLoadKeysLoaded = Int64(contents.entries.count)
        statistics.rdbLastLoadKeysExpired = Int64(contents.expiredKeys)
    }

    /// Loads `dir/dbfilename` if it exists, as a server does when it starts. Returns whether a
    /// file was loaded.
    /// - Throws: `RDBFileError` when the file cannot be read, `RDBLoadError` when it is bad.
    @discardableResult
    public func loadRDBFileIfPresent() throws -> Bool {
        guard let bytes = try RDBFile.contents(of: rdbPath) else { return false }
        try withLock { try loadRDB(bytes) }
        return true
    }
}

/// A system call on the RDB file that failed.
public struct RDBFileError: Error, CustomStringConvertible, Sendable {
    /// The call: open, write, fsync, rename or read.
    public let operation: String
    /// The file it was called on.
    public let path: String
    /// `errno`.
    public let code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Whole-file reads and durable writes with POSIX calls.
enum RDBFile {
    /// Writes `bytes` to a new file at `path` and fsyncs it.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(RDBFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw RDBFileError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        if let error = writeAll(bytes, to: fd) {
            unlink(path)
            throw RDBFileError(operation: error.operation, path: path, code: error.code)
        }
        guard fsync(fd) == 0 else {
            let error = RDBFileError(operation: "fsync", path: path, code: errno)
            unlink(path)
            throw error
        }
    }

    /// Writes all of `bytes` to `fd`. Returns the failure, if any.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> RDBFileError? {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                return RDBFileError(operation: "write", path: "", code: errno)
            }
            written += n
        }
        return nil
    }

    /// Fsyncs a directory so that a rename in it is durable; best effort.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// The whole file, or nil when it does not exist.
    static func contents(of path: String) throws(RDBFileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw RDBFileError(operation: "open", path: path, code: errno)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RDBFileError(operation: "read", path: path, code: errno)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}

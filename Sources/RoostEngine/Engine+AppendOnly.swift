import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only file's state in the engine. Touched only under the engine's lock.
struct AppendOnlyState {
    /// The open incremental file while `appendonly` is on.
    var file: AppendOnlyFile?
    /// The manifest as last persisted.
    var manifest = AOFManifest()
    /// The database the last command written to the file ran in; -1 forces a SELECT.
    var selectedDatabase = -1
    /// Commands the running top-level command propagated so far: (database, arguments).
    var pending: [(Int, [ByteBuffer])] = []
    /// How deep `call` is nested (EXEC and scripts call commands within a command).
    var callDepth = 0
    /// What the running handler asked to propagate instead of its own arguments, if anything:
    /// (database, arguments).
    var replacement: [(Int, [ByteBuffer])]?
    /// Set while the files are replayed at start: nothing expires and nothing is propagated.
    var loading = false
    /// Set by WAITAOF: the reply of the batch waits for an fsync whatever the policy.
    var durabilityRequested = false
    /// The log's end at the last barrier: a batch whose barrier is past it wrote.
    var offsetAtLastBarrier: Int64 = -1
    /// Set while `appendonly` was turned on and its first rewrite has not finished (Redis's
    /// `AOF_WAIT_REWRITE`): commands go to a temporary incremental file, if the rewrite runs.
    var waitingForRewrite = false
    /// The running rewrite (`aof_rewrite_in_progress`).
    var rewrite: AppendOnlyRewrite?
    /// Numbers the rewrites, so that a killed one's late completion is told apart.
    var rewriteSerial = 0
    /// A rewrite to start once no snapshot runs (`aof_rewrite_scheduled`).
    var rewriteScheduled = false
    /// INFO figures: rewrites started (`aof_rewrites`), the last one's seconds and status.
    var rewrites = 0
    var lastRewriteSeconds = -1
    var lastRewriteFailed = false
    var consecutiveRewriteFailures = 0
    /// Redis's `aofRewriteLimited` state: after 3 failures in a row, automatic and scheduled
    /// rewrites wait 1, 2, 4… up to 60 minutes.
    var rewriteLimitDelayMinutes = 0
    var nextLimitedRewrite: Int64 = 0
    /// Bytes of the base and of the incremental files before the open one.
    var baseFileSize: Int64 = 0
    var closedIncrementalsSize: Int64 = 0
    /// The total size after the last rewrite or load (`aof_base_size`), for auto-rewrite.
    var sizeAtLastRewrite: Int64 = 0
}

/// The append-only file, Redis 7.0's multi-part layout: a manifest in `appenddirname` names a
/// base file (an RDB image) and incremental files of commands in RESP form.
///
/// Propagation has one point: `Engine.call` hands every write command that ran without an error
/// to `recordPropagation`, after its handler, unless the handler replaced it through
/// `propagate(_:)` (relative expiry times become absolute, SPOP becomes SREM, served blocking pops
/// their non-blocking forms). Commands that EXEC or a script run reach `call` themselves, so a
/// script is written as its effects; when a top-level command propagated more than one command
/// they are wrapped in MULTI/EXEC, as Redis 7.0 does. Keys deleted by expiry or eviction are
/// written as DEL.
extension Engine {
    // MARK: Propagation

    /// Replaces what the running command writes to the append-only file (Redis's
    /// `rewriteClientCommandVector` and `alsoPropagate`); outside any command (a blocked client
    /// served after the command that fed it) writes the commands at once. An empty list writes
    /// nothing. Arguments are text or bytes.
    func propagate(_ db: Database, _ commands: [[AOFArgument]]) {
        guard aof.file != nil, !aof.loading else { return }
        let encoded = commands.map { command in (db.index, command.map(\.buffer)) }
        if aof.callDepth == 0 {
            aof.pending += encoded
            flushPropagation()
        } else {
            aof.replacement = (aof.replacement ?? []) + encoded
        }
    }

    /// Whether commands are being written to an append-only file.
    var isPropagating: Bool { aof.file != nil && !aof.loading }

    /// Called by `call` after a handler ran at depth `aof.callDepth + 1`.
    func recordPropagation(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], database: Int, failed: Bool,
                           outerReplacement: [(Int, [ByteBuffer])]?) {
        let replacement = aof.replacement
        aof.replacement = outerReplacement
        if let replacement {
            aof.pending += replacement
        } else if !failed && resolved.spec.flags.contains(.write) && !resolved.spec.runsScripts {
            aof.pending.append((database, arguments))
        }
        if aof.callDepth == 0 { flushPropagation() }
    }

    /// Writes a key's deletion by expiry or eviction as DEL.
    func propagateDeletion(_ db: Database, _ key: ByteString) {
        guard isPropagating else { return }
        aof.pending.append((db.index, [ByteBuffer(string: "DEL"), ByteBuffer(bytes: key.bytes)]))
        if aof.callDepth == 0 { flushPropagation() }
    }

    /// Appends the pending commands to the file, in MULTI/EXEC when there are several.
    func flushPropagation() {
        guard let file = aof.file, !aof.pending.isEmpty else {
            aof.pending.removeAll()
            return
        }
        // Encoded straight into the file's buffer; the SELECTs needed are decided first.
        let pending = aof.pending
        aof.pending.removeAll(keepingCapacity: true)
        var selected = aof.selectedDatabase
        let first = selected
        for (database, _) in pending { selected = database }
        aof.selectedDatabase = selected
        file.append { out in
            var current = first
            func select(_ database: Int) {
                if database == current { return }
                AppendOnlyFile.encode([ByteBuffer(string: "SELECT"), ByteBuffer(string: String(database))], into: &out)
                current = database
            }
            let wrap = pending.count > 1
            if wrap {
                select(pending[0].0)
                AppendOnlyFile.encode([ByteBuffer(string: "MULTI")], into: &out)
            }
            for (database, arguments) in pending {
                select(database)
                AppendOnlyFile.encode(arguments, into: &out)
            }
            if wrap { AppendOnlyFile.encode([ByteBuffer(string: "EXEC")], into: &out) }
        }
    }

    // MARK: Durability

    /// What the connection must do with the append-only file before sending the replies of the
    /// batch just run, or nil when there is no file. Call with the lock held, at the end of a
    /// batch.
    public func appendOnlyBarrier() -> AppendOnlyBarrier? {
        guard let file = aof.file else {
            aof.durabilityRequested = false
            return nil
        }
        let sync = configuration.appendFsync == .always || aof.durabilityRequested
        let end = file.appendedOffset
        // Batches run one at a time under the lock: the log grew since the last barrier only
        // through this batch (or background expiry, counted with it).
        let carriesWrites = end != aof.offsetAtLastBarrier || aof.durabilityRequested
        aof.offsetAtLastBarrier = end
        aof.durabilityRequested = false
        return AppendOnlyBarrier(file: file, offset: end, sync: sync, carriesWrites: carriesWrites)
    }

    /// Reaches `barrier` (see `AppendOnlyBarrier.reach`); true for nil.
    @discardableResult
    public func reachAppendOnlyBarrier(_ barrier: AppendOnlyBarrier?) -> Bool {
        barrier?.reach() ?? true
    }

    /// The background part of `appendfsync`: writes what is buffered and, under `everysec`,
    /// fsyncs once a second. Returns the file to fsync outside the lock, if one is due. Call with
    /// the lock held from the server's background cycle; it also starts an automatic rewrite
    /// when the file grew past `auto-aof-rewrite-percentage`.
    public func appendOnlyCron(now: Int64, lastFsync: Int64) -> AppendOnlyFile? {
        autoRewriteIfDue()
        guard let current = aof.file else { return nil }
        takeAppendOnlyLatency()
        if current.lastWriteFailed {
            // Redis retries a failed write every cycle; a success lifts the MISCONF refusal.
            current.flush(through: current.appendedOffset, sync: configuration.appendFsync == .always)
            return nil
        }
        if configuration.appendFsync == .everysec && now - lastFsync >= 1000 { return current }
        // Under `always` the connections write and fsync; waiting here for their fsync would
        // hold the engine's lock through it.
        if configuration.appendFsync != .always { current.writeBuffered() }
        return nil
    }

    // MARK: Files

    /// `dir`/`appenddirname`.
    public var appendOnlyDirectory: String {
        let dir = configuration.dir.isEmpty ? "." : configuration.dir
        return (dir.hasSuffix("/") ? dir : dir + "/") + configuration.appendDirName
    }

    func appendOnlyPath(_ name: String) -> String { appendOnlyDirectory + "/" + name }

    /// Writes `manifest` through a temporary file renamed over the manifest, then fsyncs the
    /// directory.
    func persistManifest(_ manifest: AOFManifest) throws(RDBFileError) {
        let name = configuration.appendFilename + ".manifest"
        let temporary = appendOnlyPath("temp-" + name)
        try RDBFile.writeDurably(Array(manifest.text.utf8), to: temporary)
        guard rename(temporary, appendOnlyPath(name)) == 0 else {
            throw RDBFileError(operation: "rename", path: appendOnlyPath(name), code: errno)
        }
        RDBFile.syncDirectory(appendOnlyDirectory)
        aof.manifest = manifest
    }

    /// Whether `appendonly` is on and its file open.
    public var isAppendOnlyOn: Bool { configuration.appendOnly }

    /// `aof_current_size`: the base and incremental files' bytes.
    var appendOnlyCurrentSize: Int64 {
        aof.baseFileSize + aof.closedIncrementalsSize + (aof.file?.currentIncrementalSize ?? 0)
    }

    // MARK: Loading

    /// Opens the append-only file at start when `appendonly` is on: loads the manifest's base
    /// and incremental files into the keyspace (or upgrades an old single `appendfilename` in
    /// `dir`), or creates a first base and incremental file. Returns the lines to log, in
    /// Redis's words. Call instead of loading the RDB file.
    /// - Throws: `AppendOnlyLoadError` when a file is bad, or truncated with
    ///   `aof-load-truncated no`; `RDBFileError` when a file cannot be read or written.
    public func openAppendOnlyFileAtStart() throws -> [String] {
        try withLock {
            var log: [String] = []
            let directory = appendOnlyDirectory
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw RDBFileError(operation: "mkdir", path: directory, code: errno)
            }
            let name = configuration.appendFilename
            let manifestPath = appendOnlyPath(name + ".manifest")
            let dir = configuration.dir.isEmpty ? "." : configuration.dir
            var manifest: AOFManifest
            if let text = try RDBFile.contents(of: manifestPath) {
                manifest = try AOFManifest.parse(String(decoding: text, as: UTF8.self))
            } else if try RDBFile.contents(of: dir + "/" + name) != nil {
                // Redis 7.0's upgrade of a 6.x single file: it becomes the base, moved in.
                guard rename(dir + "/" + name, appendOnlyPath(name)) == 0 else {
                    throw RDBFileError(operation: "rename", path: dir + "/" + name, code: errno)
                }
                manifest = AOFManifest()
                manifest.base = AOFManifest.File(name: name, sequence: 1, type: .base)
                try persistManifest(manifest)
                log.append("Successfully migrated an old-style AOF into the AOF directory")
            } else {
                manifest = AOFManifest()
            }
            aof.manifest = manifest
            if manifest.base == nil && manifest.incrementals.isEmpty {
                // An empty dataset: a first base, written at once as Redis does at start.
                let base = AOFManifest.File(name: "\(name).1.base.rdb", sequence: 1, type: .base)
                let temporary = appendOnlyPath("temp-rewriteaof-\(getpid()).aof")
                let bytes = rdbSnapshot(appendOnlyBase: true)
                try RDBFile.writeDurably(bytes, to: temporary)
                guard rename(temporary, appendOnlyPath(base.name)) == 0 else {
                    throw RDBFileError(operation: "rename", path: appendOnlyPath(base.name), code: errno)
                }
                manifest.base = base
                aof.manifest = manifest
                log.append("Creating AOF base file \(base.name) on server start")
                let first = AOFManifest.File(name: "\(name).1.incr.aof", sequence: 1, type: .incremental)
                manifest.incrementals = [first]
                aof.file = try AppendOnlyFile(path: appendOnlyPath(first.name))
                try persistManifest(manifest)
                log.append("Creating AOF incr file \(first.name) on server start")
                aof.baseFileSize = Int64(bytes.count)
                aof.closedIncrementalsSize = 0
                aof.sizeAtLastRewrite = appendOnlyCurrentSize
                aof.selectedDatabase = -1
                return log
            }
            aof.loading = true
            defer { aof.loading = false }
            let start = Engine.clock()
            var files: [AOFManifest.File] = []
            if let base = manifest.base { files.append(base) }
            files += manifest.incrementals
            var sizes: [Int64] = []
            for (index, file) in files.enumerated() {
                let began = Engine.clock()
                let size = try loadAppendOnlyPart(file, isLast: index == files.count - 1, log: &log)
                sizes.append(size)
                let seconds = Double(Engine.clock() - began) / 1000
                let kind = file.type == .base ? "base" : "incr"
                log.append("DB loaded from \(kind) file \(file.name): \(Self.threeDecimals(seconds)) seconds")
            }
            log.append("DB loaded from append only file: \(Self.threeDecimals(Double(Engine.clock() - start) / 1000)) seconds")
            aof.baseFileSize = manifest.base == nil ? 0 : sizes[0]
            var incrementals = manifest.incrementals
            if incrementals.isEmpty {
                let first = AOFManifest.File(name: "\(name).1.incr.aof", sequence: 1, type: .incremental)
                incrementals.append(first)
                manifest.incrementals = incrementals
                aof.file = try AppendOnlyFile(path: appendOnlyPath(first.name))
                try persistManifest(manifest)
                log.append("Creating AOF incr file \(first.name) on server start")
            } else {
                aof.file = try AppendOnlyFile(path: appendOnlyPath(incrementals.last!.name))
            }
            let incrementalSizes = sizes.dropFirst(manifest.base == nil ? 0 : 1)
            aof.closedIncrementalsSize = incrementalSizes.dropLast().reduce(0, +)
            aof.sizeAtLastRewrite = appendOnlyCurrentSize
            aof.selectedDatabase = -1
            if !configuration.aofDisableAutoGC { for file in manifest.history { unlink(appendOnlyPath(file.name)) } }
            return log
        }
    }

    private static func threeDecimals(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// Loads one file of the log. Returns its size (after any truncation).
    private func loadAppendOnlyPart(_ file: AOFManifest.File, isLast: Bool, log: inout [String]) throws -> Int64 {
        let path = appendOnlyPath(file.name)
        guard let bytes = try RDBFile.contents(of: path) else {
            throw AppendOnlyLoadError(description: "The AOF file \(file.name) doesn't exist")
        }
        if bytes.isEmpty { return 0 }
        var offset = 0
        if bytes.starts(with: Array("REDIS".utf8)) {
            log.append("Reading RDB base file on AOF loading...")
            var reader = RDBReader(bytes, configuration: configuration)
            let contents = try reader.read(now: Int64.min)
            try loadRDBContents(contents, flush: false)
            offset = reader.position
            if offset >= bytes.count { return Int64(bytes.count) }
        }
        // Redis's fake loading client: not a connection, so not counted as one.
        let loader = makeClient()
        statistics.connectionsReceived -= 1
        defer { removeClient(loader) }
        var transaction: [[ByteBuffer]]?
        var lastGood = offset
        while offset < bytes.count {
            switch AppendOnlyCommandParser.next(bytes, at: offset) {
            case .command(let arguments, let end):
                offset = end
                if arguments.isEmpty { continue }
                if arguments[0].readableBytes == 5, arguments[0].getString(at: arguments[0].readerIndex, length: 5)?.lowercased() == "multi" {
                    transaction = []
                } else if arguments[0].readableBytes == 4,
                          arguments[0].getString(at: arguments[0].readerIndex, length: 4)?.lowercased() == "exec" {
                    for command in transaction ?? [] { replay(command, loader) }
                    transaction = nil
                    lastGood = offset
                } else if transaction != nil {
                    transaction!.append(arguments)
                } else {
                    replay(arguments, loader)
                    lastGood = offset
                }
            case .truncated:
                return try truncatedTail(file, path: path, isLast: isLast, at: lastGood, log: &log)
            case .malformed:
                throw AppendOnlyLoadError(description: "Bad file format reading the append only file \(file.name): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>")
            }
        }
        if transaction != nil {
            // A MULTI without its EXEC: the transaction never took effect.
            log.append("Revert incomplete MULTI/EXEC transaction in AOF file \(file.name)")
            return try truncatedTail(file, path: path, isLast: isLast, at: lastGood, log: &log, quiet: true)
        }
        return Int64(bytes.count)
    }

    /// A torn last command: loaded up to it and the file cut there with `aof-load-truncated yes`,
    /// an error otherwise (and always for a file other than the last).
    private func truncatedTail(_ file: AOFManifest.File, path: String, isLast: Bool, at offset: Int,
                               log: inout [String], quiet: Bool = false) throws -> Int64 {
        guard isLast && configuration.aofLoadTruncated else {
            throw AppendOnlyLoadError(description: "Unexpected end of file reading the append only file \(file.name). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
        }
        if !quiet { log.append("!!! Warning: short read while loading the AOF file \(file.name)!!!") }
        log.append("!!! Truncating the AOF \(file.name) at offset \(offset) !!!")
        guard truncate(path, off_t(offset)) == 0 else {
            throw RDBFileError(operation: "truncate", path: path, code: errno)
        }
        log.append("AOF \(file.name) loaded anyway because aof-load-truncated is enabled")
        return Int64(offset)
    }

    /// Runs one command read from the log, as Redis's loader does with its fake client.
    private func replay(_ arguments: [ByteBuffer], _ client: Client) {
        now = Engine.clock()
        guard case .success(let resolved) = resolve(arguments) else { return }
        let errors = statistics.errorReplies
        call(resolved, arguments, for: client)
        // As Redis: an error replying to the log's own commands is unexpected.
        statistics.unexpectedErrorReplies += statistics.errorReplies - errors
        _ = client.reply.take()
    }
}

/// A file of the append-only log that could not be loaded.
public struct AppendOnlyLoadError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in Redis's words.
    public let description: String
}

/// Reads the commands of an incremental file: RESP arrays of bulk strings.
enum AppendOnlyCommandParser {
    enum Step {
        case command([ByteBuffer], end: Int)
        case truncated
        case malformed
    }

    static func next(_ bytes: [UInt8], at start: Int) -> Step {
        var i = start
        func line(prefix: UInt8) -> Int?? {
            guard i < bytes.count else { return .some(nil) }
            guard bytes[i] == prefix else { return nil }
            var j = i + 1
            var value = 0
            var digits = 0
            while j < bytes.count && bytes[j] != 13 {
                let d = Int(bytes[j]) - 48
                guard d >= 0 && d <= 9, digits < 18 else { return nil }
                value = value * 10 + d
                digits += 1
                j += 1
            }
            guard j + 1 < bytes.count else { return .some(nil) }
            guard bytes[j + 1] == 10, digits > 0 else { return nil }
            i = j + 2
            return .some(value)
        }
        guard let countLine = line(prefix: UInt8(ascii: "*")) else { return .malformed }
        guard let count = countLine else { return .truncated }
        var arguments: [ByteBuffer] = []
        arguments.reserveCapacity(count)
        for _ in 0..<count {
            guard let lengthLine = line(prefix: UInt8(ascii: "$")) else { return .malformed }
            guard let length = lengthLine else { return .truncated }
            guard i + length + 2 <= bytes.count else { return .truncated }
            guard bytes[i + length] == 13 && bytes[i + length + 1] == 10 else { return .malformed }
            arguments.append(ByteBuffer(bytes: bytes[i..<(i + length)]))
            i += length + 2
        }
        return .command(arguments, end: i)
    }
}

extension Engine {
    /// INFO persistence's `aof_*` fields, in Redis 7.0's order; the size fields only while
    /// `appendonly` is on.
    var appendOnlyInfoFields: [(String, String)] {
        var fields: [(String, String)] = [
            ("aof_enabled", isAppendOnlyOn ? "1" : "0"),
            ("aof_rewrite_in_progress", aof.rewrite == nil ? "0" : "1"),
            ("aof_rewrite_scheduled", aof.rewriteScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", String(aof.lastRewriteSeconds)),
            ("aof_current_rewrite_time_sec", aof.rewrite.map { String((Engine.clock() - $0.startedAt) / 1000) } ?? "-1"),
            ("aof_last_bgrewrite_status", aof.lastRewriteFailed ? "err" : "ok"),
            ("aof_rewrites", String(aof.rewrites)),
            ("aof_rewrites_consecutive_failures", String(aof.consecutiveRewriteFailures)),
            ("aof_last_write_status", aof.file?.lastWriteFailed == true ? "err" : "ok"),
            ("aof_last_cow_size", "0"),
            ("module_fork_in_progress", "0"),
            ("module_fork_last_cow_size", "0"),
        ]
        if isAppendOnlyOn {
            fields += [
                ("aof_current_size", String(appendOnlyCurrentSize)),
                ("aof_base_size", String(aof.sizeAtLastRewrite)),
                ("aof_pending_rewrite", aof.rewriteScheduled ? "1" : "0"),
                ("aof_buffer_length", String(aof.file?.bufferedBytes ?? 0)),
                ("aof_pending_bio_fsync", "0"),
                ("aof_delayed_fsync", "0"),
            ]
        }
        return fields
    }
}

extension Engine {
    /// Writes and fsyncs what the append-only file has buffered (a server that stops). Call
    /// with the lock held.
    public func syncAppendOnlyFile() {
        flushPropagation()
        aof.file?.sync()
    }
}

/// One argument of a command written to the append-only file: text, bytes or a number.
enum AOFArgument {
    case text(String)
    case bytes([UInt8])
    case buffer(ByteBuffer)
    case number(Int64)

    var buffer: ByteBuffer {
        switch self {
        case .text(let s): return ByteBuffer(string: s)
        case .bytes(let b): return ByteBuffer(bytes: b)
        case .buffer(let b): return b
        case .number(let n): return ByteBuffer(string: String(n))
        }
    }

    static func key(_ key: ByteString) -> AOFArgument { .bytes(key.bytes) }
}

/// The point of the append-only log a batch's replies wait for: the log's end when the batch
/// finished, and whether it must be fsynced (`appendfsync always`, WAITAOF) or only written.
public struct AppendOnlyBarrier: Sendable {
    let file: AppendOnlyFile
    let offset: Int64
    /// Whether the replies wait for an fsync.
    public let sync: Bool
    /// Whether the batch appended to the log (or asked WAITAOF): its replies acknowledge
    /// writes, and must not go out when the log cannot be made durable.
    public let carriesWrites: Bool

    /// Whether the barrier is already reached: written and, if `sync`, fsynced (by this
    /// connection or another one's group commit).
    public var isReached: Bool { sync ? file.isDurable(through: offset) : file.isWritten(through: offset) }

    /// Writes the log through the barrier and fsyncs it when `sync`: one write and one fsync
    /// cover every batch appended so far, whichever connection asks first. Call without the
    /// engine's lock. Returns false when the write or fsync failed: under `appendfsync always`
    /// the replies must then not be sent (Redis exits; see `ConnectionHandler`).
    @discardableResult
    public func reach() -> Bool { file.flush(through: offset, sync: sync) }
}

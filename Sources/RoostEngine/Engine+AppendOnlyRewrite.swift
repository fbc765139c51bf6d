#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A running BGREWRITEAOF: the snapshot writing the new base file, and what its end needs.
struct AppendOnlyRewrite {
    let serial: Int
    let snapshot: RDBSnapshot
    /// The temporary base file the snapshot writes.
    let temporaryPath: String
    /// Unix milliseconds at the start.
    let startedAt: Int64
}

/// BGREWRITEAOF without fork, in Redis 7.0's steps (`rewriteAppendOnlyFileBackground` and
/// `backgroundRewriteDoneHandler`):
///
/// 1. Under the lock, the buffer is written out, a new incremental file is opened and listed in
///    the manifest at once (so that a crash before the new base is in place still replays what
///    it receives), and a point-in-time snapshot (`beginSnapshot`, purpose `.appendOnlyBase`)
///    starts writing `temp-rewriteaof-bg-PID.aof`. Commands go on, and are logged to the new
///    incremental file from then on; the snapshot sees none of them.
/// 2. When the snapshot has written and fsynced the base, its completion (under the lock)
///    renames it to the next base name, marks the previous base and every incremental file but
///    the open one as history, persists the manifest, then deletes the history files.
///
/// Turning `appendonly` on at runtime (Redis's `AOF_WAIT_REWRITE`) logs to a temporary
/// incremental file instead, renamed into the manifest with the base when the rewrite ends.
/// A rewrite, like a BGSAVE, is one of the "child processes": only one runs at a time, and
/// BGSAVE and BGREWRITEAOF schedule themselves behind each other as Redis's do.
extension Engine {
    /// Whether a BGREWRITEAOF is running (`aof_rewrite_in_progress`).
    public var appendOnlyRewriteInProgress: Bool { aof.rewrite != nil }

    /// Redis's `rewriteAppendOnlyFileBackground`: starts a rewrite now. Call only when no
    /// snapshot runs.
    /// - Throws: `RDBFileError` when the directory, the new incremental file, the manifest or
    ///   the temporary base cannot be written (`aof_last_bgrewrite_status` turns `err`), or
    ///   `EBUSY` when a snapshot runs.
    func startAppendOnlyRewrite() throws(RDBFileError) {
        guard snapshots.isEmpty else { throw RDBFileError(operation: "rewrite", path: "", code: EBUSY) }
        do {
            try beginAppendOnlyRewrite()
        } catch {
            aof.lastRewriteFailed = true
            throw error
        }
    }

    private func beginAppendOnlyRewrite() throws(RDBFileError) {
        let directory = appendOnlyDirectory
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw RDBFileError(operation: "mkdir", path: directory, code: errno)
        }
        aof.selectedDatabase = -1
        flushPropagation()
        try openIncrementalForRewrite()
        aof.rewrites += 1
        let temporary = appendOnlyPath("temp-rewriteaof-bg-\(getpid()).aof")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            aof.consecutiveRewriteFailures += 1
            throw RDBFileError(operation: "open", path: temporary, code: errno)
        }
        aof.rewriteSerial += 1
        let serial = aof.rewriteSerial
        let startedAt = Engine.clock()
        let snapshot = beginSnapshot(writingTo: fd, purpose: .appendOnlyBase) { [self] result in
            close(fd)
            finishAppendOnlyRewrite(serial: serial, result)
        }
        guard let snapshot else {
            close(fd)
            unlink(temporary)
            aof.consecutiveRewriteFailures += 1
            throw RDBFileError(operation: "pthread_create", path: temporary, code: EAGAIN)
        }
        aof.rewrite = AppendOnlyRewrite(serial: serial, snapshot: snapshot, temporaryPath: temporary, startedAt: startedAt)
        aof.rewriteScheduled = false
    }

    /// The temporary incremental file of a rewrite that turns `appendonly` on.
    private var temporaryIncrementalName: String { "temp-" + configuration.appendFilename + ".incr" }

    /// Redis's `openNewIncrAofForAppend`: with `appendonly` on, the next incremental file,
    /// listed in the manifest before any command reaches it; while waiting for the first
    /// rewrite, the temporary incremental file. Nothing with `appendonly` off.
    private func openIncrementalForRewrite() throws(RDBFileError) {
        guard isAppendOnlyOn else { return }
        let path: String
        var manifest = aof.manifest
        if aof.waitingForRewrite {
            path = appendOnlyPath(temporaryIncrementalName)
        } else {
            let sequence = manifest.lastIncrementalSequence + 1
            let next = AOFManifest.File(name: "\(configuration.appendFilename).\(sequence).incr.aof", sequence: sequence,
                                        type: .incremental)
            manifest.incrementals.append(next)
            path = appendOnlyPath(next.name)
        }
        let fd = try AppendOnlyFile.openForAppending(path, truncate: true)
        if !aof.waitingForRewrite {
            do {
                try persistManifest(manifest)
            } catch {
                close(fd)
                throw error
            }
        }
        if let file = aof.file {
            aof.closedIncrementalsSize += file.currentIncrementalSize
            file.switchFile(to: path, descriptor: fd)
        } else {
            aof.file = AppendOnlyFile(descriptor: fd, path: path)
        }
    }

    /// Redis's `backgroundRewriteDoneHandler`, run by the snapshot's completion.
    private func finishAppendOnlyRewrite(serial: Int, _ result: Result<RDBSnapshot.Summary, RDBFileError>) {
        // A rewrite killed by `killAppendOnlyRewrite` was already cleaned up.
        guard let rewrite = aof.rewrite, rewrite.serial == serial else { return }
        aof.rewrite = nil
        aof.lastRewriteSeconds = Int((Engine.clock() - rewrite.startedAt) / 1000)
        switch result {
        case .success(let summary):
            do {
                try installRewrittenBase(from: rewrite.temporaryPath, size: Int64(summary.bytes))
                aof.lastRewriteFailed = false
                aof.consecutiveRewriteFailures = 0
                aof.waitingForRewrite = false
            } catch {
                unlink(rewrite.temporaryPath)
                aof.lastRewriteFailed = true
                aof.consecutiveRewriteFailures += 1
            }
        case .failure(let error):
            unlink(rewrite.temporaryPath)
            if error.code != ECANCELED {
                aof.lastRewriteFailed = true
                aof.consecutiveRewriteFailures += 1
            }
        }
        if aof.waitingForRewrite {
            // The first rewrite failed: what the temporary file got is dropped, and the rewrite
            // is tried again.
            dropTemporaryIncremental()
            aof.rewriteScheduled = true
        }
    }

    /// Puts the new base (and, when turning `appendonly` on, the temporary incremental file)
    /// in the manifest, retires the rewritten files as history and deletes them.
    private func installRewrittenBase(from temporary: String, size: Int64) throws(RDBFileError) {
        var manifest = aof.manifest
        let baseSequence = (manifest.base?.sequence ?? 0) + 1
        let base = AOFManifest.File(name: "\(configuration.appendFilename).\(baseSequence).base.rdb", sequence: baseSequence,
                                    type: .base)
        guard rename(temporary, appendOnlyPath(base.name)) == 0 else {
            throw RDBFileError(operation: "rename", path: appendOnlyPath(base.name), code: errno)
        }
        // Redis's order of history entries: the retired incremental files, the old base, then
        // what was already history (kept by `aof-disable-auto-gc`).
        var retired: [AOFManifest.File] = []
        if var old = manifest.base {
            old.type = .history
            retired.append(old)
        }
        retired += manifest.history
        var newIncremental: String?
        if isAppendOnlyOn && aof.waitingForRewrite, let file = aof.file {
            let sequence = manifest.lastIncrementalSequence + 1
            let next = AOFManifest.File(name: "\(configuration.appendFilename).\(sequence).incr.aof", sequence: sequence,
                                        type: .incremental)
            guard rename(appendOnlyPath(temporaryIncrementalName), appendOnlyPath(next.name)) == 0 else {
                let error = RDBFileError(operation: "rename", path: appendOnlyPath(next.name), code: errno)
                unlink(appendOnlyPath(base.name))
                throw error
            }
            file.renamed(to: appendOnlyPath(next.name))
            manifest.incrementals.append(next)
            newIncremental = next.name
        }
        // Every incremental file but the open one was rewritten into the base.
        let keep = isAppendOnlyOn && aof.file != nil ? manifest.incrementals.last : nil
        var retiredIncrementals: [AOFManifest.File] = []
        for var old in manifest.incrementals where old.name != keep?.name {
            old.type = .history
            retiredIncrementals.append(old)
        }
        retired = retiredIncrementals + retired
        manifest.base = base
        manifest.incrementals = keep.map { [$0] } ?? []
        manifest.history = retired
        do {
            try persistManifest(manifest)
        } catch {
            unlink(appendOnlyPath(base.name))
            if let newIncremental { rename(appendOnlyPath(newIncremental), appendOnlyPath(temporaryIncrementalName)) }
            throw error
        }
        aof.baseFileSize = size
        aof.closedIncrementalsSize = 0
        aof.sizeAtLastRewrite = appendOnlyCurrentSize
        deleteAppendOnlyHistory()
    }

    /// Redis's `aofDelHistoryFiles`: deletes the files a rewrite retired and drops them from the
    /// manifest, unless `aof-disable-auto-gc` keeps them. A failure here leaves them listed,
    /// deleted at the next start.
    func deleteAppendOnlyHistory() {
        guard !configuration.aofDisableAutoGC, !aof.manifest.history.isEmpty else { return }
        var manifest = aof.manifest
        for file in manifest.history { unlink(appendOnlyPath(file.name)) }
        manifest.history = []
        try? persistManifest(manifest)
    }

    /// Stops logging to the temporary incremental file of a first rewrite that failed.
    private func dropTemporaryIncremental() {
        guard aof.file != nil, aof.waitingForRewrite else { return }
        aof.file = nil
        aof.pending.removeAll()
        unlink(appendOnlyPath(temporaryIncrementalName))
    }

    /// Redis's `killAppendOnlyChild`: abandons a running rewrite at once; its temporary base is
    /// deleted and the previous files stay as they are.
    public func killAppendOnlyRewrite() {
        guard let rewrite = aof.rewrite else { return }
        aof.rewrite = nil
        abandonSnapshot(rewrite.snapshot)
        snapshotEnded(rewrite.snapshot)
        unlink(rewrite.temporaryPath)
    }

    // MARK: Scheduling

    /// Redis's `aofRewriteLimited`: whether automatic and scheduled rewrites wait after 3
    /// failures in a row (1 minute, then 2, 4… up to an hour).
    func appendOnlyRewriteLimited() -> Bool {
        if aof.consecutiveRewriteFailures < 3 {
            aof.rewriteLimitDelayMinutes = 0
            aof.nextLimitedRewrite = 0
            return false
        }
        let now = Engine.clock() / 1000
        if aof.nextLimitedRewrite != 0 {
            if now < aof.nextLimitedRewrite { return true }
            aof.nextLimitedRewrite = 0
            return false
        }
        aof.rewriteLimitDelayMinutes = min(60, aof.rewriteLimitDelayMinutes == 0 ? 1 : aof.rewriteLimitDelayMinutes * 2)
        aof.nextLimitedRewrite = now + Int64(aof.rewriteLimitDelayMinutes) * 60
        return true
    }

    /// Starts a scheduled rewrite once no snapshot runs (the server cycle's first step).
    func startScheduledAppendOnlyRewrite() {
        if snapshots.isEmpty && aof.rewriteScheduled && !appendOnlyRewriteLimited() {
            try? startAppendOnlyRewrite()
        }
    }

    /// Starts an automatic rewrite when the log grew past `auto-aof-rewrite-percentage` of its
    /// size after the last rewrite and past `auto-aof-rewrite-min-size`, as Redis's serverCron.
    func autoRewriteIfDue() {
        let percentage = configuration.autoAOFRewritePercentage
        guard percentage > 0, isAppendOnlyOn, !aof.waitingForRewrite, aof.file != nil, snapshots.isEmpty else { return }
        let current = appendOnlyCurrentSize
        guard current > configuration.autoAOFRewriteMinSize else { return }
        let base = max(aof.sizeAtLastRewrite, 1)
        if current * 100 / base - 100 >= percentage && !appendOnlyRewriteLimited() {
            try? startAppendOnlyRewrite()
        }
    }

    /// BGREWRITEAOF's decision, with Redis's replies: already running, scheduled behind a
    /// snapshot (or inside EXEC), started, or failed.
    func requestAppendOnlyRewrite(inTransaction: Bool) throws(RedisError) -> String {
        if aof.rewrite != nil { throw RedisError("ERR Background append only file rewriting already in progress") }
        if !snapshots.isEmpty || inTransaction {
            aof.rewriteScheduled = true
            aof.consecutiveRewriteFailures = 0
            return "Background append only file rewriting scheduled"
        }
        do {
            try startAppendOnlyRewrite()
        } catch {
            throw RedisError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
        }
        return "Background append only file rewriting started"
    }

    // MARK: CONFIG SET appendonly

    /// CONFIG SET appendonly: on, the log starts with a rewrite of the keyspace (Redis's
    /// `startAppendOnly`), which runs in the background after the reply, or is scheduled behind
    /// a running BGSAVE; off, the file is written, fsynced and closed and a running rewrite is
    /// killed.
    /// - Throws: `RDBFileError` when the rewrite cannot start; `appendonly` stays off.
    public func setAppendOnly(_ on: Bool, inTransaction: Bool = false) throws(RDBFileError) {
        if on == isAppendOnlyOn { return }
        if on {
            configuration.appendOnly = true
            aof.waitingForRewrite = true
            if aof.manifest.base == nil,
               let text = try? RDBFile.contents(of: appendOnlyPath(configuration.appendFilename + ".manifest")),
               let manifest = try? AOFManifest.parse(String(decoding: text, as: UTF8.self)) {
                aof.manifest = manifest
            }
            let otherSnapshot = snapshots.contains { snapshot in aof.rewrite?.snapshot !== snapshot }
            if otherSnapshot || inTransaction {
                aof.rewriteScheduled = true
                return
            }
            // A rewrite running while `appendonly` was off is not logging: start again.
            killAppendOnlyRewrite()
            do {
                try startAppendOnlyRewrite()
            } catch {
                configuration.appendOnly = false
                aof.waitingForRewrite = false
                aof.file = nil
                throw error
            }
        } else {
            flushPropagation()
            aof.file?.sync()
            aof.file = nil
            aof.selectedDatabase = -1
            configuration.appendOnly = false
            aof.waitingForRewrite = false
            aof.rewriteScheduled = false
            killAppendOnlyRewrite()
        }
    }
}

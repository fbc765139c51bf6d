#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The bookkeeping of RDB saves that INFO persistence, LASTSAVE, save points and
/// `stop-writes-on-bgsave-error` read.
struct RDBSaveState {
    /// Changes since the last successful save (`rdb_changes_since_last_save`, Redis's `dirty`).
    var dirty: Int64 = 0
    /// `dirty` when the running BGSAVE started: what its success subtracts.
    var dirtyAtBackgroundSaveStart: Int64 = 0
    /// The running BGSAVE's snapshot.
    var backgroundSave: RDBSnapshot?
    /// Whether the last BGSAVE (or SAVE) succeeded (`rdb_last_bgsave_status`).
    var lastBackgroundSaveOK = true
    /// Seconds the last BGSAVE took, -1 before the first.
    var lastBackgroundSaveSeconds: Int64 = -1
    /// Unix seconds of the last BGSAVE attempt, for the 5-second retry delay after a failure.
    var lastBackgroundSaveTry: Int64 = 0
    /// BGSAVE SCHEDULE while another snapshot ran.
    var backgroundSaveScheduled = false
    /// What the running command counts as its changes, when it counts elements rather than one
    /// per key it touched (see `Engine.countChanges`).
    var commandChanges: Int64?
}

/// Point-in-time snapshots without fork (`RDBSnapshot`), BGSAVE, save points and the MISCONF
/// refusal. Call everything here with the engine's lock held.
extension Engine {
    /// Redis's `CONFIG_BGSAVE_RETRY_DELAY`: seconds before a save point retries a failed BGSAVE.
    static let backgroundSaveRetryDelay: Int64 = 5

    // MARK: The reusable snapshot API

    /// Starts a point-in-time RDB image of every database and the function libraries, written
    /// to `fileDescriptor` by a background thread while commands keep running. The image is
    /// the keyspace as it is now; later writes do not reach it. No client waits more than one
    /// slice of the walk (see `RDBSnapshot`).
    ///
    /// The thread writes the whole file (header, keys, EOF, CRC-64) and fsyncs it, but neither
    /// closes nor renames it. `completion` runs once, on that thread with the engine's lock
    /// held, with the figures or the failing call (`ECANCELED` after `abandonSnapshot`).
    /// - Parameter purpose: `.appendOnlyBase` sets the `aof-base` aux field, for the base file
    ///   of an AOF rewrite.
    /// - Returns: the running snapshot, or nil (and `completion` is not called) when no thread
    ///   could be started.
    @discardableResult
    func beginSnapshot(writingTo fileDescriptor: Int32, purpose: RDBSnapshot.Purpose,
                       completion: @escaping (Result<RDBSnapshot.Summary, RDBFileError>) -> Void) -> RDBSnapshot? {
        let snapshot = RDBSnapshot(engine: self, fileDescriptor: fileDescriptor, purpose: purpose, completion: completion)
        snapshots.append(snapshot)
        guard snapshot.start(on: self) else {
            snapshotEnded(snapshot)
            return nil
        }
        return snapshot
    }

    /// Stops a running snapshot; its completion reports `ECANCELED`.
    func abandonSnapshot(_ snapshot: RDBSnapshot) {
        snapshot.abandon()
    }

    /// Forgets a snapshot that finished, failed or was abandoned, unpinning its tables.
    func snapshotEnded(_ snapshot: RDBSnapshot) {
        snapshots.removeAll { $0 === snapshot }
        snapshot.release()
    }

    /// Called before any change to `key` in `db`: running snapshots copy its old value first.
    @inline(__always)
    func preserveForSnapshots(_ db: Database, _ key: ByteString) {
        for snapshot in snapshots { snapshot.preserve(db, key) }
    }

    /// Called before `db` is emptied.
    func detachFromSnapshots(_ db: Database) {
        for snapshot in snapshots { snapshot.detach(db) }
    }

    // MARK: BGSAVE

    /// Makes the running command count `changes` toward `rdb_changes_since_last_save` (and
    /// the save points) in place of one per key it changed: Redis counts elements, e.g. RPUSH
    /// of 3 values is 3 changes, HSET of 2 fields 2, SADD the members added.
    func countChanges(_ changes: Int) {
        saveState.commandChanges = Int64(changes)
    }

    /// Whether a BGSAVE is running (`rdb_bgsave_in_progress`).
    public var backgroundSaveInProgress: Bool { saveState.backgroundSave != nil }

    /// Starts a BGSAVE: a snapshot into `dir/temp-bgsave-PID.rdb`, renamed over `dbfilename`
    /// when complete. A file that cannot be opened makes it fail at once, as a Redis child that
    /// cannot open its file does: `rdb_last_bgsave_status` turns `err`.
    func startBackgroundSave() {
        let dir = configuration.dir.isEmpty ? "." : configuration.dir
        let temporary = dir + "/temp-bgsave-\(getpid()).rdb"
        let target = rdbPath
        let startedAt = Engine.clock()
        saveState.lastBackgroundSaveTry = startedAt / 1000
        saveState.dirtyAtBackgroundSaveStart = saveState.dirty
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            saveState.lastBackgroundSaveOK = false
            return
        }
        let snapshot = beginSnapshot(writingTo: fd, purpose: .backgroundSave) { [self] result in
            close(fd)
            saveState.backgroundSave = nil
            let finishedAt = Engine.clock()
            saveState.lastBackgroundSaveSeconds = (finishedAt - startedAt) / 1000
            switch result {
            case .success:
                if rename(temporary, target) == 0 {
                    RDBFile.syncDirectory(dir)
                    lastSave = finishedAt / 1000
                    saveState.dirty -= saveState.dirtyAtBackgroundSaveStart
                    saveState.lastBackgroundSaveOK = true
                    statistics.rdbSaves += 1
                } else {
                    unlink(temporary)
                    saveState.lastBackgroundSaveOK = false
                }
            case .failure(let error):
                unlink(temporary)
                // A BGSAVE stopped on purpose (SHUTDOWN, FLUSHALL) is no failure, as in Redis.
                if error.code != ECANCELED { saveState.lastBackgroundSaveOK = false }
            }
        }
        if let snapshot {
            saveState.backgroundSave = snapshot
        } else {
            close(fd)
            unlink(temporary)
            saveState.lastBackgroundSaveOK = false
        }
    }

    /// Stops a running BGSAVE without touching `dbfilename` (before SHUTDOWN's own save).
    func abandonBackgroundSave() {
        if let snapshot = saveState.backgroundSave { abandonSnapshot(snapshot) }
    }

    /// What SIGTERM does before the server stops, as Redis's `prepareForShutdown`: with save
    /// points set, a SAVE (after abandoning a running BGSAVE). Returns whether it saved.
    /// - Throws: `RDBFileError` when the save fails.
    @discardableResult
    public func saveBeforeShutdown() throws(RDBFileError) -> Bool {
        if configuration.savePoints.isEmpty { return false }
        abandonBackgroundSave()
        try saveRDB()
        return true
    }

    /// FLUSHALL's persistence step, as Redis's `flushAllDataAndResetRDB`: a running BGSAVE is
    /// abandoned (its image would bring the flushed keys back) and, with save points set, the
    /// empty dataset is saved at once.
    func resetRDBAfterFlushAll() {
        abandonBackgroundSave()
        if !configuration.savePoints.isEmpty { try? saveRDB() }
    }

    /// SAVE's bookkeeping on success: no changes pending, status ok.
    func noteForegroundSave() {
        saveState.dirty = 0
        saveState.lastBackgroundSaveOK = true
    }

    /// Whether any snapshot other than a BGSAVE runs (an AOF rewrite): BGSAVE then waits, as
    /// Redis's does for another child.
    var otherSnapshotInProgress: Bool {
        snapshots.contains { $0.purpose != .backgroundSave }
    }

    // MARK: Save points

    /// The save points' check, run by the server's background cycle (Redis's `serverCron`): a
    /// scheduled BGSAVE once nothing else runs, else a BGSAVE when a point is met (`changes`
    /// since the last save and more than `seconds` since it), waiting 5 s after a failure.
    public func persistenceCron() {
        startScheduledAppendOnlyRewrite()
        if !snapshots.isEmpty { return }
        let now = Engine.clock() / 1000
        let mayRetry = now - saveState.lastBackgroundSaveTry > Engine.backgroundSaveRetryDelay || saveState.lastBackgroundSaveOK
        if saveState.backgroundSaveScheduled && mayRetry {
            saveState.backgroundSaveScheduled = false
            startBackgroundSave()
            return
        }
        for point in configuration.savePoints
        where saveState.dirty >= point.changes && now - lastSave > point.seconds && mayRetry {
            startBackgroundSave()
            return
        }
    }

    // MARK: stop-writes-on-bgsave-error

    /// Whether write commands (and PING) are refused with MISCONF: the last BGSAVE failed while
    /// save points are set and `stop-writes-on-bgsave-error` is on.
    var writesDeniedByDiskError: Bool {
        configuration.stopWritesOnBackgroundSaveError && !configuration.savePoints.isEmpty
            && !saveState.lastBackgroundSaveOK
    }

    /// Redis's `writeCommandsDeniedByDiskError`: the MISCONF refusal of writes (and PING)
    /// after a failed BGSAVE (see `writesDeniedByDiskError`), or while the append-only file's
    /// last write or fsync failed, naming the error.
    var diskErrorRefusal: RedisError? {
        if writesDeniedByDiskError { return .writesDeniedByRDBError }
        if isAppendOnlyOn, let file = aof.file {
            let code = file.lastWriteError
            if code != 0 { return .writesDeniedByAOFError(code) }
        }
        return nil
    }

    // MARK: INFO

    /// INFO persistence's RDB fields, in Redis 7.0's order, up to `aof_enabled`.
    func rdbInfoFields() -> [(String, String)] {
        let running = saveState.backgroundSave
        let elapsed = running.map { String((Engine.clock() - $0.startedAt) / 1000) } ?? "-1"
        return [
            ("loading", "0"),
            ("async_loading", "0"),
            // No fork, so no copy-on-write pages.
            ("current_cow_peak", "0"),
            ("current_cow_size", "0"),
            ("current_cow_size_age", "0"),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", String(running?.keysWritten ?? 0)),
            ("current_save_keys_total", String(running?.keysTotal ?? 0)),
            ("rdb_changes_since_last_save", String(saveState.dirty)),
            ("rdb_bgsave_in_progress", running == nil ? "0" : "1"),
            ("rdb_last_save_time", String(lastSave)),
            ("rdb_last_bgsave_status", saveState.lastBackgroundSaveOK ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", String(saveState.lastBackgroundSaveSeconds)),
            ("rdb_current_bgsave_time_sec", elapsed),
            ("rdb_saves", String(statistics.rdbSaves)),
            ("rdb_last_cow_size", "0"),
            ("rdb_last_load_keys_expired", String(statistics.rdbLastLoadKeysExpired)),
            ("rdb_last_load_keys_loaded", String(statistics.rdbLastLoadKeysLoaded)),
        ]
    }
}

import NIOCore

/// Persistence commands: SAVE, BGSAVE and DEBUG (RELOAD). The snapshots themselves live in
/// Engine+Persistence.swift, Engine+Snapshots.swift and Persistence/.
enum PersistenceCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("save", arity: 1, flags: [.admin, .noscript, .noAsyncLoading, .noMulti], categories: ["admin", "slow", "dangerous"],
                    group: "server", summary: "Synchronously save the dataset to disk",
                    complexity: "O(N) where N is the total number of keys in all databases", handler: save),
        CommandSpec("bgsave", arity: -1, flags: [.admin, .noscript, .noAsyncLoading], categories: ["admin", "slow", "dangerous"],
                    group: "server", summary: "Asynchronously save the dataset to disk", complexity: "O(1)",
                    handler: bgsave),
        CommandSpec("debug", arity: -2, flags: [.admin, .noscript, .loading, .stale, .protected],
                    categories: ["admin", "slow", "dangerous"], group: "server",
                    summary: "A container for debugging commands", complexity: "Depends on subcommand.",
                    handler: debug),
    ]

    static func save(_ c: CommandContext) throws(RedisError) {
        if c.engine.backgroundSaveInProgress { throw .backgroundSaveInProgress }
        do {
            try c.engine.saveRDB()
        } catch {
            throw .saveFailed
        }
        c.reply.ok()
    }

    /// BGSAVE [SCHEDULE]: a point-in-time snapshot written by a background thread, with
    /// Redis 7.0's replies. Inside EXEC (where blocking is denied) it is scheduled, as Redis
    /// schedules it while `in_exec`.
    static func bgsave(_ c: CommandContext) throws(RedisError) {
        var schedule = false
        if c.count > 1 {
            guard c.count == 2, c.argument(1, is: "schedule") else { throw .syntax }
            schedule = true
        }
        let engine = c.engine
        if engine.backgroundSaveInProgress { throw .backgroundSaveInProgress }
        if engine.otherSnapshotInProgress || c.client.denyBlocking {
            guard schedule || c.client.denyBlocking else { throw .otherSnapshotActive }
            engine.saveState.backgroundSaveScheduled = true
            c.reply.status("Background saving scheduled")
            return
        }
        engine.startBackgroundSave()
        c.reply.status("Background saving started")
    }

    static func debug(_ c: CommandContext) throws(RedisError) {
        guard c.argument(1, is: "reload") else { return try DebugCommands.run(c) }
        var save = true, flush = true
        for i in 2..<c.count {
            if c.argument(i, is: "merge") {
                continue
            } else if c.argument(i, is: "noflush") {
                flush = false
            } else if c.argument(i, is: "nosave") {
                save = false
            } else {
                throw .debugReloadOptions
            }
        }
        if save {
            do {
                try c.engine.saveRDB()
            } catch {
                throw .debugReloadSaveFailed
            }
        }
        do {
            guard let bytes = try RDBFile.contents(of: c.engine.rdbPath) else { throw RDBLoadError(message: "No file", offset: 0) }
            try c.engine.loadRDB(bytes, flush: flush)
        } catch {
            throw .debugReloadLoadFailed
        }
        c.reply.ok()
    }
}

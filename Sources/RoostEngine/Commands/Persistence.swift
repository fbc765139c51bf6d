import NIOCore

/// Persistence commands: SAVE and DEBUG (RELOAD). The snapshot itself lives in
/// Engine+Persistence.swift and Persistence/.
enum PersistenceCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("save", arity: 1, flags: [.admin, .noscript, .noAsyncLoading, .noMulti], categories: ["admin", "slow", "dangerous"],
                    group: "server", summary: "Synchronously save the dataset to disk",
                    complexity: "O(N) where N is the total number of keys in all databases", handler: save),
        CommandSpec("debug", arity: -2, flags: [.admin, .noscript, .loading, .stale, .protected],
                    categories: ["admin", "slow", "dangerous"], group: "server",
                    summary: "A container for debugging commands", complexity: "Depends on subcommand.",
                    handler: debug),
    ]

    static func save(_ c: CommandContext) throws(RedisError) {
        do {
            try c.engine.saveRDB()
        } catch {
            throw .saveFailed
        }
        c.reply.ok()
    }

    static func debug(_ c: CommandContext) throws(RedisError) {
        guard c.argument(1, is: "reload") else { throw .subcommandSyntax(c.arguments) }
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

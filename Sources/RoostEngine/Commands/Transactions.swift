import NIOCore

/// Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH.
///
/// Queueing happens in dispatch (`Engine.execute`): inside MULTI every command but EXEC, DISCARD,
/// MULTI, WATCH, QUIT and RESET is checked, then queued. A command rejected while queueing dooms
/// the transaction (`Transaction.failed`, EXEC answers EXECABORT). A change to a watched key sets
/// `Client.watchDirty` and drops all of that client's watches (EXEC answers a null array).
/// Each watch remembers whether its key was already logically expired when watched, as Redis 7.0
/// does, so that such a key's later deletion is not a change but its expiry afterwards is.
enum TransactionCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    categories: ["fast", "transaction"], group: "transactions", since: "1.2.0",
                    summary: "Mark the start of a transaction block", handler: multi),
        CommandSpec("exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog],
                    categories: ["slow", "transaction"], group: "transactions", since: "1.2.0",
                    summary: "Execute all commands issued after MULTI", runsScripts: true,
                    handler: exec),
        CommandSpec("discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    categories: ["fast", "transaction"], group: "transactions", since: "2.0.0",
                    summary: "Discard all commands issued after MULTI", handler: discard),
        CommandSpec("watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    categories: ["fast", "transaction"], group: "transactions", since: "2.2.0",
                    summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
                    handler: watch),
        CommandSpec("unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    categories: ["fast", "transaction"], group: "transactions", since: "2.2.0",
                    summary: "Forget about all watched keys", handler: unwatch),
    ]

    // MARK: Transaction API

    /// Drops every watch of a client (disconnect, EXEC, DISCARD, UNWATCH, RESET). The dirty flag
    /// is left to the caller.
    static func unwatchAll(engine: Engine, client: Client) {
        if client.watchedKeys.isEmpty { return }
        for watched in client.watchedKeys.keys {
            guard var list = engine.watchers[watched] else { continue }
            list.removeAll { $0 === client }
            engine.watchers[watched] = list.isEmpty ? nil : list
        }
        client.watchedKeys.removeAll()
    }

    /// Ends the client's transaction, if any, and clears its watches and dirty flag (EXEC,
    /// DISCARD, RESET).
    static func discardTransaction(engine: Engine, client: Client) {
        client.transaction = nil
        client.watchDirty = false
        unwatchAll(engine: engine, client: client)
    }

    /// Marks `client` as having seen a change to a watched key, and drops its watches: nothing it
    /// watches can matter any more.
    static func markDirty(engine: Engine, client: Client) {
        client.watchDirty = true
        unwatchAll(engine: engine, client: client)
    }

    /// Whether a watched key that was live when watched has logically expired since
    /// (Redis 7.0's `isWatchedKeyExpired`).
    static func watchedKeyExpired(engine: Engine, client: Client) -> Bool {
        for (watched, expiredWhenWatched) in client.watchedKeys where !expiredWhenWatched {
            if engine.isExpired(engine.databases[watched.database], watched.key) { return true }
        }
        return false
    }

    // MARK: Commands

    static func multi(_ c: CommandContext) throws(RedisError) {
        if c.client.transaction != nil { throw .multiNested }
        c.client.transaction = Transaction()
        c.reply.ok()
    }

    static func discard(_ c: CommandContext) throws(RedisError) {
        if c.client.transaction == nil { throw .discardWithoutMulti }
        discardTransaction(engine: c.engine, client: c.client)
        c.reply.ok()
    }

    static func exec(_ c: CommandContext) throws(RedisError) {
        let client = c.client, engine = c.engine
        guard let transaction = client.transaction else { throw .execWithoutMulti }
        if watchedKeyExpired(engine: engine, client: client) { client.watchDirty = true }
        if transaction.failed || client.watchDirty {
            discardTransaction(engine: engine, client: client)
            if transaction.failed { throw .execAbort }
            c.reply.nullArray()
            return
        }
        unwatchAll(engine: engine, client: client)
        // Hook for blocking commands: while this is set they must answer as on timeout
        // instead of waiting (Redis's CLIENT_DENY_BLOCKING).
        let wasDenyingBlocking = client.denyBlocking
        client.denyBlocking = true
        c.reply.arrayHeader(transaction.commands.count)
        for arguments in transaction.commands {
            switch engine.resolve(arguments) {
            case .success(let resolved):
                // The ACL may have changed since the command was queued.
                if let denial = engine.aclDenial(resolved, arguments, for: client, context: .multi) {
                    engine.countError(.aclDeniedInExec(denial))
                    client.reply.error(.aclDeniedInExec(denial))
                    continue
                }
                engine.call(resolved, arguments, for: client)
            case .failure(let error):
                client.reply.error(error)
            }
        }
        client.denyBlocking = wasDenyingBlocking
        // A queued UNWATCH or WATCH-breaking command may have left state behind; EXEC ends clean.
        client.transaction = nil
        client.watchDirty = false
        unwatchAll(engine: engine, client: client)
    }

    static func watch(_ c: CommandContext) throws(RedisError) {
        if c.client.transaction != nil { throw .watchInsideMulti }
        let client = c.client, engine = c.engine
        if client.watchDirty {
            c.reply.ok()
            return
        }
        let db = c.database
        for i in 1..<c.count {
            let watched = WatchedKey(database: db.index, key: c.key(i))
            if client.watchedKeys[watched] != nil { continue }
            client.watchedKeys[watched] = engine.isExpired(db, watched.key)
            engine.watchers[watched, default: []].append(client)
        }
        c.reply.ok()
    }

    static func unwatch(_ c: CommandContext) throws(RedisError) {
        unwatchAll(engine: c.engine, client: c.client)
        c.client.watchDirty = false
        c.reply.ok()
    }
}

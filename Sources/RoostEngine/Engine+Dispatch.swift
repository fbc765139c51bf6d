import NIOCore

/// Command dispatch: lookup, the checks Redis's `processCommand` makes, in its order, then the
/// call. Call `execute` with the lock held.
extension Engine {
    /// Runs one command for `client`, writing its reply to `client.reply` (unless CLIENT REPLY
    /// turned replies off). `arguments` holds the name at index 0 and is never empty.
    public func execute(_ arguments: [ByteBuffer], for client: Client) {
        if tracking.clientCount != 0 {
            executeTracked(arguments, for: client)
            return
        }
        executeUntracked(arguments, for: client)
    }

    /// `execute` without client-side caching's bookkeeping.
    func executeUntracked(_ arguments: [ByteBuffer], for client: Client) {
        if client.replyControl != .on {
            executeUnderReplyControl(arguments, for: client)
            return
        }
        dispatch(arguments, for: client)
    }

    /// `execute` without CLIENT REPLY's filtering.
    func dispatch(_ arguments: [ByteBuffer], for client: Client) {
        let clock = Engine.clock()
        // While a script is busy the time it sees stands still.
        if busyScript == nil { now = clock }
        client.lastInteraction = clock
        let resolved: ResolvedCommand
        switch resolve(arguments) {
        case .success(let r): resolved = r
        case .failure(let error):
            reject(client, error)
            return
        }
        let spec = resolved.spec
        if (spec.arity > 0 && spec.arity != arguments.count) || arguments.count < -spec.arity {
            reject(client, .wrongArity(resolved.fullName), resolved)
            return
        }
        if spec.flags.contains(.protected) {
            // Redis's protected commands: DEBUG, and MODULE LOAD, LOADEX and UNLOAD.
            let isModule = resolved.parentName == "module"
            if !(isModule ? configuration.allowsModuleCommand(from: client) : configuration.allowsDebugCommand(from: client)) {
                reject(client, isModule ? .moduleNotAllowed : .debugNotAllowed, resolved)
                return
            }
        }
        if !client.isAuthenticated && !spec.flags.contains(.noAuth) && acl.authenticationRequired {
            reject(client, .noAuth, resolved)
            return
        }
        if client.transaction != nil && spec.flags.contains(.noMulti) {
            reject(client, .notAllowedInMulti, resolved)
            return
        }
        if let denial = aclDenial(resolved, arguments, for: client, context: client.transaction != nil ? .multi : .toplevel) {
            reject(client, .aclDenied(denial, command: resolved.fullName), resolved)
            return
        }
        if configuration.maxMemory > 0 && busyScript == nil {
            let outOfMemory = !performEvictions()
            if outOfMemory && refusedForMemory(resolved, arguments, client) {
                reject(client, .outOfMemory, resolved)
                return
            }
            // Redis's `pre_command_oom_state`, which scripts check at their first write.
            if spec.runsScripts { commandStartedOutOfMemory = outOfMemory }
        }
        if spec.flags.contains(.write) || resolved.fullName == "ping", let refusal = diskErrorRefusal {
            reject(client, refusal, resolved)
            return
        }
        if client.reply.protocolVersion == 2 && client.isSubscribed
            && !Engine.allowedWhileSubscribed(resolved) {
            reject(client, .notAllowedWhileSubscribed(resolved.fullName), resolved)
            return
        }
        if let busy = busyError(for: spec) {
            reject(client, busy, resolved)
            return
        }
        if clientPause != nil && postpones(resolved, arguments, client) {
            postpone(client, arguments, resolved.fullName)
            return
        }
        if client.transaction != nil && !Engine.runsInsideMulti(resolved) {
            // Like Redis, a transaction already doomed keeps answering QUEUED without storing.
            if !client.transaction!.failed && !client.watchDirty {
                client.transaction!.commands.append(arguments)
            }
            client.reply.status("QUEUED")
            return
        }
        if spec.runsScripts {
            // A busy script suspended it; `continueScript` finishes it.
            guard callOnScriptFiber(resolved, arguments, for: client) else { return }
        } else {
            call(resolved, arguments, for: client)
        }
        if !postponedClients.isEmpty && clientPause == nil { runPostponedCommands() }
        // Blocked clients are served once the whole command (EXEC, a script) is done.
        if !blocking.readyKeys.isEmpty && busyScript == nil {
            serveReadyKeys()
            // Served pops changed values outside any `call`.
            if !pendingCharges.isEmpty { settleCharges() }
        }
    }

    /// Runs an already checked command. EXEC calls this for each queued command.
    func call(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], for client: Client) {
        client.lastCommand = resolved.fullName
        statistics.commandsProcessed += 1
        let context = CommandContext(engine: self, client: client, arguments: arguments, command: resolved)
        if commandStartedOutOfMemory && configuration.maxMemory > 0 {
            if resolved.spec.runsScripts { scriptHasWritten = false }
            if scriptCallDeniedForMemory(resolved.spec, client: client) {
                countError(.outOfMemory)
                countRejection(resolved)
                client.reply.error(.outOfMemory)
                return
            }
            if resolved.spec.flags.contains(.write) { scriptHasWritten = true }
        }
        let outerWrite = runningWriteCommand
        runningWriteCommand = resolved.spec.flags.contains(.write)
        // The append-only file's one propagation point (Engine+AppendOnly.swift).
        let propagating = aof.file != nil && !aof.loading
        let outerReplacement = aof.replacement
        let database = client.database.index
        var failed = false
        if propagating {
            aof.replacement = nil
            aof.callDepth += 1
        }
        // Redis's `server.dirty`: one change per key a command changed, unless it counts its
        // elements (`countChanges`).
        let dirtyBefore = saveState.dirty
        let outerChanges = saveState.commandChanges
        saveState.commandChanges = nil
        errorsBeforeLastCall = statistics.errorReplies
        // MONITOR sees a script (the `skip_monitor` commands) before it runs and any other
        // command after, as in Redis.
        let monitored = !monitors.isEmpty && !resolved.spec.flags.contains(.admin) && !aof.loading
        let monitoredFirst = monitored && resolved.spec.flags.contains(.skipMonitor)
        if monitoredFirst { feedMonitors(arguments, resolved.fullName, from: client) }
        let started = Engine.monotonicMicroseconds()
        do {
            try resolved.spec.handler?(context)
        } catch {
            countError(error)
            client.reply.error(error)
            failed = true
        }
        countCall(resolved, arguments, client: client, microseconds: Engine.monotonicMicroseconds() - started)
        if monitored && !monitoredFirst { feedMonitors(arguments, resolved.fullName, from: client) }
        if tracking.clientCount != 0 && resolved.spec.flags.contains(.readonly) {
            rememberTrackedKeys(resolved, arguments, for: client)
        }
        if let changes = saveState.commandChanges { saveState.dirty = dirtyBefore + changes }
        saveState.commandChanges = outerChanges
        if propagating {
            aof.callDepth -= 1
            recordPropagation(resolved, arguments, database: database, failed: failed, outerReplacement: outerReplacement)
        }
        // FLUSHDB, SWAPDB and expiry changes reach the tables without a store or a deletion.
        if runningWriteCommand { keyspaceMemoryStale = true }
        runningWriteCommand = outerWrite
        if !pendingCharges.isEmpty { settleCharges() }
    }

    /// Whether a command is refused while used memory is over `maxmemory`, as Redis's
    /// `processCommand` decides: `denyoom` commands (for EXEC, a queued one; for scripts, their
    /// declared flags), and inside MULTI everything but EXEC, DISCARD, QUIT and RESET.
    func refusedForMemory(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], _ client: Client) -> Bool {
        if resolved.spec.flags.contains(.denyoom) || scriptDeniesOOM(resolved, arguments) { return true }
        let name = resolved.fullName
        if name == "exec", let transaction = client.transaction, transactionDeniesOOM(transaction) { return true }
        if client.transaction != nil && name != "exec" && name != "discard" && name != "quit" && name != "reset" {
            return true
        }
        return false
    }

    /// Replies with a rejection; inside MULTI it also dooms the transaction. A rejected EXEC, in
    /// MULTI or not, ends any transaction with an EXECABORT that carries the reason, as Redis's
    /// `execCommandAbort` does.
    func reject(_ client: Client, _ error: RedisError, _ resolved: ResolvedCommand? = nil) {
        if let resolved { countRejection(resolved) }
        if resolved?.fullName == "exec" {
            TransactionCommands.discardTransaction(engine: self, client: client)
            countError(.execAbort(because: error))
            client.reply.error(.execAbort(because: error))
            return
        }
        countError(error)
        if client.transaction != nil { client.transaction!.failed = true }
        client.reply.error(error)
    }

    /// Finds the command named by the arguments, descending into subcommands.
    public func resolve(_ arguments: [ByteBuffer]) -> Result<ResolvedCommand, RedisError> {
        guard let base = commandTable.lookup(arguments[0]) else {
            return .failure(Engine.unknownCommandError(arguments))
        }
        if base.subcommands.isEmpty || arguments.count == 1 {
            return .success(ResolvedCommand(spec: base, fullName: base.name, parentName: nil))
        }
        guard let sub = CommandTable.subcommand(of: base, named: arguments[1]) else {
            return .failure(.format("unknown subcommand '\(cString: arguments[1], limit: 128)'. Try \(base.name.uppercased()) HELP."))
        }
        return .success(ResolvedCommand(spec: sub, fullName: "\(base.name)|\(sub.name)", parentName: base.name))
    }

    /// Commands that run immediately inside MULTI instead of being queued (UNWATCH is queued,
    /// as in Redis 7.0).
    static func runsInsideMulti(_ resolved: ResolvedCommand) -> Bool {
        switch resolved.fullName {
        case "exec", "discard", "multi", "watch", "quit", "reset": return true
        default: return false
        }
    }

    /// Commands a RESP2 client in subscribed mode may send.
    static func allowedWhileSubscribed(_ resolved: ResolvedCommand) -> Bool {
        switch resolved.fullName {
        case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe",
             "quit", "reset":
            return true
        default: return false
        }
    }
}

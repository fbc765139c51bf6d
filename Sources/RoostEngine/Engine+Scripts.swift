import NIOCore

// Long scripts. Commands that run scripts (EVAL, FCALL, EXEC and their forms) run on the
// script fiber. Once a script has run longer than busy-reply-threshold it becomes the busy
// script: its hook suspends the fiber every few milliseconds, the command returns to its
// connection unfinished (`client.inSuspendedScript`), and the connection calls
// `continueScript(for:)` on its next event-loop turns until the command is done. Meanwhile the
// other clients get BUSY for everything but the commands Redis flags `allow_busy` (SCRIPT KILL,
// FUNCTION KILL, FUNCTION STATS, SHUTDOWN NOSAVE, and a few connection commands), the keyspace
// is left alone (no active expiry, no serving of blocked clients), and the clock the script
// sees stands still, as in Redis.
extension Engine {
    /// Runs a command that runs scripts on the script fiber. Returns false when a script in it
    /// became busy and suspended: the command goes on in `continueScript(for:)`.
    func callOnScriptFiber(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], for client: Client) -> Bool {
        if scriptFiber == nil { scriptFiber = ScriptFiber() }
        // Without a fiber (its stack could not be mapped) the script runs in place and cannot
        // give the event loop back; it still completes.
        guard let fiber = scriptFiber, !fiber.isRunning, !fiber.isSuspended else {
            call(resolved, arguments, for: client)
            return true
        }
        // The engine owns the fiber, so it outlives the body.
        let finished = fiber.start { [unowned(unsafe) self] in self.call(resolved, arguments, for: client) }
        if !finished { client.inSuspendedScript = true }
        return finished
    }

    /// Runs the suspended command of `client` for one more slice. Returns true once the command
    /// has finished, its reply written to `client.reply`. Call with the lock held, on the event
    /// loop that started the command.
    public func continueScript(for client: Client) -> Bool {
        guard client.inSuspendedScript else { return true }
        if let fiber = scriptFiber, !fiber.resume() { return false }
        client.inSuspendedScript = false
        finishSuspendedCommand(of: client)
        if !blocking.readyKeys.isEmpty && busyScript == nil {
            serveReadyKeys()
            // Served pops changed values outside any `call`.
            if !pendingCharges.isEmpty { settleCharges() }
        }
        return true
    }

    /// The BUSY error for a command that may not run now, or nil when it may.
    func busyError(for spec: CommandSpec) -> RedisError? {
        busyScript == nil || spec.flags.contains(.allowBusy) ? nil : busyReply
    }

    /// The BUSY error while a script is busy, naming the KILL that applies; nil otherwise.
    var busyReply: RedisError? {
        guard let script = busyScript else { return nil }
        return script.isEval ? .busyScript : .busyFunction
    }

    /// SCRIPT KILL (`eval`) and FUNCTION KILL, decided as Redis's `scriptKill` decides.
    func killBusyScript(eval: Bool) throws(RedisError) {
        guard let script = busyScript else { throw .notBusy }
        if script.wroteData { throw .unkillable }
        if eval && !script.isEval { throw .busyFunction }
        if !eval && script.isEval { throw .busyScript }
        script.killed = true
    }

    /// Stops the busy script at its next hook, whether or not it wrote (SHUTDOWN NOSAVE, and a
    /// server that stops).
    public func abortBusyScript() {
        guard let script = busyScript else { return }
        script.killed = true
        script.abandoned = true
    }
}

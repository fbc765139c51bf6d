import NIOCore
import RoostRESP

/// CLIENT REPLY's state for one client.
public enum ReplyControl: Sendable {
    /// Replies are sent.
    case on
    /// CLIENT REPLY OFF: no reply is sent until CLIENT REPLY ON.
    case off
    /// CLIENT REPLY SKIP: the next command's reply is dropped.
    case skipNext
    /// The command whose reply is being dropped is running.
    case skipping
}

/// CLIENT PAUSE in force: until when, and whether it holds back every command or only those
/// that may write.
struct ClientPause {
    enum Mode { case write, all }
    var mode: Mode
    /// `Engine.clock()` milliseconds at which the pause ends.
    var deadline: Int64
}

/// CLIENT PAUSE, CLIENT UNPAUSE and CLIENT REPLY, as Redis 7.0 runs them: a paused client's
/// command is not refused but postponed (the client shows as blocked) and runs once the pause
/// ends; while any pause is in force keys neither expire nor get evicted.
extension Engine {
    /// Whether a pause holds back commands now; ends a pause whose time is up.
    var isPaused: Bool {
        guard let pause = clientPause else { return false }
        if Engine.clock() < pause.deadline { return true }
        endClientPause()
        return false
    }

    /// Whether `resolved` must wait for the pause to end (Redis's `processCommand`): under ALL
    /// every command; under WRITE those that may write or replicate, including EXEC of a
    /// transaction with one and scripts that do not declare `no-writes`.
    func postpones(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], _ client: Client) -> Bool {
        guard let pause = clientPause, isPaused else { return false }
        if pause.mode == .all { return true }
        if resolved.fullName == "exec", let transaction = client.transaction {
            return transaction.commands.contains { queued in
                guard case .success(let r) = resolve(queued) else { return false }
                return mayWrite(r, queued)
            }
        }
        return mayWrite(resolved, arguments)
    }

    /// Redis's `CMD_WRITE | CMD_MAY_REPLICATE` test, with a script's declared flags in place of
    /// its command's (`evalGetCommandFlags`).
    func mayWrite(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer]) -> Bool {
        let spec = resolved.spec
        if spec.runsScripts {
            if let flags = declaredScriptFlags(resolved, arguments) { return !flags.contains(.noWrites) }
            return !spec.flags.contains(.readonly)
        }
        return spec.flags.contains(.write) || spec.flags.contains(.mayReplicate)
    }

    /// Holds `client`'s command until the pause ends; the client counts as blocked meanwhile.
    /// The wait's deadline only wakes the server's timer when the pause should end (a day at
    /// most); `expireBlockedClients` never times a postponed command out.
    func postpone(_ client: Client, _ arguments: [ByteBuffer], _ name: String) {
        client.postponedCommand = arguments
        // CLIENT LIST shows the waiting command, as Redis sets `lastcmd` before it waits.
        client.lastCommand = name
        let wake = min(clientPause?.deadline ?? 0, Engine.clock() + 86_400_000)
        block(client, keys: [], deadline: wake) { _, _, _, _ in false }
        postponedClients.append(client)
    }

    /// CLIENT PAUSE: a new pause replaces a shorter one's end and a WRITE mode by ALL, never the
    /// other way, as Redis's `pauseClients`.
    func pauseClients(until deadline: Int64, mode: ClientPause.Mode) {
        if var pause = clientPause {
            pause.deadline = max(pause.deadline, deadline)
            if mode == .all { pause.mode = .all }
            clientPause = pause
        } else {
            clientPause = ClientPause(mode: mode, deadline: deadline)
        }
    }

    /// Ends the pause. The postponed commands run once the running command is done
    /// (`runPostponedCommands`).
    func endClientPause() {
        clientPause = nil
    }

    /// Runs the commands postponed by a pause that ended, in the order they arrived; their
    /// replies go out as deliveries. Call at the top level, outside any command.
    func runPostponedCommands() {
        let waiting = postponedClients
        postponedClients.removeAll()
        for client in waiting where clients[client.id] === client {
            guard let arguments = client.postponedCommand else { continue }
            client.postponedCommand = nil
            unblock(client, deliver: false)
            execute(arguments, for: client)
            if client.blocked == nil { scheduleDelivery(to: client) }
        }
    }

    /// Ends a pause whose time is up and runs what it held back. Called from the server's
    /// timers through `expireBlockedClients`.
    func endClientPauseIfDue() {
        if isPaused || postponedClients.isEmpty { return }
        runPostponedCommands()
    }

    /// Forgets a disconnecting client's postponed command.
    func removePostponedClient(_ client: Client) {
        guard client.postponedCommand != nil else { return }
        client.postponedCommand = nil
        postponedClients.removeAll { $0 === client }
    }

    /// `execute` for a client under CLIENT REPLY OFF or SKIP: the command runs, and what it
    /// wrote is dropped unless it turned replies back on.
    func executeUnderReplyControl(_ arguments: [ByteBuffer], for client: Client) {
        if client.replyControl == .skipNext { client.replyControl = .skipping }
        let mark = client.reply.buffer.writerIndex
        dispatch(arguments, for: client)
        let after = client.replyControl
        if after != .on && client.reply.buffer.writerIndex >= mark {
            client.reply.buffer.moveWriterIndex(to: mark)
        }
        if after == .skipping { client.replyControl = .on }
    }
}

extension ConnectionCommands {
    /// CLIENT PAUSE timeout [WRITE|ALL].
    static func clientPause(_ c: CommandContext) throws(RedisError) {
        if c.count > 4 { throw .subcommandSyntax(c.arguments) }
        var mode = ClientPause.Mode.all
        if c.count == 4 {
            if c.argument(3, is: "write") {
                mode = .write
            } else if !c.argument(3, is: "all") {
                throw .clientPauseMode
            }
        }
        guard let timeout = RedisInteger.parse(c.arguments[2]) else { throw .timeoutNotInteger }
        if timeout < 0 { throw .timeoutNegative }
        let (deadline, overflow) = Engine.clock().addingReportingOverflow(timeout)
        c.engine.pauseClients(until: overflow ? .max : deadline, mode: mode)
        c.reply.ok()
    }

    /// CLIENT UNPAUSE.
    static func clientUnpause(_ c: CommandContext) throws(RedisError) {
        c.engine.endClientPause()
        c.reply.ok()
    }

    /// CLIENT REPLY ON|OFF|SKIP.
    static func clientReply(_ c: CommandContext) throws(RedisError) {
        if c.argument(2, is: "on") {
            c.client.replyControl = .on
            c.reply.ok()
        } else if c.argument(2, is: "off") {
            c.client.replyControl = .off
        } else if c.argument(2, is: "skip") {
            if c.client.replyControl != .off { c.client.replyControl = .skipNext }
        } else {
            throw .syntax
        }
    }

    /// CLIENT NO-EVICT ON|OFF.
    static func clientNoEvict(_ c: CommandContext) throws(RedisError) {
        if c.argument(2, is: "on") {
            c.client.noEvict = true
        } else if c.argument(2, is: "off") {
            c.client.noEvict = false
        } else {
            throw .syntax
        }
        c.reply.ok()
    }
}

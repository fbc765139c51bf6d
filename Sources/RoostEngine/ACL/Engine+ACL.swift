import NIOCore

/// The one ACL check, used before a command runs or is queued, by EXEC for each queued command
/// and by `redis.call`; and the ACL LOG entries it writes.
extension Engine {
    /// Where a refused command came from, as ACL LOG names it.
    enum ACLContext: String {
        case toplevel, multi, lua
    }

    /// Why `client`'s user may not run `command` with `arguments`, or nil when it may. A
    /// refusal is logged against `logged` (the script's caller for `redis.call`).
    func aclDenial(_ command: ResolvedCommand, _ arguments: [ByteBuffer], for client: Client,
                   context: ACLContext, logged: Client? = nil) -> ACLDenial? {
        guard let user = client.user, !user.allowsEverything,
              let denial = user.check(command, arguments) else { return nil }
        let reason: String, object: [UInt8]
        switch denial {
        case .command:
            reason = "command"
            object = Array(command.fullName.utf8)
        case .key(let i):
            reason = "key"
            object = arguments[i].bytesArray
        case .channel(let i):
            reason = "channel"
            object = arguments[i].bytesArray
        }
        // Redis names the refused command in the client's `cmd` field before checking it.
        if logged == nil { client.lastCommand = command.fullName }
        recordACLLog(reason: reason, context: context.rawValue, object: object, username: user.nameBytes,
                     client: logged ?? client, arguments: arguments, command: command)
        return denial
    }

    /// Adds an entry to ACL LOG for `client`, whose CLIENT INFO it keeps.
    func recordACLLog(reason: String, context: String, object: [UInt8], username: [UInt8], client: Client,
                      arguments: [ByteBuffer], command: ResolvedCommand) {
        let caller = CommandContext(engine: self, client: client, arguments: arguments, command: command)
        let entry = ACLLogEntry(
            count: 1, reason: reason, context: context, object: object, username: username, createdAt: Engine.clock(),
            clientInfo: ConnectionCommands.describe(client, engine: self, caller: caller))
        acl.record(entry, maxLength: configuration.aclLogMaxLength)
    }

    /// Logs a failed AUTH or HELLO AUTH for `username`.
    func recordFailedAuthentication(_ c: CommandContext, username: [UInt8]) {
        recordACLLog(reason: "auth", context: c.client.transaction != nil ? "multi" : "toplevel",
                     object: c.arguments[0].bytesArray, username: username, client: c.client,
                     arguments: c.arguments, command: c.command)
    }

    /// Authenticates `client` as `name` with `password`, as AUTH and HELLO AUTH do, logging a
    /// failure.
    func authenticate(_ c: CommandContext, name: ByteBuffer, password: ByteBuffer) throws(RedisError) {
        guard let user = acl.user(named: name.bytesArray), user.accepts(password) else {
            recordFailedAuthentication(c, username: name.bytesArray)
            throw .wrongPass
        }
        c.client.user = user
        c.client.isAuthenticated = true
    }

    /// Whether new users and selectors start with every channel (`acl-pubsub-default`).
    var aclAllChannelsByDefault: Bool { configuration.aclPubsubDefault == "allchannels" }

    /// Whether a client that has not authenticated yet counts as authenticated: the default
    /// user needs no password and is enabled.
    var defaultUserOpen: Bool { !acl.authenticationRequired }
}

import NIOCore
import RoostRESP

/// Connection commands: PING, ECHO, QUIT, RESET, SELECT, SWAPDB, AUTH, HELLO and CLIENT.
enum ConnectionCommands {
    static let connection = ["fast", "connection"]
    static let clientFlags: CommandFlags = [.noscript, .loading, .stale]
    static let noAuthFlags: CommandFlags = [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy]

    static let specs: [CommandSpec] = [
        CommandSpec("ping", arity: -1, flags: [.fast], categories: connection,
                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"], group: "connection",
                    summary: "Ping the server", complexity: "O(1)", handler: ping),
        CommandSpec("echo", arity: 2, flags: [.loading, .stale, .fast], categories: connection,
                    group: "connection", summary: "Echo the given string", complexity: "O(1)", handler: echo),
        CommandSpec("quit", arity: -1, flags: noAuthFlags, categories: connection, group: "connection",
                    summary: "Close the connection", complexity: "O(1)", handler: quit),
        CommandSpec("reset", arity: 1, flags: noAuthFlags, categories: connection, group: "connection",
                    since: "6.2.0", summary: "Reset the connection", complexity: "O(1)", handler: reset),
        CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], categories: connection,
                    group: "connection", summary: "Change the selected database for the current connection",
                    complexity: "O(1)", handler: select),
        CommandSpec("swapdb", arity: 3, flags: [.write, .fast], categories: ["keyspace", "write", "fast", "dangerous"],
                    group: "server", since: "4.0.0", summary: "Swaps two Redis databases",
                    complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
                    handler: swapdb),
        CommandSpec("auth", arity: -2, flags: noAuthFlags, categories: connection, group: "connection",
                    summary: "Authenticate to the server",
                    complexity: "O(N) where N is the number of passwords defined for the user", handler: auth),
        CommandSpec("hello", arity: -1, flags: noAuthFlags, categories: connection, group: "connection",
                    since: "6.0.0", summary: "Handshake with Redis", complexity: "O(1)", handler: hello),
        CommandSpec("client", arity: -2, categories: ["slow"], group: "connection", since: "2.4.0",
                    summary: "A container for client connection commands",
                    subcommands: clientSubcommands + trackingSubcommands,
                    complexity: "Depends on subcommand."),
    ]

    static let clientSubcommands: [CommandSpec] = [
        CommandSpec("setname", arity: 3, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "2.6.9", summary: "Set the current connection name", complexity: "O(1)", handler: clientSetName),
        CommandSpec("id", arity: 2, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "5.0.0", summary: "Returns the client ID for the current connection", complexity: "O(1)",
                    handler: clientID),
        CommandSpec("getname", arity: 2, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "2.6.9", summary: "Get the current connection name", complexity: "O(1)",
                    handler: clientGetName),
        CommandSpec("info", arity: 2, flags: clientFlags, categories: ["slow", "connection"],
                    tips: ["nondeterministic_output"], group: "connection", since: "6.2.0",
                    summary: "Returns information about the current client connection.", complexity: "O(1)",
                    handler: clientInfo),
        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow", "connection"],
                    group: "connection", since: "5.0.0", summary: "Show helpful text about the different subcommands",
                    complexity: "O(1)", handler: clientHelp),
        CommandSpec("list", arity: -2, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], tips: ["nondeterministic_output"],
                    group: "connection", since: "2.4.0", summary: "Get the list of client connections",
                    complexity: "O(N) where N is the number of client connections", handler: clientList),
        CommandSpec("kill", arity: -3, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], group: "connection", since: "2.4.0",
                    summary: "Kill the connection of a client",
                    complexity: "O(N) where N is the number of client connections", handler: clientKill),
        CommandSpec("unblock", arity: -3, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], group: "connection", since: "5.0.0",
                    summary: "Unblock a client blocked in a blocking command from a different connection",
                    complexity: "O(log N) where N is the number of client connections", handler: clientUnblock),
        CommandSpec("pause", arity: -3, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], group: "connection", since: "2.9.50",
                    summary: "Stop processing commands from clients for some time", complexity: "O(1)",
                    handler: clientPause),
        CommandSpec("unpause", arity: 2, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], group: "connection", since: "6.2.0",
                    summary: "Resume processing of clients that were paused", complexity: "O(N) Where N is the number of paused clients",
                    handler: clientUnpause),
        CommandSpec("reply", arity: 3, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "3.2.0", summary: "Instruct the server whether to reply to commands", complexity: "O(1)",
                    handler: clientReply),
        CommandSpec("no-evict", arity: 3, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous", "connection"], group: "connection", since: "7.0.0",
                    summary: "Set client eviction mode for the current connection", complexity: "O(1)",
                    handler: clientNoEvict),
    ]

    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command (list and
    /// sorted-set waits), answering 1 if it was blocked, else 0.
    static func clientUnblock(_ c: CommandContext) throws(RedisError) {
        if c.count > 4 {
            throw .subcommandSyntax(c.arguments)
        }
        var error = false
        if c.count == 4 {
            if c.argument(3, is: "error") {
                error = true
            } else if !c.argument(3, is: "timeout") {
                throw .unblockReason
            }
        }
        let id = try c.integer(2)
        guard let target = c.engine.clients[id] else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(c.engine.unblockByRequest(target, error: error) ? 1 : 0)
    }

    static func ping(_ c: CommandContext) throws(RedisError) {
        if c.count > 2 { throw .wrongArity("ping") }
        if c.client.isSubscribed && !c.reply.isResp3 {
            c.reply.arrayHeader(2)
            c.reply.bulk("pong")
            if c.count == 2 { c.reply.bulk(c.arguments[1]) } else { c.reply.bulk("") }
            return
        }
        if c.count == 2 { c.reply.bulk(c.arguments[1]) } else { c.reply.status("PONG") }
    }

    static func echo(_ c: CommandContext) throws(RedisError) {
        c.reply.bulk(c.arguments[1])
    }

    static func quit(_ c: CommandContext) throws(RedisError) {
        c.reply.ok()
        c.client.closeAfterReply = true
    }

    /// RESET: leaves MULTI, drops watches and subscriptions, selects database 0, goes back to
    /// RESP2, clears the name and, when a password is required, the authentication.
    static func reset(_ c: CommandContext) throws(RedisError) {
        let client = c.client
        client.transaction = nil
        TransactionCommands.unwatchAll(engine: c.engine, client: client)
        client.watchedKeys.removeAll()
        client.watchDirty = false
        PubSubCommands.unsubscribeAll(engine: c.engine, client: client)
        c.engine.disableTracking(client)
        client.channels.removeAll()
        client.patterns.removeAll()
        client.database = c.engine.databases[0]
        client.reply.protocolVersion = 2
        client.name = nil
        client.user = c.engine.acl.defaultUser
        client.isAuthenticated = c.engine.defaultUserOpen
        c.reply.status("RESET")
    }

    /// A C `int` argument, as `getIntFromObjectOrReply` reads one.
    static func int32(_ c: CommandContext, _ index: Int) -> Int? {
        guard let v = RedisInteger.parse(c.arguments[index]), v >= Int64(Int32.min), v <= Int64(Int32.max) else {
            return nil
        }
        return Int(v)
    }

    static func select(_ c: CommandContext) throws(RedisError) {
        guard RedisInteger.parse(c.arguments[1]) != nil else { throw .notInteger }
        guard let index = int32(c, 1) else { throw .intOutOfRange }
        guard index >= 0 && index < c.engine.databases.count else { throw .dbIndexOutOfRange }
        c.client.database = c.engine.databases[index]
        c.reply.ok()
    }

    static func swapdb(_ c: CommandContext) throws(RedisError) {
        guard let a = int32(c, 1) else { throw .invalidFirstDB }
        guard let b = int32(c, 2) else { throw .invalidSecondDB }
        let n = c.engine.databases.count
        guard a >= 0 && a < n && b >= 0 && b < n else { throw .dbIndexOutOfRange }
        if a != b {
            c.engine.signalSwappedDatabases(a, b)
            c.engine.swapDatabases(a, b)
            // Keys the swap brought in may serve blocked clients (Redis's scanDatabaseForReadyKeys).
            c.engine.signalWaitedKeysThatExist()
        }
        c.engine.countChanges(1)
        c.reply.ok()
    }

    static func auth(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 { throw .syntax }
        if c.count == 2 {
            if c.engine.acl.defaultUser.noPassword { throw .authWithoutPassword }
            try c.engine.authenticate(c, name: ByteBuffer(string: "default"), password: c.arguments[1])
        } else {
            try c.engine.authenticate(c, name: c.arguments[1], password: c.arguments[2])
        }
        c.reply.ok()
    }

    /// Whether `name` is acceptable to CLIENT SETNAME: printable ASCII without spaces.
    static func validClientName(_ name: ByteBuffer) -> Bool {
        name.readableBytesView.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    static func hello(_ c: CommandContext) throws(RedisError) {
        var version: Int?
        if c.count >= 2 {
            guard let v = RedisInteger.parse(c.arguments[1]) else { throw .protocolNotInteger }
            guard v == 2 || v == 3 else { throw .noProto }
            version = Int(v)
        }
        var credentials: (ByteBuffer, ByteBuffer)?
        var newName: ByteBuffer?
        var j = 2
        while j < c.count {
            let more = c.count - 1 - j
            if c.argument(j, is: "auth") && more >= 2 {
                credentials = (c.arguments[j + 1], c.arguments[j + 2])
                j += 3
            } else if c.argument(j, is: "setname") && more >= 1 {
                guard validClientName(c.arguments[j + 1]) else { throw .badClientName }
                newName = c.arguments[j + 1]
                j += 2
            } else {
                throw .helloSyntax(c.arguments[j])
            }
        }
        if let (user, password) = credentials {
            try c.engine.authenticate(c, name: user, password: password)
        }
        guard c.client.isAuthenticated else { throw .helloNoAuth }
        if let newName { c.client.name = newName.readableBytes == 0 ? nil : Array(newName.readableBytesView) }
        if let version { c.reply.protocolVersion = version }
        c.reply.mapHeader(7)
        c.reply.bulk("server")
        c.reply.bulk("redis")
        c.reply.bulk("version")
        c.reply.bulk(string: Engine.redisVersion)
        c.reply.bulk("proto")
        c.reply.integer(c.reply.protocolVersion)
        c.reply.bulk("id")
        c.reply.integer(c.client.id)
        c.reply.bulk("mode")
        c.reply.bulk("standalone")
        c.reply.bulk("role")
        c.reply.bulk("master")
        c.reply.bulk("modules")
        c.reply.arrayHeader(0)
    }

    // MARK: CLIENT

    static func clientID(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.client.id)
    }

    static func clientSetName(_ c: CommandContext) throws(RedisError) {
        let name = c.arguments[2]
        guard validClientName(name) else { throw .badClientName }
        c.client.name = name.readableBytes == 0 ? nil : Array(name.readableBytesView)
        c.reply.ok()
    }

    static func clientGetName(_ c: CommandContext) throws(RedisError) {
        if let name = c.client.name { c.reply.bulk(name) } else { c.reply.nullBulk() }
    }

    static func clientInfo(_ c: CommandContext) throws(RedisError) {
        var line = describe(c.client, engine: c.engine, caller: c)
        line.append(UInt8(ascii: "\n"))
        c.reply.verbatim(String(decoding: line, as: UTF8.self))
    }

    /// A client's type for the TYPE filter of CLIENT LIST and CLIENT KILL.
    enum ClientType { case normal, master, replica, pubsub }

    static func clientType(_ c: CommandContext, _ index: Int) throws(RedisError) -> ClientType {
        let arg = c.arguments[index]
        if arg.equalsCaseInsensitive("normal") { return .normal }
        if arg.equalsCaseInsensitive("master") { return .master }
        if arg.equalsCaseInsensitive("replica") || arg.equalsCaseInsensitive("slave") { return .replica }
        if arg.equalsCaseInsensitive("pubsub") { return .pubsub }
        throw .unknownClientType(arg)
    }

    static func type(of client: Client) -> ClientType { client.isSubscribed ? .pubsub : .normal }

    static func clientList(_ c: CommandContext) throws(RedisError) {
        var selected = c.engine.clients.values.sorted { $0.id < $1.id }
        if c.count == 4 && c.argument(2, is: "type") {
            let wanted = try clientType(c, 3)
            selected = selected.filter { type(of: $0) == wanted }
        } else if c.count > 3 && c.argument(2, is: "id") {
            var ids: [Int64] = []
            for i in 3..<c.count {
                guard let id = RedisInteger.parse(c.arguments[i]) else { throw .invalidClientID }
                ids.append(id)
            }
            selected = ids.compactMap { $0 > 0 ? c.engine.clients[$0] : nil }
        } else if c.count != 2 {
            throw .syntax
        }
        var out: [UInt8] = []
        for client in selected {
            out += describe(client, engine: c.engine, caller: c)
            out.append(UInt8(ascii: "\n"))
        }
        c.reply.verbatim(String(decoding: out, as: UTF8.self))
    }

    /// One CLIENT LIST line, without the newline, in Redis 7.0's field order. Memory figures are
    /// Roost's own: bytes received and not yet executed (`qbuf`), the running command's arguments
    /// (`argv-mem`, only the caller is ever mid-command), queued MULTI arguments (`multi-mem`) and
    /// reply bytes not yet written to the socket, split as Redis splits them: the first 16 KB
    /// (`obl`, Redis's fixed reply buffer), the rest (`omem`, what `client-output-buffer-limit`
    /// counts) and that rest in 16 KB blocks (`oll`). Fields Roost has no figure for (`fd`,
    /// `qbuf-free`, `rbs`, `rbp`) are left out rather than made up.
    static func describe(_ client: Client, engine: Engine, caller: CommandContext) -> [UInt8] {
        var flags = client.isMonitor ? "O" : ""
        if client.isSubscribed { flags += "P" }
        if client.transaction != nil { flags += "x" }
        if client.blocked != nil { flags += "b" }
        if let tracking = client.tracking {
            flags += "t"
            if tracking.brokenRedirect { flags += "R" }
            if tracking.options.contains(.broadcast) { flags += "B" }
        }
        if client.closeAfterReply { flags += "c" }
        if client.noEvict { flags += "e" }
        if flags.isEmpty { flags = "N" }
        let now = engine.now
        let multi = client.transaction.map { $0.commands.count } ?? -1
        var s: [UInt8] = []
        func field(_ name: String, _ value: String) {
            if !s.isEmpty { s.append(UInt8(ascii: " ")) }
            s += name.utf8
            s.append(UInt8(ascii: "="))
            s += value.utf8
        }
        field("id", String(client.id))
        field("addr", client.address)
        field("laddr", client.localAddress)
        if client.fileDescriptor >= 0 { field("fd", String(client.fileDescriptor)) }
        s += " name=".utf8
        s += client.name ?? []
        field("age", String((now - client.createdAt) / 1000))
        field("idle", String((now - client.lastInteraction) / 1000))
        field("flags", flags)
        field("db", String(client.database.index))
        field("sub", String(client.channels.count))
        field("psub", String(client.patterns.count))
        field("ssub", String(client.shardChannels.count))
        field("multi", String(multi))
        let argvMemory = client === caller.client ? caller.arguments.reduce(0) { $0 + $1.readableBytes } : 0
        let multiMemory = client.transaction?.commands.reduce(0) { sum, command in
            command.reduce(sum) { $0 + $1.readableBytes }
        } ?? 0
        let pendingReply = client.reply.bufferedBytes + (client.connection?.outputBacklog ?? 0)
        let fixed = ClientOutputBufferLimits.fixedBufferBytes
        let beyondFixed = max(0, pendingReply - fixed)
        field("qbuf", String(client.queryBufferLength))
        field("argv-mem", String(argvMemory))
        field("multi-mem", String(multiMemory))
        field("obl", String(min(pendingReply, fixed)))
        field("oll", String((beyondFixed + fixed - 1) / fixed))
        field("omem", String(beyondFixed))
        field("tot-mem", String(client.queryBufferLength + argvMemory + multiMemory + pendingReply))
        field("events", "r")
        field("cmd", client.lastCommand)
        field("user", client.user?.name ?? "default")
        field("redir", String(client.tracking?.redirect ?? -1))
        field("resp", String(client.reply.protocolVersion))
        return s
    }

    static func clientKill(_ c: CommandContext) throws(RedisError) {
        if c.count == 3 {
            // Old form: CLIENT KILL ip:port.
            let addr = String(decoding: c.arguments[2].readableBytesView, as: UTF8.self)
            guard let target = c.engine.clients.values.first(where: { $0.address == addr }) else {
                throw .noSuchClient
            }
            kill(target, by: c)
            c.reply.ok()
            return
        }
        var id: Int64?
        var type: ClientType?
        var addr: String?
        var laddr: String?
        var user: ByteBuffer?
        var skipMe = true
        var i = 2
        while i < c.count {
            guard i + 1 < c.count else { throw .syntax }
            let value = c.arguments[i + 1]
            if c.argument(i, is: "id") {
                guard let v = RedisInteger.parse(value), v > 0 else { throw .clientIDNotPositive }
                id = v
            } else if c.argument(i, is: "type") {
                type = try clientType(c, i + 1)
            } else if c.argument(i, is: "addr") {
                addr = String(decoding: value.readableBytesView, as: UTF8.self)
            } else if c.argument(i, is: "laddr") {
                laddr = String(decoding: value.readableBytesView, as: UTF8.self)
            } else if c.argument(i, is: "user") {
                guard c.engine.acl.user(named: value.bytesArray) != nil else {
                    throw .format("No such user '\(cString: value)'")
                }
                user = value
            } else if c.argument(i, is: "skipme") {
                if value.equalsCaseInsensitive("yes") {
                    skipMe = true
                } else if value.equalsCaseInsensitive("no") {
                    skipMe = false
                } else {
                    throw .syntax
                }
            } else {
                throw .syntax
            }
            i += 2
        }
        var killed = 0
        for target in c.engine.clients.values.sorted(by: { $0.id < $1.id }) {
            if let addr, target.address != addr { continue }
            if let laddr, target.localAddress != laddr { continue }
            if let type, self.type(of: target) != type { continue }
            if let id, target.id != id { continue }
            if let user, !user.readableBytesView.elementsEqual((target.user?.name ?? "default").utf8) { continue }
            if target === c.client && skipMe { continue }
            kill(target, by: c)
            killed += 1
        }
        c.reply.integer(killed)
    }

    /// Marks `target` to be closed. The caller's own connection closes after this reply. Another
    /// client leaves the engine at once, as Redis frees it inside CLIENT KILL (a second KILL or a
    /// CLIENT LIST no longer sees it); its connection is closed by the delivery step after this
    /// batch.
    static func kill(_ target: Client, by c: CommandContext) {
        target.closeAfterReply = true
        guard target !== c.client else { return }
        c.engine.removeClient(target)
        c.engine.scheduleDelivery(to: target)
    }

    static let clientHelpLines: [String] = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ]

    static func clientHelp(_ c: CommandContext) throws(RedisError) {
        writeHelp(c, clientHelpLines)
    }

    /// Writes a HELP reply: an array of status lines.
    static func writeHelp(_ c: CommandContext, _ lines: [String]) {
        c.reply.arrayHeader(lines.count)
        for line in lines { c.reply.status(line) }
    }
}

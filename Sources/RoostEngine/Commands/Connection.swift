import NIOCore

/// Connection commands: PING, ECHO, QUIT, SELECT…
enum ConnectionCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("ping", arity: -1, flags: [.fast, .stale, .loading], categories: ["fast", "connection"],
                    group: "connection", summary: "Returns the server's liveliness response.", handler: ping),
        CommandSpec("echo", arity: 2, flags: [.fast, .stale, .loading], categories: ["fast", "connection"],
                    group: "connection", summary: "Returns the given string.", handler: echo),
        CommandSpec("quit", arity: -1, flags: [.allowBusy, .noAuth, .fast, .stale, .loading, .noscript],
                    categories: ["fast", "connection"], group: "connection",
                    summary: "Closes the connection.", handler: quit),
        CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], categories: ["fast", "connection"],
                    group: "connection", since: "1.0.0", summary: "Changes the selected database.", handler: select),
    ]

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

    static func select(_ c: CommandContext) throws(RedisError) {
        guard let index = Int(exactly: (try? c.integer(1)) ?? -1) else { throw .dbIndexOutOfRange }
        guard let _ = try? c.integer(1) else { throw RedisError("ERR value is not an integer or out of range") }
        guard index >= 0 && index < c.engine.databases.count else { throw .dbIndexOutOfRange }
        c.client.database = c.engine.databases[index]
        c.reply.ok()
    }
}

/// Generic key commands: DEL, EXISTS, TYPE, EXPIRE and the TTL family, SCAN, OBJECT…
enum KeyCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("del", arity: -2, flags: [.write], categories: ["keyspace", "write", "slow"], keys: .all,
                    summary: "Deletes one or more keys.", handler: del),
        CommandSpec("exists", arity: -2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    keys: .all, since: "1.0.0", summary: "Determines whether one or more keys exist.", handler: exists),
    ]

    static func del(_ c: CommandContext) throws(RedisError) {
        var n = 0
        for i in 1..<c.count {
            let key = c.key(i)
            c.engine.expireIfNeeded(c.database, key)
            if c.engine.deleteKey(c.database, key) { n += 1 }
        }
        c.reply.integer(n)
    }

    static func exists(_ c: CommandContext) throws(RedisError) {
        var n = 0
        for i in 1..<c.count where c.engine.lookupQuiet(c.database, c.key(i)) != nil { n += 1 }
        c.reply.integer(n)
    }
}

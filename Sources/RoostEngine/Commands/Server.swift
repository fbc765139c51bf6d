/// Server commands: INFO, COMMAND, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME…
enum ServerCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    group: "server", summary: "Returns the number of keys in the database.", handler: dbsize),
        CommandSpec("flushall", arity: -1, flags: [.write], categories: ["keyspace", "write", "slow", "dangerous"],
                    group: "server", summary: "Removes all keys from all databases.", handler: flushall),
    ]

    static func dbsize(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.database.keys.count)
    }

    static func flushall(_ c: CommandContext) throws(RedisError) {
        for db in c.engine.databases { db.removeAll() }
        c.reply.ok()
    }
}

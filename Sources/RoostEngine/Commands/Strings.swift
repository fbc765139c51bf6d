/// String commands: GET, SET and its variants, counters, ranges, LCS…
enum StringCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("get", arity: 2, flags: [.readonly, .fast], categories: ["read", "string", "fast"], keys: .one,
                    group: "string", summary: "Returns the string value of a key.", handler: get),
        CommandSpec("set", arity: -3, flags: [.write, .denyoom], categories: ["write", "string", "slow"], keys: .one,
                    group: "string", summary: "Sets the string value of a key.", handler: set),
    ]

    static func get(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        c.reply.bulk(s)
    }

    static func set(_ c: CommandContext) throws(RedisError) {
        c.engine.setKey(c.database, c.key(1), .string(StringValue(encoding: c.bytes(2))))
        c.reply.ok()
    }
}

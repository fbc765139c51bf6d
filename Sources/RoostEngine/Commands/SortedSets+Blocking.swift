/// BZPOPMIN, BZPOPMAX and BZMPOP: the popping core of `SortedSets+Pop.swift` behind the engine's
/// blocking infrastructure (`Engine+Blocking.swift`).
extension SortedSetCommands {
    static let blockingSpecs: [CommandSpec] = [
        CommandSpec("bzpopmin", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                    categories: ["write", "sortedset", "fast", "blocking"],
                    group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
                    handler: bzpopmin),
        CommandSpec("bzpopmax", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                    categories: ["write", "sortedset", "fast", "blocking"],
                    group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
                    handler: bzpopmax),
        CommandSpec("bzmpop", arity: -5, flags: [.write, .blocking],
                    categories: ["write", "sortedset", "slow", "blocking"],
                    group: "sorted-set", since: "7.0.0",
                    summary: "Remove and return members with scores in a sorted set or block until one is available",
                    handler: bzmpop),
    ]

    static func bzpopmin(_ c: CommandContext) throws(RedisError) { try blockingPopMinMax(c, fromMax: false) }
    static func bzpopmax(_ c: CommandContext) throws(RedisError) { try blockingPopMinMax(c, fromMax: true) }

    /// BZPOPMIN/BZPOPMAX: the timeout is checked first, then the keys in order; the first
    /// non-empty sorted set answers `[key, member, score]`.
    static func blockingPopMinMax(_ c: CommandContext, fromMax: Bool) throws(RedisError) {
        let deadline = try Engine.parseBlockingTimeout(c.bytes(c.count - 1), now: c.engine.now)
        let keys = (1..<(c.count - 1)).map { c.key($0) }
        try popOrBlock(c, keys: keys, fromMax: fromMax, count: 1, nested: false, deadline: deadline)
    }

    /// BZMPOP timeout numkeys key… MIN|MAX [COUNT n].
    static func bzmpop(_ c: CommandContext) throws(RedisError) {
        let deadline = try Engine.parseBlockingTimeout(c.bytes(1), now: c.engine.now)
        let a = try parseMultiPop(c, numkeysIndex: 2)
        try popOrBlock(c, keys: a.keys, fromMax: a.fromMax, count: a.count, nested: true, deadline: deadline)
    }

    /// Pops from the first of `keys` holding members, or blocks on all of them (inside MULTI or
    /// a script, answers a null array at once).
    static func popOrBlock(_ c: CommandContext, keys: [ByteString], fromMax: Bool, count: Int, nested: Bool,
                           deadline: Int64) throws(RedisError) {
        if let (key, z) = try firstZset(c, keys) {
            let popped = pop(c.engine, c.database, key, z, fromMax: fromMax, count: count)
            writePopReply(c.reply, key: key, popped, emitKey: true, nested: nested)
            c.engine.propagate(c.database, [[.text(fromMax ? "ZPOPMAX" : "ZPOPMIN"), .key(key), .number(Int64(count))]])
            return
        }
        if c.client.denyBlocking {
            c.reply.nullArray()
            return
        }
        c.engine.block(c.client, keys: keys, deadline: deadline) { engine, client, db, key in
            guard case .zset(let z)? = db.keys[key], z.count > 0 else { return false }
            let popped = pop(engine, db, key, z, fromMax: fromMax, count: count)
            writePopReply(client.reply, key: key, popped, emitKey: true, nested: nested)
            engine.propagate(db, [[.text(fromMax ? "ZPOPMAX" : "ZPOPMIN"), .key(key), .number(Int64(count))]])
            return true
        }
    }
}

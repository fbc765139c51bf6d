import NIOCore
import RoostRESP

/// Append-only file commands: BGREWRITEAOF, and the durability barriers WAITAOF and WAIT of a
/// standalone server. The file itself lives in Engine+AppendOnly.swift and Persistence/.
enum AppendOnlyCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("bgrewriteaof", arity: 1, flags: [.admin, .noscript, .noAsyncLoading], categories: ["admin", "slow", "dangerous"],
                    group: "server", summary: "Asynchronously rewrite the append-only file", complexity: "O(1)",
                    handler: bgrewriteaof),
        CommandSpec("waitaof", arity: 4, flags: [.noscript], categories: ["slow", "connection"],
                    tips: ["request_policy:all_shards", "response_policy:agg_min"], group: "generic", since: "7.2.0",
                    summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the primary and/or replicas.",
                    complexity: "O(1)", handler: waitaof),
        CommandSpec("wait", arity: 3, flags: [.noscript], categories: ["slow", "connection"],
                    tips: ["request_policy:all_shards", "response_policy:agg_min"], group: "generic", since: "3.0.0",
                    summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
                    complexity: "O(1)", handler: wait),
    ]

    /// Starts a rewrite in the background (see Engine+AppendOnlyRewrite.swift), or schedules it
    /// behind a running BGSAVE or inside EXEC, with Redis's replies.
    static func bgrewriteaof(_ c: CommandContext) throws(RedisError) {
        c.reply.status(try c.engine.requestAppendOnlyRewrite(inTransaction: c.client.denyBlocking))
    }

    /// A timeout in milliseconds, as Redis's `getTimeoutFromObjectOrReply`.
    private static func timeout(_ c: CommandContext, _ index: Int) throws(RedisError) -> Int64 {
        guard let ms = RedisInteger.parse(Array(c.arguments[index].readableBytesView)) else {
            throw RedisError("ERR timeout is not an integer or out of range")
        }
        if ms < 0 { throw .timeoutNegative }
        return ms
    }

    /// WAITAOF numlocal numreplicas timeout: with no replicas, [1, 0] once this connection's
    /// writes are fsynced (the connection fsyncs before sending the reply), [0, 0] without
    /// numlocal. It does not wait for replicas that do not exist.
    static func waitaof(_ c: CommandContext) throws(RedisError) {
        let local = try c.integer(1)
        _ = try c.integer(2)
        _ = try timeout(c, 3)
        if local != 0 && !c.engine.isAppendOnlyOn {
            throw RedisError("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
        }
        c.reply.arrayHeader(2)
        if c.engine.isAppendOnlyOn {
            c.engine.aof.durabilityRequested = true
            c.reply.integer(1)
        } else {
            c.reply.integer(0)
        }
        c.reply.integer(0)
    }

    /// WAIT numreplicas timeout: a standalone server has no replicas to count.
    static func wait(_ c: CommandContext) throws(RedisError) {
        _ = try c.integer(1)
        _ = try timeout(c, 2)
        c.reply.integer(0)
    }
}

import NIOCore
import RoostRESP

/// SYNC, PSYNC, REPLCONF, REPLICAOF, SLAVEOF and FAILOVER (Redis's `replication.c`).
///
/// Roost does not replicate: it is one embedded server, and a user who needs replicas or
/// scale-out runs Redis or Valkey (DESIGN.md). It answers as a Redis master with no replicas
/// wherever that answer is well defined — REPLICAOF NO ONE, FAILOVER, REPLCONF's options, every
/// syntax and range error — and refuses, in Redis's "… not allowed …" wording, exactly where
/// Redis would start replicating: REPLICAOF naming a master, and SYNC or PSYNC from a replica.
enum ReplicationCommands {
    static let categories = ["admin", "slow", "dangerous"]
    static let syncFlags: CommandFlags = [.admin, .noscript, .noAsyncLoading, .noMulti]
    static let replicaOfFlags: CommandFlags = [.admin, .noscript, .stale, .noAsyncLoading]
    static let replicaOfSummary = "Make the server a replica of another instance, or promote it as master."

    static let specs: [CommandSpec] = [
        CommandSpec("sync", arity: 1, flags: syncFlags, categories: categories, group: "server", since: "1.0.0",
                    summary: "Internal command used for replication", handler: sync),
        CommandSpec("psync", arity: -3, flags: syncFlags, categories: categories, group: "server", since: "2.8.0",
                    summary: "Internal command used for replication", handler: sync),
        CommandSpec("replconf", arity: -1, flags: [.admin, .noscript, .loading, .stale, .allowBusy],
                    categories: categories, group: "server", since: "3.0.0",
                    summary: "An internal command for configuring the replication stream", complexity: "O(1)",
                    handler: replconf),
        CommandSpec("replicaof", arity: 3, flags: replicaOfFlags, categories: categories, group: "server",
                    since: "5.0.0", summary: replicaOfSummary, complexity: "O(1)", handler: replicaOf),
        CommandSpec("slaveof", arity: 3, flags: replicaOfFlags, categories: categories, group: "server",
                    since: "1.0.0", summary: replicaOfSummary, complexity: "O(1)", handler: replicaOf),
        CommandSpec("failover", arity: -1, flags: [.admin, .noscript, .stale], categories: categories,
                    group: "server", since: "6.2.0",
                    summary: "Start a coordinated failover between this server and one of its replicas.",
                    complexity: "O(1)", handler: failover),
    ]

    /// SYNC and PSYNC: the checks a master makes before it would send its dataset, then the
    /// refusal.
    static func sync(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 && c.argument(0, is: "psync") && c.argument(3, is: "failover") {
            throw .psyncFailoverToMaster
        }
        if c.hasPendingReplies { throw .syncWithPendingOutput }
        throw .syncNotAllowed
    }

    /// REPLCONF as a master answers a client that is not a replica: options are checked and
    /// remembered by nobody; ACK and GETACK get no reply at all, as in Redis.
    static func replconf(_ c: CommandContext) throws(RedisError) {
        if c.count % 2 == 0 { throw .syntax }
        for j in stride(from: 1, to: c.count, by: 2) {
            let value = c.arguments[j + 1]
            if c.argument(j, is: "listening-port") {
                _ = try c.integer(j + 1)
            } else if c.argument(j, is: "ip-address") {
                // NET_HOST_STR_LEN
                if value.readableBytes >= 256 {
                    throw .format("REPLCONF ip-address provided by replica instance is too long: \(value.readableBytes) bytes")
                }
            } else if c.argument(j, is: "capa") {
                continue
            } else if c.argument(j, is: "ack") || c.argument(j, is: "getack") {
                return
            } else if c.argument(j, is: "rdb-only") {
                let only = try c.integer(j + 1)
                if only < 0 || only > 1 { throw .replconfRDBOnlyRange }
            } else if c.argument(j, is: "rdb-filter-only") {
                guard let filters = AOFManifest.splitArguments(String(decoding: value.readableBytesView, as: UTF8.self)) else {
                    throw .replconfMissingFilter
                }
                for filter in filters where filter.lowercased() != "functions" {
                    throw .format("Unsupported rdb-filter-only option: \(filter)")
                }
            } else {
                throw .format("Unrecognized REPLCONF option: \(cString: c.arguments[j])")
            }
        }
        c.reply.ok()
    }

    /// REPLICAOF and SLAVEOF: NO ONE is already true; a master's address is checked as Redis
    /// checks it, then refused.
    static func replicaOf(_ c: CommandContext) throws(RedisError) {
        if c.argument(1, is: "no") && c.argument(2, is: "one") {
            c.reply.ok()
            return
        }
        guard let port = RedisInteger.parse(c.arguments[2]), port >= 0 && port <= 65535 else {
            throw .invalidMasterPort
        }
        throw .replicaOfNotAllowed
    }

    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: parsed as Redis parses it, then
    /// refused for want of replicas.
    static func failover(_ c: CommandContext) throws(RedisError) {
        if c.count == 2 && c.argument(1, is: "abort") { throw .noFailoverInProgress }
        var timeout: Int64 = 0
        var force = false
        var target = false
        var j = 1
        while j < c.count {
            if c.argument(j, is: "timeout") && j + 1 < c.count && timeout == 0 {
                timeout = try c.integer(j + 1)
                if timeout <= 0 { throw .failoverTimeoutNotPositive }
                j += 1
            } else if c.argument(j, is: "to") && j + 2 < c.count && !target {
                _ = try c.integer(j + 2)
                target = true
                j += 2
            } else if c.argument(j, is: "force") && !force {
                force = true
            } else {
                throw .syntax
            }
            j += 1
        }
        throw .failoverWithoutReplicas
    }
}

extension CommandContext {
    /// Whether replies to earlier commands are still waiting to be written (Redis's
    /// `clientHasPendingReplies`): in a pipeline, or under EXEC.
    var hasPendingReplies: Bool {
        client.reply.bufferedBytes + (client.connection?.outputBacklog ?? 0) > 0
    }
}

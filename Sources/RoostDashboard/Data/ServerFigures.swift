import RoostClient
import RoostCoordination
import RoostRESP

/// What the server page and `/metrics` show of the server: its `INFO` fields and its slow log.
/// On a Redis Cluster these are one node's; `ServerFigures.nodes(of:)` reads every node's.
struct ServerFigures: Sendable {
    /// One `SLOWLOG GET` entry.
    struct SlowCommand: Sendable, Hashable {
        var id: Int64
        /// When it ran, in seconds since 1970.
        var time: Int64
        var microseconds: Int64
        /// The command and its arguments (as the server shortened them).
        var arguments: [String]
    }

    /// `INFO`'s fields.
    var info: [String: String]
    /// The slowest recent commands, newest first.
    var slowLog: [SlowCommand]

    /// The page's sections: title and the `INFO` fields shown, in order (missing ones skipped).
    static let sections: [(title: String, fields: [String])] = [
        ("Server", ["redis_version", "roost_version", "redis_mode", "os", "process_id", "tcp_port", "uptime_in_seconds"]),
        ("Memory", ["used_memory_human", "used_memory_peak_human", "maxmemory_human", "maxmemory_policy",
                    "mem_fragmentation_ratio"]),
        ("Clients", ["connected_clients", "blocked_clients", "maxclients"]),
        ("Throughput", ["instantaneous_ops_per_sec", "total_commands_processed", "total_connections_received",
                        "keyspace_hits", "keyspace_misses", "expired_keys", "evicted_keys"]),
        ("Persistence", ["loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                         "rdb_last_bgsave_status", "aof_enabled", "aof_rewrite_in_progress"]),
    ]

    /// The keyspace lines: `db0` → `keys=3,expires=0,avg_ttl=0`.
    var keyspace: [(database: String, summary: String)] {
        info.filter { $0.key.hasPrefix("db") && Int($0.key.dropFirst(2)) != nil }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }

    /// How many keys database `db<n>` holds, from its keyspace line.
    static func keys(in summary: String) -> Int? {
        summary.split(separator: ",").first { $0.hasPrefix("keys=") }.flatMap { Int($0.dropFirst(5)) }
    }

    /// How many keys the server holds, over every database.
    var keyCount: Int { keyspace.compactMap { Self.keys(in: $0.summary) }.reduce(0, +) }

    /// Reads `INFO` and the `count` newest slow-log entries from `client`'s server (one node
    /// of a cluster: a `RedisClusterNodeExecutor`).
    static func read(from client: some RedisCommandExecutor, slowLogCount: Int = 20) async throws -> ServerFigures {
        let info = try await client.infoFields()
        guard slowLogCount > 0 else { return ServerFigures(info: info, slowLog: []) }
        let reply = try await client.execute(RedisCommand("SLOWLOG", ["GET", RedisArgument(slowLogCount)]), timeout: nil)
        return ServerFigures(info: info, slowLog: Self.slowLog(from: reply))
    }

    /// `SLOWLOG GET`'s entries: `[id, time, microseconds, [arguments…], …]` each.
    static func slowLog(from reply: RESPValue) -> [SlowCommand] {
        guard case .array(.some(let entries)) = reply else { return [] }
        return entries.compactMap { entry in
            guard case .array(.some(let fields)) = entry, fields.count >= 4,
                  case .integer(let id) = fields[0], case .integer(let time) = fields[1], case .integer(let micros) = fields[2],
                  case .array(.some(let arguments)) = fields[3] else { return nil }
            return SlowCommand(id: id, time: time, microseconds: micros, arguments: arguments.map { argument in
                if case .bulkString(.some(let bytes)) = argument { return String(decoding: bytes, as: UTF8.self) }
                return "\(argument)"
            })
        }
    }
}

/// One node of a Redis Cluster with its `INFO` fields, for the server page's table of nodes and
/// for `/metrics`.
struct ClusterNodeFigures: Sendable {
    var node: RedisClusterNode
    /// The node's figures (no slow log), or why it did not answer.
    var figures: Result<ServerFigures, any Error>

    /// `host:port`, the node's name in links and labels.
    var name: String { node.address.description }

    /// The node's slot ranges as `0-5460,10923`.
    var slotRanges: String {
        node.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    /// `INFO` of every node of `cluster` (masters, then replicas, each by address), read
    /// concurrently; a node that does not answer keeps its error.
    static func read(from cluster: RedisClusterClient) async throws -> [ClusterNodeFigures] {
        try await cluster.onEveryNode { _, node in try await ServerFigures.read(from: node, slowLogCount: 0) }
            .map { ClusterNodeFigures(node: $0.node, figures: $0.result) }
    }
}

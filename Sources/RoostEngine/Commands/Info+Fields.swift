import CLua

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The INFO fields Redis 7.0 prints beyond those `fields(_:engine:)` builds, merged into Redis's
/// order. Where Roost has the thing a field measures the figure is real; where it has no such
/// feature (fork, replication links, active defrag, I/O threads, cluster bus, jemalloc), the
/// field says what a Redis without it says.
extension ServerInfo {
    /// Redis 7.0.15's fields of each section, in its order, with Roost's deliberate extras at the
    /// place Redis 7.4 prints them: `pubsub_clients` and the two `*_buffer_limit_disconnections`
    /// counters (Redis 7.4's), and `roost_version` after `redis_version`.
    static let fieldOrder: [String: [String]] = [
        "server": [
            "redis_version", "roost_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode",
            "os", "arch_bits", "monotonic_clock", "multiplexing_api", "atomicvar_api", "gcc_version", "process_id",
            "process_supervised", "run_id", "tcp_port", "server_time_usec", "uptime_in_seconds", "uptime_in_days",
            "hz", "configured_hz", "lru_clock", "executable", "config_file", "io_threads_active",
        ],
        "clients": [
            "connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
            "client_recent_max_output_buffer", "blocked_clients", "tracking_clients", "pubsub_clients",
            "clients_in_timeout_table",
        ],
        "memory": [
            "used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak",
            "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead", "used_memory_startup",
            "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
            "allocator_resident", "total_system_memory", "total_system_memory_human", "used_memory_lua",
            "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval", "number_of_cached_scripts",
            "number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
            "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts", "used_memory_scripts_human",
            "maxmemory", "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio", "allocator_frag_bytes",
            "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes",
            "mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_not_counted_for_evict",
            "mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
            "mem_cluster_links", "mem_aof_buffer", "mem_allocator", "active_defrag_running",
            "lazyfree_pending_objects", "lazyfreed_objects",
        ],
        "stats": [
            "total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
            "total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes",
            "total_net_repl_output_bytes", "instantaneous_input_kbps", "instantaneous_output_kbps",
            "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps", "rejected_connections", "sync_full",
            "sync_partial_ok", "sync_partial_err", "expired_keys", "expired_stale_perc",
            "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients",
            "total_eviction_exceeded_time", "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses",
            "pubsub_channels", "pubsub_patterns", "pubsubshard_channels", "latest_fork_usec", "total_forks",
            "migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
            "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
            "current_active_defrag_time", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes",
            "unexpected_error_replies", "total_error_replies", "dump_payload_sanitizations", "total_reads_processed",
            "total_writes_processed", "io_threaded_reads_processed", "io_threaded_writes_processed",
            "client_query_buffer_limit_disconnections", "client_output_buffer_limit_disconnections",
            "reply_buffer_shrinks", "reply_buffer_expands",
        ],
    ]

    /// Each field's place in `fieldOrder`, per section: built once, not on every INFO.
    static let fieldRank: [String: [String: Double]] = fieldOrder.mapValues { order in
        Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, Double($0)) })
    }

    /// `fields(section, engine:)` with the fields it lacks added, in Redis's order. A field
    /// `fields` already has keeps its value; one `fieldOrder` does not know follows the field
    /// it followed.
    static func completedFields(_ section: String, engine: Engine) -> [(String, String)] {
        let base = fields(section, engine: engine)
        guard let rank = fieldRank[section] else { return base }
        let present = Set(base.map(\.0))
        var merged = base
        for field in additionalFields(section, engine: engine) where !present.contains(field.0) {
            merged.append(field)
        }
        var last = -1.0
        let keyed = merged.enumerated().map { position, field -> (Double, Int, (String, String)) in
            if let r = rank[field.0] {
                if position < base.count { last = r }
                return (r, position, field)
            }
            return (last + 0.5, position, field)
        }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// The fields Redis 7.0 prints in `section` that `fields(_:engine:)` does not build.
    static func additionalFields(_ section: String, engine: Engine) -> [(String, String)] {
        switch section {
        case "server": return serverFields(engine: engine)
        case "clients":
            return [
                ("cluster_connections", "0"),
                ("client_recent_max_input_buffer", String(engine.recentClientBuffers.maxInput)),
                ("client_recent_max_output_buffer", String(engine.recentClientBuffers.maxOutput)),
                ("clients_in_timeout_table", String(engine.clientsWithTimeout)),
            ]
        case "memory": return additionalMemoryFields(engine: engine)
        case "stats": return additionalStatsFields(engine: engine)
        default: return []
        }
    }

    static func serverFields(engine: Engine) -> [(String, String)] {
        #if canImport(Darwin)
        let multiplexing = "kqueue"
        #else
        let multiplexing = "epoll"  // SwiftNIO's selector on Linux
        #endif
        return [
            // Not built from a Git checkout Redis knows of: Redis prints these then.
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_build_id", buildID),
            ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", multiplexing),
            ("atomicvar_api", "c11-builtin"),
            // Redis prints 0.0.0 when not compiled by GCC.
            ("gcc_version", "0.0.0"),
            ("process_supervised", "no"),
            ("run_id", engine.runID),
            ("lru_clock", String(UInt32(truncatingIfNeeded: (Engine.clock() / 1000) & 0xFF_FFFF))),
            ("executable", executable),
            ("config_file", engine.configuration.configFile.map(absolutePath) ?? ""),
            ("io_threads_active", "0"),
        ]
    }

    /// A hash of the versions this build reports, in hex, as Redis's build id hashes its build.
    static let buildID: String = {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (Engine.redisVersion + " " + Engine.version).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(String(hash, radix: 16).prefix(15))
    }()

    /// The absolute path the process was started as, as Redis makes it from `argv[0]`.
    static let executable = absolutePath(CommandLine.arguments.first ?? "")

    /// `path` made absolute against the working directory (Redis's `getAbsolutePath`).
    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") || path.isEmpty { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let directory = String(cString: cwd)
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    static func additionalMemoryFields(engine: Engine) -> [(String, String)] {
        let used = Int64(engine.usedMemory)
        let eval = engine.scripting
        let functions = engine.functionScripting
        let evalVM = Int64(eval.map { Int(lua_gc($0.L, LUA_GCCOUNT, 0)) * 1024 } ?? 0)
        // The cached scripts' bodies and SHA-1 names; the libraries' code and names.
        let scriptsEval = Int64(eval?.scripts.values.reduce(0) { $0 + $1.body.count + 40 } ?? 0)
        let librariesMemory = Int64(functions?.libraries.values.reduce(0) { $0 + $1.code.count + $1.name.utf8.count } ?? 0)
        var result: [(String, String)] = [
            ("used_memory_scripts_eval", String(scriptsEval)),
            ("number_of_cached_scripts", String(eval?.scripts.count ?? 0)),
            ("number_of_functions", String(functions?.functions.count ?? 0)),
            ("number_of_libraries", String(functions?.libraries.count ?? 0)),
            ("used_memory_functions", String(librariesMemory)),
            ("used_memory_scripts", String(scriptsEval + librariesMemory)),
            ("used_memory_scripts_human", human(scriptsEval + librariesMemory)),
        ]
        // Without jemalloc's figures Redis takes the allocator's as the process's resident
        // size less Lua's memory, and the allocated bytes as used_memory.
        if let rss = residentBytes(), used > 0 {
            let resident = max(1, rss - evalVM)
            result += [
                ("allocator_allocated", String(used)),
                ("allocator_active", String(resident)),
                ("allocator_resident", String(resident)),
                ("allocator_frag_ratio", ratio(resident, used)),
                ("allocator_frag_bytes", String(resident - used)),
                ("allocator_rss_ratio", "1.00"),
                ("allocator_rss_bytes", "0"),
                ("rss_overhead_ratio", ratio(rss, resident)),
                ("rss_overhead_bytes", String(rss - resident)),
            ]
        }
        var normalClients = 0
        for client in engine.clients.values { normalClients += client.queryBufferLength + client.reply.bufferedBytes }
        var aofBuffer = 0
        for (_, command) in engine.aof.pending {
            for argument in command { aofBuffer += argument.readableBytes }
        }
        result += [
            ("mem_replication_backlog", "0"),
            ("mem_total_replication_buffers", "0"),
            ("mem_clients_slaves", "0"),
            ("mem_clients_normal", String(normalClients)),
            ("mem_cluster_links", "0"),
            ("mem_aof_buffer", String(aofBuffer)),
            ("active_defrag_running", "0"),
            // Roost frees values at once: nothing is ever left to a lazy-free thread.
            ("lazyfree_pending_objects", "0"),
            ("lazyfreed_objects", "0"),
        ]
        return result
    }

    static func ratio(_ a: Int64, _ b: Int64) -> String {
        DoubleFormat.c(format: "%.2f", b > 0 ? Double(a) / Double(b) : 0)
    }

    static func additionalStatsFields(engine: Engine) -> [(String, String)] {
        let s = engine.statistics
        let i = s.instantaneous
        func kbps(_ metric: InstantaneousMetrics.Metric) -> String {
            DoubleFormat.c(format: "%.2f", Double(i.rate(metric)) / 1024)
        }
        return [
            ("instantaneous_ops_per_sec", String(i.rate(.commands))),
            ("total_net_repl_input_bytes", "0"),
            ("total_net_repl_output_bytes", "0"),
            ("instantaneous_input_kbps", kbps(.netInput)),
            ("instantaneous_output_kbps", kbps(.netOutput)),
            ("instantaneous_input_repl_kbps", "0.00"),
            ("instantaneous_output_repl_kbps", "0.00"),
            ("sync_full", "0"),
            ("sync_partial_ok", "0"),
            ("sync_partial_err", "0"),
            ("expired_stale_perc", DoubleFormat.c(format: "%.2f", s.expiredStaleShare * 100)),
            ("expired_time_cap_reached_count", String(s.expiredTimeCapReached)),
            ("expire_cycle_cpu_milliseconds", String(s.expireCycleMicroseconds / 1000)),
            // Roost has no maxmemory-clients: no client is ever evicted.
            ("evicted_clients", "0"),
            ("pubsubshard_channels", String(engine.shardChannelSubscribers.count)),
            // BGSAVE and rewrites take snapshots in-process: Roost never forks.
            ("latest_fork_usec", "0"),
            ("total_forks", "0"),
            ("migrate_cached_sockets", String(engine.migrationConnections.count)),
            ("slave_expires_tracked_keys", "0"),
            ("active_defrag_hits", "0"),
            ("active_defrag_misses", "0"),
            ("active_defrag_key_hits", "0"),
            ("active_defrag_key_misses", "0"),
            ("total_active_defrag_time", "0"),
            ("current_active_defrag_time", "0"),
            ("unexpected_error_replies", String(s.unexpectedErrorReplies)),
            // Roost has no `sanitize-dump-payload`: it runs as under Redis's default, `no`.
            ("dump_payload_sanitizations", "0"),
            ("total_reads_processed", String(s.readsProcessed)),
            ("total_writes_processed", String(s.writesProcessed)),
            ("io_threaded_reads_processed", "0"),
            ("io_threaded_writes_processed", "0"),
            ("reply_buffer_shrinks", "0"),
            ("reply_buffer_expands", "0"),
        ]
    }
}

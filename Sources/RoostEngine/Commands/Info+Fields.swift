import CLua

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The server, clients, memory and stats sections, each built once in Redis 7.0.15's field
/// order (InfoFieldsDifferentialTests checks it against redis-server). Roost's deliberate extras
/// stand where Redis 7.4 prints them: `roost_version` after `redis_version`, `pubsub_clients`,
/// and the two `*_buffer_limit_disconnections` counters. Where Roost has the thing a field
/// measures the figure is real; where it has no such feature (fork, replication links, active
/// defrag, I/O threads, cluster bus, jemalloc), the field says what a Redis without it says.
extension ServerInfo {
    static func serverFields(engine: Engine, now: Int64) -> [(String, String)] {
        #if canImport(Darwin)
        let multiplexing = "kqueue"
        #else
        let multiplexing = "epoll"  // SwiftNIO's selector on Linux
        #endif
        let uptime = (now - engine.startTime) / 1000
        var result: [(String, String)] = [
            ("redis_version", Engine.redisVersion),
            ("roost_version", Engine.version),
            // Not built from a Git checkout Redis knows of: Redis prints these then.
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_build_id", buildID),
            ("redis_mode", "standalone"),
        ]
        if let os = operatingSystem() { result.append(("os", os)) }
        result += [
            ("arch_bits", String(MemoryLayout<Int>.size * 8)),
            ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", multiplexing),
            ("atomicvar_api", "c11-builtin"),
            // Redis prints 0.0.0 when not compiled by GCC.
            ("gcc_version", "0.0.0"),
            ("process_id", String(getpid())),
            ("process_supervised", "no"),
            ("run_id", engine.runID),
            ("tcp_port", String(engine.configuration.port)),
            ("server_time_usec", String(Engine.clockMicroseconds())),
            ("uptime_in_seconds", String(uptime)),
            ("uptime_in_days", String(uptime / 86400)),
            ("hz", String(engine.configuration.hz)),
            ("configured_hz", String(engine.configuration.hz)),
            ("lru_clock", String(UInt32(truncatingIfNeeded: (now / 1000) & 0xFF_FFFF))),
            ("executable", executable),
            ("config_file", engine.configuration.configFile.map(absolutePath) ?? ""),
            ("io_threads_active", "0"),
        ]
        return result
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

    static func clientsFields(engine: Engine) -> [(String, String)] {
        var pubsub = 0
        for client in engine.clients.values where client.isSubscribed { pubsub += 1 }
        return [
            ("connected_clients", String(engine.clients.count)),
            ("cluster_connections", "0"),
            ("maxclients", String(engine.configuration.maxClients)),
            ("client_recent_max_input_buffer", String(engine.recentClientBuffers.maxInput)),
            ("client_recent_max_output_buffer", String(engine.recentClientBuffers.maxOutput)),
            ("blocked_clients", String(engine.blockedClientCount)),
            ("tracking_clients", String(engine.tracking.clientCount)),
            ("pubsub_clients", String(pubsub)),
            ("clients_in_timeout_table", String(engine.clientsWithTimeout)),
        ]
    }

    /// The memory section. Fields Roost has no honest value for are left out where Redis
    /// leaves them out: the resident size where `/proc` cannot be read, and so on.
    static func memoryFields(engine: Engine) -> [(String, String)] {
        let used = Int64(engine.usedMemory)
        let peak = Int64(max(engine.peakMemory, Int(used)))
        let startup = Int64(Engine.startupMemory)
        let dataset = Int64(engine.datasetMemory)
        let eval = engine.scripting
        let functions = engine.functionScripting
        let evalVM = Int64(eval.map { Int(lua_gc($0.L, LUA_GCCOUNT, 0)) * 1024 } ?? 0)
        let functionsVM = Int64(functions.map { Int(lua_gc($0.L, LUA_GCCOUNT, 0)) * 1024 } ?? 0)
        // The cached scripts' bodies and SHA-1 names; the libraries' code and names.
        let scriptsEval = Int64(eval?.scripts.values.reduce(0) { $0 + $1.body.count + 40 } ?? 0)
        let librariesMemory = Int64(functions?.libraries.values.reduce(0) { $0 + $1.code.count + $1.name.utf8.count } ?? 0)
        let rss = recentResidentBytes()
        // Without jemalloc's figures Redis takes the allocator's resident bytes as the process's
        // resident size less Lua's memory, and the allocated bytes as used_memory: all from the
        // one resident-size sample, as Redis's come from one cron sample.
        let allocatorResident = rss.flatMap { used > 0 ? max(1, $0 - evalVM) : nil }

        var result: [(String, String)] = [("used_memory", String(used)), ("used_memory_human", human(used))]
        if let rss { result += [("used_memory_rss", String(rss)), ("used_memory_rss_human", human(rss))] }
        result += [
            ("used_memory_peak", String(peak)),
            ("used_memory_peak_human", human(peak)),
            ("used_memory_peak_perc", percent(used, of: peak)),
            ("used_memory_overhead", String(used - dataset)),
            ("used_memory_startup", String(startup)),
            ("used_memory_dataset", String(dataset)),
            ("used_memory_dataset_perc", percent(dataset, of: used - startup)),
        ]
        if let resident = allocatorResident {
            result += [
                ("allocator_allocated", String(used)),
                ("allocator_active", String(resident)),
                ("allocator_resident", String(resident)),
            ]
        }
        let system = Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        if system > 0 { result += [("total_system_memory", String(system)), ("total_system_memory_human", human(system))] }
        let maxMemory = Int64(engine.configuration.maxMemory)
        result += [
            ("used_memory_lua", String(evalVM)),
            ("used_memory_vm_eval", String(evalVM)),
            ("used_memory_lua_human", human(evalVM)),
            ("used_memory_scripts_eval", String(scriptsEval)),
            ("number_of_cached_scripts", String(eval?.scripts.count ?? 0)),
            ("number_of_functions", String(functions?.functions.count ?? 0)),
            ("number_of_libraries", String(functions?.libraries.count ?? 0)),
            ("used_memory_vm_functions", String(functionsVM)),
            ("used_memory_vm_total", String(evalVM + functionsVM)),
            ("used_memory_vm_total_human", human(evalVM + functionsVM)),
            ("used_memory_functions", String(librariesMemory)),
            ("used_memory_scripts", String(scriptsEval + librariesMemory)),
            ("used_memory_scripts_human", human(scriptsEval + librariesMemory)),
            ("maxmemory", String(maxMemory)),
            ("maxmemory_human", human(maxMemory)),
            ("maxmemory_policy", engine.configuration.maxMemoryPolicy),
        ]
        if let rss, let resident = allocatorResident {
            result += [
                ("allocator_frag_ratio", ratio(resident, used)),
                ("allocator_frag_bytes", String(resident - used)),
                ("allocator_rss_ratio", "1.00"),
                ("allocator_rss_bytes", "0"),
                ("rss_overhead_ratio", ratio(rss, resident)),
                ("rss_overhead_bytes", String(rss - resident)),
            ]
        }
        if let rss, used > 0 {
            result += [
                ("mem_fragmentation_ratio", ratio(rss, used)),
                ("mem_fragmentation_bytes", String(rss - used)),
            ]
        }
        var normalClients = 0
        for client in engine.clients.values { normalClients += client.queryBufferLength + client.reply.bufferedBytes }
        var aofBuffer = 0
        for (_, command) in engine.aof.pending {
            for argument in command { aofBuffer += argument.readableBytes }
        }
        result += [
            ("mem_not_counted_for_evict", "0"),
            ("mem_replication_backlog", "0"),
            ("mem_total_replication_buffers", "0"),
            ("mem_clients_slaves", "0"),
            ("mem_clients_normal", String(normalClients)),
            ("mem_cluster_links", "0"),
            ("mem_aof_buffer", String(aofBuffer)),
            ("mem_allocator", "libc"),
            ("active_defrag_running", "0"),
            // Roost frees values at once: nothing is ever left to a lazy-free thread.
            ("lazyfree_pending_objects", "0"),
            ("lazyfreed_objects", "0"),
        ]
        return result
    }

    /// `a / b` with two decimals, as Redis prints its ratios.
    static func ratio(_ a: Int64, _ b: Int64) -> String {
        DoubleFormat.c(format: "%.2f", b > 0 ? Double(a) / Double(b) : 0)
    }

    static func statsFields(engine: Engine, now: Int64) -> [(String, String)] {
        let s = engine.statistics
        let i = s.instantaneous
        func kbps(_ metric: InstantaneousMetrics.Metric) -> String {
            DoubleFormat.c(format: "%.2f", Double(i.rate(metric)) / 1024)
        }
        let currentExceeded = engine.evictionExceededSince.map { now - $0 } ?? 0
        return [
            ("total_connections_received", String(s.connectionsReceived)),
            ("total_commands_processed", String(s.commandsProcessed)),
            ("instantaneous_ops_per_sec", String(i.rate(.commands))),
            ("total_net_input_bytes", String(s.netInputBytes)),
            ("total_net_output_bytes", String(s.netOutputBytes)),
            ("total_net_repl_input_bytes", "0"),
            ("total_net_repl_output_bytes", "0"),
            ("instantaneous_input_kbps", kbps(.netInput)),
            ("instantaneous_output_kbps", kbps(.netOutput)),
            ("instantaneous_input_repl_kbps", "0.00"),
            ("instantaneous_output_repl_kbps", "0.00"),
            ("rejected_connections", String(s.rejectedConnections)),
            ("sync_full", "0"),
            ("sync_partial_ok", "0"),
            ("sync_partial_err", "0"),
            ("expired_keys", String(s.expiredKeys)),
            ("expired_stale_perc", DoubleFormat.c(format: "%.2f", s.expiredStaleShare * 100)),
            ("expired_time_cap_reached_count", String(s.expiredTimeCapReached)),
            ("expire_cycle_cpu_milliseconds", String(s.expireCycleMicroseconds / 1000)),
            ("evicted_keys", String(s.evictedKeys)),
            // Roost has no maxmemory-clients: no client is ever evicted.
            ("evicted_clients", "0"),
            ("total_eviction_exceeded_time", String(s.totalEvictionExceededTime + currentExceeded)),
            ("current_eviction_exceeded_time", String(currentExceeded)),
            ("keyspace_hits", String(s.keyspaceHits)),
            ("keyspace_misses", String(s.keyspaceMisses)),
            ("pubsub_channels", String(engine.channelSubscribers.count)),
            ("pubsub_patterns", String(engine.patternSubscribers.count)),
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
            ("tracking_total_keys", String(engine.tracking.table.count)),
            ("tracking_total_items", String(engine.tracking.totalItems)),
            ("tracking_total_prefixes", String(engine.tracking.prefixes.count)),
            ("unexpected_error_replies", String(s.unexpectedErrorReplies)),
            ("total_error_replies", String(s.errorReplies)),
            // Roost has no `sanitize-dump-payload`: it runs as under Redis's default, `no`.
            ("dump_payload_sanitizations", "0"),
            ("total_reads_processed", String(s.readsProcessed)),
            ("total_writes_processed", String(s.writesProcessed)),
            ("io_threaded_reads_processed", "0"),
            ("io_threaded_writes_processed", "0"),
            ("client_query_buffer_limit_disconnections", String(s.clientQueryBufferLimitDisconnections)),
            ("client_output_buffer_limit_disconnections", String(s.clientOutputBufferLimitDisconnections)),
            ("reply_buffer_shrinks", "0"),
            ("reply_buffer_expands", "0"),
        ]
    }
}

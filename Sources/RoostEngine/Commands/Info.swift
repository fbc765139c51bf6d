import CLua
import NIOConcurrencyHelpers
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text INFO replies with. Every figure is one Roost really measures; for a feature Roost
/// lacks (fork, replication links, defrag, jemalloc) a field says what a Redis without it says
/// (Info+Fields.swift).
enum ServerInfo {
    /// Every section, in the order Redis 7.0 prints them.
    static let allSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                              "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"]
    /// The sections INFO prints by default (and for `default`), in Redis's order.
    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                                  "module_list", "errorstats", "cluster", "keyspace"]

    /// The INFO text for the requested section names (already lowercased), as bytes: the
    /// errorstats names are the error prefixes' raw bytes, as Redis prints them.
    static func bytes(engine: Engine, sections requested: [String]) -> [UInt8] {
        var wanted: Set<String> = []
        if requested.isEmpty {
            wanted = Set(defaultSections)
        } else {
            for name in requested {
                switch name {
                case "default": wanted.formUnion(defaultSections)
                case "all", "everything": wanted.formUnion(allSections)
                default: wanted.insert(name)
                }
            }
        }
        // `module_list` (in the defaults) and `modules` name the same section.
        if wanted.contains("module_list") { wanted.insert("modules") }
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        for section in allSections where wanted.contains(section) {
            if !out.isEmpty { out += [13, 10] }
            out += "# ".utf8
            if section == "cpu" {
                out += "CPU".utf8
            } else {
                out += section.prefix(1).uppercased().utf8
                out += section.utf8.dropFirst()
            }
            out += [13, 10]
            if section == "errorstats" {
                engine.appendErrorStats(to: &out)
                continue
            }
            for (name, value) in completedFields(section, engine: engine) {
                out += name.utf8
                out.append(UInt8(ascii: ":"))
                out += value.utf8
                out += [13, 10]
            }
        }
        return out
    }

    /// A name made safe for an INFO line, as Redis's `getSafeInfoString` does.
    static func safe(_ name: String) -> String {
        String(name.map { "#:\r\n".contains($0) ? "_" : $0 })
    }

    /// `safe(_:)` for raw bytes.
    static func safe(bytes name: [UInt8]) -> [UInt8] {
        name.map { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: ":") || $0 == 13 || $0 == 10 ? UInt8(ascii: "_") : $0 }
    }

    /// The CPU time of the process (`who`: RUSAGE_SELF, RUSAGE_CHILDREN or RUSAGE_THREAD) as
    /// system and user `seconds.micros`.
    static func cpuTimes(_ who: Int32) -> (String, String) {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        func text(_ t: timeval) -> String {
            "\(t.tv_sec)." + String(String(t.tv_usec + 1_000_000).dropFirst())
        }
        return (text(usage.ru_stime), text(usage.ru_utime))
    }

    static func fields(_ section: String, engine: Engine) -> [(String, String)] {
        let now = Engine.clock()
        switch section {
        case "server":
            let uptime = (now - engine.startTime) / 1000
            var result: [(String, String)] = [
                ("redis_version", Engine.redisVersion),
                ("roost_version", Engine.version),
                ("redis_mode", "standalone"),
            ]
            if let os = operatingSystem() { result.append(("os", os)) }
            result += [
                ("arch_bits", String(MemoryLayout<Int>.size * 8)),
                ("process_id", String(getpid())),
                ("tcp_port", String(engine.configuration.port)),
                ("server_time_usec", String(Engine.clockMicroseconds())),
                ("uptime_in_seconds", String(uptime)),
                ("uptime_in_days", String(uptime / 86400)),
                ("hz", String(engine.configuration.hz)),
                ("configured_hz", String(engine.configuration.hz)),
            ]
            return result
        case "clients":
            let pubsub = engine.clients.values.filter { $0.isSubscribed }.count
            return [
                ("connected_clients", String(engine.clients.count)),
                ("maxclients", String(engine.configuration.maxClients)),
                ("blocked_clients", String(engine.blockedClientCount)),
                ("tracking_clients", String(engine.tracking.clientCount)),
                ("pubsub_clients", String(pubsub)),
            ]
        case "memory":
            return memoryFields(engine: engine)
        case "persistence":
            return engine.rdbInfoFields() + engine.appendOnlyInfoFields
        case "stats":
            let s = engine.statistics
            let currentExceeded = engine.evictionExceededSince.map { now - $0 } ?? 0
            return [
                ("total_connections_received", String(s.connectionsReceived)),
                ("total_commands_processed", String(s.commandsProcessed)),
                ("total_net_input_bytes", String(s.netInputBytes)),
                ("total_net_output_bytes", String(s.netOutputBytes)),
                ("rejected_connections", String(s.rejectedConnections)),
                ("expired_keys", String(s.expiredKeys)),
                ("evicted_keys", String(s.evictedKeys)),
                ("total_eviction_exceeded_time", String(s.totalEvictionExceededTime + currentExceeded)),
                ("current_eviction_exceeded_time", String(currentExceeded)),
                ("keyspace_hits", String(s.keyspaceHits)),
                ("keyspace_misses", String(s.keyspaceMisses)),
                ("pubsub_channels", String(engine.channelSubscribers.count)),
                ("pubsub_patterns", String(engine.patternSubscribers.count)),
                ("tracking_total_keys", String(engine.tracking.table.count)),
                ("tracking_total_items", String(engine.tracking.totalItems)),
                ("tracking_total_prefixes", String(engine.tracking.prefixes.count)),
                ("total_error_replies", String(s.errorReplies)),
                // Not in 7.0.15's INFO; named and placed as Redis 7.4 reports them.
                ("client_query_buffer_limit_disconnections", String(s.clientQueryBufferLimitDisconnections)),
                ("client_output_buffer_limit_disconnections", String(s.clientOutputBufferLimitDisconnections)),
            ]
        case "replication":
            // A standalone master without replicas: the figures Redis reports for one.
            return [
                ("role", "master"),
                ("connected_slaves", "0"),
                ("master_failover_state", "no-failover"),
                ("master_replid", engine.replicationID),
                ("master_replid2", String(repeating: "0", count: 40)),
                ("master_repl_offset", "0"),
                ("second_repl_offset", "-1"),
                ("repl_backlog_active", "0"),
                ("repl_backlog_size", "1048576"),
                ("repl_backlog_first_byte_offset", "0"),
                ("repl_backlog_histlen", "0"),
            ]
        case "cpu":
            let own = cpuTimes(RUSAGE_SELF.rawValue), children = cpuTimes(RUSAGE_CHILDREN.rawValue)
            let thread = cpuTimes(1)  // RUSAGE_THREAD: the thread answering INFO
            return [
                ("used_cpu_sys", own.0), ("used_cpu_user", own.1),
                ("used_cpu_sys_children", children.0), ("used_cpu_user_children", children.1),
                ("used_cpu_sys_main_thread", thread.0), ("used_cpu_user_main_thread", thread.1),
            ]
        case "commandstats":
            return engine.commandStatsFields
        case "latencystats":
            return engine.latencyStatsFields
        case "cluster":
            return [("cluster_enabled", "0")]
        case "keyspace":
            var result: [(String, String)] = []
            for db in engine.databases where db.keys.count > 0 {
                result.append(("db\(db.index)", "keys=\(db.keys.count),expires=\(db.expires.count),avg_ttl=0"))
            }
            return result
        default:
            return []
        }
    }

    /// The memory section, in Redis 7.0's field order, without the allocator and replication
    /// figures Roost has no honest value for.
    static func memoryFields(engine: Engine) -> [(String, String)] {
        let used = Int64(engine.usedMemory)
        let peak = Int64(max(engine.peakMemory, Int(used)))
        let startup = Int64(Engine.startupMemory)
        let dataset = Int64(engine.datasetMemory)
        let eval = Int64(engine.scripting.map { Int(lua_gc($0.L, LUA_GCCOUNT, 0)) * 1024 } ?? 0)
        let functions = Int64(engine.functionScripting.map { Int(lua_gc($0.L, LUA_GCCOUNT, 0)) * 1024 } ?? 0)
        let rss = recentResidentBytes()
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
        let system = Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        if system > 0 { result += [("total_system_memory", String(system)), ("total_system_memory_human", human(system))] }
        result += [
            ("used_memory_lua", String(eval)),
            ("used_memory_vm_eval", String(eval)),
            ("used_memory_lua_human", human(eval)),
            ("used_memory_vm_functions", String(functions)),
            ("used_memory_vm_total", String(eval + functions)),
            ("used_memory_vm_total_human", human(eval + functions)),
        ]
        let max = Int64(engine.configuration.maxMemory)
        result += [
            ("maxmemory", String(max)),
            ("maxmemory_human", human(max)),
            ("maxmemory_policy", engine.configuration.maxMemoryPolicy),
        ]
        if let rss, used > 0 {
            result += [
                ("mem_fragmentation_ratio", DoubleFormat.c(format: "%.2f", Double(rss) / Double(used))),
                ("mem_fragmentation_bytes", String(rss - used)),
            ]
        }
        result += [("mem_not_counted_for_evict", "0"), ("mem_allocator", "libc")]
        return result
    }

    /// `part` as a percentage of `whole`, as Redis prints it: `12.34%`.
    static func percent(_ part: Int64, of whole: Int64) -> String {
        DoubleFormat.c(format: "%.2f", whole > 0 ? Double(part) * 100 / Double(whole) : 0) + "%"
    }

    /// Bytes in Redis's `bytesToHuman` form: `512B`, `1.45M`.
    static func human(_ n: Int64) -> String {
        let d = Double(n)
        if n < 1024 { return "\(n)B" }
        let units: [(Double, String)] = [
            (1024.0 * 1024, "K"), (1024.0 * 1024 * 1024, "M"), (1024.0 * 1024 * 1024 * 1024, "G"),
            (1024.0 * 1024 * 1024 * 1024 * 1024, "T"), (1024.0 * 1024 * 1024 * 1024 * 1024 * 1024, "P"),
        ]
        for (limit, unit) in units where d < limit {
            return DoubleFormat.c(format: "%.2f", d / (limit / 1024)) + unit
        }
        return "\(n)B"
    }

    /// `uname -srm`, as Redis's `os` field.
    static func operatingSystem() -> String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
    }

    /// The resident set size read at most 100 ms ago: as Redis's `serverCron` samples it for
    /// INFO, so that tools polling INFO do not each open `/proc`.
    static func recentResidentBytes() -> Int64? {
        let now = Engine.clock()
        if let (time, bytes) = residentSample.withLockedValue({ $0 }), now - time < 100 { return bytes }
        let bytes = residentBytes()
        residentSample.withLockedValue { $0 = (now, bytes) }
        return bytes
    }

    /// The last resident-size sample: when (Unix milliseconds) and what.
    private static let residentSample = NIOLockedValueBox<(Int64, Int64?)?>(nil)

    /// Resident set size from `/proc/self/statm`, where available.
    static func residentBytes() -> Int64? {
        #if os(Linux)
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size: Int = 0
        var resident: Int = 0
        let read = withUnsafeMutablePointer(to: &size) { s in
            withUnsafeMutablePointer(to: &resident) { r in
                withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
            }
        }
        guard read == 2 else { return nil }
        return Int64(resident) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }
}

extension ReplyWriter {
    /// A verbatim string (`=`, format `txt`) in RESP3, a bulk string in RESP2, from raw bytes.
    func verbatim(bytes: [UInt8]) {
        if isResp3 {
            buffer.writeRESPHeader(UInt8(ascii: "="), bytes.count + 4)
            buffer.writeStaticString("txt:")
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        } else {
            bulk(bytes)
        }
    }
}

import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// INFO's fields against redis-server 7.0.15: the same names in the same order in every
/// section, the same values where they do not depend on timing, memory or the process, and
/// `instantaneous_ops_per_sec` following the load as Redis's does.
@Suite struct InfoFieldsDifferentialTests {
    /// Roost's fields Redis 7.0.15 lacks, on purpose, each with the field it follows:
    /// `roost_version` names Roost's build; `pubsub_clients` and the buffer-limit disconnection
    /// counters are Redis 7.4's fields, printed where 7.4 prints them.
    static let deliberateExtras: [String: String] = [
        "roost_version": "redis_version",
        "pubsub_clients": "tracking_clients",
        "client_query_buffer_limit_disconnections": "io_threaded_writes_processed",
        "client_output_buffer_limit_disconnections": "client_query_buffer_limit_disconnections",
    ]

    /// Fields whose values must be equal on both servers after the same commands.
    static let deterministicFields = [
        "redis_git_sha1", "redis_git_dirty", "redis_mode", "os", "arch_bits", "monotonic_clock",
        "multiplexing_api", "atomicvar_api", "process_supervised", "hz", "configured_hz", "io_threads_active",
        "connected_clients", "cluster_connections", "blocked_clients", "tracking_clients", "clients_in_timeout_table",
        "number_of_cached_scripts", "number_of_functions", "number_of_libraries", "maxmemory", "maxmemory_human",
        "maxmemory_policy", "mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
        "mem_clients_slaves", "mem_cluster_links", "active_defrag_running", "lazyfree_pending_objects",
        "lazyfreed_objects", "total_net_repl_input_bytes", "total_net_repl_output_bytes",
        "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps", "rejected_connections", "sync_full",
        "sync_partial_ok", "sync_partial_err", "expired_time_cap_reached_count", "evicted_keys", "evicted_clients",
        "keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns", "pubsubshard_channels",
        "latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
        "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
        "total_active_defrag_time", "current_active_defrag_time", "unexpected_error_replies",
        "total_error_replies", "dump_payload_sanitizations", "io_threaded_reads_processed",
        "io_threaded_writes_processed",
    ]

    /// `(section, [(name, value)])` of an INFO reply, in order.
    static func orderedSections(_ reply: [UInt8]) -> [(String, [(String, String)])] {
        var out: [(String, [(String, String)])] = []
        for line in String(decoding: reply, as: UTF8.self).split(separator: "\r\n") {
            if line.hasPrefix("# ") {
                out.append((String(line.dropFirst(2)), []))
            } else if let colon = line.firstIndex(of: ":"), !out.isEmpty, !line.hasPrefix("$") {
                out[out.count - 1].1.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        return out
    }

    static func info(_ connection: RawConnection, _ sections: String...) throws -> [(String, [(String, String)])] {
        try connection.send(command: [Array("INFO".utf8)] + sections.map { Array($0.utf8) })
        return orderedSections(try connection.readReply())
    }

    static func field(_ name: String, _ connection: RawConnection) throws -> String? {
        for (_, fields) in try info(connection, "everything") {
            if let found = fields.first(where: { $0.0 == name }) { return found.1 }
        }
        return nil
    }

    @Test func fieldNamesAndOrderMatchRedis() async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            let redis = try Self.info(r, "everything"), roost = try Self.info(o, "everything")
            #expect(redis.map(\.0) == roost.map(\.0))
            var extrasSeen: Set<String> = []
            for ((section, theirs), (_, mine)) in zip(redis, roost) where section != "Commandstats" && section != "Latencystats" {
                let names = mine.map(\.0).filter { Self.deliberateExtras[$0] == nil }
                #expect(names == theirs.map(\.0), "fields of \(section)")
                for (index, (name, _)) in mine.enumerated() {
                    guard let predecessor = Self.deliberateExtras[name] else { continue }
                    extrasSeen.insert(name)
                    #expect(index > 0 && mine[index - 1].0 == predecessor, "\(name) follows \(predecessor)")
                }
            }
            #expect(extrasSeen == Set(Self.deliberateExtras.keys))
        }
    }

    @Test func deterministicFieldsMatchRedis() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                CONFIG RESETSTAT
                SET k v
                GET k
                GET nokey
                SCRIPT LOAD "return 1"
                SCRIPT LOAD "return 2"
                FUNCTION LOAD "#!lua name=lib\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)"
                INCR k
                """#)
            let (r, o) = try pair.clients(1)
            let redis = try Self.info(r, "everything"), roost = try Self.info(o, "everything")
            func values(_ s: [(String, [(String, String)])]) -> [String: String] {
                var out: [String: String] = [:]
                for (_, fields) in s { for (name, value) in fields { out[name] = value } }
                return out
            }
            let theirs = values(redis), mine = values(roost)
            for name in Self.deterministicFields {
                #expect(theirs[name] != nil, "\(name) in Redis's INFO")
                #expect(theirs[name] == mine[name], "\(name)")
            }
            #expect(mine["number_of_functions"] == "2" && mine["number_of_cached_scripts"] == "2")
            let runID = try #require(mine["run_id"])
            #expect(runID.count == 40 && runID.allSatisfy(\.isHexDigit) && runID != mine["master_replid"])
            #expect(try Self.field("run_id", o) == runID)
            let lru = try #require(mine["lru_clock"].flatMap { Int($0) }), redisLRU = try #require(theirs["lru_clock"].flatMap { Int($0) })
            #expect(abs(lru - redisLRU) <= 2)
            #expect(mine["executable"]?.hasPrefix("/") == true)
            #expect(Int(mine["total_reads_processed"] ?? "") ?? 0 > 0 && Int(mine["total_writes_processed"] ?? "") ?? 0 > 0)
        }
    }

    /// Under a stream of commands the rate rises above 0 on both servers; once they stop it
    /// falls back to 0 (INFO itself is the only command then, polled less often than once per
    /// 16 samples so that it does not count).
    @Test func instantaneousOpsFollowTheLoad() async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            let (rInfo, oInfo) = try pair.clients(2)
            let batch = Array(String(repeating: "PING\r\n", count: 200).utf8)
            for (load, probe) in [(r, rInfo), (o, oInfo)] {
                try await eventually(timeout: .seconds(30), "instantaneous_ops_per_sec > 0 under load") {
                    try load.send(raw: batch)
                    for _ in 0..<200 { _ = try load.readReply() }
                    return Int(try Self.field("instantaneous_ops_per_sec", probe) ?? "") ?? 0 > 0
                }
                #expect(Double(try Self.field("instantaneous_input_kbps", probe) ?? "") ?? 0 > 0)
            }
            for probe in [rInfo, oInfo] {
                try await eventually(timeout: .seconds(30), "instantaneous_ops_per_sec back to 0") {
                    if Int(try Self.field("instantaneous_ops_per_sec", probe) ?? "") == 0 { return true }
                    try await Task.sleep(for: .seconds(2))
                    return false
                }
            }
        }
    }
}

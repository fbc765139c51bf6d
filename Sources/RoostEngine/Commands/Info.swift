import NIOConcurrencyHelpers
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text INFO replies with. Every figure is one Roost really measures; for a feature Roost
/// lacks (fork, replication links, defrag, jemalloc) a field says what a Redis without it says.
/// Each section's fields are built once, already in Redis's order: the long sections (server,
/// clients, memory, stats) in Info+Fields.swift, the short ones here.
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
            for (name, value) in fields(section, engine: engine) {
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

    /// The `name:value` fields of one section (errorstats excepted), in Redis's order.
    static func fields(_ section: String, engine: Engine) -> [(String, String)] {
        switch section {
        case "server":
            return serverFields(engine: engine, now: Engine.clock())
        case "clients":
            return clientsFields(engine: engine)
        case "memory":
            return memoryFields(engine: engine)
        case "persistence":
            return engine.rdbInfoFields() + engine.appendOnlyInfoFields
        case "stats":
            return statsFields(engine: engine, now: Engine.clock())
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

import CLua
#if canImport(Glibc)
import Glibc
#endif

/// MEMORY and its subcommands (Redis's `memoryCommand` in `object.c`), answered from Roost's own
/// accounting (`Engine+Memory.swift`), the counter behind `used_memory`.
enum MemoryCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("memory", arity: -2, categories: ["slow"], group: "server", since: "4.0.0",
                    summary: "A container for memory diagnostics commands", subcommands: [
                        CommandSpec("purge", arity: 2, categories: ["slow"],
                                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
                                    group: "server", since: "4.0.0", summary: "Ask the allocator to release memory",
                                    complexity: "Depends on how much memory is allocated, could be slow",
                                    handler: purge),
                        CommandSpec("malloc-stats", arity: 2, categories: ["slow"], tips: reportTips,
                                    group: "server", since: "4.0.0", summary: "Show allocator internal stats",
                                    complexity: "Depends on how much memory is allocated, could be slow",
                                    handler: mallocStats),
                        CommandSpec("doctor", arity: 2, categories: ["slow"], tips: reportTips,
                                    group: "server", since: "4.0.0", summary: "Outputs memory problems report",
                                    complexity: "O(1)", handler: doctor),
                        CommandSpec("usage", arity: -3, flags: [.readonly], categories: ["read", "slow"],
                                    group: "server", since: "4.0.0", summary: "Estimate the memory usage of a key",
                                    complexity: "O(N) where N is the number of samples.", handler: usage),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"],
                                    group: "server", since: "4.0.0",
                                    summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: help),
                        CommandSpec("stats", arity: 2, categories: ["slow"], tips: reportTips,
                                    group: "server", since: "4.0.0", summary: "Show memory usage details",
                                    complexity: "O(1)", handler: stats),
                    ], complexity: "Depends on subcommand."),
    ]

    static let reportTips = ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ])
    }

    /// MEMORY USAGE key [SAMPLES n]: the bytes Roost charges `used_memory` for the key, its value
    /// and its key-table entry, so that storing the key raises `used_memory` by this much (until
    /// the table's bucket array grows) and deleting it lowers it by as much.
    ///
    /// Not byte-identical to Redis, whose figure is jemalloc's size classes for its own
    /// encodings; Roost's figure is its glibc-calibrated estimate (`MemoryFootprint`). SAMPLES is
    /// checked as Redis checks it, but Roost's collections are always estimated from five
    /// elements, the figure `used_memory` carries. As in Redis, the key is found without
    /// expiring it.
    static func usage(_ c: CommandContext) throws(RedisError) {
        var j = 3
        while j < c.count {
            guard c.argument(j, is: "samples"), j + 1 < c.count else { throw .syntax }
            if try c.integer(j + 1) < 0 { throw .syntax }
            j += 2
        }
        let db = c.database
        let key = c.key(2)
        if !c.engine.pendingCharges.isEmpty { c.engine.settleCharges() }
        guard let value = db.keys[key] else {
            c.reply.nullBulk()
            return
        }
        c.reply.integer(Engine.charge(key, value) + db.keys.entryStride)
    }

    /// A `float` ratio promoted to a double, as Redis computes the ratios it prints.
    static func ratio(_ a: Int, _ b: Int) -> Double {
        Double(Float(a) / Float(b))
    }

    /// The figures MEMORY STATS and MEMORY DOCTOR report, Redis's `redisMemOverhead`.
    struct Overhead {
        var peak = 0, total = 0, startup = 0
        var luaCaches = 0, functionsCaches = 0
        var databases: [(index: Int, main: Int, expires: Int)] = []
        var overheadTotal = 0, keys = 0, bytesPerKey = 0, dataset = 0
        var datasetPercentage = 0.0, peakPercentage = 0.0
        /// Without jemalloc's figures, Redis takes the allocator's as these (`serverCron`).
        var allocated = 0, active = 0, resident = 0, rss = 0

        init(_ engine: Engine) {
            total = engine.usedMemory
            peak = Swift.max(engine.peakMemory, total)
            startup = Engine.startupMemory
            if let lua = engine.scripting { luaCaches = Int(lua_gc(lua.L, LUA_GCCOUNT, 0)) * 1024 }
            if let lua = engine.functionScripting { functionsCaches = Int(lua_gc(lua.L, LUA_GCCOUNT, 0)) * 1024 }
            overheadTotal = startup + luaCaches + functionsCaches
            for db in engine.databases where db.keys.count > 0 {
                keys += db.keys.count
                databases.append((index: db.index, main: db.keys.tableBytes, expires: db.expires.tableBytes))
                overheadTotal += db.keys.tableBytes + db.expires.tableBytes
            }
            dataset = total - overheadTotal
            peakPercentage = Double(Float(total) * 100 / Float(peak))
            let net = total > startup ? total - startup : 1
            datasetPercentage = Double(Float(dataset) * 100 / Float(net))
            bytesPerKey = keys > 0 ? net / keys : 0
            rss = Int(ServerInfo.residentBytes() ?? Int64(total))
            allocated = total
            resident = Swift.max(rss - luaCaches - functionsCaches, 1)
            active = resident
        }
    }

    /// MEMORY STATS: Redis's fields in Redis's order and types. The allocator's three figures are
    /// the ones Redis uses without jemalloc: `used_memory` allocated, RSS less Lua resident and
    /// active. Client buffers, the replication backlog and cluster links are not counted (0).
    static func stats(_ c: CommandContext) throws(RedisError) {
        let m = Overhead(c.engine)
        let r = c.reply
        func field(_ name: StaticString, _ value: Int) {
            r.bulk(name)
            r.integer(value)
        }
        func ratioField(_ name: StaticString, _ value: Double) {
            r.bulk(name)
            r.double(value)
        }
        r.mapHeader(27 + m.databases.count)
        field("peak.allocated", m.peak)
        field("total.allocated", m.total)
        field("startup.allocated", m.startup)
        field("replication.backlog", 0)
        field("clients.slaves", 0)
        field("clients.normal", 0)
        field("cluster.links", 0)
        field("aof.buffer", 0)
        field("lua.caches", m.luaCaches)
        field("functions.caches", m.functionsCaches)
        for db in m.databases {
            r.bulk(string: "db.\(db.index)")
            r.mapHeader(3)
            field("overhead.hashtable.main", db.main)
            field("overhead.hashtable.expires", db.expires)
            field("overhead.hashtable.slot-to-keys", 0)
        }
        field("overhead.total", m.overheadTotal)
        field("keys.count", m.keys)
        field("keys.bytes-per-key", m.bytesPerKey)
        field("dataset.bytes", m.dataset)
        ratioField("dataset.percentage", m.datasetPercentage)
        ratioField("peak.percentage", m.peakPercentage)
        field("allocator.allocated", m.allocated)
        field("allocator.active", m.active)
        field("allocator.resident", m.resident)
        ratioField("allocator-fragmentation.ratio", ratio(m.active, m.allocated))
        field("allocator-fragmentation.bytes", m.active - m.allocated)
        ratioField("allocator-rss.ratio", ratio(m.resident, m.active))
        field("allocator-rss.bytes", m.resident - m.active)
        ratioField("rss-overhead.ratio", ratio(m.rss, m.resident))
        field("rss-overhead.bytes", m.rss - m.resident)
        ratioField("fragmentation", ratio(m.rss, m.total))
        field("fragmentation.bytes", m.rss - m.total)
    }

    static let emptyReport = "Hi Sam, this instance is empty or is using very little memory, "
        + "my issues detector can't be used in these conditions. "
        + "Please, leave for your mission on Earth and fill it with some data. "
        + "The new Sam and I will be back to our programming as soon as I finished rebooting.\n"

    /// MEMORY DOCTOR: Redis's report. Under 5 MB of `used_memory` the instance counts as empty;
    /// above, Roost checks the peak, the fragmentation ratios and the script cache as Redis
    /// does (client buffers are not counted, so never reported).
    static func doctor(_ c: CommandContext) throws(RedisError) {
        let m = Overhead(c.engine)
        if m.total < 5 * 1024 * 1024 {
            c.reply.verbatim(emptyReport)
            return
        }
        let tenMB = 10 << 20
        var issues: [String] = []
        if Float(m.peak) / Float(m.total) > 1.5 {
            issues.append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
        }
        if ratio(m.rss, m.total) > 1.4 && m.rss - m.total > tenMB {
            issues.append(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n")
        }
        if ratio(m.resident, m.active) > 1.1 && m.resident - m.active > tenMB {
            issues.append(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n")
        }
        if ratio(m.rss, m.resident) > 1.1 && m.rss - m.resident > tenMB {
            issues.append(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n")
        }
        if (c.engine.scripting?.scripts.count ?? 0) > 1000 {
            issues.append(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n")
        }
        if issues.isEmpty {
            c.reply.verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
        } else {
            c.reply.verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n"
                             + issues.joined() + "I'm here to keep you safe, Sam. I want to help you.\n")
        }
    }

    /// MEMORY MALLOC-STATS: Roost runs on glibc's malloc, as `mem_allocator:libc` says, so it
    /// answers as a Redis built without jemalloc does.
    static func mallocStats(_ c: CommandContext) throws(RedisError) {
        c.reply.bulk("Stats not supported for the current allocator")
    }

    /// glibc's `malloc_trim`, which Swift's Glibc module does not import (`malloc.h`), looked
    /// up once; nil on another C library.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// MEMORY PURGE: gives free heap back to the system with glibc's `malloc_trim`, as Redis
    /// with jemalloc purges its dirty pages. Always OK.
    static func purge(_ c: CommandContext) throws(RedisError) {
        _ = mallocTrim?(0)
        c.reply.ok()
    }
}

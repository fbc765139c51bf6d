import Foundation
import NIOCore

/// DEBUG's subcommands other than RELOAD (Persistence.swift), as Redis 7.0's `debugCommand`
/// answers them, for the server's own tests and client test suites that use them. OBJECT and
/// LISTPACK are in Debug+Object.swift, DIGEST and DIGEST-VALUE in Debug+Digest.swift.
///
/// Subcommands that crash, restart or tune parts Roost does not have (SEGFAULT, MALLCTL,
/// HTSTATS, SDSLEN…) answer with Redis's unknown-subcommand error.
enum DebugCommands {
    static func run(_ c: CommandContext) throws(RedisError) {
        let n = c.count
        if c.argument(1, is: "help") && n == 2 {
            ConnectionCommands.writeHelp(c, helpLines)
        } else if c.argument(1, is: "error") && n == 3 {
            // Any error text, sent as given (CR and LF as spaces) and, as in Redis, not counted
            // in errorstats: clients use it to fake LOADING, READONLY, OOM…
            let text = c.arguments[2].readableBytesView.map { $0 == 13 || $0 == 10 ? 32 : $0 }
            c.reply.buffer.writeRESPError(bytes: text)
        } else if c.argument(1, is: "sleep") && n == 3 {
            // The whole server sleeps, as Redis's does: this is the engine's thread.
            let microseconds = Int64(strtod(cText(c, 2), nil) * 1_000_000)
            if microseconds > 0 {
                var interval = timespec(tv_sec: Int(microseconds / 1_000_000), tv_nsec: Int(microseconds % 1_000_000) * 1000)
                nanosleep(&interval, nil)
            }
            c.reply.ok()
        } else if c.argument(1, is: "set-active-expire") && n == 3 {
            c.engine.activeExpireEnabled = atoi(cText(c, 2)) != 0
            c.reply.ok()
        } else if c.argument(1, is: "log") && n == 3 {
            c.engine.log?(.warning, "DEBUG LOG: " + cText(c, 2))
            c.reply.ok()
        } else if c.argument(1, is: "change-repl-id") && n == 2 {
            c.engine.log?(.warning, "Changing replication IDs after receiving DEBUG change-repl-id")
            var random = SystemRandomNumberGenerator()
            c.engine.replicationID = Engine.randomReplicationID(using: &random)
            c.reply.ok()
        } else if c.argument(1, is: "quicklist-packed-threshold") && n == 3 {
            // Redis's `quicklistisSetPackedThreshold`: up to 4 GB less 1 MB, 0 for the default.
            // Roost's lists have no plain nodes, so the value is checked and has no effect.
            guard let size = EngineConfiguration.memoryValue(cText(c, 2)), size <= (1 << 32) - (1 << 20) else {
                throw .format("argument must be a memory value bigger than 1 and smaller than 4gb")
            }
            c.reply.ok()
        } else if c.argument(1, is: "stringmatch-test") && n == 2 {
            stringMatchFuzz()
            c.reply.status("Apparently Redis did not crash: test passed")
        } else if c.argument(1, is: "protocol") && n == 3 {
            try DebugProtocol.reply(c, c.arguments[2])
        } else if c.argument(1, is: "object") && n == 3 {
            try DebugObject.object(c)
        } else if c.argument(1, is: "listpack") && n == 3 {
            try DebugObject.listpack(c)
        } else if c.argument(1, is: "populate") && n >= 3 && n <= 5 {
            try populate(c)
        } else if c.argument(1, is: "digest") && n == 2 {
            c.reply.status(DatasetDigest.hex(DatasetDigest.dataset(c.engine)))
        } else if c.argument(1, is: "digest-value") {
            DatasetDigest.values(c)
        } else {
            throw .subcommandSyntax(c.arguments)
        }
    }

    /// DEBUG POPULATE count [prefix] [size]: string keys `prefix:N` (`key:N` by default) with
    /// values `value:N`, or with `size` bytes (`value:N` then zeros). Existing keys are kept. As
    /// Redis's `dbAdd` does, the values are not integer-encoded and nothing is propagated.
    static func populate(_ c: CommandContext) throws(RedisError) {
        // Redis's `getPositiveLongFromObjectOrReply`: one error for anything but a number >= 0.
        func positive(_ index: Int) throws(RedisError) -> Int64 {
            guard let n = try? c.integer(index), n >= 0 else { throw .valueMustBePositive }
            return n
        }
        let count = try positive(2)
        let size = c.count == 5 ? try positive(4) : 0
        let prefix = c.count >= 4 ? Array(c.arguments[3].readableBytesView.prefix { $0 != 0 }) : Array("key".utf8)
        let db = c.database
        for j in 0..<count {
            // snprintf into Redis's 128-byte buffer.
            let key = ByteString(bytes: (prefix + Array(":\(j)".utf8)).prefix(127))
            if c.engine.lookupWrite(db, key) != nil { continue }
            var value = Array("value:\(j)".utf8)
            if size > 0 { value = Array((value + [UInt8](repeating: 0, count: Int(size))).prefix(Int(size))) }
            c.engine.setKey(db, key, .string(StringValue(embedding: value)))
        }
        c.reply.ok()
    }

    /// Argument `index` as C text: up to its first NUL, as Redis's `strtod` and `atoi` read it.
    static func cText(_ c: CommandContext, _ index: Int) -> String {
        String(decoding: c.arguments[index].readableBytesView.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Redis's `stringmatchlen_fuzz_test`: random patterns against random strings, to show the
    /// matcher never crashes.
    static func stringMatchFuzz() {
        var random = SplitMix64(seed: UInt64(truncatingIfNeeded: Engine.clockMicroseconds()))
        let alphabet = Array("*?[]^-\\abc".utf8)
        for _ in 0..<100_000 {
            let pattern = (0..<Int(random.next() % 16)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let text = (0..<Int(random.next() % 16)).map { _ in UInt8(truncatingIfNeeded: random.next() % 128) }
            _ = GlobPattern(pattern).matches(text)
        }
    }

    /// DEBUG HELP, as redis-server 7.0.15 (built with jemalloc) prints it.
    static let helpLines: [String] = [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "ASSERT",
        "    Crash by assertion failed.",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "CRASH-AND-RECOVER [<milliseconds>]",
        "    Hard crash and restart after a <milliseconds> delay (default 0).",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LEAK <string>",
        "    Create a memory leak of the input string.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "REPLICATE <string>",
        "    Replicates the provided string to replicas, allowing data divergence.",
        "MALLCTL <key> [<val>]",
        "    Get or set a malloc tuning integer.",
        "MALLCTL-STR <key> [<val>]",
        "    Get or set a malloc tuning string.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "DROP-CLUSTER-PACKET-FILTER <packet-type>",
        "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
        "OOM",
        "    Crash the server simulating an out-of-memory error.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "RESTART [<milliseconds>]",
        "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "STRUCTSIZE",
        "    Return the size of different Redis core C structures.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "CLIENT-EVICTION",
        "    Show low level client eviction pools info (maxmemory-clients).",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "CLUSTERLINK KILL <to|from|all> <node-id>",
        "    Kills the link based on the direction to/from (both) with the provided node.",
        "HELP",
        "    Prints this help.",
    ]
}

extension Engine {
    /// 40 random hex digits: a new replication ID.
    static func randomReplicationID(using random: inout SystemRandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<40).map { _ in digits[Int.random(in: 0..<16, using: &random)] })
    }
}

/// DEBUG PROTOCOL: one test value of each RESP type, as Redis's `debugCommand` writes them.
enum DebugProtocol {
    static func reply(_ c: CommandContext, _ name: ByteBuffer) throws(RedisError) {
        let r = c.reply
        switch String(decoding: name.readableBytesView, as: UTF8.self).lowercased() {
        case "string": r.bulk("Hello World")
        case "integer": r.integer(12345)
        case "double": r.double(3.141)
        case "bignum":
            if r.isResp3 {
                r.buffer.writeStaticString("(1234567999999999999999999999999999999\r\n")
            } else {
                r.bulk("1234567999999999999999999999999999999")
            }
        case "null": r.nullBulk()
        case "array":
            r.arrayHeader(3)
            for j in 0..<3 { r.integer(j) }
        case "set":
            r.setHeader(3)
            for j in 0..<3 { r.integer(j) }
        case "map":
            r.mapHeader(3)
            for j in 0..<3 {
                r.integer(j)
                r.boolean(j == 1)
            }
        case "attrib":
            if r.isResp3 {
                r.buffer.writeStaticString("|1\r\n")
                r.bulk("key-popularity")
                r.arrayHeader(2)
                r.bulk("key:123")
                r.integer(90)
            }
            r.bulk("Some real reply following the attribute")
        case "push":
            guard r.isResp3 else { throw .format("RESP2 is not supported by this command") }
            r.pushHeader(2)
            r.bulk("server-cpu-usage")
            r.integer(42)
            r.bulk("Some real reply following the push reply")
        case "true": r.boolean(true)
        case "false": r.boolean(false)
        case "verbatim": r.verbatim("This is a verbatim\nstring")
        default:
            throw .format("Wrong protocol type name. Please use one of the following: "
                + "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
        }
    }
}

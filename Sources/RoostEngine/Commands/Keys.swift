import NIOCore
import RoostRESP

/// Generic key commands: DEL, EXISTS, TYPE, RENAME, COPY, MOVE, the EXPIRE and TTL families,
/// KEYS, SCAN, RANDOMKEY and OBJECT.
enum KeyCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("del", arity: -2, flags: [.write], categories: ["keyspace", "write", "slow"],
                    tips: ["request_policy:multi_shard", "response_policy:agg_sum"], summary: "Delete a key",
                    handler: del),
        CommandSpec("unlink", arity: -2, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    tips: ["request_policy:multi_shard", "response_policy:agg_sum"], since: "4.0.0", summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
                    handler: del),
        CommandSpec("exists", arity: -2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    tips: ["request_policy:multi_shard", "response_policy:agg_sum"], since: "1.0.0", summary: "Determine if a key exists",
                    handler: exists),
        CommandSpec("type", arity: 2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    summary: "Determine the type stored at key", handler: type),
        CommandSpec("touch", arity: -2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    tips: ["request_policy:multi_shard", "response_policy:agg_sum"], since: "3.2.1", summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
                    handler: touch),
        CommandSpec("randomkey", arity: 1, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                    tips: ["request_policy:all_shards", "nondeterministic_output"], summary: "Return a random key from the keyspace",
                    handler: randomkey),
        CommandSpec("rename", arity: 3, flags: [.write], categories: ["keyspace", "write", "slow"],
                    summary: "Rename a key",
                    handler: rename),
        CommandSpec("renamenx", arity: 3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    summary: "Rename a key, only if the new key does not exist",
                    handler: renamenx),
        CommandSpec("copy", arity: -3, flags: [.write, .denyoom], categories: ["keyspace", "write", "slow"],
                    since: "6.2.0", summary: "Copy a key",
                    handler: copy),
        CommandSpec("move", arity: 3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    summary: "Move a key to another database",
                    handler: move),
        CommandSpec("expire", arity: -3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    summary: "Set a key's time to live in seconds",
                    handler: expire),
        CommandSpec("pexpire", arity: -3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    since: "2.6.0", summary: "Set a key's time to live in milliseconds",
                    handler: pexpire),
        CommandSpec("expireat", arity: -3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    since: "1.2.0", summary: "Set the expiration for a key as a UNIX timestamp",
                    handler: expireat),
        CommandSpec("pexpireat", arity: -3, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    since: "2.6.0", summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                    handler: pexpireat),
        CommandSpec("ttl", arity: 2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    tips: ["nondeterministic_output"], summary: "Get the time to live for a key in seconds",
                    handler: ttl),
        CommandSpec("pttl", arity: 2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    tips: ["nondeterministic_output"], since: "2.6.0",
                    summary: "Get the time to live for a key in milliseconds",
                    handler: pttl),
        CommandSpec("expiretime", arity: 2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    since: "7.0.0", summary: "Get the expiration Unix timestamp for a key",
                    handler: expiretime),
        CommandSpec("pexpiretime", arity: 2, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    since: "7.0.0", summary: "Get the expiration Unix timestamp for a key in milliseconds",
                    handler: pexpiretime),
        CommandSpec("persist", arity: 2, flags: [.write, .fast], categories: ["keyspace", "write", "fast"],
                    since: "2.2.0", summary: "Remove the expiration from a key",
                    handler: persist),
        CommandSpec("keys", arity: 2, flags: [.readonly], categories: ["keyspace", "read", "slow", "dangerous"],
                    tips: ["request_policy:all_shards", "nondeterministic_output_order"],
                    summary: "Find all keys matching the given pattern", handler: keys),
        CommandSpec("scan", arity: -2, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                    tips: ["nondeterministic_output", "request_policy:special"], since: "2.8.0",
                    summary: "Incrementally iterate the keys space", handler: scan),
        CommandSpec("object", arity: -2, categories: ["slow"], since: "2.2.3",
                    summary: "A container for object introspection commands", subcommands: [
                        CommandSpec("encoding", arity: 3, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                                    tips: ["nondeterministic_output"],
                                    since: "2.2.3", summary: "Inspect the internal encoding of a Redis object",
                                    handler: objectEncoding),
                        CommandSpec("freq", arity: 3, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                                    tips: ["nondeterministic_output"],
                                    since: "4.0.0", summary: "Get the logarithmic access frequency counter of a Redis object",
                                    handler: objectFreq),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["keyspace", "slow"],
                                    since: "6.2.0", summary: "Show helpful text about the different subcommands",
                                    handler: objectHelp),
                        CommandSpec("idletime", arity: 3, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                                    tips: ["nondeterministic_output"],
                                    since: "2.2.3", summary: "Get the time since a Redis object was last accessed",
                                    handler: objectIdletime),
                        CommandSpec("refcount", arity: 3, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                                    tips: ["nondeterministic_output"],
                                    since: "2.2.3", summary: "Get the number of references to the value of the key",
                                    handler: objectRefcount),
                    ]),
    ]

    // MARK: Existence and deletion

    static func del(_ c: CommandContext) throws(RedisError) {
        var n = 0
        for i in 1..<c.count {
            let key = c.key(i)
            c.engine.expireIfNeeded(c.database, key)
            if c.engine.deleteKey(c.database, key) {
                c.notify(.generic, "del", key)
                n += 1
            }
        }
        c.reply.integer(n)
    }

    static func exists(_ c: CommandContext) throws(RedisError) {
        var n = 0
        for i in 1..<c.count where c.engine.lookupReadNoTouch(c.database, c.key(i)) != nil { n += 1 }
        c.reply.integer(n)
    }

    static func type(_ c: CommandContext) throws(RedisError) {
        if let value = c.engine.lookupReadNoTouch(c.database, c.key(1)) {
            c.reply.status(value.typeName)
        } else {
            c.reply.status("none")
        }
    }

    static func touch(_ c: CommandContext) throws(RedisError) {
        var n = 0
        for i in 1..<c.count where c.engine.lookupRead(c.database, c.key(i)) != nil { n += 1 }
        c.reply.integer(n)
    }

    static func randomkey(_ c: CommandContext) throws(RedisError) {
        let db = c.database
        while let entry = db.keys.randomEntry(using: &c.engine.random) {
            if c.engine.expireIfNeeded(db, entry.key) { continue }
            c.reply.bulk(entry.key)
            return
        }
        c.reply.nullBulk()
    }

    // MARK: Renaming, copying, moving

    static func rename(_ c: CommandContext) throws(RedisError) { try renameGeneric(c, onlyIfAbsent: false) }
    static func renamenx(_ c: CommandContext) throws(RedisError) { try renameGeneric(c, onlyIfAbsent: true) }

    static func renameGeneric(_ c: CommandContext, onlyIfAbsent: Bool) throws(RedisError) {
        let db = c.database, source = c.key(1), target = c.key(2)
        guard let value = c.engine.lookupWrite(db, source) else { throw .noSuchKey }
        if source == target {
            if onlyIfAbsent { c.reply.integer(0) } else { c.reply.ok() }
            return
        }
        let when = c.engine.expireTime(db, source)
        if c.engine.lookupWrite(db, target) != nil {
            if onlyIfAbsent {
                c.reply.integer(0)
                return
            }
            c.engine.deleteKey(db, target)
        }
        c.engine.setKey(db, target, value)
        if let when { c.engine.setExpire(db, target, at: when) }
        c.engine.deleteKey(db, source)
        c.notify(.generic, "rename_from", source)
        c.notify(.generic, "rename_to", target)
        c.engine.countChanges(1)
        if onlyIfAbsent { c.reply.integer(1) } else { c.reply.ok() }
    }

    /// A database index argument as Redis's `getIntFromObjectOrReply` then `selectDb` check it.
    static func databaseIndex(_ c: CommandContext, _ index: Int) throws(RedisError) -> Database {
        let v = try c.integer(index)
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw .intOutOfRange }
        guard v >= 0 && v < Int64(c.engine.databases.count) else { throw .dbIndexOutOfRange }
        return c.engine.databases[Int(v)]
    }

    static func copy(_ c: CommandContext) throws(RedisError) {
        let source = c.key(1), target = c.key(2)
        let src = c.database
        var dst = src
        var replace = false
        var i = 3
        while i < c.count {
            if c.argument(i, is: "replace") {
                replace = true
            } else if c.argument(i, is: "db") && i + 1 < c.count {
                dst = try databaseIndex(c, i + 1)
                i += 1
            } else {
                throw .syntax
            }
            i += 1
        }
        if src === dst && source == target { throw .sameObject }
        guard let value = c.engine.lookupRead(src, source) else {
            c.reply.integer(0)
            return
        }
        let when = c.engine.expireTime(src, source)
        if c.engine.lookupWrite(dst, target) != nil {
            guard replace else {
                c.reply.integer(0)
                return
            }
            c.engine.deleteKey(dst, target)
        }
        c.engine.setKey(dst, target, value.duplicate())
        c.engine.countChanges(1)
        if let when { c.engine.setExpire(dst, target, at: when) }
        c.engine.notify(.generic, "copy_to", target, dst)
        c.reply.integer(1)
    }

    static func move(_ c: CommandContext) throws(RedisError) {
        let src = c.database, key = c.key(1)
        let dst = try databaseIndex(c, 2)
        if src === dst { throw .sameObject }
        guard let value = c.engine.lookupWrite(src, key) else {
            c.reply.integer(0)
            return
        }
        let when = c.engine.expireTime(src, key)
        if c.engine.lookupWrite(dst, key) != nil {
            c.reply.integer(0)
            return
        }
        c.engine.setKey(dst, key, value)
        if let when { c.engine.setExpire(dst, key, at: when) }
        c.engine.deleteKey(src, key)
        c.engine.notify(.generic, "move_from", key, src)
        c.engine.notify(.generic, "move_to", key, dst)
        c.engine.countChanges(1)
        c.reply.integer(1)
    }

    // MARK: Expiry

    static func expire(_ c: CommandContext) throws(RedisError) { try expireGeneric(c, relative: true, seconds: true) }
    static func pexpire(_ c: CommandContext) throws(RedisError) { try expireGeneric(c, relative: true, seconds: false) }
    static func expireat(_ c: CommandContext) throws(RedisError) { try expireGeneric(c, relative: false, seconds: true) }
    static func pexpireat(_ c: CommandContext) throws(RedisError) { try expireGeneric(c, relative: false, seconds: false) }

    /// EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT, in the order Redis 7.0 checks things: options,
    /// the time, overflow, the key, the NX/XX/GT/LT condition, then a time already past deletes.
    static func expireGeneric(_ c: CommandContext, relative: Bool, seconds: Bool) throws(RedisError) {
        var nx = false, xx = false, gt = false, lt = false
        for i in 3..<max(3, c.count) {
            if c.argument(i, is: "nx") { nx = true }
            else if c.argument(i, is: "xx") { xx = true }
            else if c.argument(i, is: "gt") { gt = true }
            else if c.argument(i, is: "lt") { lt = true }
            else { throw .unsupportedOption(c.arguments[i]) }
        }
        if nx && (xx || gt || lt) { throw .expireNXConflict }
        if gt && lt { throw .expireGTLTConflict }
        var when = try c.integer(2)
        let name = c.command.fullName
        if seconds {
            if when > Int64.max / 1000 || when < Int64.min / 1000 { throw .invalidExpireTime(name) }
            when *= 1000
        }
        if relative {
            if when > Int64.max - c.engine.now { throw .invalidExpireTime(name) }
            when += c.engine.now
        }
        let db = c.database, key = c.key(1)
        guard c.engine.lookupWrite(db, key) != nil else {
            c.reply.integer(0)
            return
        }
        let current = c.engine.expireTime(db, key)
        if nx && current != nil || xx && current == nil {
            c.reply.integer(0)
            return
        }
        if gt, current == nil || when <= current! {
            c.reply.integer(0)
            return
        }
        if lt, let current, when >= current {
            c.reply.integer(0)
            return
        }
        // While the append-only file loads, a time already past is kept: its DEL follows.
        if when <= c.engine.now && !c.engine.aof.loading {
            c.engine.deleteKey(db, key)
            c.notify(.generic, "del", key)
            c.engine.propagate(db, [[.text("DEL"), .key(key)]])
        } else {
            c.engine.setExpire(db, key, at: when)
            c.engine.signalModifiedKey(db, key)
            c.notify(.generic, "expire", key)
            // Propagated as PEXPIREAT with an absolute time, as Redis 7.0 does.
            c.engine.propagate(db, [[.text("PEXPIREAT"), .key(key), .number(when)] + c.arguments.dropFirst(3).map { .buffer($0) }])
        }
        c.reply.integer(1)
    }

    static func ttl(_ c: CommandContext) throws(RedisError) { ttlGeneric(c, milliseconds: false, absolute: false) }
    static func pttl(_ c: CommandContext) throws(RedisError) { ttlGeneric(c, milliseconds: true, absolute: false) }
    static func expiretime(_ c: CommandContext) throws(RedisError) { ttlGeneric(c, milliseconds: false, absolute: true) }
    static func pexpiretime(_ c: CommandContext) throws(RedisError) { ttlGeneric(c, milliseconds: true, absolute: true) }

    static func ttlGeneric(_ c: CommandContext, milliseconds: Bool, absolute: Bool) {
        let db = c.database, key = c.key(1)
        guard c.engine.lookupReadNoTouch(db, key) != nil else {
            c.reply.integer(-2)
            return
        }
        guard let when = c.engine.expireTime(db, key) else {
            c.reply.integer(-1)
            return
        }
        let remaining = max(0, absolute ? when : when - c.engine.now)
        if milliseconds {
            c.reply.integer(remaining)
        } else {
            // Rounded to the nearest second; computed wide so that a TTL near Int64.max does not
            // wrap (Redis's compiled code does not wrap there either).
            c.reply.integer(Int64((UInt64(remaining) + 500) / 1000))
        }
    }

    static func persist(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(1)
        guard c.engine.lookupWrite(db, key) != nil else {
            c.reply.integer(0)
            return
        }
        if c.engine.removeExpire(db, key) {
            c.engine.signalModifiedKey(db, key)
            c.notify(.generic, "persist", key)
            c.reply.integer(1)
        } else {
            c.reply.integer(0)
        }
    }

    // MARK: Iteration

    static func keys(_ c: CommandContext) throws(RedisError) {
        let pattern = GlobPattern(c.arguments[1].readableBytesView)
        let all = pattern.matchesEverything
        let db = c.database, engine = c.engine
        var found: [ByteString] = []
        db.keys.forEach { key, _ in
            if (all || pattern.matches(key)) && !engine.isExpired(db, key) { found.append(key) }
        }
        c.reply.arrayHeader(found.count)
        for key in found { c.reply.bulk(key) }
    }

    /// A SCAN cursor as Redis's `strtoul`-based parser reads it: the bytes up to the first NUL,
    /// no leading space, an optional sign (a minus wraps around), decimal digits, nothing after.
    static func parseCursor(_ buffer: ByteBuffer) -> UInt64? {
        let bytes = Engine.cBytes(buffer, limit: Int.max)
        if bytes.isEmpty { return 0 }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < bytes.count else { return nil }
        var value: UInt64 = 0
        while i < bytes.count {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        return negative ? 0 &- value : value
    }

    static func scan(_ c: CommandContext) throws(RedisError) {
        guard let cursor = parseCursor(c.arguments[1]) else { throw .invalidCursor }
        let options = try ScanOptions(c, from: 2, allowType: true)
        let count = options.count, pattern = options.pattern, typeName = options.typeName
        let db = c.database
        var found: [ByteString] = []
        let next = db.keys.scan(cursor: cursor, count: count) { key, _ in found.append(key) }
        var kept: [ByteString] = []
        kept.reserveCapacity(found.count)
        for key in found {
            if let pattern, !pattern.matches(key) { continue }
            if let typeName {
                let name = c.engine.lookupReadNoTouch(db, key)?.typeName ?? "none"
                let actual = name.withUTF8Buffer { Array($0) }
                if actual != typeName { continue }
            }
            if c.engine.expireIfNeeded(db, key) { continue }
            kept.append(key)
        }
        c.reply.arrayHeader(2)
        c.reply.bulk(string: String(next))
        c.reply.arrayHeader(kept.count)
        for key in kept { c.reply.bulk(key) }
    }

    // MARK: OBJECT

    /// Whether the maxmemory policy is an LFU one.
    static func usesLFU(_ engine: Engine) -> Bool {
        engine.configuration.evictionPolicy.isLFU
    }

    static func objectEncoding(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupQuiet(c.database, c.key(2)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(value.encodingName)
    }

    static func objectRefcount(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupQuiet(c.database, c.key(2)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.integer(refcount(value, engine: c.engine))
    }

    /// OBJECT REFCOUNT's answer (and DEBUG OBJECT's `refcount`): Redis shares the integers
    /// 0..9999 (refcount INT_MAX) unless an LRU/LFU policy needs per-key access data.
    static func refcount(_ value: Value, engine: Engine) -> Int64 {
        let config = engine.configuration
        let evictionNeedsOwnObjects = config.maxMemory != 0
            && (config.maxMemoryPolicy.hasSuffix("-lru") || config.maxMemoryPolicy.hasSuffix("-lfu"))
        if case .string(.int(let v)) = value, v >= 0 && v < 10_000, !evictionNeedsOwnObjects {
            return Int64(Int32.max)
        }
        return 1
    }

    static func objectIdletime(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(2)
        guard c.engine.lookupQuiet(db, key) != nil, let last = db.keys.accessClock(key) else {
            c.reply.nullBulk()
            return
        }
        if usesLFU(c.engine) { throw .lfuSelected }
        c.reply.integer(Int64(c.engine.idleSeconds(last)))
    }

    static func objectFreq(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(2)
        guard c.engine.lookupQuiet(db, key) != nil, let clock = db.keys.accessClock(key) else {
            c.reply.nullBulk()
            return
        }
        guard usesLFU(c.engine) else { throw .lfuNotSelected }
        c.reply.integer(Int64(c.engine.lfuDecayedCounter(clock)))
    }

    static let objectHelpLines: [String] = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]

    static func objectHelp(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(objectHelpLines.count)
        for line in objectHelpLines { c.reply.status(line) }
    }
}

/// The options of SCAN, SSCAN, HSCAN and ZSCAN, parsed as Redis's `scanGenericCommand` does:
/// COUNT (at least 1), MATCH (a pattern matching everything is dropped) and, for SCAN, TYPE.
struct ScanOptions {
    var count = 10
    var pattern: GlobPattern?
    /// TYPE's argument, lowercased and cut at a NUL as C compares it.
    var typeName: [UInt8]?

    init(_ c: CommandContext, from start: Int, allowType: Bool) throws(RedisError) {
        var i = start
        while i < c.count {
            let left = c.count - i
            if c.argument(i, is: "count") && left >= 2 {
                let n = try c.integer(i + 1)
                if n < 1 { throw .syntax }
                count = Int(n)
                i += 2
            } else if c.argument(i, is: "match") && left >= 2 {
                let p = GlobPattern(c.arguments[i + 1].readableBytesView)
                pattern = p.matchesEverything ? nil : p
                i += 2
            } else if allowType && c.argument(i, is: "type") && left >= 2 {
                typeName = Engine.cBytes(c.arguments[i + 1], limit: Int.max).map { $0 | ($0 >= 65 && $0 <= 90 ? 0x20 : 0) }
                i += 2
            } else {
                throw .syntax
            }
        }
    }
}

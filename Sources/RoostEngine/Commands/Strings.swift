#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// String commands: GET, SET and its variants, counters, ranges, LCS…
enum StringCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("get", arity: 2, flags: [.readonly, .fast], categories: ["read", "string", "fast"],
                    group: "string", summary: "Get the value of a key",
                    handler: get),
        CommandSpec("set", arity: -3, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    group: "string", since: "1.0.0", summary: "Set the string value of a key",
                    handler: set),
        CommandSpec("setnx", arity: 3, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string",
                    summary: "Set the value of a key, only if the key does not exist",
                    handler: setnx),
        CommandSpec("setex", arity: 4, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    group: "string", since: "2.0.0", summary: "Set the value and expiration of a key",
                    handler: setex),
        CommandSpec("psetex", arity: 4, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    group: "string", since: "2.6.0",
                    summary: "Set the value and expiration in milliseconds of a key",
                    handler: psetex),
        CommandSpec("getset", arity: 3, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string",
                    summary: "Set the string value of a key and return its old value",
                    handler: getset),
        CommandSpec("getdel", arity: 2, flags: [.write, .fast], categories: ["write", "string", "fast"],
                    group: "string", since: "6.2.0", summary: "Get the value of a key and delete the key",
                    handler: getdel),
        CommandSpec("getex", arity: -2, flags: [.write, .fast], categories: ["write", "string", "fast"],
                    group: "string", since: "6.2.0",
                    summary: "Get the value of a key and optionally set its expiration",
                    handler: getex),
        CommandSpec("mget", arity: -2, flags: [.readonly, .fast], categories: ["read", "string", "fast"],
                    tips: ["request_policy:multi_shard"], group: "string",
                    summary: "Get the values of all the given keys",
                    handler: mget),
        CommandSpec("mset", arity: -3, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    tips: ["request_policy:multi_shard", "response_policy:all_succeeded"], group: "string",
                    since: "1.0.1", summary: "Set multiple keys to multiple values",
                    handler: mset),
        CommandSpec("msetnx", arity: -3, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    tips: ["request_policy:multi_shard", "response_policy:agg_min"], group: "string",
                    since: "1.0.1", summary: "Set multiple keys to multiple values, only if none of the keys exist",
                    handler: msetnx),
        CommandSpec("incr", arity: 2, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string", summary: "Increment the integer value of a key by one",
                    handler: incr),
        CommandSpec("decr", arity: 2, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string", summary: "Decrement the integer value of a key by one",
                    handler: decr),
        CommandSpec("incrby", arity: 3, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string",
                    summary: "Increment the integer value of a key by the given amount",
                    handler: incrby),
        CommandSpec("decrby", arity: 3, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string",
                    summary: "Decrement the integer value of a key by the given number",
                    handler: decrby),
        CommandSpec("incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast],
                    categories: ["write", "string", "fast"], group: "string", since: "2.6.0",
                    summary: "Increment the float value of a key by the given amount",
                    handler: incrbyfloat),
        CommandSpec("append", arity: 3, flags: [.write, .denyoom, .fast], categories: ["write", "string", "fast"],
                    group: "string", since: "2.0.0", summary: "Append a value to a key",
                    handler: append),
        CommandSpec("strlen", arity: 2, flags: [.readonly, .fast], categories: ["read", "string", "fast"],
                    group: "string", since: "2.2.0",
                    summary: "Get the length of the value stored in a key",
                    handler: strlen),
        CommandSpec("getrange", arity: 4, flags: [.readonly], categories: ["read", "string", "slow"],
                    group: "string", since: "2.4.0", summary: "Get a substring of the string stored at a key",
                    handler: getrange),
        CommandSpec("setrange", arity: 4, flags: [.write, .denyoom], categories: ["write", "string", "slow"],
                    group: "string", since: "2.2.0",
                    summary: "Overwrite part of a string at key starting at the specified offset",
                    handler: setrange),
        CommandSpec("substr", arity: 4, flags: [.readonly], categories: ["read", "string", "slow"],
                    group: "string", summary: "Get a substring of the string stored at a key",
                    handler: getrange),
        CommandSpec("lcs", arity: -3, flags: [.readonly], categories: ["read", "string", "slow"],
                    group: "string", since: "7.0.0",
                    summary: "Find longest common substring",
                    handler: lcs),
    ]

    // MARK: - Option parsing shared by SET and GETEX

    /// The options of SET or GETEX, as Redis's `parseExtendedStringArgumentsOrReply` accepts them.
    struct ExtendedOptions {
        enum Expiry { case ex, px, exat, pxat }
        var nx = false
        var xx = false
        var get = false
        var keepTTL = false
        var persist = false
        var expiry: Expiry?
        /// The argument index of the expire time.
        var expireIndex = 0
    }

    /// Parses options from `start` on. `forSet` selects SET's options (NX, XX, GET, KEEPTTL),
    /// otherwise GETEX's (PERSIST).
    static func parseExtended(_ c: CommandContext, from start: Int, forSet: Bool) throws(RedisError) -> ExtendedOptions {
        var o = ExtendedOptions()
        var j = start
        while j < c.count {
            let hasNext = j + 1 < c.count
            let noExpiry = o.expiry == nil
            if forSet && c.argument(j, is: "nx") && !o.xx {
                o.nx = true
            } else if forSet && c.argument(j, is: "xx") && !o.nx {
                o.xx = true
            } else if forSet && c.argument(j, is: "get") {
                o.get = true
            } else if forSet && c.argument(j, is: "keepttl") && !o.persist && noExpiry {
                o.keepTTL = true
            } else if !forSet && c.argument(j, is: "persist") && noExpiry && !o.keepTTL {
                o.persist = true
            } else if let kind = expiryKind(c, j), hasNext, !o.keepTTL, !o.persist,
                      o.expiry == nil || o.expiry == kind {
                o.expiry = kind
                o.expireIndex = j + 1
                j += 1
            } else {
                throw .syntax
            }
            j += 1
        }
        return o
    }

    static func expiryKind(_ c: CommandContext, _ j: Int) -> ExtendedOptions.Expiry? {
        if c.argument(j, is: "ex") { return .ex }
        if c.argument(j, is: "px") { return .px }
        if c.argument(j, is: "exat") { return .exat }
        if c.argument(j, is: "pxat") { return .pxat }
        return nil
    }

    /// The absolute expiry in Unix milliseconds, as Redis's `getExpireMillisecondsOrReply`
    /// computes it: the value must be positive, seconds must not overflow when scaled, and the
    /// relative forms wrap on overflow and are then rejected as not positive.
    static func expireMilliseconds(
        _ c: CommandContext, _ index: Int, _ kind: ExtendedOptions.Expiry
    ) throws(RedisError) -> Int64 {
        var ms = try c.integer(index)
        let seconds = kind == .ex || kind == .exat
        if ms <= 0 || (seconds && ms > Int64.max / 1000) { throw .invalidExpireTime(c.command.fullName) }
        if seconds { ms *= 1000 }
        if kind == .ex || kind == .px { ms = ms &+ c.engine.now }
        if ms <= 0 { throw .invalidExpireTime(c.command.fullName) }
        return ms
    }

    // MARK: - GET and SET

    static func get(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        c.reply.bulk(s)
    }

    /// SET's core, shared with SETNX, SETEX and PSETEX (Redis's `setGenericCommand`).
    static func setGeneric(
        _ c: CommandContext, _ o: ExtendedOptions, valueIndex: Int,
        okReply: (ReplyWriter) -> Void, abortReply: (ReplyWriter) -> Void
    ) throws(RedisError) {
        var when: Int64?
        if let kind = o.expiry { when = try expireMilliseconds(c, o.expireIndex, kind) }
        let key = c.key(1)
        if o.get { try get(c) }
        if o.nx || o.xx {
            let found = c.engine.lookupWrite(c.database, key) != nil
            if (o.nx && found) || (o.xx && !found) {
                if !o.get { abortReply(c.reply) }
                return
            }
        } else {
            // A plain SET only needs a due key expired first (it counts as expired); reading the
            // old value out would cost a copy for nothing.
            c.engine.expireIfNeeded(c.database, key)
        }
        c.engine.setKey(c.database, key, .string(StringValue(encoding: c.bytes(valueIndex))), keepTTL: o.keepTTL)
        c.notify(.string, "set", key)
        if let when {
            c.engine.setExpire(c.database, key, at: when)
            c.notify(.generic, "expire", key)
            // Propagated as SET key value PXAT when, as Redis 7.0 does.
            c.engine.propagate(c.database, [[.text("SET"), .key(key), .buffer(c.arguments[valueIndex]), .text("PXAT"), .number(when)]])
        }
        if !o.get { okReply(c.reply) }
    }

    static func set(_ c: CommandContext) throws(RedisError) {
        let o = try parseExtended(c, from: 3, forSet: true)
        try setGeneric(c, o, valueIndex: 2, okReply: { $0.ok() }, abortReply: { $0.nullBulk() })
    }

    static func setnx(_ c: CommandContext) throws(RedisError) {
        var o = ExtendedOptions()
        o.nx = true
        try setGeneric(c, o, valueIndex: 2, okReply: { $0.integer(1) }, abortReply: { $0.integer(0) })
    }

    static func setex(_ c: CommandContext) throws(RedisError) {
        var o = ExtendedOptions()
        o.expiry = .ex
        o.expireIndex = 2
        try setGeneric(c, o, valueIndex: 3, okReply: { $0.ok() }, abortReply: { $0.nullBulk() })
    }

    static func psetex(_ c: CommandContext) throws(RedisError) {
        var o = ExtendedOptions()
        o.expiry = .px
        o.expireIndex = 2
        try setGeneric(c, o, valueIndex: 3, okReply: { $0.ok() }, abortReply: { $0.nullBulk() })
    }

    static func getset(_ c: CommandContext) throws(RedisError) {
        try get(c)
        c.engine.setKey(c.database, c.key(1), .string(StringValue(encoding: c.bytes(2))))
        c.notify(.string, "set", c.key(1))
    }

    static func getdel(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let value = c.engine.lookupRead(c.database, key) else {
            c.reply.nullBulk()
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        c.reply.bulk(s)
        c.engine.deleteKey(c.database, key)
        c.notify(.generic, "del", key)
    }

    static func getex(_ c: CommandContext) throws(RedisError) {
        let o = try parseExtended(c, from: 2, forSet: false)
        let key = c.key(1)
        guard let value = c.engine.lookupRead(c.database, key) else {
            c.reply.nullBulk()
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        var when: Int64?
        if let kind = o.expiry { when = try expireMilliseconds(c, o.expireIndex, kind) }
        c.reply.bulk(s)
        if let when {
            if (o.expiry == .exat || o.expiry == .pxat) && when <= c.engine.now && !c.engine.aof.loading {
                c.engine.deleteKey(c.database, key)
                c.notify(.generic, "del", key)
                c.engine.propagate(c.database, [[.text("DEL"), .key(key)]])
            } else {
                c.engine.setExpire(c.database, key, at: when)
                c.engine.signalModifiedKey(c.database, key)
                c.notify(.generic, "expire", key)
                c.engine.propagate(c.database, [[.text("PEXPIREAT"), .key(key), .number(when)]])
            }
        } else if o.persist {
            if c.engine.removeExpire(c.database, key) {
                c.engine.signalModifiedKey(c.database, key)
                c.notify(.generic, "persist", key)
            }
            c.engine.propagate(c.database, [[.text("PERSIST"), .key(key)]])
        } else {
            c.engine.propagate(c.database, [])
        }
    }

    // MARK: - Multiple keys

    static func mget(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(c.count - 1)
        for i in 1..<c.count {
            if case .string(let s)? = c.engine.lookupRead(c.database, c.key(i)) {
                c.reply.bulk(s)
            } else {
                c.reply.nullBulk()
            }
        }
    }

    static func mset(_ c: CommandContext) throws(RedisError) {
        if c.count % 2 == 0 { throw .wrongArity(c.command.fullName) }
        msetAll(c)
        c.reply.ok()
    }

    static func msetnx(_ c: CommandContext) throws(RedisError) {
        if c.count % 2 == 0 { throw .wrongArity(c.command.fullName) }
        for i in stride(from: 1, to: c.count, by: 2) where c.engine.lookupWrite(c.database, c.key(i)) != nil {
            c.reply.integer(0)
            return
        }
        msetAll(c)
        c.reply.integer(1)
    }

    static func msetAll(_ c: CommandContext) {
        for i in stride(from: 1, to: c.count, by: 2) {
            c.engine.setKey(c.database, c.key(i), .string(StringValue(encoding: c.bytes(i + 1))))
            c.notify(.string, "set", c.key(i))
        }
    }

    // MARK: - Counters

    /// Adds `increment` to the integer at argument 1, as Redis's `incrDecrCommand`.
    static func incrDecr(_ c: CommandContext, _ increment: Int64) throws(RedisError) {
        let key = c.key(1)
        let existing = c.engine.lookupWrite(c.database, key)
        var current: Int64 = 0
        if let existing {
            guard case .string(let s) = existing else { throw .wrongType }
            guard let v = s.integerValue else { throw .notInteger }
            current = v
        }
        let (sum, overflow) = current.addingReportingOverflow(increment)
        if overflow { throw .overflow }
        c.engine.setKey(c.database, key, .string(.int(sum)), keepTTL: existing != nil)
        c.notify(.string, "incrby", key)
        c.reply.integer(sum)
    }

    static func incr(_ c: CommandContext) throws(RedisError) { try incrDecr(c, 1) }
    static func decr(_ c: CommandContext) throws(RedisError) { try incrDecr(c, -1) }
    static func incrby(_ c: CommandContext) throws(RedisError) { try incrDecr(c, try c.integer(2)) }

    static func decrby(_ c: CommandContext) throws(RedisError) {
        let n = try c.integer(2)
        if n == Int64.min { throw .decrementOverflow }
        try incrDecr(c, -n)
    }

    static func incrbyfloat(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        let existing = c.engine.lookupWrite(c.database, key)
        var current: LongDouble.Number = 0
        if let existing {
            guard case .string(let s) = existing else { throw .wrongType }
            switch s {
            case .int(let i): current = LongDouble.Number(i)
            case .short, .embstr, .raw:
                guard let v = LongDouble.parse(s.bytes) else { throw .notFloat }
                current = v
            }
        }
        guard let increment = LongDouble.parse(c.bytes(2)) else { throw .notFloat }
        let sum = current + increment
        if sum.isNaN || sum.isInfinite { throw .incrementNaNOrInfinity }
        let text = LongDouble.humanString(sum)
        let value = StringValue(embedding: text)
        c.engine.setKey(c.database, key, .string(value), keepTTL: existing != nil)
        c.notify(.string, "incrbyfloat", key)
        // Propagated as the result, so a replay does not depend on float formatting.
        c.engine.propagate(c.database, [[.text("SET"), .key(key), .bytes(text), .text("KEEPTTL")]])
        c.reply.bulk(text)
    }

    // MARK: - Lengths and ranges

    /// Whether a string of `size + append` bytes stays within proto-max-bulk-len.
    static func checkStringLength(_ c: CommandContext, _ size: Int, _ append: Int) throws(RedisError) {
        let (total, overflow) = size.addingReportingOverflow(append)
        if overflow || total > c.engine.configuration.protoMaxBulkLength { throw .stringTooLong }
    }

    static func append(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        let suffix = c.bytes(2)
        guard let existing = c.engine.lookupWrite(c.database, key) else {
            c.engine.setKey(c.database, key, .string(StringValue(encoding: suffix)))
            c.notify(.string, "append", key)
            c.reply.integer(suffix.count)
            return
        }
        guard case .string(let s) = existing else { throw .wrongType }
        try checkStringLength(c, s.count, suffix.count)
        var bytes = s.bytes
        bytes.append(contentsOf: suffix)
        c.engine.updateKey(c.database, key, .string(.raw(bytes)))
        c.notify(.string, "append", key)
        c.reply.integer(bytes.count)
    }

    static func strlen(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        c.reply.integer(s.count)
    }

    /// GETRANGE and SUBSTR.
    static func getrange(_ c: CommandContext) throws(RedisError) {
        var start = try c.integer(2)
        var end = try c.integer(3)
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.bulk([])
            return
        }
        guard case .string(let s) = value else { throw .wrongType }
        if start < 0 && end < 0 && start > end {
            c.reply.bulk([])
            return
        }
        let bytes = s.bytes
        let length = Int64(bytes.count)
        if start < 0 { start = length + start }
        if end < 0 { end = length + end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= length { end = length - 1 }
        if start > end || length == 0 {
            c.reply.bulk([])
        } else {
            c.reply.bulk(Array(bytes[Int(start)...Int(end)]))
        }
    }

    static func setrange(_ c: CommandContext) throws(RedisError) {
        let offset64 = try c.integer(2)
        if offset64 < 0 { throw .offsetOutOfRange }
        let offset = Int(offset64)
        let key = c.key(1)
        let patch = c.bytes(3)
        var bytes: [UInt8]
        let existing = c.engine.lookupWrite(c.database, key)
        if let existing {
            guard case .string(let s) = existing else { throw .wrongType }
            if patch.isEmpty {
                c.reply.integer(s.count)
                return
            }
            try checkStringLength(c, offset, patch.count)
            bytes = s.bytes
        } else {
            if patch.isEmpty {
                c.reply.integer(0)
                return
            }
            try checkStringLength(c, offset, patch.count)
            bytes = []
        }
        let end = offset + patch.count
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.replaceSubrange(offset..<end, with: patch)
        if existing != nil {
            c.engine.updateKey(c.database, key, .string(.raw(bytes)))
        } else {
            c.engine.setKey(c.database, key, .string(.raw(bytes)))
        }
        c.notify(.string, "setrange", key)
        c.reply.integer(bytes.count)
    }

    // MARK: - LCS

    static func lcs(_ c: CommandContext) throws(RedisError) {
        let va = c.engine.lookupRead(c.database, c.key(1))
        let vb = c.engine.lookupRead(c.database, c.key(2))
        var a: [UInt8] = []
        var b: [UInt8] = []
        if let va {
            guard case .string(let s) = va else { throw .lcsWrongType }
            a = s.bytes
        }
        if let vb {
            guard case .string(let s) = vb else { throw .lcsWrongType }
            b = s.bytes
        }
        var getIdx = false, getLen = false, withMatchLen = false
        var minMatchLen: Int64 = 0
        var j = 3
        while j < c.count {
            let more = c.count - 1 - j
            if c.argument(j, is: "idx") {
                getIdx = true
            } else if c.argument(j, is: "len") {
                getLen = true
            } else if c.argument(j, is: "withmatchlen") {
                withMatchLen = true
            } else if c.argument(j, is: "minmatchlen") && more > 0 {
                minMatchLen = max(0, try c.integer(j + 1))
                j += 1
            } else {
                throw .syntax
            }
            j += 1
        }
        if getIdx && getLen { throw .lcsIdxAndLen }
        if a.count >= Int(UInt32.max) - 1 || b.count >= Int(UInt32.max) - 1 { throw .lcsTooLong }
        let alen = a.count, blen = b.count
        let cells = (alen + 1) * (blen + 1)
        if cells * 4 > c.engine.configuration.protoMaxBulkLength { throw .lcsTableTooLarge }

        var table = [UInt32](repeating: 0, count: cells)
        let width = blen + 1
        if alen > 0 && blen > 0 {
            for i in 1...alen {
                for k in 1...blen {
                    if a[i - 1] == b[k - 1] {
                        table[i * width + k] = table[(i - 1) * width + k - 1] + 1
                    } else {
                        table[i * width + k] = max(table[(i - 1) * width + k], table[i * width + k - 1])
                    }
                }
            }
        }
        let total = Int(table[alen * width + blen])
        if getLen {
            c.reply.integer(total)
            return
        }

        // Walk back from the end, collecting the common bytes and the matching ranges.
        var result = [UInt8](repeating: 0, count: total)
        var remaining = total
        var ranges: [(aStart: Int, aEnd: Int, bStart: Int, bEnd: Int)] = []
        var aStart = alen, aEnd = 0, bStart = 0, bEnd = 0
        var i = alen, k = blen
        while i > 0 && k > 0 {
            var emit = false
            if a[i - 1] == b[k - 1] {
                result[remaining - 1] = a[i - 1]
                if aStart == alen {
                    aStart = i - 1; aEnd = i - 1; bStart = k - 1; bEnd = k - 1
                } else if aStart == i && bStart == k {
                    aStart -= 1
                    bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                remaining -= 1; i -= 1; k -= 1
            } else {
                if table[(i - 1) * width + k] > table[i * width + k - 1] { i -= 1 } else { k -= 1 }
                if aStart != alen { emit = true }
            }
            if emit {
                let matchLen = aEnd - aStart + 1
                if minMatchLen == 0 || Int64(matchLen) >= minMatchLen {
                    ranges.append((aStart, aEnd, bStart, bEnd))
                }
                aStart = alen
            }
        }

        guard getIdx else {
            c.reply.bulk(result)
            return
        }
        c.reply.mapHeader(2)
        c.reply.bulk("matches")
        c.reply.arrayHeader(ranges.count)
        for r in ranges {
            c.reply.arrayHeader(withMatchLen ? 3 : 2)
            c.reply.arrayHeader(2)
            c.reply.integer(r.aStart)
            c.reply.integer(r.aEnd)
            c.reply.arrayHeader(2)
            c.reply.integer(r.bStart)
            c.reply.integer(r.bEnd)
            if withMatchLen { c.reply.integer(r.aEnd - r.aStart + 1) }
        }
        c.reply.bulk("len")
        c.reply.integer(total)
    }
}

extension StringValue {
    /// The value as a 64-bit integer under Redis's `string2ll` rules, if it is one.
    var integerValue: Int64? {
        switch self {
        case .int(let i): return i
        case .embstr(let b), .raw(let b): return RedisIntegerBridge.parse(b)
        case .short: return withUnsafeBytes { RedisIntegerBridge.parse(Array($0)) }
        }
    }
}

/// C `long double` arithmetic for INCRBYFLOAT: `Float80` where the platform has it.
enum LongDouble {
    #if arch(x86_64) || arch(i386)
    typealias Number = Float80
    #else
    typealias Number = Double
    #endif

    /// Redis's `MAX_LONG_DOUBLE_CHARS`.
    static let maxChars = 5 * 1024

    /// Parses `bytes` as Redis's `string2ld` does: all of it must be a `strtold` number, with no
    /// leading space, no NaN, and no overflow or underflow to zero.
    static func parse(_ bytes: [UInt8]) -> Number? {
        if bytes.isEmpty || bytes.count >= maxChars { return nil }
        if isspace(Int32(bytes[0])) != 0 { return nil }
        var buffer = bytes
        buffer.append(0)
        return buffer.withUnsafeMutableBufferPointer { p -> Number? in
            guard let base = p.baseAddress else { return nil }
            return base.withMemoryRebound(to: CChar.self, capacity: p.count) { start -> Number? in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                #if arch(x86_64) || arch(i386)
                let value = strtold(start, &end)
                let huge = Number.infinity
                #else
                let value = strtod(start, &end)
                let huge = Number.infinity
                #endif
                guard let end, end - start == bytes.count else { return nil }
                if errno == ERANGE && (value == huge || value == -huge || value == 0) { return nil }
                if errno == EINVAL || value.isNaN { return nil }
                return value
            }
        }
    }

    /// The human-friendly form Redis's `ld2string` gives: `%.17Lf` with trailing zeros (and a
    /// trailing point) removed, and `-0` written as `0`.
    static func humanString(_ value: Number) -> [UInt8] {
        let capacity = maxChars
        var out = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buf -> [UInt8] in
            #if arch(x86_64) || arch(i386)
            let n = withVaList([value]) { vsnprintf(buf.baseAddress, capacity, "%.17Lf", $0) }
            #else
            let n = withVaList([value]) { vsnprintf(buf.baseAddress, capacity, "%.17f", $0) }
            #endif
            let length = Int(max(0, min(n, Int32(capacity - 1))))
            return UnsafeRawBufferPointer(start: buf.baseAddress, count: length).map { $0 }
        }
        if out.contains(UInt8(ascii: ".")) {
            while out.last == UInt8(ascii: "0") { out.removeLast() }
            if out.last == UInt8(ascii: ".") { out.removeLast() }
        }
        if out == [UInt8(ascii: "-"), UInt8(ascii: "0")] { out = [UInt8(ascii: "0")] }
        return out
    }
}

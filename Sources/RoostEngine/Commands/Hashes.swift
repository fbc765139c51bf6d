/// Hash commands: HSET and friends, counters, whole-hash reads, HRANDFIELD and HSCAN, with the
/// semantics of Redis 7.0's `t_hash.c`.
enum HashCommands {
    static let read: [String] = ["read", "hash", "fast"]
    static let readSlow: [String] = ["read", "hash", "slow"]
    static let write: [String] = ["write", "hash", "fast"]

    static func spec(
        _ name: String, _ arity: Int, _ flags: CommandFlags, _ categories: [String], _ keyFlags: [String],
        tips: [String] = [], since: String, summary: String, complexity: String,
        _ handler: @escaping CommandHandler
    ) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, categories: categories, tips: tips, group: "hash",
                    since: since, summary: summary, complexity: complexity,
                    handler: handler)
    }

    static let specs: [CommandSpec] = [
        spec("hset", -4, [.write, .denyoom, .fast], write, ["RW", "update"], since: "2.0.0",
             summary: "Set the string value of a hash field",
             complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
             hset),
        spec("hsetnx", 4, [.write, .denyoom, .fast], write, ["RW", "insert"], since: "2.0.0",
             summary: "Set the value of a hash field, only if the field does not exist", complexity: "O(1)", hsetnx),
        spec("hget", 3, [.readonly, .fast], read, ["RO", "access"], since: "2.0.0",
             summary: "Get the value of a hash field", complexity: "O(1)", hget),
        spec("hmset", -4, [.write, .denyoom, .fast], write, ["RW", "update"], since: "2.0.0",
             summary: "Set multiple hash fields to multiple values",
             complexity: "O(N) where N is the number of fields being set.", hset),
        spec("hmget", -3, [.readonly, .fast], read, ["RO", "access"], since: "2.0.0",
             summary: "Get the values of all the given hash fields",
             complexity: "O(N) where N is the number of fields being requested.", hmget),
        spec("hgetall", 2, [.readonly], readSlow, ["RO", "access"], tips: ["nondeterministic_output_order"],
             since: "2.0.0", summary: "Get all the fields and values in a hash",
             complexity: "O(N) where N is the size of the hash.", hgetall),
        spec("hdel", -3, [.write, .fast], write, ["RW", "delete"], since: "2.0.0",
             summary: "Delete one or more hash fields",
             complexity: "O(N) where N is the number of fields to be removed.", hdel),
        spec("hexists", 3, [.readonly, .fast], read, ["RO"], since: "2.0.0",
             summary: "Determine if a hash field exists", complexity: "O(1)", hexists),
        spec("hlen", 2, [.readonly, .fast], read, ["RO"], since: "2.0.0",
             summary: "Get the number of fields in a hash", complexity: "O(1)", hlen),
        spec("hkeys", 2, [.readonly], readSlow, ["RO", "access"], tips: ["nondeterministic_output_order"],
             since: "2.0.0", summary: "Get all the fields in a hash",
             complexity: "O(N) where N is the size of the hash.", hkeys),
        spec("hvals", 2, [.readonly], readSlow, ["RO", "access"], tips: ["nondeterministic_output_order"],
             since: "2.0.0", summary: "Get all the values in a hash",
             complexity: "O(N) where N is the size of the hash.", hvals),
        spec("hincrby", 4, [.write, .denyoom, .fast], write, ["RW", "access", "update"], since: "2.0.0",
             summary: "Increment the integer value of a hash field by the given number", complexity: "O(1)", hincrby),
        spec("hincrbyfloat", 4, [.write, .denyoom, .fast], write, ["RW", "access", "update"], since: "2.6.0",
             summary: "Increment the float value of a hash field by the given amount", complexity: "O(1)",
             hincrbyfloat),
        spec("hstrlen", 3, [.readonly, .fast], read, ["RO"], since: "3.2.0",
             summary: "Get the length of the value of a hash field", complexity: "O(1)", hstrlen),
        spec("hrandfield", -2, [.readonly], readSlow, ["RO", "access"], tips: ["nondeterministic_output"],
             since: "6.2.0", summary: "Get one or multiple random fields from a hash",
             complexity: "O(N) where N is the number of fields returned", hrandfield),
        spec("hscan", -3, [.readonly], readSlow, ["RO", "access"], tips: ["nondeterministic_output"],
             since: "2.8.0", summary: "Incrementally iterate hash fields and associated values",
             complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
             hscan),
    ]

    // MARK: - Lookups

    /// The hash at `key` for a read, nil if missing. Throws WRONGTYPE for another type.
    static func readHash(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> HashValue? {
        guard let value = c.engine.lookupRead(c.database, key) else { return nil }
        guard case .hash(let h) = value else { throw .wrongType }
        return h
    }

    /// The hash at `key` for a write, nil if missing. Throws WRONGTYPE for another type.
    static func writeHash(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> HashValue? {
        guard let value = c.engine.lookupWrite(c.database, key) else { return nil }
        guard case .hash(let h) = value else { throw .wrongType }
        return h
    }

    /// Stores a hash that `writeHash` did not find (a new key); stores back one whose handle
    /// moved to new storage (`identity` differs from `before`), keeping its TTL; or signals the
    /// change of one modified in place.
    static func commit(_ c: CommandContext, _ key: ByteString, _ h: HashValue, isNew: Bool,
                       before: ObjectIdentifier?) {
        if isNew {
            c.engine.setKey(c.database, key, .hash(h))
        } else if h.identity != before {
            c.engine.updateKey(c.database, key, .hash(h))
        } else {
            c.engine.signalModifiedKey(c.database, key)
        }
    }

    static func bulk(_ c: CommandContext, _ bytes: UnsafeRawBufferPointer) {
        c.reply.buffer.writeRESPBulk(bytes)
    }

    // MARK: - Setting

    /// HSET and HMSET (Redis's `hsetCommand`).
    static func hset(_ c: CommandContext) throws(RedisError) {
        if c.count % 2 == 1 { throw .wrongArity(c.command.fullName) }
        let key = c.key(1)
        let existing = try writeHash(c, key)
        let config = c.engine.configuration
        // Plain loops: a closure capturing `c` would copy the whole context.
        var entryBytes = 0
        var longest = 0
        var total = 0
        for i in 2..<c.count {
            let length = c.arguments[i].readableBytes
            entryBytes += Listpack.entrySize(length)
            longest = max(longest, length)
            total += length
        }
        // A new hash gets its exact size at once; an existing one grows to at most that much
        // more (less when fields are replaced), and gives back what it did not use.
        var h = existing ?? HashValue(listpackCapacity: entryBytes)
        h.convertIfAnyLonger(than: config.hashMaxListpackValue, longest: longest, total: total)
        if existing != nil && h.isListpack { h.reserveListpack(adding: entryBytes) }
        var created = 0
        var i = 2
        while i < c.count {
            if h.set(c.bytes(i), c.bytes(i + 1), maxEntries: config.hashMaxListpackEntries,
                     maxValue: config.hashMaxListpackValue) {
                created += 1
            }
            i += 2
        }
        h.shrinkToFit()
        commit(c, key, h, isNew: existing == nil, before: existing?.identity)
        c.notify(.hash, "hset", key)
        c.engine.countChanges((c.count - 2) / 2)
        if c.argument(0, is: "hset") { c.reply.integer(created) } else { c.reply.ok() }
    }

    static func hsetnx(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        let existing = try writeHash(c, key)
        let field = c.bytes(2)
        if let existing, existing.contains(field) {
            c.reply.integer(0)
            return
        }
        var h = existing ?? HashValue()
        let config = c.engine.configuration
        h.convertIfAnyLonger(than: config.hashMaxListpackValue, [field.count, c.arguments[3].readableBytes])
        h.set(field, c.bytes(3), maxEntries: config.hashMaxListpackEntries, maxValue: config.hashMaxListpackValue)
        commit(c, key, h, isNew: existing == nil, before: existing?.identity)
        c.notify(.hash, "hset", key)
        c.reply.integer(1)
    }

    // MARK: - Reading fields

    static func hget(_ c: CommandContext) throws(RedisError) {
        guard let h = try readHash(c, c.key(1)), let value = h.value(c.bytes(2)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(value)
    }

    static func hmget(_ c: CommandContext) throws(RedisError) {
        let h = try readHash(c, c.key(1))
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            if let value = h?.value(c.bytes(i)) { c.reply.bulk(value) } else { c.reply.nullBulk() }
        }
    }

    static func hexists(_ c: CommandContext) throws(RedisError) {
        guard let h = try readHash(c, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(h.contains(c.bytes(2)) ? 1 : 0)
    }

    static func hlen(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(try readHash(c, c.key(1))?.count ?? 0)
    }

    static func hstrlen(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(try readHash(c, c.key(1))?.value(c.bytes(2))?.count ?? 0)
    }

    // MARK: - Whole-hash reads

    /// HGETALL, HKEYS and HVALS (Redis's `genericHgetallCommand`).
    static func all(_ c: CommandContext, fields: Bool, values: Bool) throws(RedisError) {
        guard let h = try readHash(c, c.key(1)) else {
            if fields && values { c.reply.mapHeader(0) } else { c.reply.arrayHeader(0) }
            return
        }
        if fields && values { c.reply.mapHeader(h.count) } else { c.reply.arrayHeader(h.count) }
        h.forEach { f, v in
            if fields { bulk(c, f) }
            if values { bulk(c, v) }
            return true
        }
    }

    static func hgetall(_ c: CommandContext) throws(RedisError) { try all(c, fields: true, values: true) }
    static func hkeys(_ c: CommandContext) throws(RedisError) { try all(c, fields: true, values: false) }
    static func hvals(_ c: CommandContext) throws(RedisError) { try all(c, fields: false, values: true) }

    // MARK: - Deleting

    static func hdel(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard var h = try writeHash(c, key) else {
            c.reply.integer(0)
            return
        }
        let before = h.identity
        var deleted = 0
        for i in 2..<c.count where h.remove(c.bytes(i)) {
            deleted += 1
            if h.count == 0 {
                c.engine.deleteKey(c.database, key)
                break
            }
        }
        if deleted > 0 && h.count > 0 {
            h.shrinkToFit()
            commit(c, key, h, isNew: false, before: before)
        }
        if deleted > 0 { c.notify(.hash, "hdel", key) }
        if h.count == 0 { c.notify(.generic, "del", key) }
        c.engine.countChanges(deleted)
        c.reply.integer(deleted)
    }

    // MARK: - Counters

    static func hincrby(_ c: CommandContext) throws(RedisError) {
        let increment = try c.integer(3)
        let key = c.key(1)
        let existing = try writeHash(c, key)
        let field = c.bytes(2)
        var current: Int64 = 0
        if let old = existing?.value(field) {
            guard let v = RedisIntegerBridge.parse(old) else { throw .hashValueNotInteger }
            current = v
        }
        let (sum, overflow) = current.addingReportingOverflow(increment)
        if overflow { throw .overflow }
        var h = existing ?? HashValue()
        let config = c.engine.configuration
        h.set(field, RedisIntegerBridge.bytes(sum), maxEntries: config.hashMaxListpackEntries,
              maxValue: config.hashMaxListpackValue)
        commit(c, key, h, isNew: existing == nil, before: existing?.identity)
        c.notify(.hash, "hincrby", key)
        c.reply.integer(sum)
    }

    static func hincrbyfloat(_ c: CommandContext) throws(RedisError) {
        guard let increment = LongDouble.parse(c.bytes(3)) else { throw .notFloat }
        if increment.isNaN || increment.isInfinite { throw .valueNaNOrInfinity }
        let key = c.key(1)
        let existing = try writeHash(c, key)
        let field = c.bytes(2)
        var current: LongDouble.Number = 0
        if let old = existing?.value(field) {
            guard let v = LongDouble.parse(old) else { throw .hashValueNotFloat }
            current = v
        }
        let sum = current + increment
        if sum.isNaN || sum.isInfinite { throw .incrementNaNOrInfinity }
        let text = LongDouble.humanString(sum)
        var h = existing ?? HashValue()
        let config = c.engine.configuration
        h.set(field, text, maxEntries: config.hashMaxListpackEntries, maxValue: config.hashMaxListpackValue)
        commit(c, key, h, isNew: existing == nil, before: existing?.identity)
        c.notify(.hash, "hincrbyfloat", key)
        c.engine.propagate(c.database, [[.text("HSET"), .key(key), .bytes(Array(field)), .bytes(text)]])
        c.reply.bulk(text)
    }

    // MARK: - HRANDFIELD

    static func hrandfield(_ c: CommandContext) throws(RedisError) {
        if c.count >= 3 {
            let count = try c.integer(2)
            if count == Int64.min { throw .randomCountOutOfRange }
            if c.count > 4 || (c.count == 4 && !c.argument(3, is: "withvalues")) { throw .syntax }
            let withValues = c.count == 4
            if withValues && (count < -(Int64.max / 2) || count > Int64.max / 2) { throw .valueOutOfRange }
            try hrandfieldWithCount(c, count, withValues: withValues)
            return
        }
        guard let h = try readHash(c, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(h.randomPair(using: &c.engine.random).field)
    }

    /// Writes one HRANDFIELD element: the field, or in RESP3 with values a pair array.
    static func writeRandom(_ c: CommandContext, _ field: ByteString, _ value: ByteString, withValues: Bool) {
        if withValues && c.reply.isResp3 { c.reply.arrayHeader(2) }
        c.reply.bulk(field)
        if withValues { c.reply.bulk(value) }
    }

    /// Redis's `hrandfieldWithCountCommand`.
    static func hrandfieldWithCount(_ c: CommandContext, _ requested: Int64, withValues: Bool) throws(RedisError) {
        guard let h = try readHash(c, c.key(1)) else {
            c.reply.arrayHeader(0)
            return
        }
        let size = h.count
        let unique = requested >= 0
        let count = Int(requested.magnitude)
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let flat = withValues && !c.reply.isResp3
        // Sampling with repetition (a negative count), or a single element.
        if !unique || count == 1 {
            c.reply.arrayHeader(flat ? count * 2 : count)
            if h.isListpack {
                let pairs = h.pairs
                for _ in 0..<count {
                    let p = pairs[Int.random(in: 0..<pairs.count, using: &c.engine.random)]
                    writeRandom(c, p.field, p.value, withValues: withValues)
                }
            } else {
                for _ in 0..<count {
                    let p = h.randomPair(using: &c.engine.random)
                    writeRandom(c, p.field, p.value, withValues: withValues)
                }
            }
            return
        }
        let replySize = min(count, size)
        c.reply.arrayHeader(flat ? replySize * 2 : replySize)
        // The whole hash, in its order.
        if count >= size {
            h.forEach { f, v in
                if withValues && c.reply.isResp3 { c.reply.arrayHeader(2) }
                bulk(c, f)
                if withValues { bulk(c, v) }
                return true
            }
            return
        }
        // A listpack: distinct elements chosen at random, in listpack order (selection sampling).
        if h.isListpack {
            var needed = count
            var left = size
            h.forEach { f, v in
                if Int.random(in: 0..<left, using: &c.engine.random) < needed {
                    if withValues && c.reply.isResp3 { c.reply.arrayHeader(2) }
                    bulk(c, f)
                    if withValues { bulk(c, v) }
                    needed -= 1
                }
                left -= 1
                return needed > 0
            }
            return
        }
        // A hash table, asking for a large share: drop random elements from a copy.
        if count * 3 > size {
            var pairs = h.pairs
            while pairs.count > count {
                let i = Int.random(in: 0..<pairs.count, using: &c.engine.random)
                pairs.swapAt(i, pairs.count - 1)
                pairs.removeLast()
            }
            for p in pairs { writeRandom(c, p.field, p.value, withValues: withValues) }
            return
        }
        // A hash table, asking for a small share: random picks until enough distinct ones.
        var seen = Set<ByteString>()
        while seen.count < count {
            let p = h.randomPair(using: &c.engine.random)
            if seen.insert(p.field).inserted { writeRandom(c, p.field, p.value, withValues: withValues) }
        }
    }

    // MARK: - HSCAN

    static func hscan(_ c: CommandContext) throws(RedisError) {
        guard let cursor = KeyCommands.parseCursor(c.arguments[2]) else { throw .invalidCursor }
        guard let h = try readHash(c, c.key(1)) else {
            c.reply.emptyScan()
            return
        }
        let options = try ScanOptions(c, from: 3, allowType: false)
        let count = options.count, pattern = options.pattern
        var found: [(ByteString, ByteString)] = []
        var next: UInt64 = 0
        if h.isListpack {
            found = h.pairs.map { ($0.field, $0.value) }
        } else {
            next = h.scanTable(cursor: cursor, count: count) { f, v in found.append((f, v)) }
        }
        if let pattern { found.removeAll { !pattern.matches($0.0) } }
        c.reply.arrayHeader(2)
        c.reply.bulk(string: String(next))
        c.reply.arrayHeader(found.count * 2)
        for (f, v) in found {
            c.reply.bulk(f)
            c.reply.bulk(v)
        }
    }
}

import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sorted-set commands (Redis's `t_zset.c`): ZADD and friends here, ranges in
/// `SortedSets+Ranges.swift`, pops and random members in `SortedSets+Pop.swift`, and the set
/// algebra and ZSCAN in `SortedSets+Algebra.swift`.
enum SortedSetCommands {
    // MARK: - Command table

    static let rw = ["write", "sortedset", "fast"]
    static let rwSlow = ["write", "sortedset", "slow"]
    static let ro = ["read", "sortedset", "fast"]
    static let roSlow = ["read", "sortedset", "slow"]

    static let specs: [CommandSpec] = [
        CommandSpec("zadd", arity: -4, flags: [.write, .denyoom, .fast], categories: rw,
                    group: "sorted-set", since: "1.2.0",
                    summary: "Add one or more members to a sorted set, or update its score if it already exists",
                    handler: zadd),
        CommandSpec("zincrby", arity: 4, flags: [.write, .denyoom, .fast], categories: rw,
                    group: "sorted-set", since: "1.2.0", summary: "Increment the score of a member in a sorted set",
                    handler: zincrby),
        CommandSpec("zrem", arity: -3, flags: [.write, .fast], categories: rw,
                    group: "sorted-set", since: "1.2.0", summary: "Remove one or more members from a sorted set",
                    handler: zrem),
        CommandSpec("zscore", arity: 3, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "1.2.0",
                    summary: "Get the score associated with the given member in a sorted set",
                    handler: zscore),
        CommandSpec("zmscore", arity: -3, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "6.2.0",
                    summary: "Get the score associated with the given members in a sorted set",
                    handler: zmscore),
        CommandSpec("zcard", arity: 2, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "1.2.0", summary: "Get the number of members in a sorted set",
                    handler: zcard),
        CommandSpec("zcount", arity: 4, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "2.0.0",
                    summary: "Count the members in a sorted set with scores within the given values",
                    handler: zcount),
        CommandSpec("zlexcount", arity: 4, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "2.8.9",
                    summary: "Count the number of members in a sorted set between a given lexicographical range",
                    handler: zlexcount),
        CommandSpec("zrank", arity: 3, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "2.0.0", summary: "Determine the index of a member in a sorted set",
                    handler: zrank),
        CommandSpec("zrevrank", arity: 3, flags: [.readonly, .fast], categories: ro,
                    group: "sorted-set", since: "2.0.0",
                    summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
                    handler: zrevrank),
    ] + rangeSpecs + popSpecs + blockingSpecs + algebraSpecs

    // MARK: - Shared helpers

    /// The sorted set at `key` for a read, nil if missing.
    /// - Throws: WRONGTYPE if the key holds another type.
    static func readZset(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> SortedSetValue? {
        guard let value = c.engine.lookupRead(c.database, key) else { return nil }
        guard case .zset(let z) = value else { throw .wrongType }
        return z
    }

    /// The sorted set at `key` for a write, nil if missing.
    /// - Throws: WRONGTYPE if the key holds another type.
    static func writeZset(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> SortedSetValue? {
        guard let value = c.engine.lookupWrite(c.database, key) else { return nil }
        guard case .zset(let z) = value else { throw .wrongType }
        return z
    }

    /// After removing members from the set at `key`: publishes `event`, then deletes the key
    /// when the set is empty (publishing `del`), otherwise tells WATCH it changed.
    static func afterRemoval(_ engine: Engine, _ db: Database, _ key: ByteString, _ z: SortedSetValue,
                             event: StaticString) {
        engine.notify(.zset, event, key, db)
        if z.count == 0 {
            engine.deleteKey(db, key)
            engine.notify(.generic, "del", key, db)
        } else {
            engine.signalModifiedKey(db, key)
        }
    }

    /// Redis's `string2d`: the whole argument must be a `strtod` number, with no leading space,
    /// no NaN and no overflow (or underflow to zero).
    static func parseDouble(_ buffer: ByteBuffer) -> Double? {
        buffer.withUnsafeReadableBytes { bytes -> Double? in
            if bytes.isEmpty || isspace(Int32(bytes[0])) != 0 { return nil }
            guard let (value, used, rangeError) = strtodPrefix(bytes) else { return nil }
            if used != bytes.count || value.isNaN { return nil }
            if rangeError && (value.isInfinite || value == 0) { return nil }
            return value
        }
    }

    /// C `strtod` over `bytes` (up to its first NUL): the value, how many bytes it used and
    /// whether it reported ERANGE. The NUL-terminated copy lives on the stack when short.
    static func strtodPrefix(_ bytes: UnsafeRawBufferPointer) -> (Double, Int, Bool)? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { p -> (Double, Int, Bool)? in
            guard let start = p.baseAddress else { return nil }
            if let source = bytes.baseAddress, bytes.count > 0 {
                UnsafeMutableRawPointer(start).copyMemory(from: source, byteCount: bytes.count)
            }
            start[bytes.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtod(start, &end)
            let rangeError = errno == ERANGE
            guard let end else { return nil }
            return (value, end - start, rangeError)
        }
    }

    /// A float argument. - Throws: `ERR value is not a valid float`.
    static func double(_ c: CommandContext, _ index: Int) throws(RedisError) -> Double {
        guard let v = parseDouble(c.arguments[index]) else { throw .notFloat }
        return v
    }

    /// Writes entries as Redis's range replies do: members only, or with scores as a flat
    /// array (RESP2) or an array of pairs (RESP3).
    static func replyEntries(_ r: ReplyWriter, _ entries: [SortedSetEntry], withScores: Bool) {
        if withScores && !r.isResp3 { r.arrayHeader(entries.count * 2) } else { r.arrayHeader(entries.count) }
        for e in entries {
            if withScores && r.isResp3 { r.arrayHeader(2) }
            r.bulk(e.member)
            if withScores { r.double(e.score) }
        }
    }

    /// The listpack limits from the configuration.
    static func limits(_ engine: Engine) -> (maxEntries: Int, maxValue: Int) {
        (engine.configuration.zsetMaxListpackEntries, engine.configuration.zsetMaxListpackValue)
    }

    // MARK: - ZADD, ZINCRBY

    static func zadd(_ c: CommandContext) throws(RedisError) { try zaddGeneric(c, incr: false) }
    static func zincrby(_ c: CommandContext) throws(RedisError) { try zaddGeneric(c, incr: true) }

    /// Redis's `zaddGenericCommand`.
    static func zaddGeneric(_ c: CommandContext, incr incrFlag: Bool) throws(RedisError) {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrFlag
        var scoreIndex = 2
        while scoreIndex < c.count {
            if c.argument(scoreIndex, is: "nx") { nx = true }
            else if c.argument(scoreIndex, is: "xx") { xx = true }
            else if c.argument(scoreIndex, is: "ch") { ch = true }
            else if c.argument(scoreIndex, is: "incr") { incr = true }
            else if c.argument(scoreIndex, is: "gt") { gt = true }
            else if c.argument(scoreIndex, is: "lt") { lt = true }
            else { break }
            scoreIndex += 1
        }
        let elements = c.count - scoreIndex
        if elements % 2 != 0 || elements == 0 { throw .syntax }
        let pairs = elements / 2
        if nx && xx { throw .zaddXXNX }
        if (gt && nx) || (lt && nx) || (gt && lt) { throw .zaddGTLTNX }
        if incr && pairs > 1 { throw .zaddIncrPairs }
        var scores: [Double] = []
        scores.reserveCapacity(pairs)
        for i in 0..<pairs { scores.append(try double(c, scoreIndex + 2 * i)) }

        let key = c.key(1)
        let db = c.database
        let (maxEntries, maxValue) = limits(c.engine)
        var added = 0, updated = 0, processed = 0
        var lastScore = 0.0
        let z: SortedSetValue
        if let existing = try writeZset(c, key) {
            z = existing
        } else {
            if xx {
                if incr { c.reply.nullBulk() } else { c.reply.integer(0) }
                return
            }
            let firstLength = c.arguments[scoreIndex + 1].readableBytes
            z = SortedSetValue(sizeHint: 1, maxMemberLength: firstLength, maxEntries: maxEntries, maxValue: maxValue)
            c.engine.setKey(db, key, .zset(z))
        }
        for i in 0..<pairs {
            let member = c.key(scoreIndex + 2 * i + 1)
            let (outcome, newScore) = z.add(member, scores[i], incr: incr, nx: nx, xx: xx, gt: gt, lt: lt,
                                            maxEntries: maxEntries, maxValue: maxValue)
            switch outcome {
            case .nan:
                if added + updated > 0 {
                    c.engine.signalModifiedKey(db, key)
                    c.notify(.zset, incr ? "zincr" : "zadd", key)
                }
                throw .scoreNaN
            case .added: added += 1; processed += 1
            case .updated: updated += 1; processed += 1
            case .unchanged: processed += 1
            case .refused: break
            }
            lastScore = newScore
        }
        if added + updated > 0 {
            c.engine.signalModifiedKey(db, key)
            c.notify(.zset, incr ? "zincr" : "zadd", key)
        }
        c.engine.countChanges(added + updated)
        if incr {
            if processed > 0 { c.reply.double(lastScore) } else { c.reply.nullBulk() }
        } else {
            c.reply.integer(ch ? added + updated : added)
        }
    }

    // MARK: - ZREM

    static func zrem(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let z = try writeZset(c, key) else {
            c.reply.integer(0)
            return
        }
        var deleted = 0
        for i in 2..<c.count {
            if z.remove(c.key(i)) {
                deleted += 1
                if z.count == 0 { break }
            }
        }
        if deleted > 0 { afterRemoval(c.engine, c.database, key, z, event: "zrem") }
        c.engine.countChanges(deleted)
        c.reply.integer(deleted)
    }

    // MARK: - Reads

    static func zscore(_ c: CommandContext) throws(RedisError) {
        guard let z = try readZset(c, c.key(1)), let s = z.score(c.key(2)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.double(s)
    }

    static func zmscore(_ c: CommandContext) throws(RedisError) {
        let z = try readZset(c, c.key(1))
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            if let s = z?.score(c.key(i)) { c.reply.double(s) } else { c.reply.nullBulk() }
        }
    }

    static func zcard(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(try readZset(c, c.key(1))?.count ?? 0)
    }

    static func zcount(_ c: CommandContext) throws(RedisError) {
        let range = try ScoreRange.parse(c, 2, 3)
        guard let z = try readZset(c, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(range.ranks(in: z).count)
    }

    static func zlexcount(_ c: CommandContext) throws(RedisError) {
        let range = try LexRange.parse(c, 2, 3)
        guard let z = try readZset(c, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(range.ranks(in: z).count)
    }

    static func zrank(_ c: CommandContext) throws(RedisError) { try rankGeneric(c, reverse: false) }
    static func zrevrank(_ c: CommandContext) throws(RedisError) { try rankGeneric(c, reverse: true) }

    static func rankGeneric(_ c: CommandContext, reverse: Bool) throws(RedisError) {
        guard let z = try readZset(c, c.key(1)), let rank = z.rank(c.key(2)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.integer(reverse ? z.count - 1 - rank : rank)
    }
}

// MARK: - Ranges

/// A score interval, as Redis's `zslParseRange` reads `min` and `max` (`(` marks an open end).
struct ScoreRange {
    var min: Double
    var max: Double
    var minExclusive: Bool
    var maxExclusive: Bool

    func gteMin(_ v: Double) -> Bool { minExclusive ? v > min : v >= min }
    func lteMax(_ v: Double) -> Bool { maxExclusive ? v < max : v <= max }

    /// One bound: the argument up to its first NUL, after an optional `(`, must be all `strtod`
    /// number (an empty one reads as 0) and not NaN.
    static func bound(_ buffer: ByteBuffer) -> (Double, Bool)? {
        buffer.withUnsafeReadableBytes { raw -> (Double, Bool)? in
            var bytes = raw
            if let nul = bytes.firstIndex(of: 0) { bytes = UnsafeRawBufferPointer(rebasing: bytes[..<nul]) }
            var exclusive = false
            if bytes.first == UInt8(ascii: "(") {
                exclusive = true
                bytes = UnsafeRawBufferPointer(rebasing: bytes[1...])
            }
            guard let (value, used, _) = SortedSetCommands.strtodPrefix(bytes), used == bytes.count, !value.isNaN else {
                return nil
            }
            return (value, exclusive)
        }
    }

    /// Parses arguments `minIndex` and `maxIndex`. - Throws: `ERR min or max is not a float`.
    static func parse(_ c: CommandContext, _ minIndex: Int, _ maxIndex: Int) throws(RedisError) -> ScoreRange {
        guard let lo = bound(c.arguments[minIndex]), let hi = bound(c.arguments[maxIndex]) else { throw .scoreRange }
        return ScoreRange(min: lo.0, max: hi.0, minExclusive: lo.1, maxExclusive: hi.1)
    }

    /// The ranks of the members inside the range.
    func ranks(in z: SortedSetValue) -> Range<Int> {
        let lo = z.countScoresWhile { !gteMin($0) }
        let hi = z.countScoresWhile { lteMax($0) }
        return lo < hi ? lo..<hi : lo..<lo
    }
}

/// A lexicographic interval, as Redis's `zslParseLexRange` reads it: `[x` and `(x` bound
/// inclusively and exclusively, `-` and `+` are the open ends.
struct LexRange {
    enum Bound {
        case minusInfinity
        case plusInfinity
        case value(ByteString, exclusive: Bool)
    }

    var min: Bound
    var max: Bound

    static func bound(_ buffer: ByteBuffer) -> Bound? {
        let bytes = buffer.bytesArray
        guard let first = bytes.first else { return nil }
        switch first {
        case UInt8(ascii: "+"): return bytes.count == 1 || bytes[1] == 0 ? .plusInfinity : nil
        case UInt8(ascii: "-"): return bytes.count == 1 || bytes[1] == 0 ? .minusInfinity : nil
        case UInt8(ascii: "("): return .value(ByteString(Array(bytes[1...])), exclusive: true)
        case UInt8(ascii: "["): return .value(ByteString(Array(bytes[1...])), exclusive: false)
        default: return nil
        }
    }

    /// Parses arguments `minIndex` and `maxIndex`.
    /// - Throws: `ERR min or max not valid string range item`.
    static func parse(_ c: CommandContext, _ minIndex: Int, _ maxIndex: Int) throws(RedisError) -> LexRange {
        guard let lo = bound(c.arguments[minIndex]), let hi = bound(c.arguments[maxIndex]) else { throw .lexRange }
        return LexRange(min: lo, max: hi)
    }

    /// Redis's `sdscmplex` of a member against a bound.
    static func compare(_ m: ByteString, _ b: Bound) -> Int {
        switch b {
        case .minusInfinity: return 1
        case .plusInfinity: return -1
        case .value(let v, _): return compareMembers(m, v)
        }
    }

    func gteMin(_ m: ByteString) -> Bool {
        switch min {
        case .minusInfinity: return true
        case .plusInfinity: return false
        case .value(_, let ex): let r = LexRange.compare(m, min); return ex ? r > 0 : r >= 0
        }
    }

    func lteMax(_ m: ByteString) -> Bool {
        switch max {
        case .plusInfinity: return true
        case .minusInfinity: return false
        case .value(_, let ex): let r = LexRange.compare(m, max); return ex ? r < 0 : r <= 0
        }
    }

    /// Whether the interval is empty whatever the members (min above max, or equal and open).
    var isEmpty: Bool {
        let cmp: Int
        switch (min, max) {
        case (.minusInfinity, .minusInfinity), (.plusInfinity, .plusInfinity): cmp = 0
        case (.minusInfinity, _), (_, .plusInfinity): cmp = -1
        case (.plusInfinity, _), (_, .minusInfinity): cmp = 1
        case (.value(let a, let ea), .value(let b, let eb)):
            let r = compareMembers(a, b)
            return r > 0 || (r == 0 && (ea || eb))
        }
        return cmp > 0 || (cmp == 0)
    }

    /// Redis's `zslIsInLexRange`: the interval is not empty, the last member is at or above
    /// min and the first at or below max.
    func overlaps(_ z: SortedSetValue) -> Bool {
        if isEmpty || z.count == 0 { return false }
        return gteMin(z.entry(at: z.count - 1).member) && lteMax(z.entry(at: 0).member)
    }

    /// A listpack walk as Redis's ZRANGEBYLEX does it, which only matters when scores differ:
    /// forward from the first member at or above min, or backward from the last member at or
    /// below max; skip `offset` members unchecked, then take members while they stay on the
    /// range's far side, up to `limit` (all when negative).
    func walk(_ z: SortedSetValue, offset: Int64, limit: Int64, reverse: Bool) -> [SortedSetEntry] {
        if !overlaps(z) || offset < 0 || (offset > 0 && offset >= Int64(z.count)) { return [] }
        var out: [SortedSetEntry] = []
        if reverse {
            var i = z.count - 1
            while i >= 0 && !lteMax(z.entry(at: i).member) { i -= 1 }
            guard i >= 0, gteMin(z.entry(at: i).member) else { return [] }
            i -= Int(offset)
            while i >= 0 && (limit < 0 || out.count < limit) {
                let e = z.entry(at: i)
                if !gteMin(e.member) { break }
                out.append(e)
                i -= 1
            }
        } else {
            var i = 0
            while i < z.count && !gteMin(z.entry(at: i).member) { i += 1 }
            guard i < z.count, lteMax(z.entry(at: i).member) else { return [] }
            i += Int(offset)
            while i < z.count && (limit < 0 || out.count < limit) {
                let e = z.entry(at: i)
                if !lteMax(e.member) { break }
                out.append(e)
                i += 1
            }
        }
        return out
    }

    /// The ranks of the members inside the range: the first member at or above min, then
    /// members while at or below max (a linear walk in a listpack, as Redis does).
    func ranks(in z: SortedSetValue) -> Range<Int> {
        if !overlaps(z) { return 0..<0 }
        if z.isListpack {
            var lo = 0
            while lo < z.count && !gteMin(z.entry(at: lo).member) { lo += 1 }
            var hi = lo
            while hi < z.count && lteMax(z.entry(at: hi).member) { hi += 1 }
            return lo..<hi
        }
        let lo = z.countWhile { !gteMin($0.member) }
        let hi = z.countWhile { lteMax($0.member) }
        return lo < hi ? lo..<hi : lo..<lo
    }
}

import NIOCore
import RoostRESP

/// ZPOPMIN, ZPOPMAX, ZMPOP and ZRANDMEMBER. The popping core (`pop`, `writePopReply`) is
/// shared with the blocking variants.
extension SortedSetCommands {
    static let popSpecs: [CommandSpec] = [
        CommandSpec("zpopmin", arity: -2, flags: [.write, .fast], categories: rw,
                    group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the lowest scores in a sorted set",
                    handler: zpopmin),
        CommandSpec("zpopmax", arity: -2, flags: [.write, .fast], categories: rw,
                    group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the highest scores in a sorted set",
                    handler: zpopmax),
        CommandSpec("zmpop", arity: -4, flags: [.write], categories: rwSlow,
                    group: "sorted-set", since: "7.0.0",
                    summary: "Remove and return members with scores in a sorted set",
                    handler: zmpop),
        CommandSpec("zrandmember", arity: -2, flags: [.readonly], categories: roSlow,
                    tips: ["nondeterministic_output"], group: "sorted-set", since: "6.2.0",
                    summary: "Get one or multiple random elements from a sorted set",
                    handler: zrandmember),
    ]

    // MARK: - Popping core

    /// Removes up to `count` members from the low end (or the high end when `fromMax`) of the
    /// set at `key`, in popping order; deletes the key when it empties, otherwise tells WATCH.
    static func pop(_ engine: Engine, _ db: Database, _ key: ByteString, _ z: SortedSetValue,
                    fromMax: Bool, count: Int) -> [SortedSetEntry] {
        let n = Swift.min(count, z.count)
        if n <= 0 { return [] }
        let ranks = fromMax ? (z.count - n)..<z.count : 0..<n
        var popped = z.entries(ranks)
        if fromMax { popped.reverse() }
        z.removeRanks(ranks)
        afterRemoval(engine, db, key, z, event: fromMax ? "zpopmax" : "zpopmin")
        return popped
    }

    /// Writes popped entries the way `genericZpopCommand` does: preceded by the key when
    /// `emitKey` (flat for BZPOP*, nested for Z*MPOP), and as pairs when `nested`.
    static func writePopReply(_ r: ReplyWriter, key: ByteString, _ popped: [SortedSetEntry], emitKey: Bool, nested: Bool) {
        switch (emitKey, nested) {
        case (false, false): r.arrayHeader(popped.count * 2)
        case (false, true): r.arrayHeader(popped.count)
        case (true, false):
            r.arrayHeader(popped.count * 2 + 1)
            r.bulk(key)
        case (true, true):
            r.arrayHeader(2)
            r.bulk(key)
            r.arrayHeader(popped.count)
        }
        for e in popped {
            if nested { r.arrayHeader(2) }
            r.bulk(e.member)
            r.double(e.score)
        }
    }

    /// The first of `keys` holding a non-empty sorted set, as Redis scans them: a key holding
    /// another type stops the scan with WRONGTYPE.
    static func firstZset(_ c: CommandContext, _ keys: [ByteString]) throws(RedisError) -> (ByteString, SortedSetValue)? {
        for key in keys {
            if let z = try writeZset(c, key) { return (key, z) }
        }
        return nil
    }

    static func zpopmin(_ c: CommandContext) throws(RedisError) { try popMinMax(c, fromMax: false) }
    static func zpopmax(_ c: CommandContext) throws(RedisError) { try popMinMax(c, fromMax: true) }

    static func popMinMax(_ c: CommandContext, fromMax: Bool) throws(RedisError) {
        if c.count > 3 { throw .syntax }
        var count: Int64 = -1
        if c.count == 3 {
            guard let n = RedisInteger.parse(c.arguments[2]), n >= 0 else { throw .mustBePositive }
            count = n
        }
        let nested = c.reply.isResp3 && count != -1
        guard let (key, z) = try firstZset(c, [c.key(1)]) else {
            c.reply.arrayHeader(0)
            return
        }
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let n = count == -1 ? 1 : Int(Swift.min(count, Int64(Int.max)))
        let popped = pop(c.engine, c.database, key, z, fromMax: fromMax, count: n)
        c.engine.countChanges(popped.count)
        writePopReply(c.reply, key: key, popped, emitKey: false, nested: nested)
    }

    /// ZMPOP's arguments: `numkeys key… MIN|MAX [COUNT n]` from `numkeysIndex`.
    struct MultiPopArguments {
        var keys: [ByteString]
        var fromMax: Bool
        var count: Int
    }

    /// Parses ZMPOP's (and BZMPOP's) arguments as Redis's `zmpopGenericCommand` does.
    static func parseMultiPop(_ c: CommandContext, numkeysIndex: Int) throws(RedisError) -> MultiPopArguments {
        guard let numkeys = RedisInteger.parse(c.arguments[numkeysIndex]), numkeys >= 1 else { throw .numkeysPositive }
        // Compared by subtraction: numkeys may be as large as Int64.max.
        if numkeys >= Int64(c.count - numkeysIndex - 1) { throw .syntax }
        let w = numkeysIndex + Int(numkeys) + 1
        let fromMax: Bool
        if c.argument(w, is: "min") { fromMax = false } else if c.argument(w, is: "max") { fromMax = true } else { throw .syntax }
        var count: Int64 = -1
        var j = w + 1
        while j < c.count {
            if count == -1 && c.argument(j, is: "count") && j + 1 < c.count {
                j += 1
                guard let n = RedisInteger.parse(c.arguments[j]), n >= 1 else { throw .countPositive }
                count = n
            } else {
                throw .syntax
            }
            j += 1
        }
        let keys = (numkeysIndex + 1..<w).map { c.key($0) }
        return MultiPopArguments(keys: keys, fromMax: fromMax, count: count == -1 ? 1 : Int(count))
    }

    static func zmpop(_ c: CommandContext) throws(RedisError) {
        let a = try parseMultiPop(c, numkeysIndex: 1)
        guard let (key, z) = try firstZset(c, a.keys) else {
            c.reply.nullArray()
            return
        }
        let popped = pop(c.engine, c.database, key, z, fromMax: a.fromMax, count: a.count)
        writePopReply(c.reply, key: key, popped, emitKey: true, nested: true)
    }

    // MARK: - ZRANDMEMBER

    static func zrandmember(_ c: CommandContext) throws(RedisError) {
        if c.count >= 3 {
            let l = try c.integer(2)
            if l == Int64.min { throw .outOfRange(-Int64.max, Int64.max) }
            var withScores = false
            if c.count > 4 || (c.count == 4 && !c.argument(3, is: "withscores")) { throw .syntax }
            if c.count == 4 {
                withScores = true
                if l < -Int64.max / 2 || l > Int64.max / 2 { throw .valueOutOfRange }
            }
            try randomWithCount(c, l, withScores: withScores)
            return
        }
        guard let z = try readZset(c, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        var g = SystemRandomNumberGenerator()
        c.reply.bulk(z.randomEntry(using: &g).member)
    }

    static func randomWithCount(_ c: CommandContext, _ l: Int64, withScores: Bool) throws(RedisError) {
        guard let z = try readZset(c, c.key(1)) else {
            c.reply.arrayHeader(0)
            return
        }
        let unique = l >= 0
        let count = l >= 0 ? UInt64(l) : UInt64(-l)
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        var g = SystemRandomNumberGenerator()
        let size = z.count
        if !unique || count == 1 {
            let n = Int(count)
            c.reply.arrayHeader(withScores && !c.reply.isResp3 ? n * 2 : n)
            for _ in 0..<n {
                let e = z.randomEntry(using: &g)
                if withScores && c.reply.isResp3 { c.reply.arrayHeader(2) }
                c.reply.bulk(e.member)
                if withScores { c.reply.double(e.score) }
            }
            return
        }
        if count >= UInt64(size) {
            // The whole set, walked from the highest member down as Redis does.
            replyEntries(c.reply, Array(z.entries(0..<size).reversed()), withScores: withScores)
            return
        }
        // A uniform sample of distinct ranks (Floyd's algorithm), in random order as Redis's
        // dictionary-based sampling gives.
        let n = Int(count)
        var chosen = Set<Int>()
        for j in (size - n)..<size {
            let t = Int.random(in: 0...j, using: &g)
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        replyEntries(c.reply, chosen.shuffled(using: &g).map { z.entry(at: $0) }, withScores: withScores)
    }
}

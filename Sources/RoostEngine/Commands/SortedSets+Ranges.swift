import NIOCore

/// ZRANGE and its variants, ZRANGESTORE and the ZREMRANGEBY* commands.
extension SortedSetCommands {
    static let rangeSpecs: [CommandSpec] = [
        CommandSpec("zrange", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "1.2.0", summary: "Return a range of members in a sorted set",
                    handler: zrange),
        CommandSpec("zrangestore", arity: -5, flags: [.write, .denyoom], categories: rwSlow,
                    group: "sorted-set", since: "6.2.0",
                    summary: "Store a range of members from sorted set into another key",
                    handler: zrangestore),
        CommandSpec("zrangebyscore", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "1.0.5", summary: "Return a range of members in a sorted set, by score",
                    handler: zrangebyscore),
        CommandSpec("zrevrangebyscore", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "2.2.0",
                    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
                    handler: zrevrangebyscore),
        CommandSpec("zrangebylex", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range",
                    handler: zrangebylex),
        CommandSpec("zrevrangebylex", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
                    handler: zrevrangebylex),
        CommandSpec("zrevrange", arity: -4, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "1.2.0",
                    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
                    handler: zrevrange),
        CommandSpec("zremrangebyscore", arity: 4, flags: [.write], categories: rwSlow,
                    group: "sorted-set", since: "1.2.0",
                    summary: "Remove all members in a sorted set within the given scores",
                    handler: zremrangebyscore),
        CommandSpec("zremrangebyrank", arity: 4, flags: [.write], categories: rwSlow,
                    group: "sorted-set", since: "2.0.0",
                    summary: "Remove all members in a sorted set within the given indexes",
                    handler: zremrangebyrank),
        CommandSpec("zremrangebylex", arity: 4, flags: [.write], categories: rwSlow,
                    group: "sorted-set", since: "2.8.9",
                    summary: "Remove all members in a sorted set between the given lexicographical range",
                    handler: zremrangebylex),
    ]

    /// How a range is given.
    enum RangeKind { case auto, rank, score, lex }

    static func zrange(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .auto, reverse: nil)
    }
    static func zrangestore(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 2, store: true, kind: .auto, reverse: nil)
    }
    static func zrangebyscore(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .score, reverse: false)
    }
    static func zrevrangebyscore(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .score, reverse: true)
    }
    static func zrangebylex(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .lex, reverse: false)
    }
    static func zrevrangebylex(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .lex, reverse: true)
    }
    static func zrevrange(_ c: CommandContext) throws(RedisError) {
        try rangeGeneric(c, keyIndex: 1, store: false, kind: .rank, reverse: true)
    }

    /// Redis's `zrangeGenericCommand`: options, then the range, then the key. `reverse` nil
    /// means REV may be given; `kind` `.auto` means BYSCORE or BYLEX may be given.
    static func rangeGeneric(
        _ c: CommandContext, keyIndex: Int, store: Bool, kind fixedKind: RangeKind, reverse fixedReverse: Bool?
    ) throws(RedisError) {
        var kind = fixedKind
        var reverse = fixedReverse
        var withScores = false
        var offset: Int64 = 0
        var limit: Int64 = -1
        var j = keyIndex + 3
        while j < c.count {
            let left = c.count - j - 1
            if !store && c.argument(j, is: "withscores") {
                withScores = true
            } else if c.argument(j, is: "limit") && left >= 2 {
                offset = try c.integer(j + 1)
                limit = try c.integer(j + 2)
                j += 2
            } else if reverse == nil && c.argument(j, is: "rev") {
                reverse = true
            } else if kind == .auto && c.argument(j, is: "bylex") {
                kind = .lex
            } else if kind == .auto && c.argument(j, is: "byscore") {
                kind = .score
            } else {
                throw .syntax
            }
            j += 1
        }
        let rev = reverse ?? false
        if kind == .auto { kind = .rank }
        if limit != -1 && kind == .rank { throw .limitNeedsByScoreOrLex }
        if withScores && kind == .lex { throw .withScoresByLex }
        var minIndex = keyIndex + 1
        var maxIndex = keyIndex + 2
        if rev && kind != .rank { swap(&minIndex, &maxIndex) }

        var start: Int64 = 0, end: Int64 = 0
        var scoreRange: ScoreRange?
        var lexRange: LexRange?
        switch kind {
        case .auto, .rank:
            start = try c.integer(minIndex)
            end = try c.integer(maxIndex)
        case .score:
            scoreRange = try ScoreRange.parse(c, minIndex, maxIndex)
        case .lex:
            lexRange = try LexRange.parse(c, minIndex, maxIndex)
        }

        let result: [SortedSetEntry]
        var sizeHint = 0
        if let z = try readZset(c, c.key(keyIndex)) {
            if let scoreRange, !rev {
                // Ascending: one search for the first member in range, then a walk.
                if offset < 0 || (offset > 0 && offset >= Int64(z.count)) {
                    result = []
                } else {
                    result = z.entriesForward(from: { !scoreRange.gteMin($0) }, while: { scoreRange.lteMax($0) },
                                              offset: Int(offset), limit: Int(limit))
                }
            } else if let scoreRange {
                result = limited(z, scoreRange.ranks(in: z), offset: offset, limit: limit, reverse: rev)
            } else if let lexRange {
                if z.isListpack {
                    result = lexRange.walk(z, offset: offset, limit: limit, reverse: rev)
                } else {
                    result = limited(z, lexRange.ranks(in: z), offset: offset, limit: limit, reverse: rev)
                }
            } else {
                let ranks = rankRange(z.count, start, end)
                let ordered = rev ? (z.count - ranks.upperBound)..<(z.count - ranks.lowerBound) : ranks
                var out = z.entries(ordered)
                if rev { out.reverse() }
                result = out
                sizeHint = ranks.count
            }
        } else {
            result = []
        }
        if store {
            storeResult(c, c.key(1), result, sizeHint: sizeHint, event: "zrangestore")
        } else {
            replyEntries(c.reply, result, withScores: withScores)
        }
    }

    /// Redis's rank normalisation: negative indexes count from the end; out-of-range parts are
    /// clipped; an inverted range is empty.
    static func rankRange(_ length: Int, _ start: Int64, _ end: Int64) -> Range<Int> {
        let llen = Int64(length)
        var s = start, e = end
        if s < 0 { s = llen + s }
        if e < 0 { e = llen + e }
        if s < 0 { s = 0 }
        if s > e || s >= llen { return 0..<0 }
        if e >= llen { e = llen - 1 }
        return Int(s)..<Int(e + 1)
    }

    /// Applies LIMIT to the in-range `ranks`: skip `offset` from the start (or from the end when
    /// reversed), then take up to `limit` (all when negative); a negative offset, or one past the
    /// whole set, gives nothing.
    static func limited(_ z: SortedSetValue, _ ranks: Range<Int>, offset: Int64, limit: Int64, reverse: Bool) -> [SortedSetEntry] {
        if offset < 0 || (offset > 0 && offset >= Int64(z.count)) { return [] }
        let available = Int64(ranks.count) - offset
        if available <= 0 { return [] }
        let take = Int(limit < 0 ? available : Swift.min(limit, available))
        if take == 0 { return [] }
        if reverse {
            let upper = ranks.upperBound - Int(offset)
            var out = z.entries((upper - take)..<upper)
            out.reverse()
            return out
        }
        let lower = ranks.lowerBound + Int(offset)
        return z.entries(lower..<(lower + take))
    }

    /// ZRANGESTORE's result: stored at `destination` in the encoding a set of `sizeHint`
    /// members starts in (growing as members are added), or the key deleted when empty.
    static func storeResult(_ c: CommandContext, _ destination: ByteString, _ result: [SortedSetEntry], sizeHint: Int,
                            event: StaticString) {
        if result.isEmpty {
            if c.engine.deleteKey(c.database, destination) { c.notify(.generic, "del", destination) }
            c.reply.integer(0)
            return
        }
        let (maxEntries, maxValue) = limits(c.engine)
        let z = SortedSetValue(sizeHint: sizeHint, maxMemberLength: 0, maxEntries: maxEntries, maxValue: maxValue)
        for e in result { z.set(e.member, e.score, maxEntries: maxEntries, maxValue: maxValue) }
        c.engine.setKey(c.database, destination, .zset(z))
        c.notify(.zset, event, destination)
        c.reply.integer(z.count)
    }

    // MARK: - ZREMRANGEBY*

    static func zremrangebyscore(_ c: CommandContext) throws(RedisError) {
        let range = try ScoreRange.parse(c, 2, 3)
        try removeRanks(c, event: "zremrangebyscore") { range.ranks(in: $0) }
    }

    static func zremrangebylex(_ c: CommandContext) throws(RedisError) {
        let range = try LexRange.parse(c, 2, 3)
        try removeRanks(c, event: "zremrangebylex") { range.ranks(in: $0) }
    }

    static func zremrangebyrank(_ c: CommandContext) throws(RedisError) {
        let start = try c.integer(2)
        let end = try c.integer(3)
        try removeRanks(c, event: "zremrangebyrank") { rankRange($0.count, start, end) }
    }

    /// Removes the members whose ranks `select` picks, replying with how many went.
    static func removeRanks(_ c: CommandContext, event: StaticString,
                            _ select: (SortedSetValue) -> Range<Int>) throws(RedisError) {
        let key = c.key(1)
        guard let z = try writeZset(c, key) else {
            c.reply.integer(0)
            return
        }
        let ranks = select(z)
        if !ranks.isEmpty {
            z.removeRanks(ranks)
            afterRemoval(c.engine, c.database, key, z, event: event)
        }
        c.engine.countChanges(ranks.count)
        c.reply.integer(ranks.count)
    }
}

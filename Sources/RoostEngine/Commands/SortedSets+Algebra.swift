import NIOCore
import RoostRESP

/// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD and ZSCAN.
extension SortedSetCommands {
    static let algebraSpecs: [CommandSpec] = [
        CommandSpec("zunion", arity: -3, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "6.2.0", summary: "Add multiple sorted sets",
                    handler: zunion),
        CommandSpec("zinter", arity: -3, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "6.2.0", summary: "Intersect multiple sorted sets",
                    handler: zinter),
        CommandSpec("zdiff", arity: -3, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "6.2.0", summary: "Subtract multiple sorted sets",
                    handler: zdiff),
        CommandSpec("zunionstore", arity: -4, flags: [.write, .denyoom], categories: rwSlow,
                    group: "sorted-set", since: "2.0.0",
                    summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
                    handler: zunionstore),
        CommandSpec("zinterstore", arity: -4, flags: [.write, .denyoom], categories: rwSlow,
                    group: "sorted-set", since: "2.0.0",
                    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
                    handler: zinterstore),
        CommandSpec("zdiffstore", arity: -4, flags: [.write, .denyoom], categories: rwSlow,
                    group: "sorted-set", since: "6.2.0",
                    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
                    handler: zdiffstore),
        CommandSpec("zintercard", arity: -3, flags: [.readonly], categories: roSlow,
                    group: "sorted-set", since: "7.0.0", summary: "Intersect multiple sorted sets and return the cardinality of the result",
                    handler: zintercard),
        CommandSpec("zscan", arity: -3, flags: [.readonly], categories: roSlow,
                    tips: ["nondeterministic_output"], group: "sorted-set", since: "2.8.0",
                    summary: "Incrementally iterate sorted sets elements and associated scores",
                    handler: zscan),
    ]

    /// The set operation.
    enum SetOperation { case union, inter, diff }

    /// How ZUNION and ZINTER combine the scores of a member found in several inputs.
    enum Aggregate { case sum, min, max }

    /// One input of a set operation: a sorted set, a plain set (every score 1) or a missing key.
    struct OperationSource {
        var zset: SortedSetValue?
        var set: SetValue?
        var weight = 1.0
        /// The identity of the value, to spot a key given twice.
        var identity: ObjectIdentifier?

        var count: Int { zset?.count ?? set?.count ?? 0 }

        func forEach(_ body: (ByteString, Double) -> Void) {
            if let zset {
                zset.forEach { body($0.member, $0.score) }
            } else if let set {
                set.forEach { body($0, 1.0) }
            }
        }

        func score(_ member: ByteString) -> Double? {
            if let zset { return zset.score(member) }
            if let set { return set.contains(member) ? 1.0 : nil }
            return nil
        }
    }

    static func zunion(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: false, numkeysIndex: 1, .union) }
    static func zinter(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: false, numkeysIndex: 1, .inter) }
    static func zdiff(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: false, numkeysIndex: 1, .diff) }
    static func zunionstore(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: true, numkeysIndex: 2, .union) }
    static func zinterstore(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: true, numkeysIndex: 2, .inter) }
    static func zdiffstore(_ c: CommandContext) throws(RedisError) { try operationGeneric(c, store: true, numkeysIndex: 2, .diff) }
    static func zintercard(_ c: CommandContext) throws(RedisError) {
        try operationGeneric(c, store: false, numkeysIndex: 1, .inter, cardinalityOnly: true)
    }

    static func aggregate(_ target: inout Double, _ value: Double, _ how: Aggregate) {
        switch how {
        case .sum:
            target += value
            if target.isNaN { target = 0 }
        case .min: target = value < target ? value : target
        case .max: target = value > target ? value : target
        }
    }

    /// Redis's `zunionInterDiffGenericCommand`.
    static func operationGeneric(
        _ c: CommandContext, store: Bool, numkeysIndex: Int, _ op: SetOperation, cardinalityOnly: Bool = false
    ) throws(RedisError) {
        let setnum = try c.integer(numkeysIndex)
        if setnum < 1 { throw .needsInputKey(c.command.fullName) }
        if setnum > Int64(c.count - (numkeysIndex + 1)) { throw .syntax }
        let n = Int(setnum)
        var sources: [OperationSource] = []
        sources.reserveCapacity(n)
        var j = numkeysIndex + 1
        for _ in 0..<n {
            var s = OperationSource()
            if let value = c.engine.lookupRead(c.database, c.key(j)) {
                switch value {
                case .zset(let z): s.zset = z; s.identity = ObjectIdentifier(z)
                case .set(let set): s.set = set; s.identity = ObjectIdentifier(set)
                default: throw .wrongType
                }
            }
            sources.append(s)
            j += 1
        }
        var how = Aggregate.sum
        var withScores = false
        var limit: Int64 = 0
        while j < c.count {
            let remaining = c.count - j
            if op != .diff && !cardinalityOnly && remaining >= n + 1 && c.argument(j, is: "weights") {
                j += 1
                for i in 0..<n {
                    guard let w = parseDouble(c.arguments[j]) else { throw .weightNotFloat }
                    sources[i].weight = w
                    j += 1
                }
            } else if op != .diff && !cardinalityOnly && remaining >= 2 && c.argument(j, is: "aggregate") {
                j += 1
                if c.argument(j, is: "sum") { how = .sum }
                else if c.argument(j, is: "min") { how = .min }
                else if c.argument(j, is: "max") { how = .max }
                else { throw .syntax }
                j += 1
            } else if !store && !cardinalityOnly && c.argument(j, is: "withscores") {
                withScores = true
                j += 1
            } else if cardinalityOnly && remaining >= 2 && c.argument(j, is: "limit") {
                guard let l = RedisInteger.parse(c.arguments[j + 1]), l >= 0 else { throw .limitNegative }
                limit = l
                j += 2
            } else {
                throw .syntax
            }
        }

        var result: [SortedSetEntry] = []
        var maxLength = 0
        switch op {
        case .inter:
            let ordered = sources.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }
                .map(\.element)
            var cardinality: Int64 = 0
            if ordered[0].count > 0 {
                var stop = false
                ordered[0].forEach { member, s0 in
                    if stop { return }
                    var score = ordered[0].weight * s0
                    if score.isNaN { score = 0 }
                    for k in 1..<ordered.count {
                        if ordered[k].identity == ordered[0].identity {
                            aggregate(&score, s0 * ordered[k].weight, how)
                        } else if let v = ordered[k].score(member) {
                            aggregate(&score, v * ordered[k].weight, how)
                        } else {
                            return
                        }
                    }
                    if cardinalityOnly {
                        cardinality += 1
                        if limit > 0 && cardinality >= limit { stop = true }
                    } else {
                        result.append(SortedSetEntry(member: member, score: score))
                        maxLength = Swift.max(maxLength, member.count)
                    }
                }
            }
            if cardinalityOnly {
                c.reply.integer(cardinality)
                return
            }
        case .union:
            let ordered = sources.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }
                .map(\.element)
            var accumulator: [ByteString: Double] = [:]
            for source in ordered where source.count > 0 {
                source.forEach { member, value in
                    var score = source.weight * value
                    if score.isNaN { score = 0 }
                    if let existing = accumulator[member] {
                        var t = existing
                        aggregate(&t, score, how)
                        accumulator[member] = t
                    } else {
                        accumulator[member] = score
                    }
                }
            }
            result.reserveCapacity(accumulator.count)
            for (member, score) in accumulator {
                result.append(SortedSetEntry(member: member, score: score))
                maxLength = Swift.max(maxLength, member.count)
            }
        case .diff:
            (result, maxLength) = difference(sources)
        }
        result.sort { entryPrecedes($0.score, $0.member, $1.score, $1.member) }

        if store {
            let key = c.key(1)
            if result.isEmpty {
                if c.engine.deleteKey(c.database, key) { c.notify(.generic, "del", key) }
                c.reply.integer(0)
                return
            }
            let (maxEntries, maxValue) = limits(c.engine)
            let fits = result.count <= maxEntries && maxLength <= maxValue
            let z = SortedSetValue(sizeHint: fits ? 0 : Int.max, maxMemberLength: 0, maxEntries: maxEntries, maxValue: maxValue)
            for e in result { z.set(e.member, e.score, maxEntries: Int.max, maxValue: Int.max) }
            c.engine.setKey(c.database, key, .zset(z))
            c.reply.integer(z.count)
            c.notify(.zset, op == .union ? "zunionstore" : op == .inter ? "zinterstore" : "zdiffstore", key)
        } else {
            replyEntries(c.reply, result, withScores: withScores)
        }
    }

    /// ZDIFF's members: those of the first input found in no other, with the first input's
    /// scores; and the longest member's length, which decides the stored result's encoding.
    static func difference(_ sources: [OperationSource]) -> ([SortedSetEntry], Int) {
        var result: [SortedSetEntry] = []
        var maxLength = 0
        sources[0].forEach { member, score in
            for k in 1..<sources.count where sources[k].score(member) != nil { return }
            result.append(SortedSetEntry(member: member, score: score))
            maxLength = Swift.max(maxLength, member.count)
        }
        return (result, maxLength)
    }

    // MARK: - ZSCAN

    static func zscan(_ c: CommandContext) throws(RedisError) {
        guard let cursor = KeyCommands.parseCursor(c.arguments[2]) else { throw .invalidCursor }
        guard let z = try readZset(c, c.key(1)) else {
            c.reply.emptyScan()
            return
        }
        let options = try ScanOptions(c, from: 3, allowType: false)
        let count = options.count, pattern = options.pattern
        var found: [(ByteString, Double)] = []
        var next: UInt64 = 0
        if z.isListpack {
            z.forEach { found.append(($0.member, $0.score)) }
        } else {
            next = z.scanMembers(cursor: cursor, count: count) { found.append(($0, $1)) }
        }
        if let pattern { found = found.filter { pattern.matches($0.0) } }
        c.reply.arrayHeader(2)
        c.reply.bulk(string: String(next))
        c.reply.arrayHeader(found.count * 2)
        for (member, score) in found {
            c.reply.bulk(member)
            if z.isListpack {
                c.reply.bulk(string: listpackScoreText(score))
            } else {
                c.reply.bulk(string: score.isInfinite ? (score > 0 ? "inf" : "-inf") : DoubleFormat.g17(score))
            }
        }
    }

    /// A score as a listpack stores it (Redis's `d2string`): integral values within half the
    /// 64-bit range as integers, others in `%.17g`, and `inf`/`-inf`.
    static func listpackScoreText(_ d: Double) -> String {
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        let limit = Double(Int64.max / 2)
        if d >= -limit && d <= limit {
            let i = Int64(d)
            if Double(i) == d { return String(i) }
        }
        return DoubleFormat.g17(d)
    }
}

import NIOCore
import RoostRESP

/// Set commands: SADD, SREM, SMEMBERS, SPOP, SRANDMEMBER, SMOVE, the intersection, union and
/// difference commands and their STORE forms, SINTERCARD and SSCAN, as Redis 7.0's `t_set.c`.
enum SetCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("sadd", arity: -3, flags: [.write, .denyoom, .fast], categories: ["write", "set", "fast"],
                    group: "set", summary: "Add one or more members to a set",
                    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
                    handler: sadd),
        CommandSpec("srem", arity: -3, flags: [.write, .fast], categories: ["write", "set", "fast"],
                    group: "set", summary: "Remove one or more members from a set",
                    complexity: "O(N) where N is the number of members to be removed.", handler: srem),
        CommandSpec("smembers", arity: 2, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output_order"], group: "set", summary: "Get all the members in a set",
                    complexity: "O(N) where N is the set cardinality.",
                    handler: smembers),
        CommandSpec("sismember", arity: 3, flags: [.readonly, .fast], categories: ["read", "set", "fast"],
                    group: "set", summary: "Determine if a given value is a member of a set",
                    complexity: "O(1)", handler: sismember),
        CommandSpec("smismember", arity: -3, flags: [.readonly, .fast], categories: ["read", "set", "fast"],
                    group: "set", since: "6.2.0",
                    summary: "Returns the membership associated with the given elements for a set",
                    complexity: "O(N) where N is the number of elements being checked for membership",
                    handler: smismember),
        CommandSpec("scard", arity: 2, flags: [.readonly, .fast], categories: ["read", "set", "fast"],
                    group: "set", summary: "Get the number of members in a set",
                    complexity: "O(1)", handler: scard),
        CommandSpec("spop", arity: -2, flags: [.write, .fast], categories: ["write", "set", "fast"],
                    tips: ["nondeterministic_output"], group: "set",
                    summary: "Remove and return one or multiple random members from a set",
                    complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
                    handler: spop),
        CommandSpec("srandmember", arity: -2, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output"], group: "set",
                    summary: "Get one or multiple random members from a set",
                    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
                    handler: srandmember),
        CommandSpec("smove", arity: 4, flags: [.write, .fast], categories: ["write", "set", "fast"],
                    group: "set",
                    summary: "Move a member from one set to another",
                    complexity: "O(1)", handler: smove),
        CommandSpec("sinter", arity: -2, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output_order"], group: "set", summary: "Intersect multiple sets",
                    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                    handler: sinter),
        CommandSpec("sintercard", arity: -3, flags: [.readonly], categories: ["read", "set", "slow"],
                    group: "set", since: "7.0.0",
                    summary: "Intersect multiple sets and return the cardinality of the result",
                    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                    handler: sintercard),
        CommandSpec("sunion", arity: -2, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output_order"], group: "set", summary: "Add multiple sets",
                    complexity: "O(N) where N is the total number of elements in all given sets.",
                    handler: sunion),
        CommandSpec("sdiff", arity: -2, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output_order"], group: "set", summary: "Subtract multiple sets",
                    complexity: "O(N) where N is the total number of elements in all given sets.",
                    handler: sdiff),
        CommandSpec("sinterstore", arity: -3, flags: [.write, .denyoom], categories: ["write", "set", "slow"],
                    group: "set", summary: "Intersect multiple sets and store the resulting set in a key",
                    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                    handler: sinterstore),
        CommandSpec("sunionstore", arity: -3, flags: [.write, .denyoom], categories: ["write", "set", "slow"],
                    group: "set", summary: "Add multiple sets and store the resulting set in a key",
                    complexity: "O(N) where N is the total number of elements in all given sets.", handler: sunionstore),
        CommandSpec("sdiffstore", arity: -3, flags: [.write, .denyoom], categories: ["write", "set", "slow"],
                    group: "set", summary: "Subtract multiple sets and store the resulting set in a key",
                    complexity: "O(N) where N is the total number of elements in all given sets.", handler: sdiffstore),
        CommandSpec("sscan", arity: -3, flags: [.readonly], categories: ["read", "set", "slow"],
                    tips: ["nondeterministic_output"], group: "set", since: "2.8.0",
                    summary: "Incrementally iterate Set elements",
                    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
                    handler: sscan),
    ]

    // MARK: - Lookups

    /// The set at `key` for a read, nil when missing. Throws WRONGTYPE for another type.
    static func readSet(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> SetValue? {
        guard let value = c.engine.lookupRead(c.database, key) else { return nil }
        guard case .set(let s) = value else { throw .wrongType }
        return s
    }

    /// The set at `key` for a write, nil when missing. Throws WRONGTYPE for another type.
    static func writeSet(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> SetValue? {
        guard let value = c.engine.lookupWrite(c.database, key) else { return nil }
        guard case .set(let s) = value else { throw .wrongType }
        return s
    }

    static func maxIntset(_ c: CommandContext) -> Int { c.engine.configuration.setMaxIntsetEntries }

    // MARK: - Single-set commands

    static func sadd(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        let max = maxIntset(c)
        var set = try writeSet(c, key)
        let created = set == nil
        if set == nil { set = SetValue.create(for: c.key(2)) }
        guard let set else { return }
        var added = 0
        for i in 2..<c.count where set.insert(c.key(i), maxIntsetEntries: max) { added += 1 }
        if created {
            c.engine.setKey(c.database, key, .set(set))
        } else if added > 0 {
            c.engine.signalModifiedKey(c.database, key)
        }
        if added > 0 { c.notify(.set, "sadd", key) }
        c.engine.countChanges(added)
        c.reply.integer(added)
    }

    static func srem(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let set = try writeSet(c, key) else { c.reply.integer(0); return }
        var removed = 0
        for i in 2..<c.count where set.remove(c.key(i)) {
            removed += 1
            if set.isEmpty { break }
        }
        if set.isEmpty {
            c.engine.deleteKey(c.database, key)
        } else if removed > 0 {
            c.engine.signalModifiedKey(c.database, key)
        }
        if removed > 0 { c.notify(.set, "srem", key) }
        if set.isEmpty { c.notify(.generic, "del", key) }
        c.engine.countChanges(removed)
        c.reply.integer(removed)
    }

    static func smembers(_ c: CommandContext) throws(RedisError) {
        guard let set = try readSet(c, c.key(1)) else { c.reply.setHeader(0); return }
        c.reply.setHeader(set.count)
        set.writeMembers(to: c.reply)
    }

    static func sismember(_ c: CommandContext) throws(RedisError) {
        guard let set = try readSet(c, c.key(1)) else { c.reply.integer(0); return }
        c.reply.integer(set.contains(c.key(2)) ? 1 : 0)
    }

    static func smismember(_ c: CommandContext) throws(RedisError) {
        let set = try readSet(c, c.key(1))
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count { c.reply.integer(set?.contains(c.key(i)) == true ? 1 : 0) }
    }

    static func scard(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(try readSet(c, c.key(1))?.count ?? 0)
    }

    static func smove(_ c: CommandContext) throws(RedisError) {
        let db = c.database
        let sourceKey = c.key(1)
        let destinationKey = c.key(2)
        let member = c.key(3)
        let sourceValue = c.engine.lookupWrite(db, sourceKey)
        let destinationValue = c.engine.lookupWrite(db, destinationKey)
        guard let sourceValue else { c.reply.integer(0); return }
        guard case .set(let source) = sourceValue else { throw .wrongType }
        var destination: SetValue?
        if let destinationValue {
            guard case .set(let d) = destinationValue else { throw .wrongType }
            destination = d
        }
        if sourceKey == destinationKey {
            c.reply.integer(source.contains(member) ? 1 : 0)
            return
        }
        guard source.remove(member) else { c.reply.integer(0); return }
        c.notify(.set, "srem", sourceKey)
        if source.isEmpty {
            c.engine.deleteKey(db, sourceKey)
            c.notify(.generic, "del", sourceKey)
        } else {
            c.engine.signalModifiedKey(db, sourceKey)
        }
        if let destination {
            if destination.insert(member, maxIntsetEntries: maxIntset(c)) {
                c.engine.signalModifiedKey(db, destinationKey)
                c.notify(.set, "sadd", destinationKey)
            }
        } else {
            let created = SetValue.create(for: member)
            created.insert(member, maxIntsetEntries: maxIntset(c))
            c.engine.setKey(db, destinationKey, .set(created))
            c.notify(.set, "sadd", destinationKey)
        }
        c.reply.integer(1)
    }

    // MARK: - Random members

    static func spop(_ c: CommandContext) throws(RedisError) {
        if c.count == 3 { try spopWithCount(c); return }
        if c.count > 3 { throw .syntax }
        let key = c.key(1)
        guard let set = try writeSet(c, key) else { c.reply.nullBulk(); return }
        guard let member = set.randomMember(using: &c.engine.random) else { c.reply.nullBulk(); return }
        set.remove(member)
        c.reply.bulk(member)
        // Random: propagated as the SREM of what was popped.
        c.engine.propagate(c.database, [[.text("SREM"), .key(key), .key(member)]])
        c.notify(.set, "spop", key)
        if set.isEmpty {
            c.engine.deleteKey(c.database, key)
            c.notify(.generic, "del", key)
        } else {
            c.engine.signalModifiedKey(c.database, key)
        }
    }

    static func spopWithCount(_ c: CommandContext) throws(RedisError) {
        guard let requested = RedisInteger.parse(c.arguments[2]), requested >= 0 else { throw .mustBePositive }
        let key = c.key(1)
        let db = c.database
        guard let set = try writeSet(c, key) else { c.reply.setHeader(0); return }
        if requested == 0 { c.reply.setHeader(0); return }
        let size = set.count
        c.notify(.set, "spop", key)
        if requested >= Int64(size) {
            c.reply.setHeader(size)
            set.writeMembers(to: c.reply)
            c.engine.deleteKey(db, key)
            c.notify(.generic, "del", key)
            c.engine.countChanges(size)
            c.engine.propagate(db, [[.text("DEL"), .key(key)]])
            return
        }
        let count = Int(requested)
        c.reply.setHeader(count)
        let reply = c.reply
        var popped: [AOFArgument] = [.text("SREM"), .key(key)]
        let propagating = c.engine.isPropagating
        let result = set.popRandomMembers(count, maxIntsetEntries: maxIntset(c), using: &c.engine.random) {
            reply.bulk($0)
            if propagating { popped.append(.key($0)) }
        }
        c.engine.propagate(db, [popped])
        if result === set {
            c.engine.signalModifiedKey(db, key)
        } else {
            c.engine.updateKey(db, key, .set(result))
        }
        c.engine.countChanges(count)
    }

    static func srandmember(_ c: CommandContext) throws(RedisError) {
        if c.count == 3 { try srandmemberWithCount(c); return }
        if c.count > 3 { throw .syntax }
        guard let set = try readSet(c, c.key(1)),
              let member = set.randomMember(using: &c.engine.random) else { c.reply.nullBulk(); return }
        c.reply.bulk(member)
    }

    static func srandmemberWithCount(_ c: CommandContext) throws(RedisError) {
        let l = try c.integer(2)
        // Redis's range is -LONG_MAX...LONG_MAX, so the count's magnitude always fits.
        if l == Int64.min { throw .srandmemberCountRange }
        guard let set = try readSet(c, c.key(1)) else { c.reply.arrayHeader(0); return }
        let count = Int(l.magnitude)
        let unique = l >= 0
        c.reply.arrayHeader(set.randomMemberCount(count, unique: unique))
        let reply = c.reply
        set.randomMembers(count: count, unique: unique, using: &c.engine.random) { reply.bulk($0) }
    }

    // MARK: - Intersection

    static func sinter(_ c: CommandContext) throws(RedisError) {
        try intersect(c, keys: 1..<c.count, destination: nil, cardinalityOnly: false, limit: 0)
    }

    static func sinterstore(_ c: CommandContext) throws(RedisError) {
        try intersect(c, keys: 2..<c.count, destination: c.key(1), cardinalityOnly: false, limit: 0)
    }

    static func sintercard(_ c: CommandContext) throws(RedisError) {
        guard let numkeys = RedisInteger.parse(c.arguments[1]), numkeys >= 1 else { throw .numkeysPositive }
        if numkeys > Int64(c.count - 2) { throw .tooManyKeys }
        let end = 2 + Int(numkeys)
        var limit = 0
        var j = end
        while j < c.count {
            if c.argument(j, is: "limit") && j + 1 < c.count {
                j += 1
                guard let l = RedisInteger.parse(c.arguments[j]), l >= 0 else { throw .negativeLimit }
                limit = Int(l)
            } else {
                throw .syntax
            }
            j += 1
        }
        try intersect(c, keys: 2..<end, destination: nil, cardinalityOnly: true, limit: limit)
    }

    /// SINTER, SINTERSTORE and SINTERCARD, as Redis's `sinterGenericCommand`: every key is
    /// looked up and type-checked first (a missing key makes the result empty, but a later key of
    /// another type is still an error); then the smallest set is walked and each member tested
    /// against the others.
    static func intersect(
        _ c: CommandContext, keys: Range<Int>, destination: ByteString?, cardinalityOnly: Bool, limit: Int
    ) throws(RedisError) {
        let db = c.database
        var sets: [SetValue] = []
        sets.reserveCapacity(keys.count)
        var missing = false
        for i in keys {
            let set = destination == nil ? try readSet(c, c.key(i)) : try writeSet(c, c.key(i))
            if let set { sets.append(set) } else { missing = true }
        }
        if missing || sets.isEmpty {
            if let destination {
                if c.engine.deleteKey(db, destination) { c.notify(.generic, "del", destination) }
                c.reply.integer(0)
            } else if cardinalityOnly {
                c.reply.integer(0)
            } else {
                c.reply.setHeader(0)
            }
            return
        }
        // Smallest first; ties keep argument order (glibc's qsort is a stable merge sort here).
        sets = sets.enumerated().sorted { a, b in
            a.element.count != b.element.count ? a.element.count < b.element.count : a.offset < b.offset
        }.map(\.element)
        let first = sets[0]
        let others = sets.dropFirst().filter { $0 !== first }

        if cardinalityOnly {
            var cardinality = 0
            forEachCommonMember(first, others) { _ in
                cardinality += 1
                return limit == 0 || cardinality < limit
            }
            c.reply.integer(cardinality)
            return
        }
        if let destination {
            let result = SetValue()
            let max = maxIntset(c)
            forEachCommonMember(first, others) { member in
                result.insert(member, maxIntsetEntries: max)
                return true
            }
            store(c, result, at: destination, event: "sinterstore")
            return
        }
        var found: [ByteString] = []
        forEachCommonMember(first, others) { member in
            found.append(member)
            return true
        }
        c.reply.setHeader(found.count)
        for member in found { c.reply.bulk(member) }
    }

    /// Calls `body` with each member of `first` that is in every set of `others`, in `first`'s
    /// order, until `body` returns false.
    static func forEachCommonMember(_ first: SetValue, _ others: [SetValue], _ body: (ByteString) -> Bool) {
        switch first.storage {
        case .intset(let s):
            for i in 0..<s.count {
                let v = s[i]
                if others.allSatisfy({ $0.contains(integer: v) }) {
                    if !body(ByteString(RedisInteger.bytes(v))) { return }
                }
            }
        case .hashtable(let t):
            var going = true
            t.forEach { member, _ in
                guard going else { return }
                if others.allSatisfy({ $0.contains(member) }) { going = body(member) }
            }
        }
    }

    /// Stores a computed set at `destination` (replacing any value and TTL) and replies with its
    /// size; an empty result deletes `destination` and replies 0.
    static func store(_ c: CommandContext, _ result: SetValue, at destination: ByteString, event: StaticString) {
        if result.isEmpty {
            if c.engine.deleteKey(c.database, destination) { c.notify(.generic, "del", destination) }
            c.reply.integer(0)
        } else {
            c.engine.setKey(c.database, destination, .set(result))
            c.notify(.set, event, destination)
            c.reply.integer(result.count)
        }
    }

    // MARK: - Union and difference

    static func sunion(_ c: CommandContext) throws(RedisError) {
        try unionOrDifference(c, keys: 1..<c.count, destination: nil, difference: false)
    }

    static func sunionstore(_ c: CommandContext) throws(RedisError) {
        try unionOrDifference(c, keys: 2..<c.count, destination: c.key(1), difference: false)
    }

    static func sdiff(_ c: CommandContext) throws(RedisError) {
        try unionOrDifference(c, keys: 1..<c.count, destination: nil, difference: true)
    }

    static func sdiffstore(_ c: CommandContext) throws(RedisError) {
        try unionOrDifference(c, keys: 2..<c.count, destination: c.key(1), difference: true)
    }

    /// SUNION, SDIFF and their STORE forms, as Redis's `sunionDiffGenericCommand`: missing keys
    /// are empty sets, every key is type-checked, and the result is built as a new set (an
    /// `intset` while it can be), so its encoding and order follow from its members alone.
    static func unionOrDifference(
        _ c: CommandContext, keys: Range<Int>, destination: ByteString?, difference: Bool
    ) throws(RedisError) {
        var sets: [SetValue?] = []
        sets.reserveCapacity(keys.count)
        for i in keys {
            sets.append(destination == nil ? try readSet(c, c.key(i)) : try writeSet(c, c.key(i)))
        }
        let result = SetValue()
        let max = maxIntset(c)
        if difference {
            if let first = sets[0] {
                let others = sets.dropFirst().compactMap { $0 }
                if !others.contains(where: { $0 === first }) {
                    first.forEach { member in
                        if !others.contains(where: { $0.contains(member) }) {
                            result.insert(member, maxIntsetEntries: max)
                        }
                    }
                }
            }
        } else {
            for case let set? in sets {
                set.forEach { result.insert($0, maxIntsetEntries: max) }
            }
        }
        if let destination {
            store(c, result, at: destination, event: difference ? "sdiffstore" : "sunionstore")
            return
        }
        c.reply.setHeader(result.count)
        result.writeMembers(to: c.reply)
    }

    // MARK: - SSCAN

    static func sscan(_ c: CommandContext) throws(RedisError) {
        guard let cursor = KeyCommands.parseCursor(c.arguments[2]) else { throw .invalidCursor }
        guard let set = try readSet(c, c.key(1)) else {
            c.reply.emptyScan()
            return
        }
        let options = try ScanOptions(c, from: 3, allowType: false)
        let count = options.count, pattern = options.pattern
        var found: [ByteString] = []
        let next = set.scan(cursor: cursor, count: count) { member in
            if let pattern, !pattern.matches(member) { return }
            found.append(member)
        }
        c.reply.arrayHeader(2)
        c.reply.bulk(string: String(next))
        c.reply.arrayHeader(found.count)
        for member in found { c.reply.bulk(member) }
    }
}

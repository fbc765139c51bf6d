import RoostRESP

/// List commands: pushes and pops at both ends, ranges, LPOS, LMOVE, LMPOP and their blocking
/// forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), which wait through `Engine+Blocking.swift`.
enum ListCommands {

    static func spec(_ name: String, _ arity: Int, _ flags: CommandFlags, _ categories: [String],
                     since: String = "1.0.0", _ summary: String,
                     _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, categories: categories, group: "list",
                    since: since, summary: summary, handler: handler)
    }

    static let writeFast = ["write", "list", "fast"]
    static let writeSlow = ["write", "list", "slow"]
    static let readSlow = ["read", "list", "slow"]
    static let blocking = ["write", "list", "slow", "blocking"]

    static let specs: [CommandSpec] = [
        spec("lpush", -3, [.write, .denyoom, .fast], writeFast, "Prepend one or multiple elements to a list") {
            c throws(RedisError) in try push(c, front: true, onlyIfExists: false)
        },
        spec("rpush", -3, [.write, .denyoom, .fast], writeFast, "Append one or multiple elements to a list") {
            c throws(RedisError) in try push(c, front: false, onlyIfExists: false)
        },
        spec("lpushx", -3, [.write, .denyoom, .fast], writeFast, since: "2.2.0",
             "Prepend an element to a list, only if the list exists") {
            c throws(RedisError) in try push(c, front: true, onlyIfExists: true)
        },
        spec("rpushx", -3, [.write, .denyoom, .fast], writeFast, since: "2.2.0",
             "Append an element to a list, only if the list exists") {
            c throws(RedisError) in try push(c, front: false, onlyIfExists: true)
        },
        spec("lpop", -2, [.write, .fast], writeFast, "Remove and get the first elements in a list") {
            c throws(RedisError) in try pop(c, front: true)
        },
        spec("rpop", -2, [.write, .fast], writeFast, "Remove and get the last elements in a list") {
            c throws(RedisError) in try pop(c, front: false)
        },
        spec("llen", 2, [.readonly, .fast], ["read", "list", "fast"], "Get the length of a list",
             llen),
        spec("lrange", 4, [.readonly], readSlow, "Get a range of elements from a list",
             lrange),
        spec("lindex", 3, [.readonly], readSlow, "Get an element from a list by its index",
             lindex),
        spec("lset", 4, [.write, .denyoom], writeSlow, "Set the value of an element in a list by its index",
             lset),
        spec("linsert", 5, [.write, .denyoom], writeSlow, since: "2.2.0",
             "Insert an element before or after another element in a list",
             linsert),
        spec("lrem", 4, [.write], writeSlow, "Remove elements from a list",
             lrem),
        spec("ltrim", 4, [.write], writeSlow, "Trim a list to the specified range",
             ltrim),
        spec("lpos", -3, [.readonly], readSlow, since: "6.0.6", "Return the index of matching elements on a list",
             lpos),
        spec("lmove", 5, [.write, .denyoom], writeSlow, since: "6.2.0",
             "Pop an element from a list, push it to another list and return it",
             lmove),
        spec("rpoplpush", 3, [.write, .denyoom], writeSlow, since: "1.2.0",
             "Remove the last element in a list, prepend it to another list and return it",
             rpoplpush),
        spec("lmpop", -4, [.write], writeSlow, since: "7.0.0",
             "Pop elements from a list", lmpop),
        spec("blpop", -3, [.write, .noscript, .blocking], blocking, since: "2.0.0",
             "Remove and get the first element in a list, or block until one is available") {
            c throws(RedisError) in try blockingPop(c, front: true)
        },
        spec("brpop", -3, [.write, .noscript, .blocking], blocking, since: "2.0.0",
             "Remove and get the last element in a list, or block until one is available") {
            c throws(RedisError) in try blockingPop(c, front: false)
        },
        spec("blmove", 6, [.write, .denyoom, .noscript, .blocking], blocking, since: "6.2.0",
             "Pop an element from a list, push it to another list and return it; or block until one is available",
             blmove),
        spec("brpoplpush", 4, [.write, .denyoom, .noscript, .blocking], blocking, since: "2.2.0",
             "Pop an element from a list, push it to another list and return it; or block until one is available",
             brpoplpush),
        spec("blmpop", -5, [.write, .blocking], blocking, since: "7.0.0",
             "Pop elements from a list, or block until one is available", blmpop),
    ]

    // MARK: Helpers

    /// The list at `key`, nil when missing; WRONGTYPE for another type.
    static func list(_ c: CommandContext, _ key: ByteString, write: Bool) throws(RedisError) -> ListValue? {
        try list(c.engine, c.database, key, write: write)
    }

    static func list(_ engine: Engine, _ db: Database, _ key: ByteString, write: Bool) throws(RedisError) -> ListValue? {
        guard let value = write ? engine.lookupWrite(db, key) : engine.lookupRead(db, key) else { return nil }
        guard case .list(let l) = value else { throw .wrongType }
        return l
    }

    /// After an in-place change: publishes `event`, then deletes the key if the list emptied
    /// (publishing `del`), else tells WATCH.
    static func finishWrite(_ engine: Engine, _ db: Database, _ key: ByteString, _ l: ListValue, event: StaticString) {
        engine.notify(.list, event, key, db)
        if l.isEmpty {
            engine.deleteKey(db, key)
            engine.notify(.generic, "del", key, db)
        } else {
            engine.signalModifiedKey(db, key)
        }
    }

    /// Stores a new list at `key` (`setKey` wakes its waiters, as Redis's `dbAdd` does).
    static func create(_ engine: Engine, _ db: Database, _ key: ByteString) -> ListValue {
        let l = ListValue()
        engine.setKey(db, key, .list(l))
        return l
    }

    /// LEFT or RIGHT: true for the head.
    static func side(_ c: CommandContext, _ index: Int) throws(RedisError) -> Bool {
        if c.argument(index, is: "left") { return true }
        if c.argument(index, is: "right") { return false }
        throw .syntax
    }

    /// A `long` argument that must be in `min...` with a custom error for both parse and range
    /// failures (Redis's `getRangeLongFromObjectOrReply` with a message).
    static func long(_ c: CommandContext, _ index: Int, min: Int64, _ error: RedisError) throws(RedisError) -> Int64 {
        guard let v = RedisInteger.parse(c.arguments[index]), v >= min else { throw error }
        return v
    }

    // MARK: Push and pop

    static func push(_ c: CommandContext, front: Bool, onlyIfExists: Bool) throws(RedisError) {
        let engine = c.engine, db = c.database, key = c.key(1)
        var l = try list(c, key, write: true)
        if l == nil {
            if onlyIfExists {
                c.reply.integer(0)
                return
            }
            l = create(engine, db, key)
        }
        guard let l else { return }
        for i in 2..<c.count { l.push(ByteString(c.arguments[i]), front: front) }
        engine.signalModifiedKey(db, key)
        c.notify(.list, front ? "lpush" : "rpush", key)
        engine.countChanges(c.count - 2)
        c.reply.integer(l.count)
    }

    static func pop(_ c: CommandContext, front: Bool) throws(RedisError) {
        if c.count > 3 { throw .wrongArity(c.command.fullName) }
        var count: Int64 = -1
        if c.count == 3 { count = try long(c, 2, min: 0, .valueMustBePositive) }
        let hasCount = count >= 0
        let db = c.database, key = c.key(1)
        guard let l = try list(c, key, write: true) else {
            if hasCount { c.reply.nullArray() } else { c.reply.nullBulk() }
            return
        }
        if !hasCount {
            if let element = l.pop(front: front) { c.reply.bulk(element) }
            finishWrite(c.engine, db, key, l, event: front ? "lpop" : "rpop")
            c.engine.countChanges(1)
            return
        }
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let n = Int(min(count, Int64(l.count)))
        c.reply.arrayHeader(n)
        for _ in 0..<n {
            if let element = l.pop(front: front) { c.reply.bulk(element) }
        }
        finishWrite(c.engine, db, key, l, event: front ? "lpop" : "rpop")
        c.engine.countChanges(n)
    }

    static func llen(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(try list(c, c.key(1), write: false)?.count ?? 0)
    }

    // MARK: Ranges and indexes

    static func lrange(_ c: CommandContext) throws(RedisError) {
        var start = try c.integer(2), end = try c.integer(3)
        guard let l = try list(c, c.key(1), write: false) else {
            c.reply.arrayHeader(0)
            return
        }
        let length = Int64(l.count)
        if start < 0 { start += length }
        if end < 0 { end += length }
        if start < 0 { start = 0 }
        if start > end || start >= length {
            c.reply.arrayHeader(0)
            return
        }
        if end >= length { end = length - 1 }
        c.reply.arrayHeader(Int(end - start + 1))
        for i in Int(start)...Int(end) { c.reply.bulk(l[i]) }
    }

    static func lindex(_ c: CommandContext) throws(RedisError) {
        guard let l = try list(c, c.key(1), write: false) else {
            c.reply.nullBulk()
            return
        }
        var index = try c.integer(2)
        if index < 0 { index += Int64(l.count) }
        if index < 0 || index >= Int64(l.count) {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(l[Int(index)])
    }

    static func lset(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let l = try list(c, key, write: true) else { throw .noSuchKey }
        var index = try c.integer(2)
        if index < 0 { index += Int64(l.count) }
        if index < 0 || index >= Int64(l.count) { throw .outOfRange }
        l[Int(index)] = ByteString(c.arguments[3])
        c.engine.signalModifiedKey(c.database, key)
        c.notify(.list, "lset", key)
        c.reply.ok()
    }

    static func linsert(_ c: CommandContext) throws(RedisError) {
        let after: Bool
        if c.argument(2, is: "after") {
            after = true
        } else if c.argument(2, is: "before") {
            after = false
        } else {
            throw .syntax
        }
        let key = c.key(1)
        guard let l = try list(c, key, write: true) else {
            c.reply.integer(0)
            return
        }
        let pivot = ByteString(c.arguments[3])
        guard let position = l.firstIndex(of: pivot) else {
            c.reply.integer(-1)
            return
        }
        l.insert(ByteString(c.arguments[4]), at: after ? position + 1 : position)
        c.engine.signalModifiedKey(c.database, key)
        c.notify(.list, "linsert", key)
        c.reply.integer(l.count)
    }

    static func lrem(_ c: CommandContext) throws(RedisError) {
        let count = try c.integer(2)
        let key = c.key(1)
        guard let l = try list(c, key, write: true) else {
            c.reply.integer(0)
            return
        }
        let target = ByteString(c.arguments[3])
        var removed = 0
        if count >= 0 {
            let limit = count == 0 ? Int.max : Int(min(count, Int64(Int.max)))
            removed = l.retain { _, element in
                if removed < limit && element == target {
                    removed += 1
                    return false
                }
                return true
            }
        } else {
            // From the tail: find which positions go, then keep the rest.
            let limit = count == Int64.min ? Int.max : Int(-count)
            var doomed = Set<Int>()
            var i = l.count - 1
            while i >= 0 && doomed.count < limit {
                if l[i] == target { doomed.insert(i) }
                i -= 1
            }
            if !doomed.isEmpty { removed = l.retain { index, _ in !doomed.contains(index) } }
        }
        if removed > 0 { finishWrite(c.engine, c.database, key, l, event: "lrem") }
        c.engine.countChanges(removed)
        c.reply.integer(removed)
    }

    static func ltrim(_ c: CommandContext) throws(RedisError) {
        var start = try c.integer(2), end = try c.integer(3)
        let key = c.key(1)
        guard let l = try list(c, key, write: true) else {
            c.reply.ok()
            return
        }
        let length = Int64(l.count)
        if start < 0 { start += length }
        if end < 0 { end += length }
        if start < 0 { start = 0 }
        var fromHead: Int64, fromTail: Int64
        if start > end || start >= length {
            fromHead = length
            fromTail = 0
        } else {
            if end >= length { end = length - 1 }
            fromHead = start
            fromTail = length - end - 1
        }
        l.removeFirst(Int(fromHead))
        l.removeLast(Int(fromTail))
        finishWrite(c.engine, c.database, key, l, event: "ltrim")
        c.engine.countChanges(Int(fromHead + fromTail))
        c.reply.ok()
    }

    static func lpos(_ c: CommandContext) throws(RedisError) {
        var rank: Int64 = 1, count: Int64 = -1, maxlen: Int64 = 0
        var j = 3
        while j < c.count {
            let hasNext = j + 1 < c.count
            if c.argument(j, is: "rank") && hasNext {
                rank = try c.integer(j + 1)
                if rank == 0 { throw .lposRankZero }
            } else if c.argument(j, is: "count") && hasNext {
                count = try long(c, j + 1, min: 0, .lposCountNegative)
            } else if c.argument(j, is: "maxlen") && hasNext {
                maxlen = try long(c, j + 1, min: 0, .lposMaxlenNegative)
            } else {
                throw .syntax
            }
            j += 2
        }
        guard let l = try list(c, c.key(1), write: false) else {
            if count >= 0 { c.reply.arrayHeader(0) } else { c.reply.nullBulk() }
            return
        }
        let fromTail = rank < 0
        // Redis negates in C, so the smallest rank stays negative and every match qualifies.
        if fromTail { rank = 0 &- rank }
        let target = ByteString(c.arguments[2])
        let length = l.count
        var found: [Int] = []
        var matches: Int64 = 0
        var step = 0
        while step < length && (maxlen == 0 || Int64(step) < maxlen) {
            let index = fromTail ? length - 1 - step : step
            if l[index] == target {
                matches += 1
                if matches >= rank {
                    found.append(index)
                    if count == -1 || (count != 0 && Int64(found.count) == count) { break }
                }
            }
            step += 1
        }
        if count >= 0 {
            c.reply.arrayHeader(found.count)
            for index in found { c.reply.integer(index) }
        } else if let index = found.first {
            c.reply.integer(index)
        } else {
            c.reply.nullBulk()
        }
    }

    // MARK: Moves

    /// Pops from `source` (known non-empty list) and pushes onto `destination`, replying with the
    /// element. WRONGTYPE when the destination holds another type, before anything changes.
    static func move(_ engine: Engine, _ client: Client, _ db: Database, _ source: ByteString, _ l: ListValue,
                     _ destination: ByteString, fromFront: Bool, toFront: Bool) throws(RedisError) {
        let target = try list(engine, db, destination, write: true)
        guard let element = l.pop(front: fromFront) else { return }
        let d = target ?? create(engine, db, destination)
        d.push(element, front: toFront)
        engine.signalModifiedKey(db, destination)
        engine.notify(.list, toFront ? "lpush" : "rpush", destination, db)
        if l !== d || l.isEmpty {
            finishWrite(engine, db, source, l, event: fromFront ? "lpop" : "rpop")
        } else {
            engine.notify(.list, fromFront ? "lpop" : "rpop", source, db)
        }
        client.reply.bulk(element)
        // BLMOVE and BRPOPLPUSH, served now or later, are written as LMOVE.
        engine.propagate(db, [[.text("LMOVE"), .key(source), .key(destination), .text(fromFront ? "LEFT" : "RIGHT"),
                               .text(toFront ? "LEFT" : "RIGHT")]])
    }

    static func lmove(_ c: CommandContext) throws(RedisError) {
        let from = try side(c, 3), to = try side(c, 4)
        try moveCommand(c, from: from, to: to)
    }

    static func rpoplpush(_ c: CommandContext) throws(RedisError) {
        try moveCommand(c, from: false, to: true)
    }

    static func moveCommand(_ c: CommandContext, from: Bool, to: Bool) throws(RedisError) {
        guard let l = try list(c, c.key(1), write: true) else {
            c.reply.nullBulk()
            return
        }
        try move(c.engine, c.client, c.database, c.key(1), l, c.key(2), fromFront: from, toFront: to)
        c.engine.countChanges(1)
    }

    static func blmove(_ c: CommandContext) throws(RedisError) {
        let from = try side(c, 3), to = try side(c, 4)
        let deadline = try Engine.parseBlockingTimeout(c.bytes(5), now: c.engine.now)
        try blockingMove(c, from: from, to: to, deadline: deadline)
    }

    static func brpoplpush(_ c: CommandContext) throws(RedisError) {
        let deadline = try Engine.parseBlockingTimeout(c.bytes(3), now: c.engine.now)
        try blockingMove(c, from: false, to: true, deadline: deadline)
    }

    static func blockingMove(_ c: CommandContext, from: Bool, to: Bool, deadline: Int64) throws(RedisError) {
        let source = c.key(1), destination = c.key(2)
        if let l = try list(c, source, write: true) {
            try move(c.engine, c.client, c.database, source, l, destination, fromFront: from, toFront: to)
            c.engine.countChanges(1)
            return
        }
        if c.client.denyBlocking {
            c.reply.nullBulk()
            return
        }
        c.engine.block(c.client, keys: [source], deadline: deadline) { engine, client, db, key in
            guard case .list(let l)? = db.keys[key], !l.isEmpty else { return false }
            do throws(RedisError) {
                try move(engine, client, db, key, l, destination, fromFront: from, toFront: to)
            } catch {
                client.reply.error(error)
            }
            return true
        }
    }

    // MARK: Multi-key pops

    /// Pops one element from `l` into a `[key, element]` reply.
    static func popOne(_ engine: Engine, _ client: Client, _ db: Database, _ key: ByteString, _ l: ListValue, front: Bool) {
        guard let element = l.pop(front: front) else { return }
        client.reply.arrayHeader(2)
        client.reply.bulk(key)
        client.reply.bulk(element)
        finishWrite(engine, db, key, l, event: front ? "lpop" : "rpop")
        engine.propagate(db, [[.text(front ? "LPOP" : "RPOP"), .key(key)]])
    }

    /// Pops up to `count` elements from `l` into a `[key, [elements]]` reply.
    static func popMany(_ engine: Engine, _ client: Client, _ db: Database, _ key: ByteString, _ l: ListValue,
                        front: Bool, count: Int64) {
        let n = Int(min(count, Int64(l.count)))
        client.reply.arrayHeader(2)
        client.reply.bulk(key)
        client.reply.arrayHeader(n)
        for _ in 0..<n {
            if let element = l.pop(front: front) { client.reply.bulk(element) }
        }
        finishWrite(engine, db, key, l, event: front ? "lpop" : "rpop")
        engine.propagate(db, [[.text(front ? "LPOP" : "RPOP"), .key(key), .number(Int64(n))]])
    }

    static func blockingPop(_ c: CommandContext, front: Bool) throws(RedisError) {
        let deadline = try Engine.parseBlockingTimeout(c.bytes(c.count - 1), now: c.engine.now)
        var keys: [ByteString] = []
        for i in 1..<(c.count - 1) {
            let key = c.key(i)
            if let l = try list(c, key, write: true), !l.isEmpty {
                popOne(c.engine, c.client, c.database, key, l, front: front)
                return
            }
            keys.append(key)
        }
        if c.client.denyBlocking {
            c.reply.nullArray()
            return
        }
        c.engine.block(c.client, keys: keys, deadline: deadline) { engine, client, db, key in
            guard case .list(let l)? = db.keys[key], !l.isEmpty else { return false }
            popOne(engine, client, db, key, l, front: front)
            return true
        }
    }

    static func lmpop(_ c: CommandContext) throws(RedisError) {
        try mpop(c, numkeysIndex: 1, deadline: nil)
    }

    static func blmpop(_ c: CommandContext) throws(RedisError) {
        let deadline = try Engine.parseBlockingTimeout(c.bytes(1), now: c.engine.now)
        try mpop(c, numkeysIndex: 2, deadline: deadline)
    }

    /// LMPOP and BLMPOP (`deadline` non-nil): `numkeys key… LEFT|RIGHT [COUNT n]`.
    static func mpop(_ c: CommandContext, numkeysIndex: Int, deadline: Int64?) throws(RedisError) {
        let numkeys = try long(c, numkeysIndex, min: 1, .numkeysPositive)
        let firstKey = numkeysIndex + 1
        guard numkeys < Int64(c.count - firstKey) else { throw .syntax }
        let whereIndex = firstKey + Int(numkeys)
        let front = try side(c, whereIndex)
        var count: Int64 = -1
        var j = whereIndex + 1
        while j < c.count {
            if count == -1 && c.argument(j, is: "count") && j + 1 < c.count {
                count = try long(c, j + 1, min: 1, .countPositive)
                j += 2
            } else {
                throw .syntax
            }
        }
        if count == -1 { count = 1 }
        var keys: [ByteString] = []
        for i in firstKey..<whereIndex {
            let key = c.key(i)
            if let l = try list(c, key, write: true), !l.isEmpty {
                popMany(c.engine, c.client, c.database, key, l, front: front, count: count)
                return
            }
            keys.append(key)
        }
        guard let deadline, !c.client.denyBlocking else {
            c.reply.nullArray()
            return
        }
        let n = count
        c.engine.block(c.client, keys: keys, deadline: deadline) { engine, client, db, key in
            guard case .list(let l)? = db.keys[key], !l.isEmpty else { return false }
            popMany(engine, client, db, key, l, front: front, count: n)
            return true
        }
    }
}

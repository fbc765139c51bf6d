import NIOCore
import RoostRESP

/// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM (Redis 7.0's `t_stream.c`).
extension StreamCommands {
    static let groupSpecs: [CommandSpec] = [
        spec("xgroup", -2, [], ["slow"], since: "5.0.0", summary: "A container for consumer groups commands",
             complexity: "Depends on subcommand.", subcommands: [
                spec("help", 2, [.loading, .stale], ["stream", "slow"], since: "5.0.0",
                     summary: "Show helpful text about the different subcommands", complexity: "O(1)", xgroupHelp),
                spec("createconsumer", 5, [.write, .denyoom], ["write", "stream", "slow"], since: "6.2.0",
                     summary: "Create a consumer in a consumer group.", complexity: "O(1)", xgroup),
                spec("destroy", 4, [.write], ["write", "stream", "slow"], since: "5.0.0",
                     summary: "Destroy a consumer group.",
                     complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
                     xgroup),
                spec("delconsumer", 5, [.write], ["write", "stream", "slow"], since: "5.0.0",
                     summary: "Delete a consumer from a consumer group.", complexity: "O(1)", xgroup),
                spec("create", -5, [.write, .denyoom], ["write", "stream", "slow"], since: "5.0.0",
                     summary: "Create a consumer group.", complexity: "O(1)", xgroup),
                spec("setid", -5, [.write], ["write", "stream", "slow"], since: "5.0.0",
                     summary: "Set a consumer group to an arbitrary last delivered ID value.", complexity: "O(1)",
                     xgroup),
             ], nil),
        spec("xack", -4, [.write, .fast], ["write", "stream", "fast"], since: "5.0.0",
             summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
             complexity: "O(1) for each message ID processed.", xack),
        spec("xpending", -3, [.readonly], ["read", "stream", "slow"], tips: ["nondeterministic_output"],
             since: "5.0.0",
             summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
             complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
             xpending),
        spec("xclaim", -6, [.write, .fast], ["write", "stream", "fast"], tips: ["nondeterministic_output"],
             since: "5.0.0",
             summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
             complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.", xclaim),
        spec("xautoclaim", -6, [.write, .fast], ["write", "stream", "fast"], tips: ["nondeterministic_output"],
             since: "6.2.0",
             summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
             complexity: "O(1) if COUNT is small.", xautoclaim),
    ]

    static let xgroupHelpLines: [String] = [
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ]

    static func xgroupHelp(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(xgroupHelpLines.count)
        for line in xgroupHelpLines { c.reply.status(line) }
    }

    /// Propagates `XGROUP SETID key group id ENTRIESREAD n` (Redis's `streamPropagateGroupID`).
    static func groupIDPropagation(_ key: ByteString, _ group: StreamGroup) -> [AOFArgument] {
        [.text("XGROUP"), .text("SETID"), .key(key), .bytes(group.name), .bytes(group.lastID.text),
         .text("ENTRIESREAD"), .number(group.entriesRead)]
    }

    /// Propagates a pending entry as `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE
    /// JUSTID LASTID last` (Redis's `streamPropagateXCLAIM`).
    static func claimPropagation(_ key: ByteString, _ group: StreamGroup, _ id: StreamID,
                                 _ entry: StreamPendingEntry) -> [AOFArgument] {
        [.text("XCLAIM"), .key(key), .bytes(group.name), .bytes(entry.consumer.name), .text("0"), .bytes(id.text),
         .text("TIME"), .number(entry.deliveryTime), .text("RETRYCOUNT"), .number(entry.deliveryCount),
         .text("FORCE"), .text("JUSTID"), .text("LASTID"), .bytes(group.lastID.text)]
    }

    /// XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER (Redis's `xgroupCommand`).
    static func xgroup(_ c: CommandContext) throws(RedisError) {
        let sub = c.command.spec.name
        var makeStream = false
        var entriesRead = StreamGroup.invalidEntriesRead
        if sub == "create" {
            var i = 5
            while i < c.count {
                if c.argument(i, is: "mkstream") {
                    makeStream = true
                    i += 1
                } else if c.argument(i, is: "entriesread") && i + 1 < c.count {
                    entriesRead = try c.integer(i + 1)
                    if entriesRead < 0 && entriesRead != StreamGroup.invalidEntriesRead {
                        throw RedisError("ERR value for ENTRIESREAD must be positive or -1")
                    }
                    i += 2
                } else {
                    throw .subcommandSyntax(c.arguments)
                }
            }
        }
        let key = c.key(2)
        let groupName = c.bytes(3)
        var stream = try writeStream(c, key)
        var group: StreamGroup?
        if !makeStream {
            guard let s = stream else { throw .xgroupNeedsStream }
            group = s.group(groupName)
            if group == nil && sub != "create" && sub != "destroy" {
                throw .noGroup(key: key.bytes, group: groupName)
            }
        }
        let now = c.engine.now
        switch sub {
        case "create":
            if c.count > 8 { throw .subcommandSyntax(c.arguments) }
            let id: StreamID
            if c.bytes(4) == [UInt8(ascii: "$")] {
                id = stream?.lastID ?? .zero
            } else {
                id = try StreamID.parse(c.bytes(4), strict: true).id
            }
            if stream == nil {
                let s = StreamValue()
                c.engine.setKey(c.database, key, .stream(s))
                stream = s
            }
            let s = stream!
            if s.groups[groupName] != nil {
                c.engine.propagate(c.database, [])
                throw .busyGroup
            }
            s.groups[groupName] = StreamGroup(name: groupName, lastID: id, entriesRead: entriesRead)
            s.refreshGroupBytes()
            c.engine.signalModifiedKey(c.database, key)
            c.notify(.stream, "xgroup-create", key)
            c.reply.ok()
        case "setid":
            guard c.count == 5 || c.count == 7 else { throw .subcommandSyntax(c.arguments) }
            let s = stream!
            let id: StreamID
            if c.bytes(4) == [UInt8(ascii: "$")] {
                id = s.lastID
            } else {
                id = try StreamID.parse(c.bytes(4)).id
            }
            if c.count == 7 {
                guard c.argument(5, is: "entriesread"), let n = RedisInteger.parse(c.arguments[6]) else {
                    throw .subcommandSyntax(c.arguments)
                }
                if n < 0 && n != StreamGroup.invalidEntriesRead {
                    throw RedisError("ERR value for ENTRIESREAD must be positive or -1")
                }
                entriesRead = n
            }
            group!.lastID = id
            group!.entriesRead = entriesRead
            c.engine.signalModifiedKey(c.database, key)
            c.notify(.stream, "xgroup-setid", key)
            c.reply.ok()
        case "destroy":
            let s = stream!
            if group != nil {
                s.groups.removeValue(forKey: groupName)
                s.refreshGroupBytes()
                c.engine.signalModifiedKey(c.database, key)
                c.notify(.stream, "xgroup-destroy", key)
                // Blocked XREADGROUP clients of the group get NOGROUP.
                c.engine.signalKeyAsReady(c.database, key)
                c.reply.integer(1)
            } else {
                c.engine.propagate(c.database, [])
                c.reply.integer(0)
            }
        case "createconsumer":
            let created = group!.createConsumer(c.bytes(4), now: now) != nil
            if created {
                stream!.refreshGroupBytes()
                c.engine.signalModifiedKey(c.database, key)
                c.notify(.stream, "xgroup-createconsumer", key)
            } else {
                c.engine.propagate(c.database, [])
            }
            c.reply.integer(created ? 1 : 0)
        default:  // delconsumer
            var pending = 0
            if let consumer = group!.consumers[c.bytes(4)] {
                pending = group!.deleteConsumer(consumer)
                stream!.refreshGroupBytes()
                c.engine.signalModifiedKey(c.database, key)
                c.notify(.stream, "xgroup-delconsumer", key)
            } else {
                c.engine.propagate(c.database, [])
            }
            c.reply.integer(pending)
        }
    }

    // MARK: - XACK

    /// XACK key group id…: ids are checked before any is acknowledged.
    static func xack(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let s = try writeStream(c, key), let group = s.group(c.bytes(2)) else {
            c.engine.propagate(c.database, [])
            c.reply.integer(0)
            return
        }
        var ids: [StreamID] = []
        for i in 3..<c.count { ids.append(try StreamID.parse(c.bytes(i), strict: true).id) }
        var acknowledged = 0
        for id in ids where group.acknowledge(id) { acknowledged += 1 }
        if acknowledged > 0 {
            s.refreshGroupBytes()
            c.engine.signalModifiedKey(c.database, key)
        } else {
            c.engine.propagate(c.database, [])
        }
        c.reply.integer(acknowledged)
    }

    // MARK: - XPENDING

    /// XPENDING key group [[IDLE min-idle] start end count [consumer]].
    static func xpending(_ c: CommandContext) throws(RedisError) {
        if c.count != 3 && (c.count < 6 || c.count > 9) { throw .syntax }
        var start = StreamID.zero
        var end = StreamID.max
        var count: Int64 = 0
        var minIdle: Int64 = 0
        var consumerName: [UInt8]?
        if c.count >= 6 {
            var index = 3
            if c.argument(3, is: "idle") {
                minIdle = try c.integer(4)
                if c.count < 8 { throw .syntax }
                index += 2
            }
            count = try c.integer(index + 2)
            if count < 0 { count = 0 }
            var exclusive: Bool
            (start, exclusive) = try parseInterval(c.bytes(index), missingSeq: 0)
            if exclusive {
                if start == .max { throw .invalidStartID }
                start = start.incremented
            }
            (end, exclusive) = try parseInterval(c.bytes(index + 1), missingSeq: .max)
            if exclusive {
                if end == .zero { throw .invalidEndID }
                end = end.decremented
            }
            if index + 3 < c.count { consumerName = c.bytes(index + 3) }
        }
        let key = c.key(1)
        let groupName = c.bytes(2)
        guard let s = try readStream(c, key), let group = s.group(groupName) else {
            throw RedisError(bytes: Array("NOGROUP No such key '".utf8) + key.bytes + Array("' or consumer group '".utf8)
                             + groupName + Array("'".utf8))
        }
        let reply = c.reply
        if c.count == 3 {
            reply.arrayHeader(4)
            reply.integer(group.pending.count)
            if group.pending.isEmpty {
                reply.nullBulk()
                reply.nullBulk()
                reply.nullArray()
                return
            }
            reply.bulk(group.pending.first!.text)
            reply.bulk(group.pending.last!.text)
            let owners = group.sortedConsumers.filter { !$0.pending.isEmpty }
            reply.arrayHeader(owners.count)
            for consumer in owners {
                reply.arrayHeader(2)
                reply.bulk(consumer.name)
                reply.bulk(decimal: Int64(consumer.pending.count))
            }
            return
        }
        let ids: StreamIDSet
        if let consumerName {
            guard let consumer = group.consumers[consumerName] else {
                reply.arrayHeader(0)
                return
            }
            ids = consumer.pending
        } else {
            ids = group.pending
        }
        let now = c.engine.now
        var rows: [(StreamID, StreamPendingEntry)] = []
        ids.visit(from: start) { id in
            if count <= 0 || id > end { return false }
            let entry = group.pendingEntries[id]!
            if minIdle != 0 && now - entry.deliveryTime < minIdle { return true }
            rows.append((id, entry))
            count -= 1
            return true
        }
        reply.arrayHeader(rows.count)
        for (id, entry) in rows {
            reply.arrayHeader(4)
            reply.bulk(id.text)
            reply.bulk(entry.consumer.name)
            reply.integer(max(0, now - entry.deliveryTime))
            reply.integer(entry.deliveryCount)
        }
    }

    // MARK: - XCLAIM

    /// XCLAIM key group consumer min-idle-time id… [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
    /// [JUSTID] [LASTID id] (Redis's `xclaimCommand`).
    static func xclaim(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        let groupName = c.bytes(2)
        guard let s = try writeStream(c, key), let group = s.group(groupName) else {
            throw RedisError(bytes: Array("NOGROUP No such key '".utf8) + key.bytes + Array("' or consumer group '".utf8)
                             + groupName + Array("'".utf8))
        }
        guard var minIdle = RedisInteger.parse(c.arguments[4]) else { throw .invalidMinIdleTime }
        if minIdle < 0 { minIdle = 0 }
        var ids: [StreamID] = []
        var j = 5
        while j < c.count, let parsed = try? StreamID.parse(c.bytes(j), strict: true) {
            ids.append(parsed.id)
            j += 1
        }
        let now = c.engine.now
        var force = false
        var justID = false
        var retryCount: Int64 = -1
        var deliveryTime: Int64 = -1
        var lastID = StreamID.zero
        while j < c.count {
            let more = c.count - 1 - j
            if c.argument(j, is: "force") {
                force = true
            } else if c.argument(j, is: "justid") {
                justID = true
            } else if c.argument(j, is: "idle") && more > 0 {
                j += 1
                guard let idle = RedisInteger.parse(c.arguments[j]) else { throw .invalidIdleTime }
                deliveryTime = now &- idle
            } else if c.argument(j, is: "time") && more > 0 {
                j += 1
                guard let time = RedisInteger.parse(c.arguments[j]) else { throw .invalidTime }
                deliveryTime = time
            } else if c.argument(j, is: "retrycount") && more > 0 {
                j += 1
                guard let n = RedisInteger.parse(c.arguments[j]) else { throw .invalidRetryCount }
                retryCount = n
            } else if c.argument(j, is: "lastid") && more > 0 {
                j += 1
                lastID = try StreamID.parse(c.bytes(j), strict: true).id
            } else {
                throw .format("Unrecognized XCLAIM option '\(cString: c.arguments[j], limit: .max)'")
            }
            j += 1
        }
        var propagateLastID = false
        if lastID > group.lastID {
            group.lastID = lastID
            propagateLastID = true
        }
        if deliveryTime != -1 {
            if deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
        } else {
            deliveryTime = now
        }
        let consumerName = c.bytes(3)
        var consumer: StreamConsumer?
        var propagated: [[AOFArgument]] = []
        var replies: [(StreamID, StreamEntry?)] = []
        for id in ids {
            var pending = group.pendingEntries[id]
            guard let entry = s.entry(id) else {
                if let pending {
                    if c.engine.isPropagating { propagated.append(claimPropagation(key, group, id, pending)) }
                    propagateLastID = false
                    _ = group.acknowledge(id)
                }
                continue
            }
            var forced = false
            if force && pending == nil {
                // A FORCEd entry has no previous owner; it is attached to the consumer below.
                forced = true
            }
            if pending == nil && !forced { continue }
            if let p = pending, minIdle > 0, now - p.deliveryTime < minIdle { continue }
            if consumer == nil {
                if let existing = group.consumers[consumerName] {
                    existing.seenTime = now
                    consumer = existing
                } else {
                    consumer = group.createConsumer(consumerName, now: now)
                }
            }
            let owner = consumer!
            if forced {
                pending = group.deliver(id, to: owner, now: deliveryTime)
            }
            let p = pending!
            if p.consumer !== owner {
                p.consumer.pending.remove(id)
                owner.pending.insert(id)
                p.consumer = owner
            }
            p.deliveryTime = deliveryTime
            if retryCount >= 0 {
                p.deliveryCount = retryCount
            } else if !justID {
                p.deliveryCount += 1
            }
            replies.append((id, justID ? nil : entry))
            if c.engine.isPropagating { propagated.append(claimPropagation(key, group, id, p)) }
            propagateLastID = false
        }
        if propagateLastID { propagated.append(groupIDPropagation(key, group)) }
        c.reply.arrayHeader(replies.count)
        for (id, entry) in replies {
            if let entry { writeEntry(c.reply, entry) } else { c.reply.bulk(id.text) }
        }
        s.refreshGroupBytes()
        if !propagated.isEmpty { c.engine.signalModifiedKey(c.database, key) }
        c.engine.propagate(c.database, propagated)
    }

    // MARK: - XAUTOCLAIM

    /// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID].
    static func xautoclaim(_ c: CommandContext) throws(RedisError) {
        guard var minIdle = RedisInteger.parse(c.arguments[4]) else { throw .xautoclaimMinIdle }
        if minIdle < 0 { minIdle = 0 }
        var (start, exclusive) = try parseInterval(c.bytes(5), missingSeq: 0)
        if exclusive {
            if start == .max { throw .invalidStartID }
            start = start.incremented
        }
        var count: Int64 = 100
        var justID = false
        var j = 6
        while j < c.count {
            let more = c.count - 1 - j
            if c.argument(j, is: "count") && more > 0 {
                guard let n = RedisInteger.parse(c.arguments[j + 1]), n >= 1, n <= Int64.max / 16 else {
                    throw .xautoclaimCount
                }
                count = n
                j += 1
            } else if c.argument(j, is: "justid") {
                justID = true
            } else {
                throw .syntax
            }
            j += 1
        }
        let key = c.key(1)
        let groupName = c.bytes(2)
        guard let s = try writeStream(c, key), let group = s.group(groupName) else {
            throw RedisError(bytes: Array("NOGROUP No such key '".utf8) + key.bytes + Array("' or consumer group '".utf8)
                             + groupName + Array("'".utf8))
        }
        var attempts = count * 10
        let now = c.engine.now
        let consumerName = c.bytes(3)
        var consumer: StreamConsumer?
        var deleted: [StreamID] = []
        var claimed: [(StreamID, StreamEntry?)] = []
        var propagated: [[AOFArgument]] = []
        var cursor = start
        var next: StreamID?
        while true {
            if attempts == 0 || count == 0 {
                attempts -= 1
                next = group.pending.first(atOrAfter: cursor)
                break
            }
            attempts -= 1
            guard let id = group.pending.first(atOrAfter: cursor) else {
                next = nil
                break
            }
            cursor = id.incremented
            let pending = group.pendingEntries[id]!
            guard let entry = s.entry(id) else {
                if c.engine.isPropagating { propagated.append(claimPropagation(key, group, id, pending)) }
                _ = group.acknowledge(id)
                deleted.append(id)
                count -= 1
                continue
            }
            if minIdle > 0 && now - pending.deliveryTime < minIdle { continue }
            if consumer == nil {
                if let existing = group.consumers[consumerName] {
                    existing.seenTime = now
                    consumer = existing
                } else {
                    consumer = group.createConsumer(consumerName, now: now)
                }
            }
            let owner = consumer!
            if pending.consumer !== owner {
                pending.consumer.pending.remove(id)
                owner.pending.insert(id)
                pending.consumer = owner
            }
            pending.deliveryTime = now
            if !justID { pending.deliveryCount += 1 }
            claimed.append((id, justID ? nil : entry))
            count -= 1
            if c.engine.isPropagating { propagated.append(claimPropagation(key, group, id, pending)) }
            if id == .max { cursor = id; next = nil; break }
        }
        let reply = c.reply
        reply.arrayHeader(3)
        reply.bulk((next ?? .zero).text)
        reply.arrayHeader(claimed.count)
        for (id, entry) in claimed {
            if let entry { writeEntry(reply, entry) } else { reply.bulk(id.text) }
        }
        reply.arrayHeader(deleted.count)
        for id in deleted { reply.bulk(id.text) }
        s.refreshGroupBytes()
        if !propagated.isEmpty { c.engine.signalModifiedKey(c.database, key) }
        c.engine.propagate(c.database, propagated)
    }
}

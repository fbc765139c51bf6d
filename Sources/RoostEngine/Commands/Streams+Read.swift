import NIOCore
import RoostRESP

/// XREAD and XREADGROUP, with BLOCK behind the engine's blocking infrastructure
/// (`Engine+Blocking.swift`), as Redis 7.0's `xreadCommand` and `serveClientsBlockedOnStreamKey`.
extension StreamCommands {
    static let readSpecs: [CommandSpec] = [
        spec("xread", -4, [.readonly, .blocking], ["read", "stream", "slow", "blocking"], since: "5.0.0",
             summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
             complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
             xread),
        spec("xreadgroup", -7, [.write, .blocking], ["write", "stream", "slow", "blocking"], since: "5.0.0",
             summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
             complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
             xread),
    ]

    /// The count a blocked read without COUNT is served with (`XREAD_BLOCKED_DEFAULT_COUNT`).
    static let blockedDefaultCount = 1000

    /// One stream a read serves at once.
    private struct ReadPlan {
        let key: ByteString
        let stream: StreamValue
        let after: StreamID
        let history: Bool
        let group: StreamGroup?
        let consumer: StreamConsumer?
        /// Whether this read created the consumer.
        let createdConsumer: Bool
    }

    /// XREAD [COUNT n] [BLOCK ms] STREAMS key… id… and
    /// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key… id….
    static func xread(_ c: CommandContext) throws(RedisError) {
        let isGroupRead = c.command.spec.name == "xreadgroup"
        var timeout: Int64 = -1
        var count: Int64 = 0
        var streamsIndex = 0
        var streamCount = 0
        var noAck = false
        var groupName: [UInt8]?
        var consumerName: [UInt8] = []
        var i = 1
        while i < c.count {
            let more = c.count - i - 1
            if c.argument(i, is: "block") && more > 0 {
                if isScriptClient(c) { throw .blockInScript(c.bytes(0)) }
                i += 1
                guard let ms = RedisInteger.parse(c.arguments[i]) else { throw .timeoutNotInteger }
                if ms < 0 { throw .timeoutNegative }
                if ms > 0 {
                    let (sum, overflow) = ms.addingReportingOverflow(c.engine.now)
                    timeout = overflow ? Int64.max : sum
                } else {
                    timeout = 0
                }
            } else if c.argument(i, is: "count") && more > 0 {
                i += 1
                count = try c.integer(i)
                if count < 0 { count = 0 }
            } else if c.argument(i, is: "streams") && more > 0 {
                streamsIndex = i + 1
                streamCount = c.count - streamsIndex
                if streamCount % 2 != 0 { throw .unbalancedStreams }
                streamCount /= 2
                break
            } else if c.argument(i, is: "group") && more >= 2 {
                if !isGroupRead { throw .groupOnlyForXreadgroup }
                groupName = c.bytes(i + 1)
                consumerName = c.bytes(i + 2)
                i += 2
            } else if c.argument(i, is: "noack") {
                if !isGroupRead { throw .noackOnlyForXreadgroup }
                noAck = true
            } else {
                throw .syntax
            }
            i += 1
        }
        if streamsIndex == 0 { throw .syntax }
        if isGroupRead && groupName == nil { throw .missingGroupOption }

        // Check every key and id first, as Redis does, before serving any.
        var streams: [StreamValue?] = []
        var groups: [StreamGroup?] = []
        var ids: [StreamID] = []
        for k in 0..<streamCount {
            let key = c.key(streamsIndex + k)
            let s = try readStream(c, key)
            var group: StreamGroup?
            if let groupName {
                guard let s, let g = s.group(groupName) else {
                    throw .noGroupForRead(key: key.bytes, group: groupName)
                }
                group = g
            }
            streams.append(s)
            groups.append(group)
            let idBytes = c.bytes(streamsIndex + streamCount + k)
            if idBytes == [UInt8(ascii: "$")] {
                if isGroupRead { throw .dollarInXreadgroup }
                ids.append(s?.lastID ?? .zero)
            } else if idBytes == [UInt8(ascii: ">")] {
                if !isGroupRead { throw .greaterThanOnlyInXreadgroup }
                ids.append(.max)
            } else {
                ids.append(try StreamID.parse(idBytes, strict: true).id)
            }
        }

        let now = c.engine.now
        var plans: [ReadPlan] = []
        for k in 0..<streamCount {
            guard let s = streams[k] else { continue }
            let key = c.key(streamsIndex + k)
            var after = ids[k]
            var serve = false
            var history = false
            var consumer: StreamConsumer?
            var created = false
            if let group = groups[k] {
                if after != .max {
                    serve = true
                    history = true
                } else if s.length > 0, let top = s.edgeID(first: false), top > group.lastID {
                    serve = true
                    after = group.lastID
                }
                created = group.consumers[consumerName] == nil
                consumer = lookupOrCreateConsumer(group, consumerName, now: now)
                s.refreshGroupBytes()
            } else if s.length > 0, let top = s.edgeID(first: false), top > after {
                serve = true
            }
            if serve {
                plans.append(ReadPlan(key: key, stream: s, after: after, history: history, group: groups[k],
                                      consumer: consumer, createdConsumer: created))
            }
        }
        var propagated: [[AOFArgument]] = []
        if !plans.isEmpty {
            let reply = c.reply
            if reply.isResp3 { reply.mapHeader(plans.count) } else { reply.arrayHeader(plans.count) }
            for plan in plans {
                if !reply.isResp3 { reply.arrayHeader(2) }
                reply.bulk(plan.key)
                if plan.history, let group = plan.group, let consumer = plan.consumer {
                    writeHistory(reply, plan.stream, group: group, consumer: consumer, from: plan.after,
                                 count: Int(count), now: now)
                } else {
                    writeNewEntries(reply, plan.stream, key: plan.key, after: plan.after, count: Int(count),
                                    group: plan.group, consumer: plan.consumer, createdConsumer: plan.createdConsumer,
                                    noAck: noAck, now: now, propagating: c.engine.isPropagating,
                                    propagated: &propagated)
                }
                if plan.group != nil { plan.stream.refreshGroupBytes() }
            }
            if isGroupRead { c.engine.signalModifiedKey(c.database, c.key(streamsIndex)) }
            c.engine.propagate(c.database, propagated)
            return
        }
        c.engine.propagate(c.database, [])
        if timeout == -1 || c.client.denyBlocking {
            c.reply.nullArray()
            return
        }
        var waited: [ByteString: StreamID] = [:]
        var keys: [ByteString] = []
        for k in 0..<streamCount {
            let key = c.key(streamsIndex + k)
            if waited[key] == nil { waited[key] = ids[k] }
            keys.append(key)
        }
        let servedCount = count > 0 ? Int(count) : blockedDefaultCount
        c.engine.block(c.client, keys: keys, deadline: timeout, servesMissingKey: groupName != nil) {
            engine, client, db, key in
            serveBlocked(engine, client, db, key, after: waited[key] ?? .zero, count: servedCount,
                         groupName: groupName, consumerName: consumerName, noAck: noAck)
        }
    }

    /// Whether the command runs inside a script (EVAL or FCALL).
    static func isScriptClient(_ c: CommandContext) -> Bool {
        c.engine.scripting.map { $0.scriptClient === c.client } == true
            || c.engine.functionScripting.map { $0.scriptClient === c.client } == true
    }

    /// The consumer `name` of `group`, created if missing; its seen time becomes `now`.
    static func lookupOrCreateConsumer(_ group: StreamGroup, _ name: [UInt8], now: Int64) -> StreamConsumer {
        if let consumer = group.consumers[name] {
            consumer.seenTime = now
            return consumer
        }
        return group.createConsumer(name, now: now)!
    }

    /// Serves a client blocked on `key` if the stream there has entries after what it waits
    /// for (Redis's `serveClientsBlockedOnStreamKey`). A destroyed group ends the wait with
    /// NOGROUP.
    static func serveBlocked(_ engine: Engine, _ client: Client, _ db: Database, _ key: ByteString,
                             after waitedID: StreamID, count: Int, groupName: [UInt8]?, consumerName: [UInt8],
                             noAck: Bool) -> Bool {
        guard case .stream(let s)? = db.keys[key] else {
            if groupName == nil { return false }
            client.reply.error(.streamKeyGone)
            return true
        }
        var after = waitedID
        var group: StreamGroup?
        if let groupName {
            guard let g = s.group(groupName) else {
                client.reply.error(.groupDestroyedWhileBlocked)
                return true
            }
            group = g
            after = g.lastID
        }
        guard s.lastID > after else { return false }
        let now = engine.now
        var consumer: StreamConsumer?
        var created = false
        if let group {
            created = group.consumers[consumerName] == nil
            consumer = lookupOrCreateConsumer(group, consumerName, now: now)
        }
        let reply = client.reply
        if reply.isResp3 {
            reply.mapHeader(1)
        } else {
            reply.arrayHeader(1)
            reply.arrayHeader(2)
        }
        reply.bulk(key)
        var propagated: [[AOFArgument]] = []
        writeNewEntries(reply, s, key: key, after: after, count: count, group: group, consumer: consumer,
                        createdConsumer: created, noAck: noAck, now: now, propagating: engine.isPropagating,
                        propagated: &propagated)
        if group != nil {
            s.refreshGroupBytes()
            engine.signalModifiedKey(db, key)
        }
        engine.propagate(db, propagated)
        return true
    }

    /// Writes the entries after `after` (at most `count`, 0 for all); with a group, moves its
    /// last id and records the entries as pending for `consumer` unless `noAck` (Redis's
    /// `streamReplyWithRange` with a group), collecting what to propagate as 7.0.15 does: an
    /// XCLAIM per delivered entry (carrying the group's last id); with NOACK, the consumer's
    /// creation and the group's last id and read counter. The per-entry XCLAIMs are built only
    /// when `propagating` (an append-only file is being written).
    static func writeNewEntries(_ reply: ReplyWriter, _ s: StreamValue, key: ByteString, after: StreamID, count: Int,
                                group: StreamGroup?, consumer: StreamConsumer?, createdConsumer: Bool = false,
                                noAck: Bool, now: Int64, propagating: Bool, propagated: inout [[AOFArgument]]) {
        var entries: [(node: StreamNode, header: StreamNode.EntryHeader)] = []
        if after != .max {
            s.forEachHeader(from: after.incremented, to: .max) { node, header in
                entries.append((node, header))
                return count == 0 || entries.count < count
            }
        }
        reply.arrayHeader(entries.count)
        var propagateLastID = false
        var fieldsNode: StreamNode?
        var fields: [StreamListpack.Element] = []
        for (node, header) in entries {
            let id = header.id
            if let group, id > group.lastID {
                if group.entriesRead != StreamGroup.invalidEntriesRead && !s.rangeHasTombstones(from: id) {
                    group.entriesRead += 1
                } else if s.entriesAdded > 0 {
                    group.entriesRead = s.estimatedEntriesRead(at: id)
                }
                group.lastID = id
                propagateLastID = true
            }
            if fieldsNode !== node {
                fieldsNode = node
                fields = node.masterFields
            }
            writeEntry(reply, node, header, fields: fields)
            if let group, let consumer, !noAck {
                let pending = group.deliver(id, to: consumer, now: now)
                if propagating { propagated.append(claimPropagation(key, group, id, pending)) }
            }
        }
        if let group, let consumer, noAck, propagateLastID {
            if createdConsumer {
                propagated.append([.text("XGROUP"), .text("CREATECONSUMER"), .key(key), .bytes(group.name),
                                   .bytes(consumer.name)])
            }
            propagated.append(groupIDPropagation(key, group))
        }
    }

    /// Writes `consumer`'s pending entries from `start` (Redis's
    /// `streamReplyWithRangeFromConsumerPEL`): a deleted entry as `[id, nil]`; each delivered
    /// one counts a delivery.
    static func writeHistory(_ reply: ReplyWriter, _ s: StreamValue, group: StreamGroup, consumer: StreamConsumer,
                             from start: StreamID, count: Int, now: Int64) {
        let ids = consumer.pending.range(from: start, to: .max, limit: count)
        reply.arrayHeader(ids.count)
        for id in ids {
            if let entry = s.entry(id) {
                writeEntry(reply, entry)
                if let pending = group.pendingEntries[id] {
                    pending.deliveryTime = now
                    pending.deliveryCount += 1
                }
            } else {
                reply.arrayHeader(2)
                reply.bulk(id.text)
                reply.nullArray()
            }
        }
    }
}

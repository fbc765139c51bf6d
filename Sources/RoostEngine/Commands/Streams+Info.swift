import NIOCore

/// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS and XINFO CONSUMERS, as Redis 7.0 answers them.
extension StreamCommands {
    static let infoSpecs: [CommandSpec] = [
        spec("xinfo", -2, [], ["slow"], since: "5.0.0", summary: "A container for stream introspection commands",
             complexity: "Depends on subcommand.", subcommands: [
                spec("groups", 3, [.readonly], ["read", "stream", "slow"], since: "5.0.0",
                     summary: "List the consumer groups of a stream", complexity: "O(1)", xinfoGroups),
                spec("help", 2, [.loading, .stale], ["stream", "slow"], since: "5.0.0",
                     summary: "Show helpful text about the different subcommands", complexity: "O(1)", xinfoHelp),
                spec("consumers", 4, [.readonly], ["read", "stream", "slow"], tips: ["nondeterministic_output"],
                     since: "5.0.0", summary: "List the consumers in a consumer group", complexity: "O(1)",
                     xinfoConsumers),
                spec("stream", -3, [.readonly], ["read", "stream", "slow"], since: "5.0.0",
                     summary: "Get information about a stream", complexity: "O(1)", xinfoStream),
             ], nil),
    ]

    static let xinfoHelpLines: [String] = [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ]

    static func xinfoHelp(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(xinfoHelpLines.count)
        for line in xinfoHelpLines { c.reply.status(line) }
    }

    /// The stream at argument 2, or `ERR no such key`.
    private static func infoStream(_ c: CommandContext) throws(RedisError) -> StreamValue {
        guard let s = try readStream(c, c.key(2)) else { throw .noSuchKey }
        return s
    }

    static func xinfoConsumers(_ c: CommandContext) throws(RedisError) {
        let s = try infoStream(c)
        guard let group = s.group(c.bytes(3)) else { throw .noGroup(key: c.bytes(2), group: c.bytes(3)) }
        let now = Engine.clock()
        let consumers = group.sortedConsumers
        c.reply.arrayHeader(consumers.count)
        for consumer in consumers {
            c.reply.mapHeader(3)
            c.reply.bulk("name")
            c.reply.bulk(consumer.name)
            c.reply.bulk("pending")
            c.reply.integer(consumer.pending.count)
            c.reply.bulk("idle")
            c.reply.integer(max(0, now - consumer.seenTime))
        }
    }

    /// Writes a group's `entries-read` (null when unknown) and `lag`.
    private static func writeCounters(_ reply: ReplyWriter, _ s: StreamValue, _ group: StreamGroup) {
        reply.bulk("entries-read")
        if group.entriesRead != StreamGroup.invalidEntriesRead { reply.integer(group.entriesRead) } else { reply.nullBulk() }
        reply.bulk("lag")
        if let lag = s.lag(of: group) { reply.integer(lag) } else { reply.nullBulk() }
    }

    static func xinfoGroups(_ c: CommandContext) throws(RedisError) {
        let s = try infoStream(c)
        let groups = s.sortedGroups
        c.reply.arrayHeader(groups.count)
        for group in groups {
            c.reply.mapHeader(6)
            c.reply.bulk("name")
            c.reply.bulk(group.name)
            c.reply.bulk("consumers")
            c.reply.integer(group.consumers.count)
            c.reply.bulk("pending")
            c.reply.integer(group.pending.count)
            c.reply.bulk("last-delivered-id")
            c.reply.bulk(group.lastID.text)
            writeCounters(c.reply, s, group)
        }
    }

    /// XINFO STREAM key [FULL [COUNT count]].
    static func xinfoStream(_ c: CommandContext) throws(RedisError) {
        let s = try infoStream(c)
        var full = true
        var count: Int64 = 10
        let options = c.count - 3
        if options == 0 {
            full = false
        } else {
            if options != 1 && options != 3 { throw .subcommandSyntax(c.arguments) }
            if !c.argument(3, is: "full") { throw .subcommandSyntax(c.arguments) }
            if options == 3 {
                if !c.argument(4, is: "count") { throw .subcommandSyntax(c.arguments) }
                count = try c.integer(5)
                if count < 0 { count = 10 }
            }
        }
        let reply = c.reply
        reply.mapHeader(full ? 9 : 10)
        reply.bulk("length")
        reply.integer(s.length)
        reply.bulk("radix-tree-keys")
        reply.integer(s.nodes.count)
        reply.bulk("radix-tree-nodes")
        reply.integer(s.radixTreeNodeCount)
        reply.bulk("last-generated-id")
        reply.bulk(s.lastID.text)
        reply.bulk("max-deleted-entry-id")
        reply.bulk(s.maxDeletedID.text)
        reply.bulk("entries-added")
        reply.integer(s.entriesAdded)
        reply.bulk("recorded-first-entry-id")
        reply.bulk(s.firstID.text)
        if !full {
            reply.bulk("groups")
            reply.integer(s.groups.count)
            reply.bulk("first-entry")
            if let first = s.edgeID(first: true), let entry = s.entry(first) { writeEntry(reply, entry) } else { reply.nullBulk() }
            reply.bulk("last-entry")
            if let last = s.edgeID(first: false), let entry = s.entry(last) { writeEntry(reply, entry) } else { reply.nullBulk() }
            return
        }
        let limit = Int(count)
        reply.bulk("entries")
        writeRange(reply, s, from: .zero, to: .max, count: limit, reverse: false)
        let groups = s.sortedGroups
        reply.bulk("groups")
        reply.arrayHeader(groups.count)
        for group in groups {
            reply.mapHeader(7)
            reply.bulk("name")
            reply.bulk(group.name)
            reply.bulk("last-delivered-id")
            reply.bulk(group.lastID.text)
            writeCounters(reply, s, group)
            reply.bulk("pel-count")
            reply.integer(group.pending.count)
            reply.bulk("pending")
            let pending = group.pending.range(from: .zero, to: .max, limit: limit)
            reply.arrayHeader(pending.count)
            for id in pending {
                let entry = group.pendingEntries[id]!
                reply.arrayHeader(4)
                reply.bulk(id.text)
                reply.bulk(entry.consumer.name)
                reply.integer(entry.deliveryTime)
                reply.integer(entry.deliveryCount)
            }
            let consumers = group.sortedConsumers
            reply.bulk("consumers")
            reply.arrayHeader(consumers.count)
            for consumer in consumers {
                reply.mapHeader(4)
                reply.bulk("name")
                reply.bulk(consumer.name)
                reply.bulk("seen-time")
                reply.integer(consumer.seenTime)
                reply.bulk("pel-count")
                reply.integer(consumer.pending.count)
                reply.bulk("pending")
                let ids = consumer.pending.range(from: .zero, to: .max, limit: limit)
                reply.arrayHeader(ids.count)
                for id in ids {
                    let entry = group.pendingEntries[id]!
                    reply.arrayHeader(3)
                    reply.bulk(id.text)
                    reply.integer(entry.deliveryTime)
                    reply.integer(entry.deliveryCount)
                }
            }
        }
    }
}

extension StreamValue {
    /// The node count of the radix tree Redis would hold for the nodes' 16-byte keys
    /// (`rax->numnodes`): a compressed trie whose branching points are plain nodes, whose
    /// single-child runs are one compressed node each, with a leaf per key.
    var radixTreeNodeCount: Int {
        let keys = nodes.map { $0.master.bigEndianBytes }
        if keys.isEmpty { return 1 }
        return Self.subtreeNodes(keys[...], depth: 0, isRoot: true)
    }

    private static func commonPrefix(_ keys: ArraySlice<[UInt8]>, from depth: Int) -> Int {
        guard let first = keys.first, let last = keys.last else { return depth }
        var d = depth
        while d < first.count && first[d] == last[d] { d += 1 }
        return d
    }

    /// Nodes of the subtree at a branching point, leaf or root at `depth` (keys sorted).
    private static func subtreeNodes(_ keys: ArraySlice<[UInt8]>, depth: Int, isRoot: Bool) -> Int {
        if depth == 16 { return 1 }
        let shared = commonPrefix(keys, from: depth)
        if shared > depth {
            // Only the root can be a compressed node at a branching position.
            return 1 + subtreeNodes(keys, depth: shared, isRoot: false)
        }
        var total = 1
        var start = keys.startIndex
        while start < keys.endIndex {
            let byte = keys[start][depth]
            var end = start + 1
            while end < keys.endIndex && keys[end][depth] == byte { end += 1 }
            let group = keys[start..<end]
            let next = commonPrefix(group, from: depth + 1)
            total += (next == depth + 1 ? 0 : 1) + subtreeNodes(group, depth: next, isRoot: false)
            start = end
        }
        return total
    }
}

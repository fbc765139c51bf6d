import NIOCore
import RoostRESP

/// Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM and XSETID, with the semantics
/// of Redis 7.0's `t_stream.c`. Consumer groups are in `Streams+Groups.swift`, XREAD and
/// XREADGROUP in `Streams+Read.swift`, XINFO in `Streams+Info.swift`.
enum StreamCommands {
    static func spec(
        _ name: String, _ arity: Int, _ flags: CommandFlags, _ categories: [String],
        tips: [String] = [], since: String, summary: String, complexity: String,
        subcommands: [CommandSpec] = [], _ handler: CommandHandler?
    ) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, categories: categories, tips: tips, group: "stream",
                    since: since, summary: summary, subcommands: subcommands, complexity: complexity,
                    handler: handler)
    }

    static let specs: [CommandSpec] = [
        spec("xadd", -5, [.write, .denyoom, .fast], ["write", "stream", "fast"], tips: ["nondeterministic_output"],
             since: "5.0.0", summary: "Appends a new entry to a stream",
             complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
             xadd),
        spec("xlen", 2, [.readonly, .fast], ["read", "stream", "fast"], since: "5.0.0",
             summary: "Return the number of entries in a stream", complexity: "O(1)", xlen),
        spec("xrange", -4, [.readonly], ["read", "stream", "slow"], since: "5.0.0",
             summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
             complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
             xrange),
        spec("xrevrange", -4, [.readonly], ["read", "stream", "slow"], since: "5.0.0",
             summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
             complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
             xrevrange),
        spec("xdel", -3, [.write, .fast], ["write", "stream", "fast"], since: "5.0.0",
             summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
             complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.", xdel),
        spec("xtrim", -4, [.write], ["write", "stream", "slow"], tips: ["nondeterministic_output"], since: "5.0.0",
             summary: "Trims the stream to (approximately if '~' is passed) a certain size",
             complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
             xtrim),
        spec("xsetid", -3, [.write, .denyoom, .fast], ["write", "stream", "fast"], since: "5.0.0",
             summary: "An internal command for replicating stream values", complexity: "O(1)", xsetid),
    ] + groupSpecs + readSpecs + infoSpecs

    // MARK: - Lookups

    /// The stream at `key` for a read, nil if missing. Throws WRONGTYPE for another type.
    static func readStream(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> StreamValue? {
        guard let value = c.engine.lookupRead(c.database, key) else { return nil }
        guard case .stream(let s) = value else { throw .wrongType }
        return s
    }

    /// The stream at `key` for a write, nil if missing. Throws WRONGTYPE for another type.
    static func writeStream(_ c: CommandContext, _ key: ByteString) throws(RedisError) -> StreamValue? {
        guard let value = c.engine.lookupWrite(c.database, key) else { return nil }
        guard case .stream(let s) = value else { throw .wrongType }
        return s
    }

    /// Writes one entry: `[id, [field, value…]]`.
    static func writeEntry(_ reply: ReplyWriter, _ entry: StreamEntry) {
        reply.arrayHeader(2)
        writeID(reply, entry.id)
        reply.arrayHeader(entry.fieldValues.count)
        for element in entry.fieldValues { reply.bulk(element) }
    }

    /// Writes the entry `header` starts in `node` as `writeEntry` does, straight from the
    /// node's listpack; `fields` are the node's `masterFields`.
    static func writeEntry(_ reply: ReplyWriter, _ node: StreamNode, _ header: StreamNode.EntryHeader,
                           fields: [StreamListpack.Element]) {
        reply.arrayHeader(2)
        writeID(reply, header.id)
        let lp = node.lp
        func write(_ element: StreamListpack.Element) {
            switch element {
            case .int(let v): reply.bulk(decimal: v)
            case .string(let r): lp.withUnsafeBytes { reply.buffer.writeRESPBulk(UnsafeRawBufferPointer(rebasing: $0[r])) }
            }
        }
        var p = header.bodyOffset
        if header.sameFields {
            reply.arrayHeader(fields.count * 2)
            for field in fields {
                let (value, next) = StreamListpack.element(lp, at: p)
                write(field)
                write(value)
                p = next
            }
        } else {
            let (count, next) = StreamListpack.integer(lp, at: p)
            p = next
            reply.arrayHeader(2 * Int(count))
            for _ in 0..<(2 * Int(count)) {
                let (element, after) = StreamListpack.element(lp, at: p)
                write(element)
                p = after
            }
        }
    }

    /// Writes `id` as a bulk string `ms-seq`, formatted straight into the reply.
    static func writeID(_ reply: ReplyWriter, _ id: StreamID) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 41) { out in
            var end = 41
            func prepend(_ value: UInt64) {
                var v = value
                repeat {
                    end -= 1
                    out[end] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                } while v != 0
            }
            prepend(id.seq)
            end -= 1
            out[end] = UInt8(ascii: "-")
            prepend(id.ms)
            reply.buffer.writeRESPBulk(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: out[end...])))
        }
    }

    // MARK: - XADD and XTRIM

    /// The options XADD and XTRIM share (Redis's `streamAddTrimArgs`).
    struct AddTrimArguments {
        var trim: StreamValue.Trim?
        var approximate = false
        var limit: Int64 = 0
        var limitGiven = false
        /// The index of the trim threshold argument.
        var thresholdIndex = 0
        var noMakeStream = false
        /// The index of the id argument (XADD).
        var idIndex = 0
        /// The explicit id, nil for `*`.
        var id: ParsedStreamID?
    }

    /// Redis's `streamParseAddOrTrimArgsOrReply`.
    static func parseAddOrTrim(_ c: CommandContext, xadd: Bool) throws(RedisError) -> AddTrimArguments {
        var a = AddTrimArguments()
        var i = 2
        while i < c.count {
            let more = c.count - 1 - i
            if xadd && c.arguments[i].readableBytes == 1 && c.bytes(i) == [UInt8(ascii: "*")] { break }
            if c.argument(i, is: "maxlen") && more > 0 {
                if a.trim != nil { throw .maxlenAndMinid }
                a.approximate = false
                if more >= 2 && c.bytes(i + 1) == [UInt8(ascii: "~")] {
                    a.approximate = true
                    i += 1
                } else if more >= 2 && c.bytes(i + 1) == [UInt8(ascii: "=")] {
                    i += 1
                }
                let n = try c.integer(i + 1)
                if n < 0 { throw .maxlenNegative }
                i += 1
                a.trim = .maxLength(n)
                a.thresholdIndex = i
            } else if c.argument(i, is: "minid") && more > 0 {
                if a.trim != nil { throw .maxlenAndMinid }
                a.approximate = false
                if more >= 2 && c.bytes(i + 1) == [UInt8(ascii: "~")] {
                    a.approximate = true
                    i += 1
                } else if more >= 2 && c.bytes(i + 1) == [UInt8(ascii: "=")] {
                    i += 1
                }
                let id = try StreamID.parse(c.bytes(i + 1), strict: true).id
                i += 1
                a.trim = .minID(id)
                a.thresholdIndex = i
            } else if c.argument(i, is: "limit") && more > 0 {
                a.limit = try c.integer(i + 1)
                if a.limit < 0 { throw .streamLimitNegative }
                a.limitGiven = true
                i += 1
            } else if xadd && c.argument(i, is: "nomkstream") {
                a.noMakeStream = true
            } else if xadd {
                a.id = try StreamID.parse(c.bytes(i), strict: true, allowAutoSeq: true)
                break
            } else {
                throw .syntax
            }
            i += 1
        }
        a.idIndex = i
        if a.limitGiven && a.trim == nil { throw .limitWithoutStrategy }
        if !xadd && a.trim == nil { throw .xtrimWithoutStrategy }
        if c.engine.aof.loading {
            a.limit = 0
        } else if a.limitGiven {
            if !a.approximate { throw .limitWithoutApprox }
        } else if a.approximate {
            let entries = c.engine.configuration.streamNodeMaxEntries
            a.limit = Int64(100 * entries)
            if a.limit <= 0 || a.limit > 1 << 30 { a.limit = 10_000 }
        } else {
            a.limit = 0
        }
        return a
    }

    /// Redis's `streamTrim` with parsed arguments.
    static func trim(_ s: StreamValue, _ a: AddTrimArguments) -> Int64 {
        guard let strategy = a.trim else { return 0 }
        let removed = s.trim(strategy, approximate: a.approximate, limit: a.limit)
        if removed > 0 { s.refreshGroupBytes() }
        return removed
    }

    /// The propagated arguments after an approximate trim: `~` becomes `=` and the threshold
    /// what was reached, as Redis's `streamRewriteApproxSpecifier`/`streamRewriteTrimArgument`.
    static func rewriteTrim(_ args: inout [AOFArgument], _ s: StreamValue, _ a: AddTrimArguments) {
        guard a.approximate, let strategy = a.trim else { return }
        args[a.thresholdIndex - 1] = .text("=")
        switch strategy {
        case .maxLength: args[a.thresholdIndex] = .number(Int64(s.length))
        case .minID: args[a.thresholdIndex] = .bytes((s.edgeID(first: true) ?? .zero).text)
        }
    }

    /// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value….
    static func xadd(_ c: CommandContext) throws(RedisError) {
        let a = try parseAddOrTrim(c, xadd: true)
        let fieldStart = a.idIndex + 1
        if c.count - fieldStart < 2 || (c.count - fieldStart) % 2 == 1 { throw .wrongArity(c.command.fullName) }
        if let id = a.id, id.seqGiven, id.id == .zero { throw .xaddIDZero }
        let key = c.key(1)
        let existing = try writeStream(c, key)
        if existing == nil && a.noMakeStream {
            c.reply.nullBulk()
            c.engine.propagate(c.database, [])
            return
        }
        let s = existing ?? StreamValue()
        if s.lastID == .max { throw .streamExhausted }
        let id: StreamID
        if let given = a.id {
            if given.seqGiven {
                id = given.id
            } else if s.lastID.ms == given.id.ms {
                if s.lastID.seq == .max { throw .xaddIDTooSmall }
                id = StreamID(ms: given.id.ms, seq: s.lastID.seq + 1)
            } else {
                id = given.id
            }
            if id <= s.lastID { throw .xaddIDTooSmall }
        } else {
            let now = UInt64(max(0, c.engine.now))
            id = now > s.lastID.ms ? StreamID(ms: now, seq: 0) : s.lastID.incremented
        }
        var fields: [[UInt8]] = []
        fields.reserveCapacity(c.count - fieldStart)
        for i in fieldStart..<c.count { fields.append(c.bytes(i)) }
        let config = c.engine.configuration
        s.append(id: id, fieldValues: fields, nodeMaxBytes: config.streamNodeMaxBytes,
                 nodeMaxEntries: config.streamNodeMaxEntries)
        if existing == nil { c.engine.setKey(c.database, key, .stream(s)) }
        c.reply.bulk(id.text)
        c.notify(.stream, "xadd", key)
        if trim(s, a) > 0 { c.notify(.stream, "xtrim", key) }
        if existing != nil {
            c.engine.signalModifiedKey(c.database, key)
            c.engine.signalKeyAsReady(c.database, key)
        }
        if c.engine.isPropagating {
            var args = c.arguments.map { AOFArgument.buffer($0) }
            rewriteTrim(&args, s, a)
            if a.id == nil || a.id?.seqGiven == false { args[a.idIndex] = .bytes(id.text) }
            c.engine.propagate(c.database, [args])
        }
    }

    /// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count].
    static func xtrim(_ c: CommandContext) throws(RedisError) {
        let a = try parseAddOrTrim(c, xadd: false)
        let key = c.key(1)
        guard let s = try writeStream(c, key) else {
            c.reply.integer(0)
            c.engine.propagate(c.database, [])
            return
        }
        let removed = trim(s, a)
        if removed > 0 {
            c.engine.signalModifiedKey(c.database, key)
            c.notify(.stream, "xtrim", key)
            if c.engine.isPropagating {
                var args = c.arguments.map { AOFArgument.buffer($0) }
                rewriteTrim(&args, s, a)
                c.engine.propagate(c.database, [args])
            }
        } else {
            c.engine.propagate(c.database, [])
        }
        c.reply.integer(removed)
    }

    // MARK: - XLEN, XRANGE, XREVRANGE

    static func xlen(_ c: CommandContext) throws(RedisError) {
        let s = try readStream(c, c.key(1))
        c.reply.integer(s?.length ?? 0)
    }

    static func xrange(_ c: CommandContext) throws(RedisError) { try rangeCommand(c, reverse: false) }
    static func xrevrange(_ c: CommandContext) throws(RedisError) { try rangeCommand(c, reverse: true) }

    /// Redis's `streamParseIntervalIDOrReply`: `(` makes the bound exclusive.
    static func parseInterval(_ bytes: [UInt8], missingSeq: UInt64) throws(RedisError) -> (StreamID, exclusive: Bool) {
        if bytes.count > 1 && bytes[0] == UInt8(ascii: "(") {
            return (try StreamID.parse(Array(bytes.dropFirst()), missingSeq: missingSeq, strict: true).id, true)
        }
        return (try StreamID.parse(bytes, missingSeq: missingSeq).id, false)
    }

    /// Redis's `xrangeGenericCommand`.
    static func rangeCommand(_ c: CommandContext, reverse: Bool) throws(RedisError) {
        var (start, startExclusive) = try parseInterval(c.bytes(reverse ? 3 : 2), missingSeq: 0)
        if startExclusive {
            if start == .max { throw .invalidStartID }
            start = start.incremented
        }
        var (end, endExclusive) = try parseInterval(c.bytes(reverse ? 2 : 3), missingSeq: .max)
        if endExclusive {
            if end == .zero { throw .invalidEndID }
            end = end.decremented
        }
        var count: Int64 = -1
        var j = 4
        while j < c.count {
            if c.argument(j, is: "count") && c.count - j - 1 >= 1 {
                count = try c.integer(j + 1)
                if count < 0 { count = 0 }
                j += 1
            } else {
                throw .syntax
            }
            j += 1
        }
        guard let s = try readStream(c, c.key(1)) else {
            c.reply.arrayHeader(0)
            return
        }
        if count == 0 {
            c.reply.nullArray()
            return
        }
        writeRange(c.reply, s, from: start, to: end, count: count < 0 ? 0 : Int(count), reverse: reverse)
    }

    /// Writes the entries from `start` to `end` (at most `count`, 0 for all) as an array.
    static func writeRange(_ reply: ReplyWriter, _ s: StreamValue, from start: StreamID, to end: StreamID,
                           count: Int, reverse: Bool) {
        var entries: [StreamEntry] = []
        s.forEach(from: start, to: end, reverse: reverse) { entry in
            entries.append(entry)
            return count == 0 || entries.count < count
        }
        reply.arrayHeader(entries.count)
        for entry in entries { writeEntry(reply, entry) }
    }

    // MARK: - XDEL

    /// XDEL key id…: every id is checked before any is deleted.
    static func xdel(_ c: CommandContext) throws(RedisError) {
        let key = c.key(1)
        guard let s = try writeStream(c, key) else {
            c.reply.integer(0)
            c.engine.propagate(c.database, [])
            return
        }
        var ids: [StreamID] = []
        for i in 2..<c.count { ids.append(try StreamID.parse(c.bytes(i), strict: true).id) }
        var deleted = 0
        var firstDeleted = false
        for id in ids where s.delete(id) {
            if id == s.firstID { firstDeleted = true }
            if id > s.maxDeletedID { s.maxDeletedID = id }
            deleted += 1
        }
        if deleted > 0 {
            if s.length == 0 || firstDeleted { s.refreshFirstID() }
            c.engine.signalModifiedKey(c.database, key)
            c.notify(.stream, "xdel", key)
        } else {
            c.engine.propagate(c.database, [])
        }
        c.reply.integer(deleted)
    }

    // MARK: - XSETID

    /// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id].
    static func xsetid(_ c: CommandContext) throws(RedisError) {
        let id = try StreamID.parse(c.bytes(2), strict: true).id
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var i = 3
        while i < c.count {
            let more = c.count - 1 - i
            if c.argument(i, is: "entriesadded") && more > 0 {
                entriesAdded = try c.integer(i + 1)
                if entriesAdded < 0 { throw .entriesAddedNegative }
                i += 2
            } else if c.argument(i, is: "maxdeletedid") && more > 0 {
                maxDeleted = try StreamID.parse(c.bytes(i + 1), strict: true).id
                if id < maxDeleted { throw .xsetidBelowProvidedMaxDeleted }
                i += 2
            } else {
                throw .syntax
            }
        }
        let key = c.key(1)
        guard let s = try writeStream(c, key) else { throw .noSuchKey }
        if s.length > 0 {
            if id < (s.edgeID(first: false) ?? .zero) { throw .xsetidTooSmall }
            if entriesAdded != -1 && Int64(s.length) > entriesAdded { throw .xsetidEntriesAddedTooSmall }
        }
        s.setID(id, entriesAdded: entriesAdded == -1 ? nil : entriesAdded,
                maxDeletedID: maxDeleted == .zero ? nil : maxDeleted)
        c.engine.signalModifiedKey(c.database, key)
        c.notify(.stream, "xsetid", key)
        c.reply.ok()
    }
}

import RoostRESP

/// A stream: entries in id order, kept as Redis 7.0 keeps them (`t_stream.c`) — a sorted array
/// of nodes, each a listpack in Redis's byte format whose first entry is a "master entry" of
/// field names that later entries with the same fields omit. A node takes entries until it
/// reaches `stream-node-max-entries` (deleted ones included) or `stream-node-max-bytes`, so
/// nodes split where Redis's do, approximate trimming (`~`) removes the same whole nodes, and
/// RDB files carry the nodes as they are.
///
/// Deleted entries stay in their node with the deleted flag, as in Redis, until the node
/// empties or is trimmed away.
public final class StreamValue {
    /// The nodes in id order; none is empty of live entries.
    var nodes: [StreamNode] = []
    /// Live entries.
    public internal(set) var length = 0
    /// The largest id ever added (or set by XSETID).
    public internal(set) var lastID = StreamID.zero
    /// The first live entry's id, 0-0 when empty.
    public internal(set) var firstID = StreamID.zero
    /// The largest id deleted by XDEL.
    public internal(set) var maxDeletedID = StreamID.zero
    /// Entries ever added.
    public internal(set) var entriesAdded: Int64 = 0
    /// Consumer groups by name.
    var groups: [[UInt8]: StreamGroup] = [:]
    /// The sum of the nodes' listpack sizes, for memory accounting.
    private(set) var nodeBytes = 0
    /// Bytes of the consumer groups, kept up to date by the group operations.
    var groupBytes = 0

    public init() {}

    public var encodingName: StaticString { "stream" }

    /// Heap bytes: the node array, each node object and its listpack, and the groups. O(1).
    var memoryFootprint: Int {
        MemoryFootprint.objectBytes(fields: 112)
            + MemoryFootprint.arrayBytes(capacity: nodes.count, stride: 8)
            + nodes.count * MemoryFootprint.objectBytes(fields: 40)
            + nodeBytes + groupBytes
    }

    /// A deep copy (COPY).
    public func duplicate() -> StreamValue {
        let copy = StreamValue()
        copy.nodes = nodes.map { StreamNode(master: $0.master, lp: $0.lp) }
        copy.length = length
        copy.lastID = lastID
        copy.firstID = firstID
        copy.maxDeletedID = maxDeletedID
        copy.entriesAdded = entriesAdded
        copy.nodeBytes = nodeBytes
        for (name, group) in groups { copy.groups[name] = group.duplicate() }
        copy.groupBytes = groupBytes
        return copy
    }

    // MARK: - Appending

    /// Appends an entry with `fieldValues` (field, value, field, value…) under `id`, which the
    /// caller has checked is greater than `lastID`. Starts a new node as Redis's
    /// `streamAppendItem` decides.
    func append(id: StreamID, fieldValues: [[UInt8]], nodeMaxBytes: Int, nodeMaxEntries: Int) {
        let fieldCount = fieldValues.count / 2
        var totalLength = 0
        for element in fieldValues { totalLength += element.count }
        let maxBytes = nodeMaxBytes == 0 || nodeMaxBytes > Int(UInt32.max) ? Int(UInt32.max) : nodeMaxBytes
        var node = nodes.last
        if let tail = node {
            if tail.lp.count + totalLength >= maxBytes {
                node = nil
            } else if nodeMaxEntries > 0 {
                let (live, next) = StreamListpack.integer(tail.lp, at: 6)
                let (deleted, _) = StreamListpack.integer(tail.lp, at: next)
                if live + deleted >= Int64(nodeMaxEntries) { node = nil }
            }
        }
        let target: StreamNode
        var sameFields = false
        if let node {
            target = node
            nodeBytes -= node.lp.count
            let (live, next) = StreamListpack.integer(node.lp, at: 6)
            StreamListpack.replaceInteger(&node.lp, at: 6, with: live + 1)
            _ = next
            sameFields = node.masterFieldsEqual(fieldValues)
        } else {
            var lp = StreamListpack.empty
            var header: [UInt8] = []
            StreamListpack.appendInteger(1, to: &header)
            StreamListpack.appendInteger(0, to: &header)
            StreamListpack.appendInteger(Int64(fieldCount), to: &header)
            for i in 0..<fieldCount { RDBBlobs.appendListpackEntry(fieldValues[2 * i], to: &header) }
            StreamListpack.appendInteger(0, to: &header)
            StreamListpack.append(&lp, elements: header, count: 4 + fieldCount)
            target = StreamNode(master: id, lp: lp)
            nodes.append(target)
            sameFields = true
        }
        var entry: [UInt8] = []
        entry.reserveCapacity(totalLength + 16 + fieldValues.count * 2)
        StreamListpack.appendInteger(sameFields ? StreamNode.flagSameFields : 0, to: &entry)
        StreamListpack.appendInteger(Int64(bitPattern: id.ms &- target.master.ms), to: &entry)
        StreamListpack.appendInteger(Int64(bitPattern: id.seq &- target.master.seq), to: &entry)
        var elements = 3
        if sameFields {
            for i in 0..<fieldCount { RDBBlobs.appendListpackEntry(fieldValues[2 * i + 1], to: &entry) }
            elements += fieldCount
        } else {
            StreamListpack.appendInteger(Int64(fieldCount), to: &entry)
            for element in fieldValues { RDBBlobs.appendListpackEntry(element, to: &entry) }
            elements += 1 + 2 * fieldCount
        }
        StreamListpack.appendInteger(Int64(elements), to: &entry)
        StreamListpack.append(&target.lp, elements: entry, count: elements + 1)
        nodeBytes += target.lp.count
        if length == 0 { firstID = id }
        length += 1
        lastID = id
        entriesAdded += 1
    }

    // MARK: - Reading

    /// Calls `body` with each live entry between `start` and `end` inclusive, in id order or in
    /// reverse, until it returns false.
    func forEach(from start: StreamID, to end: StreamID, reverse: Bool = false,
                 _ body: (StreamEntry) -> Bool) {
        var fieldsNode: StreamNode?
        var fields: [StreamListpack.Element] = []
        forEachHeader(from: start, to: end, reverse: reverse) { node, header in
            if fieldsNode !== node {
                fieldsNode = node
                fields = node.masterFields
            }
            return body(node.entry(header, fields: fields))
        }
    }

    /// Calls `body` with each live entry's node and header between `start` and `end`
    /// inclusive, in id order or in reverse, until it returns false. Entries outside the range
    /// are skipped without decoding their fields.
    func forEachHeader(from start: StreamID, to end: StreamID, reverse: Bool = false,
                       _ body: (StreamNode, StreamNode.EntryHeader) -> Bool) {
        if start > end || nodes.isEmpty { return }
        if !reverse {
            var index = max(0, nodeIndex(atOrBefore: start))
            while index < nodes.count {
                let node = nodes[index]
                if node.master > end { return }
                var stop = false
                node.forEachHeader { header in
                    if header.deleted || header.id < start { return true }
                    if header.id > end || !body(node, header) {
                        stop = true
                        return false
                    }
                    return true
                }
                if stop { return }
                index += 1
            }
        } else {
            var index = nodeIndex(atOrBefore: end)
            while index >= 0 {
                let node = nodes[index]
                var stop = false
                node.forEachHeader(reverse: true) { header in
                    if header.deleted || header.id > end { return true }
                    if header.id < start || !body(node, header) {
                        stop = true
                        return false
                    }
                    return true
                }
                if stop { return }
                index -= 1
            }
        }
    }

    /// The entry with `id`, if live.
    func entry(_ id: StreamID) -> StreamEntry? {
        var found: StreamEntry?
        forEach(from: id, to: id) { found = $0; return false }
        return found
    }

    /// The index of the last node whose master id is at most `id`, -1 if none.
    func nodeIndex(atOrBefore id: StreamID) -> Int {
        var low = 0
        var high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid].master <= id { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// The id of the first or last live entry.
    func edgeID(first: Bool) -> StreamID? {
        var found: StreamID?
        forEachHeader(from: .zero, to: .max, reverse: !first) { _, header in
            found = header.id
            return false
        }
        return found
    }

    // MARK: - Deleting

    /// Deletes the live entry `id`. Returns whether it was there. Does not touch `firstID` or
    /// `maxDeletedID` (XDEL does).
    func delete(_ id: StreamID) -> Bool {
        let index = nodeIndex(atOrBefore: id)
        if index < 0 { return false }
        let node = nodes[index]
        var found: StreamNode.EntryHeader?
        node.forEachHeader { header in
            if header.id == id && !header.deleted { found = header }
            return found == nil && header.id < id
        }
        guard let entry = found else { return false }
        nodeBytes -= node.lp.count
        node.lp[entry.flagsOffset] |= UInt8(StreamNode.flagDeleted)
        let (live, next) = StreamListpack.integer(node.lp, at: 6)
        if live == 1 {
            nodes.remove(at: index)
        } else {
            let (deleted, _) = StreamListpack.integer(node.lp, at: next)
            StreamListpack.replaceInteger(&node.lp, at: next, with: deleted + 1)
            StreamListpack.replaceInteger(&node.lp, at: 6, with: live - 1)
            nodeBytes += node.lp.count
        }
        length -= 1
        return true
    }

    /// The trimming strategy of XADD and XTRIM.
    enum Trim {
        case maxLength(Int64)
        case minID(StreamID)
    }

    /// Trims as Redis's `streamTrim`: whole nodes first; with `approximate` only whole nodes;
    /// `limit` (0 for none) caps the entries removed. Returns the number removed.
    func trim(_ strategy: Trim, approximate: Bool, limit: Int64) -> Int64 {
        var deleted: Int64 = 0
        while let node = nodes.first {
            if case .maxLength(let maxLength) = strategy, Int64(length) <= maxLength { break }
            let (live, _) = StreamListpack.integer(node.lp, at: 6)
            if limit > 0 && deleted + live > limit { break }
            let removeNode: Bool
            switch strategy {
            case .maxLength(let maxLength): removeNode = Int64(length) - live >= maxLength
            case .minID(let minID): removeNode = (node.entries().last?.id ?? node.master) < minID
            }
            if removeNode {
                nodeBytes -= node.lp.count
                nodes.removeFirst()
                length -= Int(live)
                deleted += live
                continue
            }
            if approximate { break }
            nodeBytes -= node.lp.count
            var removed: Int64 = 0
            for entry in node.entries() {
                let stop: Bool
                switch strategy {
                case .maxLength(let maxLength): stop = Int64(length) <= maxLength
                case .minID(let minID): stop = entry.id >= minID
                }
                if stop { break }
                if !entry.deleted {
                    node.lp[entry.flagsOffset] |= UInt8(StreamNode.flagDeleted)
                    removed += 1
                    length -= 1
                }
            }
            let (liveNow, next) = StreamListpack.integer(node.lp, at: 6)
            let (markedDeleted, _) = StreamListpack.integer(node.lp, at: next)
            StreamListpack.replaceInteger(&node.lp, at: next, with: markedDeleted + removed)
            StreamListpack.replaceInteger(&node.lp, at: 6, with: liveNow - removed)
            nodeBytes += node.lp.count
            deleted += removed
            break
        }
        firstID = length == 0 ? .zero : (edgeID(first: true) ?? .zero)
        return deleted
    }

    /// Recomputes `firstID` after deletions.
    func refreshFirstID() {
        firstID = length == 0 ? .zero : (edgeID(first: true) ?? .zero)
    }

    // MARK: - Loading

    /// Adds a node read from an RDB file; returns false for a malformed one.
    func loadNode(master: StreamID, lp: [UInt8]) -> Bool {
        let node = StreamNode(master: master, lp: lp)
        guard node.isWellFormed else { return false }
        let (live, _) = StreamListpack.integer(lp, at: 6)
        if live == 0 { return true }
        if let last = nodes.last, last.master >= master { return false }
        nodes.append(node)
        nodeBytes += lp.count
        length += Int(live)
        return true
    }

    /// Sets the metadata read from an RDB file.
    func setMetadata(lastID: StreamID, firstID: StreamID, maxDeletedID: StreamID, entriesAdded: Int64) {
        self.lastID = lastID
        self.firstID = firstID
        self.maxDeletedID = maxDeletedID
        self.entriesAdded = entriesAdded
    }

    /// Sets the last id, entries-added and max-deleted id (XSETID).
    func setID(_ id: StreamID, entriesAdded: Int64?, maxDeletedID: StreamID?) {
        lastID = id
        if let entriesAdded { self.entriesAdded = entriesAdded }
        if let maxDeletedID { self.maxDeletedID = maxDeletedID }
    }
}

/// One stream entry as read from a node.
struct StreamEntry {
    let id: StreamID
    let deleted: Bool
    /// The offset of the entry's flags element in its node's listpack.
    let flagsOffset: Int
    /// Field, value, field, value…
    let fieldValues: [[UInt8]]
}

/// One listpack node of a stream.
final class StreamNode {
    static let flagDeleted: Int64 = 1
    static let flagSameFields: Int64 = 2

    /// The id of the node's first entry ever (the radix-tree key in Redis).
    let master: StreamID
    /// The listpack, in Redis's stream node format.
    var lp: [UInt8]

    init(master: StreamID, lp: [UInt8]) {
        self.master = master
        self.lp = lp
    }

    /// The offsets of the master fields and of the first entry.
    private func masterLayout() -> (fields: [StreamListpack.Element], firstEntry: Int) {
        var p = 6
        (_, p) = StreamListpack.integer(lp, at: p)
        (_, p) = StreamListpack.integer(lp, at: p)
        let (count, afterCount) = StreamListpack.integer(lp, at: p)
        p = afterCount
        var fields: [StreamListpack.Element] = []
        fields.reserveCapacity(Int(count))
        for _ in 0..<max(0, Int(count)) {
            let (e, next) = StreamListpack.element(lp, at: p)
            fields.append(e)
            p = next
        }
        (_, p) = StreamListpack.integer(lp, at: p)
        return (fields, p)
    }

    /// Whether the fields of `fieldValues` are the master entry's, in order.
    func masterFieldsEqual(_ fieldValues: [[UInt8]]) -> Bool {
        let fields = masterLayout().fields
        if fields.count * 2 != fieldValues.count { return false }
        for (i, f) in fields.enumerated() where !StreamListpack.equals(lp, f, fieldValues[2 * i]) { return false }
        return true
    }

    /// Every entry of the node, deleted ones included, in order.
    func entries() -> [StreamEntry] {
        let fields = masterLayout().fields
        var out: [StreamEntry] = []
        forEachHeader { header in
            out.append(entry(header, fields: fields))
            return true
        }
        return out
    }

    /// An entry's id, deletion flag and where it starts, read without its fields.
    struct EntryHeader {
        let id: StreamID
        let deleted: Bool
        /// The offset of the entry's flags element.
        let flagsOffset: Int
        /// The offset of the entry's first element after the id deltas.
        let bodyOffset: Int
        let sameFields: Bool
    }

    /// The header of the entry whose flags element is at `p`.
    @inline(__always)
    private func header(at p: Int) -> EntryHeader {
        let (flags, a) = StreamListpack.integer(lp, at: p)
        let (msDelta, b) = StreamListpack.integer(lp, at: a)
        let (seqDelta, c) = StreamListpack.integer(lp, at: b)
        let id = StreamID(ms: master.ms &+ UInt64(bitPattern: msDelta), seq: master.seq &+ UInt64(bitPattern: seqDelta))
        return EntryHeader(id: id, deleted: flags & StreamNode.flagDeleted != 0, flagsOffset: p, bodyOffset: c,
                           sameFields: flags & StreamNode.flagSameFields != 0)
    }

    /// The offset of the first entry after the master entry, and the number of master fields.
    private func firstEntryOffset() -> (offset: Int, masterFieldCount: Int) {
        var p = 6
        (_, p) = StreamListpack.integer(lp, at: p)
        (_, p) = StreamListpack.integer(lp, at: p)
        let (count, afterCount) = StreamListpack.integer(lp, at: p)
        p = afterCount
        for _ in 0..<max(0, Int(count)) { p = StreamListpack.element(lp, at: p).next }
        (_, p) = StreamListpack.integer(lp, at: p)
        return (p, max(0, Int(count)))
    }

    /// Calls `body` with the header of each entry, deleted ones included, in order or in
    /// reverse, until it returns false. Fields are skipped, not decoded: `entry(_:fields:)`
    /// decodes the entries the caller wants.
    func forEachHeader(reverse: Bool = false, _ body: (EntryHeader) -> Bool) {
        let (first, masterFieldCount) = firstEntryOffset()
        let end = lp.count - 1
        if !reverse {
            var p = first
            while p < end {
                let h = header(at: p)
                if !body(h) { return }
                p = h.bodyOffset
                var skipped = masterFieldCount
                if !h.sameFields {
                    let (count, next) = StreamListpack.integer(lp, at: p)
                    p = next
                    skipped = 2 * Int(count)
                }
                for _ in 0..<skipped { p = StreamListpack.element(lp, at: p).next }
                p = StreamListpack.element(lp, at: p).next
            }
        } else {
            var q = end
            while q > first {
                // The entry's last element counts the ones before it (Redis's `lp-count`).
                var p = StreamListpack.previous(lp, before: q)
                let (elements, _) = StreamListpack.integer(lp, at: p)
                for _ in 0..<elements { p = StreamListpack.previous(lp, before: p) }
                if !body(header(at: p)) { return }
                q = p
            }
        }
    }

    /// The master entry's field names, for `entry(_:fields:)`.
    var masterFields: [StreamListpack.Element] { masterLayout().fields }

    /// The entry `header` starts, decoded; `fields` are the node's `masterFields`.
    func entry(_ header: EntryHeader, fields: [StreamListpack.Element]) -> StreamEntry {
        var p = header.bodyOffset
        var fieldValues: [[UInt8]] = []
        if header.sameFields {
            fieldValues.reserveCapacity(fields.count * 2)
            for f in fields {
                let (v, next) = StreamListpack.element(lp, at: p)
                fieldValues.append(StreamListpack.bytes(lp, f))
                fieldValues.append(StreamListpack.bytes(lp, v))
                p = next
            }
        } else {
            let (count, next) = StreamListpack.integer(lp, at: p)
            p = next
            fieldValues.reserveCapacity(Int(count) * 2)
            for _ in 0..<(2 * Int(count)) {
                let (e, after) = StreamListpack.element(lp, at: p)
                fieldValues.append(StreamListpack.bytes(lp, e))
                p = after
            }
        }
        return StreamEntry(id: header.id, deleted: header.deleted, flagsOffset: header.flagsOffset,
                           fieldValues: fieldValues)
    }

    /// Checks the structure of a node read from a file, as Redis's `streamValidateListpackIntegrity`
    /// does in outline: the header, the master entry and every entry's element count.
    var isWellFormed: Bool {
        guard let elements = RDBBlobs.listpackElements(lp), elements.count >= 4 else { return false }
        func int(_ i: Int) -> Int64? { i < elements.count ? RedisInteger.parse(elements[i]) : nil }
        guard let live = int(0), let deleted = int(1), let masterCount = int(2), live >= 0, deleted >= 0,
              masterCount >= 0 else { return false }
        var i = 3 + Int(masterCount)
        guard int(i) == 0 else { return false }
        i += 1
        var entries: Int64 = 0
        while i < elements.count {
            guard let flags = int(i) else { return false }
            var n = 3
            if flags & StreamNode.flagSameFields != 0 {
                n += Int(masterCount)
            } else {
                guard let count = int(i + 3), count >= 0 else { return false }
                n += 1 + 2 * Int(count)
            }
            guard int(i + n) == Int64(n) else { return false }
            i += n + 1
            entries += 1
        }
        return entries == live + deleted
    }
}

/// Streams in RDB files: `RDB_TYPE_STREAM_LISTPACKS_2` (19), which redis-server 7.0 writes, and
/// the older `RDB_TYPE_STREAM_LISTPACKS` (15) for reading. The nodes are Redis's own listpacks
/// (see `StreamValue`), so they are written and read as they are.
enum RDBStreams {
    static let streamListpacks: UInt8 = 15
    static let streamListpacks2: UInt8 = 19

    /// Appends `stream` as type 19, as Redis 7.0's `rdbSaveObject`.
    static func append(_ stream: StreamValue, to out: inout [UInt8], compress: Bool) {
        RDBString.appendLength(stream.nodes.count, to: &out)
        for node in stream.nodes {
            RDBString.appendString(node.master.bigEndianBytes, to: &out, compress: compress)
            RDBString.appendString(node.lp, to: &out, compress: compress)
        }
        RDBString.appendLength(stream.length, to: &out)
        appendID(stream.lastID, to: &out)
        appendID(stream.firstID, to: &out)
        appendID(stream.maxDeletedID, to: &out)
        appendUnsigned(UInt64(bitPattern: stream.entriesAdded), to: &out)
        let groups = stream.sortedGroups
        RDBString.appendLength(groups.count, to: &out)
        for group in groups {
            RDBString.appendString(group.name, to: &out, compress: compress)
            appendID(group.lastID, to: &out)
            appendUnsigned(UInt64(bitPattern: group.entriesRead), to: &out)
            RDBString.appendLength(group.pending.count, to: &out)
            for id in group.pending {
                let entry = group.pendingEntries[id]!
                out.append(contentsOf: id.bigEndianBytes)
                RDBBlobs.appendLittleEndian(UInt64(bitPattern: entry.deliveryTime), bytes: 8, to: &out)
                appendUnsigned(UInt64(bitPattern: entry.deliveryCount), to: &out)
            }
            let consumers = group.sortedConsumers
            RDBString.appendLength(consumers.count, to: &out)
            for consumer in consumers {
                RDBString.appendString(consumer.name, to: &out, compress: compress)
                RDBBlobs.appendLittleEndian(UInt64(bitPattern: consumer.seenTime), bytes: 8, to: &out)
                RDBString.appendLength(consumer.pending.count, to: &out)
                for id in consumer.pending { out.append(contentsOf: id.bigEndianBytes) }
            }
        }
    }

    private static func appendID(_ id: StreamID, to out: inout [UInt8]) {
        appendUnsigned(id.ms, to: &out)
        appendUnsigned(id.seq, to: &out)
    }

    /// A length of the full 64-bit range (`rdbSaveLen` takes a `uint64_t`).
    private static func appendUnsigned(_ n: UInt64, to out: inout [UInt8]) {
        if n <= UInt64(UInt32.max) {
            RDBString.appendLength(Int(n), to: &out)
        } else {
            out.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        }
    }

    /// Reads a stream of `type` (15 or 19); nil when it is malformed. An empty stream is kept:
    /// Redis keeps empty streams (groups may live on them).
    static func read(_ type: UInt8, from reader: inout RDBString.Reader) -> StreamValue? {
        let stream = StreamValue()
        guard let nodeCount = reader.plainLength() else { return nil }
        for _ in 0..<nodeCount {
            guard let key = reader.string(), let master = StreamID(bigEndian: key), let lp = reader.string(),
                  stream.loadNode(master: master, lp: lp) else { return nil }
        }
        guard let length = reader.plainLength(), Int(clamping: length) == stream.length,
              let lastID = readID(&reader) else { return nil }
        var firstID = stream.edgeID(first: true) ?? .zero
        var maxDeletedID = StreamID.zero
        var entriesAdded = Int64(stream.length)
        if type == streamListpacks2 {
            guard let first = readID(&reader), let maxDeleted = readID(&reader),
                  let added = reader.plainLength() else { return nil }
            firstID = first
            maxDeletedID = maxDeleted
            entriesAdded = Int64(bitPattern: added)
        }
        stream.setMetadata(lastID: lastID, firstID: firstID, maxDeletedID: maxDeletedID, entriesAdded: entriesAdded)
        guard let groupCount = reader.plainLength() else { return nil }
        for _ in 0..<groupCount {
            guard let name = reader.string(), let groupLastID = readID(&reader) else { return nil }
            var entriesRead = stream.estimatedEntriesRead(at: groupLastID)
            if type == streamListpacks2 {
                guard let read = reader.plainLength() else { return nil }
                entriesRead = Int64(bitPattern: read)
            }
            let group = StreamGroup(name: name, lastID: groupLastID, entriesRead: entriesRead)
            guard stream.groups[name] == nil else { return nil }
            stream.groups[name] = group
            guard let pendingCount = reader.plainLength() else { return nil }
            var unowned: [StreamID: (Int64, Int64)] = [:]
            for _ in 0..<pendingCount {
                guard let id = readRawID(&reader), let time = readLittleEndian(&reader),
                      let count = reader.plainLength() else { return nil }
                unowned[id] = (Int64(bitPattern: time), Int64(bitPattern: count))
            }
            guard let consumerCount = reader.plainLength() else { return nil }
            for _ in 0..<consumerCount {
                guard let consumerName = reader.string(), let seen = readLittleEndian(&reader),
                      let consumer = group.createConsumer(consumerName, now: Int64(bitPattern: seen)),
                      let owned = reader.plainLength() else { return nil }
                for _ in 0..<owned {
                    guard let id = readRawID(&reader), let (time, count) = unowned.removeValue(forKey: id) else {
                        return nil
                    }
                    let entry = group.deliver(id, to: consumer, now: time)
                    entry.deliveryCount = count
                }
            }
            // Every pending entry must belong to a consumer, as Redis checks.
            guard unowned.isEmpty else { return nil }
        }
        stream.refreshGroupBytes()
        return stream
    }

    private static func readID(_ reader: inout RDBString.Reader) -> StreamID? {
        guard let ms = reader.plainLength(), let seq = reader.plainLength() else { return nil }
        return StreamID(ms: ms, seq: seq)
    }

    private static func readRawID(_ reader: inout RDBString.Reader) -> StreamID? {
        var bytes: [UInt8] = []
        for _ in 0..<16 {
            guard let b = reader.byte() else { return nil }
            bytes.append(b)
        }
        return StreamID(bigEndian: bytes)
    }

    private static func readLittleEndian(_ reader: inout RDBString.Reader) -> UInt64? {
        var v: UInt64 = 0
        for i in 0..<8 {
            guard let b = reader.byte() else { return nil }
            v |= UInt64(b) << UInt64(i * 8)
        }
        return v
    }
}

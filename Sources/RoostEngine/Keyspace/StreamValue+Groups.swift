/// A pending entry: delivered to a consumer and not yet acknowledged (Redis's `streamNACK`).
final class StreamPendingEntry {
    /// Unix milliseconds of the last delivery.
    var deliveryTime: Int64
    var deliveryCount: Int64
    var consumer: StreamConsumer

    init(deliveryTime: Int64, deliveryCount: Int64, consumer: StreamConsumer) {
        self.deliveryTime = deliveryTime
        self.deliveryCount = deliveryCount
        self.consumer = consumer
    }
}

/// A consumer of a group.
final class StreamConsumer {
    let name: [UInt8]
    /// Unix milliseconds of the consumer's last read or claim attempt.
    var seenTime: Int64
    /// The ids pending for this consumer.
    var pending = StreamIDSet()

    init(name: [UInt8], seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// A consumer group.
final class StreamGroup {
    /// The value of `entries_read` Redis uses when it is not known.
    static let invalidEntriesRead: Int64 = -1

    let name: [UInt8]
    /// The last id delivered to the group with `>`.
    var lastID: StreamID
    /// The logical read counter (7.0's `entries_read`), `invalidEntriesRead` if unknown.
    var entriesRead: Int64
    /// The group's pending entries, ordered.
    var pending = StreamIDSet()
    var pendingEntries: [StreamID: StreamPendingEntry] = [:]
    var consumers: [[UInt8]: StreamConsumer] = [:]

    init(name: [UInt8], lastID: StreamID, entriesRead: Int64) {
        self.name = name
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    /// The consumers ordered by name, as Redis's radix tree lists them.
    var sortedConsumers: [StreamConsumer] {
        consumers.values.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// A deep copy, consumers and pending entries included.
    func duplicate() -> StreamGroup {
        let copy = StreamGroup(name: name, lastID: lastID, entriesRead: entriesRead)
        for (name, consumer) in consumers {
            let c = StreamConsumer(name: name, seenTime: consumer.seenTime)
            c.pending = consumer.pending
            copy.consumers[name] = c
        }
        copy.pending = pending
        for (id, entry) in pendingEntries {
            copy.pendingEntries[id] = StreamPendingEntry(deliveryTime: entry.deliveryTime,
                                                         deliveryCount: entry.deliveryCount,
                                                         consumer: copy.consumers[entry.consumer.name]!)
        }
        return copy
    }

    /// Adds a consumer; nil when one with that name exists.
    func createConsumer(_ name: [UInt8], now: Int64) -> StreamConsumer? {
        if consumers[name] != nil { return nil }
        let consumer = StreamConsumer(name: name, seenTime: now)
        consumers[name] = consumer
        return consumer
    }

    /// Removes a consumer and its pending entries; returns how many were pending.
    func deleteConsumer(_ consumer: StreamConsumer) -> Int {
        let count = consumer.pending.count
        for id in consumer.pending {
            pending.remove(id)
            pendingEntries.removeValue(forKey: id)
        }
        consumers.removeValue(forKey: consumer.name)
        return count
    }

    /// Records `id` as delivered to `consumer` now (a new pending entry, or one moved to it with
    /// its count reset, as Redis's `streamReplyWithRange`).
    func deliver(_ id: StreamID, to consumer: StreamConsumer, now: Int64) -> StreamPendingEntry {
        if let existing = pendingEntries[id] {
            existing.consumer.pending.remove(id)
            existing.consumer = consumer
            existing.deliveryTime = now
            existing.deliveryCount = 1
            consumer.pending.insert(id)
            return existing
        }
        let entry = StreamPendingEntry(deliveryTime: now, deliveryCount: 1, consumer: consumer)
        pending.insert(id)
        pendingEntries[id] = entry
        consumer.pending.insert(id)
        return entry
    }

    /// Acknowledges `id`; returns whether it was pending.
    func acknowledge(_ id: StreamID) -> Bool {
        guard let entry = pendingEntries.removeValue(forKey: id) else { return false }
        pending.remove(id)
        entry.consumer.pending.remove(id)
        return true
    }

    /// An estimate of the heap the group holds, for memory accounting.
    var memoryFootprint: Int {
        MemoryFootprint.objectBytes(fields: 64) + name.count
            + pending.count * (MemoryFootprint.objectBytes(fields: 24) + 48)
            + consumers.count * (MemoryFootprint.objectBytes(fields: 48) + 64)
    }
}

extension StreamValue {
    /// The group named `name`.
    func group(_ name: [UInt8]) -> StreamGroup? { groups[name] }

    /// The groups ordered by name.
    var sortedGroups: [StreamGroup] {
        groups.values.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// Recomputes the groups' share of the memory footprint; call after changing a group.
    func refreshGroupBytes() {
        var total = 0
        for group in groups.values { total += group.memoryFootprint }
        groupBytes = total
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`: the logical counter of `id`, or
    /// `invalidEntriesRead` when it cannot be known.
    func estimatedEntriesRead(at id: StreamID) -> Int64 {
        if entriesAdded == 0 { return 0 }
        if length == 0 && id <= lastID { return entriesAdded }
        if id == lastID { return entriesAdded }
        if id > lastID { return StreamGroup.invalidEntriesRead }
        if maxDeletedID == .zero || maxDeletedID < firstID {
            if id < firstID { return entriesAdded - Int64(length) }
            if id == firstID { return entriesAdded - Int64(length) + 1 }
        }
        return StreamGroup.invalidEntriesRead
    }

    /// Redis's `streamRangeHasTombstones`.
    func rangeHasTombstones(from start: StreamID?, to end: StreamID? = nil) -> Bool {
        if length == 0 || maxDeletedID == .zero { return false }
        if firstID > maxDeletedID { return false }
        return (start ?? .zero) <= maxDeletedID && maxDeletedID <= (end ?? .max)
    }

    /// The lag of `group` (XINFO GROUPS), nil when it cannot be known.
    func lag(of group: StreamGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if group.entriesRead != StreamGroup.invalidEntriesRead && !rangeHasTombstones(from: group.lastID) {
            return entriesAdded - group.entriesRead
        }
        let read = estimatedEntriesRead(at: group.lastID)
        return read == StreamGroup.invalidEntriesRead ? nil : entriesAdded - read
    }
}

/// A chained hash table keyed by `ByteString`, with Redis's reverse-binary SCAN cursor.
///
/// Swift's `Dictionary` cannot give SCAN's guarantees (an element present for a whole scan is
/// returned at least once, even across resizes) nor O(1) random sampling, so the keyspace uses
/// this table. Buckets are a power of two; each holds a chain of entries in one flat array.
/// A resize rebuilds only the bucket heads and chain links, rehashing each key.
///
/// Entries do not keep their hash: with a 25-byte key and a 9-byte value, the hash would take an
/// entry from 48 to 56 bytes (a sixth of a small key's memory), and comparing a short key is as
/// cheap as comparing a hash. The field order below packs `next` and `accessClock` into the
/// padding after the key and the value.
public struct KeyTable<Value> {

    struct Entry {
        var key: ByteString
        /// Next entry in this chain, or in the free list when `value` is nil. -1 ends a list.
        var next: Int32
        var value: Value?
        /// Seconds-resolution clock of the last access, for OBJECT IDLETIME.
        var accessClock: UInt32
    }

    var entries: [Entry] = []
    var buckets: [Int32] = []
    var freeHead: Int32 = -1
    public private(set) var count = 0
    /// Running snapshots walking this table by entry index (`RDBSnapshot`). While it is above
    /// zero, entries keep their index: a new key is appended rather than put in a freed slot,
    /// and a deletion does not compact the table.
    var snapshotPins = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }
    /// The number of buckets; SCAN cursors index into them.
    public var bucketCount: Int { buckets.count }


    static func hashOf(_ key: ByteString) -> UInt32 {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }


    func find(_ key: ByteString, hash: UInt32) -> Int32 {
        if buckets.isEmpty { return -1 }
        let head = buckets[Int(hash & UInt32(buckets.count - 1))]
        if head < 0 { return -1 }
        // Walk the chain through a buffer pointer: reading whole entries would copy (and retain)
        // their keys and values.
        return entries.withUnsafeBufferPointer { entries in
            var i = head
            while i >= 0 {
                if entries[Int(i)].key == key { return i }
                i = entries[Int(i)].next
            }
            return -1
        }
    }

    /// The value of `key`, refreshing its access clock when `clock` is given. One probe.
    public mutating func value(_ key: ByteString, touching clock: UInt32?) -> Value? {
        let i = find(key, hash: Self.hashOf(key))
        if i < 0 { return nil }
        if let clock { entries[Int(i)].accessClock = clock }
        return entries[Int(i)].value
    }

    public subscript(key: ByteString) -> Value? {
        get {
            let i = find(key, hash: Self.hashOf(key))
            return i < 0 ? nil : entries[Int(i)].value
        }
        set {
            if let newValue { set(key, newValue) } else { remove(key) }
        }
    }

    /// The entry index of `key`, or nil. Stable while `snapshotPins` is above zero.
    func entryIndex(of key: ByteString) -> Int32? {
        let i = find(key, hash: Self.hashOf(key))
        return i < 0 ? nil : i
    }

    /// One past the highest entry index in use.
    var entryEnd: Int32 { Int32(entries.count) }

    /// The key and value at entry index `i`, or nil for a free slot.
    func entry(at i: Int32) -> (key: ByteString, value: Value)? {
        let e = entries[Int(i)]
        guard let v = e.value else { return nil }
        return (e.key, v)
    }

    /// Whether `key` is present.

    public func contains(_ key: ByteString) -> Bool { find(key, hash: Self.hashOf(key)) >= 0 }

    /// Mutates the value of `key` in place, if present. Returns what `body` returns, or nil.

    public mutating func modify<R>(_ key: ByteString, _ body: (inout Value) throws -> R) rethrows -> R? {
        let i = find(key, hash: Self.hashOf(key))
        if i < 0 { return nil }
        return try body(&entries[Int(i)].value!)
    }

    /// The access clock stored with `key`.
    public func accessClock(_ key: ByteString) -> UInt32? {
        let i = find(key, hash: Self.hashOf(key))
        return i < 0 ? nil : entries[Int(i)].accessClock
    }

    /// Sets the access clock stored with `key`.

    public mutating func touch(_ key: ByteString, clock: UInt32) {
        let i = find(key, hash: Self.hashOf(key))
        if i >= 0 { entries[Int(i)].accessClock = clock }
    }

    /// Inserts or replaces. Returns the previous value.

    @discardableResult
    public mutating func set(_ key: ByteString, _ value: Value, clock: UInt32 = 0) -> Value? {
        let hash = Self.hashOf(key)
        let found = find(key, hash: hash)
        if found >= 0 {
            let old = entries[Int(found)].value
            entries[Int(found)].value = value
            return old
        }
        insert(key, value, hash: hash, clock: clock)
        return nil
    }

    /// Adds an entry for a key known to be absent.
    @inline(__always)
    mutating func insert(_ key: ByteString, _ value: Value, hash: UInt32, clock: UInt32) {
        if count >= buckets.count { resize(to: max(4, buckets.count * 2)) }
        let index: Int32
        let bucket = Int(hash & UInt32(buckets.count - 1))
        let entry = Entry(key: key, next: buckets[bucket], value: value, accessClock: clock)
        if freeHead >= 0 && snapshotPins == 0 {
            index = freeHead
            freeHead = entries[Int(index)].next
            entries[Int(index)] = entry
        } else {
            index = Int32(entries.count)
            entries.append(entry)
        }
        buckets[bucket] = index
        count += 1
    }

    /// Inserts or replaces, in one probe, setting the access clock to `clock(old)`: `old` is the
    /// replaced entry's clock, nil for a new key. Returns the previous value.
    @inline(__always)
    @discardableResult
    mutating func set(_ key: ByteString, _ value: Value, clock: (UInt32?) -> UInt32) -> Value? {
        let hash = Self.hashOf(key)
        let found = find(key, hash: hash)
        if found >= 0 {
            let old = entries[Int(found)].value
            entries[Int(found)].value = value
            entries[Int(found)].accessClock = clock(entries[Int(found)].accessClock)
            return old
        }
        insert(key, value, hash: hash, clock: clock(nil))
        return nil
    }

    /// The value of `key`, replacing its access clock with `update(clock)`. One probe.
    @inline(__always)
    mutating func value(_ key: ByteString, updatingClock update: (UInt32) -> UInt32) -> Value? {
        let i = find(key, hash: Self.hashOf(key))
        if i < 0 { return nil }
        entries[Int(i)].accessClock = update(entries[Int(i)].accessClock)
        return entries[Int(i)].value
    }

    /// Removes `key`. Returns its value.

    @discardableResult
    public mutating func remove(_ key: ByteString) -> Value? {
        if buckets.isEmpty { return nil }
        let hash = Self.hashOf(key)
        let bucket = Int(hash & UInt32(buckets.count - 1))
        var previous: Int32 = -1
        var i = buckets[bucket]
        while i >= 0 {
            let e = entries[Int(i)]
            if e.key == key {
                if previous < 0 { buckets[bucket] = e.next } else { entries[Int(previous)].next = e.next }
                let old = e.value
                entries[Int(i)] = Entry(key: ByteString([]), next: freeHead, value: nil, accessClock: 0)
                freeHead = i
                count -= 1
                if buckets.count > 4 && count * 10 < buckets.count && snapshotPins == 0 { shrink() }
                return old
            }
            previous = i
            i = e.next
        }
        return nil
    }

    /// Removes everything.
    public mutating func removeAll() {
        self = KeyTable()
    }


    mutating func resize(to newSize: Int) {
        buckets = [Int32](repeating: -1, count: newSize)
        let mask = UInt32(newSize - 1)
        for i in entries.indices where entries[i].value != nil {
            let b = Int(Self.hashOf(entries[i].key) & mask)
            entries[i].next = buckets[b]
            buckets[b] = Int32(i)
        }
    }

    /// Shrinks to the smallest power of two that holds `count`, compacting the entries.

    mutating func shrink() {
        var size = 4
        while size < count { size *= 2 }
        entries = entries.filter { $0.value != nil }
        freeHead = -1
        resize(to: size)
    }

    /// All keys and values, in table order.
    public func forEach(_ body: (ByteString, Value) throws -> Void) rethrows {
        for e in entries { if let v = e.value { try body(e.key, v) } }
    }

    /// All keys, in table order.
    public var keys: [ByteString] {
        var out: [ByteString] = []
        out.reserveCapacity(count)
        for e in entries where e.value != nil { out.append(e.key) }
        return out
    }

    /// One step of a SCAN: visits buckets from `cursor` in reverse-binary order until at least
    /// `count` entries were seen (or the scan completes), calling `body` for each entry.
    /// Returns the next cursor; 0 means the scan is complete.
    public func scan(cursor: UInt64, count: Int, _ body: (ByteString, Value) -> Void) -> UInt64 {
        if buckets.isEmpty || self.count == 0 { return 0 }
        let mask = UInt64(buckets.count - 1)
        var v = cursor
        var seen = 0
        repeat {
            var i = buckets[Int(v & mask)]
            while i >= 0 {
                let e = entries[Int(i)]
                body(e.key, e.value!)
                seen += 1
                i = e.next
            }
            v |= ~mask
            v = v.bitReversed &+ 1
            v = v.bitReversed
        } while v != 0 && seen < count
        return v
    }

    /// Up to `count` entries from consecutive buckets starting at a random one, as Redis's
    /// `dictGetSomeKeys`: cheap, not uniform, and possibly fewer than `count` when the walk
    /// gives up (at most `10 × count` buckets; a run of empty buckets jumps elsewhere).
    func sample<G: RandomNumberGenerator>(
        _ count: Int, using generator: inout G, _ body: (ByteString, Value, UInt32) -> Void
    ) {
        if self.count == 0 || count <= 0 { return }
        let mask = buckets.count - 1
        var b = Int.random(in: 0...mask, using: &generator)
        var steps = count * 10
        var emptyRun = 0
        var stored = 0
        while stored < count && steps > 0 {
            steps -= 1
            var i = buckets[b]
            if i < 0 {
                emptyRun += 1
                if emptyRun >= 5 && emptyRun > count {
                    b = Int.random(in: 0...mask, using: &generator)
                    emptyRun = 0
                    continue
                }
            } else {
                emptyRun = 0
                while i >= 0 && stored < count {
                    let e = entries[Int(i)]
                    body(e.key, e.value!, e.accessClock)
                    stored += 1
                    i = e.next
                }
            }
            b = (b + 1) & mask
        }
    }

    /// Bytes the table's own storage holds: the live entries and the bucket heads. Free entry
    /// slots and spare capacity are not counted, as Redis's `used_memory` does not count memory
    /// its allocator keeps for reuse.
    var tableBytes: Int {
        if buckets.capacity == 0 { return 0 }
        return count * entryStride + MemoryFootprint.arrayBytes(capacity: buckets.capacity, stride: 4)
    }

    /// The bytes of one entry.
    var entryStride: Int { MemoryLayout<Entry>.stride }

    /// An estimate of the heap bytes the entries own outside the table (long keys, values'
    /// own buffers), from up to five entries spread evenly over the table, times the count:
    /// Redis's MEMORY USAGE samples the same way. A function of the table's state alone.
    func sampledEntryBytes(_ bytes: (ByteString, Value) -> Int) -> Int {
        if count == 0 { return 0 }
        let samples = Swift.min(count, 5)
        var total = 0, seen = 0
        var position = 0
        for s in 0..<samples {
            position = Swift.max(position, s * entries.count / samples)
            while position < entries.count && entries[position].value == nil { position += 1 }
            if position >= entries.count { break }
            total += bytes(entries[position].key, entries[position].value!)
            seen += 1
            position += 1
        }
        return seen == 0 ? 0 : total / seen * count
    }

    /// A uniformly chosen bucket's random entry, as Redis's `dictGetFairRandomKey` approximates.
    public func randomEntry<G: RandomNumberGenerator>(using generator: inout G) -> (key: ByteString, value: Value)? {
        if count == 0 { return nil }
        // A sparse table after many deletions falls back to the entry array.
        for _ in 0..<max(8, buckets.count / max(count, 1) * 4) {
            let b = Int.random(in: 0..<buckets.count, using: &generator)
            var chain: [Int32] = []
            var i = buckets[b]
            while i >= 0 { chain.append(i); i = entries[Int(i)].next }
            if let pick = chain.randomElement(using: &generator) {
                return (entries[Int(pick)].key, entries[Int(pick)].value!)
            }
        }
        while true {
            let e = entries[Int.random(in: 0..<entries.count, using: &generator)]
            if let v = e.value { return (e.key, v) }
        }
    }
}

extension UInt64 {
    var bitReversed: UInt64 {
        var v = self
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }
}

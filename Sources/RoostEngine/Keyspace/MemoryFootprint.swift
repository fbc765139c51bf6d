/// What the keyspace's values cost in memory: the engine-side counter behind `used_memory`,
/// the counterpart of Redis's `zmalloc` total.
///
/// Every estimate is O(1) and a pure function of the value's state, so a running total can
/// charge it on store and subtract the same amount on delete (see `Engine+Memory.swift`).
/// - Heap blocks cost what glibc's malloc hands out: the request plus an 8-byte chunk header,
///   rounded up to 16 bytes, at least 32 (`mallocBytes`).
/// - A Swift array is one block: a 32-byte header (object header, count, capacity) and
///   `capacity × stride` bytes (`arrayBytes`); capacity, not count, because growth doubles it.
/// - A class instance is one block: a 16-byte object header and its stored fields.
/// - Inline representations cost nothing beyond their key-table entry: integers, strings of up
///   to 7 bytes (`StringValue.short`) and keys, fields and members of up to 23 bytes.
/// - Collections add their elements' own heap blocks (elements over 23 bytes), estimated from
///   five elements spread evenly over the collection, times the count, as Redis's
///   `MEMORY USAGE … SAMPLES 5` estimates.
///
/// Checked against the growth of `roost server`'s resident memory while loading each shape
/// (2026-12; used_memory growth / RSS growth): 1M small strings 1.10, 200k 100-byte strings
/// 0.99, 20k 10-field hashes 0.91, 2k 100-member sets 0.77, 200 1,000-element lists 0.86,
/// 200 1,000-member sorted sets 0.97. Redis 7.0's own ratios on the same loads are 0.89-1.49.
/// RSS also holds freed heap the allocator keeps; the free slots of a key table are not
/// counted either (see `KeyTable.tableBytes`).
enum MemoryFootprint {
    /// The bytes glibc's malloc really takes for a request of `n` bytes.
    @inline(__always)
    static func mallocBytes(_ n: Int) -> Int {
        Swift.max(32, (n + 8 + 15) & ~15)
    }

    /// The bytes of a Swift array (or `ContiguousArray`) buffer of `capacity` elements.
    @inline(__always)
    static func arrayBytes(capacity: Int, stride: Int) -> Int {
        capacity == 0 ? 0 : mallocBytes(32 + capacity * stride)
    }

    /// The bytes of a class instance with `fields` bytes of stored properties.
    @inline(__always)
    static func objectBytes(fields: Int) -> Int { mallocBytes(16 + fields) }

    /// `count` times the average of `bytes(i)` over up to five indices spread evenly over
    /// `0..<count`.
    static func sampled(count: Int, _ bytes: (Int) -> Int) -> Int {
        if count == 0 { return 0 }
        let samples = Swift.min(count, 5)
        var total = 0
        for s in 0..<samples { total += bytes(s * count / samples) }
        return total / samples * count
    }
}

extension ByteString {
    /// Heap bytes outside the inline representation: 0 up to 23 bytes. From the count, not
    /// the capacity: equal keys must cost the same, whichever copy is asked.
    @inline(__always)
    var heapBytes: Int {
        switch representation {
        case .small: return 0
        case .large(let a): return MemoryFootprint.arrayBytes(capacity: a.count, stride: 1)
        }
    }
}

extension StringValue {
    /// Heap bytes of the value: 0 for integers and inline strings.
    @inline(__always)
    var memoryFootprint: Int {
        switch self {
        case .int, .short: return 0
        case .embstr(let b), .raw(let b): return MemoryFootprint.arrayBytes(capacity: b.capacity, stride: 1)
        }
    }
}

extension Value {
    /// Whether the value is a string (immutable: changed only by storing a new one).
    @inline(__always)
    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// Heap bytes the value holds beyond its key-table entry. O(1).
    @inline(__always)
    var memoryFootprint: Int {
        switch self {
        case .string(let s): return s.memoryFootprint
        case .list(let l): return l.memoryFootprint
        case .hash(let h): return h.memoryFootprint
        case .set(let s): return s.memoryFootprint
        case .zset(let z): return z.memoryFootprint
        case .stream(let s): return s.memoryFootprint
        }
    }
}

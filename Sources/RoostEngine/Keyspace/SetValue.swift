import RoostRESP

/// A set of distinct members, in one of Redis 7.0's two encodings:
///
/// - `intset`: every member is a canonical 64-bit integer (Redis's `string2ll` rules) and there
///   are at most `set-max-intset-entries` of them. A sorted array in the narrowest width
///   (16, 32 or 64 bits) that holds every member, so iteration is in ascending numeric order.
/// - `hashtable`: anything else. A set never converts back in place; only commands that build a
///   new set (the STORE forms, SPOP's rebuild) can produce an intset again.
public final class SetValue {
    enum Storage {
        case intset(IntSet)
        case hashtable(KeyTable<Void>)
    }

    @exclusivity(unchecked) var storage: Storage

    /// An empty set in the `intset` encoding, as Redis's `createIntsetObject`.
    public init() { storage = .intset(IntSet()) }

    init(storage: Storage) { self.storage = storage }

    /// An empty set in the encoding Redis's `setTypeCreate` picks for a set whose first member
    /// will be `first`: `intset` when it is an integer, `hashtable` otherwise.
    public static func create(for first: ByteString) -> SetValue {
        if first.withUnsafeBytes({ RedisInteger.parse($0) }) != nil { return SetValue() }
        return SetValue(storage: .hashtable(KeyTable()))
    }

    /// The number of members.
    public var count: Int {
        switch storage {
        case .intset(let s): return s.count
        case .hashtable(let t): return t.count
        }
    }

    /// Whether the set has no members.
    public var isEmpty: Bool { count == 0 }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString {
        switch storage {
        case .intset: return "intset"
        case .hashtable: return "hashtable"
        }
    }

    /// Whether the set is in the `intset` encoding.
    public var isIntset: Bool {
        if case .intset = storage { return true }
        return false
    }

    /// An independent copy in the same encoding.
    public func duplicate() -> SetValue { SetValue(storage: storage) }

    /// Whether `member` is in the set.
    public func contains(_ member: ByteString) -> Bool {
        switch storage {
        case .intset(let s):
            guard let v = member.withUnsafeBytes({ RedisInteger.parse($0) }) else { return false }
            return s.contains(v)
        case .hashtable(let t):
            return t.contains(member)
        }
    }

    /// Whether the integer `value` is in the set.
    func contains(integer value: Int64) -> Bool {
        switch storage {
        case .intset(let s): return s.contains(value)
        case .hashtable(let t): return t.contains(ByteString(RedisInteger.bytes(value)))
        }
    }

    /// Adds `member`, converting to `hashtable` when it is not an integer or the intset would
    /// exceed `maxIntsetEntries` members. Returns whether it was added (was not already there).
    @discardableResult
    public func insert(_ member: ByteString, maxIntsetEntries: Int) -> Bool {
        switch storage {
        case .intset(var s):
            if let v = member.withUnsafeBytes({ RedisInteger.parse($0) }) {
                storage = .intset(IntSet())  // drop the reference so `s` is mutated in place
                let added = s.insert(v)
                storage = .intset(s)
                if added && s.count > maxIntsetEntries { convertToHashtable() }
                return added
            }
            convertToHashtable()
            return insert(member, maxIntsetEntries: maxIntsetEntries)
        case .hashtable(var t):
            storage = .intset(IntSet())
            defer { storage = .hashtable(t) }
            return t.set(member, ()) == nil
        }
    }

    /// Removes `member`. Returns whether it was there.
    @discardableResult
    public func remove(_ member: ByteString) -> Bool {
        switch storage {
        case .intset(var s):
            guard let v = member.withUnsafeBytes({ RedisInteger.parse($0) }) else { return false }
            storage = .intset(IntSet())
            defer { storage = .intset(s) }
            return s.remove(v)
        case .hashtable(var t):
            storage = .intset(IntSet())
            defer { storage = .hashtable(t) }
            return t.remove(member) != nil
        }
    }

    /// Converts to the `hashtable` encoding (no-op when already there).
    func convertToHashtable() {
        guard case .intset(let s) = storage else { return }
        var t = KeyTable<Void>()
        if s.count > 0 { t.resize(to: Self.tableSize(for: s.count)) }
        s.forEach { t.set(ByteString(RedisInteger.bytes($0)), ()) }
        storage = .hashtable(t)
    }

    static func tableSize(for count: Int) -> Int {
        var size = 4
        while size < count { size *= 2 }
        return size
    }

    /// Calls `body` with every member, in the encoding's order (ascending for `intset`).
    public func forEach(_ body: (ByteString) throws -> Void) rethrows {
        switch storage {
        case .intset(let s): try s.forEach { try body(ByteString(RedisInteger.bytes($0))) }
        case .hashtable(let t): try t.forEach { key, _ in try body(key) }
        }
    }

    /// Every member, in the encoding's order.
    public var members: [ByteString] {
        var out: [ByteString] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// Writes every member as a bulk string, in the encoding's order.
    func writeMembers(to reply: ReplyWriter) {
        switch storage {
        case .intset(let s): s.forEach { reply.bulk(decimal: $0) }
        case .hashtable(let t): t.forEach { key, _ in reply.bulk(key) }
        }
    }

    /// A uniformly chosen member, or nil when the set is empty.
    ///
    /// A `hashtable` set draws entry slots until one holds a member: every member is equally
    /// likely, where a random bucket's random entry would favour members in short chains. The
    /// table compacts once it is less than a tenth full, so a draw takes at most ten tries on
    /// average.
    public func randomMember<G: RandomNumberGenerator>(using generator: inout G) -> ByteString? {
        switch storage {
        case .intset(let s):
            if s.count == 0 { return nil }
            return ByteString(RedisInteger.bytes(s[Int.random(in: 0..<s.count, using: &generator)]))
        case .hashtable(let t):
            if t.count == 0 { return nil }
            return t.entries.withUnsafeBufferPointer { entries in
                while true {
                    let i = Int.random(in: 0..<entries.count, using: &generator)
                    if entries[i].value != nil { return entries[i].key }
                }
            }
        }
    }

    /// How many members `randomMembers(count:unique:)` yields.
    public func randomMemberCount(_ count: Int, unique: Bool) -> Int { unique ? min(count, self.count) : count }

    /// SRANDMEMBER's members for a count, as Redis 7.0's `srandmemberWithCountCommand` chooses
    /// them, passed to `body` one by one (`randomMemberCount` of them):
    /// 1. not `unique` (a negative count), or a count of 1: independent uniform draws;
    /// 2. a count of at least the size: the whole set;
    /// 3. a count above a third of the size: a copy that loses random members until `count`
    ///    remain;
    /// 4. otherwise: uniform draws collected into a set until it holds `count` members.
    public func randomMembers<G: RandomNumberGenerator>(
        count: Int, unique: Bool, using generator: inout G, _ body: (ByteString) -> Void
    ) {
        if count <= 0 || isEmpty { return }
        if !unique || count == 1 {
            for _ in 0..<count { if let m = randomMember(using: &generator) { body(m) } }
            return
        }
        if count >= self.count {
            forEach(body)
            return
        }
        if count > self.count / Self.randomSubtractionDivisor {
            var chosen = members
            while chosen.count > count {
                chosen.swapAt(Int.random(in: 0..<chosen.count, using: &generator), chosen.count - 1)
                chosen.removeLast()
            }
            chosen.forEach(body)
            return
        }
        var picked = Set<ByteString>(minimumCapacity: count)
        while picked.count < count {
            guard let m = randomMember(using: &generator) else { return }
            if picked.insert(m).inserted { body(m) }
        }
    }

    /// Redis's `SRANDMEMBER_SUB_STRATEGY_MUL`: above `size / 3` members, SRANDMEMBER removes
    /// members from a copy rather than collecting draws.
    static let randomSubtractionDivisor = 3
    /// Redis's `SPOP_MOVE_STRATEGY_MUL`: when fewer than `count * 5` members stay, SPOP moves
    /// the staying members to a new set rather than popping one by one.
    static let popMoveMultiplier = 5

    /// Removes `count` uniformly chosen members (fewer than the set holds), passing each to
    /// `body`, as Redis 7.0's `spopWithCountCommand`: when at least a fifth of `count` stay,
    /// `count` draws each remove one member and this set is returned; otherwise the members
    /// that stay are drawn into a new set (created for its first member, so it may be an
    /// `intset`), the rest are passed to `body` in this set's order, and the new set is
    /// returned to replace this one.
    public func popRandomMembers<G: RandomNumberGenerator>(
        _ count: Int, maxIntsetEntries: Int, using generator: inout G, _ body: (ByteString) -> Void
    ) -> SetValue {
        let remaining = self.count - count
        if remaining > count / Self.popMoveMultiplier {
            for _ in 0..<count {
                guard let m = randomMember(using: &generator) else { break }
                remove(m)
                body(m)
            }
            return self
        }
        var kept: SetValue?
        for _ in 0..<remaining {
            guard let m = randomMember(using: &generator) else { break }
            let target = kept ?? SetValue.create(for: m)
            kept = target
            target.insert(m, maxIntsetEntries: maxIntsetEntries)
            remove(m)
        }
        forEach(body)
        return kept ?? SetValue()
    }

    /// One step of SSCAN over a `hashtable` set: reverse-binary cursor order, with SCAN's
    /// guarantees. An `intset` set is returned whole with cursor 0.
    func scan(cursor: UInt64, count: Int, _ body: (ByteString) -> Void) -> UInt64 {
        switch storage {
        case .intset(let s):
            s.forEach { body(ByteString(RedisInteger.bytes($0))) }
            return 0
        case .hashtable(let t):
            return t.scan(cursor: cursor, count: count) { key, _ in body(key) }
        }
    }
}

/// A sorted array of distinct integers stored in the narrowest of 16, 32 or 64 bits that holds
/// all of them, as Redis's `intset`. The width only grows.
extension SetValue {
    /// An O(1) estimate of the bytes the set holds, for `used_memory` (see `MemoryFootprint`).
    var memoryFootprint: Int {
        let object = MemoryFootprint.objectBytes(fields: 40)
        switch storage {
        case .intset(let s):
            switch s.words {
            case .w16(let a): return object + MemoryFootprint.arrayBytes(capacity: a.capacity, stride: 2)
            case .w32(let a): return object + MemoryFootprint.arrayBytes(capacity: a.capacity, stride: 4)
            case .w64(let a): return object + MemoryFootprint.arrayBytes(capacity: a.capacity, stride: 8)
            }
        case .hashtable(let t):
            return object + t.tableBytes + t.sampledEntryBytes { key, _ in key.heapBytes }
        }
    }
}

struct IntSet {
    enum Words {
        case w16([Int16])
        case w32([Int32])
        case w64([Int64])
    }

    var words: Words = .w16([])

    var count: Int {
        switch words {
        case .w16(let a): return a.count
        case .w32(let a): return a.count
        case .w64(let a): return a.count
        }
    }

    subscript(index: Int) -> Int64 {
        switch words {
        case .w16(let a): return Int64(a[index])
        case .w32(let a): return Int64(a[index])
        case .w64(let a): return a[index]
        }
    }

    /// The index of `value`, or where it would be inserted (as a negative `-(index + 1)`).
    static func search<T: FixedWidthInteger>(_ a: [T], _ value: T) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        if lo < a.count && a[lo] == value { return lo }
        return -(lo + 1)
    }

    func contains(_ value: Int64) -> Bool {
        switch words {
        case .w16(let a):
            guard let v = Int16(exactly: value) else { return false }
            return Self.search(a, v) >= 0
        case .w32(let a):
            guard let v = Int32(exactly: value) else { return false }
            return Self.search(a, v) >= 0
        case .w64(let a):
            return Self.search(a, value) >= 0
        }
    }

    static func insert<T: FixedWidthInteger>(_ a: inout [T], _ value: T) -> Bool {
        let i = search(a, value)
        if i >= 0 { return false }
        a.insert(value, at: -i - 1)
        return true
    }

    static func remove<T: FixedWidthInteger>(_ a: inout [T], _ value: T) -> Bool {
        let i = search(a, value)
        if i < 0 { return false }
        a.remove(at: i)
        return true
    }

    /// Adds `value`, widening when needed. Returns whether it was added.
    mutating func insert(_ value: Int64) -> Bool {
        switch words {
        case .w16(var a):
            if let v = Int16(exactly: value) {
                words = .w16([])
                defer { words = .w16(a) }
                return Self.insert(&a, v)
            }
            if Int32(exactly: value) != nil {
                words = .w32(a.map { Int32($0) })
            } else {
                words = .w64(a.map { Int64($0) })
            }
            return insert(value)
        case .w32(var a):
            if let v = Int32(exactly: value) {
                words = .w16([])
                defer { words = .w32(a) }
                return Self.insert(&a, v)
            }
            words = .w64(a.map { Int64($0) })
            return insert(value)
        case .w64(var a):
            words = .w16([])
            defer { words = .w64(a) }
            return Self.insert(&a, value)
        }
    }

    /// Removes `value`. Returns whether it was there.
    mutating func remove(_ value: Int64) -> Bool {
        switch words {
        case .w16(var a):
            guard let v = Int16(exactly: value) else { return false }
            words = .w16([])
            defer { words = .w16(a) }
            return Self.remove(&a, v)
        case .w32(var a):
            guard let v = Int32(exactly: value) else { return false }
            words = .w16([])
            defer { words = .w32(a) }
            return Self.remove(&a, v)
        case .w64(var a):
            words = .w16([])
            defer { words = .w64(a) }
            return Self.remove(&a, value)
        }
    }

    /// Every member in ascending order.
    func forEach(_ body: (Int64) throws -> Void) rethrows {
        switch words {
        case .w16(let a): for v in a { try body(Int64(v)) }
        case .w32(let a): for v in a { try body(Int64(v)) }
        case .w64(let a): for v in a { try body(v) }
        }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One member of a sorted set with its score.
public struct SortedSetEntry: Sendable {
    /// The member's bytes.
    public var member: ByteString
    /// The member's score (never NaN).
    public var score: Double

    /// An entry for `member` with `score`.
    public init(member: ByteString, score: Double) {
        self.member = member
        self.score = score
    }
}

/// Three-way `memcmp` ordering of two members, shorter first on a common prefix.
@inline(__always)
func compareMembers(_ a: ByteString, _ b: ByteString) -> Int { ByteString.compare(a, b) }

/// Whether (`s1`, `m1`) sorts before (`s2`, `m2`): by score, then by member bytes.
@inline(__always)
func entryPrecedes(_ s1: Double, _ m1: ByteString, _ s2: Double, _ m2: ByteString) -> Bool {
    s1 < s2 || (s1 == s2 && compareMembers(m1, m2) < 0)
}

/// A sorted set: members ordered by score, then by member bytes (`memcmp`).
///
/// Kept in one of Redis's two encodings so that OBJECT ENCODING agrees:
/// - `listpack`: a compact sorted array, for small sets of short members;
/// - `skiplist`: a skip list with span counts (O(log n) insert, delete, rank and access by
///   rank) beside a member→score hash table.
///
/// Ranks are 0-based throughout. The class is mutated in place by the command family.
public final class SortedSetValue {
    /// The sorted entries while in the listpack encoding; empty otherwise.
    @exclusivity(unchecked) private var packed: [SortedSetEntry]
    /// The ordered view in the skiplist encoding.
    @exclusivity(unchecked) private var list: SortedSetSkipList?
    /// Member → score in the skiplist encoding.
    @exclusivity(unchecked) private var dict: KeyTable<Double>

    /// An empty set in the listpack encoding.
    public init() {
        packed = []
        list = nil
        dict = KeyTable()
    }

    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for the expected size and
    /// longest member.
    public init(sizeHint: Int, maxMemberLength: Int, maxEntries: Int, maxValue: Int) {
        packed = []
        dict = KeyTable()
        if sizeHint <= maxEntries && maxMemberLength <= maxValue {
            list = nil
        } else {
            list = SortedSetSkipList()
        }
    }

    /// Whether the set is in the listpack encoding.
    public var isListpack: Bool { list == nil }

    /// The number of members.
    public var count: Int { list?.length ?? packed.count }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString { list == nil ? "listpack" : "skiplist" }

    /// An independent copy in the same encoding.
    public func duplicate() -> SortedSetValue {
        let copy = SortedSetValue()
        if list == nil {
            copy.packed = packed
        } else {
            copy.list = SortedSetSkipList()
            copy.dict = dict
            forEach { copy.list?.insert($0.score, $0.member) }
        }
        return copy
    }

    // MARK: - Lookups

    private func packedIndex(_ member: ByteString) -> Int? {
        packed.firstIndex { $0.member == member }
    }

    /// The score of `member`, if present.
    public func score(_ member: ByteString) -> Double? {
        if list != nil { return dict[member] }
        guard let i = packedIndex(member) else { return nil }
        return packed[i].score
    }

    /// The 0-based rank of `member` in ascending order, if present.
    public func rank(_ member: ByteString) -> Int? {
        if let list {
            guard let s = dict[member] else { return nil }
            return list.rank(s, member).map { $0 - 1 }
        }
        return packedIndex(member)
    }

    /// The entry at 0-based `rank` (which must be valid).
    public func entry(at rank: Int) -> SortedSetEntry {
        if let list {
            let n = list.node(atRank: rank + 1)
            let a = list.arena
            return SortedSetEntry(member: a.member(n), score: a.score(n))
        }
        return packed[rank]
    }

    /// The entries with ranks in `ranks`, in ascending order.
    public func entries(_ ranks: Range<Int>) -> [SortedSetEntry] {
        if ranks.isEmpty { return [] }
        guard let list else { return Array(packed[ranks]) }
        var out: [SortedSetEntry] = []
        out.reserveCapacity(ranks.count)
        var n = list.node(atRank: ranks.lowerBound + 1)
        let a = list.arena
        while n != SortedSetSkipList.header && out.count < ranks.count {
            out.append(SortedSetEntry(member: a.member(n), score: a.score(n)))
            n = a.next(n, 0)
        }
        return out
    }

    /// Calls `body` on every entry in ascending order.
    public func forEach(_ body: (SortedSetEntry) throws -> Void) rethrows {
        if let list {
            var n = list.first
            while n != SortedSetSkipList.header {
                // The body must not change the set; the arena is still read afresh each step.
                let a = list.arena
                try body(SortedSetEntry(member: a.member(n), score: a.score(n)))
                n = list.arena.next(n, 0)
            }
        } else {
            for e in packed { try body(e) }
        }
    }

    /// The number of leading entries for which `isBefore` holds, assuming it holds for a prefix
    /// of the order (a binary search in the listpack, a span walk in the skip list).
    public func countWhile(_ isBefore: (SortedSetEntry) -> Bool) -> Int {
        if let list { return list.countWhile { a, n in isBefore(SortedSetEntry(member: a.member(n), score: a.score(n))) } }
        var lo = 0
        var hi = packed.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if isBefore(packed[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// `countWhile` for a predicate on the score alone (no member is copied).
    public func countScoresWhile(_ isBefore: (Double) -> Bool) -> Int {
        if let list { return list.countScoresWhile(isBefore) }
        var lo = 0
        var hi = packed.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if isBefore(packed[mid].score) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The entries in ascending order starting `offset` places after the last one whose score
    /// satisfies `isBefore` (which holds for a prefix of the order), as long as `inRange` holds
    /// for their scores, at most `limit` of them (all when negative). One search in the skip
    /// list (two with an offset), then a walk.
    public func entriesForward(
        from isBefore: (Double) -> Bool, while inRange: (Double) -> Bool, offset: Int, limit: Int
    ) -> [SortedSetEntry] {
        var out: [SortedSetEntry] = []
        if limit == 0 { return out }
        guard let list else {
            var i = countScoresWhile(isBefore) + offset
            while i < packed.count && (limit < 0 || out.count < limit) && inRange(packed[i].score) {
                out.append(packed[i])
                i += 1
            }
            return out
        }
        let (rank, last) = list.lastWhere(isBefore)
        var n = offset == 0 ? list.arena.next(last, 0) : list.node(atRank: rank + offset + 1)
        let a = list.arena
        if limit > 0 { out.reserveCapacity(Swift.min(limit, 64)) }
        while n != SortedSetSkipList.header && (limit < 0 || out.count < limit) {
            let s = a.score(n)
            if !inRange(s) { break }
            out.append(SortedSetEntry(member: a.member(n), score: s))
            n = a.next(n, 0)
        }
        return out
    }

    /// A random entry (the set must not be empty).
    public func randomEntry<G: RandomNumberGenerator>(using g: inout G) -> SortedSetEntry {
        entry(at: Int.random(in: 0..<count, using: &g))
    }

    // MARK: - Changes

    /// What `add` did.
    public enum AddOutcome {
        /// A new member was added.
        case added
        /// An existing member's score changed.
        case updated
        /// The member already had that score.
        case unchanged
        /// Refused: NX on an existing member, XX on a missing one, or GT/LT.
        case refused
        /// An increment produced NaN; nothing changed.
        case nan
    }

    /// Redis's `zsetAdd`: adds or updates `member`, honouring the ZADD flags. Returns the
    /// outcome and the member's resulting score. Converts to the skiplist encoding when the new
    /// member no longer fits the listpack limits.
    public func add(
        _ member: ByteString, _ score: Double, incr: Bool = false, nx: Bool = false, xx: Bool = false,
        gt: Bool = false, lt: Bool = false, maxEntries: Int, maxValue: Int
    ) -> (AddOutcome, Double) {
        if let list {
            // One hash lookup for an existing member; the skip-list node is kept (and stays in
            // place when its neighbours still bracket the new score).
            let existing = dict.modify(member) { (current: inout Double) -> (AddOutcome, Double) in
                let old = current
                if nx { return (.refused, old) }
                var new = score
                if incr {
                    new += old
                    if new.isNaN { return (.nan, old) }
                }
                if (lt && new >= old) || (gt && new <= old) { return (.refused, old) }
                if new == old { return (.unchanged, new) }
                list.updateScore(member, from: old, to: new)
                current = new
                return (.updated, new)
            }
            if let existing { return existing }
            if xx { return (.refused, score) }
            list.insert(score, member)
            _ = dict.set(member, score)
            return (.added, score)
        }
        var score = score
        if let current = self.score(member) {
            if nx { return (.refused, current) }
            if incr {
                score += current
                if score.isNaN { return (.nan, current) }
            }
            if (lt && score >= current) || (gt && score <= current) { return (.refused, current) }
            if score != current {
                if let i = packedIndex(member) { packed.remove(at: i) }
                insertNew(member, score)
                return (.updated, score)
            }
            return (.unchanged, score)
        }
        if xx { return (.refused, score) }
        if list == nil && (packed.count + 1 > maxEntries || member.count > maxValue) {
            convertToSkipList()
        }
        insertNew(member, score)
        return (.added, score)
    }

    /// Inserts a member known to be absent, in the current encoding.
    private func insertNew(_ member: ByteString, _ score: Double) {
        if let list {
            list.insert(score, member)
            _ = dict.set(member, score)
            return
        }
        var lo = 0
        var hi = packed.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entryPrecedes(packed[mid].score, packed[mid].member, score, member) { lo = mid + 1 } else { hi = mid }
        }
        // A listpack keeps the score as text (Redis's `d2string`), which writes -0 as 0.
        packed.insert(SortedSetEntry(member: member, score: score == 0 ? 0 : score), at: lo)
    }

    /// Inserts or replaces `member`, converting the encoding as `zsetAdd` would.
    public func set(_ member: ByteString, _ score: Double, maxEntries: Int, maxValue: Int) {
        _ = add(member, score, maxEntries: maxEntries, maxValue: maxValue)
    }

    /// Removes `member`. Returns whether it was present.
    public func remove(_ member: ByteString) -> Bool {
        if let list {
            guard let s = dict.remove(member) else { return false }
            list.delete(s, member)
            if list.isSparse { compactSkipList() }
            return true
        }
        guard let i = packedIndex(member) else { return false }
        packed.remove(at: i)
        return true
    }

    /// Removes the entries with ranks in `ranks`.
    public func removeRanks(_ ranks: Range<Int>) {
        if ranks.isEmpty { return }
        if list == nil {
            packed.removeSubrange(ranks)
            return
        }
        for e in entries(ranks) { _ = remove(e.member) }
    }

    /// Rebuilds the skip list into a fresh arena, after deletions left the old one mostly free.
    private func compactSkipList() {
        guard let old = list else { return }
        let fresh = SortedSetSkipList()
        let a = old.arena
        var n = old.first
        while n != SortedSetSkipList.header {
            fresh.insert(a.score(n), a.member(n))
            n = a.next(n, 0)
        }
        list = fresh
    }

    /// The bytes of the skip list's arena (nil in the listpack encoding); for tests.
    var skipListArenaBytes: Int? { list?.arenaBytes }

    /// Switches to the skiplist encoding.
    public func convertToSkipList() {
        guard list == nil else { return }
        let l = SortedSetSkipList()
        var d = KeyTable<Double>()
        for e in packed {
            l.insert(e.score, e.member)
            _ = d.set(e.member, e.score)
        }
        list = l
        dict = d
        packed = []
    }

    /// Redis's `zsetConvertToListpackIfNeeded`: back to the listpack encoding when the set is
    /// small enough and `maxMemberLength` fits.
    public func convertToListpackIfFits(maxMemberLength: Int, maxEntries: Int, maxValue: Int) {
        guard list != nil, count <= maxEntries, maxMemberLength <= maxValue else { return }
        var out: [SortedSetEntry] = []
        out.reserveCapacity(count)
        forEach { out.append(SortedSetEntry(member: $0.member, score: $0.score == 0 ? 0 : $0.score)) }
        list = nil
        dict = KeyTable()
        packed = out
    }

    /// Scans the member table from `cursor` (skiplist encoding only), as Redis's `dictScan`.
    public func scanMembers(cursor: UInt64, count: Int, _ body: (ByteString, Double) -> Void) -> UInt64 {
        dict.scan(cursor: cursor, count: count, body)
    }

    /// An O(1) estimate of the bytes the set holds, for `used_memory` (see `MemoryFootprint`).
    var memoryFootprint: Int {
        let object = MemoryFootprint.objectBytes(fields: 40)
        guard let list else {
            let stride = MemoryLayout<SortedSetEntry>.stride
            return object + MemoryFootprint.arrayBytes(capacity: packed.capacity, stride: stride)
                + MemoryFootprint.sampled(count: packed.count, { packed[$0].member.heapBytes })
        }
        return object + list.allocatedBytes + dict.tableBytes
            + MemoryFootprint.sampled(count: list.memberSlotCount, { list.memberSlot($0)?.heapBytes ?? 0 })
    }
}
